/**
 * The conntrack source against the kernel: three network namespaces, a "node" routing between two "pods" (veth
 * pairs, ip_forward, an nftables forward rule with `ct state` so conntrack tracks in the node's namespace, and a
 * DNAT rule standing in for a service's cluster IP), real TCP and UDP traffic between processes in the pods, and
 * `flowlens serve` / `flowlens replay` reading the node's table: its /proc file, and the conntrack tool.
 *
 * Needs root (network namespaces); every namespace and veth is named flct*, and removed after the tests, also when
 * they fail.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  errorsByReason,
  FLOWLENS_BIN,
  fetchText,
  findSamples,
  freePort,
  parseExposition,
  run,
  sampleValue,
  sumSamples,
  testWorkspace,
  waitFor,
  type Sample,
  type Spawned,
} from './support';

const workspace = testWorkspace('flowlens-conntrack-');
const { processes } = workspace;

// Short and unique per run: veth names have at most 15 characters.
const RUN = String(process.pid % 100_000);
const NODE_NS = `flct-node-${RUN}`;
const A_NS = `flct-a-${RUN}`;
const B_NS = `flct-b-${RUN}`;
const NAMESPACES = [NODE_NS, A_NS, B_NS];

const SERVER_IP = '10.251.1.2';
const CLIENT_IP = '10.251.2.2';
const SERVICE_IP = '10.96.50.50';
const TCP_PORT = 8080;
const UDP_PORT = 9999;
/** Bytes the client sends on each TCP connection; the server echoes them. */
const TCP_DIRECT_BYTES = 100_000;
const TCP_SERVICE_BYTES = 50_000;
const UDP_DATAGRAMS = 3;
const UDP_PAYLOAD = 1000;
/** IPv4 header (20) and UDP header (8): conntrack counts bytes at the IP layer. */
const UDP_PACKET_BYTES = UDP_PAYLOAD + 28;

const RESOURCES = `apiVersion: v1
kind: List
items:
  - { apiVersion: v1, kind: Namespace, metadata: { name: team-a, labels: { team: a } } }
  - { apiVersion: v1, kind: Namespace, metadata: { name: team-b, labels: { team: b } } }
  - apiVersion: v1
    kind: Pod
    metadata:
      name: server-7d4b9c8f5-x2x7k
      namespace: team-a
      labels: { app: server }
      ownerReferences: [{ apiVersion: apps/v1, kind: ReplicaSet, name: server-7d4b9c8f5, controller: true }]
    status: { phase: Running, podIP: ${SERVER_IP}, podIPs: [{ ip: ${SERVER_IP} }] }
  - apiVersion: apps/v1
    kind: ReplicaSet
    metadata:
      name: server-7d4b9c8f5
      namespace: team-a
      ownerReferences: [{ apiVersion: apps/v1, kind: Deployment, name: server, controller: true }]
  - apiVersion: v1
    kind: Pod
    metadata:
      name: client-6c9f8d7b5-h7j9k
      namespace: team-b
      labels: { app: client }
      ownerReferences: [{ apiVersion: apps/v1, kind: ReplicaSet, name: client-6c9f8d7b5, controller: true }]
    status: { phase: Running, podIP: ${CLIENT_IP}, podIPs: [{ ip: ${CLIENT_IP} }] }
  - apiVersion: apps/v1
    kind: ReplicaSet
    metadata:
      name: client-6c9f8d7b5
      namespace: team-b
      ownerReferences: [{ apiVersion: apps/v1, kind: Deployment, name: client, controller: true }]
  - apiVersion: v1
    kind: Service
    metadata: { name: server, namespace: team-a }
    spec: { clusterIP: ${SERVICE_IP}, clusterIPs: [${SERVICE_IP}] }
  - apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: { name: allow-client, namespace: team-a }
    spec:
      podSelector: { matchLabels: { app: server } }
      policyTypes: [Ingress]
      ingress:
        - from: [{ namespaceSelector: { matchLabels: { team: b } }, podSelector: { matchLabels: { app: client } } }]
          ports: [{ protocol: TCP, port: ${TCP_PORT} }, { protocol: UDP, port: ${UDP_PORT} }]
`;

