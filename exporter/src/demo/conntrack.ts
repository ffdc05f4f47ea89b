/**
 * The demo nodes' connection tracking tables: what the `conntrack` source would read from each node's
 * /proc/net/nf_conntrack for the connections of the node's own (host) network namespace. Calico's flow logs are
 * about pods and leave host-network traffic out, so these connections are in no other demo output:
 * - the kubelet's two connections to the API server (10.0.0.10:6443) and kube-proxy's watch: long-lived, each
 *   replaced every half hour to two hours (the API server's GOAWAYs), so connections start and end;
 * - containerd pulling images from the registry (`registry.example`, 443): more by day, when teams deploy, than by
 *   night, and on the nodes of shop/shipping as its rollout begins (the `shipping-nxdomain-storm` incident);
 * - chronyd's NTP exchanges with two servers (UDP 123, every 256 seconds); one of them leaves a request
 *   unanswered now and then, an `[UNREPLIED]` entry;
 * - the host resolver's lookups through the on-prem DNS server (10.10.0.2:53, also CoreDNS's upstream), one before
 *   each image pull and a few a minute besides.
 *
 * Pod traffic, which conntrack on a node sees too, is left out: Calico's lines already count it.
 *
 * Each demo window ends with a poll of every node's table (`DemoConntrack.poll`): its lines go through the conntrack
 * grammar and one `ConnectionTable` per node, the `conntrack` source's own path (lines -> grammar -> table diff ->
 * flow records carrying IPs), with accounting on and the source's defaults (the first poll is a baseline; a
 * connection ends after two polls without it). The demo runs without a cluster view, so its nodes' addresses are
 * resolved here by the cluster enricher over the demo's Node objects, as a cluster view that lists the nodes would
 * resolve them (`host`); the other end (API server, registry, NTP and DNS servers) is left to the pipeline, which
 * names it `private` or `world` as the Calico lines name those peers.
 *
 * A table is a function of (seed, node, time): connections come from schedules and seeded draws per time bucket,
 * counters from integrating per-minute rates from the connection's start, so serve and replay agree on every entry.
 */
import { ClusterViewEnricher } from '../cluster/enricher';
import { StaticClusterView } from '../cluster/static-view';
import type { FlowRecord } from '../model/flow';
import { parseCidr, type Cidr } from '../policy/kubernetes/cidr';
import { ConnectionTable } from '../sources/conntrack/table';
import { DEFAULT_CONNTRACK_OPTIONS, DEFAULT_CONNTRACK_PATH, observeEntryLine } from '../sources/conntrack/source';
import type { DecodeError, RecordSink } from '../sources/types';
import { hashString, mixSeeds, SeededRandom } from './random';
import { diurnalMultiplier, INCIDENTS } from './traffic';
import type { DemoTopology, NodeSpec } from './topology';

/** The API server (the demo's `kube-apiserver` peer), the on-prem resolver (`onprem-dns`), and peers of hosts only. */
export const API_SERVER = { ip: '10.0.0.10', port: 6443 } as const;
export const UPSTREAM_RESOLVER = { ip: '10.10.0.2', port: 53 } as const;
export const IMAGE_REGISTRY = { ip: '203.0.113.90', port: 443, domain: 'registry.example' } as const;
export const NTP_SERVERS: readonly { ip: string; port: number; answers: number }[] = [
  { ip: '198.51.100.123', port: 123, answers: 1 },
  // A pool server that drops about one request in six: its entries stay [UNREPLIED].
  { ip: '203.0.113.123', port: 123, answers: 5 / 6 },
];

