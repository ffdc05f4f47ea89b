import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnomalyDetector, NEW_EDGE_SCORE, type Alarm } from './detector';
import type { EdgeTotals, WindowTotals, WorkloadTotals } from './window-totals';

const WINDOW = 60;

interface EdgeValues {
  from: string;
  to: string;
  flows: number;
  denied?: number;
  bytes?: number;
}

function edge({ from, to, flows, denied = 0, bytes = 0 }: EdgeValues): [string, EdgeTotals] {
  const [namespace = '', workload = ''] = from.split('/');
  const [peerNamespace = '', peerWorkload = ''] = to.split('/');
  return [
    `${from}>${to}`,
    {
      namespace,
      workload,
      direction: 'egress',
      peerNamespace,
      peerWorkload,
      sourceIsWorkload: true,
      flows: [flows, 0],
      denied: [denied, 0],
      bytes: [bytes, 0],
    },
  ];
}

function workload(name: string, values: Partial<WorkloadTotals>): [string, WorkloadTotals] {
  const [namespace = '', workloadName = ''] = name.split('/');
  return [
    name,
    {
      namespace,
      workload: workloadName,
      dnsAnswers: 0,
      dnsErrors: 0,
      httpRequests: 0,
      httpErrors: 0,
      httpDurationSum: 0,
      httpTimed: 0,
      retransmissions: 0,
      ...values,
    },
  ];
}

function window(
  index: number,
  edges: [string, EdgeTotals][],
  workloads: [string, WorkloadTotals][] = [],
): WindowTotals {
  return { start: index * WINDOW, end: (index + 1) * WINDOW, edges: new Map(edges), workloads: new Map(workloads) };
}

function recording(detector: AnomalyDetector): Alarm[] {
  const alarms: Alarm[] = [];
  detector.onAlarm((alarm) => alarms.push(alarm));
  return alarms;
}

/** A flow count around 100 that wobbles like traffic does. */
function steady(index: number): number {
  return 100 + ((index * 37) % 11) - 5;
}

test('a steady series never alarms; a sustained spike alarms once and the alarm ends when it is over', () => {
  const detector = new AnomalyDetector();
  const alarms = recording(detector);
  const flows = (index: number): number => (index >= 100 && index < 110 ? 1000 : steady(index));
  for (let index = 0; index < 130; index++) {
    detector.observe(window(index, [edge({ from: 'shop/frontend', to: 'shop/cart', flows: flows(index) })]));
  }
  assert.deepEqual(
    alarms.map((alarm) => [alarm.kind, alarm.start / WINDOW]),
    [['flow_rate', 101]],
    'enterWindows = 2: the second window of the spike raises it',
  );
  assert.equal(detector.alarmsByKind.get('flow_rate'), 1);
  assert.equal(detector.currentScores().filter((series) => series.alarmed).length, 0, 'over after the spike');
});

test('one noisy window alarms nobody (hysteresis)', () => {
  const detector = new AnomalyDetector();
  const alarms = recording(detector);
  for (let index = 0; index < 100; index++) {
    const flows = index % 20 === 19 ? 1000 : steady(index);
    detector.observe(window(index, [edge({ from: 'shop/frontend', to: 'shop/cart', flows })]));
  }
  assert.equal(alarms.length, 0);
});

test('high scores must come in consecutive windows; a long absence ends an alarm', () => {
  const detector = new AnomalyDetector();
  const alarms = recording(detector);
  const talk = (index: number, flows: number | undefined): void =>
    detector.observe(
      window(index, flows === undefined ? [] : [edge({ from: 'shop/frontend', to: 'shop/cart', flows })]),
    );
  for (let index = 0; index < 60; index++) talk(index, steady(index));
  // High, absent, high: not two consecutive windows.
  talk(60, 1000);
  talk(61, undefined);
  talk(62, 1000);
  assert.equal(alarms.length, 0);
  talk(63, 1000);
  assert.equal(alarms.length, 1);
  // Gone for longer than the exit windows, then high again for two windows: a new alarm.
  for (let index = 64; index < 70; index++) talk(index, undefined);
  talk(70, 1000);
  talk(71, 1000);
  assert.equal(alarms.length, 2);
});

