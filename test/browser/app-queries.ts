/**
 * Every query of the app's pages (grafana-plugin/src/queries.ts: DNS, HTTP, Hotspots, Anomalies, Captures and the
 * template variables) on the real Prometheus of test/browser.test.ts, which loads alerts/flowlens-rules.yml and
 * scrapes `flowlens serve --demo --kubernetes`: Prometheus accepts each as Grafana would send it (instant or range,
 * variables replaced), and the Hotspots tables keep their promises on the demo's data: at most HOTSPOT_LIMIT rows,
 * each above zero with the volume its guard asks for, the volume query answering for exactly the ranked rows, the
 * namespace variable narrowing them, and the demo's denied edge among the denied-flow hotspots.
 *
 * The exporter runs with 10-second anomaly windows, so series are scored within the test: the Anomalies page's
 * tables show the detectors' scores as the exporter exposes them (which scores an incident earns is
 * exporter/src/analytics/anomaly's to test).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ANOMALY_KINDS } from '@flowlens/exporter/dist/src/analytics/anomaly/kinds';
import { ANOMALY_FAMILIES } from '@flowlens/exporter/dist/src/metrics/catalogue';
import { fetchText, waitFor } from '../support';
import { DEMO_DENIED_EDGE } from './expected';
import type { BrowserContext, HotspotTable, PrometheusQuery, PrometheusQueryResult, PrometheusSample } from './harness';

/** One evaluation time for every query of a check, so the rank and volume of a table see the same data. */
async function query(prometheusBase: string, expr: string, time: number): Promise<PrometheusQueryResult> {
  const url = `${prometheusBase}/api/v1/query?query=${encodeURIComponent(expr)}&time=${time}`;
  return JSON.parse((await fetchText(url)).body) as PrometheusQueryResult;
}

async function queryRange(prometheusBase: string, expr: string, end: number): Promise<PrometheusQueryResult> {
  const url = `${prometheusBase}/api/v1/query_range?query=${encodeURIComponent(expr)}&start=${end - 600}&end=${end}&step=15`;
  return JSON.parse((await fetchText(url)).body) as PrometheusQueryResult;
}

/** The samples of a successful answer; a failed one fails the test with Prometheus' own message. */
function samples(result: PrometheusQueryResult, what: string): PrometheusSample[] {
  assert.equal(result.status, 'success', `${what}: ${result.errorType ?? ''} ${result.error ?? ''}`);
  return result.data?.result ?? [];
}

/** `query_result(expr)` is Grafana's wrapper for variable queries: Prometheus runs what it wraps. */
function variableExpression(variableQuery: string): string {
  const match = /^query_result\((.*)\)$/s.exec(variableQuery);
  assert.ok(match, `${variableQuery} is a query_result(...) variable query`);
  return match[1]!;
}

/** A sample as Grafana's query_result() lists it, the text a variable's regex is applied to: `{a="1", b="2"} 3 1700000000`. */
function resultLine(sample: PrometheusSample): string {
  const labels = Object.entries(sample.metric).map(([name, value]) => `${name}="${value}"`);
  return `{${labels.join(', ')}} ${sample.value[1]} ${sample.value[0]}`;
}

/** A row's identity: the values of the table's `by` labels. */
function rowKey(table: HotspotTable, sample: PrometheusSample): string {
  return table.by
    .split(',')
    .map((label) => sample.metric[label.trim()] ?? '')
    .join('/');
}

const now = (): number => Math.floor(Date.now() / 1000);

