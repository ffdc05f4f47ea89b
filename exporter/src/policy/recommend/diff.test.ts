import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPolicySnapshot } from '../snapshot';
import {
  diffRecommendation,
  enforcedManifests,
  recommendClusterFromDocuments,
  recommendPolicies,
  type EnforcedPolicies,
  type ObservedFlow,
  type RecommendFormat,
} from '.';

/** shop: frontend, cart, catalog; kube-system: coredns. Pod IPs 10.244.0.<n>. */
function clusterObjects(): unknown[] {
  const objects: unknown[] = [];
  let ip = 2;
  for (const namespace of ['shop', 'kube-system']) {
    objects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  }
  const workload = (namespace: string, name: string, labels: Record<string, string>, replicas: number): void => {
    objects.push({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: `${name}-h1`, namespace, ownerReferences: [{ kind: 'Deployment', name, controller: true }] },
    });
    for (let i = 0; i < replicas; i++) {
      objects.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `${name}-h1-p${i}`,
          namespace,
          labels: { ...labels, 'pod-template-hash': 'h1' },
          ownerReferences: [{ kind: 'ReplicaSet', name: `${name}-h1`, controller: true }],
        },
        status: { phase: 'Running', podIP: `10.244.0.${ip++}` },
      });
    }
  };
  workload('kube-system', 'coredns', { 'k8s-app': 'kube-dns' }, 1);
  workload('shop', 'frontend', { app: 'frontend' }, 2);
  workload('shop', 'cart', { app: 'cart' }, 1);
  workload('shop', 'catalog', { app: 'catalog' }, 1);
  return objects;
}

const peer = (namespace: string, workload: string): ObservedFlow['source'] => ({
  kind: 'workload',
  namespace,
  workload,
});

const FLOWS: ObservedFlow[] = [
  { source: peer('shop', 'frontend'), destination: peer('shop', 'cart'), port: 8080, protocol: 'TCP' },
  { source: peer('shop', 'frontend'), destination: peer('shop', 'catalog'), port: 8080, protocol: 'TCP' },
  { source: peer('shop', 'cart'), destination: { kind: 'external', ip: '198.51.100.7' }, port: 443, protocol: 'TCP' },
  { source: peer('shop', 'cart'), destination: peer('kube-system', 'coredns'), port: 53, protocol: 'UDP' },
];

/** Today's policies: a stale cart policy of the recommender's name, and an egress lockdown of the frontend. */
const ENFORCED: unknown[] = [
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: 'flowlens-recommended-cart',
      namespace: 'shop',
      uid: 'server-set',
      resourceVersion: '42',
      labels: { 'app.kubernetes.io/managed-by': 'flowlens' },
    },
    spec: {
      podSelector: { matchLabels: { app: 'cart' } },
      policyTypes: ['Ingress'],
      ingress: [
        { from: [{ podSelector: { matchLabels: { app: 'frontend' } } }], ports: [{ protocol: 'TCP', port: 9090 }] },
      ],
    },
  },
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'frontend-lockdown', namespace: 'shop' },
    spec: { podSelector: { matchLabels: { app: 'frontend' } }, policyTypes: ['Egress'], egress: [] },
  },
];

function diffFor(format: RecommendFormat, extraEnforced: unknown[] = [], maxEvaluatedPairs?: number) {
  const objects = [...clusterObjects(), ...ENFORCED, ...extraEnforced];
  const { cluster, problems } = recommendClusterFromDocuments(
    objects.map((object, index) => ({ object, where: `object ${index + 1}` })),
  );
  assert.deepEqual(problems, []);
  const recommendation = recommendPolicies(cluster, FLOWS, { format, namespace: 'shop' });
  const snapshot = buildPolicySnapshot(objects);
  assert.deepEqual(snapshot.problems, []);
  const enforced: EnforcedPolicies = { snapshot: snapshot.engine, manifests: enforcedManifests(objects) };
  return {
    recommendation,
    diff: diffRecommendation(cluster, FLOWS, recommendation, enforced, {
      format,
      namespace: 'shop',
      ...(maxEvaluatedPairs === undefined ? {} : { maxEvaluatedPairs }),
    }),
  };
}

test('statuses: new, changed with a YAML line diff, unchanged; and the enforced policies on the same workloads', () => {
  const first = diffFor('kubernetes');
  // Today's catalog policy is exactly what is recommended, but for the observed-flows count.
  const catalog = first.recommendation.policies.find(
    (policy) => (policy['metadata'] as { name: string }).name === 'flowlens-recommended-catalog',
  )!;
  const stale = {
    ...catalog,
    metadata: { ...(catalog['metadata'] as object), annotations: { 'flowlens.io/observed-flows': '999' } },
  };
  const { diff } = diffFor('kubernetes', [stale]);
  assert.deepEqual(
    diff.policies.map((policy) => `${policy.name} ${policy.status}`),
    [
      'flowlens-recommended-cart changed',
      'flowlens-recommended-catalog unchanged',
      'flowlens-recommended-frontend new',
    ],
  );
  const cart = diff.policies[0]!;
  assert.ok(cart.yamlDiff !== null);
  const changes = cart.yamlDiff.filter((line) => line.op !== 'same').map((line) => `${line.op} ${line.text.trim()}`);
  assert.ok(changes.includes('removed port: 9090'), changes.join('\n'));
  assert.ok(changes.includes('added port: 8080'), changes.join('\n'));
  assert.ok(!changes.some((line) => line.includes('resourceVersion') || line.includes('uid')), 'server fields dropped');
  assert.ok(
    cart.yamlDiff.some((line) => line.op === 'same' && line.text === 'kind: NetworkPolicy'),
    'unchanged lines are kept as context',
  );
  assert.equal(diff.policies[1]!.yamlDiff, null);
  // The recommended side of the diff is the policy's own YAML, line for line.
  assert.deepEqual(
    cart.yamlDiff.filter((line) => line.op !== 'removed').map((line) => line.text),
    cart.yaml.trimEnd().split('\n'),
  );
  const frontend = diff.policies[2]!;
  assert.deepEqual(frontend.workloads, ['shop/frontend']);
  assert.deepEqual(
    frontend.enforcedSelecting.map((policy) => `${policy.policy} ${policy.directions.join('+')}`),
    ['shop/frontend-lockdown egress'],
  );
  assert.deepEqual(
    cart.enforcedSelecting.map((policy) => policy.policy),
    ['shop/flowlens-recommended-cart'],
  );
});

