import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_DEMO_OPTIONS,
  REPLAY_SECONDS,
  createDemoSource,
  demoSource,
  parseDemoArgument,
  type DemoClock,
} from './source';
import { calicoFlowsSource } from '../sources/calico-flows';
import { calicoDnsSource } from '../sources/calico-dns';
import { calicoL7Source } from '../sources/envoy/sources';
import { auditSource } from '../sources/audit/source';
import type { AuditRecord } from '../sources/audit/model';
import type { GeneratorContext, RecordSink } from '../sources/types';
import type { FlowRecord } from '../model/flow';
import type { DnsRecord } from '../model/dns';
import type { HttpRecord } from '../model/http';
import { MemoryLogger } from '../log';
import type { SocketScan } from '../model/sockets';
import { DemoCluster } from './traffic';
import { DemoSockets } from './sockets';

/** A clock the test moves by hand; scheduled callbacks run only when the test says so. */
class ManualClock implements DemoClock {
  private pending: { callback: () => void; dueMs: number; cancelled: boolean }[] = [];

  constructor(public nowMs: number) {}

  now(): number {
    return this.nowMs;
  }

  schedule(callback: () => void, delayMs: number): () => void {
    const timer = { callback, dueMs: this.nowMs + delayMs, cancelled: false };
    this.pending.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  get scheduled(): number {
    return this.pending.filter((timer) => !timer.cancelled).length;
  }

  /** Moves to the next timer's due time and runs it. */
  fireNext(): void {
    const next = this.pending.filter((timer) => !timer.cancelled).sort((left, right) => left.dueMs - right.dueMs)[0];
    assert.ok(next !== undefined, 'no timer scheduled');
    this.pending = this.pending.filter((timer) => timer !== next);
    this.nowMs = Math.max(this.nowMs, next.dueMs);
    next.callback();
  }
}

interface FedLine {
  kind: string;
  line: string;
}

function recordingContext(mode: GeneratorContext['mode']): { context: GeneratorContext; fed: FedLine[] } {
  const fed: FedLine[] = [];
  const sink: RecordSink = {
    flow: () => undefined,
    dns: () => undefined,
    http: () => undefined,
    audit: () => undefined,
    sockets: () => undefined,
    skipped: () => undefined,
  };
  return {
    fed,
    context: {
      sink,
      mode,
      feedLine: (kind, line) => fed.push({ kind, line }),
      rejected: () => undefined,
      gauge: () => undefined,
      logger: new MemoryLogger(),
    },
  };
}

/** Unix seconds: flow logs write numbers, DNS logs RFC 3339 text. */
function seconds(time: number | string): number {
  return typeof time === 'number' ? time : Date.parse(time) / 1000;
}

/**
 * Distinct [start, end) windows of the fed lines (flow, DNS and L7 logs alike), in order of first appearance. Audit
 * events carry no window, only their own times: they are checked separately.
 */
function windowsOf(fed: readonly FedLine[]): [number, number][] {
  const seen = new Map<string, [number, number]>();
  for (const { kind, line } of fed) {
    if (kind === 'audit') continue;
    const record = JSON.parse(line) as { start_time: number | string; end_time: number | string };
    const start = seconds(record.start_time);
    seen.set(`${start}`, [start, seconds(record.end_time)]);
  }
  return [...seen.values()];
}

/** 2025-06-10 15:00:02.500 UTC: deliberately between two 5-second boundaries. */
const START_MS = Date.UTC(2025, 5, 10, 15, 0, 2, 500);
const START_SECONDS = Math.floor(START_MS / 1000);

test('the argument is optional and takes seed, interval and incident-period', () => {
  assert.deepEqual(parseDemoArgument(''), DEFAULT_DEMO_OPTIONS);
  assert.deepEqual(parseDemoArgument('seed=7, interval=10 ,incident-period=600'), {
    seed: 7,
    intervalSeconds: 10,
    incidentPeriodSeconds: 600,
  });
  assert.deepEqual(parseDemoArgument('interval=2,'), { ...DEFAULT_DEMO_OPTIONS, intervalSeconds: 2 });
});

test('bad arguments fail with a message naming the key and the fix', () => {
  const cases: [string, RegExp][] = [
    ['bogus=1', /unknown option "bogus".*seed=N/],
    ['seed=abc', /"seed" must be a whole number.*e\.g\. seed=42/],
    ['seed=-3', /"seed" must be/],
    ['interval=0', /"interval" must be whole seconds from 1.*interval=5/],
    ['interval=2.5', /"interval"/],
    ['incident-period=10', /"incident-period" must be whole seconds from 60/],
    ['seed', /"seed" needs a value/],
    ['seed=1,seed=2', /"seed" is given twice/],
  ];
  for (const [argument, message] of cases) {
    assert.throws(() => parseDemoArgument(argument), message, argument);
    assert.throws(() => demoSource.create(argument, recordingContext('serve').context), message, argument);
  }
});

test('demoSource is the generator kind "demo"', () => {
  assert.equal(demoSource.kind, 'demo');
  assert.equal(demoSource.input, 'generator');
  assert.ok(demoSource.description.length > 0);
});

test('serve emits the window ending now at start, then aligned windows until stopped', async () => {
  const clock = new ManualClock(START_MS);
  const { context, fed } = recordingContext('serve');
  const source = createDemoSource('seed=3,interval=5', context, clock);
  await source.start();
  assert.ok(fed.length > 0, 'lines at once');
  assert.ok(
    fed.every(({ kind }) => ['calico-flows', 'calico-dns', 'calico-l7', 'audit'].includes(kind)),
    'only the four kinds',
  );
  assert.ok(
    fed.some(({ kind }) => kind === 'calico-dns'),
    'DNS log lines too',
  );
  assert.ok(
    fed.some(({ kind }) => kind === 'calico-l7'),
    'L7 log lines too',
  );
  assert.ok(
    fed.some(({ kind }) => kind === 'audit'),
    'audit events too',
  );
  assert.deepEqual(windowsOf(fed), [[START_SECONDS - 5, START_SECONDS]]);
  // The audit log starts with its last hour (as a tailer reading an existing log does), then follows the windows.
  const auditTimes = fed
    .filter(({ kind }) => kind === 'audit')
    .map(({ line }) => Date.parse((JSON.parse(line) as { stageTimestamp: string }).stageTimestamp) / 1000);
  assert.ok(auditTimes.every((time) => time >= START_SECONDS - 5 - 3600 && time < START_SECONDS));
  assert.ok(auditTimes.some((time) => time < START_SECONDS - 3000));
  assert.ok(auditTimes.some((time) => time >= START_SECONDS - 5));

  fed.length = 0;
  clock.fireNext();
  // The first boundary after the start closes a short window, so windows never overlap or leave gaps.
  const firstBoundary = Math.ceil(START_SECONDS / 5) * 5;
  assert.deepEqual(windowsOf(fed), [[START_SECONDS, firstBoundary]]);
  fed.length = 0;
  clock.fireNext();
  assert.deepEqual(windowsOf(fed), [[firstBoundary, firstBoundary + 5]]);

  await source.stop();
  assert.equal(clock.scheduled, 0, 'stop() clears the timer');
});

test('serve starts with an hour of audit history holding every kind of notable request', async () => {
  const clock = new ManualClock(START_MS);
  const { context, fed } = recordingContext('serve');
  const source = createDemoSource('seed=3,interval=5', context, clock);
  await source.start();
  await source.stop();
  const decoder = auditSource.createDecoder();
  const records: AuditRecord[] = [];
  const sink: RecordSink = { ...context.sink, audit: (record) => records.push(record) };
  for (const { kind, line } of fed) if (kind === 'audit') decoder.decode(line, sink);
  assert.ok(records.some((record) => record.policyChange));
  assert.ok(records.some((record) => record.rbacChange));
  assert.ok(records.some((record) => record.podAccess));
  assert.ok(records.some((record) => record.denied));
});

test('serve catches up on windows missed while the process was stalled', async () => {
  const clock = new ManualClock(Date.UTC(2025, 5, 10, 15, 0, 0));
  const { context, fed } = recordingContext('serve');
  const source = createDemoSource('interval=5', context, clock);
  await source.start();
  fed.length = 0;
  clock.nowMs += 17_000; // the timer fires late, three boundaries on
  clock.fireNext();
  const start = Date.UTC(2025, 5, 10, 15, 0, 0) / 1000;
  assert.deepEqual(windowsOf(fed), [
    [start, start + 5],
    [start + 5, start + 10],
    [start + 10, start + 15],
  ]);
  await source.stop();
});

test('replay emits the last hour of windows, contiguous and aligned, and resolves', async () => {
  const clock = new ManualClock(START_MS);
  const { context, fed } = recordingContext('replay');
  await createDemoSource('interval=10', context, clock).start();
  const windows = windowsOf(fed).sort((left, right) => left[0] - right[0]);
  const end = Math.floor(START_SECONDS / 10) * 10;
  assert.equal(windows.length, REPLAY_SECONDS / 10);
  assert.deepEqual(windows[0], [end - REPLAY_SECONDS, end - REPLAY_SECONDS + 10]);
  assert.deepEqual(windows[windows.length - 1], [end - 10, end]);
  windows.forEach(([windowStart], index) => assert.equal(windowStart, end - REPLAY_SECONDS + index * 10));
  assert.equal(clock.scheduled, 0, 'replay leaves no timer behind');
});

test('the lines decode through the calico-flows, calico-dns, calico-l7 and audit decoders into records', async () => {
  const clock = new ManualClock(START_MS);
  const { context, fed } = recordingContext('serve');
  // A minute-long window, so even the rarer edges (the steadily denied ones) have flows in it.
  const source = createDemoSource('interval=60', context, clock);
  await source.start();
  await source.stop();
  const decoders = {
    'calico-flows': calicoFlowsSource.createDecoder(),
    'calico-dns': calicoDnsSource.createDecoder(),
    'calico-l7': calicoL7Source.createDecoder(),
    audit: auditSource.createDecoder(),
  };
  const records: FlowRecord[] = [];
  const dnsRecords: DnsRecord[] = [];
  const httpRecords: HttpRecord[] = [];
  const auditRecords: AuditRecord[] = [];
  let skipped = 0;
  const sink: RecordSink = {
    flow: (record) => records.push(record),
    dns: (record) => dnsRecords.push(record),
    http: (record) => httpRecords.push(record),
    audit: (record) => auditRecords.push(record),
    sockets: () => undefined,
    skipped: () => skipped++,
  };
  for (const { kind, line } of fed) {
    assert.ok(kind === 'calico-flows' || kind === 'calico-dns' || kind === 'calico-l7' || kind === 'audit', kind);
    decoders[kind].decode(line, sink);
  }
  // Every line is a record, except an audit request's second stage (a watch that ends after it was counted).
  assert.equal(records.length + dnsRecords.length + httpRecords.length + auditRecords.length + skipped, fed.length);
  assert.ok(dnsRecords.length > 0);
  assert.ok(httpRecords.length > 0);
  assert.ok(auditRecords.length > 0);
  const kinds = new Set(records.flatMap((record) => [record.source.kind, record.destination.kind]));
  for (const kind of ['pod', 'world', 'private', 'networkset'])
    assert.ok(kinds.has(kind as FlowRecord['source']['kind']), kind);
  assert.ok(records.some((record) => record.action === 'deny' && record.verdict.policy === 'data/default-deny'));
  assert.ok(
    records.some((record) => record.tcp?.meanSmoothRttSeconds !== undefined && record.tcp.meanSmoothRttSeconds > 0),
  );
});

test('each window ends with a poll of the nodes’ conntrack tables: host flows and the conntrack gauges', async () => {
  const clock = new ManualClock(START_MS);
  const fed: FedLine[] = [];
  const flows: FlowRecord[] = [];
  const scans: SocketScan[] = [];
  const gauges = new Map<string, number>();
  const context: GeneratorContext = {
    sink: {
      flow: (record) => flows.push(record),
      dns: () => undefined,
      http: () => undefined,
      audit: () => undefined,
      sockets: (scan) => scans.push(scan),
      skipped: () => undefined,
    },
    mode: 'serve',
    feedLine: (kind, line) => fed.push({ kind, line }),
    rejected: (error) => assert.fail(`a demo conntrack line was rejected: ${error.message}`),
    gauge: (name, value) => gauges.set(name, value),
    logger: new MemoryLogger(),
  };
  const source = createDemoSource('seed=3,interval=5', context, clock);
  await source.start();
  // As the conntrack source's first poll in serve: a baseline, no flows yet, but the tables' gauges.
  assert.equal(flows.length, 0);
  assert.ok((gauges.get('conntrackConnections') ?? 0) > 0);
  assert.equal(gauges.get('conntrackUntracked'), 0);
  assert.equal(gauges.get('conntrackAccounting'), 1);
  // The lines and the scan of the first window are the demo cluster's own: the conntrack poll feeds no lines.
  const cluster = new DemoCluster({ seed: 3 });
  const windowStart = START_SECONDS - 5;
  const linesOf = (kind: string): string[] => fed.filter((line) => line.kind === kind).map((line) => line.line);
  assert.deepEqual(linesOf('calico-flows'), cluster.linesFor(windowStart, 5));
  assert.deepEqual(linesOf('calico-dns'), cluster.dnsLinesFor(windowStart, 5));
  assert.deepEqual(linesOf('calico-l7'), cluster.httpLinesFor(windowStart, 5));
  assert.deepEqual(scans, [new DemoSockets(cluster.topology, cluster, 3).scanAt(START_SECONDS, 5)]);

  for (let window = 0; window < 60; window++) clock.fireNext();
  await source.stop();
  assert.ok(flows.length > 0, 'five minutes of polls find host connections');
  assert.ok(flows.every((record) => record.source.kind === 'host' && record.source.workload === 'host'));
  assert.ok(flows.some((record) => record.flowsStarted > 0));
  assert.ok(flows.some((record) => record.flowsCompleted > 0));
  assert.ok(flows.some((record) => record.destPort === 6443 && record.bytesReverse > 0));
  assert.ok(flows.some((record) => record.protocol === 'udp' && record.destPort === 53));
});
