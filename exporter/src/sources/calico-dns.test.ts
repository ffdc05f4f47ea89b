import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { calicoDnsSource } from './calico-dns';
import { decodeOne, repoRoot } from '../testing/collect';

const fixtureLines = readFileSync(join(repoRoot(), 'test/fixtures/calico-dns.ndjson'), 'utf8').split('\n');
const decode = (line: string): ReturnType<typeof decodeOne> => decodeOne(calicoDnsSource.createDecoder(), line);
const decodeLine = (number: number): ReturnType<typeof decodeOne> => decode(fixtureLines[number - 1]!);

test('a DNS log line: client pod prefix, first server, name, type, code, count and latency in seconds', () => {
  const { sink, error } = decodeLine(1);
  assert.equal(error, undefined);
  const [record] = sink.dnsRecords;
  assert.ok(record);
  assert.equal(record.client.kind, 'pod');
  assert.equal(record.client.namespace, 'shop');
  assert.equal(record.client.pod, 'frontend-7d4b9c8f5-*');
  assert.equal(record.client.workload, '', 'left to the enrich stage');
  assert.equal(record.server.namespace, 'kube-system');
  assert.equal(record.server.pod, 'coredns-5d78c9869d-bx7kq');
  assert.equal(record.server.ip, '10.244.0.3');
  assert.equal(record.qname, 'cart.shop.svc.cluster.local');
  assert.equal(record.qtype, 'A');
  assert.equal(record.rcode, 'NOERROR');
  assert.equal(record.count, 5);
  assert.deepEqual(record.latency, { count: 5, meanSeconds: 0.0004, maxSeconds: 0.0009 });
  assert.equal(record.startTime, Date.parse('2024-11-19T10:00:00Z') / 1000);
  assert.equal(record.endTime, Date.parse('2024-11-19T10:05:00Z') / 1000);
});

test('mixed-case codes, types and names normalize; unix-second times and absent latency are accepted', () => {
  const nx = decodeLine(2).sink.dnsRecords[0];
  assert.equal(nx?.rcode, 'NXDOMAIN');
  assert.equal(nx?.qtype, 'AAAA');
  assert.equal(nx?.qname, 'cart.shop.svc.cluster.local.shop.svc.cluster.local');
  const servfail = decodeLine(3).sink.dnsRecords[0];
  assert.equal(servfail?.rcode, 'SERVFAIL');
  assert.equal(servfail?.client.kind, 'unknown', 'only an IP: the cluster view resolves it');
  assert.equal(servfail?.client.ip, '10.244.3.7');
  assert.equal(servfail?.latency, undefined);
  assert.equal(servfail?.endTime, 1732010700);
});

test('UNLOGGED lines are skipped, not errors', () => {
  const { sink, error } = decodeLine(4);
  assert.equal(error, undefined);
  assert.deepEqual(sink.skips, ['unlogged']);
});

test('bad lines are rejected by reason', () => {
  const reasons = [5, 6, 7, 8, 9, 10].map((number) => decodeLine(number).error?.reason);
  assert.deepEqual(reasons, ['malformed', 'truncated', 'wrong_type', 'missing_field', 'wrong_type', 'wrong_type']);
});

test('wrongly typed fields are rejected, never half-decoded', () => {
  const base = JSON.parse(fixtureLines[0]!) as Record<string, unknown>;
  const cases: [string, unknown][] = [
    ['count', -1],
    ['count', 1.5],
    ['qname', { name: 'x' }],
    ['qtype', 'A A'],
    ['rcode', true],
    ['servers', 'coredns'],
    ['servers', ['coredns']],
    ['latency_count', '5'],
    ['latency_mean', -3],
    ['start_time', 'yesterday'],
    ['start_time', [1]],
    ['client_namespace', ['shop']],
  ];
  for (const [field, value] of cases) {
    const { sink, error } = decode(JSON.stringify({ ...base, [field]: value }));
    assert.equal(error?.reason, 'wrong_type', `${field}: ${JSON.stringify(value)}`);
    assert.equal(sink.dnsRecords.length, 0);
  }
  assert.equal(decode('[1,2,3]').error?.reason, 'malformed', 'a line that is not an object');
  assert.equal(decode(JSON.stringify({ ...base, rcode: undefined })).error?.reason, 'missing_field');
});
