/**
 * Every dashboard panel's query returns data: a real Prometheus, with alerts/flowlens-rules.yml loaded, scrapes
 * `flowlens serve --demo --kubernetes` (the live cluster view listing a fake API server, so its panels have data
 * too) on loopback. Template variables take the values their own queries offer, as Grafana's dropdowns would; a
 * panel passes when one of its queries returns series for some offered value.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { FakeKubeApiServer } from './kube-api-server';
import {
  REPO_ROOT,
  childEnvironment,
  fetchText,
  freePort,
  parseExposition,
  sumSamples,
  tail,
  testWorkspace,
  waitFor,
  type Spawned,
} from './support';
import { TestPrometheus } from './prometheus-server';
import {
  committedDashboards,
  dataPanels,
  variable,
  variableQuery,
  type Dashboard,
  type Panel,
  type Variable,
} from './dashboard-model';

const workspace = testWorkspace('flowlens-dashboards-');
const api = new FakeKubeApiServer();
after(() => api.stop());

/** The rate window the test substitutes for Grafana's `$__rate_interval`: many 1 s scrapes, a few demo windows. */
const RATE_INTERVAL = '30s';
/**
 * Panels whose series need the exporter to have run longer than this test does: an anomaly score appears once its
 * series has 10 minutes of baseline. Their queries must still be valid; exporter/src/analytics/anomaly tests the scores
 * and exporter/src/analytics/anomaly/replay.test.ts a demo replay's scores.
 */
const LEARNING_PANELS: ReadonlySet<string> = new Set(['Anomaly scores']);

const SHOP_POLICY = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'checkout-ingress', namespace: 'shop' },
  spec: { podSelector: { matchLabels: { app: 'checkout' } }, policyTypes: ['Ingress'], ingress: [{}] },
};

/** A variable's values as Grafana offers them: the query's results, through the variable's regex. */
async function variableValues(
  prometheus: TestPrometheus,
  candidate: Variable,
  substitutions: Record<string, string>,
): Promise<string[]> {
  const query = substitute(variableQuery(candidate), substitutions);
  const inner = /^query_result\((.*)\)$/s.exec(query);
  assert.ok(inner, `${candidate.name}: only query_result variables are used, got ${query}`);
  const regex = /^\/(.*)\/$/s.exec(candidate.regex ?? '');
  assert.ok(regex, `${candidate.name}: a /regex/ picks the value`);
  const pattern = new RegExp(regex[1]!);
  const values = new Set<string>();
  for (const sample of await prometheus.queryVector(inner[1]!)) {
    // Grafana matches the regex against `{label="value", ...} value timestamp`.
    const labels = Object.entries(sample.metric)
      .map(([name, value]) => `${name}="${value}"`)
      .join(', ');
    const match = pattern.exec(`{${labels}} ${sample.value[1]} ${sample.value[0]}`);
    if (match?.[1] !== undefined) values.add(match[1]);
  }
  return [...values].sort();
}

function substitute(expr: string, substitutions: Record<string, string>): string {
  return expr
    .replaceAll('$__rate_interval', RATE_INTERVAL)
    .replace(/\$\{?([a-z_]+)\}?/g, (whole, name: string) => substitutions[name] ?? whole);
}

/** The variable combinations to try, in the order Grafana lists them: namespaces, then each one's workloads. */
async function combinations(prometheus: TestPrometheus, dashboard: Dashboard): Promise<Record<string, string>[]> {
  const namespace = variable(dashboard, 'namespace');
  const workload = variable(dashboard, 'workload');
  if (namespace === undefined) return [{}];
  const result: Record<string, string>[] = [];
  for (const value of await variableValues(prometheus, namespace, {})) {
    if (workload === undefined) {
      result.push({ namespace: value });
      continue;
    }
    const workloads = await variableValues(prometheus, workload, { namespace: value });
    if (workload.includeAll === true) result.push({ namespace: value, workload: workload.allValue ?? '.*' });
    for (const name of workloads) result.push({ namespace: value, workload: name });
  }
  return result;
}

