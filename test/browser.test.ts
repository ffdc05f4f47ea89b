/**
 * The Grafana panels in a real browser: Debian's Chromium (through playwright-core) loads the harness page
 * (grafana-plugin/harness), which mounts the plugin's BUILT panel modules with the real @grafana/ui, dark theme,
 * fed with frames made from a real Prometheus (alerts/flowlens-rules.yml loaded) scraping `flowlens serve --demo
 * --kubernetes` on loopback, converted as Grafana's Prometheus data source converts them. Assertions are on what a
 * user sees; screenshots go to test/artifacts/ (the path is printed).
 *
 * This file starts what the test needs (fake Kubernetes API, exporter, Prometheus, loopback server, Chromium) and
 * stops it; test/browser/real-panels.ts holds the assertions on the drawn panels' DOM contract.
 */
import { after, before, describe } from 'node:test';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { FakeKubeApiServer } from './kube-api-server';
import { TestPrometheus } from './prometheus-server';
import { REPO_ROOT, childEnvironment, fetchText, freePort, testWorkspace, waitFor, type Spawned } from './support';
import { DEMO_ALLOWED_EDGE, DEMO_DENIED_EDGE, expectedServiceGraph } from './browser/expected';
import {
  type BrowserContext,
  HarnessServer,
  type PanelQueries,
  type PrometheusResults,
  buildHarness,
  launchChromium,
  panelQueries,
  runQueries,
} from './browser/harness';
import { registerAppQueryTests } from './browser/app-queries';
import { registerRealPanelTests } from './browser/real-panels';
import { registerRecommendationsPageTests } from './browser/recommendations-page';

export const ARTIFACTS = join(REPO_ROOT, 'test', 'artifacts');
const ANOMALY_WINDOW_SECONDS = 10;
const workspace = testWorkspace('flowlens-browser-');
const api = new FakeKubeApiServer();
const server = new HarnessServer();
let browser: Browser | undefined;
after(async () => {
  await browser?.close();
  await server.stop();
  await api.stop();
});

const SHOP_POLICY = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'checkout-ingress', namespace: 'shop' },
  spec: { podSelector: { matchLabels: { app: 'checkout' } }, policyTypes: ['Ingress'], ingress: [{}] },
};

function hasSeries(results: PrometheusResults, refId: string, labels: Record<string, string> = {}): boolean {
  return (results.results[refId]?.data?.result ?? []).some(
    (sample) =>
      Number(sample.value[1]) > 0 && Object.entries(labels).every(([name, value]) => sample.metric[name] === value),
  );
}

const edgeLabels = (edge: { source: string; target: string }) => {
  const [sourceNamespace, sourceWorkload] = edge.source.split('/');
  const [destNamespace, destWorkload] = edge.target.split('/');
  return {
    source_namespace: sourceNamespace!,
    source_workload: sourceWorkload!,
    dest_namespace: destNamespace!,
    dest_workload: destWorkload!,
  };
};

describe('the Grafana panels in a real browser, fed by a real Prometheus scraping the demo', () => {
  let exporter: Spawned;
  let prometheus: TestPrometheus;
  let queries: PanelQueries;
  let context: BrowserContext;

  before(async () => {
    buildHarness();
    queries = panelQueries();
    api.apply('/apis/networking.k8s.io/v1/networkpolicies', SHOP_POLICY);
    await api.start(await freePort());
    const kubeconfig = join(workspace.dir(), 'kubeconfig');
    await api.writeKubeconfig(kubeconfig);
    const exporterPort = await freePort();
    // 10-second anomaly windows: series are scored after 10 windows, so the Anomalies page's queries have scores to
    // show within the test (the default 60 s would take 10 minutes).
    const config = join(workspace.dir(), 'flowlens.yaml');
    await writeFile(config, `anomaly:\n  window: ${ANOMALY_WINDOW_SECONDS}s\n`);
    exporter = workspace.processes.startFlowlens(
      ['serve', '--demo', '--kubernetes', '--config', config, '--listen', `127.0.0.1:${exporterPort}`],
      { env: childEnvironment({ KUBECONFIG: kubeconfig }) },
    );
    await waitFor(async () => (await fetchText(`http://127.0.0.1:${exporterPort}/readyz`)).status === 200, 30_000, {
      description: 'the exporter to be ready',
      process: exporter,
    });
    prometheus = await TestPrometheus.start(workspace.processes, workspace.dir(), {
      targets: [`127.0.0.1:${exporterPort}`],
      ruleFiles: [join(REPO_ROOT, 'alerts', 'flowlens-rules.yml')],
    });
    const serviceGraphQueries = queries.SERVICE_GRAPH_QUERIES.map((query) => queries.withVariables(query));
    const policyFlowQueries = queries.POLICY_FLOW_QUERIES.map((query) => queries.withVariables(query));
    let serviceGraph: PrometheusResults | undefined;
    let policyFlow: PrometheusResults | undefined;
    // The edge rules need two scrapes of the demo's windows, and the denied edge a flow or two: poll, generously.
    await waitFor(
      async () => {
        serviceGraph = await runQueries(prometheus.base, serviceGraphQueries);
        policyFlow = await runQueries(prometheus.base, policyFlowQueries);
        return (
          hasSeries(serviceGraph, 'flows', edgeLabels(DEMO_ALLOWED_EDGE)) &&
          hasSeries(serviceGraph, 'denied', edgeLabels(DEMO_DENIED_EDGE)) &&
          hasSeries(serviceGraph, 'bytes') &&
          hasSeries(serviceGraph, 'http') &&
          hasSeries(serviceGraph, 'policies') &&
          (serviceGraph.results['services']?.data?.result ?? []).some((sample) => sample.metric['dest_service']) &&
          hasSeries(policyFlow, 'enforced', { action: 'deny' }) &&
          hasSeries(policyFlow, 'staged')
        );
      },
      180_000,
      { description: 'the edge rules and policy series to have data', process: prometheus.process, intervalMs: 1_000 },
    );
    server.setResults('service-graph', serviceGraph!);
    server.setResults('policy-flow', policyFlow!);
    await server.start();
    browser = await launchChromium();
    await mkdir(ARTIFACTS, { recursive: true });
    // The answers the page got, for a failure's post-mortem (and to replay them against a panel under development).
    await writeFile(
      join(ARTIFACTS, 'prometheus-results.json'),
      `${JSON.stringify({ serviceGraph, policyFlow }, null, 1)}\n`,
    );
    process.stdout.write(`browser test: screenshots in ${ARTIFACTS}\n`);
    context = {
      browser,
      prometheusBase: prometheus.base,
      queries,
      server,
      serviceGraph: serviceGraph!,
      policyFlow: policyFlow!,
      expected: expectedServiceGraph(serviceGraph!),
      artifacts: ARTIFACTS,
    };
  });

  // The drawn panels' DOM contract (test/browser/real-panels.ts), against the plugin's built modules.
  registerRealPanelTests(() => context);
  // Every query of the app's pages on the same Prometheus (test/browser/app-queries.ts).
  registerAppQueryTests(() => context);
  // The app's Recommendations page, built module and all, through the plugin proxy to a second, real exporter.
  registerRecommendationsPageTests(() => context);
});
