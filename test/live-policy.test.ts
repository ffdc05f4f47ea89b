/**
 * The live policy context against the fake API server, through the real client library: policies of every
 * family watched, parsed and evaluated as they change, pods found by IP with their current labels, changes
 * and invalid objects counted, absent policy APIs skipped. Waits are bounded polls; nothing asserts on timing.
 */
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { LiveClusterView, type PolicyChangeCount } from '@flowlens/exporter/dist/src/cluster/live-view';
import { emptyEndpoint } from '@flowlens/exporter/dist/src/model/flow';
import { testFlowRecord } from '@flowlens/exporter/dist/src/testing/records';
import { PolicyAttribution } from '@flowlens/exporter/dist/src/policy/attribution';
import { MemoryLogger } from '@flowlens/exporter/dist/src/log';
import { FakeKubeApiServer, type KubeObject } from './kube-api-server';
import { makeTempDir, removeDir, waitFor } from './support';

const PODS = '/api/v1/pods';
const NAMESPACES = '/api/v1/namespaces';
const NETWORK_POLICIES = '/apis/networking.k8s.io/v1/networkpolicies';
const ADMIN_POLICIES = '/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies';
const CALICO = '/apis/crd.projectcalico.org/v1';
const WEB_IP = '10.244.1.10';
const DB_IP = '10.244.2.20';

function pod(name: string, ip: string, labels: Record<string, string>, ports: KubeObject['spec'] = {}): KubeObject {
  return {
    metadata: { name, namespace: 'shop', labels },
    spec: { nodeName: 'node-a', ...ports },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
  };
}

const DB_PORTS = { containers: [{ name: 'db', ports: [{ name: 'postgres', containerPort: 5432 }] }] };

/** A NetworkPolicy on app=db pods: ingress from pods labelled `from`, to the named port. */
function dbIngress(from: Record<string, string>): KubeObject {
  return {
    metadata: { name: 'db-ingress', namespace: 'shop' },
    spec: {
      podSelector: { matchLabels: { app: 'db' } },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: { matchLabels: from } }], ports: [{ port: 'postgres' }] }],
    },
  };
}

let dir = '';
before(async () => {
  dir = await makeTempDir('flowlens-live-policy-');
});
after(() => removeDir(dir));

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A fake server with a web and a db pod in namespace shop, and a live view over it. */
async function setUp(prepare?: (server: FakeKubeApiServer) => void) {
  const server = new FakeKubeApiServer();
  server.apply(NAMESPACES, { metadata: { name: 'shop', labels: { team: 'web' } } });
  server.apply(PODS, pod('web-6b8d9f7c5-qwrtz', WEB_IP, { app: 'web' }));
  server.apply(PODS, pod('db-0', DB_IP, { app: 'db' }, DB_PORTS));
  prepare?.(server);
  await server.start(0);
  const kubeconfig = join(dir, `kubeconfig-${server.port}.yaml`);
  await server.writeKubeconfig(kubeconfig);
  const config = new k8s.KubeConfig();
  config.loadFromFile(kubeconfig);
  const logger = new MemoryLogger();
  const view = new LiveClusterView(config, { logger, backoffMinMs: 20, backoffMaxMs: 200, policyDebounceMs: 50 });
  cleanups.push(async () => {
    await view.stop();
    await server.stop();
  });
  view.start();
  await waitFor(() => view.synced(), 10_000, { description: 'the live view to sync' });
  return { server, view, logger };
}

/** What the live engine says of a TCP connection between two pod IPs: `verdict policy tier`. */
function verdictOf(view: LiveClusterView, from: string, to: string, port: number): string {
  const context = view.livePolicyContext();
  assert.ok(context !== undefined, 'a synced view has a policy context');
  const source = context.podFor({ ...emptyEndpoint(), kind: 'pod', ip: from });
  const destination = context.podFor({ ...emptyEndpoint(), kind: 'pod', ip: to });
  assert.ok(source !== undefined && destination !== undefined, `pods at ${from} and ${to}`);
  const result = context.engine.evaluate({
    source: { kind: 'pod', pod: source, ip: from },
    destination: { kind: 'pod', pod: destination, ip: to },
    port,
    protocol: 'TCP',
  });
  return `${result.verdict} ${result.decidedBy.policy} ${result.decidedBy.tier}`;
}

