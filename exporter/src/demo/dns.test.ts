import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DemoCluster } from './traffic';
import { STORM_CLIENT } from './dns';
import { calicoDnsSource } from '../sources/calico-dns';
import { decodeOne } from '../testing/collect';
import type { DnsRecord } from '../model/dns';

const HOUR = 3600;
const AFTERNOON = Date.UTC(2024, 10, 19) / 1000 + 15 * HOUR;
const cluster = new DemoCluster({ seed: 42 });

/** The window's DNS lines through the real decoder; fails on any line the decoder rejects. */
function decodedWindow(start: number, seconds = 60): DnsRecord[] {
  const decoder = calicoDnsSource.createDecoder();
  return cluster.dnsLinesFor(start, seconds).flatMap((line) => {
    const { sink, error } = decodeOne(decoder, line);
    assert.equal(error, undefined, `the demo wrote a line the decoder rejects: ${line}`);
    return sink.dnsRecords;
  });
}

function total(records: readonly DnsRecord[], predicate: (record: DnsRecord) => boolean): number {
  return records.filter(predicate).reduce((sum, record) => sum + record.count, 0);
}

test('every workload resolves through kube-dns: in-cluster services and external domains', () => {
  const records = decodedWindow(AFTERNOON + 5 * 60);
  assert.ok(records.length > 0);
  for (const record of records) {
    assert.equal(record.server.namespace, 'kube-system');
    assert.match(record.server.pod, /^coredns-/);
    assert.notEqual(record.client.namespace, '');
  }
  assert.ok(total(records, (record) => record.qname.endsWith('.svc.cluster.local') && record.rcode === 'NOERROR') > 0);
  assert.ok(total(records, (record) => !record.qname.endsWith('cluster.local') && record.rcode === 'NOERROR') > 0);
  // ndots:5: external names cost search-path NXDOMAIN answers, but outside the storm they stay a minority.
  const nxdomain = total(records, (record) => record.rcode === 'NXDOMAIN');
  assert.ok(nxdomain > 0 && nxdomain < total(records, () => true));
});

test('the NXDOMAIN storm: the misconfigured client floods non-existent names during its incident only', () => {
  const [namespace, workload] = STORM_CLIENT.split('/');
  const fromStormClient = (record: DnsRecord): boolean =>
    record.client.namespace === namespace &&
    record.client.pod.startsWith(`${workload}-`) &&
    record.rcode === 'NXDOMAIN';
  assert.deepEqual(cluster.incidentsAt(AFTERNOON + 40 * 60), ['shipping-nxdomain-storm']);
  const during = decodedWindow(AFTERNOON + 39 * 60);
  const before = decodedWindow(AFTERNOON + 30 * 60);
  assert.ok(total(during, fromStormClient) > 50 * Math.max(1, total(before, fromStormClient)));
  const names = new Set(during.filter(fromStormClient).map((record) => record.qname));
  assert.ok(names.size >= 40, `${names.size} distinct names`);
});

test('the same seed and window give the same lines', () => {
  const again = new DemoCluster({ seed: 42 });
  assert.deepEqual(again.dnsLinesFor(AFTERNOON, 5), cluster.dnsLinesFor(AFTERNOON, 5));
});
