/**
 * Turns the demo topology into Calico L7 log lines: for each call-graph edge a workload makes to an HTTP or gRPC
 * service port, one line per route and response code per window, aggregated as Calico's L7 collector writes
 * them (pods by prefix, durations in nanoseconds, `count` requests per line). During the
 * `checkout-payments-degraded` incident, shop/checkout -> payments/payments-api answers 503 and 504 in a burst
 * that grows through the incident while latency climbs, the L7 view of the incident the flow logs show as RTT
 * and retransmissions. The exporter feeds these lines through the `calico-l7` decoder, like a real L7 log.
 */
import { SeededRandom, hashString, mixSeeds } from './random';
import { podNamePrefix, type CallEdge, type DemoTopology, type WorkloadSpec } from './topology';

/** The JSON object of one Calico L7 log line, keys in the order Calico writes them. */
export interface CalicoL7LogRecord {
  start_time: number;
  end_time: number;
  bytes_in: number;
  bytes_out: number;
  duration_mean: number;
  duration_max: number;
  count: number;
  src_name_aggr: string;
  src_namespace: string;
  src_type: 'wep';
  dest_name_aggr: string;
  dest_namespace: string;
  dest_type: 'wep';
  dest_service_name: string;
  dest_service_namespace: string;
  dest_service_port: number;
  url: string;
  response_code: number;
  method: string;
  user_agent: string;
  type: string;
}

/** Service port names that speak HTTP (gRPC is HTTP/2). */
const HTTP_PORT_NAMES: ReadonlySet<string> = new Set(['http', 'https', 'web', 'grpc']);

interface Route {
  method: string;
  path: string;
  share: number;
}

export interface HttpEdge {
  edge: CallEdge;
  source: WorkloadSpec;
  destination: WorkloadSpec;
  routes: readonly Route[];
  grpc: boolean;
  /** Mean latency of a healthy request on this edge, in seconds. */
  baseLatencySeconds: number;
}

/** The edges whose requests an L7 collector would see: workload to a service's HTTP or gRPC port, all day. */
export function httpEdges(topology: DemoTopology): HttpEdge[] {
  const edges: HttpEdge[] = [];
  for (const edge of topology.edges) {
    if (edge.source.kind !== 'workload' || edge.destination.kind !== 'workload' || edge.service === undefined) continue;
    if (!HTTP_PORT_NAMES.has(edge.service.portName) || edge.activeDuring !== undefined) continue;
    const grpc = edge.service.portName === 'grpc';
    const service = edge.service.name;
    const routes: Route[] = grpc
      ? [
          { method: 'POST', path: `/${service}.v1.${pascal(service)}Service/Get`, share: 0.7 },
          { method: 'POST', path: `/${service}.v1.${pascal(service)}Service/Update`, share: 0.3 },
        ]
      : [
          { method: 'GET', path: `/api/v1/${service}`, share: 0.75 },
          { method: 'POST', path: `/api/v1/${service}`, share: 0.25 },
        ];
    edges.push({
      edge,
      source: edge.source.workload,
      destination: edge.destination.workload,
      routes,
      grpc,
      baseLatencySeconds: grpc ? 0.004 : 0.012,
    });
  }
  return edges;
}

function pascal(name: string): string {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** What varies per window for one edge. */
export interface HttpEdgeWindow {
  /** Fraction of the window the edge is degraded. */
  degradation: number;
  /** How far into its degradation incident the window's middle is, 0 to 1 (0 when not degraded). */
  progress: number;
}

export interface HttpWindow {
  start: number;
  seconds: number;
  userActivity: number;
  seed: number;
  edgeWindow(edge: CallEdge): HttpEdgeWindow;
}

/** Calico L7 log records for one window. */
export function httpRecordsFor(edges: readonly HttpEdge[], window: HttpWindow): CalicoL7LogRecord[] {
  const records: CalicoL7LogRecord[] = [];
  const end = window.start + window.seconds;
  for (const httpEdge of edges) {
    const { edge, source, destination, routes, grpc } = httpEdge;
    const service = edge.service;
    if (service === undefined) continue;
    const random = new SeededRandom(mixSeeds(window.seed, hashString(edge.id), 80));
    const { degradation, progress } = window.edgeWindow(edge);
    const rate = edge.load.requestsPerSecond * (edge.load.shape === 'diurnal' ? window.userActivity : 1);
    // Degraded: latency climbs from 3x to 20x and the share of 5xx answers from 5% to 40% through the incident.
    const slowdown = 1 + degradation * (2 + 17 * progress);
    const serverErrorShare = 0.002 + degradation * (0.05 + 0.35 * progress);
    for (const route of routes) {
      const total = random.poisson(rate * window.seconds * route.share);
      if (total === 0) continue;
      const serverErrors = Math.min(total, random.poisson(total * serverErrorShare));
      const clientErrors = route.method === 'GET' ? Math.min(total - serverErrors, random.poisson(total * 0.01)) : 0;
      const outcomes: [number, number][] = [
        [grpc ? 200 : route.method === 'POST' ? 201 : 200, total - serverErrors - clientErrors],
        [404, clientErrors],
        // A timing-out upstream answers 504 once latency is high, 503 before.
        [503, progress > 0.5 ? Math.ceil(serverErrors / 2) : serverErrors],
        [504, progress > 0.5 ? Math.floor(serverErrors / 2) : 0],
      ];
      for (const [code, count] of outcomes) {
        if (count <= 0) continue;
        const failed = code >= 500;
        const latency = httpEdge.baseLatencySeconds * slowdown * (failed && degradation > 0 ? 1.5 : 1);
        const meanNs = Math.round(latency * random.between(0.8, 1.2) * 1e9);
        records.push({
          start_time: window.start,
          end_time: end,
          bytes_in: Math.round(count * edge.load.requestBytes * random.between(0.9, 1.1)),
          bytes_out: Math.round(count * (failed ? 90 : edge.load.responseBytes) * random.between(0.9, 1.1)),
          duration_mean: meanNs,
          duration_max: Math.round(meanNs * random.between(1.5, 4)),
          count,
          src_name_aggr: podNamePrefix(source),
          src_namespace: source.namespace,
          src_type: 'wep',
          dest_name_aggr: podNamePrefix(destination),
          dest_namespace: destination.namespace,
          dest_type: 'wep',
          dest_service_name: service.name,
          dest_service_namespace: service.namespace,
          dest_service_port: service.port,
          url: `${service.name}.${service.namespace}.svc.cluster.local:${service.port}${route.path}`,
          response_code: code,
          method: route.method,
          user_agent: grpc ? 'grpc-go/1.64.0' : `${source.name}/1.0`,
          type: grpc ? 'http/2' : 'http/1.1',
        });
      }
    }
  }
  return records;
}
