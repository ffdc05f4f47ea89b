/**
 * Turns the demo topology into Calico flow log lines, one aggregated record per line, as Felix writes them at
 * aggregation level 2 (pods by name prefix, IPs and source ports aggregated away). The exporter feeds these lines
 * through the same decoder as a real flows.log, so the demo exercises the real pipeline end to end.
 *
 * For each call-graph edge and window the model draws flows between the source's and destination's nodes (a small
 * matrix of cells), then sums the cells per node: the source's node reports what it sent (`reporter: src`), the
 * destination's node what it received (`reporter: dst`), so both ends agree on the totals as they do in Calico.
 * Everything random comes from a mulberry32 stream seeded by (seed, window, edge): same seed and window, same lines.
 */
import { evaluatePolicies, formatTrace, type PolicyEndpoint } from './policy';
import { SeededRandom, hashString, mixSeeds } from './random';
import { dnsClients, dnsRecordsFor } from './dns';
import { httpEdges, httpRecordsFor } from './http';
import { DemoAuditLog } from './audit';
import {
  DEMO_TOPOLOGY,
  cronJobRuns,
  podLabels,
  podNamePrefix,
  type CallEdge,
  type DemoTopology,
  type EdgePeer,
  type IncidentName,
  type LoadSpec,
  type WorkloadSpec,
} from './topology';

export interface DemoClusterOptions {
  seed: number;
  /** How often the incident schedule repeats, in seconds. Default 3600: every incident once an hour. */
  incidentPeriodSeconds?: number;
}

export interface IncidentSpec {
  name: IncidentName;
  /** Start and end as fractions of the incident period (for an hour: minute 10 is 10/60). */
  startFraction: number;
  endFraction: number;
  description: string;
}

export const DEFAULT_INCIDENT_PERIOD_SECONDS = 3600;

export const INCIDENTS: readonly IncidentSpec[] = [
  {
    name: 'recommendations-port-scan',
    startFraction: 10 / 60,
    endFraction: 15 / 60,
    description:
      'shop/recommendations is compromised: it scans data/* (denied by default-deny) and calls a known-bad IP',
  },
  {
    name: 'frontend-to-ledger-db',
    startFraction: 25 / 60,
    endFraction: 35 / 60,
    description: 'a new edge: shop/frontend connects to payments/ledger-db (allowed today, denied by a staged policy)',
  },
  {
    name: 'shipping-nxdomain-storm',
    startFraction: 38 / 60,
    endFraction: 42 / 60,
    description:
      'shop/shipping rolls out with a wrong carrier host name: an NXDOMAIN storm of non-existent names through kube-dns',
  },
  {
    name: 'checkout-payments-degraded',
    startFraction: 45 / 60,
    endFraction: 50 / 60,
    description: 'shop/checkout -> payments/payments-api: RTT x10, retransmissions, reconnects; the fallback is denied',
  },
];

/** The JSON object of one flow log line, keys in the order Felix writes them. TCP fields only on TCP records. */
export interface CalicoFlowLogRecord {
  start_time: number;
  end_time: number;
  source_ip: string | null;
  source_name: string;
  source_name_aggr: string;
  source_namespace: string;
  nat_outgoing_ports: number[] | null;
  source_port: number | null;
  source_type: EndpointType;
  source_labels: FlowLogLabels | null;
  dest_ip: string | null;
  dest_name: string;
  dest_name_aggr: string;
  dest_namespace: string;
  dest_port: number | null;
  dest_type: EndpointType;
  dest_labels: FlowLogLabels | null;
  dest_service_namespace: string;
  dest_service_name: string;
  dest_service_port: string;
  dest_service_port_num: number | null;
  dest_domains: string[] | null;
  proto: string;
  action: 'allow' | 'deny';
  reporter: 'src' | 'dst';
  policies: { all_policies: string[]; enforced_policies: string[]; pending_policies: string[] };
  bytes_in: number;
  bytes_out: number;
  num_flows: number;
  num_flows_started: number;
  num_flows_completed: number;
  packets_in: number;
  packets_out: number;
  http_requests_allowed_in: number;
  http_requests_denied_in: number;
  process_name: string;
  num_process_names: number;
  process_id: string;
  num_process_ids: number;
  process_args: string[];
  num_process_args: number;
  original_source_ips: string[] | null;
  num_original_source_ips: number;
  tcp_mean_send_congestion_window?: number;
  tcp_min_send_congestion_window?: number;
  tcp_mean_smooth_rtt?: number;
  tcp_max_smooth_rtt?: number;
  tcp_mean_min_rtt?: number;
  tcp_max_min_rtt?: number;
  tcp_mean_mss?: number;
  tcp_min_mss?: number;
  tcp_total_retransmissions?: number;
  tcp_lost_packets?: number;
  tcp_unrecovered_to?: number;
  host: string;
}

export type EndpointType = 'wep' | 'hep' | 'ns' | 'net';
export interface FlowLogLabels {
  labels: string[];
}

