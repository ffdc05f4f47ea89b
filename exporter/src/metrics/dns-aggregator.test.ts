import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DnsAggregator, FlowAggregator, TopKFolder, defaultFamilyOptions } from './flow-aggregator';
import { DNS_FAMILIES, DNS_LATENCY_BUCKETS, OTHER_VALUE } from './catalogue';
import { MetricsRegistry, SelfMetrics } from './registry';
import { emptyEndpoint, type Endpoint } from '../model/flow';
import { testDnsRecord } from '../testing/records';
import { SeededRandom } from '../demo/random';

function pod(namespace: string, workload: string): Endpoint {
  return { ...emptyEndpoint(), kind: 'pod', namespace, workload, workloadKind: 'Deployment' };
}

const client = pod('shop', 'frontend');
const server = pod('kube-system', 'coredns');

/** Sample lines of one family (by name prefix) as name{labels} -> value. */
function samples(exposition: string, prefix: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(prefix) || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    found.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return found;
}

function render(dns: DnsAggregator, format: 'prometheus' | 'openmetrics' = 'prometheus'): string {
  return new MetricsRegistry(new FlowAggregator(), new SelfMetrics(), () => 0, dns).render(format);
}

test('requests count per client, server, type and code', () => {
  const dns = new DnsAggregator();
  dns.add(testDnsRecord({ client, server, count: 5 }), 0);
  dns.add(testDnsRecord({ client, server, count: 2, rcode: 'NXDOMAIN' }), 0);
  dns.add(testDnsRecord({ client, server, count: 1 }), 0);
  const requests = samples(render(dns), 'flowlens_dns_requests_total{');
  assert.deepEqual(
    [...requests],
    [
      [
        'flowlens_dns_requests_total{client_namespace="shop",client_workload="frontend",server_namespace="kube-system",server_workload="coredns",qtype="A",rcode="NOERROR"}',
        6,
      ],
      [
        'flowlens_dns_requests_total{client_namespace="shop",client_workload="frontend",server_namespace="kube-system",server_workload="coredns",qtype="A",rcode="NXDOMAIN"}',
        2,
      ],
    ],
  );
});

