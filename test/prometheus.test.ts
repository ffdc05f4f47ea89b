/**
 * End to end with a real Prometheus: it scrapes a demo exporter every second, and its query API must then
 * return the exporter's series with their workload labels. Both processes listen on free loopback ports,
 * never on Prometheus's default :9090 (where a packaged Prometheus service may be running).
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fetchText, freePort, tail, waitFor, type Spawned, testWorkspace } from './support';

const workspace = testWorkspace('flowlens-prometheus-');
const { processes } = workspace;

interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** Runs an instant query and returns its vector result (an empty array when the result is empty). */
async function queryVector(prometheusBase: string, query: string): Promise<VectorSample[]> {
  const response = await fetchText(`${prometheusBase}/api/v1/query?query=${encodeURIComponent(query)}`);
  assert.equal(response.status, 200, `query ${query}: HTTP ${response.status}: ${response.body}`);
  const parsed = JSON.parse(response.body) as { status: string; data?: { resultType: string; result: unknown } };
  assert.equal(parsed.status, 'success', `query ${query}: ${response.body}`);
  assert.equal(parsed.data?.resultType, 'vector', `query ${query}: ${response.body}`);
  return parsed.data.result as VectorSample[];
}

/** The value of a query whose result is a single sample. */
async function queryScalar(prometheusBase: string, query: string): Promise<number> {
  const result = await queryVector(prometheusBase, query);
  assert.equal(result.length, 1, `query ${query} returned ${JSON.stringify(result)}`);
  return Number(result[0]!.value[1]);
}

describe('Prometheus scraping flowlens serve --demo', () => {
  let exporter: Spawned;
  let prometheus: Spawned;
  let prometheusBase = '';

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

    const prometheusPort = await freePort();
    prometheusBase = `http://127.0.0.1:${prometheusPort}`;
    const configFile = join(workspace.dir(), 'prometheus.yml');
    await mkdir(join(workspace.dir(), 'data'));
    await writeFile(
      configFile,
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        '  evaluation_interval: 1s',
        'scrape_configs:',
        '  - job_name: flowlens',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${exporterPort}']`,
        '',
      ].join('\n'),
    );
    prometheus = processes.start('prometheus', [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(workspace.dir(), 'data')}`,
      `--web.listen-address=127.0.0.1:${prometheusPort}`,
    ]);
  });

  /** Runs `body`; on failure, shows the logs of both processes (Prometheus logs to stderr). */
  async function withLogsOnFailure(body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (error) {
      process.stderr.write(
        `--- prometheus stderr (last lines) ---\n${tail(prometheus.stderr, 80)}\n` +
          `--- flowlens stderr (last lines) ---\n${tail(exporter.stderr, 40)}\n`,
      );
      throw error;
    }
  }

  test('Prometheus stores the exporter series with workload labels', () =>
    withLogsOnFailure(async () => {
      await waitFor(async () => (await fetchText(`${prometheusBase}/-/ready`)).status === 200, 60_000, {
        description: 'Prometheus to be ready',
        process: prometheus,
      });
      await waitFor(
        async () => {
          const result = await queryVector(prometheusBase, 'sum(flowlens_flows_total)');
          return result.length > 0 && Number(result[0]!.value[1]) > 0;
        },
        60_000,
        { description: 'sum(flowlens_flows_total) > 0 in Prometheus', process: prometheus, intervalMs: 500 },
      );
      assert.equal(await queryScalar(prometheusBase, 'up{job="flowlens"}'), 1);
      const namespaces = await queryScalar(prometheusBase, 'count(count by (source_namespace) (flowlens_flows_total))');
      assert.ok(namespaces >= 6, `flows come from ${namespaces} source namespaces, expected at least 6`);
      // The exporter's self-metrics arrive too, labelled with the demo source.
      assert.ok((await queryScalar(prometheusBase, 'flowlens_ingest_records_total{source="demo"}')) > 0);
      // The DNS latency histogram parses (in whichever format Prometheus negotiated) and its buckets add up.
      assert.ok((await queryScalar(prometheusBase, 'sum(flowlens_dns_latency_seconds_count)')) > 0);
      assert.equal(
        await queryScalar(
          prometheusBase,
          'sum(flowlens_dns_latency_seconds_bucket{le="+Inf"}) - sum(flowlens_dns_latency_seconds_count)',
        ),
        0,
      );
    }));
});
