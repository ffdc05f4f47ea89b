/**
 * `aggregation: pod` applied through the real pipeline: the per-pod families get series for the workloads a profile
 * covers and no other, under their own budget, and stop growing (then expire) once the profile is gone; the per-pod
 * HTTP duration histogram and TCP families also follow the profile's `collect`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pipeline } from '../pipeline/pipeline';
import { DnsAggregator, FlowAggregator, HttpAggregator, defaultFamilyOptions } from '../metrics/flow-aggregator';
import { MetricsRegistry, SelfMetrics } from '../metrics/registry';
import {
  HTTP_DURATION_BUCKETS,
  PROFILE_POD_BUDGET,
  PROFILE_POD_FLOW_FAMILIES,
  PROFILE_POD_HTTP_DURATION,
  PROFILE_POD_TCP_FAMILIES,
  RECORD_FAMILIES,
} from '../metrics/catalogue';
import { MemoryLogger } from '../log';
import { emptyEndpoint, type Endpoint, type TcpStats } from '../model/flow';
import { testDnsRecord, testFlowRecord, testHttpRecord } from '../testing/records';
import { ProfileStore } from './collection';
import { parseObservabilityProfile } from './spec';

const TTL_SECONDS = 60;

function pod(workload: string, name: string): Endpoint {
  return { ...emptyEndpoint(), kind: 'pod', namespace: 'shop', workload, pod: name };
}

/** A pipeline with the live profile store, its clock under the test's control, per-pod families at `budget`. */
function build(budget = PROFILE_POD_BUDGET) {
  let now = 1000;
  const options = new Map(
    RECORD_FAMILIES.map((family) => [
      family.name,
      { ...defaultFamilyOptions(family), ttlSeconds: TTL_SECONDS, ...(family.defaultBudget ? { budget } : {}) },
    ]),
  );
  const flows = new FlowAggregator(options);
  const dns = new DnsAggregator(options);
  const http = new HttpAggregator(options);
  const self = new SelfMetrics();
  const clock = (): number => now;
  const pipeline = new Pipeline([], flows, self, new MemoryLogger(), clock, new Set(), dns, http);
  const registry = new MetricsRegistry(flows, self, clock, dns, http);
  const profiles = new ProfileStore();
  pipeline.applyProfiles(profiles);
  return {
    pipeline,
    registry,
    profiles,
    flows,
    self,
    advance: (seconds: number) => (now += seconds),
  };
}

const checkoutProfile = parseObservabilityProfile({
  metadata: { name: 'checkout', namespace: 'shop' },
  spec: { workloads: { names: ['checkout'] }, aggregation: 'pod' },
});

/** Calico's TCP statistics of a record: `retransmissions` segments, a mean smoothed RTT. */
function tcp(retransmissions: number, meanSmoothRttSeconds: number): TcpStats {
  return {
    meanSmoothRttSeconds,
    maxSmoothRttSeconds: undefined,
    meanMinRttSeconds: undefined,
    retransmissions,
    lostPackets: undefined,
    unrecoveredTimeouts: undefined,
    meanSendCongestionWindow: undefined,
    meanMss: undefined,
  };
}

const DURATION = 'flowlens_profile_pod_http_request_duration_seconds';
const RETRANSMISSIONS = 'flowlens_profile_pod_tcp_retransmissions_total';
const RTT = 'flowlens_profile_pod_tcp_smooth_rtt_seconds';

/** The value of the one sample named `sample` whose labels contain `labels`. */
function sample(exposition: string, sample: string, labels: string): number {
  const found = exposition.split('\n').filter((line) => line.startsWith(`${sample}{`) && line.includes(labels));
  assert.equal(found.length, 1, `one ${sample} line with ${labels}: ${found.join(' | ')}`);
  return Number(found[0]!.slice(found[0]!.lastIndexOf(' ') + 1));
}

/** The label texts of a family's lines in the exposition. */
function lines(exposition: string, family: string): string[] {
  return exposition.split('\n').filter((line) => line.startsWith(`${family}{`));
}

