/**
 * `flowlens serve --kubernetes` end to end with live policy: Hubble flows that name no policy (older Cilium)
 * take the deciding policy from the NetworkPolicies the fake API server serves, and policy changes are counted.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FakeKubeApiServer } from './kube-api-server';
import {
  childEnvironment,
  fetchText,
  findSamples,
  freePort,
  parseExposition,
  sampleValue,
  testWorkspace,
  waitFor,
} from './support';

const workspace = testWorkspace('flowlens-serve-kubernetes-policy-');
const api = new FakeKubeApiServer();
after(() => api.stop());

const NETWORK_POLICIES = '/apis/networking.k8s.io/v1/networkpolicies';

function hubbleFlow(): string {
  const time = new Date().toISOString();
  const flow = {
    time,
    uuid: 'policy-1',
    verdict: 'FORWARDED',
    IP: { source: '10.244.1.10', destination: '10.244.2.20', ipVersion: 'IPv4' },
    l4: { TCP: { source_port: 41234, destination_port: 5432, flags: { SYN: true } } },
    source: { namespace: 'shop', labels: ['k8s:app=web'], pod_name: 'web-6b8d9f7c5-qwrtz' },
    destination: { namespace: 'shop', labels: ['k8s:app=db'], pod_name: 'db-0' },
    Type: 'L3_L4',
    node_name: 'node-b',
    traffic_direction: 'INGRESS',
    is_reply: false,
  };
  return `${JSON.stringify({ flow, node_name: 'node-b', time })}\n`;
}

test('serve --kubernetes attributes Hubble flows without policy names to the live NetworkPolicy', async () => {
  api.apply('/api/v1/namespaces', { metadata: { name: 'shop' } });
  api.apply('/api/v1/pods', {
    metadata: { name: 'web-6b8d9f7c5-qwrtz', namespace: 'shop', labels: { app: 'web' } },
    status: { phase: 'Running', podIP: '10.244.1.10' },
  });
  api.apply('/api/v1/pods', {
    metadata: { name: 'db-0', namespace: 'shop', labels: { app: 'db' } },
    spec: { containers: [{ name: 'db', ports: [{ name: 'postgres', containerPort: 5432 }] }] },
    status: { phase: 'Running', podIP: '10.244.2.20' },
  });
  api.apply(NETWORK_POLICIES, {
    metadata: { name: 'db-ingress', namespace: 'shop' },
    spec: {
      podSelector: { matchLabels: { app: 'db' } },
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 'postgres' }] }],
    },
  });
  await api.start(0);
  const kubeconfig = join(workspace.dir(), 'kubeconfig');
  await api.writeKubeconfig(kubeconfig);
  const flows = join(workspace.dir(), 'hubble.ndjson');
  await writeFile(flows, hubbleFlow());

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const exporter = workspace.processes.startFlowlens(
    ['serve', '--kubernetes', '--listen', `127.0.0.1:${port}`, '--source', `hubble:${flows}`],
    { env: childEnvironment({ KUBECONFIG: kubeconfig }) },
  );
  let samples = parseExposition('');
  await waitFor(
    async () => {
      samples = parseExposition((await fetchText(`${base}/metrics`)).body);
      return findSamples(samples, 'flowlens_flows_total', { policy: 'shop/db-ingress' }).length > 0;
    },
    30_000,
    { description: 'a flow attributed to shop/db-ingress', process: exporter },
  );
  assert.deepEqual(
    findSamples(samples, 'flowlens_flows_total', { policy: 'shop/db-ingress' }).map((sample) => [
      sample.labels['source_namespace'],
      sample.labels['dest_namespace'],
      sample.labels['policy_tier'],
    ]),
    [['shop', 'shop', 'default']],
  );
  assert.equal(sampleValue(samples, 'flowlens_policy_attributed_total'), 1);
  assert.equal(sampleValue(samples, 'flowlens_k8s_objects', { resource: 'networkpolicies' }), 1);
  assert.equal(findSamples(samples, 'flowlens_policy_changes_total').length, 0, 'the first list is no change');

  api.delete(NETWORK_POLICIES, 'shop', 'db-ingress');
  await waitFor(
    async () => {
      samples = parseExposition((await fetchText(`${base}/metrics`)).body);
      return (
        sampleValue(samples, 'flowlens_policy_changes_total', {
          kind: 'NetworkPolicy',
          namespace: 'shop',
          change: 'deleted',
        }) === 1
      );
    },
    30_000,
    { description: 'the deletion counted', process: exporter },
  );
  const exit = await exporter.stop();
  assert.equal(exit.code, 0, exporter.stderr);
});
