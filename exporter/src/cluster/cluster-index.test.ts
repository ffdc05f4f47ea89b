import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ClusterIndex } from './cluster-index';
import { projectPod } from './projections';

function pod(name: string, ip: string, fields: { created?: string; phase?: string; uid?: string; rv?: string } = {}) {
  return projectPod({
    metadata: {
      name,
      namespace: 'shop',
      uid: fields.uid ?? `uid-${name}`,
      resourceVersion: fields.rv ?? '10',
      creationTimestamp: fields.created ?? '2026-01-01T00:00:00Z',
      labels: { app: 'web', 'pod-template-hash': '7d4b9c8f5' },
      ownerReferences: [{ kind: 'ReplicaSet', name: 'web-7d4b9c8f5', controller: true }],
    },
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
  index.removePod('shop', 'db-0', 'first');
  assert.equal(index.podByName('shop', 'db-0')?.uid, 'second');
  index.removePod('shop', 'db-0', 'second');
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
  assert.ok(perPod < 1024, `${Math.round(perPod)} bytes per pod`);
});