function total(exposition: string, family: string): number {
  return lines(exposition, family).reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

test('a profile with aggregation pod gives its covered workloads per-pod series, and no other workload', () => {
  const { pipeline, registry, profiles } = build();
  pipeline.accept(
    testFlowRecord({ source: pod('frontend', 'frontend-1'), destination: pod('checkout', 'checkout-a') }),
  );
  assert.deepEqual(lines(registry.render('prometheus'), 'flowlens_profile_pod_flows_total'), [], 'no profile yet');

  profiles.upsert('shop/checkout', checkoutProfile);
  pipeline.accept(
    testFlowRecord({
      source: pod('frontend', 'frontend-1'),
      destination: pod('checkout', 'checkout-a'),
      flows: 2,
      bytesForward: 100,
    }),
  );
  pipeline.accept(testFlowRecord({ source: pod('frontend', 'frontend-1'), destination: pod('cart', 'cart-0') }));
  pipeline.acceptDns(testDnsRecord({ client: pod('checkout', 'checkout-b'), rcode: 'SERVFAIL' }));
  pipeline.acceptDns(testDnsRecord({ client: pod('cart', 'cart-0') }));
  pipeline.acceptHttp(testHttpRecord({ source: pod('checkout', 'checkout-a'), destination: pod('payments', 'pay-1') }));

  const exposition = registry.render('prometheus');
  assert.deepEqual(lines(exposition, 'flowlens_profile_pod_flows_total'), [
    'flowlens_profile_pod_flows_total{source_namespace="shop",source_workload="frontend",source_pod="",dest_namespace="shop",dest_workload="checkout",dest_pod="checkout-a",action="allow",reporter="dst"} 2',
  ]);
  assert.deepEqual(lines(exposition, 'flowlens_profile_pod_flow_bytes_total'), [
    'flowlens_profile_pod_flow_bytes_total{source_namespace="shop",source_workload="frontend",source_pod="",dest_namespace="shop",dest_workload="checkout",dest_pod="checkout-a",action="allow",reporter="dst",direction="forward"} 100',
    'flowlens_profile_pod_flow_bytes_total{source_namespace="shop",source_workload="frontend",source_pod="",dest_namespace="shop",dest_workload="checkout",dest_pod="checkout-a",action="allow",reporter="dst",direction="reverse"} 0',
  ]);
  assert.deepEqual(lines(exposition, 'flowlens_profile_pod_dns_requests_total'), [
    'flowlens_profile_pod_dns_requests_total{client_namespace="shop",client_workload="checkout",client_pod="checkout-b",rcode="SERVFAIL"} 1',
  ]);
  assert.deepEqual(lines(exposition, 'flowlens_profile_pod_http_requests_total'), [
    'flowlens_profile_pod_http_requests_total{source_namespace="shop",source_workload="checkout",source_pod="checkout-a",dest_namespace="shop",dest_workload="payments",dest_pod="",status_class="2xx"} 1',
  ]);
  // The workload-level families keep counting every workload, without pods.
  assert.equal(total(exposition, 'flowlens_flows_total'), 4);
  assert.doesNotMatch(exposition, /^flowlens_flows_total\{[^}]*_pod=/m);
});

test('a covered workload with many pods stays within the per-pod budget and counts the overflow', () => {
  const budget = 5;
  const { pipeline, registry, profiles, self } = build(budget);
  profiles.upsert('shop/checkout', checkoutProfile);
  for (let i = 0; i < 40; i++) {
    pipeline.accept(testFlowRecord({ source: pod('checkout', `checkout-${i}`), destination: pod('db', 'db-0') }));
  }
  const exposition = registry.render('prometheus');
  const podSeries = lines(exposition, 'flowlens_profile_pod_flows_total');
  // The budget's label sets and one overflow series, which keeps the bounded labels (action, reporter).
  assert.equal(podSeries.length, budget + 1);
  assert.match(podSeries.at(-1)!, /source_pod="__overflow__".*action="allow",reporter="dst"\} 35$/);
  assert.equal(total(exposition, 'flowlens_profile_pod_flows_total'), 40, 'totals stay right');
  assert.equal(self.seriesOverflow.get(['flowlens_profile_pod_flows_total']), 35);
  assert.equal(self.seriesActive.get(['flowlens_profile_pod_flows_total']), budget + 1);
  assert.equal(self.seriesBudget.get(['flowlens_profile_pod_flows_total']), budget);
  // The workload-level family is untouched by the pods: one edge, no overflow.
  assert.equal(lines(exposition, 'flowlens_flows_total').length, 1);
  assert.equal(self.seriesOverflow.get(['flowlens_flows_total']), 0);
});

