/**
 * Turns the demo topology into Calico DNS log lines, one per client workload, name, type and response code
 * per window, as Felix writes them with pods aggregated by prefix. Every workload resolves the services it
 * calls (`<service>.<namespace>.svc.cluster.local`) and the external domains it reaches through kube-dns;
 * an external name is looked up through the pod's search path first (ndots:5), so each of those lookups
 * also costs NXDOMAIN answers for `<domain>.<namespace>.svc.cluster.local` and friends, as in a real
 * cluster. During the `shipping-nxdomain-storm` incident shop/shipping, rolled out with a wrong carrier
 * host name, resolves non-existent names in a tight retry loop. The exporter feeds these lines through the
 * `calico-dns` decoder, like a real dns.log.
 */
import { SeededRandom, hashString, mixSeeds } from './random';
import { podLabels, podNamePrefix, workloadKey, type DemoTopology, type WorkloadSpec } from './topology';

/** The JSON object of one DNS log line, keys in the order Felix writes them. */
export interface CalicoDnsLogRecord {
  start_time: string;
  end_time: string;
  type: 'LOG';
  count: number;
  client_ip: string;
  client_name: string;
  client_name_aggr: string;
  client_namespace: string;
  client_labels: { labels: string[] };
  qname: string;
  qtype: string;
  qclass: 'IN';
  rcode: string;
  rrsets: { name: string; type: string; class: 'IN'; rdata: string[] }[];
  servers: { ip: string; name: string; name_aggr: string; namespace: string; labels: { labels: string[] } }[];
  latency_count: number;
  latency_mean: number;
  latency_max: number;
}

export const CLUSTER_DOMAIN = 'cluster.local';
export const STORM_CLIENT = 'shop/shipping';
/** Queries a second the misconfigured client makes during the storm, and how many shard names it cycles through. */
const STORM_QUERIES_PER_SECOND = 120;
const STORM_SHARDS = 400;
/** Names a window of the storm touches: enough to push past the domain family's top-K, not enough to flood the demo. */
const STORM_NAMES_PER_WINDOW = 60;

interface ResolvedName {
  qname: string;
  external: boolean;
  answer: string;
}

interface DnsClient {
  workload: WorkloadSpec;
  names: ResolvedName[];
}

/** What each workload resolves: the services and external domains of its call-graph edges. */
export function dnsClients(topology: DemoTopology): DnsClient[] {
  const clients = new Map<string, DnsClient>();
  for (const workload of topology.workloads) {
    if (workload.dnsQueriesPerSecond <= 0 || workload.kind === 'CronJob') continue;
    clients.set(workloadKey(workload), { workload, names: [] });
  }
  const seen = new Set<string>();
  for (const edge of topology.edges) {
    if (edge.source.kind !== 'workload') continue;
    const client = clients.get(workloadKey(edge.source.workload));
    if (client === undefined) continue;
    let name: ResolvedName | undefined;
    if (edge.service !== undefined) {
      const service = topology.services.find(
        (candidate) => candidate.namespace === edge.service?.namespace && candidate.name === edge.service.name,
      );
      name = {
        qname: `${edge.service.name}.${edge.service.namespace}.svc.${CLUSTER_DOMAIN}`,
        external: false,
        answer: serviceIp(service?.namespace ?? '', service?.name ?? ''),
      };
    } else if (edge.destination.kind === 'external' && edge.destination.peer.domain !== undefined) {
      name = { qname: edge.destination.peer.domain, external: true, answer: edge.destination.peer.ip };
    }
    if (name === undefined || seen.has(`${workloadKey(client.workload)} ${name.qname}`)) continue;
    seen.add(`${workloadKey(client.workload)} ${name.qname}`);
    client.names.push(name);
  }
  for (const client of clients.values()) {
    if (client.names.length === 0) {
      client.names.push({ qname: `kubernetes.default.svc.${CLUSTER_DOMAIN}`, external: false, answer: '10.96.0.1' });
    }
  }
  return [...clients.values()];
}

/** A stable made-up ClusterIP per service (the demo's flow logs never show service IPs). */
function serviceIp(namespace: string, name: string): string {
  const hash = hashString(`${namespace}/${name}`);
  return `10.96.${(hash >>> 8) & 0xff}.${(hash & 0xfe) + 1}`;
}

