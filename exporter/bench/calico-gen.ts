/**
 * A synthetic but realistic Calico flow log for the benchmarks: one node's flows.log, 5-minute aggregation
 * windows, every field Calico writes (policy trace, pending policies, TCP statistics). A fixed cluster
 * topology (namespaces, Deployments/StatefulSets/DaemonSets, their dependencies, DNS, scraping, egress,
 * ingress and denied traffic) gives a few thousand distinct series, as a busy node does. Deterministic: the
 * same seed gives the same bytes on every run and machine.
 */
import * as fs from 'node:fs';
import { mulberry32 } from '../src/demo/random';
import { pick, between, safeString, type Random } from './random-text';

export const NAMESPACES = [
  'shop',
  'payments',
  'catalog',
  'search',
  'identity',
  'notifications',
  'analytics',
  'ml-serving',
  'orders',
  'inventory',
  'shipping',
  'reviews',
  'ads',
  'recommendations',
  'media',
  'gateway',
  'billing',
  'crm',
  'reporting',
  'data-kafka',
  'data-redis',
  'data-postgres',
  'monitoring',
  'logging',
  'ingress-nginx',
  'cert-manager',
  'argocd',
] as const;
export const WORKLOAD_WORDS = [
  'api',
  'web',
  'worker',
  'consumer',
  'scheduler',
  'cache',
  'indexer',
  'gateway',
  'sync',
  'exporter',
  'frontend',
  'backend',
  'grpc',
  'admin',
  'auth',
  'events',
  'jobs',
  'processor',
  'importer',
  'notifier',
  'renderer',
  'router',
] as const;
const APP_PORTS = [80, 8080, 8443, 9000, 50051, 3000, 8000] as const;

type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet';

interface Workload {
  namespace: string;
  name: string;
  kind: WorkloadKind;
  /** Calico's aggregated pod names for this workload (two ReplicaSets while a rollout is under way). */
  podAggregates: string[];
  service: string;
  ports: number[];
  labels: string[];
  /** Whether the namespace enforces policies (otherwise the namespace profile allows). */
  policed: boolean;
  stagedLockdown: boolean;
}

type PeerType = 'wep' | 'net';

interface Peer {
  type: PeerType;
  workload: Workload | undefined;
  /** `pub` or `pvt` for net peers. */
  netAggregate: string;
}

/** One line template: a direction between two peers on a port, with a fixed verdict and trace. */
interface Edge {
  source: Peer;
  dest: Peer;
  port: number;
  proto: 'tcp' | 'udp';
  action: 'allow' | 'deny';
  reporter: 'src' | 'dst';
  enforced: string[];
  pending: string[];
  /** Relative activity: the chance the edge appears in a window and the size of its records. */
  heat: number;
}

function makeWorkload(random: Random, namespace: string, name: string, kind: WorkloadKind, policed: boolean): Workload {
  const aggregates: string[] = [];
  const templateHash = safeString(random, between(random, 8, 10));
  if (kind === 'Deployment') {
    aggregates.push(`${name}-${templateHash}-*`);
    if (random() < 0.15) aggregates.push(`${name}-${safeString(random, between(random, 8, 10))}-*`);
  } else if (kind === 'StatefulSet') {
    const replicas = between(random, 1, 3);
    for (let i = 0; i < replicas; i++) aggregates.push(`${name}-${i}`);
  } else {
    aggregates.push(`${name}-*`);
  }
  const isData = namespace.startsWith('data-');
  const ports = isData
    ? [namespace === 'data-kafka' ? 9092 : namespace === 'data-redis' ? 6379 : 5432]
    : [pick(random, APP_PORTS), ...(random() < 0.35 ? [9090] : [])];
  return {
    namespace,
    name,
    kind,
    podAggregates: aggregates,
    service: kind === 'DaemonSet' ? '-' : name,
    ports,
    labels: [
      `app=${name}`,
      `app.kubernetes.io/part-of=${namespace}`,
      ...(kind === 'Deployment' ? [`pod-template-hash=${templateHash}`] : []),
    ],
    policed,
    stagedLockdown: policed && random() < 0.3,
  };
}