test('removing the profile stops the per-pod series, which then expire after their TTL', () => {
  const { pipeline, registry, profiles, self, advance } = build();
  profiles.upsert('shop/checkout', checkoutProfile);
  const record = () =>
    testFlowRecord({ source: pod('frontend', 'frontend-1'), destination: pod('checkout', 'checkout-a') });
  pipeline.accept(record());
  assert.equal(total(registry.render('prometheus'), 'flowlens_profile_pod_flows_total'), 1);

  profiles.remove('shop/checkout');
  advance(TTL_SECONDS / 2);
  pipeline.accept(record());
  let exposition = registry.render('prometheus');
  assert.equal(total(exposition, 'flowlens_profile_pod_flows_total'), 1, 'no longer counted per pod');
  assert.equal(total(exposition, 'flowlens_flows_total'), 2, 'still counted per workload');

  advance(TTL_SECONDS / 2 + 1);
  exposition = registry.render('prometheus');
  assert.deepEqual(lines(exposition, 'flowlens_profile_pod_flows_total'), [], 'expired');
  assert.equal(lines(exposition, 'flowlens_flows_total').length, 1, 'the workload series was touched since');
  assert.equal(self.seriesEvicted.get(['flowlens_profile_pod_flows_total']), 1);
});

test('the per-pod families have a budget of their own, and name their pod labels once at level pod', () => {
  for (const family of [...PROFILE_POD_FLOW_FAMILIES, ...PROFILE_POD_TCP_FAMILIES, PROFILE_POD_HTTP_DURATION]) {
    assert.equal(defaultFamilyOptions(family).budget, PROFILE_POD_BUDGET);
  }
  const atPodLevel = new Map(
    PROFILE_POD_FLOW_FAMILIES.map((family) => [
      family.name,
      { ...defaultFamilyOptions(family), level: 'pod' as const },
    ]),
  );
  const aggregator = new FlowAggregator(atPodLevel, PROFILE_POD_FLOW_FAMILIES);
  aggregator.add(testFlowRecord({ source: { ...pod('checkout', 'checkout-a'), podDetail: true } }), 1000);
  assert.deepEqual(aggregator.labelSets('flowlens_profile_pod_flows_total'), [
    'source_namespace="shop",source_workload="checkout",source_pod="checkout-a",dest_namespace="",dest_workload="",dest_pod="",action="allow",reporter="dst"',
  ]);
});

test('the per-pod duration histogram observes the covered servers’ pods, with the workload histogram’s buckets', () => {
  const { pipeline, registry, profiles } = build();
  profiles.upsert('shop/checkout', checkoutProfile);
  const served = (server: Endpoint, durationSeconds: number | undefined, count = 1) =>
    pipeline.acceptHttp(
      testHttpRecord({ source: pod('frontend', 'frontend-1'), destination: server, durationSeconds, count }),
    );
  served(pod('checkout', 'checkout-a'), 0.125, 2);
  served(pod('checkout', 'checkout-a'), 0.375);
  served(pod('checkout', 'checkout-b'), 4);
  served(pod('checkout', 'checkout-b'), undefined); // a request without a duration is counted, not observed
  served(pod('cart', 'cart-0'), 0.02); // a server no profile covers
  // A covered client does not make its server's pods observed: the histogram is per server pod.
  pipeline.acceptHttp(
    testHttpRecord({
      source: pod('checkout', 'checkout-a'),
      destination: pod('payments', 'pay-1'),
      durationSeconds: 1,
    }),
  );

  const exposition = registry.render('prometheus');
  const a = 'dest_namespace="shop",dest_workload="checkout",dest_pod="checkout-a"';
  const b = 'dest_namespace="shop",dest_workload="checkout",dest_pod="checkout-b"';
  assert.equal(sample(exposition, `${DURATION}_bucket`, `{${a},le="0.1"}`), 0);
  assert.equal(sample(exposition, `${DURATION}_bucket`, `{${a},le="0.25"}`), 2);
  assert.equal(sample(exposition, `${DURATION}_bucket`, `{${a},le="0.5"}`), 3);
  assert.equal(sample(exposition, `${DURATION}_bucket`, `{${a},le="+Inf"}`), 3);
  assert.equal(sample(exposition, `${DURATION}_sum`, `{${a}}`), 0.625);
  assert.equal(sample(exposition, `${DURATION}_count`, `{${a}}`), 3);
  assert.equal(sample(exposition, `${DURATION}_bucket`, `{${b},le="2.5"}`), 0);
  assert.equal(sample(exposition, `${DURATION}_bucket`, `{${b},le="5.0"}`), 1);
  assert.equal(sample(exposition, `${DURATION}_count`, `{${b}}`), 1);
  // Two pods, each with a bucket per bound, +Inf, _sum and _count; no series for cart or payments.
  assert.equal(lines(exposition, `${DURATION}_bucket`).length, 2 * (HTTP_DURATION_BUCKETS.length + 1));
  assert.doesNotMatch(exposition, new RegExp(`^${DURATION}\\w*\\{[^}]*dest_workload="(cart|payments)"`, 'm'));
  // The workload-level histogram keeps every server, without pods.
  assert.equal(total(exposition, 'flowlens_http_request_duration_seconds_count'), 6);
});

