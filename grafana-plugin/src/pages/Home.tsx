// The app's root page: what the app bundles today, and the dashboards it works with. Routes to the Service Graph,
// Policy Flows, DNS and HTTP pages come with those pages (grafana-plugin/README.md).
import type { AppRootProps } from '@grafana/data';
import { PluginPage } from '@grafana/runtime';
import { Stack, Text, TextLink } from '@grafana/ui';

import { DASHBOARDS, type FlowlensAppSettings } from '../constants';

export default function Home({ meta }: AppRootProps<FlowlensAppSettings>) {
  const datasourceUid = meta.jsonData?.datasourceUid;
  return (
    <PluginPage>
      <Stack direction="column" gap={3}>
        <section aria-label="Data source">
          <Text element="h3">Data source</Text>
          <Text element="p">
            {datasourceUid ? (
              <>
                Prometheus data source <code>{datasourceUid}</code>, set in the app&apos;s settings.
              </>
            ) : (
              <>No Prometheus data source is set in the app&apos;s settings (jsonData.datasourceUid).</>
            )}
          </Text>
        </section>
        <section aria-label="Panels">
          <Text element="h3">Panels</Text>
          <Text element="p">
            The app adds two panel types, both in development: <strong>Flowlens service graph</strong>, which draws the
            traffic between workloads from Flowlens&apos; per-edge recording rules (or Node Graph frames), with filters,
            saved views and a side panel per node or edge, and <strong>Flowlens policy flow</strong>, which does not
            draw anything yet.
          </Text>
        </section>
        <section aria-label="Dashboards">
          <Text element="h3">Dashboards</Text>
          <Text element="p">Provisioned into the Flowlens folder from provisioning/grafana:</Text>
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