/** The kernel's timeouts (seconds): an established TCP entry, TIME_WAIT, a UDP entry without a stream. */
const TCP_ESTABLISHED_TIMEOUT = 432_000;
const TCP_TIME_WAIT_TIMEOUT = 120;
const UDP_TIMEOUT = 30;
/** Linux's default ephemeral port range, 32768 to 60999. */
const EPHEMERAL_FIRST = 32_768;
const EPHEMERAL_PORTS = 28_232;
/** IP and TCP headers (with timestamps) and IP and UDP headers on each packet. */
const TCP_HEADER_BYTES = 52;
const UDP_HEADER_BYTES = 28;
const TCP_SEGMENT_BYTES = 1448;
const NTP_PAYLOAD_BYTES = 48;
const NTP_POLL_SECONDS = 256;

/** A long-lived client connection of the host, replaced by a new one every `lifetime` seconds. */
interface LongLivedSpec {
  id: string;
  /** Parallel connections of the client. */
  connections: number;
  /** The range a node's connection lifetime is drawn from, once per node and connection. */
  lifetimeSeconds: readonly [number, number];
  /** Payload bytes a second each way; `diurnal` is the share that follows the day (pods coming and going). */
  forwardBytesPerSecond: number;
  reverseBytesPerSecond: number;
  diurnal: number;
  /** Mean payload bytes per segment each way: watch events and status updates are small. */
  forwardSegmentBytes: number;
  reverseSegmentBytes: number;
}

const LONG_LIVED: readonly LongLivedSpec[] = [
  {
    id: 'kubelet',
    connections: 2,
    lifetimeSeconds: [1800, 3600],
    forwardBytesPerSecond: 650,
    reverseBytesPerSecond: 1600,
    diurnal: 0.3,
    forwardSegmentBytes: 320,
    reverseSegmentBytes: 900,
  },
  {
    id: 'kube-proxy',
    connections: 1,
    lifetimeSeconds: [3600, 7200],
    forwardBytesPerSecond: 40,
    reverseBytesPerSecond: 420,
    diurnal: 0.5,
    forwardSegmentBytes: 120,
    reverseSegmentBytes: 700,
  },
];

/** Image pulls a node starts per 10 minutes at the daily peak, and their size and duration. */
const PULL_BUCKET_SECONDS = 600;
const PULLS_PER_BUCKET_AT_PEAK = 0.3;
const PULL_BYTES: readonly [number, number] = [4e6, 90e6];
const PULL_SECONDS: readonly [number, number] = [4, 40];
/** The new shipping image a node pulls when the rollout reaches it. */
const ROLLOUT_INCIDENT = 'shipping-nxdomain-storm';
const ROLLOUT_IMAGE_BYTES = 48e6;
export const ROLLOUT_PULL_SECONDS = 25;
/** Host lookups a minute at the daily peak (timers, agents), on top of one per image pull. */
const HOST_LOOKUPS_PER_MINUTE = 3;

interface Counters {
  packetsForward: number;
  bytesForward: number;
  packetsReverse: number;
  bytesReverse: number;
}

/** One connection of a node's host network namespace. */
export interface HostConnection {
  protocol: 'tcp' | 'udp';
  sport: number;
  destination: string;
  dport: number;
  /** When its first and last packets went (unix seconds, fractions allowed). */
  start: number;
  end: number;
  replied: boolean;
  /** What it carried by time `t` (start <= t), headers included, as the kernel counts. */
  countersAt(t: number): Counters;
}

/** A uniform draw in [0, 1) from integers, without a stream: for per-bucket noise that any window can recompute. */
function unit(...values: readonly number[]): number {
  return mixSeeds(...values) / 0x100000000;
}

function ephemeralPort(...values: readonly number[]): number {
  return EPHEMERAL_FIRST + (mixSeeds(...values) % EPHEMERAL_PORTS);
}

