import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endpointAtIp, type Endpoint } from '../../model/flow';
import { testFlowRecord } from '../../testing/records';
import { ObservedFlows } from './observed';

function pod(namespace: string, workload: string, ip: string): Endpoint {
  return { ...endpointAtIp(ip), kind: 'pod', namespace, workload, pod: `${workload}-0` };
}

const FRONTEND = pod('shop', 'frontend', '10.244.1.10');
const CART = pod('shop', 'cart', '10.244.2.20');

test('distinct flows are kept by workload and port; repeats and both reporters count once', () => {
  const observed = new ObservedFlows();
  assert.equal(observed.observe(testFlowRecord({ source: FRONTEND, destination: CART, reporter: 'src' })), 'added');
  assert.equal(observed.observe(testFlowRecord({ source: FRONTEND, destination: CART, reporter: 'dst' })), 'known');
  const otherPod = { ...FRONTEND, pod: 'frontend-1', ip: '10.244.1.11' };
  assert.equal(observed.observe(testFlowRecord({ source: otherPod, destination: CART })), 'known', 'same workload');
  assert.equal(observed.observe(testFlowRecord({ source: FRONTEND, destination: CART, protocol: 'UDP' })), 'added');
  const world = { ...endpointAtIp('198.51.100.7'), kind: 'world' as const, workload: 'world' };
  assert.equal(observed.observe(testFlowRecord({ source: CART, destination: world, destPort: 443 })), 'added');
  assert.deepEqual(observed.flows(), [
    {
      source: { kind: 'workload', namespace: 'shop', workload: 'frontend' },
      destination: { kind: 'workload', namespace: 'shop', workload: 'cart' },
      port: 8080,
      protocol: 'TCP',
    },
    {
      source: { kind: 'workload', namespace: 'shop', workload: 'frontend' },
      destination: { kind: 'workload', namespace: 'shop', workload: 'cart' },
      port: 8080,
      protocol: 'UDP',
    },
    {
      source: { kind: 'workload', namespace: 'shop', workload: 'cart' },
      destination: { kind: 'external', ip: '198.51.100.7' },
      port: 443,
      protocol: 'TCP',
    },
  ]);
});

test('denied flows, flows without a port, ICMP, out-of-range ports and unnamed pods are not observed use', () => {
  const observed = new ObservedFlows();
  const cases = [
    testFlowRecord({ source: FRONTEND, destination: CART, action: 'deny' }),
    testFlowRecord({ source: FRONTEND, destination: CART, destPort: undefined }),
    testFlowRecord({ source: FRONTEND, destination: CART, protocol: 'icmp' }),
    testFlowRecord({ source: FRONTEND, destination: CART, destPort: 0 }),
    testFlowRecord({ source: FRONTEND, destination: CART, destPort: 70000 }),
    testFlowRecord({ source: { ...FRONTEND, workload: '' }, destination: CART }),
    testFlowRecord({ source: endpointAtIp(''), destination: CART }),
  ];
  for (const record of cases) assert.equal(observed.observe(record), 'ignored');
  assert.equal(observed.ignored, cases.length);
  assert.equal(observed.size, 0);
  // Protocol numbers are protocols too.
  assert.equal(observed.observe(testFlowRecord({ source: FRONTEND, destination: CART, protocol: '6' })), 'added');
});

test('the set is bounded: past its budget new flows are dropped and counted, known ones still recognised', () => {
  const observed = new ObservedFlows(100);
  for (let port = 1; port <= 1000; port++) {
    observed.observe(testFlowRecord({ source: FRONTEND, destination: CART, destPort: port }));
  }
  assert.equal(observed.size, 100);
  assert.equal(observed.dropped, 900);
  assert.equal(observed.flows().length, 100);
  assert.equal(observed.observe(testFlowRecord({ source: FRONTEND, destination: CART, destPort: 1 })), 'known');
  assert.equal(observed.observe(testFlowRecord({ source: FRONTEND, destination: CART, destPort: 5000 })), 'dropped');
  assert.equal(observed.dropped, 901);
});
