import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { readResourcesFile } from '../../cluster/resources-file';
import { repoRoot } from '../../testing/collect';
import { parseNetworkPolicy } from '../kubernetes';
import { parseCalicoPolicy } from '../calico';
import { buildPolicySnapshot } from '../snapshot';
import { checkConnection } from '../check';
import {
  aggregateAddresses,
  recommendClusterFromDocuments,
  recommendClusterFromLivePods,
  recommendPolicies,
  renderRecommendationYaml,
  workloadSelectors,
  type ObservedFlow,
  type ObservedPeer,
  type RecommendCluster,
} from '.';

const documents = readResourcesFile(join(repoRoot(), 'test/fixtures/recommend/resources.yaml'));
const { cluster, problems } = recommendClusterFromDocuments(documents);

const workload = (namespace: string, name: string): ObservedPeer => ({ kind: 'workload', namespace, workload: name });
const external = (ip: string): ObservedPeer => ({ kind: 'external', ip });
const FRONTEND = workload('shop', 'frontend');
const CART = workload('shop', 'cart');
const CANARY = workload('shop', 'cart-canary');
const PAYMENTS = workload('payments', 'payments-api');
const COREDNS = workload('kube-system', 'coredns');

/** The flows of test/fixtures/recommend/hubble-flows.ndjson, as the pipeline observes them. */
const FLOWS: ObservedFlow[] = [
  { source: FRONTEND, destination: CART, port: 8080, protocol: 'TCP' },
  { source: FRONTEND, destination: CANARY, port: 8080, protocol: 'TCP' },
  { source: CART, destination: PAYMENTS, port: 8443, protocol: 'TCP' },
  { source: FRONTEND, destination: COREDNS, port: 53, protocol: 'UDP' },
  { source: CART, destination: COREDNS, port: 53, protocol: 'UDP' },
  { source: PAYMENTS, destination: external('203.0.113.10'), port: 443, protocol: 'TCP' },
  { source: PAYMENTS, destination: external('198.51.100.6'), port: 443, protocol: 'TCP' },
  { source: PAYMENTS, destination: external('198.51.100.7'), port: 443, protocol: 'TCP' },
];

test('the fixture cluster: workloads by their owners, stable labels, the canary excluded from cart', () => {
  assert.deepEqual(problems, []);
  assert.deepEqual(
    cluster.workloads.map((entry) => `${entry.namespace}/${entry.name}:${entry.kind}:${entry.pods.length}`),
    [
      'kube-system/coredns:Deployment:2',
      'payments/payments-api:Deployment:1',
      'shop/cart:Deployment:1',
      'shop/cart-canary:Deployment:1',
      'shop/frontend:Deployment:2',
    ],
  );
  const { selectors, warnings } = workloadSelectors(cluster);
  assert.deepEqual(warnings, []);
  assert.deepEqual(selectors.get('shop/cart'), {
    matchLabels: { app: 'cart', 'app.kubernetes.io/part-of': 'shop' },
    absentKeys: ['track'],
  });
  assert.deepEqual(selectors.get('shop/frontend'), {
    matchLabels: { app: 'frontend', 'app.kubernetes.io/part-of': 'shop' },
    absentKeys: [],
  });
  assert.equal(cluster.networkSets.length, 1);
});

const KUBERNETES_FIELDS = {
  top: ['apiVersion', 'kind', 'metadata', 'spec'],
  metadata: ['annotations', 'labels', 'name', 'namespace'],
  spec: ['egress', 'ingress', 'podSelector', 'policyTypes'],
  peer: ['ipBlock', 'namespaceSelector', 'podSelector'],
  selector: ['matchExpressions', 'matchLabels'],
  port: ['port', 'protocol'],
};

