/**
 * The `sockets` source against a real node: two network namespaces joined by a veth pair, each with a
 * process in a cgroup laid out as the kubelet's (so its pod uid is found as on a node), a server that listens,
 * accepts without reading and never accepts on a second, tiny-backlog port, and a client that connects, sends,
 * knocks on a closed port (resets) and floods the tiny backlog (listen overflows). `flowlens serve` with a
 * --resources file naming the server pod by uid (and the client pod by IP only) must show it all.
 *
 * Needs root and `ip` (CI has both); without them the test fails saying so.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NetnsLab } from '@flowlens/exporter/dist/src/testing/netns-lab';
import {
  fetchText,
  findSamples,
  freePort,
  parseExposition,
  sampleValue,
  testWorkspace,
  waitFor,
  type Sample,
} from './support';

const workspace = testWorkspace('flowlens-sockets-');
const { processes } = workspace;

const SERVER_SCRIPT = `
import socket, sys, time
open('/proc/self/comm', 'w').write('flsock-server')
address = sys.argv[1]
main = socket.socket()
main.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
main.bind((address, 8080))
main.listen(16)
tiny = socket.socket()
tiny.bind((address, 8081))
tiny.listen(0)
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind(('0.0.0.0', 5353))
print('ready', flush=True)
held = []
while True:
    connection, _ = main.accept()
    held.append(connection)
`;

const CLIENT_SCRIPT = `
import socket, sys, time
open('/proc/self/comm', 'w').write('flsock-client')
address = sys.argv[1]
held = []
for _ in range(3):
    connection = socket.create_connection((address, 8080), timeout=10)
    connection.sendall(b'x' * 1000)
    held.append(connection)
for _ in range(5):
    try:
        socket.create_connection((address, 9), timeout=5).close()
    except OSError:
        pass
for _ in range(8):
    knock = socket.socket()
    knock.setblocking(False)
    try:
        knock.connect((address, 8081))
    except BlockingIOError:
        pass
    held.append(knock)
print('ready', flush=True)
while True:
    time.sleep(60)
`;

const SERVER_UID = randomUUID();
const CLIENT_UID = randomUUID();
const SUBNET = `10.${200 + (process.pid % 50)}.${process.pid % 250}`;
const SERVER_IP = `${SUBNET}.1`;
const CLIENT_IP = `${SUBNET}.2`;

let lab: NetnsLab | undefined;

before(async () => {
  lab = new NetnsLab('it');
  const serverNamespace = lab.addNamespace('server');
  const clientNamespace = lab.addNamespace('client');
  lab.connect(serverNamespace, `${SERVER_IP}/24`, clientNamespace, `${CLIENT_IP}/24`);
  const server = lab.run(serverNamespace, 'python3', ['-c', SERVER_SCRIPT, SERVER_IP]);
  lab.join(lab.podCgroup(SERVER_UID, 'a'.repeat(64)), server.pid);
  assert.equal(await server.ready, 'ready');
  const client = lab.run(clientNamespace, 'python3', ['-c', CLIENT_SCRIPT, SERVER_IP]);
  lab.join(lab.podCgroup(CLIENT_UID, 'b'.repeat(64)), client.pid);
  assert.equal(await client.ready, 'ready');
});

after(async () => {
  const problems = (await lab?.cleanup()) ?? [];
  assert.deepEqual(problems, [], 'the lab cleaned up');
});

function resources(): string {
  return `apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata:
      name: web-5d8f7c9b4-x2x7q
      namespace: shop
      uid: ${SERVER_UID}
      ownerReferences: [{ apiVersion: apps/v1, kind: ReplicaSet, name: web-5d8f7c9b4, controller: true }]
    status: { podIP: 10.99.99.99 }
  - apiVersion: apps/v1
    kind: ReplicaSet
    metadata:
      name: web-5d8f7c9b4
      namespace: shop
      ownerReferences: [{ apiVersion: apps/v1, kind: Deployment, name: web, controller: true }]
  - apiVersion: v1
    kind: Pod
    metadata: { name: loadgen, namespace: tools, uid: ${randomUUID()} }
    status: { podIP: ${CLIENT_IP} }
`;
}

function value(samples: readonly Sample[], name: string, labels: Record<string, string>): number {
  return findSamples(samples, name, labels).reduce((total, sample) => total + sample.value, 0);
}

test('flowlens serve shows the pods’ sockets, queues, listening ports by process and TCP counters', async () => {
  const resourcesFile = join(workspace.dir(), 'resources.yaml');
  await writeFile(resourcesFile, resources());
  // serve takes the cluster's objects from its configuration file (`resources:`).
  const configFile = join(workspace.dir(), 'flowlens.yaml');
  await writeFile(configFile, `resources: ${resourcesFile}\n`);
  const port = await freePort();
  const exporter = processes.startFlowlens([
    'serve',
    '--listen',
    `127.0.0.1:${port}`,
    '--source',
    'sockets:/proc,interval=1',
    '--config',
    configFile,
  ]);
  const url = `http://127.0.0.1:${port}/metrics`;
  let samples: Sample[] = [];
  // Counters and queues settle within a few scans (the kernel retries the dropped handshakes on its own time).
  await waitFor(
    async () => {
      const response = await fetchText(url);
      if (response.status !== 200) return false;
      samples = parseExposition(response.body);
      const server = { namespace: 'shop', workload: 'web', pod: 'web-5d8f7c9b4-x2x7q' };
      return (
        value(samples, 'flowlens_pod_tcp_listen_overflows_total', server) > 0 &&
        value(samples, 'flowlens_pod_tcp_resets_total', server) >= 5 &&
        value(samples, 'flowlens_socket_queue_bytes', { namespace: 'shop', workload: 'web', queue: 'receive' }) ===
          3000 &&
        // The client resends the SYNs the full accept queue dropped (after a second, then more).
        value(samples, 'flowlens_pod_tcp_retransmitted_segments_total', { namespace: 'tools', pod: 'loadgen' }) > 0
      );
    },
    60_000,
    { description: 'the pods’ counters and queues', process: exporter },
  );

  const web = { namespace: 'shop', workload: 'web' };
  // Server side: the three accepted connections, the tiny listener's queued ones, three listeners.
  assert.ok(sampleValue(samples, 'flowlens_sockets', { ...web, protocol: 'tcp', state: 'established' }) >= 3);
  assert.equal(sampleValue(samples, 'flowlens_sockets', { ...web, protocol: 'tcp', state: 'listen' }), 2);
  assert.equal(sampleValue(samples, 'flowlens_sockets', { ...web, protocol: 'udp', state: 'unconnected' }), 1);
  const listening = findSamples(samples, 'flowlens_listening_sockets', web)
    .map(
      (sample) => `${sample.labels['process']} ${sample.labels['protocol']} ${sample.labels['port']} ${sample.value}`,
    )
    .sort();
  assert.deepEqual(listening, ['flsock-server tcp 8080 1', 'flsock-server tcp 8081 1', 'flsock-server udp 5353 1']);

  // The client pod is not in the file by uid: its namespace's address finds it, and it has no owner.
  const client = { namespace: 'tools', pod: 'loadgen' };
  assert.equal(findSamples(samples, 'flowlens_pod_tcp_retransmitted_segments_total', client).length, 1);
  const clientWorkload = findSamples(samples, 'flowlens_pod_tcp_resets_total', client)[0]?.labels['workload'];
  assert.equal(
    sampleValue(samples, 'flowlens_sockets', {
      namespace: 'tools',
      workload: clientWorkload ?? '?',
      protocol: 'tcp',
      state: 'established',
    }) >= 3,
    true,
  );
  assert.equal(
    value(samples, 'flowlens_socket_queue_bytes', { namespace: 'tools', queue: 'send' }),
    0,
    'the server received everything the client sent',
  );
  // Only the lab's pods have names: the host's sockets are no pod's. (Pods of other tests running on this machine
  // at the same time could show, unnamed: namespace "" and workload "unknown".)
  assert.deepEqual(
    [
      ...new Set(
        findSamples(samples, 'flowlens_sockets')
          .filter((sample) => sample.labels['workload'] !== 'unknown')
          .map((sample) => sample.labels['namespace']),
      ),
    ].sort(),
    ['shop', 'tools'],
  );
  assert.equal(value(samples, 'flowlens_ingest_errors_total', { source: 'sockets' }), 0);
  assert.ok(sampleValue(samples, 'flowlens_ingest_records_total', { source: 'sockets' }) >= 2);
  assert.equal(findSamples(samples, 'flowlens_socket_scan_duration_seconds', { source: 'sockets' }).length, 1);
});
