import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ClusterIndex, DEFAULT_IP_HISTORY_LIMITS, type ClusterIndexOptions } from './cluster-index';
import { projectEndpointSlice, projectPod, uidTag } from './projections';

interface PodFields {
  created?: string;
  phase?: string;
  uid?: string;
  rv?: string;
  /** The ReplicaSet that made the pod; `web-7d4b9c8f5` (Deployment `web`) unless told. */
  replicaSet?: string;
}

function pod(name: string, ip: string, fields: PodFields = {}) {
  return projectPod({
    metadata: {
      name,
      namespace: 'shop',
      uid: fields.uid ?? `uid-${name}`,
      resourceVersion: fields.rv ?? '10',
      creationTimestamp: fields.created ?? '2026-01-01T00:00:00Z',
      labels: { app: 'web', 'pod-template-hash': '7d4b9c8f5' },
      ownerReferences: [{ kind: 'ReplicaSet', name: fields.replicaSet ?? 'web-7d4b9c8f5', controller: true }],
    },
    // Calico's policies match on the account: projected, interned, within the per-pod budget below.
    spec: { serviceAccountName: 'web-runner' },
    status: { phase: fields.phase ?? 'Running', podIP: ip, podIPs: [{ ip }] },
  });
}

test('an IP belongs to the newest running pod that lists it', () => {
  const index = new ClusterIndex();
  index.upsertPod(pod('old', '10.0.0.1', { created: '2026-01-01T00:00:00Z' }));
  index.upsertPod(pod('new', '10.0.0.1', { created: '2026-01-02T00:00:00Z' }));
  assert.equal(index.podByIp('10.0.0.1')?.name, 'new');
  // An update of the older pod (a late status write) does not take the IP back.
  index.upsertPod(pod('old', '10.0.0.1', { created: '2026-01-01T00:00:00Z', rv: '20' }));
  assert.equal(index.podByIp('10.0.0.1')?.name, 'new');
  // A finished pod yields its IP even to an older running pod.
  index.upsertPod(pod('new', '10.0.0.1', { created: '2026-01-02T00:00:00Z', phase: 'Succeeded', rv: '21' }));
  index.upsertPod(pod('old', '10.0.0.1', { created: '2026-01-01T00:00:00Z', rv: '22' }));
  assert.equal(index.podByIp('10.0.0.1')?.name, 'old');
});

test('deleting a pod removes its IP entry only while it still points at that pod', () => {
  const index = new ClusterIndex();
  index.upsertPod(pod('old', '10.0.0.1', { created: '2026-01-01T00:00:00Z' }));
  index.upsertPod(pod('new', '10.0.0.1', { created: '2026-01-02T00:00:00Z' }));
  index.removePod('shop', 'old');
  assert.equal(index.podByIp('10.0.0.1')?.name, 'new');
  index.removePod('shop', 'new');
  assert.equal(index.podByIp('10.0.0.1'), undefined);
});

test('a delete for an earlier pod of the same name leaves the current one', () => {
  const index = new ClusterIndex();
  index.upsertPod(pod('db-0', '10.0.0.5', { uid: 'second' }));
  index.removePod('shop', 'db-0', uidTag('first'));
  assert.equal(index.podByName('shop', 'db-0')?.uid, uidTag('second'));
  index.removePod('shop', 'db-0', uidTag('second'));
  assert.equal(index.podByName('shop', 'db-0'), undefined);
});

test('a pod costs under 1 KiB in the index', () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const count = 20_000;
  const index = new ClusterIndex();
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < count; i++) {
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    const projected = pod(`web-7d4b9c8f5-${String(i).padStart(5, '0')}`, ip, {
      uid: `9f1c2b7e-3d4a-4c8b-9e2f-${String(i).padStart(12, '0')}`,
      rv: String(1_000_000 + i),
    });
    index.upsertPod(projected);
  }
  gc();
  const perPod = (process.memoryUsage().heapUsed - before) / count;
  assert.equal(index.podCount, count);
  assert.equal(index.podByName('shop', 'web-7d4b9c8f5-00007')?.serviceAccount, 'web-runner');
  assert.ok(perPod < 1024, `${Math.round(perPod)} bytes per pod`);
});

