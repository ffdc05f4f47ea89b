/**
 * `flowlens serve --kubernetes` applies an ObservabilityProfile's `aggregation: pod` live: once the example profile is
 * applied, flows to its workloads get per-pod series (and flows between other workloads do not); many pods stay
 * within the per-pod family's budget, the rest counted as overflow; HTTP responses of its pods are observed per server
 * pod; once the profile is deleted no new pod series appear and the old ones expire after their TTL, while the
 * workload-level families keep counting throughout.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { FakeKubeApiServer, OBSERVABILITY_PROFILES, type KubeObject } from './kube-api-server';
import {
  childEnvironment,
  fetchText,
  findSamples,
  freePort,
  parseExposition,
  REPO_ROOT,
  sampleValue,
  sumSamples,
  testWorkspace,
  waitFor,
  type Sample,
} from './support';

const workspace = testWorkspace('flowlens-serve-kubernetes-profile-pods-');
const api = new FakeKubeApiServer();
after(() => api.stop());

const EXAMPLE = join(REPO_ROOT, 'provisioning', 'kubernetes', 'examples', 'checkout-profile.yaml');
const POD_FLOWS = 'flowlens_profile_pod_flows_total';
const POD_DURATION = 'flowlens_profile_pod_http_request_duration_seconds';
const BUDGET = 3;
const FRONTEND = { pod: 'frontend-7d4b9c8f5-x2x7k', ip: '10.244.1.10' };
const CHECKOUT = { pod: 'checkout-6b9c8f5d7-aaaaa', ip: '10.244.2.20' };
const CART = { pod: 'cart-0', ip: '10.244.2.30' };
let sequence = 0;

/** One Hubble export line stamped now: `fields` plus what every event of this test carries (id, verdict, node). */
function hubbleLine(prefix: string, fields: Record<string, unknown>): string {
  sequence++;
  const time = new Date().toISOString();
  const event = { time, uuid: `${prefix}-${sequence}`, verdict: 'FORWARDED', node_name: 'node-a', ...fields };
  return `${JSON.stringify({ flow: event, node_name: 'node-a', time })}\n`;
}

/** A Hubble L3/L4 flow (not a reply) from one pod of the shop namespace to another, stamped now. */
function flow(from: { pod: string; ip: string }, to: { pod: string; ip: string }): string {
  return hubbleLine('f', {
    IP: { source: from.ip, destination: to.ip, ipVersion: 'IPv4' },
    l4: { TCP: { source_port: 40001 + sequence, destination_port: 8080, flags: { SYN: true } } },
    source: { namespace: 'shop', pod_name: from.pod },
    destination: { namespace: 'shop', pod_name: to.pod },
    Type: 'L3_L4',
    traffic_direction: 'EGRESS',
    is_reply: false,
  });
}

/** A Hubble l7.http RESPONSE event (counted once, at the response) from a server pod to its client, stamped now. */
function httpResponse(
  server: { pod: string; ip: string },
  client: { pod: string; ip: string },
  seconds: number,
): string {
  return hubbleLine('h', {
    IP: { source: server.ip, destination: client.ip, ipVersion: 'IPv4' },
    l4: { TCP: { source_port: 8080, destination_port: 40001 + sequence } },
    source: { namespace: 'shop', pod_name: server.pod },
    destination: { namespace: 'shop', pod_name: client.pod },
    Type: 'L7',
    l7: {
      type: 'RESPONSE',
      http: { code: 200, method: 'GET', url: 'http://checkout.shop:8080/', protocol: 'HTTP/1.1' },
      latency_ns: String(Math.round(seconds * 1e9)),
    },
    traffic_direction: 'INGRESS',
    is_reply: true,
  });
}

/** A pod of a Deployment, through its ReplicaSet. */
function deploymentPod(deployment: string, replicaSet: string, pod: { pod: string; ip: string }): void {
  api.apply('/apis/apps/v1/replicasets', {
    metadata: {
      name: replicaSet,
      namespace: 'shop',
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment, uid: `u-${deployment}`, controller: true },
      ],
    },
  });
  api.apply('/api/v1/pods', {
    metadata: {
      name: pod.pod,
      namespace: 'shop',
      labels: { 'app.kubernetes.io/part-of': deployment },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: replicaSet, uid: `u-${replicaSet}`, controller: true },
      ],
    },
    status: { phase: 'Running', podIP: pod.ip },
  });
}

