// The app's root page: its pages, the data source they query, the panels it adds and the dashboards it works with.
import type { AppRootProps } from '@grafana/data';
import { PluginPage } from '@grafana/runtime';
import { Stack, Text, TextLink } from '@grafana/ui';

import { DASHBOARDS, PAGES, type FlowlensAppSettings, pageUrl } from '../constants';

/** What each page shows, for the list of pages. */
const PAGE_SUMMARIES = {
  serviceGraph: 'workloads and the traffic between them, by namespace and workload',
  policyFlows: 'flows through the network policies that decided them',
  dns: 'queried names, NXDOMAIN and SERVFAIL ratios and latency by client workload',
  http: 'request rate, error ratio and p99 latency between workloads',
  hotspots: 'the top workloads and edges by latency, errors, DNS failures, denied flows and retransmissions',
  anomalies: 'what the anomaly detectors score now and over time, by kind, and the anomaly alerts firing',
  captures: 'packet captures and their state on each node, with bytes and packets captured',
  recommendations: "least-privilege policies from the exporter's observed flows, with a diff to what is enforced",
} as const;

export default function Home({ meta }: AppRootProps<FlowlensAppSettings>) {
  const datasourceUid = meta.jsonData?.datasourceUid;
  return (
    <PluginPage>
      <Stack direction="column" gap={3}>
        <section aria-label="Pages">
          <Text element="h3">Pages</Text>
          <ul>
            {(Object.keys(PAGE_SUMMARIES) as Array<keyof typeof PAGE_SUMMARIES>).map((page) => (
              <li key={page}>
                <TextLink href={pageUrl(page)} inline>
                  {PAGES[page].title}
                </TextLink>{' '}
                <Text color="secondary">— {PAGE_SUMMARIES[page]}</Text>
              </li>
            ))}
          </ul>
        </section>
        <section aria-label="Data source">
          <Text element="h3">Data source</Text>
          <Text element="p">
            {datasourceUid ? (
              <>
                Prometheus data source <code>{datasourceUid}</code>, set in the app&apos;s settings.
              </>
            ) : (
              <>
                No Prometheus data source is set in the app&apos;s settings (jsonData.datasourceUid): the pages use the
                default Prometheus data source.
              </>
            )}
          </Text>
        </section>
        <section aria-label="Panels">
          <Text element="h3">Panels</Text>
          <Text element="p">
            The app adds two panel types, which the Service Graph and Policy Flows pages show:{' '}
            <strong>Flowlens service graph</strong>, which draws the traffic between workloads from Flowlens&apos;
            per-edge recording rules (or Node Graph frames), with filters, saved views and a side panel per node or
            edge, and <strong>Flowlens policy flow</strong>, flows from source workloads through the deciding policy to
            their destinations.
          </Text>
        </section>
        <section aria-label="Dashboards">
          <Text element="h3">Dashboards</Text>
          <Text element="p">
            Bundled with the app (its Dashboards tab imports them) and provisioned into the Flowlens folder from
            provisioning/grafana:
          </Text>
          <ul>
            {DASHBOARDS.map((dashboard) => (
              <li key={dashboard.uid}>
                <TextLink href={`/d/${dashboard.uid}`} inline>
                  {dashboard.title}
                </TextLink>{' '}
                <Text color="secondary">— {dashboard.summary}</Text>
              </li>
            ))}
          </ul>
        </section>
      </Stack>
    </PluginPage>
  );
}
