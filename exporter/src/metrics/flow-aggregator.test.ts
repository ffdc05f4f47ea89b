import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowAggregator, defaultFamilyOptions, type FamilyOptions } from './flow-aggregator';
import { RECORD_FAMILIES, recordFamily } from './catalogue';
import { emptyEndpoint, type FlowRecord } from '../model/flow';

function record(overrides: Partial<FlowRecord> = {}, sourceWorkload = 'frontend', destWorkload = 'cart'): FlowRecord {
  return {
    startTime: 0,
    endTime: 0,
    node: 'node-a',
    source: {
      ...emptyEndpoint(),
      kind: 'pod',
      namespace: 'shop',
      workload: sourceWorkload,
      pod: `${sourceWorkload}-x`,
    },
    destination: {
      ...emptyEndpoint(),
      kind: 'pod',
      namespace: 'shop',
      workload: destWorkload,
      pod: `${destWorkload}-y`,
      service: destWorkload,
    },
    destPort: 8080,
    protocol: 'tcp',
    action: 'allow',
    reporter: 'src',
    enforcedPolicies: [],
    pendingPolicies: [],
    verdict: { policy: 'shop/allow', tier: 'default' },
    bytesForward: 100,
    bytesReverse: 50,
    packetsForward: 2,
    packetsReverse: 1,
    flows: 1,
    flowsStarted: 1,
    flowsCompleted: 0,
    tcp: undefined,
    ...overrides,
  };
}

function samples(aggregator: FlowAggregator, family: string): Map<string, number> {
  const lines = aggregator
    .renderSamples(family)
    .split('\n')
    .filter((line) => line !== '');
  return new Map(
    lines.map((line) => {
      const space = line.lastIndexOf(' ');
      return [line.slice(0, space), Number(line.slice(space + 1))];
    }),
  );
}

const sum = (values: Map<string, number>): number => [...values.values()].reduce((total, value) => total + value, 0);

function optionsFor(overrides: Partial<FamilyOptions>, families = RECORD_FAMILIES.map((family) => family.name)) {
  return new Map(families.map((name) => [name, { ...defaultFamilyOptions(recordFamily(name)!), ...overrides }]));
}

test('records with the same labels add up in one series; bytes split by direction', () => {
  const aggregator = new FlowAggregator();
  aggregator.add(record(), 0);
  aggregator.add(record({ flows: 2, bytesForward: 10, bytesReverse: 5 }), 0);
  const flows = samples(aggregator, 'flowlens_flows_total');
  assert.equal(flows.size, 1);
  const [key] = flows.keys();
  assert.equal(
    key,
    'flowlens_flows_total{source_namespace="shop",source_workload="frontend",dest_namespace="shop",dest_workload="cart",dest_service="cart",dest_port="8080",protocol="tcp",action="allow",policy="shop/allow",policy_tier="default",reporter="src"}',
  );
  assert.equal(sum(flows), 3);
  const bytes = samples(aggregator, 'flowlens_flow_bytes_total');
  assert.equal(bytes.size, 2);
  assert.equal([...bytes].find(([line]) => line.includes('direction="forward"'))?.[1], 110);
  assert.equal([...bytes].find(([line]) => line.includes('direction="reverse"'))?.[1], 55);
});

