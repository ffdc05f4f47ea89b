import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FlowRecord } from '../../model/flow';
import { parseConntrackEntry } from './grammar';
import { parseCidr, type Cidr } from '../../policy/kubernetes/cidr';
import { ConnectionTable, type PollSummary } from './table';

interface Connection {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  /** The reply's source when a DNAT changed the destination. */
  realDst?: string;
  realPort?: number;
  counters?: [number, number, number, number];
}

/** An nf_conntrack line for a TCP connection; counters are packets and bytes forward, then reverse. */
function line({ src, dst, sport, dport, realDst, realPort, counters }: Connection): string {
  const [pf, bf, pr, br] = counters ?? [0, 0, 0, 0];
  const forward = counters === undefined ? '' : ` packets=${pf} bytes=${bf}`;
  const reverse = counters === undefined ? '' : ` packets=${pr} bytes=${br}`;
  return `ipv4     2 tcp      6 300 ESTABLISHED src=${src} dst=${dst} sport=${sport} dport=${dport}${forward} src=${realDst ?? dst} dst=${src} sport=${realPort ?? dport} dport=${sport}${reverse} [ASSURED] mark=0 zone=0 use=2`;
}

function poll(table: ConnectionTable, at: number, connections: Connection[]): [FlowRecord[], PollSummary] {
  const records: FlowRecord[] = [];
  const emit = (record: FlowRecord): number => records.push(record);
  table.beginPoll(at);
  for (const connection of connections) table.observe(parseConntrackEntry(line(connection)), emit);
  return [records, table.finishPoll(emit)];
}

const A = { src: '10.0.1.2', dst: '10.0.2.2', sport: 40000, dport: 8080 };
const B = { src: '10.0.1.3', dst: '10.0.2.2', sport: 40001, dport: 8080 };

function counts(record: FlowRecord): number[] {
  return [record.packetsForward, record.bytesForward, record.packetsReverse, record.bytesReverse];
}

/** A table with the source's test defaults (10 connections, reporter dst, no node, count existing, no local CIDRs). */
function newTable(options: Partial<ConstructorParameters<typeof ConnectionTable>[0]> = {}): ConnectionTable {
  return new ConnectionTable({
    maxConnections: 10,
    reporter: 'dst',
    node: '',
    countExisting: true,
    localCidrs: [],
    ...options,
  });
}

test('connections already in the table at the first poll count as flows, not as started, with their bytes so far', () => {
  const table = newTable({ node: 'n1' });
  const [records, summary] = poll(table, 100, [{ ...A, counters: [3, 300, 2, 200] }]);
  assert.equal(records.length, 1);
  const [record] = records;
  assert.deepEqual(
    [record?.flows, record?.flowsStarted, record?.flowsCompleted, record?.source.ip, record?.destination.ip],
    [1, 0, 0, '10.0.1.2', '10.0.2.2'],
  );
  assert.deepEqual(counts(record!), [3, 300, 2, 200]);
  assert.deepEqual([record?.action, record?.reporter, record?.destPort, record?.node], ['allow', 'dst', 8080, 'n1']);
  assert.equal(record?.verdict.policy, 'unknown', 'the policy stage decides');
  assert.deepEqual(summary, { entries: 1, tracked: 1, untracked: 0, started: 0, completed: 0, accounting: true });
});

test('without countExisting (serve) the first poll is a baseline: only what connections carry later counts', () => {
  const table = newTable({ countExisting: false });
  const [baseline, summary] = poll(table, 100, [{ ...A, counters: [3, 300, 2, 200] }]);
  assert.deepEqual(baseline, []);
  assert.deepEqual([summary.tracked, summary.started], [1, 0]);
  const [later] = poll(table, 110, [
    { ...A, counters: [4, 350, 3, 250] },
    { ...B, counters: [1, 60, 1, 40] },
  ]);
  assert.deepEqual(
    later.map((record) => [record.source.ip, record.flows, record.flowsStarted, ...counts(record)]),
    [
      [A.src, 0, 0, 1, 50, 1, 50],
      [B.src, 1, 1, 1, 60, 1, 40],
    ],
  );
});

