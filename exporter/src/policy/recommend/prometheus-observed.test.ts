/**
 * The Prometheus side of the observed flows, as pure data: ranges and URLs as flags and keys take them, the query,
 * Prometheus' answer read strictly (malformed, truncated, wrongly typed, partial answers are errors naming the
 * field), and the conversion of tuples to observed flows: workloads, network sets by name, aggregates skipped
 * with a warning that says where their addresses are, the budget.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readResourcesFile } from '../../cluster/resources-file';
import { repoRoot } from '../../testing/collect';
import { parseNetworkSet } from '../calico/model';
import {
  PrometheusAnswerError,
  observedFlowsQuery,
  observedFromPrometheus,
  parseObservedAnswer,
  parsePrometheusRange,
  parsePrometheusUrl,
  retentionWarning,
  type FlowTupleLabels,
} from './prometheus-observed';
import { recommendClusterFromDocuments } from './cluster';
import { recommendPolicies } from './recommend';

const { cluster } = recommendClusterFromDocuments(
  readResourcesFile(join(repoRoot(), 'test/fixtures/recommend/resources.yaml')),
);

function tuple(labels: Partial<Record<keyof FlowTupleLabels, string>>): FlowTupleLabels {
  return {
    source_namespace: '',
    source_workload: '',
    dest_namespace: '',
    dest_workload: '',
    dest_port: '',
    protocol: '',
    ...labels,
  };
}

function answer(result: unknown, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ status: 'success', data: { resultType: 'vector', result }, ...extra });
}

const CART_TO_PAYMENTS = {
  metric: {
    source_namespace: 'shop',
    source_workload: 'cart',
    dest_namespace: 'payments',
    dest_workload: 'payments-api',
    dest_port: '8443',
    protocol: 'tcp',
  },
  value: [1764150000.123, '1'],
};

describe('ranges and URLs', () => {
  test('a range is a number and one unit, from 1m to 366d', () => {
    assert.deepEqual(parsePrometheusRange('7d'), { text: '7d', seconds: 604_800 });
    assert.deepEqual(parsePrometheusRange('2w'), { text: '2w', seconds: 1_209_600 });
    assert.deepEqual(parsePrometheusRange('90s'), { text: '90s', seconds: 90 });
    for (const bad of ['7', '7days', '1d12h', '-1d', '', '7D']) {
      const parsed = parsePrometheusRange(bad);
      assert.ok('problem' in parsed, bad);
      assert.match(parsed.problem, /one unit of s, m, h, d or w, such as 7d/);
    }
    for (const outside of ['30s', '367d']) {
      const parsed = parsePrometheusRange(outside);
      assert.ok('problem' in parsed && /from 1m to 366d/.test(parsed.problem), outside);
    }
  });

  test('a URL is http(s), without credentials, query or fragment; its path gets a trailing slash', () => {
    const url = parsePrometheusUrl('https://monitoring.example/prometheus');
    assert.ok(url instanceof URL);
    assert.equal(url.href, 'https://monitoring.example/prometheus/');
    assert.equal(new URL('api/v1/query', url).pathname, '/prometheus/api/v1/query', 'under the path prefix');
    const cases: [string, RegExp][] = [
      ['prometheus:9090', /must be an http:\/\/ or https:\/\/ URL/],
      ['ftp://prometheus', /must be an http:\/\/ or https:\/\/ URL/],
      ['http://admin:hunter2@prometheus:9090', /basic auth, not in the URL/],
      ['http://prometheus:9090/?x=1', /without \?query or #fragment/],
    ];
    for (const [text, message] of cases) {
      const parsed = parsePrometheusUrl(text);
      assert.ok(!(parsed instanceof URL), text);
      assert.match(parsed.problem, message);
      assert.doesNotMatch(parsed.problem, /hunter2/, 'a password is never repeated');
    }
  });
});

test("the range against Prometheus' retention: advice when it reaches past it, silence when nobody says", () => {
  const info = (storageRetention: unknown): string => JSON.stringify({ status: 'success', data: { storageRetention } });
  const week = { text: '7d', seconds: 604_800 };
  assert.equal(retentionWarning(week, info('15d')), undefined);
  assert.equal(retentionWarning(week, info('1y2w')), undefined);
  assert.match(retentionWarning(week, info('6d')) ?? '', /^the range 7d is longer than Prometheus' retention \(6d\)/);
  assert.match(retentionWarning(week, info('6d23h59m or 10GiB')) ?? '', /retention \(6d23h59m or 10GiB\)/);
  for (const unknown of [info(42), info('forever'), '{"status":"su', '404 page not found', JSON.stringify({})]) {
    assert.equal(retentionWarning(week, unknown), undefined, unknown);
  }
});

describe('the query', () => {
  test('every allowed series with a sample in the range, grouped by the tuple', () => {
    assert.equal(
      observedFlowsQuery({ range: '7d' }),
      'group by (source_namespace, source_workload, dest_namespace, dest_workload, dest_port, protocol) (last_over_time(flowlens_flows_total{action="allow"}[7d]))',
    );
  });

  test('a namespace: flows with either end in it', () => {
    assert.equal(
      observedFlowsQuery({ range: '12h', namespace: 'shop' }),
      'group by (source_namespace, source_workload, dest_namespace, dest_workload, dest_port, protocol) (last_over_time(flowlens_flows_total{action="allow",source_namespace="shop"}[12h]) or last_over_time(flowlens_flows_total{action="allow",dest_namespace="shop"}[12h]))',
    );
  });
});

describe("reading Prometheus' answer", () => {
  test('a vector of tuples; labels Prometheus left out (empty ones) read as empty', () => {
    const tuples = parseObservedAnswer(
      answer([CART_TO_PAYMENTS, { metric: { source_workload: 'world', dest_port: '53' }, value: [1, '1'] }]),
    );
    assert.deepEqual(tuples, [tuple(CART_TO_PAYMENTS.metric), tuple({ source_workload: 'world', dest_port: '53' })]);
    assert.deepEqual(parseObservedAnswer(answer([])), [], 'no flows is an answer too');
  });

  test('malformed, truncated, failed and partial answers are errors naming what was wrong', () => {
    const whole = answer([CART_TO_PAYMENTS]);
    const cases: [string, RegExp][] = [
      [whole.slice(0, whole.length - 7), /not JSON .*cut short/],
      ['<html>502 Bad Gateway</html>', /not JSON/],
      ['[]', /must be a JSON object, got a list/],
      [
        JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error at char 5' }),
        /status is "error", not "success" \(bad_data\): parse error at char 5/,
      ],
      [JSON.stringify({ status: 'success' }), /data must be an object, got undefined/],
      [
        JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } }),
        /data.resultType is "matrix", not "vector"/,
      ],
      [JSON.stringify({ status: 'success', data: { resultType: 'vector', result: {} } }), /data.result must be a list/],
      [answer([CART_TO_PAYMENTS], { warnings: ['store gateway unavailable'] }), /partial .*store gateway unavailable/],
      [answer([CART_TO_PAYMENTS], { warnings: 'x' }), /warnings must be a list/],
    ];
    for (const [body, message] of cases) {
      assert.throws(() => parseObservedAnswer(body), message, body.slice(0, 60));
      assert.throws(() => parseObservedAnswer(body), PrometheusAnswerError);
    }
  });

  test('wrongly typed samples name the sample and the field', () => {
    const cases: [unknown, RegExp][] = [
      ['x', /data.result\[1\] must be an object, got string "x"/],
      [{ value: [1, '1'] }, /data.result\[1\].metric must be an object, got undefined/],
      [
        { metric: { ...CART_TO_PAYMENTS.metric, dest_port: 8443 }, value: [1, '1'] },
        /data.result\[1\].metric.dest_port must be a string, got number 8443/,
      ],
      [
        { metric: { ...CART_TO_PAYMENTS.metric, reporter: 'src' }, value: [1, '1'] },
        /data.result\[1\].metric has label "reporter"; the query groups by source_namespace, .* only/,
      ],
      [{ metric: CART_TO_PAYMENTS.metric }, /data.result\[1\].value must be \[time, "value"\], got undefined/],
      [{ metric: CART_TO_PAYMENTS.metric, value: ['1', 1] }, /data.result\[1\].value must be \[time, "value"\]/],
    ];
    for (const [sample, message] of cases) {
      assert.throws(() => parseObservedAnswer(answer([CART_TO_PAYMENTS, sample])), message);
    }
  });

  test('an oversized answer is read whole or refused, never cut: the client bounds the bytes', () => {
    // Many tuples parse (the byte bound is the client's, prometheus-client.test.ts); the count is the answer's.
    const many = Array.from({ length: 5000 }, (_, index) => ({
      metric: { ...CART_TO_PAYMENTS.metric, dest_port: String(1 + index) },
      value: [1, '1'],
    }));
    assert.equal(parseObservedAnswer(answer(many)).length, 5000);
  });
});

describe('tuples to observed flows', () => {
  const partner = cluster.networkSets.find((set) => set.name === 'partner-apis');

  test('pods by workload; protocols as policies name them; a network set by its name', () => {
    assert.ok(partner !== undefined, 'the fixture has the partner-apis GlobalNetworkSet');
    const result = observedFromPrometheus(
      [
        tuple(CART_TO_PAYMENTS.metric),
        tuple({ ...CART_TO_PAYMENTS.metric, protocol: '6' }),
        tuple({
          source_namespace: 'payments',
          source_workload: 'payments-api',
          dest_workload: 'partner-apis',
          dest_port: '443',
          protocol: 'TCP',
        }),
      ],
      cluster.networkSets,
      100,
    );
    assert.deepEqual(result.observed.flows(), [
      {
        source: { kind: 'workload', namespace: 'shop', workload: 'cart' },
        destination: { kind: 'workload', namespace: 'payments', workload: 'payments-api' },
        port: 8443,
        protocol: 'TCP',
      },
      {
        source: { kind: 'workload', namespace: 'payments', workload: 'payments-api' },
        destination: { kind: 'networkSet', namespace: '', name: 'partner-apis' },
        port: 443,
        protocol: 'TCP',
      },
    ]);
    assert.equal(result.tuples, 3);
    assert.deepEqual(result.skipped, {});
    assert.deepEqual(result.warnings, []);
  });

  test('aggregates (world, private) and hosts are skipped, counted, and the warning says where their addresses are', () => {
    const result = observedFromPrometheus(
      [
        tuple({
          source_namespace: 'shop',
          source_workload: 'cart',
          dest_workload: 'world',
          dest_port: '443',
          protocol: 'tcp',
        }),
        tuple({
          source_workload: 'private',
          dest_namespace: 'shop',
          dest_workload: 'frontend',
          dest_port: '80',
          protocol: 'tcp',
        }),
        tuple({
          source_workload: 'kube-apiserver',
          dest_namespace: 'shop',
          dest_workload: 'cart',
          dest_port: '8080',
          protocol: 'tcp',
        }),
        tuple({ source_namespace: 'shop', source_workload: 'cart', dest_port: '9', protocol: 'udp' }),
      ],
      cluster.networkSets,
      100,
    );
    assert.equal(result.observed.size, 0);
    assert.deepEqual(result.skipped, { 'aggregate peer': 2, 'peer without an address': 2 });
    assert.match(
      result.warnings[0] ?? '',
      /^2 flows from Prometheus with a peer outside the cluster known only as an aggregate \(world, private\) were skipped: an aggregate cannot become a least-privilege CIDR; .*\?observed=local, or policy recommend --source\) or the flow logs/,
    );
    assert.match(
      result.warnings[1] ?? '',
      /^2 flows from Prometheus with a peer that is neither a workload nor a network set .*\(kube-apiserver, \(unnamed\)\)/,
    );
  });

  test('no port, unnameable protocols, over-budget series and ambiguous set names are skipped by reason', () => {
    const twin = parseNetworkSet({
      apiVersion: 'projectcalico.org/v3',
      kind: 'NetworkSet',
      metadata: { name: 'partner-apis', namespace: 'shop', labels: { x: 'y' } },
      spec: { nets: ['198.51.100.0/24'] },
    });
    const result = observedFromPrometheus(
      [
        tuple({ ...CART_TO_PAYMENTS.metric, dest_port: '' }),
        tuple({ ...CART_TO_PAYMENTS.metric, dest_port: '0' }),
        tuple({ ...CART_TO_PAYMENTS.metric, dest_port: '70000' }),
        tuple({ ...CART_TO_PAYMENTS.metric, protocol: 'icmp' }),
        tuple({ ...CART_TO_PAYMENTS.metric, protocol: 'icmp', dest_port: '' }),
        tuple({ ...CART_TO_PAYMENTS.metric, source_workload: '__overflow__' }),
        tuple({ ...CART_TO_PAYMENTS.metric, dest_namespace: '', dest_workload: 'partner-apis' }),
      ],
      [...cluster.networkSets, twin],
      100,
    );
    assert.equal(result.observed.size, 0);
    assert.deepEqual(result.skipped, {
      'no port': 3,
      'protocol policies cannot name': 2,
      'over budget label': 1,
      'ambiguous network set': 1,
    });
    assert.equal(result.warnings.length, 3, result.warnings.join('\n'));
    assert.ok(result.warnings.some((warning) => /give the sets distinct names/.test(warning)));
    assert.ok(result.warnings.some((warning) => /raise metrics.budget/.test(warning)));
    assert.ok(result.warnings.some((warning) => /keep ports on the family/.test(warning)));
  });

  test('bounded by the budget: distinct flows past it are counted as dropped', () => {
    const tuples = [8443, 8444, 8445, 8446].map((port) =>
      tuple({ ...CART_TO_PAYMENTS.metric, dest_port: String(port) }),
    );
    const result = observedFromPrometheus([...tuples, tuples[0]!], cluster.networkSets, 2);
    assert.equal(result.observed.size, 2);
    assert.equal(result.observed.maxEntries, 2);
    assert.equal(result.observed.dropped, 2, 'the duplicate is not a new flow');
  });

  test('a network set peer: its labels in Calico format, its CIDRs in Kubernetes format', () => {
    const { observed } = observedFromPrometheus(
      [
        tuple({
          source_namespace: 'payments',
          source_workload: 'payments-api',
          dest_workload: 'partner-apis',
          dest_port: '443',
          protocol: 'tcp',
        }),
      ],
      cluster.networkSets,
      100,
    );
    // An address observed locally inside the set adds nothing in Kubernetes format: the block covers it.
    const flows = [
      ...observed.flows(),
      {
        source: { kind: 'workload', namespace: 'payments', workload: 'payments-api' },
        destination: { kind: 'external', ip: '203.0.113.7' },
        port: 443,
        protocol: 'TCP',
      } as const,
    ];
    const kubernetes = recommendPolicies(cluster, flows, { format: 'kubernetes', namespace: 'payments' });
    const egress = (kubernetes.policies[0]?.['spec'] as { egress: { to: unknown[]; ports: unknown[] }[] }).egress;
    assert.deepEqual(egress[1], {
      to: [{ ipBlock: { cidr: '203.0.113.0/24' } }],
      ports: [{ protocol: 'TCP', port: 443 }],
    });
    const calico = recommendPolicies(cluster, flows, { format: 'calico-staged', namespace: 'payments' });
    const calicoEgress = (calico.policies[0]?.['spec'] as { egress: Record<string, unknown>[] }).egress;
    assert.deepEqual(calicoEgress.at(-1), {
      action: 'Allow',
      protocol: 'TCP',
      destination: { namespaceSelector: 'global()', selector: "flowlens.io/network == 'partner-apis'", ports: [443] },
    });
    assert.deepEqual(kubernetes.flowsSkipped, {});
  });

  test('a network set the resources do not hold: its flows are skipped with a warning naming it', () => {
    const recommendation = recommendPolicies(
      cluster,
      [
        {
          source: { kind: 'workload', namespace: 'payments', workload: 'payments-api' },
          destination: { kind: 'networkSet', namespace: '', name: 'gone' },
          port: 443,
          protocol: 'TCP',
        },
      ],
      { format: 'kubernetes' },
    );
    assert.deepEqual(recommendation.flowsSkipped, { 'network set not in the resources': 1 });
    assert.ok(
      recommendation.warnings.some((warning) => /^network set gone: .*add the \(Global\)NetworkSet/.test(warning)),
    );
  });
});
