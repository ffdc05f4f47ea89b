/**
 * A node and pods wired as Calico wires them, for the capture tests: a "node" network namespace; each pod a
 * namespace whose eth0 holds a /32 and routes everything to 169.254.1.1, answered by proxy ARP on the node's end of
 * the veth (`cali*`); a /32 route per pod on the node; an uplink with a gateway, so addresses of other nodes' pods
 * route through it. Echo servers in the pods, a client that sends TCP and UDP to them. Everything is made with
 * `ip` argument arrays, named after `tag` and the test process, and removed by `remove()`.
 */
import assert from 'node:assert/strict';
import { run, waitFor, type Processes } from './support';

export interface LabPod {
  readonly name: string;
  readonly ip: string;
}

/** Echo servers: TCP 8080 and 9090, UDP 5353, on the pod's address. */
const SERVER_SCRIPT = `
const net = require('node:net');
const dgram = require('node:dgram');
const address = process.argv[1];
let ready = 0;
const up = () => { if (++ready === 3) console.log('ready'); };
for (const port of [8080, 9090]) {
  net.createServer((socket) => { socket.on('data', (data) => socket.write(data)); socket.on('end', () => socket.end()); socket.on('error', () => {}); })
    .listen(port, address, up);
}
const udp = dgram.createSocket('udp4');
udp.on('message', (message, peer) => udp.send(message, peer.port, peer.address));
udp.bind(5353, address, up);
`;

/** The client: for each "proto:host:port:bytes" argument, one TCP connection or one UDP datagram, echoed. */
const CLIENT_SCRIPT = `
const net = require('node:net');
const dgram = require('node:dgram');
function tcp(host, port, bytes) {
  return new Promise((resolve, reject) => {
    let received = 0;
    const socket = net.connect(Number(port), host, () => socket.write(Buffer.alloc(bytes, 7)));
    socket.on('data', (data) => { received += data.length; if (received >= bytes) socket.end(); });
    socket.on('close', () => (received >= bytes ? resolve() : reject(new Error('short echo from ' + host + ':' + port))));
    socket.on('error', reject);
  });
}
function udp(host, port, bytes) {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => reject(new Error('no UDP echo from ' + host)), 5000);
    socket.once('message', () => { clearTimeout(timer); socket.close(); resolve(); });
    socket.send(Buffer.alloc(bytes, 1), Number(port), host);
  });
}
(async () => {
  for (const target of process.argv.slice(1)) {
    const [proto, host, port, bytes] = target.split(':');
    await (proto === 'tcp' ? tcp : udp)(host, port, Number(bytes));
  }
  console.log('done');
})().catch((error) => { console.error(String(error)); process.exit(1); });
`;

export class CaptureLab {
  readonly run = String(process.pid % 100_000);
  readonly node: string;
  private readonly uplink: string;

  /** The bridge of `bridgePods` (as flannel's cni0), when there are any. */
  readonly bridge: string;

  /**
   * `tag`: up to 5 letters, different for each test file (files run concurrently). `pods` are wired as Calico wires
   * them; `bridgePods` (addresses in 10.252.9.0/24) hang off one bridge with 10.252.9.1, as flannel's cni0.
   */
  constructor(
    private readonly processes: Processes,
    private readonly tag: string,
    readonly client: LabPod,
    readonly pods: readonly LabPod[],
    readonly bridgePods: readonly LabPod[] = [],
  ) {
    this.node = `${tag}-node-${this.run}`;
    this.uplink = `${tag}u${this.run}`;
    this.bridge = `${tag}br${this.run}`;
  }

  namespaceOf(pod: LabPod): string {
    return `${this.tag}-${pod.name}-${this.run}`;
  }

  /** The node's end of a pod's veth (a Calico-like name, at most 15 characters). */
  hostLink(pod: LabPod): string {
    return `cali${this.tag.slice(-2)}${this.run}x${[this.client, ...this.pods, ...this.bridgePods].indexOf(pod)}`;
  }

  async must(command: string, args: readonly string[]): Promise<string> {
    const result = await run(this.processes, command, args, { timeoutMs: 30_000 });
    assert.equal(result.code, 0, `${command} ${args.join(' ')} failed: ${result.stderr}`);
    return result.stdout;
  }

  async remove(): Promise<void> {
    const pods = [this.client, ...this.pods, ...this.bridgePods];
    for (const namespace of [this.node, ...pods.map((pod) => this.namespaceOf(pod))]) {
      await run(this.processes, 'ip', ['netns', 'del', namespace]).catch(() => undefined);
    }
  }

