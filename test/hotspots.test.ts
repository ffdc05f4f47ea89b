/**
 * `flowlens serve --demo` with an api token: during the demo's NXDOMAIN storm (shop/shipping, minutes 38 to 42 of
 * each incident period) `/api/v1/hotspots` names shop/shipping first under dns, with the numbers behind it and a link
 * to the DNS dashboard; without the token it is a 401. The incident period is chosen so that the storm has just begun
 * and lasts 120 s or more, as in stack.test.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fetchText, freePort, testWorkspace, waitFor } from './support';
import type { HotspotReport } from '@flowlens/exporter/dist/src/analytics/hotspots';

const workspace = testWorkspace('flowlens-hotspots-');

/** Where the storm sits in the demo's incident period (exporter/src/demo/traffic.ts). */
const STORM_START_FRACTION = 38 / 60;

function periodWithStormJustStarted(nowSeconds: number): number {
  for (let period = 1800; period <= 3600; period++) {
    const intoStorm = (nowSeconds % period) - STORM_START_FRACTION * period;
    if (intoStorm >= 2 && intoStorm <= 12) return period;
  }
  throw new Error('no incident period puts the storm at the start');
}

describe('serve --demo: /api/v1/hotspots', () => {
  test('during the NXDOMAIN storm the storm’s client tops the dns ranking, for callers with the token', async () => {
    const token = join(workspace.dir(), 'api-token');
    writeFileSync(token, 'hot-s3cret\n');
    const config = join(workspace.dir(), 'hotspots.yaml');
    writeFileSync(config, `api:\n  tokenFile: ${token}\nanomaly:\n  window: 10s\n`);
    const port = await freePort();
    const period = periodWithStormJustStarted(Math.floor(Date.now() / 1000));
    const exporter = workspace.processes.startFlowlens([
      'serve',
      '--listen',
      `127.0.0.1:${port}`,
      '--config',
      config,
      '--source',
      `demo:interval=5,incident-period=${period}`,
    ]);
    const url = `http://127.0.0.1:${port}/api/v1/hotspots?by=dns,errors&limit=3`;
    const headers = { authorization: 'Bearer hot-s3cret' };
    let report: HotspotReport | undefined;
    // A 10 s window closes once records two windows later arrive: the first storm window is ranked within ~30 s.
    await waitFor(
      async () => {
        const answer = await fetchText(url, { headers });
        if (answer.status !== 200) return false;
        report = JSON.parse(answer.body) as HotspotReport;
        return (report.categories.dns?.entries.length ?? 0) > 0 && report.window !== null;
      },
      60_000,
      { description: 'a ranked window with DNS answers', process: exporter },
    );
    const dns = report?.categories.dns;
    assert.ok(dns !== undefined);
    const top = dns.entries[0];
    assert.equal(`${top?.namespace}/${top?.workload}`, 'shop/shipping', JSON.stringify(dns.entries));
    assert.equal(top?.dashboard, '/d/flowlens-dns?var-namespace=shop&var-workload=shipping');
    const numbers = top?.numbers ?? {};
    assert.ok((numbers['answers'] ?? 0) >= dns.minVolume, 'over the volume guard');
    assert.ok((numbers['failureRatio'] ?? 0) > 0.5, `a storm: ${JSON.stringify(numbers)}`);
    assert.equal(numbers['failureRatio'], top?.value);
    assert.ok(dns.entries.length <= 3, 'limit');
    assert.ok(report?.categories.errors !== undefined && report.categories.latency === undefined, 'by');
    const refused = await fetchText(url);
    assert.equal(refused.status, 401);
    assert.doesNotMatch(refused.body, /shipping/);
    const bad = await fetchText(`http://127.0.0.1:${port}/api/v1/hotspots?limit=0`, { headers });
    assert.equal(bad.status, 400);
    assert.match(bad.body, /^limit "0"/);
  });
});