test('later polls emit new connections as started, deltas of known ones, and ended ones as completed', () => {
  const table = newTable({ reporter: 'src' });
  poll(table, 100, [{ ...A, counters: [3, 300, 2, 200] }]);
  const [second, secondSummary] = poll(table, 110, [
    { ...A, counters: [5, 700, 3, 260] },
    { ...B, counters: [1, 60, 0, 0] },
  ]);
  assert.equal(second.length, 2);
  const delta = second.find((record) => record.source.ip === A.src)!;
  assert.deepEqual([delta.flows, delta.flowsStarted, delta.startTime, delta.endTime], [0, 0, 100, 110]);
  assert.deepEqual(counts(delta), [2, 400, 1, 60]);
  const started = second.find((record) => record.source.ip === B.src)!;
  assert.deepEqual([started.flows, started.flowsStarted], [1, 1]);
  assert.deepEqual(counts(started), [1, 60, 0, 0]);
  assert.equal(secondSummary.started, 1);

  // Nothing moved on B and A is gone: ended once it has been missing for two polls.
  const [third, thirdSummary] = poll(table, 120, [{ ...B, counters: [1, 60, 0, 0] }]);
  assert.deepEqual(third, []);
  assert.deepEqual([thirdSummary.completed, thirdSummary.tracked], [0, 2]);
  const [fourth, fourthSummary] = poll(table, 130, [{ ...B, counters: [1, 60, 0, 0] }]);
  assert.equal(fourth.length, 1);
  assert.deepEqual(
    [fourth[0]?.source.ip, fourth[0]?.flows, fourth[0]?.flowsCompleted, ...counts(fourth[0]!)],
    [A.src, 0, 1, 0, 0, 0, 0],
  );
  assert.deepEqual([fourthSummary.completed, fourthSummary.tracked], [1, 1]);
});

test('a connection a read skipped once is not ended, and its bytes are not counted twice', () => {
  const table = newTable();
  poll(table, 100, [{ ...A, counters: [3, 300, 2, 200] }]);
  const [skipped] = poll(table, 110, []);
  assert.deepEqual(skipped, []);
  const [records, summary] = poll(table, 120, [{ ...A, counters: [4, 400, 3, 300] }]);
  assert.deepEqual(
    records.map((record) => [record.flows, record.flowsStarted, record.flowsCompleted, ...counts(record)]),
    [[0, 0, 0, 1, 100, 1, 100]],
  );
  assert.equal(summary.completed, 0);
});

test('counters going backwards are a new connection on a reused tuple', () => {
  const table = newTable();
  poll(table, 100, [{ ...A, counters: [30, 3000, 20, 2000] }]);
  const [records, summary] = poll(table, 110, [{ ...A, counters: [2, 120, 1, 60] }]);
  assert.deepEqual(
    records.map((record) => [record.flows, record.flowsStarted, record.flowsCompleted, ...counts(record)]),
    [
      [0, 0, 1, 0, 0, 0, 0],
      [1, 1, 0, 2, 120, 1, 60],
    ],
  );
  assert.deepEqual([summary.started, summary.completed, summary.tracked], [1, 1, 1]);
});

test('a DNATed connection goes to the real destination and port, and keeps the dialled service IP', () => {
  const table = newTable();
  const [[record]] = poll(table, 100, [
    { ...A, dst: '10.96.0.10', dport: 80, realDst: '10.0.2.7', realPort: 8080, counters: [1, 1, 1, 1] },
  ]);
  assert.deepEqual([record?.destination.ip, record?.destPort, record?.dialledIp], ['10.0.2.7', 8080, '10.96.0.10']);
  const [[direct]] = poll(table, 110, [{ ...B, counters: [1, 1, 1, 1] }]);
  assert.equal(direct?.dialledIp, undefined, 'no translation, no dialled IP');
});