/** TCP counters from the payload each way: data segments, delayed ACKs (one per two segments), the handshake. */
function tcpCounters(
  forwardPayload: number,
  reversePayload: number,
  segment: [number, number],
  closed: boolean,
): Counters {
  const forwardData = Math.ceil(forwardPayload / segment[0]);
  const reverseData = Math.ceil(reversePayload / segment[1]);
  // SYN and the handshake's ACK forward, SYN-ACK back; the closing FINs and their ACKs once closed.
  const packetsForward = 2 + forwardData + Math.ceil(reverseData / 2) + (closed ? 2 : 0);
  const packetsReverse = 1 + reverseData + Math.ceil(forwardData / 2) + (closed ? 1 : 0);
  return {
    packetsForward,
    bytesForward: Math.floor(forwardPayload) + packetsForward * TCP_HEADER_BYTES,
    packetsReverse,
    bytesReverse: Math.floor(reversePayload) + packetsReverse * TCP_HEADER_BYTES,
  };
}

function udpExchange(
  sport: number,
  peer: { ip: string; port: number },
  at: number,
  requestPayload: number,
  replyPayload: number | undefined,
): HostConnection {
  const replied = replyPayload !== undefined;
  const counters: Counters = {
    packetsForward: 1,
    bytesForward: requestPayload + UDP_HEADER_BYTES,
    packetsReverse: replied ? 1 : 0,
    bytesReverse: replied ? replyPayload + UDP_HEADER_BYTES : 0,
  };
  return {
    protocol: 'udp',
    sport,
    destination: peer.ip,
    dport: peer.port,
    start: at,
    // The answer comes within milliseconds; the entry's timeout counts from it.
    end: at,
    replied,
    countersAt: () => counters,
  };
}

/** The host connections of the demo's nodes, and their tables as /proc/net/nf_conntrack lines. */
export class DemoHostConnections {
  private readonly nodeSeeds: ReadonlyMap<string, number>;
  /** Nodes running a pod of shop/shipping: they pull its new image when the rollout starts. */
  private readonly rolloutNodes: readonly string[];
  private readonly rolloutFraction: number;

  constructor(
    topology: DemoTopology,
    private readonly seed: number,
    private readonly incidentPeriodSeconds: number,
  ) {
    this.nodeSeeds = new Map(topology.nodes.map((node) => [node.name, hashString(node.name)]));
    this.rolloutNodes = [
      ...new Set(
        topology.pods.filter((pod) => pod.namespace === 'shop' && pod.workload === 'shipping').map((pod) => pod.node),
      ),
    ];
    this.rolloutFraction = INCIDENTS.find((incident) => incident.name === ROLLOUT_INCIDENT)?.startFraction ?? 0;
  }

  /** The node's table at unix time `at` (whole seconds), one nf_conntrack line per entry, in the kernel's hash order. */
  linesAt(node: NodeSpec, at: number): string[] {
    const entries = this.connectionsAt(node, at).map((connection) => ({
      key: mixSeeds(this.seed, connection.sport, hashString(connection.destination)),
      line: renderEntry(node.ip, connection, at),
    }));
    return entries.sort((left, right) => left.key - right.key).map((entry) => entry.line);
  }

  /** The connections in the node's table at `at`: open ones, and closed ones until their entries time out. */
  connectionsAt(node: NodeSpec, at: number): HostConnection[] {
    const nodeSeed = this.nodeSeeds.get(node.name) ?? hashString(node.name);
    const pulls = this.pullsAround(node, nodeSeed, at);
    const connections = [
      ...this.longLived(nodeSeed, at),
      ...pulls.filter((pull) => pull.start <= at && at < pull.end + TCP_TIME_WAIT_TIMEOUT),
      ...this.ntpExchanges(nodeSeed, at),
      ...this.lookups(nodeSeed, pulls, at),
    ];
    // Two draws of the same port to the same peer would be one entry in the kernel: the first one stands.
    const tuples = new Set<string>();
    return connections.filter((connection) => {
      const tuple = `${connection.protocol} ${connection.sport} ${connection.destination} ${connection.dport}`;
      if (tuples.has(tuple)) return false;
      tuples.add(tuple);
      return true;
    });
  }