/**
 * How busy users are at a UTC time: a smooth daily curve peaking at 15:00 and lowest at 03:00, never below 0.15.
 * Machine traffic (scrapes, replication, batch jobs) ignores it.
 */
export function diurnalMultiplier(unixSeconds: number): number {
  const hour = (((unixSeconds % 86400) + 86400) % 86400) / 3600;
  const closenessToPeak = (Math.cos(((hour - 15) / 24) * 2 * Math.PI) + 1) / 2;
  return 0.15 + 0.85 * closenessToPeak ** 1.4;
}

/** The load multiplier of an edge's daily batch window at the window's midpoint (1 outside it, or without one). */
export function dailyBatchFactor(load: LoadSpec, context: { start: number; seconds: number }): number {
  const batch = load.dailyBatch;
  if (batch === undefined) return 1;
  const midpoint = context.start + context.seconds / 2;
  const minuteOfDay = (((midpoint % 86400) + 86400) % 86400) / 60;
  return minuteOfDay >= batch.startMinute && minuteOfDay < batch.startMinute + batch.minutes ? batch.factor : 1;
}

// ---------------------------------------------------------------------------------------------------------------
// Per-edge plan: everything about an edge that does not change from window to window.
// ---------------------------------------------------------------------------------------------------------------

/** The pods of one end of an edge on one node. */
interface NodeGroup {
  node: string;
  podNames: string[];
  /** Calico's `process_id`: the pod's process id, or `*` when the record aggregates several pods. */
  processId: string;
}

function nodeGroup(node: string, podNames: string[]): NodeGroup {
  const onlyPod = podNames.length === 1 ? podNames[0] : undefined;
  return { node, podNames, processId: onlyPod === undefined ? '*' : String(1000 + (hashString(onlyPod) % 60000)) };
}

/** How one end of an edge appears in a flow log line. */
interface EndpointView {
  type: EndpointType;
  namespace: string;
  nameAggr: string;
  labels: FlowLogLabels | null;
  /** Empty for peers outside the pod network: they have no node and report nothing. */
  groups: NodeGroup[];
  processPath: string | undefined;
  /** Typical RTT to this end when it is outside the pod network, in microseconds. */
  externalRttMicros: number | undefined;
  /** The path MSS to this end: the pod network's VXLAN MTU leaves 1398 bytes, the internet a little less. */
  mss: number;
}

/** An end's policy verdict and its traces, formatted once per edge: they do not change between windows. */
interface PolicyTraces {
  action: 'allow' | 'deny';
  enforced: string[];
  pending: string[];
}

interface EdgePlan {
  edge: CallEdge;
  edgeSeed: number;
  /** Undefined for a CronJob source, whose view depends on which Job runs in the window. */
  sourceView: EndpointView | undefined;
  destinationView: EndpointView;
  /** Egress policy at the source (pods only) and ingress policy at the destination (pods only). */
  egress: PolicyTraces | undefined;
  ingress: PolicyTraces | undefined;
  /** The DNS name the client resolved, for destinations outside the cluster that have one. */
  destinationDomains: string[] | null;
}

const POD_NETWORK_MSS = 1398;
const INTERNET_MSS = 1360;
/** Bytes of IP + TCP headers (with timestamps) and of IP + UDP headers on each packet. */
const TCP_HEADER_BYTES = 52;
const UDP_HEADER_BYTES = 28;
const ICMP_PACKET_BYTES = 84;
/** A connect() that is dropped sends the SYN and two retransmissions before the client gives up or the window ends. */
const SYN_ATTEMPTS_PER_DENIED_FLOW = 3;
const SYN_BYTES = 60;
const SAME_NODE_RTT_MICROS = 70;
const CROSS_NODE_RTT_MICROS = 420;
const NETWORK_SET_RTT_MICROS = 90000;
/** Pooled connections are recycled about every 15 minutes. */
const POOLED_CONNECTION_LIFETIME_SECONDS = 900;
/** Clients whose connections are refused retry about every 5 seconds. */
const DENIED_POOL_RETRY_SECONDS = 5;

function labelList(labels: Readonly<Record<string, string>>): FlowLogLabels {
  return { labels: Object.entries(labels).map(([key, value]) => `${key}=${value}`) };
}

function podGroups(topology: DemoTopology, workload: WorkloadSpec): NodeGroup[] {
  const groups = new Map<string, string[]>();
  for (const pod of topology.pods) {
    if (pod.namespace !== workload.namespace || pod.workload !== workload.name) continue;
    const names = groups.get(pod.node) ?? [];
    names.push(pod.name);
    groups.set(pod.node, names);
  }
  return [...groups.entries()].map(([node, podNames]) => nodeGroup(node, podNames));
}

function workloadView(workload: WorkloadSpec, groups: NodeGroup[], jobName?: string): EndpointView {
  return {
    type: 'wep',
    namespace: workload.namespace,
    nameAggr: podNamePrefix(workload, jobName),
    labels: labelList(podLabels(workload, jobName)),
    groups,
    processPath: workload.process.path,
    externalRttMicros: undefined,
    mss: POD_NETWORK_MSS,
  };
}