/** An index on a clock the test moves: unix seconds. */
function indexWithClock(start: number, options: ClusterIndexOptions = {}) {
  const clock = { now: start };
  const index = new ClusterIndex({ nowSeconds: () => clock.now, ...options });
  return { index, clock };
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
const T = 1_790_000_000;
const IP = '10.0.0.5';

/** Pod A (Deployment web) holds 10.0.0.5 until deleted at T; pod B (Deployment cart) has it from T+5. */
function reusedIp(bCreated = T + 5) {
  const { index, clock } = indexWithClock(T - 3600);
  index.upsertPod(pod('web-7d4b9c8f5-aaaaa', IP, { created: iso(T - 3600) }));
  clock.now = T;
  index.removePod('shop', 'web-7d4b9c8f5-aaaaa');
  clock.now = T + 5;
  index.upsertPod(pod('cart-5f6d7c8b9d-bbbbb', IP, { created: iso(bCreated), replicaSet: 'cart-5f6d7c8b9d' }));
  return { index, clock };
}

test('a time before an IP was reused gets the pod that held it then', () => {
  const { index } = reusedIp();
  const before = index.podByIp(IP, T - 10);
  assert.equal(before?.name, 'web-7d4b9c8f5-aaaaa');
  assert.deepEqual(index.workloadOf(before!), { workload: 'web', kind: 'Deployment' });
  const after = index.podByIp(IP, T + 10);
  assert.equal(after?.name, 'cart-5f6d7c8b9d-bbbbb');
  assert.deepEqual(index.workloadOf(after!), { workload: 'cart', kind: 'Deployment' });
  // Without a time, or with 0 (a record that does not know its time), today's answer.
  assert.equal(index.podByIp(IP)?.name, 'cart-5f6d7c8b9d-bbbbb');
  assert.equal(index.podByIp(IP, 0)?.name, 'cart-5f6d7c8b9d-bbbbb');
  assert.deepEqual(
    index.ipHoldings(IP).map(({ name, from, until }) => [name, from, until]),
    [
      ['web-7d4b9c8f5-aaaaa', T - 3600, T],
      ['cart-5f6d7c8b9d-bbbbb', T + 5, Infinity],
    ],
  );
});

test('a replacement created before the old pod went holds the IP only from the release', () => {
  // A ReplicaSet creates the replacement while the old pod drains: its creation is not when it got the IP.
  const { index } = reusedIp(T - 100);
  assert.equal(index.podByIp(IP, T - 10)?.name, 'web-7d4b9c8f5-aaaaa');
  assert.equal(index.podByIp(IP, T + 1)?.name, 'cart-5f6d7c8b9d-bbbbb');
});

test('a takeover while the old pod still lists the IP dates from when the view saw it', () => {
  const { index, clock } = indexWithClock(T - 3600);
  index.upsertPod(pod('web-7d4b9c8f5-aaaaa', IP, { created: iso(T - 3600) }));
  clock.now = T;
  // The terminating pod's delete has not arrived; its replacement, created 60 s ago, lists the IP already.
  index.upsertPod(pod('cart-5f6d7c8b9d-bbbbb', IP, { created: iso(T - 60), replicaSet: 'cart-5f6d7c8b9d' }));
  clock.now = T + 3;
  index.removePod('shop', 'web-7d4b9c8f5-aaaaa');
  assert.equal(index.podByIp(IP, T - 30)?.name, 'web-7d4b9c8f5-aaaaa');
  assert.equal(index.podByIp(IP, T + 1)?.name, 'cart-5f6d7c8b9d-bbbbb');
  assert.equal(index.ipHoldings(IP).length, 2, 'the late delete of the old pod changes nothing');
});

test('an update that keeps the IP continues the holding; one that drops it releases the IP', () => {
  const { index, clock } = indexWithClock(T);
  index.upsertPod(pod('web-7d4b9c8f5-aaaaa', IP, { created: iso(T), rv: '10' }));
  clock.now = T + 60;
  index.upsertPod(pod('web-7d4b9c8f5-aaaaa', IP, { created: iso(T), rv: '11' }));
  assert.deepEqual(
    index.ipHoldings(IP).map(({ from, until }) => [from, until]),
    [[T, Infinity]],
  );
  clock.now = T + 120;
  index.upsertPod(pod('web-7d4b9c8f5-aaaaa', '10.0.0.6', { created: iso(T), rv: '12' }));
  assert.equal(index.podByIp(IP), undefined);
  assert.equal(index.podByIp(IP, T + 100)?.name, 'web-7d4b9c8f5-aaaaa');
  assert.equal(index.podByIp('10.0.0.6')?.name, 'web-7d4b9c8f5-aaaaa');
});

test('times the history does not cover fall back to what the view can vouch for', () => {
  const slack = DEFAULT_IP_HISTORY_LIMITS.slackSeconds;
  const { index } = reusedIp();
  // Between the release and the next holder, and just around a holding: the nearest holder (clock skew).
  assert.equal(index.podByIp(IP, T + 1)?.name, 'web-7d4b9c8f5-aaaaa');
  assert.equal(index.podByIp(IP, T + 4)?.name, 'cart-5f6d7c8b9d-bbbbb');
  assert.equal(index.podByIp(IP, T - 3600 - slack)?.name, 'web-7d4b9c8f5-aaaaa');
  // Long before the first holder: nobody, since a later holder is known (it must not get an older flow).
  assert.equal(index.podByIp(IP, T - 7200), undefined);
  // An IP the view never saw with a pod: nobody, at any time.
  assert.equal(index.podByIp('10.0.9.9', T), undefined);

  // An IP only ever seen with one pod that still holds it: today's answer at any time, as nobody else is known.
  const single = indexWithClock(T).index;
  single.upsertPod(pod('web-7d4b9c8f5-aaaaa', IP, { created: iso(T) }));
  assert.equal(single.podByIp(IP, T - 7200)?.name, 'web-7d4b9c8f5-aaaaa');

  // A released IP nobody took: the last holder just after the release, nobody (today's answer) later.
  const released = indexWithClock(T - 3600);
  released.index.upsertPod(pod('web-7d4b9c8f5-aaaaa', IP, { created: iso(T - 3600) }));
  released.clock.now = T;
  released.index.removePod('shop', 'web-7d4b9c8f5-aaaaa');
  assert.equal(released.index.podByIp(IP, T + slack)?.name, 'web-7d4b9c8f5-aaaaa');
  assert.equal(released.index.podByIp(IP, T + slack + 1), undefined);
});

test('a time older than what the history remembers gets nobody, not the current holder', () => {
  const { index, clock } = reusedIp();
  // Ten minutes after the release, the next change forgets pod A.
  clock.now = T + DEFAULT_IP_HISTORY_LIMITS.maxAgeSeconds + 1;
  index.upsertPod(pod('web-7d4b9c8f5-ccccc', '10.0.0.7', { created: iso(clock.now) }));
  assert.deepEqual(
    index.ipHoldings(IP).map(({ name }) => name),
    ['cart-5f6d7c8b9d-bbbbb'],
  );
  assert.equal(index.podByIp(IP, T - 10), undefined);
  assert.equal(index.podByIp(IP, T + 10)?.name, 'cart-5f6d7c8b9d-bbbbb');
});

test('churn of thousands of pods through a few IPs keeps the history within its bound', () => {
  const ips = ['10.0.0.1', '10.0.0.2', '10.0.0.3'];
  const { index, clock } = indexWithClock(T);
  const pods = 6000;
  for (let i = 0; i < pods; i++) {
    // A crash-looping Job: a pod every two seconds, each through one of three IPs, gone before the next.
    const name = `export-${String(i).padStart(5, '0')}`;
    index.upsertPod(pod(name, ips[i % ips.length]!, { created: iso(clock.now), replicaSet: 'export' }));
    clock.now += 1;
    index.removePod('shop', name);
    clock.now += 1;
  }
  const { holdersPerIp } = DEFAULT_IP_HISTORY_LIMITS;
  for (const ip of ips) assert.ok(index.ipHoldings(ip).length <= holdersPerIp, ip);
  assert.ok(index.ipHistorySize <= ips.length * holdersPerIp, `${index.ipHistorySize} holdings`);
  assert.equal(index.podCount, 0);
  // The last holder of an IP is still there; the first was forgotten, and its time gets nobody.
  const last = pods - 1;
  assert.equal(
    index.podByIp(ips[last % ips.length]!, T + 2 * last + 0.5)?.name,
    `export-${String(last).padStart(5, '0')}`,
  );
  assert.equal(index.podByIp('10.0.0.1', T + 0.5), undefined);
});

test('pods the history dropped are not kept alive, however fast they churn', () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const ips = ['10.0.0.1', '10.0.0.2', '10.0.0.3'];
  const { index, clock } = indexWithClock(T);
  gc();
  const before = process.memoryUsage().heapUsed;
  // Fifty pods a second: within ten minutes, so only the count bound (8192 releases) forgets.
  for (let i = 0; i < 20_000; i++) {
    const name = `export-${String(i).padStart(5, '0')}`;
    index.upsertPod(pod(name, ips[i % ips.length]!, { created: iso(clock.now), replicaSet: 'export' }));
    index.removePod('shop', name);
    clock.now += 0.02;
  }
  gc();
  const grown = process.memoryUsage().heapUsed - before;
  assert.ok(index.ipHistorySize <= ips.length * DEFAULT_IP_HISTORY_LIMITS.holdersPerIp);
  // 8192 pinned projections would take MiBs; the queue's empty places take a few hundred KiB.
  assert.ok(grown < 1024 * 1024, `${Math.round(grown / 1024)} KiB after the churn`);
});