function keysWithin(object: unknown, allowed: readonly string[], where: string): Record<string, unknown> {
  assert.ok(typeof object === 'object' && object !== null && !Array.isArray(object), `${where} is a mapping`);
  const record = object as Record<string, unknown>;
  for (const key of Object.keys(record)) assert.ok(allowed.includes(key), `${where}.${key} is not a field of the API`);
  return record;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

test('Kubernetes format: YAML of NetworkPolicies with exactly the API fields, accepted by the strict parser', () => {
  const recommendation = recommendPolicies(cluster, FLOWS, { format: 'kubernetes' });
  assert.deepEqual(recommendation.warnings, []);
  assert.equal(recommendation.flowsUsed, FLOWS.length);
  const parsed = parseAllDocuments(renderRecommendationYaml(recommendation)).map((document) => {
    assert.deepEqual(document.errors, []);
    return document.toJS() as unknown;
  });
  assert.equal(parsed.length, 5);
  for (const object of parsed) {
    const top = keysWithin(object, KUBERNETES_FIELDS.top, 'policy');
    assert.deepEqual(Object.keys(top).sort(), KUBERNETES_FIELDS.top);
    assert.equal(top['apiVersion'], 'networking.k8s.io/v1');
    assert.equal(top['kind'], 'NetworkPolicy');
    const metadata = keysWithin(top['metadata'], KUBERNETES_FIELDS.metadata, 'metadata');
    assert.match(String(metadata['name']), DNS_SUBDOMAIN);
    assert.match(String(metadata['name']), /^flowlens-recommended-/);
    const spec = keysWithin(top['spec'], KUBERNETES_FIELDS.spec, 'spec');
    assert.deepEqual(Object.keys(spec).sort(), KUBERNETES_FIELDS.spec);
    assert.deepEqual(spec['policyTypes'], ['Ingress', 'Egress']);
    keysWithin(spec['podSelector'], KUBERNETES_FIELDS.selector, 'spec.podSelector');
    for (const [direction, peersKey] of [
      ['ingress', 'from'],
      ['egress', 'to'],
    ] as const) {
      for (const [index, rule] of (spec[direction] as unknown[]).entries()) {
        const fields = keysWithin(rule, [peersKey, 'ports'], `spec.${direction}[${index}]`);
        for (const peer of fields[peersKey] as unknown[]) {
          keysWithin(peer, KUBERNETES_FIELDS.peer, `spec.${direction}[${index}].${peersKey}[]`);
        }
        for (const port of fields['ports'] as unknown[]) {
          keysWithin(port, KUBERNETES_FIELDS.port, `spec.${direction}[${index}].ports[]`);
        }
      }
    }
    // The engine's parser rejects unknown fields and wrong types, as the API server's validation does.
    parseNetworkPolicy(object);
  }
  const payments = parsed[1] as { spec: { ingress: unknown; egress: unknown[] } };
  assert.deepEqual(payments.spec.ingress, [
    {
      from: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } },
          podSelector: {
            matchLabels: { app: 'cart', 'app.kubernetes.io/part-of': 'shop' },
            matchExpressions: [{ key: 'track', operator: 'DoesNotExist' }],
          },
        },
      ],
      ports: [{ protocol: 'TCP', port: 8443 }],
    },
  ]);
  assert.deepEqual(payments.spec.egress[1], {
    to: [{ ipBlock: { cidr: '198.51.100.6/31' } }, { ipBlock: { cidr: '203.0.113.10/32' } }],
    ports: [{ protocol: 'TCP', port: 443 }],
  });
  assert.deepEqual(
    (payments.spec.egress[0] as { ports: unknown }).ports,
    [
      { protocol: 'UDP', port: 53 },
      { protocol: 'TCP', port: 53 },
    ],
    'DNS first, both protocols',
  );
});

test('Calico format: StagedNetworkPolicies in the default tier, network sets by their labels, accepted by the parser', () => {
  const recommendation = recommendPolicies(cluster, FLOWS, { format: 'calico-staged', namespace: 'payments' });
  assert.equal(recommendation.policies.length, 1, '--namespace payments: its workloads only');
  const [policy] = parseAllDocuments(renderRecommendationYaml(recommendation)).map(
    (document) => document.toJS() as Record<string, unknown>,
  );
  assert.ok(policy);
  assert.deepEqual(Object.keys(policy).sort(), ['apiVersion', 'kind', 'metadata', 'spec']);
  assert.equal(policy['apiVersion'], 'projectcalico.org/v3');
  assert.equal(policy['kind'], 'StagedNetworkPolicy');
  const spec = policy['spec'] as Record<string, unknown>;
  assert.deepEqual(Object.keys(spec).sort(), [
    'egress',
    'ingress',
    'order',
    'selector',
    'stagedAction',
    'tier',
    'types',
  ]);
  assert.equal(spec['selector'], "app == 'payments-api'");
  assert.deepEqual(spec['ingress'], [
    {
      action: 'Allow',
      protocol: 'TCP',
      source: {
        namespaceSelector: "projectcalico.org/name == 'shop'",
        selector: "app == 'cart' && app.kubernetes.io/part-of == 'shop' && !has(track)",
      },
      destination: { ports: [8443] },
    },
  ]);
  const egress = spec['egress'] as Record<string, unknown>[];
  assert.deepEqual(egress.slice(2), [
    {
      action: 'Allow',
      protocol: 'TCP',
      destination: { namespaceSelector: 'global()', selector: "flowlens.io/network == 'partner-apis'", ports: [443] },
    },
    { action: 'Allow', protocol: 'TCP', destination: { nets: ['198.51.100.6/31'], ports: [443] } },
  ]);
  const parsed = parseCalicoPolicy(policy);
  assert.equal(parsed.staged, true);
  assert.equal(parsed.label, 'payments/flowlens-recommended-payments-api');
});

