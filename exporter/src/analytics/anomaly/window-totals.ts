/**
 * Per-window totals of the series the detectors watch, built from the records the aggregate stage takes (after
 * enrichment and policy attribution): one direction of data flow, nothing reaches back. Records go into the window
 * of their own end time, not the exporter's clock, so a replay of old logs is judged on their own time line and the
 * evaluation harness can drive days of demo windows in seconds.
 *
 * A window is closed (handed to the detector) once a record of a window `latenessWindows` later has been seen: flow
 * logs are flushed per node at slightly different times, so a window waits for its stragglers. A record for a window
 * already closed is counted as late and dropped from the totals (never from the metrics).
 */
import type { Endpoint, FlowRecord } from '../../model/flow';
import type { DnsRecord } from '../../model/dns';
import type { HttpRecord } from '../../model/http';
import { httpRecordEnd } from '../../model/http';

/**
 * Which way an edge's traffic goes, seen from its `workload`: `egress` to the peer, `ingress` from it; empty for a
 * workload's own series (no peer).
 */
export type EdgeDirection = 'egress' | 'ingress' | '';

/**
 * The two ends of an edge, or one workload (peer empty). `namespace`/`workload` name the cluster workload that owns
 * the series (its team is the one alerted): an edge's source, unless only the destination is a pod's workload (traffic
 * from a network set, a host or the internet), in which case the destination is the workload and the edge `ingress`.
 */
export interface Entity {
  namespace: string;
  workload: string;
  direction: EdgeDirection;
  peerNamespace: string;
  peerWorkload: string;
}

export interface EdgeTotals extends Entity {
  /** Whether the source is a pod's workload (new-edge detection only follows workloads, not the internet). */
  sourceIsWorkload: boolean;
  /** Per reporter (0: source, 1: destination): both ends may report the same flows, so the larger is the edge's. */
  flows: [number, number];
  denied: [number, number];
  bytes: [number, number];
}

export interface WorkloadTotals {
  namespace: string;
  workload: string;
  dnsAnswers: number;
  dnsErrors: number;
  httpRequests: number;
  httpErrors: number;
  httpDurationSum: number;
  httpTimed: number;
  retransmissions: number;
}

export interface WindowTotals {
  /** Unix seconds. */
  start: number;
  end: number;
  edges: Map<string, EdgeTotals>;
  workloads: Map<string, WorkloadTotals>;
}

export type WindowConsumer = (window: WindowTotals) => void;

/** A pod's workload: the ends a team owns, as opposed to hosts, network sets and address aggregates. */
function isWorkload(endpoint: Endpoint): boolean {
  return endpoint.kind === 'pod' && endpoint.workload !== '';
}

const DNS_ERROR_RCODES: ReadonlySet<string> = new Set(['NXDOMAIN', 'SERVFAIL']);

export class WindowAccumulator {
  private readonly open = new Map<number, WindowTotals>();
  /** Windows below this index are closed. */
  private closedBelow = -Infinity;
  lateRecords = 0;

  constructor(
    readonly windowSeconds: number,
    private readonly consumer: WindowConsumer,
    readonly latenessWindows = 1,
    /** Most windows kept open: a record from far in the future closes the old ones rather than growing the map. */
    private readonly maxOpenWindows = 16,
  ) {
    if (!(windowSeconds > 0)) throw new Error(`anomaly window must be positive, got ${windowSeconds}`);
  }

  flow(record: FlowRecord): void {
    const window = this.windowAt(record.endTime);
    if (window === undefined) return;
    const { source, destination } = record;
    const sourceIsWorkload = isWorkload(source);
    const direction = sourceIsWorkload || !isWorkload(destination) ? 'egress' : 'ingress';
    const [owner, peer] = direction === 'egress' ? [source, destination] : [destination, source];
    const key = `${owner.namespace}/${owner.workload}>${direction}>${peer.namespace}/${peer.workload}`;
    let edge = window.edges.get(key);
    if (edge === undefined) {
      edge = {
        namespace: owner.namespace,
        workload: owner.workload,
        direction,
        peerNamespace: peer.namespace,
        peerWorkload: peer.workload,
        sourceIsWorkload,
        flows: [0, 0],
        denied: [0, 0],
        bytes: [0, 0],
      };
      window.edges.set(key, edge);
    }
    const end = record.reporter === 'src' ? 0 : 1;
    edge.flows[end] += record.flows;
    if (record.action === 'deny') edge.denied[end] += record.flows;
    edge.bytes[end] += record.bytesForward + record.bytesReverse;
    const retransmissions = record.tcp?.retransmissions;
    if (retransmissions !== undefined && retransmissions > 0) {
      const reporting = record.reporter === 'src' ? source : destination;
      if (reporting.workload !== '')
        this.workload(window, reporting.namespace, reporting.workload).retransmissions += retransmissions;
    }
  }

  dns(record: DnsRecord): void {
    if (record.client.workload === '') return;
    const window = this.windowAt(record.endTime);
    if (window === undefined) return;
    const totals = this.workload(window, record.client.namespace, record.client.workload);
    totals.dnsAnswers += record.count;
    if (DNS_ERROR_RCODES.has(record.rcode)) totals.dnsErrors += record.count;
  }

  http(record: HttpRecord): void {
    const server = record.destination;
    if (server.workload === '') return;
    const window = this.windowAt(httpRecordEnd(record));
    if (window === undefined) return;
    const totals = this.workload(window, server.namespace, server.workload);
    totals.httpRequests += record.count;
    if (record.statusClass === '5xx' || record.statusCode === 0) totals.httpErrors += record.count;
    if (record.durationSeconds !== undefined) {
      totals.httpDurationSum += record.durationSeconds * record.count;
      totals.httpTimed += record.count;
    }
  }

  /** Closes every open window (the end of a replay or of an evaluation). */
  flush(): void {
    this.closeBelow(Infinity);
  }

  private workload(window: WindowTotals, namespace: string, workload: string): WorkloadTotals {
    const key = `${namespace}/${workload}`;
    let totals = window.workloads.get(key);
    if (totals === undefined) {
      totals = {
        namespace,
        workload,
        dnsAnswers: 0,
        dnsErrors: 0,
        httpRequests: 0,
        httpErrors: 0,
        httpDurationSum: 0,
        httpTimed: 0,
        retransmissions: 0,
      };
      window.workloads.set(key, totals);
    }
    return totals;
  }

  /** The open window holding time `t`, opening it (and closing old ones) as needed; undefined when late or unknown. */
  private windowAt(t: number): WindowTotals | undefined {
    if (!(t > 0)) return undefined;
    // A record ending exactly on a boundary belongs to the window it ends.
    const index = Math.ceil(t / this.windowSeconds) - 1;
    if (index < this.closedBelow) {
      this.lateRecords++;
      return undefined;
    }
    let window = this.open.get(index);
    if (window === undefined) {
      window = {
        start: index * this.windowSeconds,
        end: (index + 1) * this.windowSeconds,
        edges: new Map(),
        workloads: new Map(),
      };
      this.open.set(index, window);
      this.closeBelow(index - this.latenessWindows);
      if (this.open.size > this.maxOpenWindows) this.closeBelow(index - this.maxOpenWindows + 1);
    }
    return window;
  }

  private closeBelow(index: number): void {
    if (index <= this.closedBelow) return;
    this.closedBelow = index;
    const closing = [...this.open.keys()].filter((open) => open < index).sort((a, b) => a - b);
    for (const open of closing) {
      const window = this.open.get(open)!;
      this.open.delete(open);
      this.consumer(window);
    }
  }
}