export function registerAppQueryTests(context: () => BrowserContext): void {
  test("every query of the app's pages is accepted by Prometheus, variables replaced", async () => {
    const { prometheusBase, queries } = context();
    const pageQueries: PrometheusQuery[] = [
      ...Object.values(queries.DNS_QUERIES),
      ...Object.values(queries.HTTP_QUERIES),
      ...Object.values(queries.CAPTURE_QUERIES),
      ...Object.values(queries.ANOMALY_QUERIES),
      ...Object.values(queries.HOTSPOT_QUERIES).flatMap((table) => [table.rank, table.volume]),
    ];
    assert.ok(pageQueries.length >= 25, `${pageQueries.length} page queries`);
    const time = now();
    for (const pageQuery of pageQueries) {
      for (const values of [{}, { namespace: 'shop', workload: 'checkout' }]) {
        const { expr } = queries.withVariables(pageQuery, values);
        const result = pageQuery.instant
          ? await query(prometheusBase, expr, time)
          : await queryRange(prometheusBase, expr, time);
        samples(result, `${pageQuery.refId} (${expr})`);
      }
    }
  });

  test("the template variables offer the demo's namespaces and the selected namespace's workloads", async () => {
    const { prometheusBase, queries } = context();
    const offered = async (variable: { query: string; regex: string }, values = {}): Promise<string[]> => {
      const expr = queries.withVariables(
        { refId: 'variable', expr: variableExpression(variable.query), instant: true, range: false, format: 'table' },
        values,
      ).expr;
      const pattern = new RegExp(variable.regex.slice(1, -1));
      return samples(await query(prometheusBase, expr, now()), variable.query)
        .map((sample) => pattern.exec(resultLine(sample))?.[1])
        .filter((value): value is string => value !== undefined)
        .sort();
    };
    const namespaces = await offered(queries.NAMESPACE_VARIABLE);
    for (const namespace of ['data', 'payments', 'shop']) assert.ok(namespaces.includes(namespace), `${namespaces}`);
    const shopWorkloads = await offered(queries.WORKLOAD_VARIABLE, { namespace: 'shop' });
    for (const workload of ['cart', 'checkout', 'frontend']) {
      assert.ok(shopWorkloads.includes(workload), `${shopWorkloads}`);
    }
    assert.ok(!shopWorkloads.includes('ledger-db'), 'a payments workload is not offered for shop');
    // No PacketCapture exists in this test: the captures' namespace variable has nothing to offer, without error.
    assert.deepEqual(await offered(queries.CAPTURE_NAMESPACE_VARIABLE), []);
  });

  test('the hotspot tables rank at most HOTSPOT_LIMIT rows above zero, with the volume of exactly those rows', async () => {
    const { prometheusBase, queries } = context();
    const { HOTSPOT_QUERIES, HOTSPOT_LIMIT, HOTSPOT_MIN_VOLUME } = queries;
    // The demo always has denied flows and HTTP traffic: those tables fill once the 5-minute rules have two points.
    let ranked: Record<string, PrometheusSample[]> = {};
    let volumes: Record<string, PrometheusSample[]> = {};
    await waitFor(
      async () => {
        const time = now();
        ranked = {};
        volumes = {};
        for (const [category, table] of Object.entries(HOTSPOT_QUERIES)) {
          ranked[category] = samples(
            await query(prometheusBase, queries.withVariables(table.rank).expr, time),
            table.rank.refId,
          );
          volumes[category] = samples(
            await query(prometheusBase, queries.withVariables(table.volume).expr, time),
            table.volume.refId,
          );
        }
        return (ranked['denied']?.length ?? 0) > 0 && (ranked['latency']?.length ?? 0) > 0;
      },
      120_000,
      { description: 'the denied-flow and latency hotspots to have rows', intervalMs: 2_000 },
    );
    for (const [category, table] of Object.entries(HOTSPOT_QUERIES)) {
      const rows = ranked[category] ?? [];
      assert.ok(rows.length <= HOTSPOT_LIMIT, `${category}: ${rows.length} rows`);
      for (const row of rows) assert.ok(Number(row.value[1]) > 0, `${category}: ${rowKey(table, row)} ranks above 0`);
      const volumeByRow = new Map((volumes[category] ?? []).map((row) => [rowKey(table, row), Number(row.value[1])]));
      assert.deepEqual(
        [...volumeByRow.keys()].sort(),
        rows.map((row) => rowKey(table, row)).sort(),
        `${category}: the volume query answers for exactly the ranked rows`,
      );
      // The denied table's guard is one flow; the others' HOTSPOT_MIN_VOLUME events in the rules' 5 minutes.
      const minVolume = category === 'denied' ? 1 : HOTSPOT_MIN_VOLUME;
      for (const [row, perSecond] of volumeByRow) {
        assert.ok(
          perSecond * 300 >= minVolume - 1e-9,
          `${category}: ${row} has ${perSecond * 300} events in 5 minutes`,
        );
      }
    }
    const denied = (ranked['denied'] ?? []).map((row) => rowKey(HOTSPOT_QUERIES['denied']!, row));
    assert.ok(
      denied.includes(`${DEMO_DENIED_EDGE.source}/${DEMO_DENIED_EDGE.target}`),
      `the demo's denied edge ${DEMO_DENIED_EDGE.source} -> ${DEMO_DENIED_EDGE.target} is a denied-flow hotspot: ${denied}`,
    );
  });

  test('the namespace variable narrows the hotspots to rows with an end in that namespace', async () => {
    const { prometheusBase, queries } = context();
    const time = now();
    let narrowedRows = 0;
    for (const [category, table] of Object.entries(queries.HOTSPOT_QUERIES)) {
      const expr = queries.withVariables(table.rank, { namespace: 'data' }).expr;
      for (const row of samples(await query(prometheusBase, expr, time), `${category} in data`)) {
        narrowedRows++;
        const ends = [row.metric['source_namespace'], row.metric['dest_namespace'], row.metric['client_namespace']];
        assert.ok(ends.includes('data'), `${category}: ${JSON.stringify(row.metric)} has an end in data`);
      }
    }
    // data/orders-db receives the demo's denied flows: at least that row.
    assert.ok(narrowedRows > 0, 'the data namespace has hotspot rows');
  });

  test("the Anomalies page's queries show the detectors' scores, one row per scored series", async () => {
    const { prometheusBase, queries } = context();
    const { current, scores, startedPerHour } = queries.ANOMALY_QUERIES;
    let rows: PrometheusSample[] = [];
    // A series is scored after its first 10 windows (100 s here); Prometheus then needs a scrape.
    await waitFor(
      async () => {
        rows = samples(await query(prometheusBase, queries.withVariables(current!).expr, now()), 'anomaly_current');
        return rows.length > 0;
      },
      240_000,
      { description: 'the exporter to score its first series', intervalMs: 2_000 },
    );
    const kinds: readonly string[] = ANOMALY_KINDS;
    const labelNames: readonly string[] = ANOMALY_FAMILIES.score.labels;
    const seen = new Set<string>();
    for (const row of rows) {
      const { kind, namespace, workload, direction, peer_namespace: peerNamespace } = row.metric;
      const peerWorkload = row.metric['peer_workload'];
      const series = JSON.stringify(row.metric);
      assert.ok(kinds.includes(kind ?? ''), `kind ${kind} is one of ${kinds.join(', ')}`);
      assert.ok(workload, `${series} names its workload`);
      assert.ok(Number.isFinite(Number(row.value[1])), `${series} has a finite score`);
      // max by (...) keeps exactly the series' labels; Prometheus leaves out empty ones: a workload's series has no
      // direction or peer, and a peer outside the cluster (an address aggregate, a network set) has no namespace.
      for (const label of Object.keys(row.metric)) {
        assert.ok(labelNames.includes(label), `${series}: ${label} is one of ${labelNames.join(', ')}`);
      }
      if (direction === undefined) {
        assert.ok(namespace && peerWorkload === undefined, `${series}: a workload's series is in its namespace`);
      } else {
        assert.ok(direction === 'egress' || direction === 'ingress', `${series}: an edge's direction`);
        // A series is told from its cluster workload's side, so only an edge with no pod at either end (a node's own
        // traffic to the internet) lacks a namespace; the page's namespace filter and links rely on it.
        if (namespace === undefined) assert.ok(direction === 'egress' && !peerNamespace, `${series}: no pod end`);
      }
      const key = [kind, namespace, workload, direction, peerNamespace, peerWorkload].join('/');
      assert.ok(!seen.has(key), `${key} once`);
      seen.add(key);
    }
    // The namespace variable narrows the rows to the scored workloads of that namespace.
    const namespace = rows.find((row) => row.metric['namespace'] !== undefined)?.metric['namespace'];
    assert.ok(namespace, 'a scored series in a namespace');
    const narrowed = samples(
      await query(prometheusBase, queries.withVariables(current!, { namespace }).expr, now()),
      'anomaly_current in one namespace',
    );
    assert.ok(narrowed.length > 0 && narrowed.every((row) => row.metric['namespace'] === namespace), namespace);
    // The scores over time have the same series; anomalies started per hour is a valid (maybe empty) series per kind.
    const overTime = samples(await queryRange(prometheusBase, queries.withVariables(scores!).expr, now()), 'scores');
    assert.ok(overTime.length > 0, 'the scores over time have series');
    for (const series of samples(
      await queryRange(prometheusBase, queries.withVariables(startedPerHour!).expr, now()),
      'anomalies_started',
    )) {
      assert.ok(kinds.includes(series.metric['kind'] ?? ''), `anomalies_total kind ${series.metric['kind']}`);
    }
  });
}