test('a new series is learnt before it is judged', () => {
  const detector = new AnomalyDetector();
  const alarms = recording(detector);
  for (let index = 0; index < 8; index++) {
    detector.observe(window(index, [edge({ from: 'shop/frontend', to: 'shop/cart', flows: index < 4 ? 10 : 10_000 })]));
  }
  assert.equal(alarms.length, 0);
});

test('an intermittent series (a CronJob every fifteen minutes) is judged on its level when active', () => {
  const detector = new AnomalyDetector();
  const alarms = recording(detector);
  for (let index = 0; index < 600; index++) {
    const active = index % 15 < 2;
    detector.observe(
      window(index, active ? [edge({ from: 'ops/backup', to: 'data/orders-db', flows: steady(index) })] : []),
    );
  }
  assert.equal(alarms.length, 0);
  // Its level when active jumping tenfold is news.
  for (let index = 600; index < 603; index++) {
    detector.observe(window(index, [edge({ from: 'ops/backup', to: 'data/orders-db', flows: 1000 })]));
  }
  assert.deepEqual(
    alarms.map((alarm) => alarm.kind),
    ['flow_rate'],
  );
});

test('ratios are judged only over windows with enough volume, and an NXDOMAIN storm alarms', () => {
  const detector = new AnomalyDetector();
  const alarms = recording(detector);
  for (let index = 0; index < 60; index++) {
    // Quiet windows with a handful of queries, all failing: too few to mean anything.
    const answers = index % 2 === 0 ? 200 : 5;
    const errors = index % 2 === 0 ? 100 + (index % 7) : 5;
    detector.observe(window(index, [], [workload('shop/shipping', { dnsAnswers: answers, dnsErrors: errors })]));
  }
  assert.equal(alarms.length, 0);
  for (let index = 60; index < 63; index++) {
    detector.observe(window(index, [], [workload('shop/shipping', { dnsAnswers: 7000, dnsErrors: 6990 })]));
  }
  assert.deepEqual(
    alarms.map((alarm) => [alarm.kind, alarm.workload, alarm.peerWorkload]),
    [['dns_error_ratio', 'shipping', '']],
  );
});

test('latency, HTTP errors and retransmissions are scored per workload', () => {
  const detector = new AnomalyDetector();
  const alarms = recording(detector);
  const normal = { httpRequests: 500, httpErrors: 2, httpTimed: 500, httpDurationSum: 25, retransmissions: 20 };
  const degraded = { httpRequests: 500, httpErrors: 150, httpTimed: 500, httpDurationSum: 500, retransmissions: 900 };
  for (let index = 0; index < 63; index++) {
    detector.observe(window(index, [], [workload('payments/payments-api', index < 60 ? normal : degraded)]));
  }
  assert.deepEqual(alarms.map((alarm) => alarm.kind).sort(), ['http_error_ratio', 'http_latency', 'retransmissions']);
});

test('a new edge after the learning period is an anomaly of its own, held for a few windows', () => {
  const detector = new AnomalyDetector({ newEdgeLearningSeconds: 600, newEdgeHoldWindows: 3 });
  const alarms = recording(detector);
  // A peer first talked to in the learning period is learnt.
  for (let index = 0; index < 20; index++) {
    const edges = [edge({ from: 'shop/frontend', to: 'shop/cart', flows: 10 })];
    if (index === 5) edges.push(edge({ from: 'shop/frontend', to: 'shop/catalog', flows: 1 }));
    detector.observe(window(index, edges));
  }
  assert.equal(alarms.length, 0);
  detector.observe(window(20, [edge({ from: 'shop/frontend', to: 'payments/ledger-db', flows: 2 })]));
  detector.observe(window(21, [edge({ from: 'shop/frontend', to: 'payments/ledger-db', flows: 2 })]));
  assert.deepEqual(
    alarms.map((alarm) => [alarm.kind, alarm.peerNamespace, alarm.peerWorkload, alarm.start]),
    [['new_edge', 'payments', 'ledger-db', 20 * WINDOW]],
    'once, not every window it is used',
  );
  const held = detector.currentScores().filter((series) => series.kind === 'new_edge');
  assert.deepEqual(
    held.map((series) => series.score),
    [NEW_EDGE_SCORE],
  );
  for (let index = 22; index < 25; index++) detector.observe(window(index, []));
  assert.deepEqual(detector.currentScores(), [], 'the hold ends');
});

