/**
 * The live cluster view against a fake API server, through the real client library and a kubeconfig
 * file: initial sync, watch events, IP reuse, owner chains, an outage, 410 Gone, a stalled watch and an
 * API that is not installed. Waits are bounded polls; nothing asserts on timing.
 */
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as k8s from '@kubernetes/client-node';
import { CLUSTER_KINDS, LiveClusterView, type WatchErrorReason } from '@flowlens/exporter/dist/src/cluster/live-view';
import { MemoryLogger } from '@flowlens/exporter/dist/src/log';
import { ClusterViewEnricher } from '@flowlens/exporter/dist/src/cluster/enricher';
import { emptyEndpoint, type FlowRecord } from '@flowlens/exporter/dist/src/model/flow';
import { COLLECTION_COUNT, FakeKubeApiServer, type KubeObject } from './kube-api-server';
import { makeTempDir, removeDir, waitFor } from './support';

const PODS = '/api/v1/pods';
const REPLICASETS = '/apis/apps/v1/replicasets';
const SERVICES = '/api/v1/services';
const NODES = '/api/v1/nodes';
const JOBS = '/apis/batch/v1/jobs';

function pod(name: string, ip: string, options: { owner?: [string, string]; created?: string; phase?: string } = {}) {
  const object: KubeObject = {
    metadata: { name, namespace: 'shop', labels: { app: name.split('-')[0] ?? name } },
    spec: { nodeName: 'node-a' },
    status: { phase: options.phase ?? 'Running', podIP: ip, podIPs: [{ ip }] },
  };
  if (options.created !== undefined) object.metadata.creationTimestamp = options.created;
  if (options.owner !== undefined) {
    const [kind, ownerName] = options.owner;
    object.metadata.ownerReferences = [
      { apiVersion: 'apps/v1', kind, name: ownerName, uid: `u-${ownerName}`, controller: true },
    ];
  }
  return object;
}

function replicaSet(name: string, deployment: string): KubeObject {
  return {
    metadata: {
      name,
      namespace: 'shop',
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment, uid: `u-${deployment}`, controller: true },
      ],
    },
    spec: { replicas: 1 },
  };
}

let dir = '';
before(async () => {
  dir = await makeTempDir('flowlens-live-view-');
});
after(() => removeDir(dir));