function buildTopology(random: Random): { workloads: Workload[]; edges: Edge[] } {
  const workloads: Workload[] = [];
  const byNamespace = new Map<string, Workload[]>();
  for (const namespace of NAMESPACES) {
    const policed = random() < 0.7;
    const list: Workload[] = [];
    const count = namespace.startsWith('data-') ? 3 : between(random, 6, 12);
    const used = new Set<string>();
    for (let i = 0; i < count; i++) {
      let name = namespace.startsWith('data-')
        ? `${namespace.slice(5)}-${['main', 'replica', 'analytics'][i] ?? i}`
        : `${namespace.split('-')[0]}-${pick(random, WORKLOAD_WORDS)}`;
      if (used.has(name)) name = `${name}-${i}`;
      used.add(name);
      const kind: WorkloadKind = namespace.startsWith('data-')
        ? 'StatefulSet'
        : random() < 0.85
          ? 'Deployment'
          : random() < 0.5
            ? 'StatefulSet'
            : 'DaemonSet';
      list.push(makeWorkload(random, namespace, name, kind, policed));
    }
    byNamespace.set(namespace, list);
    workloads.push(...list);
  }
  const coredns = makeWorkload(random, 'kube-system', 'coredns', 'Deployment', false);
  coredns.service = 'kube-dns';
  coredns.ports = [53];
  const prometheus = byNamespace.get('monitoring')![0]!;
  const ingress = byNamespace.get('ingress-nginx')![0]!;
  const data = workloads.filter((workload) => workload.namespace.startsWith('data-'));
  const apps = workloads.filter((workload) => !workload.namespace.startsWith('data-'));

  const edges: Edge[] = [];
  const pod = (workload: Workload): Peer => ({ type: 'wep', workload, netAggregate: '' });
  const net = (aggregate: 'pub' | 'pvt'): Peer => ({ type: 'net', workload: undefined, netAggregate: aggregate });
  const allowTrace = (target: Workload, rule: number): string[] => {
    if (!target.policed) return [`0|__PROFILE__|__PROFILE__.kns.${target.namespace}|allow|0`];
    const ns = target.namespace;
    return random() < 0.5
      ? [
          '0|security|security.baseline|pass|0',
          `1|platform|platform.allow-${ns}-egress|pass|${rule % 3}`,
          `2|default|${ns}/default.allow-${target.name}|allow|${rule % 4}`,
        ]
      : [
          `0|platform|platform.allow-dns|pass|0`,
          `1|default|${ns}/knp.default.allow-${target.name}-ingress|allow|${rule % 2}`,
        ];
  };
  const pendingOf = (target: Workload): string[] =>
    target.stagedLockdown ? [`0|default|${target.namespace}/staged:default.lockdown|deny|-1`] : [];
  const add = (
    source: Peer,
    dest: Peer,
    port: number,
    proto: 'tcp' | 'udp',
    action: 'allow' | 'deny',
    trace: string[],
    pending: string[],
    heat: number,
  ): void => {
    // A node sees the sending side of its own pods (src) and the receiving side (dst); many edges both.
    const local = random();
    const reporters: ('src' | 'dst')[] = local < 0.4 ? ['src'] : local < 0.75 ? ['dst'] : ['src', 'dst'];
    if (source.type === 'net') reporters.splice(0, reporters.length, 'dst');
    if (dest.type === 'net') reporters.splice(0, reporters.length, 'src');
    for (const reporter of reporters)
      edges.push({ source, dest, port, proto, action, reporter, enforced: trace, pending, heat });
  };

  for (const client of apps) {
    // Dependencies: mostly within the namespace, some across, and shared data stores.
    const siblings = byNamespace.get(client.namespace)!.filter((other) => other !== client);
    const targets = new Set<Workload>();
    for (let i = between(random, 2, 6); i > 0; i--) {
      const roll = random();
      if (roll < 0.55 && siblings.length > 0) targets.add(pick(random, siblings));
      else if (roll < 0.8) targets.add(pick(random, data));
      else targets.add(pick(random, apps));
    }
    for (const target of targets) {
      for (const port of target.ports) {
        const denied = target.policed && random() < 0.06;
        const trace = denied
          ? [`0|default|${target.namespace}/knp.default.default-deny|deny|-1`]
          : allowTrace(target, port);
        add(pod(client), pod(target), port, 'tcp', denied ? 'deny' : 'allow', trace, pendingOf(target), 0.2 + random());
      }
    }
    // DNS from every workload, over UDP and sometimes TCP.
    add(pod(client), pod(coredns), 53, 'udp', 'allow', ['0|platform|platform.allow-dns|allow|0'], [], 1.5);
    if (random() < 0.3)
      add(pod(client), pod(coredns), 53, 'tcp', 'allow', ['0|platform|platform.allow-dns|allow|1'], [], 0.3);
    // Prometheus scrapes every workload's metrics port.
    add(
      pod(prometheus),
      pod(client),
      client.ports[client.ports.length - 1]!,
      'tcp',
      'allow',
      ['0|platform|platform.allow-monitoring|allow|0'],
      [],
      0.6,
    );
    // Egress to the internet, allowed for some and denied for others.
    if (random() < 0.3) {
      const denied = random() < 0.3;
      const trace = denied
        ? ['0|security|security.block-egress|deny|-1']
        : ['0|security|security.allow-https-egress|allow|0'];
      add(pod(client), net('pub'), 443, 'tcp', denied ? 'deny' : 'allow', trace, [], 0.4);
    }
    // Probes from elsewhere in the cluster that policy turns away.
    if (client.policed && random() < 0.4) {
      add(
        net('pvt'),
        pod(client),
        pick(random, [22, 2379, 10250, client.ports[0]!]),
        'tcp',
        'deny',
        [`0|default|${client.namespace}/knp.default.default-deny|deny|-1`],
        [],
        0.1,
      );
    }
  }
  add(net('pub'), pod(ingress), 443, 'tcp', 'allow', ['0|security|security.allow-ingress|allow|0'], [], 3);
  add(net('pub'), pod(ingress), 80, 'tcp', 'allow', ['0|security|security.allow-ingress|allow|1'], [], 1);
  add(net('pub'), pod(ingress), 22, 'tcp', 'deny', ['0|security|security.block-known-bad|deny|2'], [], 0.5);
  for (const gateway of apps.filter(
    (workload) => workload.namespace === 'gateway' || workload.name.endsWith('-frontend'),
  )) {
    add(pod(ingress), pod(gateway), gateway.ports[0]!, 'tcp', 'allow', allowTrace(gateway, 0), pendingOf(gateway), 2);
  }
  return { workloads, edges };
}