test('a peer not talked to for the forget horizon is new again; a source silent that long learns again', () => {
  const detector = new AnomalyDetector({ newEdgeLearningSeconds: 600, newEdgeForgetSeconds: 3600 });
  const alarms = recording(detector);
  const talk = (index: number, to: string, from = 'shop/frontend'): void =>
    detector.observe(
      window(index, [edge({ from, to, flows: 5 }), edge({ from: 'shop/cart', to: 'data/redis', flows: 5 })]),
    );
  talk(0, 'shop/cart');
  talk(15, 'payments/ledger-db');
  assert.equal(alarms.length, 1);
  for (let index = 16; index < 60; index++) talk(index, 'shop/cart');
  talk(60, 'payments/ledger-db');
  assert.equal(alarms.length, 1, 'seen 45 minutes ago: not new');
  for (let index = 61; index < 130; index++) talk(index, 'shop/cart');
  talk(130, 'payments/ledger-db');
  assert.equal(alarms.length, 2, 'not seen for over an hour: new again');
  // A daily job: its source is silent for a day, so it starts over with a learning period.
  talk(131, 'data/orders-db', 'ops/report');
  for (let index = 132; index < 1600; index++) talk(index, 'shop/cart');
  talk(1600, 'data/orders-db', 'ops/report');
  talk(1601, 'data/warehouse', 'ops/report');
  assert.equal(alarms.length, 2);
});

test('state is bounded: a flood of series never holds more than the maximum per kind', () => {
  const maxSeriesPerKind = 50;
  const detector = new AnomalyDetector({ maxSeriesPerKind, maxNewEdgeSources: 20, maxPeersPerSource: 8 });
  for (let index = 0; index < 40; index++) {
    const edges: [string, EdgeTotals][] = [];
    const workloads: [string, WorkloadTotals][] = [];
    for (let i = 0; i < 25; i++) {
      const n = index * 25 + i;
      edges.push(
        edge({ from: `ns-${n % 97}/client-${n}`, to: `ns-${n % 13}/server-${n}`, flows: 5, denied: 1, bytes: 1e6 }),
      );
      workloads.push(workload(`ns-${n}/app-${n}`, { dnsAnswers: 100, dnsErrors: 1, retransmissions: 3 }));
    }
    detector.observe(window(index, edges, workloads));
    for (const kind of ['flow_rate', 'denied_flow_rate', 'bytes', 'dns_error_ratio', 'retransmissions'] as const) {
      assert.ok(detector.trackedSeries(kind) <= maxSeriesPerKind, `${kind}: ${detector.trackedSeries(kind)}`);
    }
    assert.ok(detector.trackedSeries('new_edge') <= 20 * 8, String(detector.trackedSeries('new_edge')));
  }
  assert.equal(detector.evictedByKind.get('flow_rate'), 40 * 25 - maxSeriesPerKind);
  assert.ok((detector.evictedByKind.get('new_edge') ?? 0) > 0);
  // One source with more peers than it may remember keeps the most recent ones.
  for (let index = 40; index < 60; index++) {
    detector.observe(window(index, [edge({ from: 'shop/scanner', to: `data/peer-${index}`, flows: 1 })]));
  }
  assert.ok(detector.trackedSeries('new_edge') <= 20 * 8);
});

test('idle series are forgotten', () => {
  const detector = new AnomalyDetector({ idleWindows: 10 });
  detector.observe(window(0, [edge({ from: 'shop/frontend', to: 'shop/cart', flows: 5 })]));
  assert.equal(detector.trackedSeries('flow_rate'), 1);
  for (let index = 1; index <= 10; index++) detector.observe(window(index, []));
  assert.equal(detector.trackedSeries('flow_rate'), 0);
});

