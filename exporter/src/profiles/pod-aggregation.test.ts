/**
 * `aggregation: pod` applied through the real pipeline: the per-pod families get series for the workloads a profile
 * covers and no other, under their own budget, and stop growing (then expire) once the profile is gone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pipeline } from '../pipeline/pipeline';
import { DnsAggregator, FlowAggregator, HttpAggregator, defaultFamilyOptions } from '../metrics/flow-aggregator';
import { MetricsRegistry, SelfMetrics } from '../metrics/registry';
import { PROFILE_POD_FLOW_FAMILIES, RECORD_FAMILIES, PROFILE_POD_BUDGET } from '../metrics/catalogue';
import { MemoryLogger } from '../log';
import { emptyEndpoint, type Endpoint } from '../model/flow';
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
  for (const family of PROFILE_POD_FLOW_FAMILIES) {
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
