import { test } from 'node:test';
import assert from 'node:assert/strict';
import { projectPod, uidTag } from './projections';
import { PodsByPrefix } from './pod-prefixes';

const pod = (name: string, uid: string, phase = 'Running') =>
  projectPod({ metadata: { name, namespace: 'shop', uid }, status: { phase, podIP: '10.0.0.1' } });

test('pods are found by their aggregated prefix, a running one first, until the last goes', () => {
  const prefixes = new PodsByPrefix();
  prefixes.upsert(pod('web-5f6d7c8b9d-aaaaa', 'u1', 'Succeeded'));
  prefixes.upsert(pod('web-5f6d7c8b9d-bbbbb', 'u2'));
  prefixes.upsert(pod('standalone', 'u3'));
  assert.equal(prefixes.podFor('shop', 'web-5f6d7c8b9d-*')?.name, 'web-5f6d7c8b9d-bbbbb');
  assert.equal(prefixes.podFor('other', 'web-5f6d7c8b9d-*'), undefined);
  prefixes.remove('shop', 'web-5f6d7c8b9d-bbbbb', uidTag('an-older-pod'));
  assert.equal(
    prefixes.podFor('shop', 'web-5f6d7c8b9d-*')?.name,
    'web-5f6d7c8b9d-bbbbb',
    'a newer pod of the name stays',
  );
  prefixes.remove('shop', 'web-5f6d7c8b9d-bbbbb', uidTag('u2'));
  assert.equal(prefixes.podFor('shop', 'web-5f6d7c8b9d-*')?.name, 'web-5f6d7c8b9d-aaaaa');
  prefixes.remove('shop', 'web-5f6d7c8b9d-aaaaa');
  assert.equal(prefixes.podFor('shop', 'web-5f6d7c8b9d-*'), undefined);
});

test('container ports are projected for named ports, shared between pods with equal ports', () => {
  const spec = {
    initContainers: [{ ports: [{ containerPort: 9000, protocol: 'UDP' }] }],
    containers: [
      { ports: [{ name: 'http', containerPort: 8080 }, { containerPort: 'bad' }, { containerPort: 70000 }] },
    ],
  };
  const first = projectPod({ metadata: { name: 'a', namespace: 'shop' }, spec });
  const second = projectPod({ metadata: { name: 'b', namespace: 'shop' }, spec: structuredClone(spec) });
  assert.deepEqual(first.containerPorts, [
    { name: '', port: 9000, protocol: 'UDP' },
    { name: 'http', port: 8080, protocol: 'TCP' },
  ]);
  assert.equal(first.containerPorts, second.containerPorts);
  assert.deepEqual(projectPod({ metadata: { name: 'c' } }).containerPorts, []);
});
