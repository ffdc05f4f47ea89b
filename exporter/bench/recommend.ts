/**
 * Policy recommendations at scale (`--only recommend`): a generated cluster of 500 workloads (1,500 pods) in 10
 * namespaces with 3,000 distinct observed flows, read through the real resources path (`recommendClusterFromDocuments`).
 * Half the namespaces already enforce an older recommendation (made from a third of the flows), so the diff has new,
 * changed and unchanged policies and traffic to count. Measures what `/api/v1/recommendations` costs a request:
 * recommending for the whole cluster, the diff to enforced for one namespace (its first, cold call and warm ones) and
 * for the whole cluster, and reading a Prometheus answer of 50,000 flow tuples
 * (`?observed=prometheus`). Deterministic (seeded PRNG).
 *
 * Then through the exporter's HTTP server and its recommendation worker (`server/recommendation-runner.ts`): a
 * `/metrics` scrape's latency while a cluster-wide diff is computed, in the worker and (as before the worker) on the
 * event loop; what a request costs through the worker (a new worker's first request, a warm one's, and packing the
 * inputs for it on the event loop).
 */
import { performance } from 'node:perf_hooks';
import { parseAllDocuments } from 'yaml';
import { SeededRandom } from '../src/demo/random';
import { buildPolicySnapshot } from '../src/policy/snapshot';
import {
  DEFAULT_MAX_OBSERVED_FLOWS,
  FLOW_GROUP_LABELS,
  diffRecommendation,
  enforcedManifests,
  observedFromPrometheus,
  parseObservedAnswer,
  recommendClusterFromDocuments,
  recommendPolicies,
  renderRecommendationYaml,
  type ObservedFlow,
} from '../src/policy/recommend';
import type { ResourceDocument } from '../src/cluster/resources-file';
import { RecommendationRunner, type RecommendationTestHooks } from '../src/server/recommendation-runner';
import { serveRecommendations } from '../src/testing/recommendations-server';
import {
  recommendationAnswer,
  type ObservedInput,
  type RecommendationQuestion,
} from '../src/server/recommendations-answer';
import { packPortable } from '../src/policy/recommend/portable';
import { ObservedFlows, type EnforcedPolicies, type RecommendCluster } from '../src/policy/recommend';
import { collectGarbage, progress, round, type BenchResult } from './util';

const NAMESPACES = 10;
const WORKLOADS_PER_NAMESPACE = 50;
const PODS_PER_WORKLOAD = 3;
const FLOWS = 3_000;
const PROMETHEUS_TUPLES = 50_000;
const WARM_RUNS = 3;
const PORTS = [80, 443, 5432, 6379, 8080, 9090] as const;

interface GeneratedCluster {
  objects: Record<string, unknown>[];
  flows: ObservedFlow[];
}

