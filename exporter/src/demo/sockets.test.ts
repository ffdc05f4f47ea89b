import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DemoCluster, INCIDENTS } from './traffic';
import { DemoSockets } from './sockets';
import type { SocketScan } from '../model/sockets';

const PERIOD = 3600;
const incident = INCIDENTS.find((candidate) => candidate.name === 'checkout-payments-degraded')!;
// A day's start, so the hour's phases are the incident fractions.
const HOUR = 1_700_000_000 - (1_700_000_000 % PERIOD);

function retransmitted(scan: SocketScan, workload: string): number {
  return scan.pods
    .filter((pod) => pod.pod.workload === workload)
    .reduce((total, pod) => total + (pod.tcp?.retransmittedSegments ?? 0), 0);
}

function scansOver(from: number, to: number, interval: number): SocketScan[] {
  const cluster = new DemoCluster({ seed: 7, incidentPeriodSeconds: PERIOD });
  const sockets = new DemoSockets(cluster.topology, cluster, 7);
  const scans: SocketScan[] = [];
  for (let end = from + interval; end <= to; end += interval) scans.push(sockets.scanAt(end, interval));
  return scans;
}

test('demo scans name every pod with its workload, listening ports by process and only-growing counters', () => {
  const scans = scansOver(HOUR, HOUR + 600, 60);
  const first = scans[0]!;
  assert.ok(first.pods.length > 20, `${first.pods.length} pods`);
  for (const pod of first.pods) {
    assert.notEqual(pod.pod.namespace, '');
    assert.notEqual(pod.pod.workload, '');
    assert.ok(pod.states.some((state) => state.state === 'established'));
  }
  const checkout = first.pods.find((pod) => pod.pod.workload === 'checkout')!;
  assert.ok(checkout.listening.some((port) => port.process === 'checkout' && port.protocol === 'tcp'));
  for (let i = 1; i < scans.length; i++) {
    for (const pod of scans[i]!.pods) {
      const before = scans[i - 1]!.pods.find((candidate) => candidate.pod.pod === pod.pod.pod)!;
      for (const key of ['retransmittedSegments', 'resetsSent', 'listenOverflows'] as const) {
        assert.ok(pod.tcp![key] >= before.tcp![key], `${pod.pod.pod} ${key} went down`);
      }
    }
  }
});

test('the checkout-payments-degraded incident is a retransmission spike of checkout and payments-api', () => {
  const interval = 60;
  const start = HOUR + incident.startFraction * PERIOD;
  const end = HOUR + incident.endFraction * PERIOD;
  // Five minutes before the incident, then the incident's five minutes.
  const scans = scansOver(start - 300, end, interval);
  const before = retransmitted(scans[4]!, 'checkout') - retransmitted(scans[0]!, 'checkout');
  const during = retransmitted(scans[9]!, 'checkout') - retransmitted(scans[5]!, 'checkout');
  assert.ok(during > before * 20, `checkout retransmitted ${during} in the incident, ${before} before`);
  const overflowsBefore = scans[4]!.pods
    .filter((pod) => pod.pod.workload === 'payments-api')
    .reduce((total, pod) => total + (pod.tcp?.listenOverflows ?? 0), 0);
  const overflowsAfter = scans[9]!.pods
    .filter((pod) => pod.pod.workload === 'payments-api')
    .reduce((total, pod) => total + (pod.tcp?.listenOverflows ?? 0), 0);
  assert.ok(overflowsAfter > overflowsBefore, 'payments-api overflows its accept queue');
  // Others are not degraded.
  const frontendBefore = retransmitted(scans[4]!, 'frontend') - retransmitted(scans[0]!, 'frontend');
  const frontendDuring = retransmitted(scans[9]!, 'frontend') - retransmitted(scans[5]!, 'frontend');
  assert.ok(frontendDuring < Math.max(frontendBefore, 1) * 3, `frontend ${frontendDuring} vs ${frontendBefore}`);
});

test('same seed and windows, same scans', () => {
  assert.deepEqual(scansOver(HOUR, HOUR + 300, 60), scansOver(HOUR, HOUR + 300, 60));
});