/** The node's netfilter: conntrack is active in a namespace only once a hook needs it, here `ct state`. */
const NFT_RULES = `table inet flct_filter {
  chain forwarding {
    type filter hook forward priority 0; policy accept;
    ct state established,related accept
  }
}
table ip flct_nat {
  chain prerouting {
    type nat hook prerouting priority -100;
    ip daddr ${SERVICE_IP} tcp dport 80 dnat to ${SERVER_IP}:${TCP_PORT}
  }
}
`;

/** A TCP echo server and a UDP echo server in the server pod. */
const SERVER_SCRIPT = `
const net = require('node:net');
const dgram = require('node:dgram');
net.createServer((socket) => { socket.on('data', (data) => socket.write(data)); socket.on('end', () => socket.end()); })
  .listen(${TCP_PORT}, '${SERVER_IP}', () => console.log('tcp ready'));
const udp = dgram.createSocket('udp4');
udp.on('message', (message, peer) => udp.send(message, peer.port, peer.address));
udp.bind(${UDP_PORT}, '${SERVER_IP}', () => console.log('udp ready'));
`;

/** The client: one TCP connection to the pod, one to the service IP, UDP datagrams answered one by one. */
const CLIENT_SCRIPT = `
const net = require('node:net');
const dgram = require('node:dgram');
function echo(host, port, bytes) {
  return new Promise((resolve, reject) => {
    let received = 0;
    const socket = net.connect(port, host, () => socket.write(Buffer.alloc(bytes, 7)));
    socket.on('data', (data) => { received += data.length; if (received >= bytes) socket.end(); });
    socket.on('close', () => (received >= bytes ? resolve() : reject(new Error('short echo from ' + host))));
    socket.on('error', reject);
  });
}
async function datagrams() {
  const udp = dgram.createSocket('udp4');
  for (let i = 0; i < ${UDP_DATAGRAMS}; i++) {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no UDP echo')), 5000);
      udp.once('message', () => { clearTimeout(timer); resolve(); });
      udp.send(Buffer.alloc(${UDP_PAYLOAD}, 1), ${UDP_PORT}, '${SERVER_IP}');
    });
  }
  udp.close();
}
(async () => {
  await echo('${SERVER_IP}', ${TCP_PORT}, ${TCP_DIRECT_BYTES});
  await echo('${SERVICE_IP}', 80, ${TCP_SERVICE_BYTES});
  await datagrams();
  console.log('done');
})().catch((error) => { console.error(error); process.exit(1); });
`;

