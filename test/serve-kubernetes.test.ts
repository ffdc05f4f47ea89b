/**
 * `flowlens serve --kubernetes` end to end: a real exporter process with KUBECONFIG pointing at the fake
 * API server, not ready until the server is up and listed, then attributing Calico's aggregated pod
 * prefixes to the Deployment that the server's ReplicaSet names.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FakeKubeApiServer } from './kube-api-server';
import {
  CALICO_FIXTURE,
  childEnvironment,
  fetchText,
  findSamples,
  freePort,
  parseExposition,
  runFlowlens,
  sampleValue,
  testWorkspace,
  waitFor,
} from './support';

const workspace = testWorkspace('flowlens-serve-kubernetes-');
const api = new FakeKubeApiServer();
const replayApi = new FakeKubeApiServer();
after(async () => {
  await api.stop();
  await replayApi.stop();
});

const FRONTEND_REPLICASET = {
  metadata: {
    name: 'frontend-7d4b9c8f5',
    namespace: 'shop',
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web-frontend', uid: 'u-web', controller: true },
    ],
  },
};

test('serve --kubernetes is ready once the API is listed and names workloads by their owners', async () => {
  api.apply('/apis/apps/v1/replicasets', FRONTEND_REPLICASET);
  api.apply('/api/v1/pods', {
    metadata: {
      name: 'frontend-7d4b9c8f5-x2x7k',
      namespace: 'shop',
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'frontend-7d4b9c8f5', uid: 'u-rs', controller: true },
      ],
    },
    status: { phase: 'Running', podIP: '10.244.1.10' },
  });
  // The kubeconfig names the API server's port before anything listens there.
  api.port = await freePort();
  const kubeconfig = join(workspace.dir(), 'kubeconfig');
  await api.writeKubeconfig(kubeconfig);

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const exporter = workspace.processes.startFlowlens(
    ['serve', '--kubernetes', '--listen', `127.0.0.1:${port}`, '--source', `calico-flows:${CALICO_FIXTURE}`],
    { env: childEnvironment({ KUBECONFIG: kubeconfig }) },
  );
  let notReady = '';
  await waitFor(
    async () => {
      const response = await fetchText(`${base}/readyz`);
      notReady = response.body;
      return response.status === 503;
    },
    30_000,
    { description: '/readyz to answer 503 while the API server is away', process: exporter },
  );
  assert.match(notReady, /kubernetes pods/);

  await api.start();
  await waitFor(async () => (await fetchText(`${base}/readyz`)).status === 200, 30_000, {
    description: '/readyz to answer 200 once the view is listed',
    process: exporter,
  });
  let samples = parseExposition('');
  await waitFor(
    async () => {
      samples = parseExposition((await fetchText(`${base}/metrics`)).body);
      return findSamples(samples, 'flowlens_flows_total', { source_workload: 'web-frontend' }).length > 0;
    },
    30_000,
    { description: 'flows from workload web-frontend', process: exporter },
  );
  assert.equal(
    findSamples(samples, 'flowlens_flows_total', { source_workload: 'frontend' }).length,
    0,
    'no flow is attributed by the pod name alone',
  );
  assert.equal(sampleValue(samples, 'flowlens_k8s_cache_synced', { resource: 'pods' }), 1);
  assert.equal(sampleValue(samples, 'flowlens_k8s_objects', { resource: 'replicasets' }), 1);
  assert.ok(
    findSamples(samples, 'flowlens_k8s_watch_errors_total', { resource: 'pods', reason: 'connection' }).length > 0,
    'the failed attempts before the server was up are counted',
  );
  const exit = await exporter.stop();
  assert.equal(exit.code, 0, exporter.stderr);
});

test('replay with kubernetes: true in its config file reads against the listed cluster', async () => {
  replayApi.apply('/apis/apps/v1/replicasets', FRONTEND_REPLICASET);
  await replayApi.start(0);
  const kubeconfig = join(workspace.dir(), 'replay-kubeconfig');
  await replayApi.writeKubeconfig(kubeconfig);
  const configFile = join(workspace.dir(), 'flowlens.yaml');
  await writeFile(configFile, 'kubernetes: true\n');
  const result = await runFlowlens(
    workspace.processes,
    ['replay', '--config', configFile, '--source', `calico-flows:${CALICO_FIXTURE}`],
    { env: childEnvironment({ KUBECONFIG: kubeconfig }) },
  );
  assert.equal(result.code, 0, result.stderr);
  const samples = parseExposition(result.stdout);
  assert.ok(findSamples(samples, 'flowlens_flows_total', { source_workload: 'web-frontend' }).length > 0);
  assert.equal(sampleValue(samples, 'flowlens_k8s_cache_synced', { resource: 'replicasets' }), 1);
});
