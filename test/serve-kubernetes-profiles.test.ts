/**
 * `flowlens serve --kubernetes` applies ObservabilityProfiles live: a profile that turns DNS collection off for a
 * workload stops that workload's DNS series from growing, while other workloads' queries are still counted.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FakeKubeApiServer, OBSERVABILITY_PROFILES } from './kube-api-server';
import {
  childEnvironment,
  fetchText,
  freePort,
  parseExposition,
  sampleValue,
  sumSamples,
  testWorkspace,
  waitFor,
  type Sample,
} from './support';

const workspace = testWorkspace('flowlens-serve-kubernetes-profiles-');
const api = new FakeKubeApiServer();
after(() => api.stop());

/** A pod without an owner is a workload of its own name. */
const CART = 'cart-0';
let sequence = 0;

/** A Hubble DNS query from `pod` (at `ip`) to CoreDNS and its answer, stamped now. */
function dnsExchange(pod: string, ip: string): string {
  sequence++;
  const time = new Date().toISOString();
  const port = 40000 + sequence;
  const coredns = { namespace: 'kube-system', pod_name: 'coredns-5d78c9869d-bx7kq' };
  const client = { namespace: 'shop', pod_name: pod };
  const query = { query: `q${sequence}.shop.svc.cluster.local.`, qtypes: ['A'] };
  const request = {
    time,
    uuid: `q-${sequence}`,
    verdict: 'FORWARDED',
    IP: { source: ip, destination: '10.244.0.3', ipVersion: 'IPv4' },
    l4: { UDP: { source_port: port, destination_port: 53 } },
    source: client,
    destination: coredns,
    Type: 'L7',
    l7: { type: 'REQUEST', dns: query },
    traffic_direction: 'EGRESS',
    is_reply: false,
  };
  const response = {
    ...request,
    uuid: `r-${sequence}`,
    IP: { source: '10.244.0.3', destination: ip, ipVersion: 'IPv4' },
    l4: { UDP: { source_port: 53, destination_port: port } },
    source: coredns,
    destination: client,
    l7: { type: 'RESPONSE', latency_ns: '350000', dns: { ...query, ips: ['10.96.12.34'], ttl: 30, rrtypes: ['A'] } },
    is_reply: true,
  };
  return [request, response].map((flow) => `${JSON.stringify({ flow, node_name: 'node-a', time })}\n`).join('');
}

const dnsOf = (samples: readonly Sample[], workload: string): number =>
  sumSamples(samples, 'flowlens_dns_requests_total', { client_namespace: 'shop', client_workload: workload });

test('a profile turning DNS collection off for a workload changes the exposition live', async () => {
  api.apply('/api/v1/namespaces', { metadata: { name: 'shop' } });
  api.apply('/apis/apps/v1/replicasets', {
    metadata: {
      name: 'frontend-7d4b9c8f5',
      namespace: 'shop',
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web-frontend', uid: 'u-web', controller: true },
      ],
    },
  });
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
  api.apply('/api/v1/pods', {
    metadata: { name: 'cart-0', namespace: 'shop' },
    status: { phase: 'Running', podIP: '10.244.1.11' },
  });
  await api.start(0);
  const kubeconfig = join(workspace.dir(), 'kubeconfig');
  await api.writeKubeconfig(kubeconfig);
  const flows = join(workspace.dir(), 'hubble.ndjson');
  await writeFile(flows, '');

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const exporter = workspace.processes.startFlowlens(
    ['serve', '--kubernetes', '--listen', `127.0.0.1:${port}`, '--source', `hubble:${flows}`],
    { env: childEnvironment({ KUBECONFIG: kubeconfig }) },
  );
  let samples = parseExposition('');
  const scrape = async (): Promise<Sample[]> => {
    samples = parseExposition((await fetchText(`${base}/metrics`)).body);
    return samples;
  };
  await waitFor(async () => (await fetchText(`${base}/readyz`)).status === 200, 30_000, {
    description: 'the live view listed',
    process: exporter,
  });
  await appendFile(
    flows,
    dnsExchange('frontend-7d4b9c8f5-x2x7k', '10.244.1.10') + dnsExchange('cart-0', '10.244.1.11'),
  );
  await waitFor(async () => dnsOf(await scrape(), 'web-frontend') === 1 && dnsOf(samples, CART) === 1, 30_000, {
    description: 'both workloads’ queries counted',
    process: exporter,
  });
  const cartBefore = dnsOf(samples, CART);

  api.apply(OBSERVABILITY_PROFILES, {
    metadata: { name: 'web', namespace: 'shop' },
    spec: { workloads: { names: ['web-frontend'] }, collect: { dns: false } },
  });
  await waitFor(
    async () => sampleValue(await scrape(), 'flowlens_k8s_objects', { resource: 'observabilityprofiles' }) === 1,
    30_000,
    { description: 'the profile in the live view', process: exporter },
  );
  await appendFile(
    flows,
    dnsExchange('frontend-7d4b9c8f5-x2x7k', '10.244.1.10') +
      dnsExchange('frontend-7d4b9c8f5-x2x7k', '10.244.1.10') +
      dnsExchange('cart-0', '10.244.1.11'),
  );
  // The file is read in order: once cart's later query is counted, frontend's were seen and dropped.
  await waitFor(async () => dnsOf(await scrape(), CART) === cartBefore + 1, 30_000, {
    description: 'cart’s later query counted',
    process: exporter,
  });
  assert.equal(dnsOf(samples, 'web-frontend'), 1, 'web-frontend’s DNS is no longer collected');

  const exit = await exporter.stop();
  assert.equal(exit.code, 0, exporter.stderr);
});
