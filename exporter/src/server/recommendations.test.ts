/**
 * `GET /api/v1/recommendations` through the exporter's HTTP server: callers need the token; parameters are checked
 * and named; the policies are the recommender's over the observed set; the set's budget shows in the answer.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { parseAllDocuments } from 'yaml';
import { createExporterServer } from './http';
import { RecommendationRunner } from './recommendation-runner';
import { serveRecommendations, type RecommendationsServer } from '../testing/recommendations-server';
import { MetricsRegistry, SelfMetrics } from '../metrics/registry';
import { FlowAggregator } from '../metrics/flow-aggregator';
import { JsonLogger } from '../log';
import { readResourcesFile } from '../cluster/resources-file';
import { repoRoot } from '../testing/collect';
import { createServer } from 'node:http';
import {
  diffRecommendation,
  enforcedManifests,
  ObservedFlows,
  fetchPrometheusFlowsAnswer,
  parsePrometheusUrl,
  recommendClusterFromDocuments,
  recommendPolicies,
  type EnforcedPolicies,
  type RecommendCluster,
} from '../policy/recommend';
import { buildPolicySnapshot } from '../policy/snapshot';

const TOKEN = 's3cret-token';
const documents = readResourcesFile(join(repoRoot(), 'test/fixtures/recommend/resources.yaml'));
const { cluster } = recommendClusterFromDocuments(documents);
const objects = documents.map((document) => document.object);
const ENFORCED: EnforcedPolicies = {
  snapshot: buildPolicySnapshot(objects).engine,
  manifests: enforcedManifests(objects),
};
const CART = { kind: 'workload', namespace: 'shop', workload: 'cart' } as const;
const PAYMENTS = { kind: 'workload', namespace: 'payments', workload: 'payments-api' } as const;
const FRONTEND = { kind: 'workload', namespace: 'shop', workload: 'frontend' } as const;

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

describe('/api/v1/recommendations', () => {
  let served: RecommendationsServer;
  let base: string;
  const observed = new ObservedFlows(2);
  let currentCluster: RecommendCluster | undefined = cluster;
  let currentEnforced: EnforcedPolicies | undefined = ENFORCED;
  const runner = new RecommendationRunner();

  before(async () => {
    observed.add({ source: CART, destination: PAYMENTS, port: 8443, protocol: 'TCP' });
    observed.add({ source: FRONTEND, destination: CART, port: 8080, protocol: 'TCP' });
    served = await serveRecommendations({
      token: TOKEN,
      observed,
      cluster: () => currentCluster,
      enforced: () => currentEnforced,
      runner,
    });
    base = served.base;
  });

  after(async () => {
    await served.close();
    await runner.close();
  });

  async function get(query: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
    const response = await fetch(`${base}/api/v1/recommendations${query}`, { method, headers });
    return { status: response.status, headers: response.headers, text: await response.text() };
  }
  const authorized = { authorization: `Bearer ${TOKEN}` };

  test('callers without the token, or with another, are refused with a Bearer challenge', async () => {
    const none = await get('');
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="flowlens-api"');
    assert.equal(none.text, 'bearer token required\n');
    const wrong = await get('', { authorization: 'Bearer guess' });
    assert.equal(wrong.status, 401);
    assert.match(wrong.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    assert.doesNotMatch(wrong.text, /payments/, 'nothing observed leaks');
  });

  test('JSON: the recommender over the observed set, with the budget and what it dropped', async () => {
    const answer = await get('?namespace=payments', authorized);
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.headers.get('content-type'), 'application/json');
    assert.equal(answer.headers.get('cache-control'), 'no-store');
    const body = JSON.parse(answer.text) as Record<string, unknown>;
    const expected = recommendPolicies(cluster, observed.flows(), { format: 'kubernetes', namespace: 'payments' });
    assert.deepEqual(body['policies'], expected.policies);
    assert.equal(body['format'], 'kubernetes');
    assert.equal(body['namespace'], 'payments');
    assert.deepEqual(body['observed'], { source: 'local', flows: 2, budget: 2, dropped: 0, complete: true });
    assert.equal(body['diff'], undefined, 'the diff only when asked for');
  });

  test('diff=true adds the diff to enforced, as diffRecommendation gives it; JSON only; 503 while unknown', async () => {
    const answer = await get('?namespace=payments&diff=true', authorized);
    assert.equal(answer.status, 200, answer.text);
    const body = JSON.parse(answer.text) as Record<string, unknown>;
    const recommendation = recommendPolicies(cluster, observed.flows(), {
      format: 'kubernetes',
      namespace: 'payments',
    });
    assert.deepEqual(body['policies'], recommendation.policies, 'the policies as without diff');
    const expected = diffRecommendation(cluster, observed.flows(), recommendation, ENFORCED, {
      format: 'kubernetes',
      namespace: 'payments',
    });
    assert.deepEqual(body['diff'], JSON.parse(JSON.stringify(expected)));
    const diff = body['diff'] as typeof expected;
    // Nothing is enforced in the fixture: a new policy, and today's profile allows the cart->payments flow.
    assert.deepEqual(
      diff.policies.map((policy) => `${policy.name} ${policy.status}`),
      ['flowlens-recommended-payments-api new'],
    );
    assert.equal(diff.traffic.observedDeniedToday.denied, 0);
    assert.ok(diff.traffic.allowedBeyondObserved.allowed > 0);

    const bad = await get('?diff=yes', authorized);
    assert.equal(bad.status, 400);
    assert.match(bad.text, /diff "yes" must be true or false/);
    const yaml = await get('?diff=true', { ...authorized, accept: 'application/yaml' });
    assert.equal(yaml.status, 400);
    assert.match(yaml.text, /diff=true answers JSON only/);
    currentEnforced = undefined;
    try {
      const unknown = await get('?diff=true', authorized);
      assert.equal(unknown.status, 503);
      assert.match(unknown.text, /enforced policies are not known yet/);
      assert.equal((await get('', authorized)).status, 200, 'without diff, as before');
    } finally {
      currentEnforced = ENFORCED;
    }
  });

  test('Accept: application/yaml gives YAML kubectl takes; format=calico-staged gives staged policies', async () => {
    const answer = await get('?format=calico-staged', { ...authorized, accept: 'application/yaml' });
    assert.equal(answer.status, 200, answer.text);
    assert.match(answer.headers.get('content-type') ?? '', /^application\/yaml/);
    const kinds = parseAllDocuments(answer.text).map((document) => (document.toJS() as { kind: string }).kind);
    assert.deepEqual(kinds, Array(5).fill('StagedNetworkPolicy'));
  });

  test('past the budget, new flows are dropped, counted, and the answer says it is incomplete', async () => {
    assert.equal(observed.add({ source: CART, destination: PAYMENTS, port: 9000, protocol: 'TCP' }), 'dropped');
    const body = JSON.parse((await get('', authorized)).text) as {
      observed: { dropped: number; complete: boolean };
      warnings: string[];
    };
    assert.deepEqual(body.observed, { source: 'local', flows: 2, budget: 2, dropped: 1, complete: false });
    assert.match(body.warnings[0] ?? '', /1 distinct flows past the budget of 2 \(api\.maxObservedFlows\)/);
  });

  test('bad parameters are 400s naming the parameter and its values; other methods 405', async () => {
    const cases: [string, RegExp][] = [
      ['?format=cilium', /format "cilium" must be one of kubernetes, calico-staged/],
      ['?namespace=Shop_1', /namespace "Shop_1" must be a namespace name/],
      ['?ns=shop', /unknown parameter "ns"; known parameters are namespace, format, diff, observed/],
      ['?observed=thanos', /observed "thanos" must be one of local, prometheus/],
      ['?observed=prometheus', /observed "prometheus" needs api.prometheus/],
      ['?format=kubernetes&format=calico-staged', /parameter "format" is given more than once/],
    ];
    for (const [query, message] of cases) {
      const answer = await get(query, authorized);
      assert.equal(answer.status, 400, query);
      assert.match(answer.text, message);
    }
    assert.equal((await get('', authorized, 'POST')).status, 405);
  });

  test('without a cluster view yet, 503 says how to get one', async () => {
    currentCluster = undefined;
    try {
      const answer = await get('', authorized);
      assert.equal(answer.status, 503);
      assert.match(answer.text, /--resources FILE or --kubernetes/);
    } finally {
      currentCluster = cluster;
    }
  });
});

describe('/api/v1/recommendations with api.prometheus', () => {
  // A stand-in Prometheus: the answer the test sets, for every query.
  let prometheusAnswer = { status: 200, body: '' };
  const prometheus = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(prometheusAnswer.status, { 'content-type': 'application/json' });
      response.end(prometheusAnswer.body);
    });
  });
  let served: RecommendationsServer;
  let base: string;
  const local = new ObservedFlows(10);
  const runner = new RecommendationRunner();

  before(async () => {
    local.add({ source: FRONTEND, destination: CART, port: 8080, protocol: 'TCP' });
    await new Promise<void>((resolve) => prometheus.listen(0, '127.0.0.1', resolve));
    const url = parsePrometheusUrl(`http://127.0.0.1:${(prometheus.address() as AddressInfo).port}`);
    assert.ok(url instanceof URL);
    served = await serveRecommendations({
      token: TOKEN,
      observed: local,
      cluster: () => cluster,
      prometheus: (query) => fetchPrometheusFlowsAnswer({ url, timeoutSeconds: 5 }, { range: '7d', ...query }, 10),
      runner,
    });
    base = `${served.base}/api/v1/recommendations`;
  });

  after(async () => {
    await served.close();
    await new Promise<void>((resolve) => prometheus.close(() => resolve()));
    await runner.close();
  });

  const sample = (metric: Record<string, string>): unknown => ({ metric, value: [1764150000, '1'] });
  const cartToPayments = {
    source_namespace: 'shop',
    source_workload: 'cart',
    dest_namespace: 'payments',
    dest_workload: 'payments-api',
    dest_port: '8443',
    protocol: 'tcp',
  };

  async function get(query: string): Promise<{ status: number; text: string }> {
    const response = await fetch(`${base}${query}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return { status: response.status, text: await response.text() };
  }

  test('Prometheus is the default source; the answer says so, with what it skipped and why', async () => {
    prometheusAnswer = {
      status: 200,
      body: JSON.stringify({
        status: 'success',
        data: {
          resultType: 'vector',
          result: [
            sample(cartToPayments),
            sample({ ...cartToPayments, dest_namespace: '', dest_workload: 'world', dest_port: '443' }),
          ],
        },
      }),
    };
    const answer = await get('?namespace=payments');
    assert.equal(answer.status, 200, answer.text);
    const body = JSON.parse(answer.text) as {
      policies: unknown[];
      warnings: string[];
      observed: Record<string, unknown>;
    };
    const expected = recommendPolicies(
      cluster,
      [{ source: CART, destination: PAYMENTS, port: 8443, protocol: 'TCP' }],
      { format: 'kubernetes', namespace: 'payments' },
    );
    assert.deepEqual(body.policies, expected.policies);
    assert.deepEqual(body.observed, {
      source: 'prometheus',
      flows: 1,
      budget: 10,
      dropped: 0,
      complete: true,
      skipped: { 'aggregate peer': 1 },
    });
    assert.match(
      body.warnings[0] ?? '',
      /^1 flows from Prometheus with a peer outside the cluster known only as an aggregate \(world\)/,
    );
  });

  test("observed=local still answers from the exporter's own set", async () => {
    const body = JSON.parse((await get('?observed=local')).text) as { observed: { source: string; flows: number } };
    assert.equal(body.observed.source, 'local');
    assert.equal(body.observed.flows, 1);
  });

  test('Prometheus failing or answering badly is a 502 naming what was wrong; nothing is recommended', async () => {
    const cases: [{ status: number; body: string }, RegExp][] = [
      [
        { status: 422, body: JSON.stringify({ status: 'error', errorType: 'execution', error: 'query timed out' }) },
        /^observed flows from Prometheus: Prometheus at .* answered HTTP 422: execution: query timed out/,
      ],
      [{ status: 200, body: '{"status":"success","data":{"resultType":"vec' }, /the answer is not JSON/],
      [
        { status: 200, body: JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1, '1'] } }) },
        /data.resultType is "scalar", not "vector"/,
      ],
    ];
    for (const [reply, message] of cases) {
      prometheusAnswer = reply;
      const answer = await get('');
      assert.equal(answer.status, 502, answer.text);
      assert.match(answer.text, message);
      assert.match(answer.text, /\(\?observed=local answers from this exporter's own flows\)\n$/);
    }
  });
});

test('without api configured the path is not served', async () => {
  const server = createExporterServer({
    registry: new MetricsRegistry(new FlowAggregator(), new SelfMetrics(), () => 0),
    logger: new JsonLogger('error'),
    notReadyReason: () => undefined,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/recommendations`);
    assert.equal(response.status, 404);
    await response.text();
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
