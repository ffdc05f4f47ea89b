import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WindowAccumulator, type WindowTotals } from './window-totals';
import { testDnsRecord, testFlowRecord, testHttpRecord } from '../../testing/records';
import { emptyEndpoint, type Endpoint } from '../../model/flow';

function pod(namespace: string, workload: string): Endpoint {
  return { ...emptyEndpoint(), kind: 'pod', namespace, workload };
}

test('records go into the window of their end time; a window closes once a later one has begun', () => {
  const closed: WindowTotals[] = [];
  const accumulator = new WindowAccumulator(60, (window) => closed.push(window), 1);
  const edge = { source: pod('shop', 'frontend'), destination: pod('shop', 'cart') };
  // Both ends report the same 5 flows: the edge counts 5, not 10.
  accumulator.flow(testFlowRecord({ ...edge, endTime: 6030, reporter: 'src', flows: 5, bytesForward: 100 }));
  accumulator.flow(testFlowRecord({ ...edge, endTime: 6040, reporter: 'dst', flows: 5, bytesForward: 100 }));
  accumulator.flow(testFlowRecord({ ...edge, endTime: 6060, reporter: 'src', action: 'deny', flows: 2 }));
  assert.equal(closed.length, 0);
  accumulator.flow(testFlowRecord({ ...edge, endTime: 6090 }));
  assert.equal(closed.length, 0, 'the window after waits for stragglers');
  accumulator.flow(testFlowRecord({ ...edge, endTime: 6150 }));
  assert.equal(closed.length, 1);
  const window = closed[0]!;
  assert.deepEqual([window.start, window.end], [6000, 6060]);
  const totals = window.edges.get('shop/frontend>egress>shop/cart')!;
  assert.deepEqual(totals.flows, [7, 5]);
  assert.deepEqual(totals.denied, [2, 0]);
  assert.equal(totals.sourceIsWorkload, true);
  // A straggler for the closed window is counted as late and left out.
  accumulator.flow(testFlowRecord({ ...edge, endTime: 6010 }));
  assert.equal(accumulator.lateRecords, 1);
  accumulator.flush();
  assert.deepEqual(
    closed.map((each) => each.start),
    [6000, 6060, 6120],
  );
});

test("an edge is told from its cluster workload's side: traffic from outside the cluster is its destination's ingress", () => {
  const closed: WindowTotals[] = [];
  const accumulator = new WindowAccumulator(60, (window) => closed.push(window));
  const nginx = pod('ingress', 'ingress-nginx-controller');
  const badIps: Endpoint = { ...emptyEndpoint(), kind: 'networkset', namespace: '', workload: 'known-bad-ips' };
  const world: Endpoint = { ...emptyEndpoint(), kind: 'world', namespace: '', workload: 'pub' };
  accumulator.flow(testFlowRecord({ source: badIps, destination: nginx, endTime: 30, action: 'deny', flows: 3 }));
  accumulator.flow(testFlowRecord({ source: nginx, destination: badIps, endTime: 30, action: 'deny', flows: 2 }));
  accumulator.flow(testFlowRecord({ source: nginx, destination: pod('shop', 'frontend'), endTime: 30, flows: 4 }));
  // Neither end a workload: told as it goes.
  accumulator.flow(testFlowRecord({ source: world, destination: badIps, endTime: 30, flows: 1 }));
  accumulator.flush();
  const edges = [...closed[0]!.edges.values()].map((edge) => [
    `${edge.namespace}/${edge.workload} ${edge.direction} ${edge.peerNamespace}/${edge.peerWorkload}`,
    edge.sourceIsWorkload,
    Math.max(...edge.flows),
    Math.max(...edge.denied),
  ]);
  assert.deepEqual(edges, [
    ['ingress/ingress-nginx-controller ingress /known-bad-ips', false, 3, 3],
    ['ingress/ingress-nginx-controller egress /known-bad-ips', true, 2, 2],
    ['ingress/ingress-nginx-controller egress shop/frontend', true, 4, 0],
    ['/pub egress /known-bad-ips', false, 1, 0],
  ]);
});

test('DNS errors per client workload, HTTP errors and durations per server workload, retransmissions per reporting end', () => {
  const closed: WindowTotals[] = [];
  const accumulator = new WindowAccumulator(60, (window) => closed.push(window));
  const shipping = pod('shop', 'shipping');
  accumulator.dns(testDnsRecord({ client: shipping, endTime: 10, rcode: 'NXDOMAIN', count: 30 }));
  accumulator.dns(testDnsRecord({ client: shipping, endTime: 20, rcode: 'NOERROR', count: 10 }));
  accumulator.http(
    testHttpRecord({
      source: pod('shop', 'checkout'),
      destination: pod('payments', 'payments-api'),
      startTime: 30,
      durationSeconds: 0.5,
      statusCode: 503,
      statusClass: '5xx',
      count: 4,
    }),
  );
  accumulator.flow(
    testFlowRecord({
      source: pod('shop', 'checkout'),
      destination: pod('payments', 'payments-api'),
      endTime: 40,
      reporter: 'src',
      tcp: {
        meanSmoothRttSeconds: undefined,
        maxSmoothRttSeconds: undefined,
        meanMinRttSeconds: undefined,
        retransmissions: 12,
        lostPackets: undefined,
        unrecoveredTimeouts: undefined,
        meanSendCongestionWindow: undefined,
        meanMss: undefined,
      },
    }),
  );
  accumulator.flush();
  const window = closed[0]!;
  const dns = window.workloads.get('shop/shipping')!;
  assert.deepEqual([dns.dnsAnswers, dns.dnsErrors], [40, 30]);
  const server = window.workloads.get('payments/payments-api')!;
  assert.deepEqual([server.httpRequests, server.httpErrors, server.httpTimed, server.httpDurationSum], [4, 4, 4, 2]);
  assert.equal(window.workloads.get('shop/checkout')!.retransmissions, 12);
});

test('a record from far ahead closes old windows instead of keeping them open', () => {
  const closed: WindowTotals[] = [];
  const accumulator = new WindowAccumulator(60, (window) => closed.push(window), 100, 4);
  for (let minute = 1; minute <= 10; minute++) accumulator.flow(testFlowRecord({ endTime: minute * 60 }));
  assert.ok(closed.length >= 6, String(closed.length));
});