test('staged preview: policy check with the recommended staged policies shows would-allow and would-deny', () => {
  const recommendation = recommendPolicies(cluster, FLOWS, { format: 'calico-staged' });
  const snapshot = buildPolicySnapshot([...documents.map((document) => document.object), ...recommendation.policies]);
  assert.deepEqual(snapshot.problems, []);
  // Observed: allowed now (nothing enforced) and still allowed by the staged policy.
  const observed = checkConnection(
    snapshot,
    'shop/cart-5f6d7c8b9d-q4w8z',
    'payments/payments-api-7b8c9d6f5-q4w8z',
    8443,
    'TCP',
  );
  assert.equal(observed.verdict, 'allow');
  assert.deepEqual(
    observed.staged.map((entry) => [entry.direction, entry.verdict, entry.policy]),
    [
      ['egress', 'allow', 'shop/flowlens-recommended-cart'],
      ['ingress', 'allow', 'payments/flowlens-recommended-payments-api'],
    ],
  );
  // Never observed (the fixture's frontend -> payments-api was dropped): the staged policies would deny it.
  const unobserved = checkConnection(
    snapshot,
    'shop/frontend-7d4b9c8f5-x2x7k',
    'payments/payments-api-7b8c9d6f5-q4w8z',
    8443,
    'TCP',
  );
  assert.equal(unobserved.verdict, 'allow', 'staged policies enforce nothing');
  assert.deepEqual(
    unobserved.staged.map((entry) => [entry.direction, entry.verdict, entry.policy, entry.rule]),
    [
      ['egress', 'deny', 'shop/flowlens-recommended-frontend', -1],
      ['ingress', 'deny', 'payments/flowlens-recommended-payments-api', -1],
    ],
  );
});

test('the output is deterministic: the same flows in any order and with duplicates give the same bytes', () => {
  const once = renderRecommendationYaml(recommendPolicies(cluster, FLOWS, { format: 'kubernetes' }));
  const shuffled = [...FLOWS].reverse().concat(FLOWS.slice(0, 3));
  assert.equal(renderRecommendationYaml(recommendPolicies(cluster, shuffled, { format: 'kubernetes' })), once);
  const calico = renderRecommendationYaml(recommendPolicies(cluster, FLOWS, { format: 'calico-staged' }));
  assert.equal(renderRecommendationYaml(recommendPolicies(cluster, shuffled, { format: 'calico-staged' })), calico);
});

function clusterOf(objects: unknown[]): RecommendCluster {
  return recommendClusterFromDocuments(objects.map((object, index) => ({ object, where: `test ${index}` }))).cluster;
}

function pod(namespace: string, name: string, labels: Record<string, string>, owner?: string): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      labels,
      ...(owner === undefined ? {} : { ownerReferences: [{ kind: 'StatefulSet', name: owner, controller: true }] }),
    },
    status: { podIP: `10.0.0.${name.length}` },
  };
}

test('workloads no label tells apart get no policy and a warning naming both and the fix; so do unlabelled ones', () => {
  const ambiguous = clusterOf([
    pod('a', 'web-0', { app: 'web', 'controller-revision-hash': 'x1' }, 'web'),
    pod('a', 'web-copy-0', { app: 'web', 'controller-revision-hash': 'x2' }, 'web-copy'),
    pod('a', 'bare', {}),
    pod('a', 'client-0', { app: 'client' }, 'client'),
  ]);
  const recommendation = recommendPolicies(
    ambiguous,
    [
      { source: workload('a', 'web'), destination: workload('a', 'bare'), port: 80, protocol: 'TCP' },
      { source: workload('a', 'client'), destination: workload('a', 'web'), port: 8080, protocol: 'TCP' },
      { source: workload('a', 'bare'), destination: workload('a', 'client'), port: 9090, protocol: 'TCP' },
    ],
    { format: 'kubernetes' },
  );
  assert.deepEqual(recommendation.warnings, [
    'a/bare: its pods share no stable label to select them by, so it gets no policy and its peers allow its whole namespace; label the pod template (e.g. app.kubernetes.io/name) and run again',
    "a/web: no labels tell its pods from a/web-copy's, so it gets no policy and its peers allow both; give one of them a distinguishing label (e.g. app.kubernetes.io/name) and run again",
    "a/web-copy: no labels tell its pods from a/web's, so it gets no policy and its peers allow both; give one of them a distinguishing label (e.g. app.kubernetes.io/name) and run again",
    'no DNS pods (label k8s-app=kube-dns) in the resources: the policies allow no DNS; add the kube-system pods to the resources file',
  ]);
  assert.deepEqual(recommendation.flowsSkipped, { 'no policy recommended for either end': 1 });
  // Only client gets a policy; its observed peers stay allowed, by the broader selectors.
  const [client] = recommendation.policies as { metadata: { name: string }; spec: Record<string, unknown> }[];
  assert.equal(recommendation.policies.length, 1);
  assert.equal(client?.metadata.name, 'flowlens-recommended-client');
  assert.deepEqual(client?.spec['egress'], [
    {
      to: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'a' } },
          podSelector: { matchLabels: { app: 'web' } },
        },
      ],
      ports: [{ protocol: 'TCP', port: 8080 }],
    },
  ]);
  assert.deepEqual(client?.spec['ingress'], [
    {
      from: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'a' } },
          podSelector: { matchLabels: {} },
        },
      ],
      ports: [{ protocol: 'TCP', port: 9090 }],
    },
  ]);
});