/** A fresh fake server with a few objects, and a live view over it; both stopped after each test. */
async function setUp(
  options: {
    watchdogMs?: number;
    prepare?: (server: FakeKubeApiServer) => void;
    beforeStart?: () => void;
    kinds?: typeof CLUSTER_KINDS;
  } = {},
) {
  const server = new FakeKubeApiServer();
  server.apply(REPLICASETS, replicaSet('frontend-7d4b9c8f5', 'web-frontend'));
  server.apply(PODS, pod('frontend-7d4b9c8f5-x2x7k', '10.244.1.10', { owner: ['ReplicaSet', 'frontend-7d4b9c8f5'] }));
  server.apply(SERVICES, { metadata: { name: 'cart', namespace: 'shop' }, spec: { clusterIP: '10.96.12.34' } });
  server.apply(NODES, {
    metadata: { name: 'node-a' },
    status: { addresses: [{ type: 'InternalIP', address: '192.168.0.11' }] },
  });
  server.apply('/api/v1/namespaces', { metadata: { name: 'shop', labels: { team: 'web' } } });
  options.prepare?.(server);
  await server.start(0);
  const kubeconfig = join(dir, `kubeconfig-${server.port}.yaml`);
  await server.writeKubeconfig(kubeconfig);
  const config = new k8s.KubeConfig();
  config.loadFromFile(kubeconfig);
  const logger = new MemoryLogger();
  const view = new LiveClusterView(
    config,
    { logger, watchdogMs: options.watchdogMs ?? 60_000, backoffMinMs: 20, backoffMaxMs: 200 },
    options.kinds,
  );
  cleanups.push(async () => {
    await view.stop();
    await server.stop();
  });
  options.beforeStart?.();
  view.start();
  await waitFor(() => view.synced(), 10_000, { description: 'the live view to sync' });
  return { server, view, logger };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const errorCount = (view: LiveClusterView, resource: string, reason: WatchErrorReason): number =>
  view
    .stats()
    .find((stats) => stats.resource === resource)
    ?.errors.get(reason) ?? 0;

describe('the live cluster view', () => {
  test('syncs every kind from lists and resolves Pod -> ReplicaSet -> Deployment', async () => {
    const { view, server } = await setUp();
    const frontend = view.podByIp('10.244.1.10');
    assert.equal(frontend?.name, 'frontend-7d4b9c8f5-x2x7k');
    assert.deepEqual(view.workloadOf(frontend!), { workload: 'web-frontend', kind: 'Deployment' });
    assert.deepEqual(view.workloadOfPrefix('shop', 'frontend-7d4b9c8f5-*'), {
      workload: 'web-frontend',
      kind: 'Deployment',
    });
    assert.deepEqual(view.serviceByClusterIp('10.96.12.34'), { namespace: 'shop', name: 'cart' });
    assert.equal(view.nodeByIp('192.168.0.11'), 'node-a');
    assert.deepEqual(view.namespaceLabels('shop'), { team: 'web' });
    const stats = new Map(view.stats().map((entry) => [entry.resource, entry]));
    assert.equal(stats.get('pods')?.synced, true);
    assert.equal(stats.get('pods')?.objects, 1);
    assert.equal(stats.get('replicasets')?.objects, 1);
    await waitFor(() => server.openWatches() === COLLECTION_COUNT, 10_000, { description: 'a watch on every kind' });
    assert.ok(server.watches.every((watch) => watch.bookmarks && watch.resourceVersion !== ''));
  });

  test('pods added, modified and deleted are reflected; an owner that appears later is followed', async () => {
    const { view, server } = await setUp();
    server.apply(PODS, pod('cart-5f6d7c8b9d-abcde', '10.244.2.20', { owner: ['ReplicaSet', 'cart-5f6d7c8b9d'] }));
    await waitFor(() => view.podByIp('10.244.2.20') !== undefined, 10_000, { description: 'the added pod' });
    // Its ReplicaSet is not known yet: the name tells the Deployment.
    assert.deepEqual(view.workloadOf(view.podByIp('10.244.2.20')!), { workload: 'cart', kind: 'Deployment' });
    server.apply(REPLICASETS, replicaSet('cart-5f6d7c8b9d', 'shopping-cart'));
    await waitFor(() => view.workloadOf(view.podByIp('10.244.2.20')!).workload === 'shopping-cart', 10_000, {
      description: 'the ReplicaSet to be followed to its Deployment',
    });

    const modified = pod('cart-5f6d7c8b9d-abcde', '10.244.2.21', { owner: ['ReplicaSet', 'cart-5f6d7c8b9d'] });
    server.apply(PODS, modified);
    await waitFor(() => view.podByIp('10.244.2.21') !== undefined, 10_000, { description: 'the modified pod IP' });
    assert.equal(view.podByIp('10.244.2.20'), undefined, 'the old IP no longer names the pod');

    server.delete(PODS, 'shop', 'cart-5f6d7c8b9d-abcde');
    await waitFor(() => view.podByName('shop', 'cart-5f6d7c8b9d-abcde') === undefined, 10_000, {
      description: 'the deleted pod to go',
    });
    assert.equal(view.podByIp('10.244.2.21'), undefined);
  });

  test('a pod replaced by another with the same IP leaves no stale owner', async () => {
    const { view, server } = await setUp();
    server.apply(PODS, pod('batch-x7k2p', '10.244.3.7', { owner: ['Job', 'batch'], created: '2026-01-01T00:00:00Z' }));
    await waitFor(() => view.podByIp('10.244.3.7')?.name === 'batch-x7k2p', 10_000, { description: 'the first pod' });
    // The first pod finishes; the IP goes to a new pod before the old one is deleted.
    server.apply(
      PODS,
      pod('batch-x7k2p', '10.244.3.7', {
        owner: ['Job', 'batch'],
        created: '2026-01-01T00:00:00Z',
        phase: 'Succeeded',
      }),
    );
    server.apply(PODS, pod('web-6b8d9f7c5-qwrtz', '10.244.3.7', { owner: ['ReplicaSet', 'web-6b8d9f7c5'] }));
    await waitFor(() => view.podByIp('10.244.3.7')?.name === 'web-6b8d9f7c5-qwrtz', 10_000, {
      description: 'the new pod to hold the IP',
    });
    server.delete(PODS, 'shop', 'batch-x7k2p');
    await waitFor(() => view.podByName('shop', 'batch-x7k2p') === undefined, 10_000, {
      description: 'the old pod to go',
    });
    assert.equal(view.podByIp('10.244.3.7')?.name, 'web-6b8d9f7c5-qwrtz', 'deleting the old pod keeps the new entry');
    assert.deepEqual(view.workloadOf(view.podByIp('10.244.3.7')!), { workload: 'web', kind: 'Deployment' });
  });

  test('an outage keeps the last state, counts errors, and the view catches up when the server is back', async () => {
    const { view, server } = await setUp();
    await waitFor(() => server.openWatches() === COLLECTION_COUNT, 10_000, { description: 'every watch open' });
    await server.stop();
    await waitFor(() => errorCount(view, 'pods', 'connection') > 0, 10_000, { description: 'a connection error' });
    assert.equal(view.podByIp('10.244.1.10')?.name, 'frontend-7d4b9c8f5-x2x7k', 'the last state is kept');
    assert.equal(view.synced(), true, 'still ready: it serves its last view');
    assert.equal(
      view.stats().find((stats) => stats.resource === 'pods')?.synced,
      false,
      'flowlens_k8s_cache_synced says the view is not in sync',
    );
    // While away, the cluster changed: one pod gone, another added.
    server.delete(PODS, 'shop', 'frontend-7d4b9c8f5-x2x7k');
    server.apply(PODS, pod('frontend-7d4b9c8f5-zzzzz', '10.244.1.11', { owner: ['ReplicaSet', 'frontend-7d4b9c8f5'] }));
    await server.start();
    await waitFor(() => view.podByIp('10.244.1.11') !== undefined, 15_000, { description: 'the view to catch up' });
    await waitFor(() => view.podByIp('10.244.1.10') === undefined, 15_000, { description: 'the deleted pod to go' });
    assert.deepEqual(view.workloadOf(view.podByIp('10.244.1.11')!), { workload: 'web-frontend', kind: 'Deployment' });
    assert.equal(view.stats().find((stats) => stats.resource === 'pods')?.synced, true, 'in sync again');
  });

  for (const goneAs of ['event', 'http'] as const) {
    test(`410 Gone (${goneAs === 'event' ? 'an ERROR event' : 'HTTP 410'}) makes the informer relist`, async () => {
      const { view, server } = await setUp();
      await waitFor(() => server.openWatches(PODS) === 1, 10_000, { description: 'the pod watch' });
      const listsBefore = server.lists.filter((path) => path === PODS).length;
      server.goneAs = goneAs;
      // Changes the watch will not see, then history forgotten and the watch ended: the informer
      // watches again from its resourceVersion, which is now too old.
      server.stall();
      server.delete(PODS, 'shop', 'frontend-7d4b9c8f5-x2x7k');
      server.apply(
        PODS,
        pod('frontend-7d4b9c8f5-bcdfg', '10.244.1.12', { owner: ['ReplicaSet', 'frontend-7d4b9c8f5'] }),
      );
      server.compact();
      server.stall(false);
      server.endWatches();
      await waitFor(() => server.lists.filter((path) => path === PODS).length > listsBefore, 10_000, {
        description: 'a relist of pods',
      });
      await waitFor(
        () => view.podByIp('10.244.1.12') !== undefined && view.podByIp('10.244.1.10') === undefined,
        10_000,
        {
          description: 'the relisted state',
        },
      );
      assert.ok(errorCount(view, 'pods', 'expired') > 0, 'the expiry is counted');
    });
  }

  test('a dropped watch connection is restarted and catches up', async () => {
    const { view, server } = await setUp();
    await waitFor(() => server.openWatches(PODS) === 1, 10_000, { description: 'the pod watch' });
    server.stall();
    server.apply(PODS, pod('frontend-7d4b9c8f5-nprst', '10.244.1.15', { owner: ['ReplicaSet', 'frontend-7d4b9c8f5'] }));
    server.dropWatches();
    server.stall(false);
    await waitFor(() => view.podByIp('10.244.1.15') !== undefined, 10_000, { description: 'the pod added meanwhile' });
    assert.equal(view.podByIp('10.244.1.10')?.name, 'frontend-7d4b9c8f5-x2x7k');
  });

  test('a watch ended with an ERROR 410 event is relisted', async () => {
    const { view, server } = await setUp();
    await waitFor(() => server.openWatches(PODS) === 1, 10_000, { description: 'the pod watch' });
    server.expireWatches();
    server.apply(PODS, pod('frontend-7d4b9c8f5-hjklm', '10.244.1.13', { owner: ['ReplicaSet', 'frontend-7d4b9c8f5'] }));
    await waitFor(() => view.podByIp('10.244.1.13') !== undefined, 10_000, { description: 'the new pod' });
    assert.ok(errorCount(view, 'pods', 'expired') > 0);
  });

  test('stopped while a watch request is on its way, the view ends that watch when it is answered', async () => {
    const { view, server } = await setUp();
    await waitFor(() => server.openWatches(PODS) === 1, 10_000, { description: 'the pod watch' });
    // The informers re-watch at once; the server holds the new requests without answering.
    server.holdWatches();
    server.dropWatches();
    await waitFor(() => server.heldWatchCount() > 0, 10_000, { description: 'a watch request held' });
    await view.stop();
    server.holdWatches(false);
    // The client library keeps a watch's handle only once it is answered, so its stop() could not end this one: the
    // view must, or the open watch keeps a `replay` from exiting until the server times it out.
    await waitFor(() => server.openWatches() === 0, 10_000, { description: 'the answered watches to be ended' });
  });

  test('a stalled watch is restarted by the watchdog', async () => {
    const { view, server } = await setUp({ watchdogMs: 400 });
    await waitFor(() => server.openWatches() === COLLECTION_COUNT, 10_000, { description: 'every watch open' });
    server.stall();
    server.apply(PODS, pod('frontend-7d4b9c8f5-stall', '10.244.1.14', { owner: ['ReplicaSet', 'frontend-7d4b9c8f5'] }));
    await waitFor(() => errorCount(view, 'pods', 'stalled') > 0, 10_000, { description: 'the watchdog to fire' });
    server.stall(false);
    await waitFor(() => view.podByIp('10.244.1.14') !== undefined, 10_000, {
      description: 'the restarted informer to see the pod',
    });
  });

  test('a kind whose API is not installed is skipped with one log line', async () => {
    const { view, logger } = await setUp({ prepare: (server) => server.removeApiGroup('batch/v1') });
    assert.equal(view.synced(), true);
    assert.ok(!view.stats().some((stats) => stats.resource === 'jobs'));
    const absent = logger.entries.filter((entry) => entry.message.includes('absent'));
    assert.equal(absent.length, 1);
    assert.equal(absent[0]?.fields['resource'], 'jobs');
    assert.equal(view.podByIp('10.244.1.10')?.name, 'frontend-7d4b9c8f5-x2x7k');
  });

  test('the informer caches slim objects: large pods cost the view well under their size', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const count = 3000;
    const annotation = 'x'.repeat(4096);
    let baseline = 0;
    const { view } = await setUp({
      prepare: (fake) => {
        for (let i = 0; i < count; i++) {
          const big = pod(`bulk-7d4b9c8f5-${String(i).padStart(5, '0')}`, `10.250.${i >> 8}.${i & 255}`, {
            owner: ['ReplicaSet', 'bulk-7d4b9c8f5'],
          });
          big.metadata.annotations = { 'example.com/blob': `${annotation}${i}` };
          // Ports are kept for named ports in policies; the pods of a ReplicaSet share them.
          big.spec = {
            ...big.spec,
            serviceAccountName: 'bulk-worker',
            containers: [{ name: 'app', ports: [{ name: 'http', containerPort: 8080 }] }],
          };
          fake.apply(PODS, big);
        }
      },
      // Only the kinds that hold pods: the policy kinds' informers (each a connection and a cache of no pods) are
      // a fixed cost, which spread over the pods would hide what each pod costs.
      kinds: CLUSTER_KINDS,
      beforeStart: () => {
        gc();
        baseline = process.memoryUsage().heapUsed;
      },
    });
    assert.equal(view.stats().find((stats) => stats.resource === 'pods')?.objects, count + 1);
    gc();
    const perPod = (process.memoryUsage().heapUsed - baseline) / count;
    assert.ok(perPod < 2048, `${Math.round(perPod)} bytes per 4 KiB pod`);
  });

  test('Calico network sets are watched: an outside IP belongs to the set with the longest prefix', async () => {
    const SETS = '/apis/crd.projectcalico.org/v1/globalnetworksets';
    const { view, server } = await setUp({
      prepare: (fake) =>
        fake.apply(SETS, { metadata: { name: 'partners' }, spec: { nets: ['203.0.113.0/24', '2001:db8::/32'] } }),
    });
    assert.deepEqual(view.networkSetForIp('203.0.113.7'), { namespace: '', name: 'partners' });
    assert.deepEqual(view.networkSetForIp('2001:db8::1'), { namespace: '', name: 'partners' });
    assert.equal(view.networkSetForIp('198.51.100.1'), undefined);
    server.apply(SETS, { metadata: { name: 'partner-billing' }, spec: { nets: ['203.0.113.0/28'] } });
    await waitFor(() => view.networkSetForIp('203.0.113.7')?.name === 'partner-billing', 10_000, {
      description: 'the narrower set',
    });
    const enriched = {
      source: { ...emptyEndpoint(), ip: '10.244.1.10' },
      destination: { ...emptyEndpoint(), ip: '203.0.113.7' },
      startTime: 0,
      endTime: 0,
    } as FlowRecord;
    new ClusterViewEnricher(view).enrich(enriched);
    assert.deepEqual(
      [enriched.destination.kind, enriched.destination.namespace, enriched.destination.workload],
      ['networkset', '', 'partner-billing'],
    );
    server.delete(SETS, '', 'partner-billing');
    await waitFor(() => view.networkSetForIp('203.0.113.7')?.name === 'partners', 10_000, {
      description: 'the deleted set to go',
    });
  });

  test('EndpointSlices are watched: a pod addressed by its IP gets the service behind which it runs', async () => {
    const SLICES = '/apis/discovery.k8s.io/v1/endpointslices';
    const slice = (name: string, service: string, pods: [string, string][]): KubeObject => ({
      metadata: { name, namespace: 'shop', labels: { 'kubernetes.io/service-name': service } },
      endpoints: pods.map(([podName, ip]) => ({
        addresses: [ip],
        targetRef: { kind: 'Pod', namespace: 'shop', name: podName },
      })),
    });
    const { view, server } = await setUp({
      prepare: (fake) =>
        fake.apply(SLICES, slice('web-frontend-8xk2p', 'web-frontend', [['frontend-7d4b9c8f5-x2x7k', '10.244.1.10']])),
    });
    assert.deepEqual(view.serviceOfPod('shop', 'frontend-7d4b9c8f5-x2x7k'), {
      namespace: 'shop',
      name: 'web-frontend',
    });
    const toPod = (): FlowRecord =>
      ({
        source: { ...emptyEndpoint(), ip: '10.244.9.9' },
        destination: { ...emptyEndpoint(), ip: '10.244.1.10' },
        startTime: 0,
        endTime: 0,
      }) as FlowRecord;
    const record = toPod();
    new ClusterViewEnricher(view).enrich(record);
    assert.deepEqual(
      [record.destination.pod, record.destination.service],
      ['frontend-7d4b9c8f5-x2x7k', 'web-frontend'],
    );
    server.delete(SLICES, 'shop', 'web-frontend-8xk2p');
    await waitFor(() => view.serviceOfPod('shop', 'frontend-7d4b9c8f5-x2x7k') === undefined, 10_000, {
      description: 'the deleted slice to go',
    });
    const after = toPod();
    new ClusterViewEnricher(view).enrich(after);
    assert.equal(after.destination.service, '');
  });

  test('an EndpointSlice API the exporter may not list is skipped with one log line; the view is ready', async () => {
    const { view, logger } = await setUp({ prepare: (server) => server.forbidApiGroup('discovery.k8s.io/v1') });
    assert.equal(view.synced(), true);
    const forbidden = logger.entries.filter((entry) => entry.message.includes('forbidden'));
    assert.deepEqual(
      forbidden.map((entry) => [entry.fields['resource'], entry.message]),
      [['endpointslices', 'kubernetes API forbidden; not watching it']],
    );
    assert.ok(view.livePolicyContext() !== undefined, 'policy attribution does not need EndpointSlices');
    assert.equal(view.podByIp('10.244.1.10')?.name, 'frontend-7d4b9c8f5-x2x7k');
  });

  test('jobs lead to their CronJob', async () => {
    const { view, server } = await setUp();
    server.apply(JOBS, {
      metadata: {
        name: 'nightly-29012345',
        namespace: 'shop',
        ownerReferences: [
          { apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly-export', uid: 'u-n', controller: true },
        ],
      },
    });
    server.apply(PODS, pod('nightly-29012345-bcdfg', '10.244.3.8', { owner: ['Job', 'nightly-29012345'] }));
    await waitFor(
      () => {
        const found = view.podByIp('10.244.3.8');
        return found !== undefined && view.workloadOf(found).workload === 'nightly-export';
      },
      10_000,
      { description: 'the CronJob owner' },
    );
  });
});
