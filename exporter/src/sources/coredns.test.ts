import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { corednsSource, tokenizeCorednsLine } from './coredns';
import { decodeOne, repoRoot } from '../testing/collect';

const fixtureLines = readFileSync(join(repoRoot(), 'test/fixtures/coredns.log'), 'utf8').split('\n');
const decode = (line: string): ReturnType<typeof decodeOne> => decodeOne(corednsSource.createDecoder(), line);
const decodeLine = (number: number): ReturnType<typeof decodeOne> => decode(fixtureLines[number - 1]!);

test('the tokenizer splits the level tag, words and the quoted question', () => {
  const { timestamp, tokens, unterminated } = tokenizeCorednsLine(fixtureLines[5]!);
  assert.equal(timestamp, '2024-11-19T10:00:05.123456789Z');
  assert.equal(unterminated, false);
  assert.deepEqual(
    tokens.map((token) => token.text),
    [
      '10.244.3.7:40000',
      '-',
      '1',
      'A IN api.example.com.data.svc.cluster.local. udp 60 false 512',
      'NXDOMAIN',
      'qr,aa,rd',
      '150',
      '0.0005s',
    ],
  );
});

test('a query line: client address, name, type, code and duration; the server is CoreDNS', () => {
  const { sink, error } = decodeLine(4);
  assert.equal(error, undefined);
  const [record] = sink.dnsRecords;
  assert.ok(record);
  assert.equal(record.client.ip, '10.244.1.10');
  assert.equal(record.client.workload, '', 'left to the enrich stage');
  assert.equal(record.server.namespace, 'kube-system');
  assert.equal(record.server.workload, 'coredns');
  assert.equal(record.qname, 'cart.shop.svc.cluster.local');
  assert.equal(record.qtype, 'A');
  assert.equal(record.rcode, 'NOERROR');
  assert.equal(record.count, 1);
  assert.deepEqual(record.latency, { count: 1, meanSeconds: 0.000123, maxSeconds: 0.000123 });
  assert.equal(record.endTime, 0, 'the default format has no time');
});

test('timestamps, IPv6 clients and other codes', () => {
  const nx = decodeLine(6).sink.dnsRecords[0];
  assert.equal(nx?.rcode, 'NXDOMAIN');
  assert.equal(nx?.endTime, Date.parse('2024-11-19T10:00:05.123Z') / 1000);
  const servfail = decodeLine(7).sink.dnsRecords[0];
  assert.equal(servfail?.client.ip, 'fd00::10');
  assert.equal(servfail?.qname, 'example.com');
  assert.equal(servfail?.rcode, 'SERVFAIL');
  assert.equal(servfail?.latency?.meanSeconds, 1.5);
});

test('lines that are not queries are skipped, not errors', () => {
  for (const number of [1, 2, 3, 8]) {
    const { sink, error } = decodeLine(number);
    assert.equal(error, undefined, `line ${number}`);
    assert.deepEqual(sink.skips, ['not_query'], `line ${number}`);
  }
  for (const line of ['', '[INFO]', '[WARNING] No files matching import glob pattern', '10.0.0.1:53 is up']) {
    assert.deepEqual(decode(line).sink.skips, ['not_query'], line);
  }
});

test('malformed query lines are errors by reason', () => {
  const reasons = [9, 10, 11, 12, 13, 14].map((number) => decodeLine(number).error?.reason);
  assert.deepEqual(reasons, ['truncated', 'truncated', 'wrong_type', 'wrong_type', 'malformed', 'malformed']);
  const query = fixtureLines[3]!;
  assert.equal(decode(`${query} extra`).error?.reason, 'malformed');
  assert.equal(decode(query.replace('"A IN', '"A B IN')).error?.reason, 'malformed');
  assert.equal(decode(query.replace('"A IN', '"A;B IN')).error?.reason, 'wrong_type');
  assert.equal(decode(query.replace(' 106 ', ' many ')).error?.reason, 'wrong_type');
  assert.equal(decode(query.replace('NOERROR', '"NOERROR"')).error?.reason, 'wrong_type');
});

test('durations in every unit CoreDNS prints, and remote addresses that are no address', () => {
  const query = fixtureLines[3]!;
  const seconds = (duration: string): number | undefined =>
    decode(query.replace('0.000123s', duration)).sink.dnsRecords[0]?.latency?.meanSeconds;
  assert.equal(seconds('2s'), 2);
  assert.equal(seconds('1.5ms'), 1.5 * 1e-3);
  assert.equal(seconds('250µs'), 250 * 1e-6);
  assert.equal(seconds('250us'), 250 * 1e-6);
  assert.equal(seconds('40ns'), 40 * 1e-9);
  assert.equal(seconds('2m'), 120);
  for (const duration of ['1.s', '.5s', '5', '5h', '5sec', '-1s']) {
    assert.equal(decode(query.replace('0.000123s', duration)).error?.reason, 'wrong_type', duration);
  }
  for (const remote of ['10.244.1.10:123456', '10.244.1.1000:53', '10.244.1:53', '[fd00::g]:53', '[]:53', 'host:53']) {
    assert.deepEqual(decode(query.replace('10.244.1.10:52311', remote)).sink.skips, ['not_query'], remote);
  }
  assert.equal(
    decode(query.replace('10.244.1.10:52311', '[FD00::a:1.2.3.4]:1')).sink.dnsRecords[0]?.client.ip,
    'FD00::a:1.2.3.4',
  );
});

test('the same name in any spelling normalizes alike, line after line', () => {
  const decoder = corednsSource.createDecoder();
  const query = fixtureLines[3]!;
  const first = decodeOne(decoder, query).sink.dnsRecords[0];
  const again = decodeOne(decoder, query.replace('cart.shop', 'Cart.Shop')).sink.dnsRecords[0];
  assert.equal(first?.qname, 'cart.shop.svc.cluster.local');
  assert.equal(again?.qname, 'cart.shop.svc.cluster.local');
});