describe('every dashboard panel returns data from a real Prometheus scraping the demo', () => {
  let exporter: Spawned;
  let prometheus: TestPrometheus;

  before(async () => {
    api.apply('/apis/networking.k8s.io/v1/networkpolicies', SHOP_POLICY);
    await api.start(await freePort());
    const kubeconfig = join(workspace.dir(), 'kubeconfig');
    await api.writeKubeconfig(kubeconfig);
    const exporterPort = await freePort();
    // The data API on, as in a cluster using the Recommendations page: the exporter dashboard's API panel has data.
    const tokenFile = join(workspace.dir(), 'api-token');
    writeFileSync(tokenFile, 'dashboard-queries\n');
    const config = join(workspace.dir(), 'flowlens.yaml');
    writeFileSync(config, `api:\n  tokenFile: ${tokenFile}\n`);
    exporter = workspace.processes.startFlowlens(
      ['serve', '--demo', '--kubernetes', '--config', config, '--listen', `127.0.0.1:${exporterPort}`],
      { env: childEnvironment({ KUBECONFIG: kubeconfig }) },
    );
    await waitFor(async () => (await fetchText(`http://127.0.0.1:${exporterPort}/readyz`)).status === 200, 30_000, {
      description: 'the exporter to be ready',
      process: exporter,
    });
    // A policy change and a watch the server expires: the live view's change and error counters move.
    api.apply('/apis/networking.k8s.io/v1/networkpolicies', {
      ...SHOP_POLICY,
      spec: { ...SHOP_POLICY.spec, policyTypes: ['Ingress', 'Egress'], egress: [{}] },
    });
    // Ready means listed; the watches open right after, so an expiry sent too early finds none to end. Expire until
    // the live view has counted one.
    await waitFor(
      async () => {
        api.expireWatches();
        const metrics = await fetchText(`http://127.0.0.1:${exporterPort}/metrics`);
        return sumSamples(parseExposition(metrics.body), 'flowlens_k8s_watch_errors_total') > 0;
      },
      30_000,
      { description: 'the live view to count an expired watch', process: exporter, intervalMs: 500 },
    );
    prometheus = await TestPrometheus.start(workspace.processes, workspace.dir(), {
      targets: [`127.0.0.1:${exporterPort}`],
      ruleFiles: [join(REPO_ROOT, 'alerts', 'flowlens-rules.yml')],
    });
    // Rates over the substituted window need two scrapes inside it, and the demo writes a window every 5 s.
    await waitFor(
      async () =>
        (await prometheus.queryVector(`rate(flowlens_ingest_records_total[${RATE_INTERVAL}]) > 0`)).length > 0,
      60_000,
      { description: 'the demo records to have a rate in Prometheus', process: prometheus.process, intervalMs: 500 },
    );
    await waitFor(async () => (await prometheus.queryVector('edge:flowlens_http_errors:rate5m')).length > 0, 60_000, {
      description: 'the recording rules to have run',
      process: prometheus.process,
      intervalMs: 500,
    });
  });

  /** Whether one of the panel's queries returns series for one of the variables' offered values. */
  async function panelHasData(panel: Panel, tries: readonly Record<string, string>[]): Promise<boolean> {
    if (LEARNING_PANELS.has(panel.title ?? '')) {
      // Prometheus must accept the query (queryVector fails the test otherwise); its series come later.
      for (const target of panel.targets ?? [])
        await prometheus.queryVector(substitute(target.expr ?? '', tries[0] ?? {}));
      return true;
    }
    for (const substitutions of tries) {
      for (const target of panel.targets ?? []) {
        if ((await prometheus.queryVector(substitute(target.expr ?? '', substitutions))).length > 0) return true;
      }
    }
    return false;
  }

  for (const dashboard of committedDashboards()) {
    test(`${dashboard.title} (${dashboard.uid})`, async () => {
      // On a loaded machine scrapes and rule evaluations lag: a panel gets until the deadline to show data, with
      // the variables' values asked afresh each round (as a dashboard refresh would).
      const deadline = Date.now() + 90_000;
      let empty: string[] = [];
      for (;;) {
        const tries = await combinations(prometheus, dashboard);
        empty = [];
        for (const panel of dataPanels(dashboard)) {
          if (tries.length === 0 || !(await panelHasData(panel, tries))) {
            empty.push(`${panel.title}: ${(panel.targets ?? []).map((target) => target.expr).join(' | ')}`);
          }
        }
        if (empty.length === 0 || Date.now() > deadline) break;
        await new Promise((resolveSleep) => setTimeout(resolveSleep, 2_000));
      }
      if (empty.length > 0) process.stderr.write(`--- flowlens stderr ---\n${tail(exporter.stderr, 20)}\n`);
      assert.deepEqual(empty, [], `${dashboard.uid}: panels without data:\n${empty.join('\n')}`);
    });
  }
});
