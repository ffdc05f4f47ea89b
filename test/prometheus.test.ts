/**
 * End to end with a real Prometheus: it scrapes a demo exporter every second, and its query API must then
 * return the exporter's series with their workload labels. Both processes listen on free loopback ports,
 * never on Prometheus's default :9090 (where a packaged Prometheus service may be running).
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fetchText, freePort, tail, waitFor, type Spawned, testWorkspace } from './support';
import { TestPrometheus } from './prometheus-server';

const workspace = testWorkspace('flowlens-prometheus-');
const { processes } = workspace;

describe('Prometheus scraping flowlens serve --demo', () => {
  let exporter: Spawned;
  let prometheus: TestPrometheus;

  before(async () => {
    const exporterPort = await freePort();
    exporter = processes.startFlowlens([
      'serve',
      '--demo',
      '--listen',
      `127.0.0.1:${exporterPort}`,
      '--state-dir',
      join(workspace.dir(), 'state'),
    ]);
    await waitFor(async () => (await fetchText(`http://127.0.0.1:${exporterPort}/readyz`)).status === 200, 30_000, {
      description: 'the exporter to be ready',
      process: exporter,
    });
    prometheus = await TestPrometheus.start(processes, workspace.dir(), { targets: [`127.0.0.1:${exporterPort}`] });
  });

  /** Runs `body`; on failure, shows the logs of both processes (Prometheus logs to stderr). */
  async function withLogsOnFailure(body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (error) {
      process.stderr.write(
        `--- prometheus stderr (last lines) ---\n${prometheus.logTail()}\n` +
          `--- flowlens stderr (last lines) ---\n${tail(exporter.stderr, 40)}\n`,
      );
      throw error;
    }
  }

  test('Prometheus stores the exporter series with workload labels', () =>
    withLogsOnFailure(async () => {
      await waitFor(
        async () => {
          const result = await prometheus.queryVector('sum(flowlens_flows_total)');
          return result.length > 0 && Number(result[0]!.value[1]) > 0;
        },
        60_000,
        { description: 'sum(flowlens_flows_total) > 0 in Prometheus', process: prometheus.process, intervalMs: 500 },
      );
      assert.equal(await prometheus.queryScalar('up{job="flowlens"}'), 1);
      const namespaces = await prometheus.queryScalar('count(count by (source_namespace) (flowlens_flows_total))');
      assert.ok(namespaces >= 6, `flows come from ${namespaces} source namespaces, expected at least 6`);
      // The exporter's self-metrics arrive too, labelled with the demo source.
      assert.ok((await prometheus.queryScalar('flowlens_ingest_records_total{source="demo"}')) > 0);
      // The DNS latency histogram parses (in whichever format Prometheus negotiated) and its buckets add up.
      assert.ok((await prometheus.queryScalar('sum(flowlens_dns_latency_seconds_count)')) > 0);
      assert.equal(
        await prometheus.queryScalar(
          'sum(flowlens_dns_latency_seconds_bucket{le="+Inf"}) - sum(flowlens_dns_latency_seconds_count)',
        ),
        0,
      );
    }));
});