function generate(seed: number): GeneratedCluster {
  const random = new SeededRandom(seed);
  const objects: Record<string, unknown>[] = [];
  const workloads: { namespace: string; name: string; port: number }[] = [];
  let address = 10;
  const addWorkload = (namespace: string, name: string, labels: Record<string, string>, port: number): void => {
    const replicaSet = `${name}-7d9f8c`;
    objects.push({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: replicaSet, namespace, ownerReferences: [{ kind: 'Deployment', name, controller: true }] },
    });
    for (let replica = 0; replica < PODS_PER_WORKLOAD; replica++) {
      objects.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `${replicaSet}-${replica}`,
          namespace,
          labels: { ...labels, 'pod-template-hash': '7d9f8c' },
          ownerReferences: [{ kind: 'ReplicaSet', name: replicaSet, controller: true }],
        },
        status: {
          phase: 'Running',
          podIP: `10.${Math.floor(address / 62500)}.${Math.floor(address / 250) % 250}.${address % 250}`,
        },
      });
      address++;
    }
    workloads.push({ namespace, name, port });
  };
  objects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system' } });
  addWorkload('kube-system', 'coredns', { 'k8s-app': 'kube-dns' }, 53);
  for (let n = 0; n < NAMESPACES; n++) {
    const namespace = `team-${n}`;
    objects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { team: namespace } } });
    for (let w = 0; w < WORKLOADS_PER_NAMESPACE; w++) {
      const name = `svc-${w}`;
      addWorkload(namespace, name, { app: name, tier: w % 3 === 0 ? 'data' : 'web' }, PORTS[random.int(PORTS.length)]!);
    }
  }
  const applications = workloads.slice(1);
  const seen = new Set<string>();
  const flows: ObservedFlow[] = [];
  while (flows.length < FLOWS) {
    const source = applications[random.int(applications.length)]!;
    // Most calls stay in their namespace, as services of one team call each other.
    const pool =
      random.next() < 0.8 ? applications.filter((workload) => workload.namespace === source.namespace) : applications;
    const destination = pool[random.int(pool.length)]!;
    const external = random.next() < 0.1;
    const key = external
      ? `${source.namespace}/${source.name}>x`
      : `${source.namespace}/${source.name}>${destination.namespace}/${destination.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    flows.push({
      source: { kind: 'workload', namespace: source.namespace, workload: source.name },
      destination: external
        ? { kind: 'external', ip: `198.51.100.${random.int(200)}` }
        : { kind: 'workload', namespace: destination.namespace, workload: destination.name },
      port: external ? 443 : destination.port,
      protocol: 'TCP',
    });
  }
  return { objects, flows };
}

/** A Prometheus instant-query answer of `count` distinct flow tuples, as parseObservedAnswer reads it. */
function prometheusAnswer(count: number): string {
  const result = [];
  for (let i = 0; i < count; i++) {
    const metric: Record<string, string> = Object.fromEntries(FLOW_GROUP_LABELS.map((label) => [label, '']));
    Object.assign(metric, {
      source_namespace: `team-${i % NAMESPACES}`,
      source_workload: `svc-${i % WORKLOADS_PER_NAMESPACE}`,
      dest_namespace: `team-${(i >> 3) % NAMESPACES}`,
      dest_workload: `svc-${(i >> 5) % WORKLOADS_PER_NAMESPACE}`,
      dest_port: String(1024 + (i % 30_000)),
      protocol: 'tcp',
    });
    result.push({ metric, value: [1_795_000_000, '1'] });
  }
  return JSON.stringify({ status: 'success', data: { resultType: 'vector', result } });
}

export async function benchRecommend(seed: number): Promise<BenchResult[]> {
  const { objects, flows } = generate(seed);
  const documents: ResourceDocument[] = objects.map((object, index) => ({ object, where: `object ${index}` }));
  const { cluster } = recommendClusterFromDocuments(documents);
  progress(
    `recommend: ${cluster.workloads.length} workloads, ${objects.filter((object) => object['kind'] === 'Pod').length} pods, ${flows.length} flows`,
  );

  collectGarbage();
  let start = performance.now();
  const whole = recommendPolicies(cluster, flows, { format: 'kubernetes' });
  const recommendMs = performance.now() - start;

  // What is enforced: an older recommendation (a third of the flows) in half the namespaces.
  const older = recommendPolicies(cluster, flows.slice(0, Math.floor(FLOWS / 3)), { format: 'kubernetes' });
  const enforcedObjects = [
    ...objects,
    ...parseAllDocuments(renderRecommendationYaml(older))
      .map((document) => document.toJS() as Record<string, unknown>)
      .filter((policy) => {
        const metadata = policy['metadata'] as { namespace?: string } | undefined;
        return Number(metadata?.namespace?.split('-')[1] ?? -1) % 2 === 0;
      }),
  ];
  const enforced = {
    snapshot: buildPolicySnapshot(enforcedObjects).engine,
    manifests: enforcedManifests(enforcedObjects),
  };

  const namespace = 'team-0';
  const scoped = recommendPolicies(cluster, flows, { format: 'kubernetes', namespace });
  collectGarbage();
  start = performance.now();
  const coldDiff = diffRecommendation(cluster, flows, scoped, enforced, { format: 'kubernetes', namespace });
  const coldMs = performance.now() - start;
  const warm: number[] = [];
  for (let run = 0; run < WARM_RUNS; run++) {
    collectGarbage();
    start = performance.now();
    diffRecommendation(cluster, flows, scoped, enforced, { format: 'kubernetes', namespace });
    warm.push(performance.now() - start);
  }
  warm.sort((a, b) => a - b);
  collectGarbage();
  start = performance.now();
  diffRecommendation(cluster, flows, whole, enforced, { format: 'kubernetes' });
  const wholeDiffMs = performance.now() - start;
  const statuses = coldDiff.policies.map((policy) => policy.status);
  progress(
    `  ${whole.policies.length} policies; ${namespace}: ${statuses.filter((status) => status === 'new').length} new, ` +
      `${statuses.filter((status) => status === 'changed').length} changed, ${statuses.filter((status) => status === 'unchanged').length} unchanged; ` +
      `${coldDiff.traffic.observedDeniedToday.denied} observed flows denied today`,
  );

  const answer = prometheusAnswer(PROMETHEUS_TUPLES);
  collectGarbage();
  start = performance.now();
  const fromPrometheus = observedFromPrometheus(
    parseObservedAnswer(answer),
    cluster.networkSets,
    DEFAULT_MAX_OBSERVED_FLOWS,
  );
  const prometheusMs = performance.now() - start;
  progress(
    `  Prometheus answer: ${(answer.length / 1e6).toFixed(1)} MB, ${fromPrometheus.tuples} tuples, ${fromPrometheus.observed.size} flows`,
  );

  const served = await benchServed(cluster, flows, enforced, answer);

  return [
    { name: 'recommend_cluster_ms', value: round(recommendMs, 1), unit: 'ms' },
    { name: 'recommend_diff_namespace_cold_ms', value: round(coldMs, 1), unit: 'ms' },
    { name: 'recommend_diff_namespace_ms', value: round(warm[Math.floor(warm.length / 2)]!, 1), unit: 'ms' },
    { name: 'recommend_diff_cluster_ms', value: round(wholeDiffMs, 1), unit: 'ms' },
    { name: 'recommend_prometheus_50k_tuples_ms', value: round(prometheusMs, 1), unit: 'ms' },
    ...served,
  ];
}

const SCRAPE_RUNS = 3;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The API and /metrics of one exporter server, the worker behind the API. */
async function benchServed(
  cluster: RecommendCluster,
  flows: readonly ObservedFlow[],
  enforced: EnforcedPolicies,
  prometheusBody: string,
): Promise<BenchResult[]> {
  const observed = new ObservedFlows(flows.length);
  for (const flow of flows) observed.add(flow);
  const hooks: RecommendationTestHooks = {};
  let runner = new RecommendationRunner({ testHooks: hooks });
  const served = await serveRecommendations({
    token: 'bench',
    observed,
    cluster: () => cluster,
    enforced: () => enforced,
    // The runner is swapped below (a worker per request); the handler asks the current one.
    runner: { run: (question, inputs, wanted) => runner.run(question, inputs, wanted) },
  });
  const base = served.base;
  const timed = async (path: string): Promise<number> => {
    const start = performance.now();
    const response = await fetch(`${base}${path}`, { headers: { authorization: 'Bearer bench' } });
    await response.text();
    if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
    return performance.now() - start;
  };
  try {
    await timed('/metrics');
    collectGarbage();
    const coldMs = await timed('/api/v1/recommendations');
    const question: RecommendationQuestion = { format: 'kubernetes', namespace: undefined, yaml: false };
    const local: ObservedInput = { source: 'local', flows, budget: flows.length, dropped: 0 };
    const warmRuns: number[] = [];
    for (let run = 0; run < SCRAPE_RUNS; run++) warmRuns.push(await timed('/api/v1/recommendations'));
    // The cheap case: one namespace without the diff, on the event loop (as before) and through the worker.
    const namespaceInProcess: number[] = [];
    const namespaceWorker: number[] = [];
    for (let run = 0; run < SCRAPE_RUNS; run++) {
      collectGarbage();
      const start = performance.now();
      recommendationAnswer({ ...question, namespace: 'team-0' }, { cluster, observed: local, enforced: undefined });
      namespaceInProcess.push(performance.now() - start);
      namespaceWorker.push(await timed('/api/v1/recommendations?namespace=team-0'));
    }
    // With `observed=prometheus` the answer (here 50,000 tuples) crosses unread: its encoding is the loop's share.
    const packPrometheusRuns: number[] = [];
    for (let run = 0; run < SCRAPE_RUNS; run++) {
      const start = performance.now();
      packPortable(
        {
          cluster,
          observed: { source: 'prometheus', answer: { body: prometheusBody, advice: undefined }, budget: 50_000 },
          enforced,
        },
        'inputs',
      );
      packPrometheusRuns.push(performance.now() - start);
    }
    const packRuns: number[] = [];
    for (let run = 0; run < SCRAPE_RUNS; run++) {
      const start = performance.now();
      packPortable({ cluster, observed: local, enforced }, 'inputs');
      packRuns.push(performance.now() - start);
    }

    // A scrape sent once the worker has the cluster-wide diff, timed until its answer.
    const duringWorker: number[] = [];
    const diffWorker: number[] = [];
    for (let run = 0; run < SCRAPE_RUNS; run++) {
      collectGarbage();
      const started = new Promise<void>((resolve) => (hooks.onStarted = resolve));
      const diff = timed('/api/v1/recommendations?diff=true');
      await started;
      hooks.onStarted = undefined;
      duringWorker.push(await timed('/metrics'));
      diffWorker.push(await diff);
    }
    // As before the worker: the same computation on the event loop, the scrape sent just before it starts.
    const duringInProcess: number[] = [];
    for (let run = 0; run < SCRAPE_RUNS; run++) {
      collectGarbage();
      const scrape = timed('/metrics');
      // Let the request reach the server's socket before the loop is taken.
      await new Promise((resolve) => setImmediate(resolve));
      recommendationAnswer(question, { cluster, observed: local, enforced });
      duringInProcess.push(await scrape);
    }
    // A worker per request instead of one kept: each request pays the start.
    const perRequest: number[] = [];
    for (let run = 0; run < SCRAPE_RUNS; run++) {
      await runner.close();
      runner = new RecommendationRunner({ testHooks: hooks });
      collectGarbage();
      perRequest.push(await timed('/api/v1/recommendations'));
    }
    progress(
      `  through the worker: scrape during a cluster diff ${round(median(duringWorker), 1)} ms (diff request ${round(median(diffWorker), 0)} ms), ` +
        `on the event loop ${round(median(duringInProcess), 0)} ms`,
    );
    return [
      { name: 'recommend_scrape_during_diff_ms', value: round(median(duringWorker), 1), unit: 'ms' },
      { name: 'recommend_scrape_during_inprocess_diff_ms', value: round(median(duringInProcess), 1), unit: 'ms' },
      { name: 'recommend_worker_diff_cluster_request_ms', value: round(median(diffWorker), 1), unit: 'ms' },
      { name: 'recommend_worker_first_request_ms', value: round(coldMs, 1), unit: 'ms' },
      { name: 'recommend_worker_cluster_request_ms', value: round(median(warmRuns), 1), unit: 'ms' },
      { name: 'recommend_worker_new_per_request_ms', value: round(median(perRequest), 1), unit: 'ms' },
      { name: 'recommend_worker_pack_inputs_ms', value: round(median(packRuns), 1), unit: 'ms' },
      { name: 'recommend_worker_pack_prometheus_50k_ms', value: round(median(packPrometheusRuns), 1), unit: 'ms' },
      { name: 'recommend_namespace_inprocess_ms', value: round(median(namespaceInProcess), 1), unit: 'ms' },
      { name: 'recommend_worker_namespace_request_ms', value: round(median(namespaceWorker), 1), unit: 'ms' },
    ];
  } finally {
    await served.close();
    await runner.close();
  }
}