  private longLived(nodeSeed: number, at: number): HostConnection[] {
    const found: HostConnection[] = [];
    for (const spec of LONG_LIVED) {
      for (let slot = 0; slot < spec.connections; slot++) {
        const slotSeed = mixSeeds(this.seed, nodeSeed, hashString(spec.id), slot);
        const [shortest, longest] = spec.lifetimeSeconds;
        const lifetime = shortest + (slotSeed % (longest - shortest));
        const offset = mixSeeds(slotSeed, 1) % lifetime;
        const generation = Math.floor((at - offset) / lifetime);
        // The current connection, and the one before while its entry is in TIME_WAIT.
        for (const which of [generation - 1, generation]) {
          const start = offset + which * lifetime;
          const end = start + lifetime;
          if (start > at || at >= end + TCP_TIME_WAIT_TIMEOUT) continue;
          found.push(this.longLivedConnection(spec, mixSeeds(slotSeed, which), start, end));
        }
      }
    }
    return found;
  }

  private longLivedConnection(spec: LongLivedSpec, connectionSeed: number, start: number, end: number): HostConnection {
    const segments: [number, number] = [spec.forwardSegmentBytes, spec.reverseSegmentBytes];
    return {
      protocol: 'tcp',
      sport: ephemeralPort(connectionSeed),
      destination: API_SERVER.ip,
      dport: API_SERVER.port,
      start,
      end,
      replied: true,
      countersAt: (t) => {
        const until = Math.min(t, end);
        // Per-minute rates with their own noise, integrated from the start: counters only grow.
        let scale = 0;
        for (let minute = Math.floor(start / 60); minute * 60 < until; minute++) {
          const from = Math.max(start, minute * 60);
          const to = Math.min(until, minute * 60 + 60);
          const day = 1 - spec.diurnal + spec.diurnal * diurnalMultiplier(minute * 60 + 30);
          scale += (to - from) * day * (0.7 + 0.6 * unit(connectionSeed, minute));
        }
        return tcpCounters(scale * spec.forwardBytesPerSecond, scale * spec.reverseBytesPerSecond, segments, t >= end);
      },
    };
  }

  /** Image pulls that may be in the table at `at` or that started in the lookups' reach before it. */
  private pullsAround(node: NodeSpec, nodeSeed: number, at: number): HostConnection[] {
    const pulls: HostConnection[] = [];
    const earliest = at - PULL_SECONDS[1] - TCP_TIME_WAIT_TIMEOUT;
    for (let bucket = Math.floor(earliest / PULL_BUCKET_SECONDS); bucket * PULL_BUCKET_SECONDS <= at; bucket++) {
      const bucketStart = bucket * PULL_BUCKET_SECONDS;
      const random = new SeededRandom(mixSeeds(this.seed, nodeSeed, bucket, 0x9011));
      const count = random.poisson(PULLS_PER_BUCKET_AT_PEAK * diurnalMultiplier(bucketStart + PULL_BUCKET_SECONDS / 2));
      for (let index = 0; index < count; index++) {
        const start = bucketStart + random.next() * PULL_BUCKET_SECONDS;
        const seconds = random.between(PULL_SECONDS[0], PULL_SECONDS[1]);
        const bytes = random.between(PULL_BYTES[0], PULL_BYTES[1]);
        pulls.push(this.pull(ephemeralPort(this.seed, nodeSeed, bucket, index), start, seconds, bytes));
      }
    }
    if (this.rolloutNodes.includes(node.name)) {
      const period = this.incidentPeriodSeconds;
      for (let cycle = Math.floor(earliest / period) - 1; cycle * period <= at; cycle++) {
        // The rollout reaches the nodes a few seconds apart.
        const start = cycle * period + this.rolloutFraction * period + 2 + 3 * this.rolloutNodes.indexOf(node.name);
        pulls.push(
          this.pull(ephemeralPort(this.seed, nodeSeed, cycle, 0x5e1), start, ROLLOUT_PULL_SECONDS, ROLLOUT_IMAGE_BYTES),
        );
      }
    }
    return pulls;
  }

