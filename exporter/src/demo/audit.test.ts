import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DemoCluster } from './traffic';
import { DEMO_USERS } from './audit';
import { AuditDecoder, type AuditSkipReason } from '../sources/audit/decode';
import type { AuditRecord } from '../sources/audit/model';

const HOUR = 3600;
const DAY_START = Date.UTC(2024, 10, 19) / 1000;
const WINDOW = 300;

interface Decoded {
  records: AuditRecord[];
  skipped: Map<AuditSkipReason, number>;
  lines: number;
}

/** The demo's audit lines for [from, to) in windows of `window` seconds, through one real decoder (as the demo does). */
function decodeRange(cluster: DemoCluster, from: number, to: number, window = WINDOW): Decoded {
  const decoder = new AuditDecoder();
  const decoded: Decoded = { records: [], skipped: new Map(), lines: 0 };
  const sink = {
    audit: (record: AuditRecord) => decoded.records.push(record),
    skipped: (reason: AuditSkipReason) => decoded.skipped.set(reason, (decoded.skipped.get(reason) ?? 0) + 1),
  };
  for (let start = from; start < to; start += window) {
    for (const line of cluster.auditLinesFor(start, window)) {
      decoded.lines++;
      decoder.decodeLine(line, sink); // throws on any line the decoder rejects, failing the test
    }
  }
  return decoded;
}

const cluster = new DemoCluster({ seed: 42 });
const day = decodeRange(cluster, DAY_START, DAY_START + 24 * HOUR);

test('a demo day decodes without errors, each request counted once', () => {
  assert.ok(day.records.length > 0);
  assert.equal(day.records.length + (day.skipped.get('counted_at_response_started') ?? 0), day.lines);
  const ids = new Set(day.records.map((record) => record.auditID));
  assert.equal(ids.size, day.records.length, 'no auditID counted twice');
  // Watches and exec sessions are logged at ResponseStarted and again at ResponseComplete: counted at the first.
  assert.ok((day.skipped.get('counted_at_response_started') ?? 0) > 24 * 10);
});

test('a realistic rate: a few requests a second, busier by day than by night', () => {
  const perSecond = day.records.length / (24 * HOUR);
  assert.ok(perSecond > 0.5 && perSecond < 10, `${perSecond.toFixed(2)} requests/s`);
  const count = (hour: number): number =>
    day.records.filter((record) => Math.floor((record.stageTime - DAY_START) / HOUR) === hour).length;
  assert.ok(count(15) > count(3), `15:00 ${count(15)}, 03:00 ${count(3)}`);
});

test('every user kind and every notable kind appears over a day', () => {
  const userKinds = new Set(day.records.map((record) => record.userKind));
  assert.deepEqual([...userKinds].sort(), ['serviceaccount', 'system', 'unauthenticated', 'user']);
  const notable = (predicate: (record: AuditRecord) => boolean): AuditRecord[] => day.records.filter(predicate);
  assert.ok(notable((record) => record.policyChange).length >= 24 * 2);
  assert.ok(notable((record) => record.rbacChange).length >= 24);
  assert.ok(notable((record) => record.podAccess && record.resource === 'pods/exec').length >= 24);
  assert.ok(notable((record) => record.podAccess && record.resource === 'pods/portforward').length >= 24);
  assert.ok(notable((record) => record.denied && record.statusCode === 403 && record.userKind === 'user').length > 0);
  assert.ok(notable((record) => record.denied && record.userKind === 'serviceaccount').length > 0);
  assert.ok(notable((record) => record.denied && record.userKind === 'unauthenticated').length >= 24);
  const verbs = new Set(day.records.map((record) => record.verb));
  for (const verb of ['get', 'list', 'watch', 'update', 'patch', 'create']) assert.ok(verbs.has(verb), verb);
});

test('the staged ledger-db policy is updated a minute before the frontend-to-ledger-db incident', () => {
  const updates = day.records.filter(
    (record) => record.policyChange && record.resource === 'stagednetworkpolicies' && record.namespace === 'payments',
  );
  assert.equal(updates.length, 24, 'once per incident period');
  for (const update of updates) {
    assert.equal(update.userName, DEMO_USERS.paymentsEngineer);
    assert.deepEqual(cluster.incidentsAt(update.stageTime), []);
    assert.deepEqual(cluster.incidentsAt(update.stageTime + 90), ['frontend-to-ledger-db']);
  }
});

test('the compromised service account is refused secrets during the port scan only, and someone execs in', () => {
  const scan = day.records.filter((record) => record.userName === 'system:serviceaccount:shop:recommendations');
  assert.ok(scan.length > 24 * 5, `${scan.length} attempts`);
  for (const record of scan) {
    assert.equal(record.statusCode, 403);
    assert.equal(record.resource, 'secrets');
    assert.ok(cluster.incidentsAt(record.stageTime).includes('recommendations-port-scan'));
  }
  const execs = day.records.filter((record) => record.resource === 'pods/exec');
  for (const exec of execs) {
    assert.equal(exec.stage, 'ResponseStarted');
    assert.match(exec.name, /^recommendations-/);
    assert.ok(cluster.incidentsAt(exec.stageTime).includes('recommendations-port-scan'));
  }
});

test('the same seed and window give the same lines; another seed other lines', () => {
  const at = DAY_START + 15 * HOUR;
  assert.deepEqual(new DemoCluster({ seed: 42 }).auditLinesFor(at, 60), cluster.auditLinesFor(at, 60));
  assert.notDeepEqual(new DemoCluster({ seed: 7 }).auditLinesFor(at, 60), cluster.auditLinesFor(at, 60));
});

test('scheduled and watch requests do not depend on the window boundaries', () => {
  const from = DAY_START + 15 * HOUR;
  // Streams are drawn per window; scheduled requests and watches are placed at fixed times.
  const placed = (decoded: Decoded): string[] =>
    decoded.records
      .filter(
        (record) =>
          record.verb === 'watch' ||
          record.resource === 'leases' ||
          record.policyChange ||
          record.rbacChange ||
          record.podAccess,
      )
      .map((record) => `${record.auditID} ${record.stage} ${record.stageTime}`)
      .sort();
  const coarse = placed(decodeRange(cluster, from, from + HOUR, 600));
  assert.ok(coarse.length > 20);
  assert.deepEqual(placed(decodeRange(cluster, from, from + HOUR, 5)), coarse);
});

test('every 5-second window holds a denied request, so notable series move from the first minute of a serve', () => {
  const from = DAY_START + 3 * HOUR; // night: people are few, the agents keep going
  for (let start = from; start < from + 600; start += 5) {
    const denied = decodeRange(cluster, start, start + 5, 5).records.filter((record) => record.denied);
    assert.ok(denied.length >= 1, `no denial in [${start}, ${start + 5})`);
  }
});