test('options that cannot work are refused', () => {
  assert.throws(() => new AnomalyDetector({ enterScore: 2, exitScore: 3 }), /exitScore/);
  assert.throws(
    () => new AnomalyDetector({ profile: { buckets: 7, days: 3, minDays: 2 } }),
    /profileBuckets must be a whole number dividing 86400/,
  );
});

// Time of day: the helper's windows start at index × 60 s from the epoch, a UTC midnight.
const DAY_WINDOWS = 1440;

/** About 100 flows a window, 1,000 during a nightly batch from 02:00 to 02:45 UTC. */
function withNightlyBatch(index: number): number {
  const minuteOfDay = index % DAY_WINDOWS;
  return minuteOfDay >= 120 && minuteOfDay < 165 ? 1000 : steady(index);
}

/** The day and hour:minute (UTC) of each alarm. */
function alarmTimes(alarms: readonly Alarm[]): string[] {
  return alarms.map((alarm) => {
    const minutes = Math.floor(alarm.start / 60);
    const minuteOfDay = minutes % DAY_WINDOWS;
    const clock = `${String(Math.floor(minuteOfDay / 60)).padStart(2, '0')}:${String(minuteOfDay % 60).padStart(2, '0')}`;
    return `day ${Math.floor(minutes / DAY_WINDOWS)} ${clock} ${alarm.kind}`;
  });
}

test('a nightly batch peak alarms on its first two nights only; an incident at another hour still alarms', () => {
  const run = (detector: AnomalyDetector): string[] => {
    const alarms = recording(detector);
    for (let index = 0; index < 4 * DAY_WINDOWS; index++) {
      // Day 3 has an incident at 14:00 for ten minutes.
      const incident = index >= 3 * DAY_WINDOWS + 840 && index < 3 * DAY_WINDOWS + 850;
      const flows = incident ? 1000 : withNightlyBatch(index);
      detector.observe(window(index, [edge({ from: 'ops/backup', to: 'data/orders-db', flows })]));
    }
    return alarmTimes(alarms);
  };
  assert.deepEqual(run(new AnomalyDetector()), [
    'day 0 02:01 flow_rate',
    'day 1 02:01 flow_rate',
    'day 3 14:01 flow_rate',
  ]);
  // The trailing baseline alone alarms every night.
  assert.deepEqual(run(new AnomalyDetector({ profile: null })), [
    'day 0 02:01 flow_rate',
    'day 1 02:01 flow_rate',
    'day 2 02:01 flow_rate',
    'day 3 02:01 flow_rate',
    'day 3 14:01 flow_rate',
  ]);
});

test('profiles are allocated only for series that lived a full trailing history; new series are judged without', () => {
  const detector = new AnomalyDetector();
  const alarms = recording(detector);
  const longLived = (index: number): [string, EdgeTotals] =>
    edge({ from: 'ops/backup', to: 'data/orders-db', flows: withNightlyBatch(index) });
  for (let index = 0; index < 2 * DAY_WINDOWS; index++) {
    // A churn of short-lived series (30 windows each) next to the long-lived one.
    const churn = edge({ from: 'shop/worker', to: `shop/peer-${Math.floor(index / 30)}`, flows: steady(index) });
    detector.observe(window(index, [longLived(index), churn]));
  }
  assert.equal(detector.profiledSeries('flow_rate'), 1, 'only the long-lived series has a profile');
  const before = alarms.length;
  // Day 2: a new series starts at midnight (a new edge) and at 02:20 sees a burst like the old one's every night.
  // The old series' profile excuses the old series only; the new one's has learnt no day, so its trailing baseline
  // alone decides.
  for (let index = 2 * DAY_WINDOWS; index < 2 * DAY_WINDOWS + 180; index++) {
    const minuteOfDay = index % DAY_WINDOWS;
    const fresh = edge({
      from: 'ops/backup',
      to: 'data/archive',
      flows: minuteOfDay >= 140 && minuteOfDay < 160 ? 1000 : steady(index),
    });
    detector.observe(window(index, [longLived(index), fresh]));
  }
  assert.deepEqual(alarmTimes(alarms.slice(before)), ['day 2 00:00 new_edge', 'day 2 02:21 flow_rate']);
  assert.equal(alarms.at(-1)?.peerWorkload, 'archive');
});