function peerView(topology: DemoTopology, peer: EdgePeer): EndpointView | undefined {
  switch (peer.kind) {
    case 'workload':
      return peer.workload.kind === 'CronJob'
        ? undefined
        : workloadView(peer.workload, podGroups(topology, peer.workload));
    case 'external':
      return {
        type: 'net',
        namespace: '-',
        nameAggr: peer.peer.scope,
        labels: null,
        groups: [],
        processPath: undefined,
        externalRttMicros: peer.peer.rttMicros,
        mss: peer.peer.scope === 'pub' ? INTERNET_MSS : POD_NETWORK_MSS,
      };
    case 'networkSet':
      return {
        type: 'ns',
        namespace: '-',
        nameAggr: peer.set.name,
        labels: labelList(peer.set.labels),
        groups: [],
        processPath: undefined,
        externalRttMicros: NETWORK_SET_RTT_MICROS,
        mss: INTERNET_MSS,
      };
  }
}

function policyEndpoint(topology: DemoTopology, peer: EdgePeer): PolicyEndpoint {
  switch (peer.kind) {
    case 'workload': {
      const pod = topology.pods.find(
        (candidate) => candidate.namespace === peer.workload.namespace && candidate.workload === peer.workload.name,
      );
      // CronJob pods have no fixed IP; any address in the pod network matches the same rules.
      return {
        kind: 'pod',
        namespace: peer.workload.namespace,
        labels: peer.workload.labels,
        ip: pod?.ip ?? '10.244.0.250',
      };
    }
    case 'external':
      return { kind: 'external', namespace: '', labels: {}, ip: peer.peer.ip };
    case 'networkSet':
      return { kind: 'networkSet', namespace: '', labels: peer.set.labels, ip: peer.ip, networkSet: peer.set.name };
  }
}