async function waitForVerdict(view: LiveClusterView, expected: string, description: string): Promise<void> {
  let last = '';
  await waitFor(
    () => {
      last = verdictOf(view, WEB_IP, DB_IP, 5432);
      return last === expected;
    },
    10_000,
    { description },
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}; the last verdict was "${last}"`);
  });
}

const changes = (view: LiveClusterView, kind: string): Omit<PolicyChangeCount, 'kind'>[] =>
  view
    .policyChanges()
    .filter((entry) => entry.kind === kind)
    .map(({ namespace, change, count }) => ({ namespace, change, count }))
    .sort((a, b) => a.change.localeCompare(b.change));

const invalidCount = (view: LiveClusterView, resource: string): number =>
  view
    .stats()
    .find((stats) => stats.resource === resource)
    ?.errors.get('invalid_object') ?? 0;

describe('the live policy context', () => {
  test('is there once the view is listed; a NetworkPolicy added, modified and deleted changes the verdict', async () => {
    const { server, view } = await setUp();
    assert.equal(verdictOf(view, WEB_IP, DB_IP, 5432), 'allow none none');

    server.apply(NETWORK_POLICIES, dbIngress({ app: 'web' }));
    await waitForVerdict(view, 'allow shop/db-ingress default', 'the added policy to allow web');
    assert.match(verdictOf(view, WEB_IP, DB_IP, 5433), /^deny shop\/db-ingress/, 'other ports are denied');

    server.apply(NETWORK_POLICIES, dbIngress({ app: 'admin' }));
    await waitForVerdict(view, 'deny shop/db-ingress default', 'the modified policy to deny web');

    server.delete(NETWORK_POLICIES, 'shop', 'db-ingress');
    await waitForVerdict(view, 'allow none none', 'the deleted policy to go');

    await waitFor(() => changes(view, 'NetworkPolicy').length === 3, 10_000, { description: 'three changes' });
    assert.deepEqual(changes(view, 'NetworkPolicy'), [
      { namespace: 'shop', change: 'created', count: 1 },
      { namespace: 'shop', change: 'deleted', count: 1 },
      { namespace: 'shop', change: 'updated', count: 1 },
    ]);
  });

  test('policies listed at start are in the first engine and are not counted as changes', async () => {
    const { server, view } = await setUp((fake) => {
      fake.apply(NETWORK_POLICIES, dbIngress({ app: 'admin' }));
      fake.apply(ADMIN_POLICIES, {
        metadata: { name: 'cluster-guard' },
        spec: {
          priority: 10,
          subject: { namespaces: {} },
          ingress: [
            {
              name: 'allow-web',
              action: 'Allow',
              from: [{ pods: { namespaceSelector: {}, podSelector: { matchLabels: { app: 'web' } } } }],
            },
          ],
        },
      });
    });
    assert.equal(verdictOf(view, WEB_IP, DB_IP, 5432), 'allow cluster-guard adminnetworkpolicy');
    assert.deepEqual(view.policyChanges(), []);
    server.delete(ADMIN_POLICIES, '', 'cluster-guard');
    await waitForVerdict(view, 'deny shop/db-ingress default', 'the NetworkPolicy to decide without the ANP');
    assert.deepEqual(changes(view, 'AdminNetworkPolicy'), [{ namespace: '', change: 'deleted', count: 1 }]);
  });

  test('a Calico GlobalNetworkPolicy in its own tier decides before the default tier', async () => {
    const { server, view } = await setUp((fake) => fake.apply(NETWORK_POLICIES, dbIngress({ app: 'web' })));
    await waitForVerdict(view, 'allow shop/db-ingress default', 'the NetworkPolicy');
    server.apply(`${CALICO}/tiers`, { metadata: { name: 'security' }, spec: { order: 100 } });
    server.apply(`${CALICO}/globalnetworkpolicies`, {
      metadata: { name: 'security.quarantine-db' },
      spec: {
        tier: 'security',
        order: 10,
        selector: "app == 'db'",
        types: ['Ingress'],
        ingress: [{ action: 'Deny', source: { selector: "app == 'web'" } }],
      },
    });
    await waitForVerdict(view, 'deny quarantine-db security', 'the tiered policy to deny');
    assert.deepEqual(changes(view, 'projectcalico.org/GlobalNetworkPolicy'), [
      { namespace: '', change: 'created', count: 1 },
    ]);
    assert.deepEqual(changes(view, 'projectcalico.org/Tier'), [{ namespace: '', change: 'created', count: 1 }]);
  });

  test("a Calico rule on service accounts reads the pod's account and the account's watched labels", async () => {
    const ACCOUNTS = '/api/v1/serviceaccounts';
    const { server, view } = await setUp((fake) => {
      fake.apply(PODS, {
        ...pod('web-6b8d9f7c5-qwrtz', WEB_IP, { app: 'web' }),
        spec: { serviceAccountName: 'web-sa' },
      });
      fake.apply(ACCOUNTS, { metadata: { name: 'web-sa', namespace: 'shop', labels: { role: 'frontend' } } });
      fake.apply(`${CALICO}/tiers`, { metadata: { name: 'security' }, spec: { order: 100 } });
      fake.apply(`${CALICO}/globalnetworkpolicies`, {
        metadata: { name: 'security.db-from-frontends' },
        spec: {
          tier: 'security',
          selector: "app == 'db'",
          types: ['Ingress'],
          ingress: [
            { action: 'Allow', source: { serviceAccounts: { selector: "role == 'frontend'" } } },
            { action: 'Pass' },
          ],
        },
      });
      fake.apply(`${CALICO}/globalnetworkpolicies`, {
        metadata: { name: 'db-default-deny' },
        spec: { selector: "app == 'db'", types: ['Ingress'], ingress: [{ action: 'Deny' }] },
      });
    });
    const attribution = new PolicyAttribution(() => view.livePolicyContext());
    const decidingPolicy = (): string => {
      const record = testFlowRecord({
        source: { ...emptyEndpoint(), kind: 'pod', namespace: 'shop', pod: 'web-6b8d9f7c5-qwrtz', ip: WEB_IP },
        destination: { ...emptyEndpoint(), kind: 'pod', namespace: 'shop', pod: 'db-0', ip: DB_IP },
        destPort: 5432,
      });
      attribution.enrich(record);
      return `${record.verdict.policy} ${record.verdict.tier}`;
    };
    assert.equal(decidingPolicy(), 'db-from-frontends security');
    server.apply(ACCOUNTS, { metadata: { name: 'web-sa', namespace: 'shop', labels: { role: 'batch' } } });
    await waitFor(() => decidingPolicy() === 'db-default-deny default', 10_000, {
      description: 'the relabelled account to pass to the default tier',
    });
  });

  test('staged Calico policies reach the pending verdict, not the enforced one', async () => {
    const { server, view } = await setUp();
    server.apply(`${CALICO}/stagednetworkpolicies`, {
      metadata: { name: 'default.lock-down-db', namespace: 'shop' },
      spec: { selector: "app == 'db'", types: ['Ingress'], ingress: [{ action: 'Deny' }] },
    });
    let pending = '';
    await waitFor(
      () => {
        const context = view.livePolicyContext()!;
        const source = context.podFor({ ...emptyEndpoint(), kind: 'pod', ip: WEB_IP })!;
        const destination = context.podFor({ ...emptyEndpoint(), kind: 'pod', ip: DB_IP })!;
        const result = context.engine.evaluate({
          source: { kind: 'pod', pod: source },
          destination: { kind: 'pod', pod: destination },
          port: 5432,
          protocol: 'TCP',
        });
        pending = `${result.verdict} ${result.pendingVerdict} ${result.pendingDecidedBy.policy}`;
        return pending === 'allow deny shop/lock-down-db';
      },
      10_000,
      { description: 'the staged policy in the pending verdict' },
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}; the last verdict was "${pending}"`);
    });
    assert.deepEqual(changes(view, 'projectcalico.org/StagedNetworkPolicy'), [
      { namespace: 'shop', change: 'created', count: 1 },
    ]);
  });

  test('a relabelled pod is no longer selected, and pod changes do not rebuild the engine', async () => {
    const { server, view } = await setUp((fake) => fake.apply(NETWORK_POLICIES, dbIngress({ app: 'admin' })));
    await waitForVerdict(view, 'deny shop/db-ingress default', 'the policy to deny web');
    const builds = view.policyEngineBuilds;
    server.apply(PODS, pod('db-0', DB_IP, { app: 'db-replica' }, DB_PORTS));
    await waitForVerdict(view, 'allow none none', 'the relabelled pod to be unselected');
    assert.equal(view.policyEngineBuilds, builds);
  });

  test("a namespace's labels are read by namespace selectors", async () => {
    const { server, view } = await setUp((fake) =>
      fake.apply(NETWORK_POLICIES, {
        metadata: { name: 'db-from-web-team', namespace: 'shop' },
        spec: {
          podSelector: { matchLabels: { app: 'db' } },
          ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'web' } } }] }],
        },
      }),
    );
    assert.equal(verdictOf(view, WEB_IP, DB_IP, 5432), 'allow shop/db-from-web-team default');
    server.apply(NAMESPACES, { metadata: { name: 'shop', labels: { team: 'data' } } });
    await waitForVerdict(view, 'deny shop/db-from-web-team default', 'the relabelled namespace to be unselected');
  });

  test('an invalid policy object is skipped, counted per version and logged once', async () => {
    const invalid = (version: string): KubeObject => ({
      metadata: { name: 'broken', namespace: 'shop', annotations: { version } },
      spec: { podSelector: {}, ingress: [{ ports: [{ port: true }] }] },
    });
    const { server, view, logger } = await setUp((fake) => fake.apply(NETWORK_POLICIES, invalid('1')));
    assert.equal(invalidCount(view, 'networkpolicies'), 1);
    assert.equal(verdictOf(view, WEB_IP, DB_IP, 5432), 'allow none none', 'the invalid policy is not evaluated');
    server.apply(NETWORK_POLICIES, invalid('2'));
    server.apply(NETWORK_POLICIES, dbIngress({ app: 'admin' }));
    await waitForVerdict(view, 'deny shop/db-ingress default', 'the valid policy next to the invalid one');
    await waitFor(() => invalidCount(view, 'networkpolicies') === 2, 10_000, { description: 'the second version' });
    const skipped = logger.entries.filter((entry) => entry.message === 'kubernetes policy object skipped');
    assert.equal(skipped.length, 1);
    assert.equal(skipped[0]?.fields['object'], 'shop/broken');
    assert.match(
      String(skipped[0]?.fields['error']),
      /NetworkPolicy shop\/broken: spec\.ingress\[0\]\.ports\[0\]\.port/,
    );
    assert.equal(view.stats().find((stats) => stats.resource === 'networkpolicies')?.objects, 1);
  });

  test('absent Calico and admin policy APIs are skipped with one log line each', async () => {
    const { server, view, logger } = await setUp((fake) => {
      fake.removeApiGroup('crd.projectcalico.org/v1');
      fake.removeApiGroup('policy.networking.k8s.io/v1alpha1');
    });
    const absent = logger.entries.filter((entry) => entry.message.includes('absent'));
    const resources = absent.map((entry) => String(entry.fields['resource'])).sort();
    assert.equal(resources.length, 10);
    assert.equal(new Set(resources).size, 10);
    assert.ok(resources.includes('globalnetworkpolicies.crd.projectcalico.org'));
    assert.ok(resources.includes('adminnetworkpolicies'));
    assert.ok(!view.stats().some((stats) => stats.resource.endsWith('.crd.projectcalico.org')));
    server.apply(NETWORK_POLICIES, dbIngress({ app: 'web' }));
    await waitForVerdict(view, 'allow shop/db-ingress default', 'Kubernetes policies without Calico');
  });

  test('a policy API the exporter may not list leaves the view ready, without a live policy context', async () => {
    const { view, logger } = await setUp((fake) => fake.forbidApiGroup('policy.networking.k8s.io/v1alpha1'));
    assert.equal(view.synced(), true);
    assert.equal(view.livePolicyContext(), undefined);
    const forbidden = logger.entries.filter((entry) => entry.message.includes('forbidden'));
    assert.deepEqual(forbidden.map((entry) => entry.fields['resource']).sort(), [
      'adminnetworkpolicies',
      'baselineadminnetworkpolicies',
    ]);
    const stats = view.stats().find((entry) => entry.resource === 'adminnetworkpolicies');
    assert.equal(stats?.synced, false);
    assert.equal(stats?.errors.get('unauthorized'), 1);
  });
});