const podSeries = (samples: readonly Sample[]): Sample[] => findSamples(samples, POD_FLOWS);
const workloadFlows = (samples: readonly Sample[], workload: string): number =>
  sumSamples(samples, 'flowlens_flows_total', { dest_namespace: 'shop', dest_workload: workload });

test('aggregation pod gives covered workloads per-pod series live, within budget, until the profile goes', async () => {
  api.apply('/api/v1/namespaces', { metadata: { name: 'shop' } });
  deploymentPod('frontend', 'frontend-7d4b9c8f5', FRONTEND);
  deploymentPod('checkout', 'checkout-6b9c8f5d7', CHECKOUT);
  api.apply('/api/v1/pods', {
    metadata: { name: CART.pod, namespace: 'shop' },
    status: { phase: 'Running', podIP: CART.ip },
  });
  await api.start(0);
  const kubeconfig = join(workspace.dir(), 'kubeconfig');
  await api.writeKubeconfig(kubeconfig);
  const flows = join(workspace.dir(), 'hubble.ndjson');
  await writeFile(flows, '');
  // A small budget to blow, and a TTL short enough to watch the series expire.
  const config = join(workspace.dir(), 'flowlens.yaml');
  const podFamily = `{ budget: ${BUDGET}, ttl: 10s }`;
  await writeFile(
    config,
    `metrics:\n  families:\n    ${POD_FLOWS}: ${podFamily}\n    flowlens_profile_pod_flow_bytes_total: ${podFamily}\n    ${POD_DURATION}: ${podFamily}\n`,
  );

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const exporter = workspace.processes.startFlowlens(
    ['serve', '--kubernetes', '--config', config, '--listen', `127.0.0.1:${port}`, '--source', `hubble:${flows}`],
    { env: childEnvironment({ KUBECONFIG: kubeconfig }) },
  );
  let samples: Sample[] = [];
  const scrape = async (): Promise<Sample[]> => {
    samples = parseExposition((await fetchText(`${base}/metrics`)).body);
    return samples;
  };
  await waitFor(async () => (await fetchText(`${base}/readyz`)).status === 200, 30_000, {
    description: 'the live view listed',
    process: exporter,
  });

  // Before any profile: workload-level series only.
  await appendFile(flows, flow(FRONTEND, CHECKOUT));
  await waitFor(async () => workloadFlows(await scrape(), 'checkout') === 1, 30_000, {
    description: 'the first flow counted',
    process: exporter,
  });
  assert.deepEqual(podSeries(samples), [], 'no profile, no per-pod series');

  // kubectl apply -f provisioning/kubernetes/examples/checkout-profile.yaml
  api.apply(OBSERVABILITY_PROFILES, parse(await readFile(EXAMPLE, 'utf8')) as KubeObject);
  await waitFor(
    async () => sampleValue(await scrape(), 'flowlens_k8s_objects', { resource: 'observabilityprofiles' }) === 1,
    30_000,
    { description: 'the profile in the live view', process: exporter },
  );
  await appendFile(flows, flow(FRONTEND, CHECKOUT) + flow(FRONTEND, CART));
  await waitFor(async () => workloadFlows(await scrape(), 'cart-0') === 1 && podSeries(samples).length > 0, 30_000, {
    description: 'flows to checkout counted per pod',
    process: exporter,
  });
  assert.deepEqual(
    podSeries(samples).map((sample) => [sample.labels['source_pod'], sample.labels['dest_workload']]),
    [['', 'checkout']],
  );
  assert.equal(sumSamples(samples, POD_FLOWS, { dest_pod: CHECKOUT.pod }), 1, 'only the flow after the profile');

  // HTTP answered by checkout's pod (300ms) and by cart (not covered): only checkout's pod is observed per pod.
  await appendFile(flows, httpResponse(CHECKOUT, FRONTEND, 0.3) + httpResponse(CART, FRONTEND, 0.3));
  const durations = (labels: Record<string, string>): number => sumSamples(samples, `${POD_DURATION}_count`, labels);
  await waitFor(
    async () =>
      sumSamples(await scrape(), 'flowlens_http_request_duration_seconds_count', { dest_namespace: 'shop' }) === 2,
    30_000,
    { description: 'both responses observed per workload', process: exporter },
  );
  assert.deepEqual(
    findSamples(samples, `${POD_DURATION}_count`).map((sample) => sample.labels),
    [{ dest_namespace: 'shop', dest_workload: 'checkout', dest_pod: CHECKOUT.pod }],
  );
  assert.equal(durations({ dest_pod: CHECKOUT.pod }), 1);
  assert.equal(sumSamples(samples, `${POD_DURATION}_bucket`, { dest_pod: CHECKOUT.pod, le: '0.25' }), 0);
  assert.equal(sumSamples(samples, `${POD_DURATION}_bucket`, { dest_pod: CHECKOUT.pod, le: '0.5' }), 1);

  // Many checkout pods (known by their names only): the budget holds, the rest fold into the overflow series.
  // Pod-name rules tell their workload: a ReplicaSet hash and a 5-character suffix of Kubernetes' alphabet.
  const pods = Array.from({ length: 8 }, (_, i) => ({
    pod: `checkout-6b9c8f5d7-${'bcdfghjk'[i]!}2xzw`,
    ip: `10.244.3.${i + 1}`,
  }));
  await appendFile(flows, pods.map((pod) => flow(FRONTEND, pod)).join(''));
  const overflowed = (): number =>
    sampleValue(samples, 'flowlens_series_overflowed_samples_total', { family: POD_FLOWS });
  await waitFor(async () => workloadFlows(await scrape(), 'checkout') === 10, 30_000, {
    description: 'the eight pods’ flows counted per workload',
    process: exporter,
  });
  const perPod = podSeries(samples).filter((sample) => sample.labels['dest_pod'] !== '__overflow__');
  assert.ok(perPod.length <= BUDGET, `${perPod.length} per-pod series within the budget of ${BUDGET}`);
  assert.ok(overflowed() >= pods.length - BUDGET, `${overflowed()} samples counted as overflow`);
  assert.equal(
    sumSamples(samples, POD_FLOWS, { dest_pod: '__overflow__', action: 'allow' }),
    overflowed(),
    'the overflow series keeps the bounded labels and counts what it folded',
  );
  assert.ok(sampleValue(samples, 'flowlens_series_active', { family: POD_FLOWS }) <= BUDGET + 1);
  assert.equal(sampleValue(samples, 'flowlens_series_budget', { family: POD_FLOWS }), BUDGET);

  // The profile deleted: a new checkout pod gets no series; the old ones expire after the TTL.
  api.delete(OBSERVABILITY_PROFILES, 'shop', 'checkout');
  await waitFor(
    async () => sampleValue(await scrape(), 'flowlens_k8s_objects', { resource: 'observabilityprofiles' }) === 0,
    30_000,
    { description: 'the profile gone from the live view', process: exporter },
  );
  const late = { pod: 'checkout-6b9c8f5d7-zzzzz', ip: '10.244.3.99' };
  await appendFile(flows, flow(FRONTEND, late));
  await waitFor(async () => workloadFlows(await scrape(), 'checkout') === 11, 30_000, {
    description: 'the late pod’s flow counted per workload',
    process: exporter,
  });
  assert.deepEqual(findSamples(samples, POD_FLOWS, { dest_pod: late.pod }), [], 'no series for the late pod');
  await appendFile(flows, httpResponse(late, FRONTEND, 0.3));
  await waitFor(
    async () =>
      sumSamples(await scrape(), 'flowlens_http_request_duration_seconds_count', { dest_namespace: 'shop' }) === 3,
    30_000,
    { description: 'the late pod’s response observed per workload', process: exporter },
  );
  assert.deepEqual(findSamples(samples, `${POD_DURATION}_count`, { dest_pod: late.pod }), [], 'no histogram either');
  await waitFor(
    async () => podSeries(await scrape()).length === 0 && findSamples(samples, `${POD_DURATION}_count`).length === 0,
    60_000,
    { description: 'the per-pod series expired', process: exporter },
  );
  assert.ok(sampleValue(samples, 'flowlens_series_evicted_total', { family: POD_FLOWS }) >= 1);
  assert.equal(workloadFlows(samples, 'checkout'), 11, 'the workload-level series stay');

  const exit = await exporter.stop();
  assert.equal(exit.code, 0, exporter.stderr);
});