test('the per-pod TCP families count the covered reporting pods’ retransmissions and flow-weighted RTT', () => {
  const { pipeline, registry, profiles } = build();
  profiles.upsert('shop/checkout', checkoutProfile);
  const frontend = pod('frontend', 'frontend-1');
  const checkoutA = pod('checkout', 'checkout-a');
  // checkout-a reports two records as the destination: 3 + 4 retransmissions, RTT 250ms over 1 flow and 500ms over 3.
  pipeline.accept(testFlowRecord({ source: frontend, destination: checkoutA, reporter: 'dst', tcp: tcp(3, 0.25) }));
  pipeline.accept(
    testFlowRecord({ source: frontend, destination: checkoutA, reporter: 'dst', flows: 3, tcp: tcp(4, 0.5) }),
  );
  // checkout-b reports as the source.
  pipeline.accept(
    testFlowRecord({
      source: pod('checkout', 'checkout-b'),
      destination: pod('db', 'db-0'),
      reporter: 'src',
      tcp: tcp(5, 0.002),
    }),
  );
  // The same edge reported by frontend, which no profile covers: not checkout-a's sockets, not counted per pod.
  pipeline.accept(testFlowRecord({ source: frontend, destination: checkoutA, reporter: 'src', tcp: tcp(100, 1) }));
  // A covered reporter without TCP statistics adds no series.
  pipeline.accept(testFlowRecord({ source: frontend, destination: pod('checkout', 'checkout-c'), reporter: 'dst' }));

  const exposition = registry.render('prometheus');
  assert.deepEqual(lines(exposition, RETRANSMISSIONS), [
    `${RETRANSMISSIONS}{namespace="shop",workload="checkout",pod="checkout-a"} 7`,
    `${RETRANSMISSIONS}{namespace="shop",workload="checkout",pod="checkout-b"} 5`,
  ]);
  const a = '{namespace="shop",workload="checkout",pod="checkout-a"}';
  assert.equal(sample(exposition, `${RTT}_sum`, a), 0.25 + 0.5 * 3);
  assert.equal(sample(exposition, `${RTT}_count`, a), 4);
  assert.equal(total(exposition, `${RTT}_count`), 5);
  assert.equal(
    total(exposition, 'flowlens_tcp_retransmissions_total'),
    112,
    'the workload family counts every reporter',
  );
});

test('the per-pod histogram and TCP families stay within their budget, counting label sets, and count the overflow', () => {
  const budget = 4;
  const { pipeline, registry, profiles, self } = build(budget);
  profiles.upsert('shop/checkout', checkoutProfile);
  const pods = 30;
  for (let i = 0; i < pods; i++) {
    const replica = pod('checkout', `checkout-${i}`);
    pipeline.acceptHttp(
      testHttpRecord({ source: pod('frontend', 'frontend-1'), destination: replica, durationSeconds: 0.1 }),
    );
    pipeline.accept(
      testFlowRecord({ source: replica, destination: pod('db', 'db-0'), reporter: 'src', tcp: tcp(1, 0.01) }),
    );
  }
  const exposition = registry.render('prometheus');
  const perLabelSet = HTTP_DURATION_BUCKETS.length + 3;
  // The budget's pods and one overflow series (no bounded labels here: every label reads __overflow__).
  const counts = lines(exposition, `${DURATION}_count`);
  assert.equal(counts.length, budget + 1);
  assert.equal(
    counts.at(-1),
    `${DURATION}_count{dest_namespace="__overflow__",dest_workload="__overflow__",dest_pod="__overflow__"} ${pods - budget}`,
  );
  assert.equal(total(exposition, `${DURATION}_count`), pods, 'totals stay right');
  assert.equal(self.seriesOverflow.get([DURATION]), pods - budget);
  assert.equal(self.seriesBudget.get([DURATION]), budget * perLabelSet, 'shown in series: buckets, _sum and _count');
  assert.equal(self.seriesActive.get([DURATION]), (budget + 1) * perLabelSet);

  const retransmissions = lines(exposition, RETRANSMISSIONS);
  assert.equal(retransmissions.length, budget + 1);
  assert.equal(
    retransmissions.at(-1),
    `${RETRANSMISSIONS}{namespace="__overflow__",workload="__overflow__",pod="__overflow__"} ${pods - budget}`,
  );
  assert.equal(self.seriesOverflow.get([RETRANSMISSIONS]), pods - budget);
  assert.equal(self.seriesOverflow.get([RTT]), pods - budget);
  assert.equal(self.seriesBudget.get([RTT]), budget, 'a summary shows its label sets, as the workload-level ones');
  // The workload-level families are untouched by the pods.
  assert.equal(self.seriesOverflow.get(['flowlens_http_request_duration_seconds']), 0);
  assert.equal(self.seriesOverflow.get(['flowlens_tcp_retransmissions_total']), 0);
});

