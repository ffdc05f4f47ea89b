/**
 * The socket families: gauges refilled from the latest scan of each `sockets` source, and per-pod TCP
 * counters accumulated from each network namespace's change between scans. Both are RecordAggregators over
 * SocketSamples, so budgets, overflow, TTLs and rendering are the record families' own.
 */
import { POD_TCP_RECORDS, SOCKET_RECORDS, type SocketLabel } from './catalogue';
import { DEFAULT_TTL_SECONDS, RecordAggregator, type FamilyOptions, type FamilyStats } from './flow-aggregator';
import {
  emptySocketSample,
  type PodSockets,
  type SocketSample,
  type SocketScan,
  type TcpNamespaceCounters,
} from '../model/sockets';

interface LatestScan {
  scan: SocketScan;
  receivedAt: number;
}

const PORT_TEXTS: string[] = [];

function portText(port: number): string {
  return (PORT_TEXTS[port] ??= String(port));
}

/** The change of a counter since the last scan; a counter that went down belongs to a new namespace. */
function change(current: number, previous: number | undefined): number {
  return previous === undefined || current < previous ? current : current - previous;
}

export class SocketAggregator {
  private readonly gauges: RecordAggregator<SocketSample, SocketLabel>;
  private readonly counters: RecordAggregator<SocketSample, SocketLabel>;
  private readonly latest = new Map<string, LatestScan>();
  /** Per source, the counters of each network namespace of its latest scan, by namespace inode. */
  private readonly previousCounters = new Map<string, Map<number, TcpNamespaceCounters>>();
  /** A scan older than the longest gauge TTL no longer shows (its source stopped scanning). */
  private readonly gaugeTtlSeconds: number;
  private readonly sample = emptySocketSample();

  constructor(optionsByFamily: ReadonlyMap<string, FamilyOptions> = new Map()) {
    this.gauges = new RecordAggregator(SOCKET_RECORDS, optionsByFamily);
    this.counters = new RecordAggregator(POD_TCP_RECORDS, optionsByFamily);
    this.gaugeTtlSeconds = Math.max(
      ...SOCKET_RECORDS.families.map((family) => optionsByFamily.get(family.name)?.ttlSeconds ?? DEFAULT_TTL_SECONDS),
    );
  }

  has(familyName: string): boolean {
    return this.gauges.has(familyName) || this.counters.has(familyName);
  }

  /** Takes a source's scan, its pods already enriched (namespace, workload and pod name filled). */
  add(sourceId: string, scan: SocketScan, nowSeconds: number): void {
    this.countTcpChanges(sourceId, scan.pods, nowSeconds);
    this.latest.set(sourceId, { scan, receivedAt: nowSeconds });
    this.refillGauges(nowSeconds);
  }

  sweep(nowSeconds: number): void {
    this.counters.sweep(nowSeconds);
    let stale = false;
    for (const [sourceId, latest] of this.latest) {
      if (latest.receivedAt >= nowSeconds - this.gaugeTtlSeconds) continue;
      this.latest.delete(sourceId);
      stale = true;
    }
    if (stale) this.refillGauges(nowSeconds);
  }

  renderSamples(familyName: string): string {
    return this.gauges.has(familyName)
      ? this.gauges.renderSamples(familyName)
      : this.counters.renderSamples(familyName);
  }

  stats(): FamilyStats[] {
    return [...this.gauges.stats(), ...this.counters.stats()];
  }

  labelSets(familyName: string): string[] {
    return this.gauges.has(familyName) ? this.gauges.labelSets(familyName) : this.counters.labelSets(familyName);
  }

  private countTcpChanges(sourceId: string, pods: readonly PodSockets[], nowSeconds: number): void {
    const previous = this.previousCounters.get(sourceId);
    // Only this scan's namespaces are kept: a namespace that is gone never comes back under its inode with
    // larger counters, and one that does reappear counts from its value, which is what a new namespace does.
    const next = new Map<number, TcpNamespaceCounters>();
    const { sample } = this;
    sample.what = 'tcp';
    for (const pod of pods) {
      const before = previous?.get(pod.netns);
      if (pod.tcp === undefined) {
        // Unreadable this time: the baseline stays, or the next reading would count the whole value again.
        if (before !== undefined) next.set(pod.netns, before);
        continue;
      }
      this.setPod(pod);
      sample.tcp.retransmittedSegments = change(pod.tcp.retransmittedSegments, before?.retransmittedSegments);
      sample.tcp.resetsSent = change(pod.tcp.resetsSent, before?.resetsSent);
      sample.tcp.establishedResets = change(pod.tcp.establishedResets, before?.establishedResets);
      sample.tcp.listenOverflows = change(pod.tcp.listenOverflows, before?.listenOverflows);
      sample.tcp.listenDrops = change(pod.tcp.listenDrops, before?.listenDrops);
      // Added even when nothing changed: it keeps the pod's series alive until the pod is gone for a TTL.
      this.counters.add(sample, nowSeconds);
      next.set(pod.netns, pod.tcp);
    }
    this.previousCounters.set(sourceId, next);
  }

  private refillGauges(nowSeconds: number): void {
    this.gauges.clear();
    const { sample } = this;
    for (const { scan } of this.latest.values()) {
      for (const pod of scan.pods) {
        this.setPod(pod);
        sample.what = 'state';
        sample.process = '';
        sample.port = '';
        for (const state of pod.states) {
          sample.protocol = state.protocol;
          sample.state = state.state;
          sample.count = state.count;
          sample.sendQueueBytes = state.sendQueueBytes;
          sample.receiveQueueBytes = state.receiveQueueBytes;
          this.gauges.add(sample, nowSeconds);
        }
        sample.what = 'listening';
        sample.state = '';
        for (const listening of pod.listening) {
          sample.protocol = listening.protocol;
          sample.process = listening.process;
          sample.port = portText(listening.port);
          sample.count = listening.count;
          this.gauges.add(sample, nowSeconds);
        }
      }
    }
  }

  private setPod(pod: PodSockets): void {
    this.sample.namespace = pod.pod.namespace;
    this.sample.workload = pod.pod.workload;
    this.sample.pod = pod.pod.pod;
  }
}
