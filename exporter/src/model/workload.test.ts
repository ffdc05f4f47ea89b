import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPrivateAddress, workloadFromPodName } from './workload';

test('workloads from pod names and aggregated prefixes', () => {
  const cases: [string, string, string][] = [
    ['frontend-7d4b9c8f5-x2x7k', 'frontend', 'Deployment'],
    ['frontend-7d4b9c8f5-*', 'frontend', 'Deployment'],
    ['payments-api-7b8c9d6f5-*', 'payments-api', 'Deployment'],
    ['ledger-db-0', 'ledger-db', 'StatefulSet'],
    ['kafka-12', 'kafka', 'StatefulSet'],
    ['backup-29012345-bcdfg', 'backup', 'CronJob'],
    ['report-28391234-*', 'report', 'CronJob'],
    ['fluent-bit-x7k2p', 'fluent-bit', ''],
    ['fluent-bit-*', 'fluent-bit', ''],
    ['standalone', 'standalone', ''],
    ['my-pod', 'my-pod', ''],
  ];
  for (const [pod, workload, kind] of cases) {
    assert.deepEqual(workloadFromPodName(pod), { workload, kind }, pod);
  }
});

test('private and public addresses', () => {
  for (const ip of ['10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '100.64.0.1', 'fd00::1', '127.0.0.1']) {
    assert.equal(isPrivateAddress(ip), true, ip);
  }
  for (const ip of [
    '8.8.8.8',
    '172.32.0.1',
    '203.0.113.7',
    '2001:db8::1',
    'not-an-ip',
    '10.1.2',
    '10.1.2.3.4',
    '10.1.2.',
    '1000.1.2.3',
    '10.256.2.3',
    '10.1.2.3x',
    '',
  ]) {
    assert.equal(isPrivateAddress(ip), false, ip);
  }
});
