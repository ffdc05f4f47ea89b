/**
 * Socket scans of the demo cluster's pods, as the `sockets` source would take them on each node: connections from
 * the call graph (pooled clients hold connections open, per-request clients leave TIME_WAIT sockets behind),
 * listening ports of each workload's process, and TCP counters that grow with traffic. During the
 * `checkout-payments-degraded` incident the retransmissions of shop/checkout and payments/payments-api spike,
 * their send queues fill, and payments-api's accept queue overflows, matching the RTT and retransmissions of its flows.
 *
 * Counters are kept per pod across scans, so they only grow; everything random comes from a seeded stream per
 * (seed, window, pod): same seed and windows, same scans.
 */
import type { ListeningPort, PodSockets, SocketScan, SocketStateCount, TcpNamespaceCounters } from '../model/sockets';
import { emptyEndpoint } from '../model/flow';
import { hashString, mixSeeds, SeededRandom } from './random';
import { diurnalMultiplier, type DemoCluster } from './traffic';
import { workloadKey, type DemoTopology, type PodSpec, type WorkloadSpec } from './topology';

const INCIDENT = 'checkout-payments-degraded';
const INCIDENT_WORKLOADS: ReadonlySet<string> = new Set(['shop/checkout', 'payments/payments-api']);
/** Seconds a closed connection stays in TIME_WAIT (Linux: 60). */
const TIME_WAIT_SECONDS = 60;
/** Retransmitted segments per established connection per second, in good times and during the incident. */
const BASE_RETRANSMIT_RATE = 0.002;
const INCIDENT_RETRANSMIT_RATE = 0.6;

interface PodShape {
  pod: PodSpec;
  workload: WorkloadSpec;
  /** Connections the pod holds at the daily peak (as client and server). */
  pooledConnections: number;
  /** Connections per second the pod opens or accepts at the daily peak, one flow each. */
  connectionsPerSecond: number;
  listening: ListeningPort[];
}

/** The kernel's comm: the executable's name, cut to 15 bytes. */
function commOf(path: string): string {
  return (path.split('/').pop() ?? path).slice(0, 15);
}

export class DemoSockets {
  private readonly shapes: PodShape[];
  private readonly counters = new Map<string, TcpNamespaceCounters>();

  constructor(
    topology: DemoTopology,
    private readonly cluster: Pick<DemoCluster, 'incidentOverlap'>,
    private readonly seed: number,
  ) {
    this.shapes = topology.pods.flatMap((pod) => {
      const workload = topology.workloads.find(
        (candidate) => candidate.namespace === pod.namespace && candidate.name === pod.workload,
      );
      return workload === undefined ? [] : [shapeOf(topology, pod, workload)];
    });
  }

  /** The scan taken at the end of the window [windowEnd - seconds, windowEnd). */
  scanAt(windowEnd: number, seconds: number): SocketScan {
    const start = windowEnd - seconds;
    const activity = diurnalMultiplier(start + seconds / 2);
    const incident = this.cluster.incidentOverlap(INCIDENT, start, windowEnd);
    const pods = this.shapes.map((shape) => this.podScan(shape, windowEnd, seconds, activity, incident));
    return { at: windowEnd, pods };
  }