test('flows naming workloads the resources lack are skipped with a warning; two outside ends are skipped', () => {
  const recommendation = recommendPolicies(
    cluster,
    [
      { source: workload('shop', 'ghost'), destination: CART, port: 80, protocol: 'TCP' },
      { source: external('192.0.2.1'), destination: external('192.0.2.2'), port: 80, protocol: 'TCP' },
      ...FLOWS,
    ],
    { format: 'kubernetes' },
  );
  assert.ok(
    recommendation.warnings.includes(
      "shop/ghost: flows name this workload but the resources have no pods of it; its flows are skipped (and blocked by the other end's policy): add its pods to the resources file",
    ),
  );
  assert.deepEqual(recommendation.flowsSkipped, {
    'workload not in the resources': 1,
    'no workload at either end': 1,
  });
  assert.equal(recommendation.flowsUsed, FLOWS.length);
});

test('addresses merge only into blocks whose every address was observed', () => {
  assert.deepEqual(aggregateAddresses(['10.0.0.3', '10.0.0.1', '10.0.0.0', '10.0.0.2', '10.0.0.5', '10.0.0.5']), [
    '10.0.0.0/30',
    '10.0.0.5/32',
  ]);
  assert.deepEqual(aggregateAddresses(['10.0.0.1', '10.0.0.2']), ['10.0.0.1/32', '10.0.0.2/32'], 'not buddies');
  assert.deepEqual(aggregateAddresses(['2001:db8::1', '2001:db8::', '192.0.2.1', 'not-an-ip', '']), [
    '192.0.2.1/32',
    '2001:db8:0:0:0:0:0:0/127',
  ]);
  assert.deepEqual(aggregateAddresses([]), []);
});

test('resources with wrongly typed fields are reported by object and field; the rest still recommend', () => {
  const { cluster: partial, problems: found } = recommendClusterFromDocuments([
    { object: pod('a', 'good-0', { app: 'good' }, 'good'), where: 'x' },
    {
      object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bad', namespace: 'a', labels: 'app=bad' } },
      where: 'y',
    },
    { object: { apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'a' } }, where: 'z' },
    { object: 'not an object', where: 'w' },
    { object: null, where: 'v' },
  ]);
  assert.equal(found.length, 4, found.join('\n'));
  assert.match(found[0] ?? '', /Pod a\/bad: metadata.labels/);
  assert.match(found[1] ?? '', /Pod <unnamed>: metadata.name/);
  assert.match(found[2] ?? '', /^z: Pod has no metadata.name/);
  assert.match(found[3] ?? '', /^w: expected a Kubernetes object/);
  assert.deepEqual(
    partial.workloads.map((entry) => entry.name),
    ['good'],
  );
});

test('the live view: running and pending pods by the workload the index names; finished pods are left out', () => {
  const projection = (name: string, labels: Record<string, string>, active: boolean) => ({
    namespace: 'shop',
    name,
    uid: 0,
    labels,
    ips: ['10.0.0.1'],
    containerPorts: [],
    hostNetwork: false,
    serviceAccount: '',
    active,
    createdAt: 0,
    resourceVersion: 0,
    owner: undefined,
  });
  const pods = new Map([
    ['shop/web-1', projection('web-1', { app: 'web' }, true)],
    ['shop/web-2', projection('web-2', { app: 'web' }, true)],
    ['shop/job-done', projection('job-done', { app: 'batch' }, false)],
  ]);
  const live = recommendClusterFromLivePods(
    {
      podKeys: () => [...pods.keys()],
      podByName: (namespace, name) => pods.get(`${namespace}/${name}`),
      workloadOf: (pod) => ({ workload: pod.name.startsWith('web') ? 'web' : pod.name, kind: 'Deployment' }),
    },
    [{ name: 'shop', labels: {} }],
    [],
  );
  assert.deepEqual(
    live.workloads.map((entry) => [entry.name, entry.pods.map((pod) => pod.name)]),
    [['web', ['web-1', 'web-2']]],
  );
});