async function must(command: string, args: readonly string[], input?: string): Promise<string> {
  const result = await run(processes, command, args, { timeoutMs: 30_000, ...(input === undefined ? {} : { input }) });
  assert.equal(result.code, 0, `${command} ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

const inNamespace = (namespace: string, command: string, args: readonly string[], input?: string) =>
  must('ip', ['netns', 'exec', namespace, command, ...args], input);

async function removeNamespaces(): Promise<void> {
  // Deleting a namespace deletes the veth ends in it, and with them their peers.
  for (const namespace of NAMESPACES) await run(processes, 'ip', ['netns', 'del', namespace]).catch(() => undefined);
}

async function createNetwork(): Promise<void> {
  for (const namespace of NAMESPACES) await must('ip', ['netns', 'add', namespace]);
  const links: [string, string, string, string][] = [
    // [pod namespace, node end, pod end, pod address]
    [A_NS, `flct${RUN}a0`, `flct${RUN}a1`, SERVER_IP],
    [B_NS, `flct${RUN}b0`, `flct${RUN}b1`, CLIENT_IP],
  ];
  for (const [podNamespace, nodeEnd, podEnd, address] of links) {
    const gateway = address.replace(/\.2$/, '.1');
    await must('ip', ['link', 'add', nodeEnd, 'type', 'veth', 'peer', 'name', podEnd]);
    await must('ip', ['link', 'set', nodeEnd, 'netns', NODE_NS]);
    await must('ip', ['link', 'set', podEnd, 'netns', podNamespace]);
    await must('ip', ['-n', NODE_NS, 'addr', 'add', `${gateway}/24`, 'dev', nodeEnd]);
    await must('ip', ['-n', NODE_NS, 'link', 'set', nodeEnd, 'up']);
    await must('ip', ['-n', podNamespace, 'addr', 'add', `${address}/24`, 'dev', podEnd]);
    await must('ip', ['-n', podNamespace, 'link', 'set', podEnd, 'up']);
    await must('ip', ['-n', podNamespace, 'link', 'set', 'lo', 'up']);
    await must('ip', ['-n', podNamespace, 'route', 'add', 'default', 'via', gateway]);
  }
  await inNamespace(NODE_NS, 'sysctl', ['-w', 'net.ipv4.ip_forward=1']);
  await inNamespace(NODE_NS, 'nft', ['-f', '-'], NFT_RULES);
}

async function setAccounting(on: boolean): Promise<void> {
  await inNamespace(NODE_NS, 'sysctl', ['-w', `net.netfilter.nf_conntrack_acct=${on ? 1 : 0}`]);
}

async function startServer(): Promise<Spawned> {
  const server = processes.start('ip', ['netns', 'exec', A_NS, process.execPath, '-e', SERVER_SCRIPT]);
  await waitFor(() => server.stdout.includes('tcp ready') && server.stdout.includes('udp ready'), 20_000, {
    description: 'the echo servers',
    process: server,
  });
  return server;
}

async function runClient(): Promise<void> {
  assert.match(await inNamespace(B_NS, process.execPath, ['-e', CLIENT_SCRIPT]), /done/);
}

/** Series of a family for traffic from the client workload to the server workload. */
function clientToServer(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return findSamples(samples, name, {
    source_namespace: 'team-b',
    source_workload: 'client',
    dest_namespace: 'team-a',
    dest_workload: 'server',
    ...labels,
  });
}

describe('conntrack source with real traffic between network namespaces', () => {
  let resources = '';
  /** `serve` takes the resources file from its configuration. */
  let config = '';

  before(async () => {
    assert.equal(process.getuid?.(), 0, 'the conntrack integration test needs root for network namespaces');
    resources = join(workspace.dir(), 'resources.yaml');
    await writeFile(resources, RESOURCES);
    config = join(workspace.dir(), 'flowlens.yaml');
    await writeFile(config, `resources: ${JSON.stringify(resources)}\n`);
    await removeNamespaces();
    await createNetwork();
    await setAccounting(true);
    await startServer();
  });

  after(async () => {
    await processes.stopAll();
    await removeNamespaces();
  });

  test('serve polls the node’s table: flows, bytes and packets per workload, the service and the policy', async () => {
    // The node's table through /proc/<pid>/net, as a hostNetwork DaemonSet would read /proc/net of its node.
    const holder = processes.start('ip', ['netns', 'exec', NODE_NS, 'sleep', '600']);
    // Until `ip netns exec` has entered the namespace and run sleep, /proc/PID/net is the test's own namespace.
    await waitFor(
      () => holder.child.pid !== undefined && readFileSync(`/proc/${holder.child.pid}/comm`, 'utf8').trim() === 'sleep',
      10_000,
      { description: 'the namespace holder', process: holder },
    );
    const table = `/proc/${holder.child.pid}/net/nf_conntrack`;
    const port = await freePort();
    const exporter = processes.startFlowlens([
      'serve',
      '--listen',
      `127.0.0.1:${port}`,
      '--source',
      `conntrack:path=${table},interval=1`,
      '--config',
      config,
    ]);
    const scrape = async (): Promise<Sample[]> =>
      parseExposition((await fetchText(`http://127.0.0.1:${port}/metrics`)).body);
    await waitFor(async () => (await fetchText(`http://127.0.0.1:${port}/readyz`)).status === 200, 20_000, {
      description: 'the exporter ready',
      process: exporter,
    });
    await runClient();

    const direct = { protocol: 'tcp', dest_port: String(TCP_PORT), dest_service: '' };
    const viaService = { protocol: 'tcp', dest_port: String(TCP_PORT), dest_service: 'server' };
    const udp = { protocol: 'udp', dest_port: String(UDP_PORT) };
    const bytesIn = (samples: readonly Sample[], labels: Record<string, string>, direction: string): number =>
      sumSamples(
        clientToServer(samples, 'flowlens_flow_bytes_total', { ...labels, direction }),
        'flowlens_flow_bytes_total',
      );
    const packetsIn = (samples: readonly Sample[], labels: Record<string, string>, direction: string): number =>
      sumSamples(
        clientToServer(samples, 'flowlens_flow_packets_total', { ...labels, direction }),
        'flowlens_flow_packets_total',
      );
    // The client is done, so every payload byte has crossed the node; wait for the polls to have seen them.
    let samples: Sample[] = [];
    await waitFor(
      async () => {
        samples = await scrape();
        // A poll's records reach the aggregator before the poll ends and sets the source's gauges: wait for both.
        return (
          packetsIn(samples, udp, 'reverse') >= UDP_DATAGRAMS &&
          bytesIn(samples, direct, 'reverse') >= TCP_DIRECT_BYTES &&
          bytesIn(samples, viaService, 'reverse') >= TCP_SERVICE_BYTES &&
          findSamples(samples, 'flowlens_conntrack_accounting', { source: 'conntrack' }).length === 1
        );
      },
      30_000,
      { description: 'the client’s traffic and the source’s gauges in the exposition', process: exporter },
    );

    for (const labels of [direct, viaService, udp]) {
      const flows = clientToServer(samples, 'flowlens_flows_total', labels);
      assert.equal(flows.length, 1, `one series for ${JSON.stringify(labels)}`);
      assert.equal(flows[0]?.value, 1, `one connection for ${JSON.stringify(labels)}`);
      assert.deepEqual(
        [flows[0]?.labels['action'], flows[0]?.labels['reporter'], flows[0]?.labels['policy']],
        ['allow', 'dst', 'team-a/allow-client'],
        'the policy engine attributes the ingress policy to IP-only records',
      );
    }
    const bytes = (labels: Record<string, string>, direction: string): number => bytesIn(samples, labels, direction);
    const packets = (labels: Record<string, string>, direction: string): number =>
      packetsIn(samples, labels, direction);
    // UDP is exact: one packet per datagram each way, payload plus IP and UDP headers.
    assert.equal(packets(udp, 'forward'), UDP_DATAGRAMS);
    assert.equal(packets(udp, 'reverse'), UDP_DATAGRAMS);
    assert.equal(bytes(udp, 'forward'), UDP_DATAGRAMS * UDP_PACKET_BYTES);
    assert.equal(bytes(udp, 'reverse'), UDP_DATAGRAMS * UDP_PACKET_BYTES);
    // TCP carries the payload each way plus headers, handshakes and acknowledgements.
    for (const [labels, payload] of [
      [direct, TCP_DIRECT_BYTES],
      [viaService, TCP_SERVICE_BYTES],
    ] as const) {
      for (const direction of ['forward', 'reverse']) {
        const carried = bytes(labels, direction);
        assert.ok(
          carried >= payload && carried < payload * 1.5,
          `${direction} bytes ${carried} for ${payload} bytes of payload`,
        );
        assert.ok(packets(labels, direction) >= 3, 'at least the handshake and the data');
      }
    }
    assert.equal(sampleValue(samples, 'flowlens_conntrack_accounting', { source: 'conntrack' }), 1);
    assert.equal(sampleValue(samples, 'flowlens_conntrack_untracked_connections', { source: 'conntrack' }), 0);
    assert.ok(sampleValue(samples, 'flowlens_conntrack_connections', { source: 'conntrack' }) >= 3);
    assert.deepEqual(Object.values(errorsByReason(samples, 'conntrack')), [0, 0, 0, 0, 0]);
    assert.ok(sampleValue(samples, 'flowlens_policy_attributed_total') >= 3);
  });

  test('replay in the node’s namespace reads /proc/net/nf_conntrack, and the conntrack tool gives the same flows', async () => {
    // A table of this test's connections only.
    await inNamespace(NODE_NS, 'conntrack', ['-F']);
    await runClient();
    const replayIn = async (source: string): Promise<Sample[]> => {
      const stdout = await inNamespace(NODE_NS, process.execPath, [
        FLOWLENS_BIN,
        'replay',
        '--source',
        source,
        '--resources',
        resources,
      ]);
      return parseExposition(stdout);
    };
    const fromFile = await replayIn('conntrack');
    const fromTool = await replayIn('conntrack:tool');
    for (const samples of [fromFile, fromTool]) {
      const udp = clientToServer(samples, 'flowlens_flow_bytes_total', { protocol: 'udp', direction: 'forward' });
      assert.equal(sumSamples(udp, 'flowlens_flow_bytes_total'), UDP_DATAGRAMS * UDP_PACKET_BYTES);
      assert.equal(
        sumSamples(clientToServer(samples, 'flowlens_flows_total', { protocol: 'tcp' }), 'flowlens_flows_total'),
        2,
      );
      assert.equal(sampleValue(samples, 'flowlens_conntrack_accounting', { source: 'conntrack' }), 1);
    }
    assert.deepEqual(
      clientToServer(fromTool, 'flowlens_flow_bytes_total').map((sample) => sample.value),
      clientToServer(fromFile, 'flowlens_flow_bytes_total').map((sample) => sample.value),
      'the tool and the file show the same counters',
    );
    // With both pods' subnets local, as for two pods of one node, each connection reports from both ends.
    const bothLocal = await replayIn('conntrack:local-cidr=10.251.1.0/24,local-cidr=10.251.2.0/24');
    for (const reporter of ['src', 'dst']) {
      assert.equal(
        sumSamples(clientToServer(bothLocal, 'flowlens_flows_total', { reporter }), 'flowlens_flows_total'),
        3,
        `two TCP connections and one UDP flow reported by ${reporter}`,
      );
    }
    const udpBytes = clientToServer(bothLocal, 'flowlens_flow_bytes_total', { protocol: 'udp', reporter: 'src' });
    assert.equal(sumSamples(udpBytes, 'flowlens_flow_bytes_total'), 2 * UDP_DATAGRAMS * UDP_PACKET_BYTES);
  });

  test('with accounting off, connections are counted, bytes are not, and the exporter says so', async () => {
    await inNamespace(NODE_NS, 'conntrack', ['-F']);
    await setAccounting(false);
    try {
      await runClient();
      const result = await run(
        processes,
        'ip',
        [
          'netns',
          'exec',
          NODE_NS,
          process.execPath,
          FLOWLENS_BIN,
          'replay',
          '--source',
          'conntrack',
          '--resources',
          resources,
        ],
        { timeoutMs: 60_000 },
      );
      assert.equal(result.code, 0, result.stderr);
      const samples = parseExposition(result.stdout);
      assert.equal(
        sumSamples(clientToServer(samples, 'flowlens_flows_total'), 'flowlens_flows_total'),
        3,
        'two TCP connections and one UDP flow',
      );
      assert.equal(sumSamples(clientToServer(samples, 'flowlens_flow_bytes_total'), 'flowlens_flow_bytes_total'), 0);
      assert.equal(sampleValue(samples, 'flowlens_conntrack_accounting', { source: 'conntrack' }), 0);
      assert.match(result.stderr, /conntrack accounting is off/);
    } finally {
      await setAccounting(true);
    }
  });
});