test('churn through many IPs keeps at most maxReleased released holdings, and age forgets the rest', () => {
  const maxReleased = 500;
  const { index, clock } = indexWithClock(T, { ipHistory: { maxReleased } });
  for (let i = 0; i < 20_000; i++) {
    const name = `export-${String(i).padStart(5, '0')}`;
    index.upsertPod(pod(name, `10.1.${(i >> 8) & 255}.${i & 255}`, { created: iso(clock.now), replicaSet: 'export' }));
    index.removePod('shop', name);
    clock.now += 0.01;
    assert.ok(index.ipHistorySize <= maxReleased, `${index.ipHistorySize} holdings after ${i + 1} pods`);
  }
  clock.now += DEFAULT_IP_HISTORY_LIMITS.maxAgeSeconds + 1;
  index.upsertPod(pod('web-7d4b9c8f5-aaaaa', '10.2.0.1', { created: iso(clock.now) }));
  assert.equal(index.ipHistorySize, 1, 'only the holding of the pod that holds an IP now');
});

test('an index without IP history answers for now at every time', () => {
  const { index, clock } = indexWithClock(T - 3600, { ipHistory: false });
  index.upsertPod(pod('web-7d4b9c8f5-aaaaa', IP, { created: iso(T - 3600) }));
  clock.now = T;
  index.removePod('shop', 'web-7d4b9c8f5-aaaaa');
  index.upsertPod(pod('cart-5f6d7c8b9d-bbbbb', IP, { created: iso(T), replicaSet: 'cart-5f6d7c8b9d' }));
  assert.equal(index.podByIp(IP, T - 10)?.name, 'cart-5f6d7c8b9d-bbbbb');
  assert.equal(index.ipHistorySize, 0);
});

