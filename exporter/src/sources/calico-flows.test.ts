import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { calicoFlowsSource } from './calico-flows';
import { decodeOne, repoRoot } from '../testing/collect';

const fixtureLines = readFileSync(join(repoRoot(), 'test/fixtures/calico-flows.ndjson'), 'utf8').split('\n');
const line = (number: number): string => fixtureLines[number - 1]!;

test('a source-reported pod-to-service flow maps counters to forward/reverse and keeps the policy trace', () => {
  const { sink, error } = decodeOne(calicoFlowsSource.createDecoder(), line(1));
  assert.equal(error, undefined);
  const [record] = sink.flows;
  assert.ok(record);
  assert.equal(record.reporter, 'src');
  assert.equal(record.bytesForward, 3400, 'bytes_out of the source is what it sent');
  assert.equal(record.bytesReverse, 1200);
  assert.equal(record.packetsForward, 20);
  assert.equal(record.flows, 3);
  assert.equal(record.source.kind, 'pod');
  assert.equal(record.source.namespace, 'shop');
  assert.equal(record.source.pod, 'frontend-7d4b9c8f5-*');
  assert.deepEqual(record.source.labels?.toRecord(), { app: 'frontend', 'pod-template-hash': '7d4b9c8f5' });
  assert.equal(record.destination.service, 'cart');
  assert.equal(record.destPort, 8080);
  assert.deepEqual(record.verdict, { policy: 'shop/allow-frontend', tier: 'default' });
  assert.equal(record.enforcedPolicies.length, 2);
  assert.equal(record.pendingPolicies[0]?.staged, true);
  assert.equal(record.pendingPolicies[0]?.name, 'lockdown');
  assert.equal(record.tcp?.meanSmoothRttSeconds, 0.0015);
  assert.equal(record.tcp?.retransmissions, 2);
});

test('a destination-reported flow swaps the counters so forward stays source-to-destination', () => {
  const { sink } = decodeOne(calicoFlowsSource.createDecoder(), line(2));
  const [record] = sink.flows;
  assert.equal(record?.reporter, 'dst');
  assert.equal(record?.bytesForward, 3400);
  assert.equal(record?.bytesReverse, 1200);
  assert.deepEqual(record?.verdict, { policy: 'shop/allow-cart-ingress', tier: 'default' });
  assert.equal(record?.enforcedPolicies[0]?.kind, 'kubernetes');
});

test('non-pod peers: public and private networks have no namespace', () => {
  const denied = decodeOne(calicoFlowsSource.createDecoder(), line(3)).sink.flows[0];
  assert.equal(denied?.destination.kind, 'world');
  assert.equal(denied?.destination.namespace, '');
  assert.deepEqual(denied?.verdict, { policy: 'block-known-bad', tier: 'security' });
  const fromPrivate = decodeOne(calicoFlowsSource.createDecoder(), line(4)).sink.flows[0];
  assert.equal(fromPrivate?.source.kind, 'private');
  assert.deepEqual(fromPrivate?.verdict, { policy: 'payments/default-deny', tier: 'default' });
});

test('a profile-only trace means no policy selected the endpoint', () => {
  const record = decodeOne(calicoFlowsSource.createDecoder(), line(5)).sink.flows[0];
  assert.deepEqual(record?.verdict, { policy: 'none', tier: 'none' });
});

test('staged entries in the enforced trace never decide the verdict', () => {
  const record = decodeOne(calicoFlowsSource.createDecoder(), line(13)).sink.flows[0];
  assert.deepEqual(record?.verdict, { policy: 'payments/allow-checkout', tier: 'default' });
  assert.equal(record?.pendingPolicies[0]?.name, 'new-lockdown');
});

test('bad lines are rejected with a reason that names the problem', () => {
  const cases: [number, string, RegExp][] = [
    [6, 'wrong_type', /bytes_in/],
    [7, 'truncated', /JSON/],
    [8, 'malformed', /JSON/],
    [9, 'malformed', /object/],
    [10, 'missing_field', /num_flows|end_time|reporter/],
    [11, 'wrong_type', /action/],
  ];
  for (const [number, reason, message] of cases) {
    const { sink, error } = decodeOne(calicoFlowsSource.createDecoder(), line(number));
    assert.equal(sink.flows.length, 0, `line ${number} must not produce a record`);
    assert.equal(error?.reason, reason, `line ${number}`);
    assert.match(error?.message ?? '', message, `line ${number}`);
  }
});

test('wrongly typed counters reject the whole record, not part of it', () => {
  const base = JSON.parse(line(1)) as Record<string, unknown>;
  for (const [field, value] of [
    ['bytes_out', -1],
    ['packets_in', 1.5],
    ['num_flows', '3'],
    ['bytes_in', null],
    ['tcp_total_retransmissions', 'many'],
    ['dest_port', 70000],
    ['policies', 'everything'],
  ] as const) {
    const { sink, error } = decodeOne(calicoFlowsSource.createDecoder(), JSON.stringify({ ...base, [field]: value }));
    assert.equal(sink.flows.length, 0, field);
    assert.ok(error, `${field}=${JSON.stringify(value)} must be rejected`);
    if (value !== null) assert.equal(error.reason, 'wrong_type', field);
  }
});

test('a malformed policy entry rejects the record', () => {
  const base = JSON.parse(line(1)) as Record<string, unknown>;
  const { error } = decodeOne(
    calicoFlowsSource.createDecoder(),
    JSON.stringify({ ...base, policies: { enforced_policies: ['0|default|allow'] } }),
  );
  assert.equal(error?.reason, 'malformed');
  assert.match(error?.message ?? '', /index\|tier\|name\|action\|rule/);
});
