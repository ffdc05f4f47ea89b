/**
 * `npm run stack` end to end: the demo exporter, a real Prometheus with alerts/flowlens-rules.yml and a real
 * Alertmanager with provisioning's routing tree. The demo's incident period is chosen so that its NXDOMAIN storm
 * (shop/shipping, minutes 38 to 42 of each period) has just begun; the FlowlensDNSNXDomainRatioHigh alert must
 * then reach the webhook receiver this test runs, through the route for warnings, within six minutes.
 */
import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { REPO_ROOT, fetchText, freePort, tail, testWorkspace, waitFor, type Spawned } from './support';

const workspace = testWorkspace('flowlens-stack-');

/** Where the storm sits in the demo's incident period (exporter/src/demo/traffic.ts). */
const STORM_START_FRACTION = 38 / 60;

/**
 * An incident period (at least 20 minutes, so the storm lasts 80 s or more) in which the storm began 2 to 12 s
 * ago: the demo's incidents repeat at `unix time mod period`.
 */
function periodWithStormJustStarted(nowSeconds: number): number {
  for (let period = 1200; period <= 3600; period++) {
    const intoStorm = (nowSeconds % period) - STORM_START_FRACTION * period;
    if (intoStorm >= 2 && intoStorm <= 12) return period;
  }
  throw new Error('no incident period puts the storm at the start');
}

interface Notification {
  path: string;
  status: string;
  alerts: { status: string; labels: Record<string, string>; annotations: Record<string, string> }[];
}

describe('npm run stack', () => {
  const notifications: Notification[] = [];
  let receiver: Server;
  let stack: Spawned;
  let prometheusPort = 0;

  before(async () => {
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Omit<Notification, 'path'>;
        notifications.push({ ...body, path: request.url ?? '' });
        response.end();
      });
    });
    const receiverPort = await freePort();
    await new Promise<void>((resolve) => receiver.listen(receiverPort, '127.0.0.1', resolve));
    prometheusPort = await freePort();
    const period = periodWithStormJustStarted(Math.floor(Date.now() / 1000));
    stack = workspace.processes.start(process.execPath, [
      join(REPO_ROOT, 'scripts', 'stack.mjs'),
      '--exporter-port',
      String(await freePort()),
      '--prometheus-port',
      String(prometheusPort),
      '--alertmanager-port',
      String(await freePort()),
      '--webhook-receiver',
      `http://127.0.0.1:${receiverPort}/`,
      '--incident-period',
      String(period),
      '--data-dir',
      join(workspace.dir(), 'stack'),
    ]);
  });
  after(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

  test('the NXDOMAIN storm’s alert reaches the receiver through Alertmanager', async () => {
    await waitFor(() => stack.stdout.includes('Flowlens stack on loopback'), 30_000, {
      description: 'the stack to print its URLs',
      process: stack,
    });
    assert.match(stack.stdout, new RegExp(`prometheus +http://127\\.0\\.0\\.1:${prometheusPort}/`));
    await waitFor(async () => (await fetchText(`http://127.0.0.1:${prometheusPort}/-/ready`)).status === 200, 60_000, {
      description: 'the stack’s Prometheus to be ready',
      process: stack,
    });
    const storm = (notification: Notification): boolean =>
      notification.alerts.some(
        (alert) =>
          alert.status === 'firing' &&
          alert.labels['alertname'] === 'FlowlensDNSNXDomainRatioHigh' &&
          alert.labels['client_namespace'] === 'shop' &&
          alert.labels['client_workload'] === 'shipping',
      );
    try {
      await waitFor(() => notifications.some(storm), 6 * 60_000, {
        description: 'FlowlensDNSNXDomainRatioHigh for shop/shipping at the webhook receiver',
        process: stack,
        intervalMs: 1000,
      });
    } catch (error) {
      const seen = notifications.flatMap((n) => n.alerts.map((alert) => `${n.path} ${alert.labels['alertname']}`));
      throw new Error(`${String(error)}\nnotifications: ${seen.join(', ') || 'none'}\nstack: ${tail(stack.stdout)}`);
    }
    const notification = notifications.find(storm)!;
    // A warning about a shop workload takes the default route: the platform channel.
    assert.equal(notification.path, '/platform');
    const alert = notification.alerts.find(
      (candidate) => candidate.labels['alertname'] === 'FlowlensDNSNXDomainRatioHigh',
    )!;
    assert.equal(alert.labels['severity'], 'warning');
    assert.match(alert.annotations['description'] ?? '', /of the DNS queries of shop\/shipping answer NXDOMAIN/);
    assert.match(alert.annotations['runbook_url'] ?? '', /docs\/runbooks\/FlowlensDNSNXDomainRatioHigh\.md$/);

    stack.child.kill('SIGTERM');
    const exit = await stack.exited;
    assert.equal(exit.code, 0, `the stack stops cleanly on SIGTERM: ${tail(stack.stderr)}`);
  });
});