  private podScan(shape: PodShape, at: number, seconds: number, activity: number, incident: number): PodSockets {
    const random = new SeededRandom(mixSeeds(this.seed, at, hashString(shape.pod.name), 0x50c));
    const degraded = INCIDENT_WORKLOADS.has(workloadKey(shape.workload)) ? incident : 0;
    const established = Math.max(1, Math.round(shape.pooledConnections * (0.6 + 0.4 * activity) * random.noise(0.1)));
    const timeWait = Math.round(shape.connectionsPerSecond * activity * TIME_WAIT_SECONDS * random.noise(0.2));
    const listening = shape.listening.filter((port) => port.protocol === 'tcp').length;
    const states: SocketStateCount[] = [
      {
        protocol: 'tcp',
        state: 'established',
        count: established,
        // Unacknowledged bytes pile up when the peer's path drops segments.
        sendQueueBytes: Math.round(established * (200 + degraded * 40_000) * random.noise(0.5)),
        receiveQueueBytes: Math.round(established * 50 * random.noise(0.5)),
      },
      { protocol: 'tcp', state: 'listen', count: listening, sendQueueBytes: 0, receiveQueueBytes: 0 },
    ];
    if (timeWait > 0) {
      states.push({ protocol: 'tcp', state: 'time_wait', count: timeWait, sendQueueBytes: 0, receiveQueueBytes: 0 });
    }
    const udp = shape.listening.filter((port) => port.protocol === 'udp').length;
    if (udp > 0)
      states.push({ protocol: 'udp', state: 'unconnected', count: udp, sendQueueBytes: 0, receiveQueueBytes: 0 });

    const counters = this.counters.get(shape.pod.name) ?? {
      // A pod that has been up a while: counters do not start at zero.
      retransmittedSegments: hashString(shape.pod.name) % 5000,
      resetsSent: hashString(`${shape.pod.name}/rst`) % 500,
      establishedResets: hashString(`${shape.pod.name}/estab`) % 100,
      listenOverflows: 0,
      listenDrops: 0,
    };
    const opened = shape.connectionsPerSecond * activity * seconds;
    const retransmitRate = BASE_RETRANSMIT_RATE + degraded * INCIDENT_RETRANSMIT_RATE;
    const overflows = workloadKey(shape.workload) === 'payments/payments-api' ? Math.round(degraded * opened * 0.2) : 0;
    const next: TcpNamespaceCounters = {
      retransmittedSegments:
        counters.retransmittedSegments + Math.round(established * seconds * retransmitRate * random.noise(0.3)),
      resetsSent: counters.resetsSent + Math.round(opened * (0.001 + degraded * 0.05) * random.noise(0.3)),
      establishedResets: counters.establishedResets + Math.round(established * degraded * 0.2 * random.noise(0.3)),
      listenOverflows: counters.listenOverflows + overflows,
      listenDrops: counters.listenDrops + overflows,
    };
    this.counters.set(shape.pod.name, next);
    return {
      netns: 4026532000 + (hashString(shape.pod.name) % 1_000_000),
      podUid: '',
      pod: {
        ...emptyEndpoint(),
        kind: 'pod',
        namespace: shape.pod.namespace,
        workload: shape.workload.name,
        workloadKind: shape.workload.kind,
        pod: shape.pod.name,
        ip: shape.pod.ip,
      },
      addresses: [shape.pod.ip],
      states,
      listening: shape.listening.map((port) => ({ ...port })),
      tcp: { ...next },
    };
  }
}

function shapeOf(topology: DemoTopology, pod: PodSpec, workload: WorkloadSpec): PodShape {
  const key = workloadKey(workload);
  const replicas = Math.max(
    1,
    topology.pods.filter((candidate) => candidate.namespace === pod.namespace && candidate.workload === pod.workload)
      .length,
  );
  let pooledConnections = 0;
  let connectionsPerSecond = 0;
  for (const edge of topology.edges) {
    const from = edge.source.kind === 'workload' ? workloadKey(edge.source.workload) : undefined;
    const to = edge.destination.kind === 'workload' ? workloadKey(edge.destination.workload) : undefined;
    if (from !== key && to !== key) continue;
    if (edge.protocol !== 'tcp') continue;
    if (edge.load.connections.kind === 'pooled') {
      // Each client pod holds its pool; the server side holds the same connections, spread over its pods.
      pooledConnections += from === key ? edge.load.connections.connectionsPerPod : 2;
    } else {
      connectionsPerSecond += edge.load.requestsPerSecond / replicas;
    }
  }
  const comm = commOf(workload.process.path);
  const listening: ListeningPort[] = [];
  const seen = new Set<string>();
  const listen = (protocol: 'tcp' | 'udp', port: number): void => {
    if (seen.has(`${protocol}/${port}`)) return;
    seen.add(`${protocol}/${port}`);
    listening.push({ process: comm, protocol, port, count: 1 });
  };
  for (const service of topology.services) {
    if (service.namespace !== pod.namespace || service.workload !== pod.workload) continue;
    for (const port of service.ports) listen(port.protocol === 'udp' ? 'udp' : 'tcp', port.targetPort);
  }
  if (workload.metricsPort !== undefined) listen('tcp', workload.metricsPort);
  return {
    pod,
    workload,
    pooledConnections,
    connectionsPerSecond,
    listening,
  };
}