test('without accounting, connections still start and end, and the summary says accounting is off', () => {
  const table = newTable();
  poll(table, 100, []);
  const [records, summary] = poll(table, 110, [A]);
  assert.deepEqual(
    records.map((record) => [record.flows, record.flowsStarted, ...counts(record)]),
    [[1, 1, 0, 0, 0, 0]],
  );
  assert.equal(summary.accounting, false);
  const [, empty] = poll(table, 120, []);
  assert.equal(empty.accounting, undefined, 'an empty poll cannot tell');
  const [ended] = poll(table, 130, []);
  assert.deepEqual(
    ended.map((record) => [record.flowsCompleted, ...counts(record)]),
    [[1, 0, 0, 0, 0]],
  );
});

test('a table past its budget counts what it can and reports the rest as untracked', () => {
  const max = 100;
  const table = newTable({ maxConnections: max });
  const flood: Connection[] = [];
  for (let i = 0; i < 1000; i++) {
    flood.push({
      src: `10.1.${i >> 8}.${i & 255}`,
      dst: '10.0.2.2',
      sport: 1024 + i,
      dport: 443,
      counters: [1, 100, 1, 100],
    });
  }
  const [records, summary] = poll(table, 100, flood);
  assert.equal(records.length, max);
  assert.deepEqual([summary.tracked, summary.untracked, summary.entries], [max, 900, 1000]);
  assert.equal(table.size, max);
  // The tracked ones keep their deltas; the untracked ones are not counted again, nor later as new.
  const grown = flood.map((connection) => ({
    ...connection,
    counters: [2, 200, 2, 200] as [number, number, number, number],
  }));
  const [again, againSummary] = poll(table, 110, grown);
  assert.equal(again.length, max);
  assert.ok(again.every((record) => record.flows === 0 && record.bytesForward === 100));
  assert.equal(againSummary.untracked, 900);
  // Connections that end make room, for the poll after they are known to have ended.
  const [, missing] = poll(table, 120, grown.slice(500));
  assert.deepEqual([missing.completed, missing.tracked, missing.untracked], [0, max, 500]);
  const [, drained] = poll(table, 130, grown.slice(500));
  assert.deepEqual([drained.completed, drained.tracked, drained.untracked], [max, 0, 500]);
  const [refilled, refilledSummary] = poll(table, 140, grown.slice(500));
  assert.deepEqual([refilledSummary.started, refilledSummary.tracked, refilledSummary.untracked], [max, max, 400]);
  assert.equal(refilled.length, max);
});

test('an entry listed twice in one read is counted once', () => {
  const table = newTable();
  const [records, summary] = poll(table, 100, [
    { ...A, counters: [1, 10, 1, 10] },
    { ...A, counters: [1, 10, 1, 10] },
  ]);
  assert.equal(records.length, 1);
  assert.equal(summary.tracked, 1);
});

test('with the node’s pod CIDRs, each local end reports: the source, the destination, or both', () => {
  const local: Cidr[] = ['10.0.1.0/24', '10.0.3.0/24'].map((text) => parseCidr(text)!);
  const table = newTable({ localCidrs: local });
  const reporters = (records: FlowRecord[]): string[][] =>
    records.map((record) => [record.source.ip, record.reporter, String(record.bytesForward)]);
  const [first] = poll(table, 100, [
    { ...A, counters: [1, 10, 1, 10] }, // 10.0.1.2 (local) to 10.0.2.2 (remote)
    { src: '10.0.2.9', dst: '10.0.1.7', sport: 5000, dport: 80, counters: [1, 20, 1, 20] }, // remote to local
    { src: '10.0.1.4', dst: '10.0.3.4', sport: 5001, dport: 80, counters: [1, 30, 1, 30] }, // local to local
    { src: '192.0.2.1', dst: '192.0.2.2', sport: 5002, dport: 80, counters: [1, 40, 1, 40] }, // neither: the default
  ]);
  assert.deepEqual(reporters(first), [
    ['10.0.1.2', 'src', '10'],
    ['10.0.2.9', 'dst', '20'],
    ['10.0.1.4', 'src', '30'],
    ['10.0.1.4', 'dst', '30'],
    ['192.0.2.1', 'dst', '40'],
  ]);
  assert.notEqual(first[2], first[3], 'two records, not one object twice');
  poll(table, 110, []);
  const [ended] = poll(table, 120, []);
  assert.equal(ended.filter((record) => record.flowsCompleted === 1).length, 5, 'each reporting end sees it end');
});