test('removing the profile stops the per-pod histogram and TCP series, which then expire after their TTL', () => {
  const { pipeline, registry, profiles, self, advance } = build();
  profiles.upsert('shop/checkout', checkoutProfile);
  const checkoutA = pod('checkout', 'checkout-a');
  const send = () => {
    pipeline.acceptHttp(
      testHttpRecord({ source: pod('frontend', 'frontend-1'), destination: checkoutA, durationSeconds: 0.1 }),
    );
    pipeline.accept(
      testFlowRecord({ source: pod('frontend', 'frontend-1'), destination: checkoutA, tcp: tcp(2, 0.01) }),
    );
  };
  send();
  let exposition = registry.render('prometheus');
  assert.equal(total(exposition, `${DURATION}_count`), 1);
  assert.equal(total(exposition, RETRANSMISSIONS), 2);

  profiles.remove('shop/checkout');
  advance(TTL_SECONDS / 2);
  send();
  exposition = registry.render('prometheus');
  assert.equal(total(exposition, `${DURATION}_count`), 1, 'no longer observed per pod');
  assert.equal(total(exposition, RETRANSMISSIONS), 2, 'no longer counted per pod');
  assert.equal(total(exposition, 'flowlens_http_request_duration_seconds_count'), 2, 'still per workload');

  advance(TTL_SECONDS / 2 + 1);
  exposition = registry.render('prometheus');
  assert.deepEqual(lines(exposition, `${DURATION}_count`), [], 'expired');
  assert.deepEqual(lines(exposition, RETRANSMISSIONS), [], 'expired');
  assert.deepEqual(lines(exposition, `${RTT}_count`), [], 'expired');
  assert.equal(self.seriesEvicted.get([DURATION]), HTTP_DURATION_BUCKETS.length + 3);
  assert.equal(self.seriesEvicted.get([RETRANSMISSIONS]), 1);
});

test('a profile that does not collect l7 or flows gets no per-pod durations or TCP series', () => {
  const { pipeline, registry, profiles } = build();
  profiles.upsert(
    'shop/checkout',
    parseObservabilityProfile({
      metadata: { name: 'checkout', namespace: 'shop' },
      spec: { workloads: { names: ['checkout'] }, aggregation: 'pod', collect: { l7: false, flows: false } },
    }),
  );
  const checkoutA = pod('checkout', 'checkout-a');
  pipeline.acceptHttp(
    testHttpRecord({ source: pod('frontend', 'frontend-1'), destination: checkoutA, durationSeconds: 0.1 }),
  );
  pipeline.accept(testFlowRecord({ source: pod('frontend', 'frontend-1'), destination: checkoutA, tcp: tcp(2, 0.01) }));
  pipeline.acceptDns(testDnsRecord({ client: checkoutA }));
  const exposition = registry.render('prometheus');
  assert.deepEqual(lines(exposition, `${DURATION}_count`), []);
  assert.deepEqual(lines(exposition, RETRANSMISSIONS), []);
  assert.deepEqual(lines(exposition, `${RTT}_count`), []);
  assert.equal(total(exposition, 'flowlens_profile_pod_dns_requests_total'), 1, 'DNS is still collected per pod');
});