function endpointFields(prefix: 'source_' | 'dest_', peer: Peer, random: Random): Record<string, unknown> {
  const workload = peer.workload;
  if (peer.type === 'net' || workload === undefined) {
    return {
      [`${prefix}ip`]: null,
      [`${prefix}name`]: '-',
      [`${prefix}name_aggr`]: peer.netAggregate,
      [`${prefix}namespace`]: '-',
      [`${prefix}type`]: 'net',
      [`${prefix}labels`]: '-',
    };
  }
  const aggregate = pick(random, workload.podAggregates);
  return {
    [`${prefix}ip`]: null,
    [`${prefix}name`]: workload.kind === 'StatefulSet' ? aggregate : '-',
    [`${prefix}name_aggr`]: aggregate,
    [`${prefix}namespace`]: workload.namespace,
    [`${prefix}type`]: 'wep',
    [`${prefix}labels`]: { labels: workload.labels },
  };
}

const PORT_NAMES: Readonly<Record<number, string>> = {
  53: 'dns',
  5432: 'postgres',
  6379: 'redis',
  9092: 'kafka',
  9090: 'metrics',
  50051: 'grpc',
  8443: 'https',
};

function lineOf(edge: Edge, window: number, host: string, random: Random): { text: string; bytes: number } {
  const flows = Math.max(1, Math.round(edge.heat * (1 + random() * 30)));
  const started = Math.min(flows, Math.round(flows * random()));
  const completed = Math.min(flows, Math.round(flows * random()));
  const requestBytes = flows * between(random, 80, 4000);
  const replyBytes = edge.action === 'deny' ? 0 : flows * between(random, 100, 60_000);
  const requestPackets = Math.max(1, Math.round(requestBytes / 900));
  const replyPackets = replyBytes === 0 ? 0 : Math.max(1, Math.round(replyBytes / 1200));
  const fromSource = edge.reporter === 'src';
  const source = endpointFields('source_', edge.source, random);
  const dest = endpointFields('dest_', edge.dest, random);
  const tcp = edge.proto === 'tcp';
  const record = {
    start_time: 1732000000 + window * 300,
    end_time: 1732000000 + window * 300 + 300,
    host,
    action: edge.action,
    reporter: edge.reporter,
    proto: edge.proto,
    bytes_in: fromSource ? replyBytes : requestBytes,
    bytes_out: fromSource ? requestBytes : replyBytes,
    packets_in: fromSource ? replyPackets : requestPackets,
    packets_out: fromSource ? requestPackets : replyPackets,
    num_flows: flows,
    num_flows_started: started,
    num_flows_completed: completed,
    source_ip: source['source_ip'],
    source_name: source['source_name'],
    source_name_aggr: source['source_name_aggr'],
    source_namespace: source['source_namespace'],
    source_port: null,
    source_type: source['source_type'],
    source_labels: source['source_labels'],
    dest_ip: dest['dest_ip'],
    dest_name: dest['dest_name'],
    dest_name_aggr: dest['dest_name_aggr'],
    dest_namespace: dest['dest_namespace'],
    dest_port: edge.port,
    dest_type: dest['dest_type'],
    dest_labels: dest['dest_labels'],
    dest_service_name: edge.dest.workload?.service ?? '-',
    dest_service_namespace: edge.dest.workload?.service === '-' ? '-' : (edge.dest.workload?.namespace ?? '-'),
    dest_service_port:
      edge.dest.workload === undefined || edge.dest.workload.service === '-' ? '-' : (PORT_NAMES[edge.port] ?? 'http'),
    policies: { enforced_policies: edge.enforced, pending_policies: edge.pending },
    process_name: '-',
    tcp_mean_smooth_rtt: tcp ? between(random, 50, 20_000) : 0,
    tcp_max_smooth_rtt: tcp ? between(random, 20_000, 200_000) : 0,
    tcp_total_retransmissions: tcp && random() < 0.2 ? between(random, 1, 20) : 0,
    tcp_lost_packets: tcp && random() < 0.1 ? between(random, 1, 5) : 0,
    tcp_unrecovered_to: tcp && random() < 0.02 ? 1 : 0,
  };
  return { text: JSON.stringify(record), bytes: record.bytes_in + record.bytes_out };
}

