/**
 * `flowlens serve --demo` with an api token: during the demo's NXDOMAIN storm (shop/shipping, minutes 38 to 42 of
 * each incident period) `/api/v1/hotspots` names shop/shipping first under dns, with the numbers behind it and a link
 * to the DNS dashboard, and while checkout -> payments-api is degraded (minutes 45 to 50: RTT x10, retransmissions,
 * a denied fallback) it names payments-api and checkout; without the token it is a 401. The incident period is
 * chosen so that the incident has just begun and lasts 120 s or more, as in stack.test.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fetchText, freePort, testWorkspace, waitFor, type Spawned } from './support';
import type { HotspotCategory, HotspotEntry, HotspotReport } from '@flowlens/exporter/dist/src/analytics/hotspots';

const workspace = testWorkspace('flowlens-hotspots-');

/** Where incidents start in the demo's incident period (exporter/src/demo/traffic.ts INCIDENTS). */
const STORM_START_FRACTION = 38 / 60;
const DEGRADED_START_FRACTION = 45 / 60;

/**
 * An incident period (30 to 60 minutes, so each incident lasts 120 s or more) in which the incident starting at
 * `startFraction` began 2 to 12 s ago: the demo's incidents repeat at `unix time mod period`.
 */
function periodWithIncidentJustStarted(nowSeconds: number, startFraction: number): number {
  for (let period = 1800; period <= 3600; period++) {
    const intoIncident = (nowSeconds % period) - startFraction * period;
    if (intoIncident >= 2 && intoIncident <= 12) return period;
  }
  throw new Error('no incident period puts the incident at the start');
}

const HEADERS = { authorization: 'Bearer hot-s3cret' };

/** `serve` on the demo with 10 s anomaly windows and an api token, at an incident; its base URL. */
async function serveAtIncident(startFraction: number): Promise<{ base: string; exporter: Spawned }> {
  const token = join(workspace.dir(), 'api-token');
  writeFileSync(token, 'hot-s3cret\n');
  const config = join(workspace.dir(), 'hotspots.yaml');
  writeFileSync(config, `api:\n  tokenFile: ${token}\nanomaly:\n  window: 10s\n`);
  const port = await freePort();
  const period = periodWithIncidentJustStarted(Math.floor(Date.now() / 1000), startFraction);
  const exporter = workspace.processes.startFlowlens([
    'serve',
    '--listen',
    `127.0.0.1:${port}`,
    '--config',
    config,
    '--source',
    `demo:interval=5,incident-period=${period}`,
  ]);
  return { base: `http://127.0.0.1:${port}`, exporter };
}

/** The first answer ranking a window in which `category` has entries (the first windows of the incident). */
async function firstRanked(url: string, category: HotspotCategory, exporter: Spawned): Promise<HotspotReport> {
  let report: HotspotReport | undefined;
  // A 10 s window closes once records two windows later arrive: the first incident window is ranked within ~30 s.
  await waitFor(
    async () => {
      const answer = await fetchText(url, { headers: HEADERS });
      if (answer.status !== 200) return false;
      report = JSON.parse(answer.body) as HotspotReport;
      return report.window !== null && (report.categories[category]?.entries.length ?? 0) > 0;
    },
    60_000,
    { description: `a ranked window with ${category} entries`, process: exporter },
  );
  assert.ok(report !== undefined);
  return report;
}

const nameOf = (entry: HotspotEntry | undefined): string => `${entry?.namespace}/${entry?.workload}`;

describe('serve --demo: /api/v1/hotspots', () => {
  test('during the NXDOMAIN storm the storm’s client tops the dns ranking, for callers with the token', async () => {
    const { base, exporter } = await serveAtIncident(STORM_START_FRACTION);
    const url = `${base}/api/v1/hotspots?by=dns,errors&limit=3`;
    const report = await firstRanked(url, 'dns', exporter);
    const dns = report.categories.dns;
    assert.ok(dns !== undefined);
    const top = dns.entries[0];
    assert.equal(nameOf(top), 'shop/shipping', JSON.stringify(dns.entries));
    assert.equal(top?.dashboard, '/d/flowlens-dns?var-namespace=shop&var-workload=shipping');
    const numbers = top?.numbers ?? {};
    assert.ok((numbers['answers'] ?? 0) >= dns.minVolume, 'over the volume guard');
    assert.ok((numbers['failureRatio'] ?? 0) > 0.5, `a storm: ${JSON.stringify(numbers)}`);
    assert.equal(numbers['failureRatio'], top?.value);
    assert.ok(dns.entries.length <= 3, 'limit');
    assert.ok(report.categories.errors !== undefined && report.categories.latency === undefined, 'by');
    const refused = await fetchText(url);
    assert.equal(refused.status, 401);
    assert.doesNotMatch(refused.body, /shipping/);
    const bad = await fetchText(`${base}/api/v1/hotspots?limit=0`, { headers: HEADERS });
    assert.equal(bad.status, 400);
    assert.match(bad.body, /^limit "0"/);
  });

  test('while checkout -> payments-api is degraded: payments-api tops latency, checkout’s denied fallback tops denied, checkout is among the top retransmitters', async () => {
    const { base, exporter } = await serveAtIncident(DEGRADED_START_FRACTION);
    const url = `${base}/api/v1/hotspots?by=latency,denied,retransmissions&limit=3`;
    const report = await firstRanked(url, 'latency', exporter);
    const { latency, denied, retransmissions } = report.categories;
    assert.equal(nameOf(latency?.entries[0]), 'payments/payments-api', JSON.stringify(latency?.entries));
    assert.equal(latency?.entries[0]?.dashboard, '/d/flowlens-http?var-namespace=payments&var-workload=payments-api');
    assert.ok((latency?.entries[0]?.numbers['timedRequests'] ?? 0) >= 20, 'over the volume guard');
    const topDenied = denied?.entries[0];
    assert.equal(nameOf(topDenied), 'shop/checkout', JSON.stringify(denied?.entries));
    assert.equal(topDenied?.dashboard, '/d/flowlens-flows?var-namespace=shop&var-workload=checkout');
    assert.equal(topDenied?.numbers['deniedRatio'], 1, 'the fallback is denied outright');
    const retransmitters = (retransmissions?.entries ?? []).slice(0, 2).map(nameOf);
    assert.ok(retransmitters.includes('shop/checkout'), JSON.stringify(retransmissions?.entries));
  });
});
