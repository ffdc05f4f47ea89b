import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DemoCluster, INCIDENTS } from './traffic';
import { calicoL7Source } from '../sources/envoy/sources';
import { decodeOne } from '../testing/collect';
import type { HttpRecord } from '../model/http';

const HOUR = 3600;
const AFTERNOON = Date.UTC(2024, 10, 19) / 1000 + 15 * HOUR;
const cluster = new DemoCluster({ seed: 42 });
const incident = INCIDENTS.find((candidate) => candidate.name === 'checkout-payments-degraded')!;
const incidentStart = AFTERNOON + incident.startFraction * HOUR;
const incidentEnd = AFTERNOON + incident.endFraction * HOUR;

/** The window's L7 lines through the real decoder; fails on any line the decoder rejects. */
function decodedWindow(start: number, seconds = 60): HttpRecord[] {
  const decoder = calicoL7Source.createDecoder();
  return cluster.httpLinesFor(start, seconds).flatMap((line) => {
    const { sink, error } = decodeOne(decoder, line);
    assert.equal(error, undefined, `the demo wrote a line the decoder rejects: ${line}`);
    return sink.httpRecords;
  });
}

function checkoutToPayments(records: readonly HttpRecord[]): { total: number; errors: number; meanSeconds: number } {
  let total = 0;
  let errors = 0;
  let weighted = 0;
  for (const record of records) {
    if (record.source.pod.startsWith('checkout-') && record.destination.service === 'payments-api') {
      total += record.count;
      if (record.statusClass === '5xx') errors += record.count;
      weighted += (record.durationSeconds ?? 0) * record.count;
    }
  }
  return { total, errors, meanSeconds: total === 0 ? 0 : weighted / total };
}

test('the call graph over HTTP and gRPC: services of the topology, aggregated by pod prefix', () => {
  const records = decodedWindow(AFTERNOON + 5 * 60);
  assert.ok(records.length > 0);
  for (const record of records) {
    assert.equal(record.source.kind, 'pod');
    assert.notEqual(record.destination.service, '');
    assert.ok(record.count > 0);
  }
  assert.ok(records.some((record) => record.protocol === 'HTTP/2' && record.method === 'POST'));
  const healthy = checkoutToPayments(records);
  assert.ok(healthy.total > 0);
  assert.ok(healthy.errors / healthy.total < 0.05);
});

test('checkout -> payments-api: a 5xx burst with rising latency during the degradation incident', () => {
  const before = checkoutToPayments(decodedWindow(incidentStart - 5 * 60));
  const early = checkoutToPayments(decodedWindow(incidentStart + 30));
  const late = checkoutToPayments(decodedWindow(incidentEnd - 90));
  const after = checkoutToPayments(decodedWindow(incidentEnd + 5 * 60));
  assert.ok(early.errors / early.total > before.errors / before.total);
  assert.ok(late.errors / late.total > early.errors / early.total);
  assert.ok(late.errors / late.total > 0.2);
  assert.ok(early.meanSeconds > before.meanSeconds * 2);
  assert.ok(late.meanSeconds > early.meanSeconds * 2);
  assert.ok(after.errors / after.total < 0.05);
});

test('same seed and window, same lines', () => {
  assert.deepEqual(cluster.httpLinesFor(AFTERNOON, 5), new DemoCluster({ seed: 42 }).httpLinesFor(AFTERNOON, 5));
});