export interface DnsWindow {
  start: number;
  seconds: number;
  /** Multiplier of user-driven traffic at this time of day. */
  userActivity: number;
  /** Fraction of the window the NXDOMAIN storm is active. */
  stormActivity: number;
  seed: number;
}

/** Calico DNS log records for one window. */
export function dnsRecordsFor(
  topology: DemoTopology,
  clients: readonly DnsClient[],
  window: DnsWindow,
): CalicoDnsLogRecord[] {
  const coredns = topology.workloads.find(
    (workload) => workload.namespace === 'kube-system' && workload.name === 'coredns',
  );
  const corednsPods = topology.pods.filter((pod) => pod.namespace === 'kube-system' && pod.workload === 'coredns');
  if (coredns === undefined || corednsPods.length === 0) return [];
  const records: CalicoDnsLogRecord[] = [];
  const startText = new Date(window.start * 1000).toISOString();
  const endText = new Date((window.start + window.seconds) * 1000).toISOString();
  for (const client of clients) {
    const { workload } = client;
    const random = new SeededRandom(mixSeeds(window.seed, hashString(workloadKey(workload)), 53));
    const diurnal = ['web', 'backend', 'edge'].includes(workload.labels['tier'] ?? '');
    const rate = workload.dnsQueriesPerSecond * (diurnal ? window.userActivity : 1);
    const server = corednsPods[random.int(corednsPods.length)]!;
    const line = (
      qname: string,
      qtype: string,
      rcode: string,
      count: number,
      meanNs: number,
      answer?: string,
    ): void => {
      records.push({
        start_time: startText,
        end_time: endText,
        type: 'LOG',
        count,
        client_ip: '-',
        client_name: '-',
        client_name_aggr: podNamePrefix(workload),
        client_namespace: workload.namespace,
        client_labels: { labels: labelList(podLabels(workload)) },
        qname,
        qtype,
        qclass: 'IN',
        rcode,
        rrsets: answer === undefined ? [] : [{ name: qname, type: qtype, class: 'IN', rdata: [answer] }],
        servers: [
          {
            ip: server.ip,
            name: '-',
            name_aggr: podNamePrefix(coredns),
            namespace: 'kube-system',
            labels: { labels: labelList(podLabels(coredns)) },
          },
        ],
        latency_count: count,
        latency_mean: Math.round(meanNs),
        latency_max: Math.round(meanNs * random.between(1.2, 4)),
      });
    };
    for (const name of client.names) {
      const count = random.poisson((rate * window.seconds) / client.names.length);
      if (count === 0) continue;
      if (name.external) {
        // ndots:5: the search path is tried first, each step answered NXDOMAIN by the cluster zone.
        for (const suffix of [`${workload.namespace}.svc.${CLUSTER_DOMAIN}`, `svc.${CLUSTER_DOMAIN}`, CLUSTER_DOMAIN]) {
          line(`${name.qname}.${suffix}`, 'A', 'NXDomain', count, random.between(150_000, 400_000));
        }
        line(name.qname, 'A', 'NoError', count, random.between(3_000_000, 25_000_000), name.answer);
        line(name.qname, 'AAAA', 'NoError', count, random.between(3_000_000, 25_000_000));
      } else {
        line(name.qname, 'A', 'NoError', count, random.between(200_000, 900_000), name.answer);
      }
    }
    if (workloadKey(workload) === STORM_CLIENT && window.stormActivity > 0) {
      const total = random.poisson(STORM_QUERIES_PER_SECOND * window.seconds * window.stormActivity);
      const perName = Math.max(1, Math.round(total / STORM_NAMES_PER_WINDOW));
      for (let i = 0; i < STORM_NAMES_PER_WINDOW; i++) {
        const shard = random.int(STORM_SHARDS);
        const qname = `carrier-api-${shard}.shipping-rates.svc.${CLUSTER_DOMAIN}`;
        line(qname, 'A', 'NXDomain', perName, random.between(200_000, 600_000));
      }
    }
  }
  return records;
}

function labelList(labels: Readonly<Record<string, string>>): string[] {
  return Object.entries(labels).map(([key, value]) => `${key}=${value}`);
}
