/**
 * A real Prometheus (Debian's `prometheus` package) for the integration tests: started on a free loopback port
 * (never on :9090, where a packaged service may run), scraping the given targets every second under job
 * `flowlens`, evaluating the given rule files every second, with its storage in the test's directory. Queries go
 * through its HTTP API.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fetchText, freePort, tail, waitFor, type Processes, type Spawned } from './support';

export interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PrometheusOptions {
  /** `host:port` of each exporter to scrape as job `flowlens`. */
  targets: readonly string[];
  ruleFiles?: readonly string[];
  /** Alertmanager `host:port`s to send alerts to. */
  alertmanagers?: readonly string[];
  /** The loopback port to listen on, when a process started before Prometheus must know it; else a free one. */
  port?: number;
}

export class TestPrometheus {
  private constructor(
    readonly process: Spawned,
    readonly base: string,
  ) {}

  /** Starts Prometheus in `directory` and waits until it is ready. */
  static async start(processes: Processes, directory: string, options: PrometheusOptions): Promise<TestPrometheus> {
    const port = options.port ?? (await freePort());
    const configFile = join(directory, 'prometheus.yml');
    await mkdir(join(directory, 'prometheus-data'), { recursive: true });
    const lines = [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: flowlens',
      '    static_configs:',
      `      - targets: [${options.targets.map((target) => `'${target}'`).join(', ')}]`,
    ];
    if (options.ruleFiles !== undefined && options.ruleFiles.length > 0) {
      lines.push('rule_files:', ...options.ruleFiles.map((file) => `  - '${file}'`));
    }
    if (options.alertmanagers !== undefined && options.alertmanagers.length > 0) {
      lines.push(
        'alerting:',
        '  alertmanagers:',
        '    - static_configs:',
        `        - targets: [${options.alertmanagers.map((target) => `'${target}'`).join(', ')}]`,
      );
    }
    await writeFile(configFile, `${lines.join('\n')}\n`);
    const spawned = processes.start('prometheus', [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(directory, 'prometheus-data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ]);
    const prometheus = new TestPrometheus(spawned, `http://127.0.0.1:${port}`);
    await waitFor(async () => (await fetchText(`${prometheus.base}/-/ready`)).status === 200, 60_000, {
      description: 'Prometheus to be ready',
      process: spawned,
    });
    return prometheus;
  }

  /** Runs an instant query and returns its vector result (an empty array when the result is empty). */
  async queryVector(query: string): Promise<VectorSample[]> {
    const response = await fetchText(`${this.base}/api/v1/query?query=${encodeURIComponent(query)}`);
    assert.equal(response.status, 200, `query ${query}: HTTP ${response.status}: ${response.body}`);
    const parsed = JSON.parse(response.body) as { status: string; data?: { resultType: string; result: unknown } };
    assert.equal(parsed.status, 'success', `query ${query}: ${response.body}`);
    assert.equal(parsed.data?.resultType, 'vector', `query ${query}: ${response.body}`);
    return parsed.data.result as VectorSample[];
  }

  /** The value of a query whose result is a single sample. */
  async queryScalar(query: string): Promise<number> {
    const result = await this.queryVector(query);
    assert.equal(result.length, 1, `query ${query} returned ${JSON.stringify(result)}`);
    return Number(result[0]!.value[1]);
  }

  /** The last lines Prometheus logged (to stderr), for failure messages. */
  logTail(lines = 80): string {
    return tail(this.process.stderr, lines);
  }
}
