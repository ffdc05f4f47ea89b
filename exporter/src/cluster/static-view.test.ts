import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StaticClusterView } from './static-view';
import { ClusterViewEnricher } from './enricher';
import { repoRoot } from '../testing/collect';
import { emptyEndpoint, type FlowRecord } from '../model/flow';
import type { PodSockets } from '../model/sockets';

const view = StaticClusterView.fromFile(join(repoRoot(), 'test/fixtures/resources.yaml'));

test('owner chains resolve to the top controller', () => {
  assert.equal(view.podCount, 4);
  const frontend = view.podByIp('10.244.1.10');
  assert.ok(frontend);
  assert.deepEqual(view.workloadOf(frontend), { workload: 'web-frontend', kind: 'Deployment' });
  assert.equal(view.podByIp('fd00::10')?.name, 'frontend-7d4b9c8f5-x2x7k', 'every podIP is indexed');
  assert.deepEqual(view.workloadOf(view.podByIp('10.244.3.7')!), { workload: 'nightly-export', kind: 'CronJob' });
  assert.deepEqual(view.workloadOfPrefix('shop', 'frontend-7d4b9c8f5-*'), {
    workload: 'web-frontend',
    kind: 'Deployment',
  });
  assert.equal(view.podByIp('192.168.0.11'), undefined, 'host-network pods do not own their node IP');
  assert.equal(view.nodeByIp('192.168.0.11'), 'node-a');
  assert.deepEqual(view.serviceByClusterIp('10.96.12.34'), { namespace: 'shop', name: 'cart' });
});

test('the enricher fills workloads from IPs and aggregated prefixes, services from cluster IPs', () => {
  const record = {
    source: { ...emptyEndpoint(), ip: '10.244.1.10' },
    destination: { ...emptyEndpoint(), ip: '10.96.12.34' },
  } as FlowRecord;
  new ClusterViewEnricher(view).enrich(record);
  assert.equal(record.source.kind, 'pod');
  assert.equal(record.source.namespace, 'shop');
  assert.equal(record.source.workload, 'web-frontend');
  assert.equal(record.destination.service, 'cart');
  const aggregated = {
    source: { ...emptyEndpoint(), kind: 'pod', namespace: 'shop', pod: 'frontend-7d4b9c8f5-*' },
    destination: { ...emptyEndpoint(), ip: '192.168.0.11' },
  } as FlowRecord;
  new ClusterViewEnricher(view).enrich(aggregated);
  assert.equal(aggregated.source.workload, 'web-frontend');
  assert.equal(aggregated.destination.kind, 'host');
});

test('bad resource files get an error that names the file and the document', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-resources-'));
  try {
    const cases: [string, RegExp][] = [
      ['kind: Pod\nmetadata: {name: [unclosed\n', /document 1 is not valid YAML/],
      ['---\nkind: List\nitems: 3\n', /document 1: a List needs an "items" list/],
      ['kind: Pod\nmetadata: {}\n', /Pod has no metadata.name/],
      ['---\n{}\n---\njust text\n', /expected a Kubernetes object with a "kind" field/],
    ];
    for (const [text, message] of cases) {
      const file = join(dir, 'bad.yaml');
      writeFileSync(file, text);
      assert.throws(() => StaticClusterView.fromFile(file), message);
      assert.throws(() => StaticClusterView.fromFile(file), /bad\.yaml/);
    }
    assert.throws(() => StaticClusterView.fromFile(join(dir, 'missing.yaml')), /missing\.yaml cannot be read: ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a pod whose ReplicaSet is missing from the file still resolves to its Deployment', () => {
  const cart = view.podByIp('10.244.2.20');
  assert.ok(cart);
  assert.deepEqual(view.workloadOf(cart), { workload: 'cart', kind: 'Deployment' });
});

test('pods by uid: a socket scan’s pod is found by the uid in its cgroup, else by its addresses', () => {
  const documents = `apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata:
      name: api-6b7c8d9f0-k2m4p
      namespace: shop
      uid: 3f2e1d0c-9b8a-4765-8432-10fedcba9876
      ownerReferences: [{ kind: ReplicaSet, name: api-6b7c8d9f0, controller: true }]
    status: { podIP: 10.244.5.5 }
  - apiVersion: apps/v1
    kind: ReplicaSet
    metadata:
      name: api-6b7c8d9f0
      namespace: shop
      ownerReferences: [{ kind: Deployment, name: api, controller: true }]
  - apiVersion: v1
    kind: Pod
    metadata: { name: worker-0, namespace: jobs, uid: 11111111-2222-4333-8444-555555555555 }
    status: { podIP: 10.244.5.6 }
`;
  const directory = mkdtempSync(join(tmpdir(), 'flowlens-uid-'));
  try {
    writeFileSync(join(directory, 'pods.yaml'), documents);
    const pods = StaticClusterView.fromFile(join(directory, 'pods.yaml'));
    assert.equal(pods.podByUid('3f2e1d0c-9b8a-4765-8432-10fedcba9876')?.name, 'api-6b7c8d9f0-k2m4p');
    assert.equal(pods.podByUid('3f2e1d0c-9b8a-4765-8432-10fedcba9877'), undefined);
    assert.equal(pods.podByUid(''), undefined);

    const enricher = new ClusterViewEnricher(pods);
    const scanned = (podUid: string, addresses: string[]): PodSockets => ({
      netns: 1,
      podUid,
      pod: { ...emptyEndpoint(), kind: 'pod' },
      addresses,
      states: [],
      listening: [],
      tcp: undefined,
    });
    const byUid = scanned('3f2e1d0c-9b8a-4765-8432-10fedcba9876', ['10.244.5.6']);
    enricher.enrichPod(byUid, 0);
    assert.deepEqual([byUid.pod.namespace, byUid.pod.workload, byUid.pod.pod], ['shop', 'api', 'api-6b7c8d9f0-k2m4p']);
    const byAddress = scanned('99999999-2222-4333-8444-555555555555', ['10.1.1.1', '10.244.5.6']);
    enricher.enrichPod(byAddress, 0);
    assert.deepEqual([byAddress.pod.namespace, byAddress.pod.pod], ['jobs', 'worker-0']);
    const unknown = scanned('99999999-2222-4333-8444-555555555555', ['10.1.1.1']);
    enricher.enrichPod(unknown, 0);
    assert.equal(unknown.pod.workload, '', 'left to the fallbacks');
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