export interface GeneratedLog {
  path: string;
  lines: number;
  fileBytes: number;
  /** The sum of bytes_in + bytes_out over all lines: what flowlens_flow_bytes_total must add up to. */
  totalBytes: number;
  workloads: number;
  edges: number;
  /** Distinct edges (one per series of flowlens_flows_total) that appear in the file. */
  edgesUsed: number;
}

/** Writes `lines` lines to `path`, one 5-minute window after another, each holding the edges active in it. */
export function generateCalicoLog(path: string, lines: number, seed: number): GeneratedLog {
  const random = mulberry32(seed);
  const { workloads, edges } = buildTopology(random);
  const fd = fs.openSync(path, 'w');
  let written = 0;
  let fileBytes = 0;
  let totalBytes = 0;
  const used = new Set<Edge>();
  let chunk: string[] = [];
  const flush = (): void => {
    if (chunk.length === 0) return;
    const text = chunk.join('');
    fileBytes += Buffer.byteLength(text);
    fs.writeSync(fd, text);
    chunk = [];
  };
  try {
    for (let window = 0; written < lines; window++) {
      for (const edge of edges) {
        if (written >= lines) break;
        // Hot edges show up in nearly every window, cold ones now and then.
        if (random() > Math.min(0.95, 0.15 + edge.heat * 0.5)) continue;
        const line = lineOf(edge, window, 'node-a', random);
        chunk.push(line.text, '\n');
        totalBytes += line.bytes;
        used.add(edge);
        written++;
        if (chunk.length >= 20_000) flush();
      }
    }
    flush();
  } finally {
    fs.closeSync(fd);
  }
  return {
    path,
    lines: written,
    fileBytes,
    totalBytes,
    workloads: workloads.length,
    edges: edges.length,
    edgesUsed: used.size,
  };
}