  private pull(sport: number, start: number, seconds: number, bytes: number): HostConnection {
    const end = start + seconds;
    // The manifest and blob requests forward; the layers back.
    const requestBytes = 2400 + bytes / 5000;
    return {
      protocol: 'tcp',
      sport,
      destination: IMAGE_REGISTRY.ip,
      dport: IMAGE_REGISTRY.port,
      start,
      end,
      replied: true,
      countersAt: (t) => {
        const done = Math.min(1, (t - start) / seconds);
        return tcpCounters(requestBytes * done, bytes * done, [600, TCP_SEGMENT_BYTES], t >= end);
      },
    };
  }

  private ntpExchanges(nodeSeed: number, at: number): HostConnection[] {
    const found: HostConnection[] = [];
    NTP_SERVERS.forEach((server, serverIndex) => {
      const offset = mixSeeds(this.seed, nodeSeed, serverIndex, 0x7e) % NTP_POLL_SECONDS;
      const last = Math.floor((at - offset) / NTP_POLL_SECONDS);
      for (let poll = last - 1; poll <= last; poll++) {
        const time = offset + poll * NTP_POLL_SECONDS;
        if (time > at || at - time >= UDP_TIMEOUT) continue;
        const answered = unit(this.seed, nodeSeed, serverIndex, poll) < server.answers;
        // chronyd sends each request from a new random port.
        const sport = ephemeralPort(this.seed, nodeSeed, serverIndex, poll, 0x7e);
        found.push(udpExchange(sport, server, time, NTP_PAYLOAD_BYTES, answered ? NTP_PAYLOAD_BYTES : undefined));
      }
    });
    return found;
  }

  /** DNS exchanges with the upstream resolver whose entries have not timed out at `at`. */
  private lookups(nodeSeed: number, pulls: readonly HostConnection[], at: number): HostConnection[] {
    const found: HostConnection[] = [];
    const live = (time: number): boolean => time <= at && at - time < UDP_TIMEOUT;
    for (let minute = Math.floor((at - UDP_TIMEOUT) / 60); minute * 60 <= at; minute++) {
      const random = new SeededRandom(mixSeeds(this.seed, nodeSeed, minute, 0xd45));
      const count = random.poisson(HOST_LOOKUPS_PER_MINUTE * (0.4 + 0.6 * diurnalMultiplier(minute * 60 + 30)));
      for (let index = 0; index < count; index++) {
        const time = minute * 60 + random.next() * 60;
        const question = 24 + random.int(30);
        const answer = question + 16 + random.int(180);
        if (live(time)) {
          found.push(
            udpExchange(
              ephemeralPort(this.seed, nodeSeed, minute, index, 0xd45),
              UPSTREAM_RESOLVER,
              time,
              question,
              answer,
            ),
          );
        }
      }
    }
    for (const pull of pulls) {
      // The registry's name, resolved just before the pull connects.
      const time = pull.start - 0.05;
      if (live(time)) {
        const question = 17 + IMAGE_REGISTRY.domain.length;
        found.push(udpExchange(ephemeralPort(pull.sport, 0xd45), UPSTREAM_RESOLVER, time, question, question + 32));
      }
    }
    return found;
  }
}

/** An entry as the kernel prints it to /proc/net/nf_conntrack, with accounting on. */
function renderEntry(nodeIp: string, connection: HostConnection, at: number): string {
  const counters = connection.countersAt(at);
  const { sport, dport, destination } = connection;
  const original = `src=${nodeIp} dst=${destination} sport=${sport} dport=${dport} packets=${counters.packetsForward} bytes=${counters.bytesForward}`;
  const reply = `src=${destination} dst=${nodeIp} sport=${dport} dport=${sport} packets=${counters.packetsReverse} bytes=${counters.bytesReverse}`;
  const sinceLast = Math.max(0, Math.floor(at - Math.min(at, connection.end)));
  if (connection.protocol === 'udp') {
    const timeout = UDP_TIMEOUT - sinceLast;
    const unreplied = connection.replied ? '' : ' [UNREPLIED]';
    return `ipv4     2 udp      17 ${timeout} ${original}${unreplied} ${reply} mark=0 zone=0 use=2`;
  }
  const closed = at >= connection.end;
  // An open connection carried a packet within the last second.
  const timeout = closed ? TCP_TIME_WAIT_TIMEOUT - sinceLast : TCP_ESTABLISHED_TIMEOUT - 1;
  const state = closed ? 'TIME_WAIT' : 'ESTABLISHED';
  return `ipv4     2 tcp      6 ${timeout} ${state} ${original} ${reply} [ASSURED] mark=0 zone=0 use=2`;
}