test('the latency histogram: cumulative buckets, +Inf, _sum and _count in both formats', () => {
  const dns = new DnsAggregator();
  // Calico: a mean of 2 ms observed 4 times; CoreDNS: one 0.3 ms query; one slow 7 s query.
  dns.add(testDnsRecord({ client, count: 4, latency: { count: 4, meanSeconds: 0.002, maxSeconds: 0.004 } }), 0);
  dns.add(testDnsRecord({ client, latency: { count: 1, meanSeconds: 0.0003, maxSeconds: 0.0003 } }), 0);
  dns.add(testDnsRecord({ client, latency: { count: 1, meanSeconds: 7, maxSeconds: 7 } }), 0);
  dns.add(testDnsRecord({ client, count: 3 }), 0); // no latency: counted as requests only
  for (const format of ['prometheus', 'openmetrics'] as const) {
    const exposition = render(dns, format);
    assert.match(exposition, /^# TYPE flowlens_dns_latency_seconds histogram$/m);
    if (format === 'openmetrics') assert.match(exposition, /^# UNIT flowlens_dns_latency_seconds seconds$/m);
    const lines = exposition.split('\n').filter((line) => line.startsWith('flowlens_dns_latency_seconds'));
    const labels = 'client_namespace="shop",client_workload="frontend",rcode="NOERROR"';
    const expectedBuckets = DNS_LATENCY_BUCKETS.map((bound) =>
      bound < 0.0003 ? 0 : bound < 0.002 ? 1 : bound < 7 ? 5 : 6,
    );
    assert.deepEqual(lines, [
      `flowlens_dns_latency_seconds_bucket{${labels},le="0.0005"} ${expectedBuckets[0]}`,
      `flowlens_dns_latency_seconds_bucket{${labels},le="0.001"} ${expectedBuckets[1]}`,
      `flowlens_dns_latency_seconds_bucket{${labels},le="0.0025"} ${expectedBuckets[2]}`,
      `flowlens_dns_latency_seconds_bucket{${labels},le="0.005"} 5`,
      `flowlens_dns_latency_seconds_bucket{${labels},le="0.01"} 5`,
      `flowlens_dns_latency_seconds_bucket{${labels},le="0.025"} 5`,
      `flowlens_dns_latency_seconds_bucket{${labels},le="0.05"} 5`,
      `flowlens_dns_latency_seconds_bucket{${labels},le="0.1"} 5`,
      `flowlens_dns_latency_seconds_bucket{${labels},le="0.25"} 5`,
      `flowlens_dns_latency_seconds_bucket{${labels},le="0.5"} 5`,
      `flowlens_dns_latency_seconds_bucket{${labels},le="1.0"} 5`,
      `flowlens_dns_latency_seconds_bucket{${labels},le="2.5"} 5`,
      `flowlens_dns_latency_seconds_bucket{${labels},le="5.0"} 5`,
      `flowlens_dns_latency_seconds_bucket{${labels},le="+Inf"} 6`,
      `flowlens_dns_latency_seconds_sum{${labels}} ${0.002 * 4 + 0.0003 + 7}`,
      `flowlens_dns_latency_seconds_count{${labels}} 6`,
    ]);
  }
  const stats = dns.stats().find((entry) => entry.family === 'flowlens_dns_latency_seconds');
  assert.equal(stats?.activeSeries, DNS_LATENCY_BUCKETS.length + 3, 'a series per bucket, +Inf, _sum and _count');
});

test('a flood of random names: at most K names per client namespace, the rest under __other__, totals right', () => {
  const dns = new DnsAggregator();
  const k = defaultFamilyOptions(DNS_FAMILIES[2]!).topK ?? 0;
  assert.equal(k, 100);
  const random = new SeededRandom(7);
  const realNames = Array.from({ length: 20 }, (_, index) => `svc-${index}.shop.svc.cluster.local`);
  const attacker = pod('shop', 'compromised');
  let total = 0;
  let now = 1_000;
  // Window 1: real traffic, then 20,000 random names, then more real traffic.
  for (const qname of realNames) dns.add(testDnsRecord({ client, qname, count: 50 }), now);
  total += realNames.length * 50;
  for (let i = 0; i < 20_000; i++) {
    const qname = `${random.int(1e9).toString(36)}.evil.example`;
    dns.add(testDnsRecord({ client: attacker, qname, rcode: 'NXDOMAIN' }), now);
    total += 1;
  }
  for (const qname of realNames) dns.add(testDnsRecord({ client, qname, count: 10 }), now + 10);
  total += realNames.length * 10;
  // Another namespace has its own K.
  dns.add(testDnsRecord({ client: pod('data', 'etl'), qname: 'db.data.svc.cluster.local' }), now);
  total += 1;

  const check = (): Map<string, number> => {
    const domains = samples(render(dns), 'flowlens_dns_domain_requests_total{');
    const shopNames = new Set(
      [...domains.keys()]
        .filter((key) => key.includes('client_namespace="shop"'))
        .map((key) => /qname="([^"]*)"/.exec(key)?.[1]),
    );
    shopNames.delete(OTHER_VALUE);
    assert.ok(shopNames.size <= k, `${shopNames.size} names kept for shop`);
    const sum = [...domains.values()].reduce((a, b) => a + b, 0);
    assert.equal(sum, total, 'every query is counted once');
    const requests = samples(render(dns), 'flowlens_dns_requests_total{');
    assert.equal(
      [...requests.values()].reduce((a, b) => a + b, 0),
      total,
    );
    return domains;
  };
  let domains = check();
  assert.ok(
    domains.get(
      `flowlens_dns_domain_requests_total{client_namespace="shop",qname="${OTHER_VALUE}",rcode="NXDOMAIN"}`,
    )! > 19_000,
  );
  assert.equal(
    domains.get(
      'flowlens_dns_domain_requests_total{client_namespace="data",qname="db.data.svc.cluster.local",rcode="NOERROR"}',
    ),
    1,
  );
  for (const qname of realNames) {
    assert.equal(
      domains.get(`flowlens_dns_domain_requests_total{client_namespace="shop",qname="${qname}",rcode="NOERROR"}`),
      60,
    );
  }

  // Window 2: the flood comes first, yet the busy real names keep their places.
  now += 400;
  for (let i = 0; i < 20_000; i++) {
    dns.add(
      testDnsRecord({ client: attacker, qname: `${random.int(1e9).toString(36)}.evil2.example`, rcode: 'NXDOMAIN' }),
      now,
    );
    total += 1;
  }
  for (const qname of realNames) dns.add(testDnsRecord({ client, qname, count: 5 }), now);
  total += realNames.length * 5;
  domains = check();
  for (const qname of realNames) {
    assert.equal(
      domains.get(`flowlens_dns_domain_requests_total{client_namespace="shop",qname="${qname}",rcode="NOERROR"}`),
      65,
    );
  }
  assert.equal(
    [...domains.keys()].filter((key) => key.includes('evil2')).length,
    0,
    'no place was free for new flood names',
  );
});

test('the top-K folder keeps the previous window’s busiest values and drops idle ones', () => {
  const folder = new TopKFolder(2, 60);
  assert.equal(folder.fold('ns', 'a', 0), 'a');
  assert.equal(folder.fold('ns', 'b', 0), 'b');
  assert.equal(folder.fold('ns', 'c', 0), OTHER_VALUE);
  assert.equal(folder.fold('ns', 'a', 1), 'a');
  assert.equal(folder.fold('other', 'c', 1), 'c');
  // Next window: a and b carried over; then a window where only a is seen drops b.
  assert.equal(folder.fold('ns', 'c', 60), OTHER_VALUE);
  assert.equal(folder.fold('ns', 'a', 61), 'a');
  assert.equal(folder.fold('ns', 'c', 130), 'c');
  assert.equal(folder.admittedCount('ns'), 2);
  assert.equal(folder.admittedCount('other'), 0, 'a group idle for a window is forgotten');
});

test('the topK option bounds the names', () => {
  const options = new Map([
    ['flowlens_dns_domain_requests_total', { ...defaultFamilyOptions(DNS_FAMILIES[2]!), topK: 3 }],
  ]);
  const dns = new DnsAggregator(options);
  for (let i = 0; i < 10; i++) dns.add(testDnsRecord({ client, qname: `n${i}.example` }), 0);
  assert.equal(dns.labelSets('flowlens_dns_domain_requests_total').length, 4, 'three names and __other__');
});

test('DNS families keep the budget and aggregation semantics: overflow keeps qtype and rcode, pod level adds pods', () => {
  const requests = DNS_FAMILIES[0]!;
  const options = new Map([
    [requests.name, { ...defaultFamilyOptions(requests), budget: 2 }],
    [DNS_FAMILIES[1]!.name, { ...defaultFamilyOptions(DNS_FAMILIES[1]!), level: 'pod' as const }],
  ]);
  const dns = new DnsAggregator(options);
  for (let i = 0; i < 5; i++) {
    const rcode = i % 2 === 0 ? 'NOERROR' : 'NXDOMAIN';
    dns.add(
      testDnsRecord({
        client: pod('shop', `w${i}`),
        server,
        rcode,
        latency: { count: 1, meanSeconds: 0.001, maxSeconds: 0.001 },
      }),
      0,
    );
  }
  const keys = dns.labelSets(requests.name);
  assert.equal(keys.length, 4, 'two label sets, then one overflow series per (qtype, rcode)');
  assert.ok(
    keys.includes(
      'client_namespace="__overflow__",client_workload="__overflow__",server_namespace="__overflow__",server_workload="__overflow__",qtype="A",rcode="NOERROR"',
    ),
  );
  const stats = dns.stats().find((entry) => entry.family === requests.name);
  assert.equal(stats?.overflowedSamples, 3);
  assert.match(dns.labelSets(DNS_FAMILIES[1]!.name)[0] ?? '', /client_workload="w0",client_pod="",rcode="NOERROR"/);
});