  /**
   * A pod's network namespace with its `eth0` (the pod's IP, with this prefix length) and the host end of its veth
   * pair in the node namespace, as a CNI plugin makes them; routing is the caller's (routed or bridged).
   */
  private async addPodNamespace(pod: LabPod, prefixLength: number): Promise<{ namespace: string; link: string }> {
    const namespace = this.namespaceOf(pod);
    const link = this.hostLink(pod);
    const podEnd = `${this.tag}${this.run}p`;
    await this.must('ip', ['netns', 'add', namespace]);
    await this.must('ip', ['-n', namespace, 'link', 'set', 'lo', 'up']);
    await this.must('ip', [
      '-n',
      this.node,
      'link',
      'add',
      link,
      'type',
      'veth',
      'peer',
      'name',
      podEnd,
      'netns',
      namespace,
    ]);
    await this.must('ip', ['-n', namespace, 'link', 'set', podEnd, 'name', 'eth0']);
    await this.must('ip', ['-n', namespace, 'addr', 'add', `${pod.ip}/${prefixLength}`, 'dev', 'eth0']);
    await this.must('ip', ['-n', namespace, 'link', 'set', 'eth0', 'up']);
    return { namespace, link };
  }

  async create(): Promise<void> {
    await this.remove();
    const node = this.node;
    await this.must('ip', ['netns', 'add', node]);
    await this.must('ip', ['-n', node, 'link', 'set', 'lo', 'up']);
    await this.must('ip', ['netns', 'exec', node, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    // The uplink (a veth pair inside the node: the dummy driver is not always there), with a gateway for the rest of
    // the cluster; proxy ARP answers for 169.254.1.1 because it routes out of this other interface.
    await this.must('ip', ['-n', node, 'link', 'add', this.uplink, 'type', 'veth', 'peer', 'name', `${this.uplink}b`]);
    await this.must('ip', ['-n', node, 'link', 'set', `${this.uplink}b`, 'up']);
    await this.must('ip', ['-n', node, 'addr', 'add', '10.254.0.2/24', 'dev', this.uplink]);
    await this.must('ip', ['-n', node, 'link', 'set', this.uplink, 'up']);
    await this.must('ip', ['-n', node, 'route', 'add', 'default', 'via', '10.254.0.1', 'dev', this.uplink]);
    for (const pod of [this.client, ...this.pods]) {
      const { namespace, link } = await this.addPodNamespace(pod, 32);
      await this.must('ip', ['-n', namespace, 'route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link']);
      await this.must('ip', ['-n', namespace, 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0']);
      await this.must('ip', ['netns', 'exec', node, 'sysctl', '-q', '-w', `net.ipv4.conf.${link}.proxy_arp=1`]);
      await this.must('ip', ['-n', node, 'link', 'set', link, 'up']);
      await this.must('ip', ['-n', node, 'route', 'add', `${pod.ip}/32`, 'dev', link, 'scope', 'link']);
    }
    if (this.bridgePods.length > 0) {
      await this.must('ip', ['-n', node, 'link', 'add', this.bridge, 'type', 'bridge']);
      await this.must('ip', ['-n', node, 'addr', 'add', '10.252.9.1/24', 'dev', this.bridge]);
      await this.must('ip', ['-n', node, 'link', 'set', this.bridge, 'up']);
    }
    for (const pod of this.bridgePods) {
      const { namespace, link } = await this.addPodNamespace(pod, 24);
      await this.must('ip', ['-n', namespace, 'route', 'add', 'default', 'via', '10.252.9.1', 'dev', 'eth0']);
      await this.must('ip', ['-n', node, 'link', 'set', link, 'master', this.bridge]);
      await this.must('ip', ['-n', node, 'link', 'set', link, 'up']);
    }
    for (const pod of [...this.pods, ...this.bridgePods]) await this.startServers(pod);
  }

  private async startServers(pod: LabPod): Promise<void> {
    const server = this.processes.start('ip', [
      'netns',
      'exec',
      this.namespaceOf(pod),
      process.execPath,
      '-e',
      SERVER_SCRIPT,
      pod.ip,
    ]);
    await waitFor(() => server.stdout.includes('ready'), 20_000, {
      description: `servers in ${pod.name}`,
      process: server,
    });
  }

  /** Runs the client: each target `tcp|udp:IP:PORT:BYTES`, one after the other, each echoed in full. */
  async traffic(targets: readonly string[]): Promise<void> {
    const output = await this.must('ip', [
      'netns',
      'exec',
      this.namespaceOf(this.client),
      process.execPath,
      '-e',
      CLIENT_SCRIPT,
      ...targets,
    ]);
    assert.match(output, /done/);
  }

  /** `tcpdump -r FILE -n -q -tt`: one line per packet. */
  async readWithTcpdump(file: string): Promise<string[]> {
    const result = await run(this.processes, 'tcpdump', ['-r', file, '-n', '-q', '-tt'], { timeoutMs: 30_000 });
    assert.equal(result.code, 0, `tcpdump -r ${file} failed: ${result.stderr}`);
    return result.stdout.split('\n').filter((line) => line !== '');
  }
}
