import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyEndpoint } from '../../model/flow';
import { MemoryLogger } from '../../log';
import { parseNetworkPolicy, type PodInfo } from '../kubernetes';
import { parseCalicoPolicy, parseTier } from '../calico';
import { LivePolicyContext } from './live-policy-context';
import { LivePolicyStore } from './policy-store';

const web: PodInfo = {
  namespace: 'shop',
  name: 'web-1',
  labels: { app: 'web' },
  ips: ['10.0.0.1'],
  containerPorts: [],
};
const db: PodInfo = { namespace: 'shop', name: 'db-0', labels: { app: 'db' }, ips: ['10.0.0.2'], containerPorts: [] };
const PODS = new Map([web, db].map((pod) => [pod.ips[0]!, pod]));

function denyIngressTo(app: string, name = `deny-${app}`) {
  return parseNetworkPolicy({
    metadata: { name, namespace: 'shop' },
    spec: { podSelector: { matchLabels: { app } }, policyTypes: ['Ingress'] },
  });
}

function setUp(ready = () => true) {
  const store = new LivePolicyStore();
  store.upsertNamespace('shop', {});
  const context = new LivePolicyContext(
    store,
    {
      podByIp: (ip) => PODS.get(ip),
      podByName: (namespace, name) => [web, db].find((pod) => pod.namespace === namespace && pod.name === name),
      podByPrefix: (namespace, prefix) => (prefix === 'web-*' && namespace === 'shop' ? web : undefined),
    },
    { logger: new MemoryLogger(), debounceMs: 20, ready },
  );
  return { store, context };
}

function verdict(context: LivePolicyContext): string {
  const current = context.current();
  assert.ok(current);
  const result = current.engine.evaluate({
    source: { kind: 'pod', pod: web },
    destination: { kind: 'pod', pod: db },
    port: 5432,
    protocol: 'TCP',
  });
  return `${result.verdict} ${result.decidedBy.policy}`;
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(condition(), 'condition not met within 5 s');
}

test('no context until ready; the first engine holds what the store holds then', () => {
  let ready = false;
  const { store, context } = setUp(() => ready);
  store.upsert('networkpolicies', 'shop/deny-db', denyIngressTo('db'));
  assert.equal(context.current(), undefined);
  ready = true;
  assert.equal(verdict(context), 'deny shop/deny-db');
  assert.equal(context.builds, 1);
  context.stop();
});

test('a burst of changes is one rebuild that sees all of them', async () => {
  const { store, context } = setUp();
  assert.equal(verdict(context), 'allow none');
  store.upsert('networkpolicies', 'shop/deny-web', denyIngressTo('web'));
  store.upsert(
    'tiers.crd.projectcalico.org',
    'security',
    parseTier({ kind: 'Tier', metadata: { name: 'security' }, spec: { order: 10 } }),
  );
  store.upsert(
    'globalnetworkpolicies.crd.projectcalico.org',
    'security.deny-db',
    parseCalicoPolicy({
      kind: 'GlobalNetworkPolicy',
      metadata: { name: 'security.deny-db' },
      spec: { tier: 'security', selector: "app == 'db'", types: ['Ingress'], ingress: [{ action: 'Deny' }] },
    }),
  );
  store.upsert('networkpolicies', 'shop/deny-db', denyIngressTo('db'));
  assert.equal(verdict(context), 'allow none', 'the engine is not rebuilt per change');
  await until(() => context.builds > 1);
  assert.equal(context.builds, 2);
  assert.equal(verdict(context), 'deny deny-db', 'the tiered policy decides first');
  context.stop();
});

test('namespaces updated without a label change and the same projection again are no change', async () => {
  const { store, context } = setUp();
  const policy = denyIngressTo('db');
  store.upsert('networkpolicies', 'shop/deny-db', policy);
  assert.equal(verdict(context), 'deny shop/deny-db');
  store.upsertNamespace('shop', {});
  store.upsert('networkpolicies', 'shop/deny-db', policy);
  store.remove('networkpolicies', 'shop/unknown');
  // A change after them: its rebuild is the only one.
  store.upsertNamespace('shop', { team: 'web' });
  await until(() => context.builds > 1);
  assert.equal(context.builds, 2);
  context.stop();
});

test('podFor finds pods by IP, by name and by aggregated prefix', () => {
  const { context } = setUp();
  const current = context.current();
  assert.ok(current);
  assert.equal(current.podFor({ ...emptyEndpoint(), kind: 'pod', ip: '10.0.0.2' }), db);
  assert.equal(current.podFor({ ...emptyEndpoint(), kind: 'pod', namespace: 'shop', pod: 'web-1' }), web);
  assert.equal(current.podFor({ ...emptyEndpoint(), kind: 'pod', namespace: 'shop', pod: 'web-*' }), web);
  assert.equal(current.podFor({ ...emptyEndpoint(), kind: 'pod', ip: '10.9.9.9' }), undefined);
  context.stop();
});

test('the store keeps the manifests it is given (recommended objects) until their object goes', () => {
  const { store } = setUp();
  const manifest = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'r' } };
  store.upsert('networkpolicies', 'shop/r', denyIngressTo('db', 'r'), { key: 'NetworkPolicy|shop|r', manifest });
  store.upsert('networkpolicies', 'shop/other', denyIngressTo('web', 'other'));
  const enforced = store.enforcedPolicies();
  assert.deepEqual([...enforced.manifests], [['NetworkPolicy|shop|r', manifest]]);
  assert.deepEqual(
    enforced.snapshot.networkPolicies?.map((policy) => policy.name),
    ['r', 'other'],
  );
  // An update without a manifest (renamed away from the recommender's prefix) forgets it, as does a removal.
  store.upsert('networkpolicies', 'shop/r', denyIngressTo('db', 'r'));
  assert.equal(store.enforcedPolicies().manifests.size, 0);
  store.upsert('networkpolicies', 'shop/r', denyIngressTo('db', 'r'), { key: 'NetworkPolicy|shop|r', manifest });
  store.remove('networkpolicies', 'shop/r');
  assert.equal(store.enforcedPolicies().manifests.size, 0);
});
