/**
 * `GET /api/v1/hotspots` through the exporter's HTTP server: callers need the token (as for recommendations); a bad
 * parameter is a 400 naming it; the body is the ranking of the latest window; without the anomaly stage, a 503.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createExporterServer, type ExporterServer } from './http';
import { createHotspotsHandler } from './hotspots';
import { MetricsRegistry, SelfMetrics } from '../metrics/registry';
import { FlowAggregator } from '../metrics/flow-aggregator';
import { JsonLogger } from '../log';
import type { WindowTotals } from '../analytics/anomaly/window-totals';
import type { HotspotReport } from '../analytics/hotspots';

const TOKEN = 'hot-s3cret';

const WINDOW: WindowTotals = {
  start: 1200,
  end: 1260,
  edges: new Map(),
  workloads: new Map([
    [
      'shop/shipping',
      {
        namespace: 'shop',
        workload: 'shipping',
        dnsAnswers: 300,
        dnsErrors: 240,
        httpRequests: 0,
        httpErrors: 0,
        httpDurationSum: 0,
        httpTimed: 0,
        retransmissions: 0,
      },
    ],
  ]),
};

describe('/api/v1/hotspots', () => {
  let directory: string;
  const servers: ExporterServer[] = [];
  let base = '';
  let baseWithoutAnomaly = '';

  async function start(latestWindow: (() => WindowTotals | undefined) | null, tokenFile: string): Promise<string> {
    const server = createExporterServer({
      registry: new MetricsRegistry(new FlowAggregator(), new SelfMetrics(), () => 0),
      logger: new JsonLogger('error'),
      notReadyReason: () => undefined,
      hotspots: createHotspotsHandler({ auth: { kind: 'bearer-token', tokenFile }, latestWindow }),
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  before(async () => {
    directory = mkdtempSync(join(tmpdir(), 'flowlens-hotspots-'));
    const tokenFile = join(directory, 'token');
    writeFileSync(tokenFile, `${TOKEN}\n`);
    base = await start(() => WINDOW, tokenFile);
    baseWithoutAnomaly = await start(null, tokenFile);
  });

  after(async () => {
    for (const server of servers) await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(directory, { recursive: true, force: true });
  });

  const authorized = { authorization: `Bearer ${TOKEN}` };
  async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
    const response = await fetch(url, { headers });
    return { status: response.status, text: await response.text() };
  }

  test('callers without the token are refused with a Bearer challenge, and nothing leaks', async () => {
    const response = await fetch(`${base}/api/v1/hotspots`);
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="flowlens-api"');
    assert.doesNotMatch(await response.text(), /shipping/);
    assert.equal((await get(`${base}/api/v1/hotspots`, { authorization: 'Bearer guess' })).status, 401);
  });

  test('the ranking of the latest window, as JSON', async () => {
    const answer = await get(`${base}/api/v1/hotspots?by=dns&limit=5`, authorized);
    assert.equal(answer.status, 200, answer.text);
    const report = JSON.parse(answer.text) as HotspotReport;
    assert.deepEqual(report.window, { start: 1200, end: 1260 });
    assert.equal(report.limit, 5);
    assert.deepEqual(Object.keys(report.categories), ['dns']);
    assert.deepEqual(report.categories.dns?.entries, [
      {
        namespace: 'shop',
        workload: 'shipping',
        value: 0.8,
        numbers: { failureRatio: 0.8, failures: 240, answers: 300 },
        dashboard: '/d/flowlens-dns?var-namespace=shop&var-workload=shipping',
      },
    ]);
  });

  test('a bad parameter is a 400 naming it', async () => {
    const limit = await get(`${base}/api/v1/hotspots?limit=1000`, authorized);
    assert.equal(limit.status, 400);
    assert.match(limit.text, /^limit "1000" must be a whole number from 1 to 100\n$/);
    const by = await get(`${base}/api/v1/hotspots?by=cpu`, authorized);
    assert.equal(by.status, 400);
    assert.match(by.text, /^by "cpu"/);
  });

  test('POST is 405; with the anomaly stage off, a 503 that says so', async () => {
    const post = await fetch(`${base}/api/v1/hotspots`, { method: 'POST', headers: authorized });
    assert.equal(post.status, 405);
    const off = await get(`${baseWithoutAnomaly}/api/v1/hotspots`, authorized);
    assert.equal(off.status, 503);
    assert.match(off.text, /anomaly/);
  });
});
