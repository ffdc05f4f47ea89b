/**
 * `flowlens serve`: the HTTP endpoints of a running exporter, following a file across a graceful restart
 * without losing or repeating lines, and configuration errors that must stop it before it serves.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { get, type IncomingHttpHeaders } from 'node:http';
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  CALICO_FIXTURE,
  childEnvironment,
  fetchText,
  findSamples,
  freePort,
  parseExposition,
  runFlowlens,
  sampleValue,
  sumSamples,
  waitFor,
  type Spawned,
  testWorkspace,
} from './support';

const workspace = testWorkspace('flowlens-serve-');
const { processes } = workspace;

const OPENMETRICS_ACCEPT = 'application/openmetrics-text;version=1.0.0';

/** Starts `flowlens serve` on a free loopback port and waits until /readyz answers 200. */
async function startServe(args: readonly string[]): Promise<{ exporter: Spawned; base: string }> {
  const port = await freePort();
  const exporter = processes.startFlowlens(['serve', '--listen', `127.0.0.1:${port}`, ...args]);
  const base = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetchText(`${base}/readyz`)).status === 200, 30_000, {
    description: `${base}/readyz to answer 200`,
    process: exporter,
  });
  return { exporter, base };
}

/** A raw GET with node:http, so that headers and a gzip body arrive as sent. */
function rawGet(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const request = get(url, { headers, timeout: 10_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
      );
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${url} timed out`)));
    request.on('error', reject);
  });
}

describe('flowlens serve --demo', () => {
  let base = '';
  let exporter: Spawned;

  before(async () => {
    const stateDir = join(workspace.dir(), 'demo-state');
    ({ exporter, base } = await startServe(['--demo', '--state-dir', stateDir]));
    // The demo produces flows once it runs; wait for the first ones.
    await waitFor(
      async () =>
        parseExposition((await fetchText(`${base}/metrics`)).body).some((s) => s.name === 'flowlens_flows_total'),
      30_000,
      { description: 'demo flows in /metrics', process: exporter },
    );
  });

  test('/healthz and /readyz answer 200', async () => {
    assert.equal((await fetchText(`${base}/healthz`)).status, 200);
    assert.equal((await fetchText(`${base}/readyz`)).status, 200);
  });

  test('an unknown path answers 404', async () => {
    assert.equal((await fetchText(`${base}/nope`)).status, 404);
  });

  test('/metrics in the text format by default, with workload-labelled flows', async () => {
    const response = await fetchText(`${base}/metrics`);
    assert.equal(response.status, 200);
    const contentType = response.headers.get('content-type') ?? '';
    assert.match(contentType, /^text\/plain/);
    assert.match(contentType, /version=0\.0\.4/);
    assert.match(response.body, /^flowlens_flows_total\{[^\n]*source_namespace="/m);
    assert.doesNotMatch(response.body, /# EOF/);
    const samples = parseExposition(response.body);
    assert.ok(sampleValue(samples, 'flowlens_ingest_records_total', { source: 'demo' }) > 0);
  });

  test('/metrics in OpenMetrics when asked for it', async () => {
    const response = await fetchText(`${base}/metrics`, { headers: { accept: OPENMETRICS_ACCEPT } });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/openmetrics-text/);
    assert.ok(response.body.endsWith('# EOF\n'), `ends with ${JSON.stringify(response.body.slice(-40))}`);
    assert.ok(findSamples(parseExposition(response.body), 'flowlens_flows_total').length > 0);
  });

  test('/metrics gzip-compressed when the client accepts gzip', async () => {
    const response = await rawGet(`${base}/metrics`, { 'accept-encoding': 'gzip' });
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-encoding'], 'gzip');
    assert.equal(Number(response.headers['content-length']), response.body.length);
    const text = gunzipSync(response.body).toString('utf8');
    assert.match(text, /^flowlens_flows_total\{/m);
    assert.match(response.headers['content-type'] ?? '', /^text\/plain/);
  });

  test('stops with exit code 0 on SIGTERM', async () => {
    const exit = await exporter.stop('SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null }, `stderr:\n${exporter.stderr}`);
  });
});

describe('flowlens serve following a file across a restart', () => {
  test('checkpoints on SIGTERM and continues after the last line read', async () => {
    // Lines 1 and 13 of the fixture are valid records (3 flows and 1 flow).
    const fixtureLines = (await readFile(CALICO_FIXTURE, 'utf8')).split('\n');
    const first = fixtureLines[0]!;
    const last = fixtureLines[12]!;
    const file = join(workspace.dir(), 'followed.ndjson');
    const stateDir = join(workspace.dir(), 'follow-state');
    await writeFile(file, `${first}\n${last}\n`);
    const sourceArgs = ['--source', `calico-flows:${file}`, '--state-dir', stateDir];
    const records = async (base: string): Promise<number> =>
      sampleValue(parseExposition((await fetchText(`${base}/metrics`)).body), 'flowlens_ingest_records_total', {
        source: 'calico-flows',
      });

    const firstRun = await startServe(sourceArgs);
    for (const line of [first, last, first]) {
      await appendFile(file, `${line}\n`);
    }
    await waitFor(async () => (await records(firstRun.base)) === 5, 30_000, {
      description: 'flowlens_ingest_records_total to reach 5',
      process: firstRun.exporter,
    });
    const firstExit = await firstRun.exporter.stop('SIGTERM');
    assert.deepEqual(firstExit, { code: 0, signal: null }, `stderr:\n${firstRun.exporter.stderr}`);

    const checkpoints: unknown = JSON.parse(await readFile(join(stateDir, 'checkpoints.json'), 'utf8'));
    const size = (await stat(file)).size;
    assert.ok(typeof checkpoints === 'object' && checkpoints !== null);
    const files = (checkpoints as { files?: Record<string, { offset?: unknown; line?: unknown }> }).files ?? {};
    assert.equal(files[file]?.offset, size, `checkpoints.json: ${JSON.stringify(checkpoints)}`);
    assert.equal(files[file]?.line, 5);

    const secondRun = await startServe(sourceArgs);
    // Ready means the first pass over the file is done: nothing may have been read again.
    assert.equal(await records(secondRun.base), 0);
    await appendFile(file, `${first}\n${last}\n`);
    const newSize = (await stat(file)).size;
    await waitFor(
      async () => {
        const samples = parseExposition((await fetchText(`${secondRun.base}/metrics`)).body);
        return (
          sampleValue(samples, 'flowlens_ingest_records_total', { source: 'calico-flows' }) >= 2 &&
          sampleValue(samples, 'flowlens_source_unread_bytes', { source: 'calico-flows' }) === 0
        );
      },
      30_000,
      { description: 'the two appended lines to be read', process: secondRun.exporter },
    );
    const samples = parseExposition((await fetchText(`${secondRun.base}/metrics`)).body);
    assert.equal(sampleValue(samples, 'flowlens_ingest_records_total', { source: 'calico-flows' }), 2);
    assert.equal(sumSamples(samples, 'flowlens_flows_total'), 4);
    const secondExit = await secondRun.exporter.stop('SIGTERM');
    assert.deepEqual(secondExit, { code: 0, signal: null }, `stderr:\n${secondRun.exporter.stderr}`);
    const finalCheckpoints = JSON.parse(await readFile(join(stateDir, 'checkpoints.json'), 'utf8')) as {
      files: Record<string, { offset: number }>;
    };
    assert.equal(finalCheckpoints.files[file]?.offset, newSize);
  });
});

describe('flowlens serve configuration errors', () => {
  test('a bad --listen exits 2 naming the address', async () => {
    const result = await runFlowlens(processes, ['serve', '--demo', '--listen', 'nonsense'], { timeoutMs: 20_000 });
    assert.equal(result.code, 2, `stderr:\n${result.stderr}`);
    assert.match(result.stderr, /^flowlens: .*"nonsense"/m);
  });

  test('a bad aggregation in the config file exits 2 naming the key', async () => {
    const config = join(workspace.dir(), 'bad-aggregation.yaml');
    await writeFile(config, 'metrics:\n  families:\n    flowlens_flows_total:\n      aggregation: pods\n');
    const port = await freePort();
    const result = await runFlowlens(
      processes,
      ['serve', '--demo', '--config', config, '--listen', `127.0.0.1:${port}`],
      { timeoutMs: 20_000 },
    );
    assert.equal(result.code, 2, `stderr:\n${result.stderr}`);
    assert.ok(
      result.stderr.includes('metrics.families.flowlens_flows_total.aggregation'),
      `stderr does not name the key:\n${result.stderr}`,
    );
    assert.match(result.stderr, /pods/);
  });

  test('an unknown FLOWLENS_ environment variable is rejected naming it', async () => {
    const port = await freePort();
    const result = await runFlowlens(processes, ['serve', '--demo', '--listen', `127.0.0.1:${port}`], {
      env: childEnvironment({ FLOWLENS_BOGUS: '1' }),
      timeoutMs: 20_000,
    });
    assert.equal(result.code, 2, `stderr:\n${result.stderr}`);
    assert.match(result.stderr, /FLOWLENS_BOGUS/);
  });

  test('serve without any source exits 2', async () => {
    const port = await freePort();
    const result = await runFlowlens(processes, ['serve', '--listen', `127.0.0.1:${port}`], { timeoutMs: 20_000 });
    assert.equal(result.code, 2, `stderr:\n${result.stderr}`);
    assert.match(result.stderr, /source/);
  });
});