function planEdge(topology: DemoTopology, edge: CallEdge): EdgePlan {
  const destinationView = peerView(topology, edge.destination);
  if (destinationView === undefined)
    throw new Error(`demo traffic: edge ${edge.id} targets a CronJob, which serves nothing`);
  const source = policyEndpoint(topology, edge.source);
  const destination = policyEndpoint(topology, edge.destination);
  const traces = (direction: 'ingress' | 'egress'): PolicyTraces => {
    const query = {
      policies: topology.policies,
      tiers: topology.tiers,
      direction,
      local: direction === 'egress' ? source : destination,
      peer: direction === 'egress' ? destination : source,
      protocol: edge.protocol,
      port: edge.destPort,
    };
    const enforced = evaluatePolicies({ ...query, includeStaged: false });
    const pending = evaluatePolicies({ ...query, includeStaged: true });
    return { action: enforced.action, enforced: formatTrace(enforced.entries), pending: formatTrace(pending.entries) };
  };
  return {
    edge,
    edgeSeed: hashString(edge.id),
    sourceView: peerView(topology, edge.source),
    destinationView,
    egress: edge.source.kind === 'workload' ? traces('egress') : undefined,
    ingress: edge.destination.kind === 'workload' ? traces('ingress') : undefined,
    destinationDomains:
      edge.destination.kind === 'external' && edge.destination.peer.domain !== undefined
        ? [edge.destination.peer.domain]
        : null,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Per-window generation
// ---------------------------------------------------------------------------------------------------------------

/** Flows between the source's pods on one node and the destination's pods on another (or outside). */
interface Cell {
  flows: number;
  started: number;
  completed: number;
  bytesForward: number;
  bytesReverse: number;
  packetsForward: number;
  packetsReverse: number;
  /** Retransmissions seen by the source's and the destination's sockets. */
  sourceRetransmissions: number;
  destinationRetransmissions: number;
  lostPackets: number;
  unrecoveredTimeouts: number;
  smoothRttMicros: number;
}

interface WindowContext {
  start: number;
  seconds: number;
  /** The diurnal multiplier at the window's midpoint. */
  userActivity: number;
}

/** The inputs that vary per window for one edge and one source view. */
interface EdgeWindow {
  plan: EdgePlan;
  sourceView: EndpointView;
  /** Fraction of the window the edge exists (incident edges and CronJob runs are partial). */
  activity: number;
  /** Fraction of the window the edge is degraded. */
  degradation: number;
  random: SeededRandom;
}

/**
 * Deterministic proportional split (largest remainder), so pooled connections stay where they are between windows.
 * Ties go to the bucket after `firstChoice` in turn, so one-connection clients on different nodes pick different backends.
 */
function proportionalSplit(total: number, weights: readonly number[], firstChoice: number): number[] {
  const sum = weights.reduce((accumulator, weight) => accumulator + weight, 0);
  if (sum <= 0) return weights.map(() => 0);
  const exact = weights.map((weight) => (total * weight) / sum);
  const parts = exact.map(Math.floor);
  let missing = total - parts.reduce((accumulator, part) => accumulator + part, 0);
  const turn = (index: number): number => (index - firstChoice + weights.length) % weights.length;
  const byRemainder = exact
    .map((value, index) => ({ index, remainder: value - Math.floor(value) }))
    .sort((left, right) => right.remainder - left.remainder || turn(left.index) - turn(right.index));
  for (const { index } of byRemainder) {
    if (missing <= 0) break;
    parts[index] = (parts[index] ?? 0) + 1;
    missing--;
  }
  return parts;
}

function emptyCell(): Cell {
  return {
    flows: 0,
    started: 0,
    completed: 0,
    bytesForward: 0,
    bytesReverse: 0,
    packetsForward: 0,
    packetsReverse: 0,
    sourceRetransmissions: 0,
    destinationRetransmissions: 0,
    lostPackets: 0,
    unrecoveredTimeouts: 0,
    smoothRttMicros: 0,
  };
}

function baseRttMicros(
  sourceNode: string | undefined,
  destinationNode: string | undefined,
  window: EdgeWindow,
): number {
  const external = window.sourceView.externalRttMicros ?? window.plan.destinationView.externalRttMicros;
  if (external !== undefined) return external;
  return sourceNode === destinationNode ? SAME_NODE_RTT_MICROS : CROSS_NODE_RTT_MICROS;
}

/** Counts flows of one cell; `share` is the cell's part of the edge's traffic, `connections` its pooled connections. */
function fillCell(
  cell: Cell,
  window: EdgeWindow,
  context: WindowContext,
  share: number,
  connections: number,
  rttMicros: number,
  established: boolean,
): void {
  const { plan, random, activity, degradation } = window;
  const load = plan.edge.load;
  const protocol = plan.edge.protocol;
  const demand = (load.shape === 'diurnal' ? context.userActivity : 1) * dailyBatchFactor(load, context);
  // Clients retry while the destination is degraded, so requests rise with the degradation.
  const requestRate = load.requestsPerSecond * demand * activity * (1 + degradation) * share;
  const seconds = context.seconds;

  if (!established) {
    const attemptRate = load.connections.kind === 'pooled' ? connections / DENIED_POOL_RETRY_SECONDS : requestRate;
    const flows = random.poisson(attemptRate * seconds * (load.connections.kind === 'pooled' ? activity : 1));
    cell.flows = flows;
    cell.started = flows;
    cell.completed = flows;
    if (protocol === 'tcp') {
      cell.packetsForward = flows * SYN_ATTEMPTS_PER_DENIED_FLOW;
      cell.bytesForward = cell.packetsForward * SYN_BYTES;
      cell.sourceRetransmissions = flows * (SYN_ATTEMPTS_PER_DENIED_FLOW - 1);
    } else {
      cell.packetsForward = flows;
      cell.bytesForward = flows * (protocol === 'icmp' ? ICMP_PACKET_BYTES : load.requestBytes + UDP_HEADER_BYTES);
    }
    return;
  }

  const requests = random.poisson(requestRate * seconds);
  if (load.connections.kind === 'pooled') {
    const recycleRate = seconds / POOLED_CONNECTION_LIFETIME_SECONDS;
    cell.started = random.poisson(connections * (recycleRate + degradation * 0.8));
    // A degraded backend leaves connections hanging: fewer of them complete.
    cell.completed =
      degradation > 0
        ? random.binomial(cell.started, 1 - 0.5 * degradation)
        : random.poisson(connections * recycleRate);
    cell.flows = connections + cell.started;
  } else {
    cell.flows = requests;
    // A few flows straddle the window's edges: started before it, or still open at its end.
    cell.started = requests - random.binomial(requests, 0.05);
    cell.completed = requests - random.binomial(requests, 0.06 + 0.3 * degradation);
  }
  if (cell.flows === 0) return;

  if (protocol === 'icmp') {
    cell.packetsForward = requests;
    cell.packetsReverse = requests;
    cell.bytesForward = requests * ICMP_PACKET_BYTES;
    cell.bytesReverse = requests * ICMP_PACKET_BYTES;
    return;
  }
  const payloadForward = Math.round(requests * load.requestBytes * random.noise(0.25));
  const payloadReverse = Math.round(requests * load.responseBytes * random.noise(0.25));
  if (protocol === 'udp') {
    cell.packetsForward = requests;
    cell.packetsReverse = load.responseBytes > 0 ? requests : 0;
    cell.bytesForward = payloadForward + cell.packetsForward * UDP_HEADER_BYTES;
    cell.bytesReverse = cell.packetsReverse > 0 ? payloadReverse + cell.packetsReverse * UDP_HEADER_BYTES : 0;
    return;
  }
  const segmentSize = Math.min(window.sourceView.mss, plan.destinationView.mss) - 100;
  const dataForward = requests > 0 ? Math.max(requests, Math.ceil(payloadForward / segmentSize)) : 0;
  const dataReverse =
    requests > 0 && payloadReverse > 0 ? Math.max(requests, Math.ceil(payloadReverse / segmentSize)) : 0;
  const baseRetransmissionRate =
    window.sourceView.type === 'wep' && plan.destinationView.type === 'wep' ? 0.0003 : 0.002;
  const retransmissionRate = baseRetransmissionRate + 0.05 * degradation;
  cell.sourceRetransmissions = random.poisson(dataForward * retransmissionRate);
  cell.destinationRetransmissions = random.poisson(dataReverse * retransmissionRate);
  cell.lostPackets = random.binomial(cell.sourceRetransmissions + cell.destinationRetransmissions, 0.35);
  cell.unrecoveredTimeouts = degradation > 0 ? random.poisson(cell.flows * 0.3 * degradation) : 0;
  // Handshake and teardown: SYN, ACK, FIN, ACK from the client; SYN-ACK, FIN, ACK from the server.
  const controlForward = 2 * cell.started + cell.completed;
  const controlReverse = cell.started + cell.completed;
  cell.packetsForward = dataForward + Math.ceil(dataReverse / 2) + controlForward + cell.sourceRetransmissions;
  cell.packetsReverse = dataReverse + Math.ceil(dataForward / 2) + controlReverse + cell.destinationRetransmissions;
  const retransmittedBytes = (count: number): number => count * Math.round(segmentSize / 2);
  cell.bytesForward =
    payloadForward + cell.packetsForward * TCP_HEADER_BYTES + retransmittedBytes(cell.sourceRetransmissions);
  cell.bytesReverse =
    payloadReverse + cell.packetsReverse * TCP_HEADER_BYTES + retransmittedBytes(cell.destinationRetransmissions);
  const serverLoad = 1 + 0.4 * (load.shape === 'diurnal' ? context.userActivity : 0.3);
  cell.smoothRttMicros = rttMicros * serverLoad * (1 + 9 * degradation) * random.noise(0.15);
}

function addCell(total: Cell, cell: Cell): void {
  // RTT is averaged over flows, everything else summed.
  const flows = total.flows + cell.flows;
  total.smoothRttMicros =
    flows > 0 ? (total.smoothRttMicros * total.flows + cell.smoothRttMicros * cell.flows) / flows : 0;
  total.flows = flows;
  total.started += cell.started;
  total.completed += cell.completed;
  total.bytesForward += cell.bytesForward;
  total.bytesReverse += cell.bytesReverse;
  total.packetsForward += cell.packetsForward;
  total.packetsReverse += cell.packetsReverse;
  total.sourceRetransmissions += cell.sourceRetransmissions;
  total.destinationRetransmissions += cell.destinationRetransmissions;
  total.lostPackets += cell.lostPackets;
  total.unrecoveredTimeouts += cell.unrecoveredTimeouts;
}

/** Calico's TCP socket statistics for one record; times in microseconds as Calico writes them. */
interface TcpStatistics {
  meanSendCongestionWindow: number;
  minSendCongestionWindow: number;
  meanSmoothRtt: number;
  maxSmoothRtt: number;
  meanMinRtt: number;
  maxMinRtt: number;
  meanMss: number;
  minMss: number;
  retransmissions: number;
  lostPackets: number;
  unrecoveredTimeouts: number;
}

function tcpStats(total: Cell, reporter: 'src' | 'dst', window: EdgeWindow, established: boolean): TcpStatistics {
  const retransmissions = reporter === 'src' ? total.sourceRetransmissions : total.destinationRetransmissions;
  if (!established || total.smoothRttMicros <= 0) {
    // No handshake completed: no RTT or MSS; only the client's SYN retransmissions.
    return {
      meanSendCongestionWindow: 0,
      minSendCongestionWindow: 0,
      meanSmoothRtt: 0,
      maxSmoothRtt: 0,
      meanMinRtt: 0,
      maxMinRtt: 0,
      meanMss: 0,
      minMss: 0,
      retransmissions,
      lostPackets: 0,
      unrecoveredTimeouts: 0,
    };
  }
  const { random, degradation } = window;
  const pooled = window.plan.edge.load.connections.kind === 'pooled';
  const meanRtt = Math.max(1, Math.round(total.smoothRttMicros));
  const meanMinRtt = Math.max(1, Math.round(meanRtt * random.between(0.45, 0.7)));
  // Losses shrink the congestion window; long-lived pooled connections have grown theirs.
  const congestion = 1 + 2 * degradation + (retransmissions > 0 ? 0.5 : 0);
  const meanWindow = Math.max(2, Math.round((pooled ? random.between(24, 64) : random.between(10, 16)) / congestion));
  const mss = Math.min(window.sourceView.mss, window.plan.destinationView.mss);
  return {
    meanSendCongestionWindow: meanWindow,
    minSendCongestionWindow: Math.min(meanWindow, retransmissions > 0 ? 2 : 10),
    meanSmoothRtt: meanRtt,
    maxSmoothRtt: Math.round(meanRtt * random.between(1.4, 2.8) * (1 + degradation)),
    meanMinRtt: meanMinRtt,
    maxMinRtt: Math.round(meanMinRtt * random.between(1.1, 1.6)),
    meanMss: mss,
    minMss: mss === INTERNET_MSS ? 1340 : mss,
    retransmissions,
    lostPackets: total.lostPackets,
    unrecoveredTimeouts: total.unrecoveredTimeouts,
  };
}

/**
 * One record as a single object literal with every key in Felix's order: a stable object shape keeps generation
 * and JSON.stringify fast. Non-TCP records leave the TCP fields undefined, which JSON.stringify omits.
 */
function buildRecord(
  window: EdgeWindow,
  context: WindowContext,
  reporter: 'src' | 'dst',
  group: NodeGroup,
  total: Cell,
  traces: PolicyTraces,
  established: boolean,
): CalicoFlowLogRecord {
  const { plan, sourceView } = window;
  const { edge, destinationView } = plan;
  const service = edge.service;
  const sending = reporter === 'src';
  const local = sending ? sourceView : destinationView;
  const tcp = edge.protocol === 'tcp' ? tcpStats(total, reporter, window, established) : undefined;
  return {
    start_time: context.start,
    end_time: context.start + context.seconds,
    source_ip: null,
    source_name: '-',
    source_name_aggr: sourceView.nameAggr,
    source_namespace: sourceView.namespace,
    nat_outgoing_ports: null,
    source_port: null,
    source_type: sourceView.type,
    source_labels: sourceView.labels,
    dest_ip: null,
    dest_name: '-',
    dest_name_aggr: destinationView.nameAggr,
    dest_namespace: destinationView.namespace,
    dest_port: edge.destPort ?? null,
    dest_type: destinationView.type,
    dest_labels: destinationView.labels,
    dest_service_namespace: service?.namespace ?? '-',
    dest_service_name: service?.name ?? '-',
    dest_service_port: service?.portName ?? '-',
    dest_service_port_num: service?.port ?? null,
    dest_domains: plan.destinationDomains,
    proto: edge.protocol,
    action: traces.action,
    reporter,
    policies: { all_policies: traces.enforced, enforced_policies: traces.enforced, pending_policies: traces.pending },
    // From the reporter's point of view: the source sends the forward direction, the destination receives it.
    bytes_in: sending ? total.bytesReverse : total.bytesForward,
    bytes_out: sending ? total.bytesForward : total.bytesReverse,
    num_flows: total.flows,
    num_flows_started: total.started,
    num_flows_completed: total.completed,
    packets_in: sending ? total.packetsReverse : total.packetsForward,
    packets_out: sending ? total.packetsForward : total.packetsReverse,
    http_requests_allowed_in: 0,
    http_requests_denied_in: 0,
    process_name: local.processPath ?? '-',
    num_process_names: local.processPath === undefined ? 0 : 1,
    process_id: group.processId,
    num_process_ids: group.podNames.length,
    // Felix collects process arguments only when asked to; by default it writes "-".
    process_args: ['-'],
    num_process_args: 0,
    original_source_ips: null,
    num_original_source_ips: 0,
    tcp_mean_send_congestion_window: tcp?.meanSendCongestionWindow,
    tcp_min_send_congestion_window: tcp?.minSendCongestionWindow,
    tcp_mean_smooth_rtt: tcp?.meanSmoothRtt,
    tcp_max_smooth_rtt: tcp?.maxSmoothRtt,
    tcp_mean_min_rtt: tcp?.meanMinRtt,
    tcp_max_min_rtt: tcp?.maxMinRtt,
    tcp_mean_mss: tcp?.meanMss,
    tcp_min_mss: tcp?.minMss,
    tcp_total_retransmissions: tcp?.retransmissions,
    tcp_lost_packets: tcp?.lostPackets,
    tcp_unrecovered_to: tcp?.unrecoveredTimeouts,
    host: group.node,
  };
}

/** All records of one edge for one source view in one window. */
function edgeRecords(window: EdgeWindow, context: WindowContext): CalicoFlowLogRecord[] {
  const { plan, sourceView } = window;
  const destinationView = plan.destinationView;
  const egressAllows = plan.egress === undefined || plan.egress.action === 'allow';
  const ingressAllows = plan.ingress === undefined || plan.ingress.action === 'allow';
  const established = egressAllows && ingressAllows;
  // Peers outside the pod network are one virtual group with no node: they exist but report nothing.
  const sourceGroups: (NodeGroup | undefined)[] = sourceView.groups.length > 0 ? sourceView.groups : [undefined];
  const destinationGroups: (NodeGroup | undefined)[] =
    destinationView.groups.length > 0 ? destinationView.groups : [undefined];
  const sourcePods = sourceGroups.map((group) => group?.podNames.length ?? 1);
  const destinationPods = destinationGroups.map((group) => group?.podNames.length ?? 1);
  const totalSourcePods = sourcePods.reduce((sum, pods) => sum + pods, 0);
  const totalDestinationPods = destinationPods.reduce((sum, pods) => sum + pods, 0);
  const pool = plan.edge.load.connections.kind === 'pooled' ? plan.edge.load.connections.connectionsPerPod : 0;

  const sourceTotals = sourceGroups.map(emptyCell);
  const destinationTotals = destinationGroups.map(emptyCell);
  sourceGroups.forEach((sourceGroup, sourceIndex) => {
    const sourceShare = (sourcePods[sourceIndex] ?? 0) / totalSourcePods;
    // Each source pod's pool spreads over the destination's pods, as a client-side balancer would.
    const connections = proportionalSplit(
      (sourcePods[sourceIndex] ?? 0) * pool,
      destinationPods,
      sourceIndex % destinationPods.length,
    );
    destinationGroups.forEach((destinationGroup, destinationIndex) => {
      // Pooled clients send their requests over their connections; the others spread them over the pods.
      const share =
        pool > 0
          ? (connections[destinationIndex] ?? 0) / (totalSourcePods * pool)
          : sourceShare * ((destinationPods[destinationIndex] ?? 0) / totalDestinationPods);
      const cell = emptyCell();
      const rtt = baseRttMicros(sourceGroup?.node, destinationGroup?.node, window);
      fillCell(cell, window, context, share, connections[destinationIndex] ?? 0, rtt, established);
      const sourceTotal = sourceTotals[sourceIndex];
      if (sourceTotal !== undefined) addCell(sourceTotal, cell);
      // Flows dropped by the source's egress policy never reach the destination's node.
      const destinationTotal = destinationTotals[destinationIndex];
      if (egressAllows && destinationTotal !== undefined) addCell(destinationTotal, cell);
    });
  });

  const records: CalicoFlowLogRecord[] = [];
  if (plan.egress !== undefined) {
    sourceGroups.forEach((group, index) => {
      const total = sourceTotals[index];
      if (group !== undefined && total !== undefined && total.flows > 0 && plan.egress !== undefined) {
        records.push(buildRecord(window, context, 'src', group, total, plan.egress, established));
      }
    });
  }
  if (plan.ingress !== undefined && egressAllows) {
    destinationGroups.forEach((group, index) => {
      const total = destinationTotals[index];
      if (group !== undefined && total !== undefined && total.flows > 0 && plan.ingress !== undefined) {
        records.push(buildRecord(window, context, 'dst', group, total, plan.ingress, established));
      }
    });
  }
  return records;
}

// ---------------------------------------------------------------------------------------------------------------
// The cluster
// ---------------------------------------------------------------------------------------------------------------

export class DemoCluster {
  readonly topology: DemoTopology;
  readonly seed: number;
  readonly incidentPeriodSeconds: number;
  private readonly plans: readonly EdgePlan[];
  private readonly dnsClients: ReturnType<typeof dnsClients>;
  private readonly httpEdges: ReturnType<typeof httpEdges>;
  private readonly auditLog: DemoAuditLog;

  constructor(options: DemoClusterOptions) {
    if (!Number.isSafeInteger(options.seed))
      throw new Error(`demo cluster: seed must be an integer, got ${options.seed}`);
    const period = options.incidentPeriodSeconds ?? DEFAULT_INCIDENT_PERIOD_SECONDS;
    // Below a minute the 5-minute-in-an-hour incidents would last under 5 seconds, shorter than a window.
    if (!Number.isFinite(period) || period < 60) {
      throw new Error(`demo cluster: incidentPeriodSeconds must be at least 60, got ${period}`);
    }
    this.seed = options.seed;
    this.incidentPeriodSeconds = period;
    this.topology = DEMO_TOPOLOGY;
    this.plans = this.topology.edges.map((edge) => planEdge(this.topology, edge));
    this.dnsClients = dnsClients(this.topology);
    this.httpEdges = httpEdges(this.topology);
    this.auditLog = new DemoAuditLog(this.topology, this.seed, this.incidentPeriodSeconds);
  }

  /** The incidents active at unix time `t` (seconds). */
  incidentsAt(t: number): string[] {
    const phase =
      (((t % this.incidentPeriodSeconds) + this.incidentPeriodSeconds) % this.incidentPeriodSeconds) /
      this.incidentPeriodSeconds;
    return INCIDENTS.filter((incident) => phase >= incident.startFraction && phase < incident.endFraction).map(
      (incident) => incident.name,
    );
  }

  /** Fraction of [from, to) during which the incident is active (0 when it does not overlap). */
  incidentOverlap(name: IncidentName, from: number, to: number): number {
    const incident = INCIDENTS.find((candidate) => candidate.name === name);
    if (incident === undefined || to <= from) return 0;
    const period = this.incidentPeriodSeconds;
    let covered = 0;
    for (let cycle = Math.floor(from / period) - 1; cycle * period < to; cycle++) {
      const start = cycle * period + incident.startFraction * period;
      const end = cycle * period + incident.endFraction * period;
      covered += Math.max(0, Math.min(end, to) - Math.max(start, from));
    }
    return covered / (to - from);
  }

  /** Flow log lines (JSON, no newline) for the window [windowStart, windowStart + windowSeconds), unix seconds. */
  linesFor(windowStart: number, windowSeconds: number): string[] {
    return this.recordsFor(windowStart, windowSeconds).map((record) => JSON.stringify(record));
  }

  /** Calico DNS log lines (JSON, no newline) for the same window. */
  dnsLinesFor(windowStart: number, windowSeconds: number): string[] {
    const start = Math.floor(windowStart);
    const seconds = Math.max(1, Math.round(windowSeconds));
    const records = dnsRecordsFor(this.topology, this.dnsClients, {
      start,
      seconds,
      userActivity: diurnalMultiplier(start + seconds / 2),
      stormActivity: this.incidentOverlap('shipping-nxdomain-storm', start, start + seconds),
      seed: mixSeeds(this.seed, start, seconds, 0x53),
    });
    return records.map((record) => JSON.stringify(record));
  }

  /** Kubernetes audit log lines (audit.k8s.io/v1 Events, JSON, no newline) whose stage time is in the window. */
  auditLinesFor(windowStart: number, windowSeconds: number): string[] {
    const start = Math.floor(windowStart);
    const seconds = Math.max(1, Math.round(windowSeconds));
    const events = this.auditLog.eventsFor({
      start,
      seconds,
      userActivity: diurnalMultiplier(start + seconds / 2),
      seed: mixSeeds(this.seed, start, seconds, 0xa0),
      incidentOverlap: (incident) => this.incidentOverlap(incident, start, start + seconds),
    });
    return events.map((event) => JSON.stringify(event));
  }

  /** Calico L7 log lines (JSON, no newline) for the same window. */
  httpLinesFor(windowStart: number, windowSeconds: number): string[] {
    const start = Math.floor(windowStart);
    const seconds = Math.max(1, Math.round(windowSeconds));
    const end = start + seconds;
    const records = httpRecordsFor(this.httpEdges, {
      start,
      seconds,
      userActivity: diurnalMultiplier(start + seconds / 2),
      seed: mixSeeds(this.seed, start, seconds, 0x80),
      edgeWindow: (edge) => {
        if (edge.degradedDuring === undefined) return { degradation: 0, progress: 0 };
        const degradation = this.incidentOverlap(edge.degradedDuring, start, end);
        return {
          degradation,
          progress: degradation > 0 ? this.incidentProgress(edge.degradedDuring, start + seconds / 2) : 0,
        };
      },
    });
    return records.map((record) => JSON.stringify(record));
  }

  /** How far into the incident unix time `t` is, 0 at its start to 1 at its end; 0 outside it. */
  incidentProgress(name: IncidentName, t: number): number {
    const incident = INCIDENTS.find((candidate) => candidate.name === name);
    if (incident === undefined) return 0;
    const period = this.incidentPeriodSeconds;
    const phase = (((t % period) + period) % period) / period;
    if (phase < incident.startFraction || phase >= incident.endFraction) return 0;
    return (phase - incident.startFraction) / (incident.endFraction - incident.startFraction);
  }

  /** The same records as `linesFor`, as objects. */
  recordsFor(windowStart: number, windowSeconds: number): CalicoFlowLogRecord[] {
    if (!Number.isFinite(windowStart) || !Number.isFinite(windowSeconds) || windowSeconds <= 0) {
      throw new Error(`demo cluster: bad window ${windowStart}+${windowSeconds}s`);
    }
    // Calico stamps whole seconds.
    const start = Math.floor(windowStart);
    const seconds = Math.max(1, Math.round(windowSeconds));
    const end = start + seconds;
    const context: WindowContext = { start, seconds, userActivity: diurnalMultiplier(start + seconds / 2) };
    const windowSeed = mixSeeds(this.seed, start, seconds);
    const records: CalicoFlowLogRecord[] = [];
    for (const plan of this.plans) {
      const { edge } = plan;
      const activity = edge.activeDuring === undefined ? 1 : this.incidentOverlap(edge.activeDuring, start, end);
      if (activity <= 0) continue;
      const degradation = edge.degradedDuring === undefined ? 0 : this.incidentOverlap(edge.degradedDuring, start, end);
      for (const { view, fraction, seedSalt } of this.sourceViews(plan, start, end)) {
        const random = new SeededRandom(mixSeeds(windowSeed, plan.edgeSeed, seedSalt));
        records.push(
          ...edgeRecords({ plan, sourceView: view, activity: activity * fraction, degradation, random }, context),
        );
      }
    }
    return records;
  }

  /** A CronJob source is a different pod (and pod prefix) per Job run; everything else has one fixed view. */
  private sourceViews(
    plan: EdgePlan,
    start: number,
    end: number,
  ): { view: EndpointView; fraction: number; seedSalt: number }[] {
    if (plan.sourceView !== undefined) return [{ view: plan.sourceView, fraction: 1, seedSalt: 0 }];
    const source = plan.edge.source;
    if (source.kind !== 'workload') return [];
    return cronJobRuns(source.workload, this.topology.nodes, start, end).map((run) => ({
      view: workloadView(source.workload, [nodeGroup(run.node, [run.podName])], run.jobName),
      fraction: (Math.min(run.endTime, end) - Math.max(run.startTime, start)) / (end - start),
      seedSalt: hashString(run.jobName),
    }));
  }
}