test('traffic: observed flows denied today, and what today allows beyond the observed flows', () => {
  const { diff } = diffFor('kubernetes');
  const today = diff.traffic.observedDeniedToday;
  assert.equal(today.evaluated, 4);
  // The lockdown denies the frontend's egress; the stale cart policy admits 9090, not 8080.
  assert.deepEqual(
    today.flows.map(
      (flow) =>
        `${flow.source} > ${flow.destination} ${flow.protocol}/${flow.port} ${flow.direction} ${flow.deniedBy} -> ${flow.recommended}`,
    ),
    [
      'shop/frontend > shop/cart TCP/8080 egress shop/frontend-lockdown -> allow',
      'shop/frontend > shop/catalog TCP/8080 egress shop/frontend-lockdown -> allow',
    ],
  );
  const beyond = diff.traffic.allowedBeyondObserved;
  assert.deepEqual(beyond.ports, ['TCP/8080', 'TCP/443', 'UDP/53']);
  assert.equal(beyond.enumerationComplete, true);
  assert.equal(beyond.sampled, false);
  assert.equal(beyond.evaluated, beyond.enumerated);
  assert.equal(beyond.estimatedAllowed, beyond.allowed);
  const examples = beyond.examples.map(
    (pair) => `${pair.source} > ${pair.destination} ${pair.protocol}/${pair.port} ${pair.allowedBy}`,
  );
  // Nothing isolates the catalog: anyone may reach it on any port today; the recommendation admits the frontend's 8080 only.
  assert.ok(examples.includes('shop/cart > shop/catalog TCP/8080 none'), examples.join('\n'));
  // The frontend may send nothing today (its egress is locked down), so none of its pairs are allowed beyond.
  assert.ok(!examples.some((example) => example.startsWith('shop/frontend >')), examples.join('\n'));
  // Observed pairs are never counted, and the frontend's two pods talk to each other (a pair of one workload).
  assert.ok(!examples.includes('shop/frontend > shop/cart TCP/8080 none'));
  assert.ok(beyond.allowed > 5, `${beyond.allowed}`);
});

test('a bounded, deterministic sample: evaluated at most the cap, the count scaled to the enumeration', () => {
  const full = diffFor('kubernetes').diff.traffic.allowedBeyondObserved;
  const sampled = diffFor('kubernetes', [], 5).diff.traffic.allowedBeyondObserved;
  assert.equal(sampled.enumerated, full.enumerated);
  assert.equal(sampled.evaluated, 5);
  assert.equal(sampled.sampled, true);
  assert.ok(sampled.allowed <= 5);
  assert.equal(sampled.estimatedAllowed, Math.round((sampled.allowed * full.enumerated) / 5));
  assert.deepEqual(diffFor('kubernetes', [], 5).diff.traffic.allowedBeyondObserved, sampled, 'the same sample');
  const objects = [...clusterObjects(), ...ENFORCED];
  const { cluster } = recommendClusterFromDocuments(objects.map((object) => ({ object, where: 'x' })));
  const recommendation = recommendPolicies(cluster, FLOWS, { format: 'kubernetes', namespace: 'shop' });
  const capped = diffRecommendation(
    cluster,
    FLOWS,
    recommendation,
    { snapshot: buildPolicySnapshot(objects).engine, manifests: enforcedManifests(objects) },
    { format: 'kubernetes', namespace: 'shop', maxEnumeratedPairs: 3 },
  ).traffic.allowedBeyondObserved;
  assert.equal(capped.enumerated, 3);
  assert.equal(capped.enumerationComplete, false);
});

test('calico-staged: nothing of that kind is enforced, so every policy is new; verdicts are the staged ones', () => {
  const { diff } = diffFor('calico-staged');
  assert.deepEqual(
    diff.policies.map((policy) => `${policy.kind} ${policy.name} ${policy.status}`),
    [
      'StagedNetworkPolicy flowlens-recommended-cart new',
      'StagedNetworkPolicy flowlens-recommended-catalog new',
      'StagedNetworkPolicy flowlens-recommended-frontend new',
    ],
  );
  assert.deepEqual(diff.policies[0]!.workloads, ['shop/cart']);
  assert.ok(diff.traffic.observedDeniedToday.flows.every((flow) => flow.recommended === 'allow'));
  assert.ok(diff.traffic.allowedBeyondObserved.allowed > 0);
});
