import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hubbleSource } from './hubble';
import { decodeOne, repoRoot } from '../testing/collect';

const fixtureLines = readFileSync(join(repoRoot(), 'test/fixtures/hubble-flows.ndjson'), 'utf8').split('\n');
const decode = (number: number): ReturnType<typeof decodeOne> =>
  decodeOne(hubbleSource.createDecoder(), fixtureLines[number - 1]!);

test('an egress flow between pods with the policy that allowed it', () => {
  const { sink, error } = decode(1);
  assert.equal(error, undefined);
  const [record] = sink.flows;
  assert.ok(record);
  assert.equal(record.action, 'allow');
  assert.equal(record.reporter, 'src');
  assert.equal(record.flows, 1);
  assert.equal(record.flowsStarted, 1);
  assert.equal(record.bytesForward + record.bytesReverse, 0, 'Hubble flows carry no byte counters');
  assert.equal(record.protocol, 'tcp');
  assert.equal(record.destPort, 8080);
  assert.equal(record.source.workload, 'frontend');
  assert.equal(record.source.workloadKind, 'Deployment');
  assert.deepEqual(record.source.labels?.toRecord(), { app: 'frontend', 'io.kubernetes.pod.namespace': 'shop' });
  assert.equal(record.destination.pod, 'cart-5f6d7c8b9d-q4w8z');
  assert.equal(record.destination.workload, '', 'left to the enrich stage');
  assert.equal(record.destination.service, 'cart');
  assert.deepEqual(record.verdict, { policy: 'shop/allow-frontend', tier: 'default' });
  assert.equal(record.startTime, Date.parse('2024-11-19T10:00:00.000Z') / 1000);
});

test('replies are skipped, not counted as new flows', () => {
  const { sink, error } = decode(2);
  assert.equal(error, undefined);
  assert.equal(sink.flows.length, 0);
  assert.deepEqual(sink.skips, ['reply']);
});

test('a policy drop names the denying policy', () => {
  const record = decode(3).sink.flows[0];
  assert.equal(record?.action, 'deny');
  assert.equal(record?.reporter, 'dst');
  assert.deepEqual(record?.verdict, { policy: 'payments/default-deny', tier: 'default' });
  assert.equal(record?.destination.workloadKind, 'StatefulSet');
});

test('world peers and flows without policy information', () => {
  const record = decode(4).sink.flows[0];
  assert.equal(record?.destination.kind, 'world');
  assert.equal(record?.destination.workload, 'world');
  assert.equal(record?.destination.namespace, '');
  assert.deepEqual(record?.verdict, { policy: 'unknown', tier: 'unknown' });
});

test('DNS requests and lost-events notices are skipped with their reason', () => {
  // A DNS query is counted at its RESPONSE event, so its REQUEST event is skipped.
  assert.deepEqual(decode(5).sink.skips, ['dns_request']);
  assert.deepEqual(decode(6).sink.skips, ['lost_events']);
});

test('bad lines are rejected with a reason that names the field', () => {
  const cases: [number, string, RegExp][] = [
    [7, 'wrong_type', /is_reply/],
    [8, 'missing_field', /verdict/],
    [9, 'wrong_type', /verdict/],
    [10, 'wrong_type', /"flow"/],
    [11, 'missing_field', /"flow"/],
    [12, 'wrong_type', /time/],
    [13, 'wrong_type', /destination_port/],
  ];
  for (const [number, reason, message] of cases) {
    const { sink, error } = decode(number);
    assert.equal(sink.flows.length, 0, `line ${number}`);
    assert.equal(error?.reason, reason, `line ${number}: ${error?.message}`);
    assert.match(error?.message ?? '', message, `line ${number}`);
  }
});

test('malformed, truncated and non-object lines are rejected by reason', () => {
  const decoder = hubbleSource.createDecoder();
  const firstLine = fixtureLines[0]!;
  const cases: [string, string][] = [
    [firstLine.slice(0, 200), 'truncated'],
    ['{"flow": {"verdict": FORWARDED}}', 'malformed'],
    ['"just a string"', 'malformed'],
    ['null', 'malformed'],
    [firstLine.replace('"source_port":41234', '"source_port":41234,,'), 'malformed'],
  ];
  for (const [line, reason] of cases) {
    const { sink, error } = decodeOne(decoder, line);
    assert.equal(sink.flows.length, 0, line.slice(0, 40));
    assert.equal(error?.reason, reason, line.slice(0, 40));
  }
  assert.equal(decodeOne(decoder, firstLine).sink.flows.length, 1, 'the decoder still works after bad lines');
});

const dnsLines = readFileSync(join(repoRoot(), 'test/fixtures/hubble-dns.ndjson'), 'utf8').split('\n');
const decodeDns = (number: number): ReturnType<typeof decodeOne> =>
  decodeOne(hubbleSource.createDecoder(), dnsLines[number - 1]!);

test('DNS RESPONSE events are DNS records from the client (destination) to the server (source)', () => {
  const { sink, error } = decodeDns(2);
  assert.equal(error, undefined);
  const [record] = sink.dnsRecords;
  assert.ok(record);
  assert.equal(sink.flows.length, 0, 'not a flow');
  assert.equal(record.client.namespace, 'shop');
  assert.equal(record.client.pod, 'frontend-7d4b9c8f5-x2x7k');
  assert.equal(record.server.namespace, 'kube-system');
  assert.equal(record.server.pod, 'coredns-5d78c9869d-bx7kq');
  assert.equal(record.qname, 'cart.shop.svc.cluster.local');
  assert.equal(record.qtype, 'A');
  assert.equal(record.rcode, 'NOERROR', 'proto3 leaves rcode 0 out');
  assert.equal(record.count, 1);
  assert.equal(record.latency?.meanSeconds, 0.00035);
  const nx = decodeDns(3).sink.dnsRecords[0];
  assert.equal(nx?.rcode, 'NXDOMAIN');
  assert.equal(nx?.qtype, 'AAAA');
  assert.equal(nx?.latency?.meanSeconds, 0.0012);
});

test('DNS and HTTP REQUEST events are skipped so each query or request counts once', () => {
  assert.deepEqual(decodeDns(1).sink.skips, ['dns_request']);
  assert.equal(decodeDns(1).sink.dnsRecords.length, 0);
  assert.deepEqual(decodeDns(6).sink.skips, ['http_request']);
});

test('bad DNS events are rejected by reason', () => {
  assert.equal(decodeDns(4).error?.reason, 'wrong_type');
  assert.equal(decodeDns(5).error?.reason, 'missing_field');
  assert.equal(decodeDns(7).error?.reason, 'wrong_type');
  const response = JSON.parse(dnsLines[1]!) as { flow: { l7: Record<string, unknown> } };
  response.flow.l7['dns'] = 'cart';
  assert.equal(decodeOne(hubbleSource.createDecoder(), JSON.stringify(response)).error?.reason, 'wrong_type');
  response.flow.l7['dns'] = { query: 'x.', qtypes: 'A' };
  assert.equal(decodeOne(hubbleSource.createDecoder(), JSON.stringify(response)).error?.reason, 'wrong_type');
  response.flow.l7['type'] = 'ANSWER';
  response.flow.l7['dns'] = { query: 'x.', qtypes: ['A'] };
  assert.equal(decodeOne(hubbleSource.createDecoder(), JSON.stringify(response)).error?.reason, 'wrong_type');
});