/** What a poll of every node found, summed over the nodes' tables (the `flowlens_conntrack_*` gauges read it). */
export interface DemoConntrackSummary {
  entries: number;
  tracked: number;
  untracked: number;
  started: number;
  completed: number;
}

/** Where the demo's conntrack records and rejected lines go (a `GeneratorContext` is one). */
export interface DemoConntrackOutput {
  sink: Pick<RecordSink, 'flow'>;
  rejected(error: DecodeError, where: string, position: number): void;
}

/** One poller per demo node: the node's table lines through the conntrack grammar into a ConnectionTable. */
export class DemoConntrack {
  private readonly nodes: readonly { spec: NodeSpec; table: ConnectionTable; where: string }[];
  private readonly hosts: ClusterViewEnricher;

  constructor(
    topology: DemoTopology,
    readonly connections: DemoHostConnections,
  ) {
    this.nodes = topology.nodes.map((spec) => ({
      spec,
      table: new ConnectionTable({
        maxConnections: DEFAULT_CONNTRACK_OPTIONS.maxConnections,
        reporter: DEFAULT_CONNTRACK_OPTIONS.reporter,
        localCidrs: localCidrs(spec),
        node: spec.name,
        countExisting: false,
      }),
      where: `${spec.name}:${DEFAULT_CONNTRACK_PATH}`,
    }));
    this.hosts = new ClusterViewEnricher(StaticClusterView.fromDocuments(nodeDocuments(topology)));
  }

  /** Polls every node's table at `at`: flow records for what changed since the last poll go to `output.sink`. */
  poll(at: number, output: DemoConntrackOutput): DemoConntrackSummary {
    const total: DemoConntrackSummary = { entries: 0, tracked: 0, untracked: 0, started: 0, completed: 0 };
    const emit = (record: FlowRecord): void => {
      this.hosts.enrich(record);
      output.sink.flow(record);
    };
    for (const { spec, table, where } of this.nodes) {
      table.beginPoll(at);
      this.connections
        .linesAt(spec, at)
        .forEach((line, index) =>
          observeEntryLine(table, line, emit, (error) => output.rejected(error, where, index + 1)),
        );
      const summary = table.finishPoll(emit);
      total.entries += summary.entries;
      total.tracked += summary.tracked;
      total.untracked += summary.untracked;
      total.started += summary.started;
      total.completed += summary.completed;
    }
    return total;
  }
}

/** The node's pod CIDR, as a DaemonSet would pass it (`local-cidr=`): host connections have neither end in it. */
function localCidrs(node: NodeSpec): Cidr[] {
  const cidr = parseCidr(node.podCidr);
  return cidr === undefined ? [] : [cidr];
}

/** The demo's nodes as the API server lists them, for the cluster view that knows their addresses. */
function nodeDocuments(topology: DemoTopology): { object: unknown; where: string }[] {
  return topology.nodes.map((node) => ({
    object: {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: node.name, labels: { 'topology.kubernetes.io/zone': node.zone } },
      status: {
        addresses: [
          { type: 'InternalIP', address: node.ip },
          { type: 'Hostname', address: node.name },
        ],
      },
    },
    where: `demo node ${node.name}`,
  }));
}
