import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DnsAggregator, FlowAggregator, HttpAggregator, defaultFamilyOptions } from './flow-aggregator';
import { HTTP_DURATION_BUCKETS, HTTP_FAMILIES, OVERFLOW_VALUE } from './catalogue';
import { MetricsRegistry, SelfMetrics } from './registry';
import { emptyEndpoint, type Endpoint } from '../model/flow';
import { normalizeMethod } from '../model/http';
import { testHttpRecord } from '../testing/records';

function pod(namespace: string, workload: string): Endpoint {
  return { ...emptyEndpoint(), kind: 'pod', namespace, workload, workloadKind: 'Deployment' };
}

const source = pod('shop', 'checkout');
const destination = { ...pod('payments', 'payments-api'), service: 'payments-api' };

function samples(exposition: string, prefix: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(prefix) || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    found.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return found;
}

function sum(values: Map<string, number>): number {
  return [...values.values()].reduce((total, value) => total + value, 0);
}

function render(http: HttpAggregator, self = new SelfMetrics()): string {
  return new MetricsRegistry(new FlowAggregator(), self, () => 0, new DnsAggregator(), http).render('prometheus');
}

test('methods: standard ones upper-cased, anything else folded to OTHER', () => {
  assert.equal(normalizeMethod('get'), 'GET');
  assert.equal(normalizeMethod('PATCH'), 'PATCH');
  assert.equal(normalizeMethod('PROPFIND'), 'OTHER');
  assert.equal(normalizeMethod('x-random-1234'), 'OTHER');
  assert.equal(normalizeMethod(''), '');
});

test('requests, bytes and durations per edge, method and status class; count weights aggregates', () => {
  const http = new HttpAggregator();
  http.add(
    testHttpRecord({ source, destination, count: 12, bytesReceived: 2400, bytesSent: 9600, durationSeconds: 0.02 }),
    0,
  );
  http.add(
    testHttpRecord({ source, destination, statusCode: 503, statusClass: '5xx', durationSeconds: 2, bytesSent: 90 }),
    0,
  );
  http.add(testHttpRecord({ source, destination, method: 'brew' }), 0);
  const exposition = render(http);
  const edge =
    'source_namespace="shop",source_workload="checkout",dest_namespace="payments",dest_workload="payments-api",dest_service="payments-api"';
  const requests = samples(exposition, 'flowlens_http_requests_total{');
  assert.equal(requests.get(`flowlens_http_requests_total{${edge},method="GET",status_class="2xx"}`), 12);
  assert.equal(requests.get(`flowlens_http_requests_total{${edge},method="GET",status_class="5xx"}`), 1);
  assert.equal(requests.get(`flowlens_http_requests_total{${edge},method="OTHER",status_class="2xx"}`), 1);
  assert.equal(sum(samples(exposition, 'flowlens_http_request_bytes_total{')), 2400);
  assert.equal(sum(samples(exposition, 'flowlens_http_response_bytes_total{')), 9690);
  const durations = samples(exposition, 'flowlens_http_request_duration_seconds');
  assert.equal(durations.get(`flowlens_http_request_duration_seconds_count{${edge},status_class="2xx"}`), 12);
  assert.equal(durations.get(`flowlens_http_request_duration_seconds_bucket{${edge},status_class="5xx",le="1.0"}`), 0);
  assert.equal(durations.get(`flowlens_http_request_duration_seconds_bucket{${edge},status_class="5xx",le="2.5"}`), 1);
  assert.equal(HTTP_DURATION_BUCKETS.length + 3, [...durations.keys()].filter((key) => key.includes('"5xx"')).length);
  // The record without a duration counts as a request but is not observed.
  assert.equal(sum(samples(exposition, 'flowlens_http_request_duration_seconds_count{')), 13);
});

test('a cardinality attack: random workloads and methods stay within the budget and fold into __overflow__', () => {
  const budget = 50;
  const options = new Map(HTTP_FAMILIES.map((family) => [family.name, { ...defaultFamilyOptions(family), budget }]));
  const http = new HttpAggregator(options);
  for (let i = 0; i < 10_000; i++) {
    http.add(
      testHttpRecord({
        source: pod(`attacker-${i % 97}`, `w-${i}`),
        destination,
        method: `M${i}`,
        statusCode: 200 + (i % 400),
        statusClass: (['2xx', '3xx', '4xx', '5xx'] as const)[i % 4],
        bytesReceived: 1,
      }),
      0,
    );
  }
  const self = new SelfMetrics();
  const exposition = render(http, self);
  const requests = samples(exposition, 'flowlens_http_requests_total{');
  // The budget plus one overflow series per bounded label set (method OTHER x 4 status classes).
  assert.ok(requests.size <= budget + 4, `${requests.size} series`);
  assert.equal(sum(requests), 10_000);
  assert.equal(sum(samples(exposition, 'flowlens_http_request_bytes_total{')), 10_000);
  assert.ok([...requests.keys()].some((key) => key.includes(`source_workload="${OVERFLOW_VALUE}"`)));
  assert.ok([...requests.keys()].every((key) => /method="(OTHER|GET)"/.test(key)));
  assert.ok(self.seriesOverflow.get(['flowlens_http_requests_total']) > 9000);
  assert.equal(self.seriesBudget.get(['flowlens_http_requests_total']), budget);
});

test('idle series expire after the TTL', () => {
  const options = new Map(
    HTTP_FAMILIES.map((family) => [family.name, { ...defaultFamilyOptions(family), ttlSeconds: 60 }]),
  );
  const http = new HttpAggregator(options);
  http.add(testHttpRecord({ source, destination }), 0);
  http.sweep(30);
  assert.equal(http.labelSets('flowlens_http_requests_total').length, 1);
  http.sweep(120);
  assert.equal(http.labelSets('flowlens_http_requests_total').length, 0);
});