function endpointSlice(name: string, service: string, pods: string[]) {
  return projectEndpointSlice({
    metadata: { name, namespace: 'shop', labels: { 'kubernetes.io/service-name': service } },
    endpoints: pods.map((podName, i) => ({
      addresses: [`10.244.9.${i + 1}`],
      targetRef: { kind: 'Pod', namespace: 'shop', name: podName },
    })),
  });
}

test('EndpointSlices put pods behind their services; with several, the first by name', () => {
  const index = new ClusterIndex();
  const slice = endpointSlice('cart-abcde', 'cart', ['cart-1', 'cart-2']);
  assert.deepEqual(slice.addresses, ['10.244.9.1', '10.244.9.2']);
  index.upsertEndpointSlice(slice);
  // A second slice of one service (dual stack) and a headless twin listing the same pod.
  index.upsertEndpointSlice(endpointSlice('cart-v6', 'cart', ['cart-1']));
  index.upsertEndpointSlice(endpointSlice('zz-headless-x', 'cart-headless', ['cart-2']));
  index.upsertEndpointSlice(endpointSlice('aa-headless-y', 'a-cart', ['cart-2']));
  assert.deepEqual(index.serviceOfPod('shop', 'cart-1'), { namespace: 'shop', name: 'cart' });
  assert.deepEqual(index.serviceOfPod('shop', 'cart-2'), { namespace: 'shop', name: 'a-cart' });
  assert.equal(index.serviceOfPod('other', 'cart-1'), undefined);

  index.removeEndpointSlice('shop', 'cart-v6');
  assert.deepEqual(index.serviceOfPod('shop', 'cart-1'), { namespace: 'shop', name: 'cart' }, 'the other slice');
  index.upsertEndpointSlice(endpointSlice('cart-abcde', 'cart', ['cart-2']));
  assert.equal(index.serviceOfPod('shop', 'cart-1'), undefined, 'no slice lists the pod any more');
  index.removeEndpointSlice('shop', 'aa-headless-y');
  assert.deepEqual(index.serviceOfPod('shop', 'cart-2'), { namespace: 'shop', name: 'cart' });
  assert.deepEqual(index.endpointSliceKeys().sort(), ['shop/cart-abcde', 'shop/zz-headless-x']);
  // A slice no service owns puts nobody behind anything.
  index.upsertEndpointSlice(endpointSlice('orphan', '', ['cart-9']));
  assert.equal(index.serviceOfPod('shop', 'cart-9'), undefined);
});

test('a pod replaced under its name, or deleted, no longer answers for its uid', () => {
  const index = new ClusterIndex();
  const first = pod('db-0', '10.244.9.9', { uid: 'aaaaaaaa-0000-4000-8000-000000000001' });
  index.upsertPod(first);
  assert.equal(index.podByUid('aaaaaaaa-0000-4000-8000-000000000001'), first);
  const second = pod('db-0', '10.244.9.9', { uid: 'aaaaaaaa-0000-4000-8000-000000000002', rv: '11' });
  index.upsertPod(second);
  assert.equal(index.podByUid('aaaaaaaa-0000-4000-8000-000000000001'), undefined);
  assert.equal(index.podByUid('aaaaaaaa-0000-4000-8000-000000000002'), second);
  index.removePod('shop', 'db-0');
  assert.equal(index.podByUid('aaaaaaaa-0000-4000-8000-000000000002'), undefined);
});