test('a busy edge vanishing at its busy time is a traffic drop; its flow rate is not judged while it is gone', () => {
  const detector = new AnomalyDetector();
  const alarms = recording(detector);
  for (let index = 0; index < 3 * DAY_WINDOWS; index++) {
    // Gone from 14:00 to 15:00 on day 1 (the profile has learnt one day: nothing judged) and from 10:00 to 11:30 on
    // day 2 (two days learnt).
    const minuteOfDay = index % DAY_WINDOWS;
    const day = Math.floor(index / DAY_WINDOWS);
    const gone =
      (day === 1 && minuteOfDay >= 840 && minuteOfDay < 900) || (day === 2 && minuteOfDay >= 600 && minuteOfDay < 690);
    const edges = gone ? [] : [edge({ from: 'ops/backup', to: 'data/orders-db', flows: withNightlyBatch(index) })];
    detector.observe(window(index, edges));
    if (gone) {
      const kinds = detector.currentScores().map((scored) => scored.kind);
      assert.ok(!kinds.includes('flow_rate'), `window ${index}: a flow_rate score while gone`);
    }
  }
  assert.deepEqual(alarmTimes(alarms), ['day 0 02:01 flow_rate', 'day 1 02:01 flow_rate', 'day 2 10:01 traffic_drop']);
  assert.equal(alarms.at(-1)?.score, 10);
  assert.equal(detector.trackedSeries('flow_rate'), 1);
  assert.equal(detector.trackedSeries('traffic_drop'), 1, 'an absence shorter than the idle horizon keeps the profile');
});

test('no traffic drop where a quiet edge is usual: intermittent, quiet at that hour, or too few flows to tell', () => {
  const detector = new AnomalyDetector();
  const alarms = recording(detector);
  for (let index = 0; index < 3 * DAY_WINDOWS; index++) {
    const minuteOfDay = index % DAY_WINDOWS;
    const day = Math.floor(index / DAY_WINDOWS);
    const edges: [string, EdgeTotals][] = [];
    // A CronJob's edge: two windows in fifteen, busy when there.
    if (index % 15 < 2) edges.push(edge({ from: 'ops/cron', to: 'data/orders-db', flows: steady(index) }));
    // Busy from 08:00 to 20:00, a trickle at night; on day 2 the trickle starts at 19:40, next to the quiet bucket.
    const busy = minuteOfDay >= 480 && minuteOfDay < (day === 2 ? 1180 : 1200);
    edges.push(edge({ from: 'shop/office', to: 'shop/crm', flows: busy ? steady(index) : 5 }));
    // About 20 flows a window, gone on day 2 from 10:00 to 11:00.
    if (!(day === 2 && minuteOfDay >= 600 && minuteOfDay < 660)) {
      edges.push(edge({ from: 'shop/cart', to: 'shop/audit', flows: 20 + (index % 3) }));
    }
    detector.observe(window(index, edges));
  }
  assert.deepEqual(
    alarms.filter((alarm) => alarm.kind === 'traffic_drop'),
    [],
  );
  // A busy edge falling to a fifth of its level (not to zero) is a drop: the same detector, day 3 at 14:00.
  for (let index = 3 * DAY_WINDOWS; index < 3 * DAY_WINDOWS + 900; index++) {
    const minuteOfDay = index % DAY_WINDOWS;
    const flows = minuteOfDay >= 840 ? Math.round(steady(index) / 5) : steady(index);
    detector.observe(window(index, [edge({ from: 'shop/office', to: 'shop/crm', flows })]));
  }
  assert.deepEqual(alarmTimes(alarms.filter((alarm) => alarm.kind === 'traffic_drop')), ['day 3 14:01 traffic_drop']);
});