test('label values are escaped', () => {
  const aggregator = new FlowAggregator();
  aggregator.add(record({}, 'we"ird\\name\nx'), 0);
  const [key] = samples(aggregator, 'flowlens_flows_total').keys();
  assert.match(key ?? '', /source_workload="we\\"ird\\\\name\\nx"/);
});

test('a series budget folds new label sets into the overflow series and keeps totals right', () => {
  const budget = 10;
  const aggregator = new FlowAggregator(optionsFor({ budget }));
  let expectedBytes = 0;
  let expectedFlows = 0;
  for (let i = 0; i < 5000; i++) {
    const item = record(
      { action: i % 3 === 0 ? 'deny' : 'allow', flows: 1 + (i % 4), bytesForward: i },
      `attacker-${i}`,
    );
    expectedBytes += item.bytesForward + item.bytesReverse;
    expectedFlows += item.flows;
    aggregator.add(item, 0);
  }
  const flows = samples(aggregator, 'flowlens_flows_total');
  assert.ok(flows.size <= budget + 2, `at most the budget plus one overflow series per action, got ${flows.size}`);
  assert.equal(sum(flows), expectedFlows);
  assert.equal(sum(samples(aggregator, 'flowlens_flow_bytes_total')), expectedBytes);
  const overflow = [...flows.keys()].filter((key) => key.includes('source_workload="__overflow__"'));
  assert.equal(overflow.length, 2, 'allow and deny keep separate overflow series');
  assert.ok(overflow.every((key) => key.includes('reporter="src"') && key.includes('dest_workload="__overflow__"')));
  const stats = aggregator.stats().find((entry) => entry.family === 'flowlens_flows_total');
  assert.equal(stats?.overflowedSamples, 5000 - budget);
  assert.equal(stats?.activeSeries, budget + 2);
});

test('idle series expire after the TTL; active ones stay; freed slots are reused', () => {
  const aggregator = new FlowAggregator(optionsFor({ ttlSeconds: 60 }));
  aggregator.add(record({}, 'old'), 1000);
  aggregator.add(record({}, 'busy'), 1000);
  aggregator.add(record({}, 'busy'), 1050);
  aggregator.sweep(1070);
  const keys = [...samples(aggregator, 'flowlens_flows_total').keys()];
  assert.equal(keys.length, 1);
  assert.match(keys[0] ?? '', /source_workload="busy"/);
  assert.equal(aggregator.stats().find((entry) => entry.family === 'flowlens_flows_total')?.evictedSeries, 1);
  aggregator.add(record({ flows: 7 }, 'new'), 1080);
  const newSeries = [...samples(aggregator, 'flowlens_flows_total')].find(([key]) => key.includes('"new"'));
  assert.equal(newSeries?.[1], 7, 'a reused slot starts from zero');
});

test('churning workloads under a TTL keep the series count bounded', () => {
  const aggregator = new FlowAggregator(optionsFor({ ttlSeconds: 60, budget: 100_000 }));
  for (let minute = 0; minute < 600; minute++) {
    for (let pod = 0; pod < 20; pod++) aggregator.add(record({}, `job-${minute}-${pod}`), minute * 60);
    aggregator.sweep(minute * 60);
  }
  const active = aggregator.stats().find((entry) => entry.family === 'flowlens_flows_total')?.activeSeries ?? 0;
  assert.ok(active <= 60, `expected at most two minutes of workloads, got ${active}`);
});

test('aggregation options: pod level adds pod labels, ports: false drops dest_port', () => {
  const aggregator = new FlowAggregator(optionsFor({ level: 'pod', ports: false }, ['flowlens_flows_total']));
  aggregator.add(record(), 0);
  const [flowsKey] = samples(aggregator, 'flowlens_flows_total').keys();
  assert.match(flowsKey ?? '', /source_workload="frontend",source_pod="frontend-x"/);
  assert.doesNotMatch(flowsKey ?? '', /dest_port/);
  const [bytesKey] = samples(aggregator, 'flowlens_flow_bytes_total').keys();
  assert.doesNotMatch(bytesKey ?? '', /source_pod/, 'other families keep their defaults');
  assert.match(bytesKey ?? '', /dest_port="8080"/);
});

test('TCP families only take records with TCP statistics; RTT is a weighted sum and count', () => {
  const aggregator = new FlowAggregator();
  aggregator.add(record(), 0);
  assert.equal(samples(aggregator, 'flowlens_tcp_retransmissions_total').size, 0);
  const tcp = {
    meanSmoothRttSeconds: 0.002,
    maxSmoothRttSeconds: 0.004,
    meanMinRttSeconds: undefined,
    retransmissions: 3,
    lostPackets: 1,
    unrecoveredTimeouts: 0,
    meanSendCongestionWindow: undefined,
    meanMss: undefined,
  };
  aggregator.add(record({ tcp, flows: 4 }), 0);
  assert.equal(sum(samples(aggregator, 'flowlens_tcp_retransmissions_total')), 3);
  const rtt = samples(aggregator, 'flowlens_tcp_smooth_rtt_seconds');
  assert.equal([...rtt].find(([key]) => key.startsWith('flowlens_tcp_smooth_rtt_seconds_sum'))?.[1], 0.008);
  assert.equal([...rtt].find(([key]) => key.startsWith('flowlens_tcp_smooth_rtt_seconds_count'))?.[1], 4);
});

test('Calico TCP statistics: flow-weighted summaries of min RTT, congestion window and MSS, under the budget', () => {
  const budget = 10;
  const aggregator = new FlowAggregator(optionsFor({ budget }));
  const tcp = {
    meanSmoothRttSeconds: 0.004,
    maxSmoothRttSeconds: 0.01,
    meanMinRttSeconds: 0.002,
    retransmissions: 1,
    lostPackets: 0,
    unrecoveredTimeouts: 0,
    meanSendCongestionWindow: 10,
    meanMss: 1448,
  };
  aggregator.add(record({ flows: 3, tcp }), 0);
  aggregator.add(record({ flows: 1, tcp: { ...tcp, meanMinRttSeconds: 0.006, meanMss: undefined } }), 0);
  const key =
    'source_namespace="shop",source_workload="frontend",dest_namespace="shop",dest_workload="cart",dest_service="cart",dest_port="8080",reporter="src"';
  const minRtt = samples(aggregator, 'flowlens_tcp_min_rtt_seconds');
  assert.ok(Math.abs(minRtt.get(`flowlens_tcp_min_rtt_seconds_sum{${key}}`)! - (0.002 * 3 + 0.006)) < 1e-12);
  assert.equal(minRtt.get(`flowlens_tcp_min_rtt_seconds_count{${key}}`), 4);
  assert.equal(
    samples(aggregator, 'flowlens_tcp_send_congestion_window').get(`flowlens_tcp_send_congestion_window_sum{${key}}`),
    40,
  );
  // A record without an MSS is not observed by the MSS summary.
  assert.equal(samples(aggregator, 'flowlens_tcp_mss_bytes').get(`flowlens_tcp_mss_bytes_count{${key}}`), 3);

  for (let i = 0; i < 2000; i++) aggregator.add(record({ tcp }, `attacker-${i}`), 0);
  for (const family of [
    'flowlens_tcp_min_rtt_seconds',
    'flowlens_tcp_send_congestion_window',
    'flowlens_tcp_mss_bytes',
  ]) {
    const found = samples(aggregator, family);
    // Two samples (_sum, _count) per label set: the budget plus one overflow label set.
    assert.ok(found.size <= (budget + 1) * 2, `${family}: ${found.size} samples`);
    assert.ok(
      [...found.keys()].some((name) => name.includes('__overflow__')),
      `${family} overflowed`,
    );
  }
});
