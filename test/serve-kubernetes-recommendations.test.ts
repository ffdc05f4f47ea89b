/**
 * `flowlens serve --kubernetes` answers `/api/v1/recommendations?diff=true` against the live policies: the live
 * store keeps the manifest of a `flowlens-recommended-*` NetworkPolicy the fake API server serves, so a stale one is
 * `changed` with a YAML diff, and the observed flow it denies is reported.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FakeKubeApiServer } from './kube-api-server';
import { childEnvironment, fetchText, freePort, testWorkspace, waitFor } from './support';

const workspace = testWorkspace('flowlens-serve-kubernetes-recommendations-');
const api = new FakeKubeApiServer();
after(() => api.stop());

interface Answer {
  observed: { flows: number };
  diff: {
    policies: { name: string; status: string; yamlDiff: { op: string; text: string }[] | null }[];
    traffic: { observedDeniedToday: { flows: { source: string; destination: string; deniedBy: string }[] } };
  };
}

test('serve --kubernetes: the diff to the live policies, with the YAML of a stale recommended policy', async () => {
  api.apply('/api/v1/namespaces', { metadata: { name: 'shop' } });
  api.apply('/api/v1/pods', {
    metadata: { name: 'web-0', namespace: 'shop', labels: { app: 'web' } },
    status: { phase: 'Running', podIP: '10.244.1.10' },
  });
  api.apply('/api/v1/pods', {
    metadata: { name: 'db-0', namespace: 'shop', labels: { app: 'db' } },
    status: { phase: 'Running', podIP: '10.244.2.20' },
  });
  api.apply('/apis/networking.k8s.io/v1/networkpolicies', {
    metadata: { name: 'flowlens-recommended-db-0', namespace: 'shop', resourceVersion: '7', uid: 'u-1' },
    spec: {
      podSelector: { matchLabels: { app: 'db' } },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ protocol: 'TCP', port: 5433 }] }],
    },
  });
  await api.start(0);
  const dir = workspace.dir();
  const kubeconfig = join(dir, 'kubeconfig');
  await api.writeKubeconfig(kubeconfig);
  const time = new Date().toISOString();
  const flow = {
    time,
    uuid: 'diff-1',
    verdict: 'FORWARDED',
    IP: { source: '10.244.1.10', destination: '10.244.2.20', ipVersion: 'IPv4' },
    l4: { TCP: { source_port: 41234, destination_port: 5432, flags: { SYN: true } } },
    source: { namespace: 'shop', labels: ['k8s:app=web'], pod_name: 'web-0' },
    destination: { namespace: 'shop', labels: ['k8s:app=db'], pod_name: 'db-0' },
    Type: 'L3_L4',
    node_name: 'node-b',
    traffic_direction: 'INGRESS',
    is_reply: false,
  };
  const flows = join(dir, 'hubble.ndjson');
  await writeFile(flows, `${JSON.stringify({ flow, node_name: 'node-b', time })}\n`);
  const token = join(dir, 'token');
  await writeFile(token, 'live-token\n');
  const config = join(dir, 'api.yaml');
  await writeFile(config, `api:\n  tokenFile: ${token}\n`);

  const port = await freePort();
  const url = `http://127.0.0.1:${port}/api/v1/recommendations?namespace=shop&diff=true`;
  const exporter = workspace.processes.startFlowlens(
    ['serve', '--kubernetes', '--config', config, '--listen', `127.0.0.1:${port}`, '--source', `hubble:${flows}`],
    { env: childEnvironment({ KUBECONFIG: kubeconfig }) },
  );
  let answer: Answer | undefined;
  await waitFor(
    async () => {
      const reply = await fetchText(url, { headers: { authorization: 'Bearer live-token' } });
      if (reply.status !== 200) return false;
      answer = JSON.parse(reply.body) as Answer;
      return answer.observed.flows === 1;
    },
    30_000,
    { description: 'the observed flow, with the live view listed', process: exporter },
  );
  const db = answer!.diff.policies.find((policy) => policy.name === 'flowlens-recommended-db-0');
  assert.equal(db?.status, 'changed');
  const changes = (db?.yamlDiff ?? [])
    .filter((line) => line.op !== 'same')
    .map((line) => `${line.op} ${line.text.trim()}`);
  assert.ok(changes.includes('removed port: 5433') && changes.includes('added port: 5432'), changes.join('\n'));
  assert.ok(!changes.some((line) => /resourceVersion|uid/.test(line)), changes.join('\n'));
  assert.deepEqual(
    answer!.diff.traffic.observedDeniedToday.flows.map(
      (denied) => `${denied.source} ${denied.destination} ${denied.deniedBy}`,
    ),
    ['shop/web-0 shop/db-0 shop/flowlens-recommended-db-0'],
  );
  assert.equal(answer!.diff.policies.find((policy) => policy.name === 'flowlens-recommended-web-0')?.status, 'new');
  const exit = await exporter.stop();
  assert.equal(exit.code, 0, exporter.stderr);
});
