/**
 * The pipeline, top to bottom: source -> decode -> enrich -> aggregate -> expose. Sources hand lines (or
 * records) to a SourceTap; the tap decodes, counts and logs per source, and passes records on. Data flows
 * one way: nothing downstream reaches back into a source.
 */
import { DecodeError, INGEST_ERROR_REASONS, type LineDecoder, type RecordSink } from '../sources/types';
import { RateLimitedLog, type Logger } from '../log';
import type { Enricher } from './enrich';
import { AuditAggregator, DnsAggregator, HttpAggregator, type FlowAggregator } from '../metrics/flow-aggregator';
import { recordTime } from '../cluster/enricher';
import type { SelfMetrics } from '../metrics/registry';
import type { FlowRecord } from '../model/flow';
import type { DnsRecord } from '../model/dns';
import { httpRecordEnd, type HttpRecord } from '../model/http';
import type { AuditRecord } from '../sources/audit/model';
import type { PodSockets, SocketScan } from '../model/sockets';
import { SocketAggregator } from '../metrics/socket-aggregator';
import type { AnomalyStage } from '../analytics/anomaly/stage';
import type { LiveProfiles } from '../profiles/collection';

/** The workload of a pod nobody could name (no cluster view knows its uid or IPs): see docs/sockets.md. */
export const UNKNOWN_POD_WORKLOAD = 'unknown';

export class Pipeline {
  private readonly taps = new Map<string, SourceTap>();
  private readonly flowObservers: ((record: FlowRecord) => void)[] = [];
  /** ObservabilityProfiles: data types not collected, and pods kept, for some workloads (live view only). */
  private profiles: LiveProfiles | undefined;

  constructor(
    private readonly enrichers: readonly Enricher[],
    private readonly aggregator: FlowAggregator,
    readonly metrics: SelfMetrics,
    readonly logger: Logger,
    readonly clock: () => number,
    private readonly excludedNamespaces: ReadonlySet<string> = new Set(),
    readonly dnsAggregator: DnsAggregator = new DnsAggregator(),
    readonly httpAggregator: HttpAggregator = new HttpAggregator(),
    readonly auditAggregator: AuditAggregator = new AuditAggregator(),
    readonly socketAggregator: SocketAggregator = new SocketAggregator(),
    /** Takes each aggregated flow, DNS and HTTP record after the aggregators: the anomaly detectors' input. */
    readonly anomaly: AnomalyStage | undefined = undefined,
  ) {}

  /** The entry point for one source instance; `sourceId` is the `source` label of its self-metrics. */
  tap(sourceId: string): SourceTap {
    let tap = this.taps.get(sourceId);
    if (tap === undefined) {
      tap = new SourceTap(sourceId, this);
      this.taps.set(sourceId, tap);
    }
    return tap;
  }

  /** Set while a batch of lines is decoded: one clock reading serves the batch's records. */
  private batchTime: number | undefined;

  /** Runs `work` with the clock read once for all records it produces. */
  inBatch(work: () => void): void {
    this.batchTime = this.clock();
    try {
      work();
    } finally {
      this.batchTime = undefined;
    }
  }

  /** Enriches and aggregates a record; false when it was dropped by the namespace exclusion list. */
  accept(record: FlowRecord): boolean {
    for (const enricher of this.enrichers) enricher.enrich(record);
    if (
      this.excludedNamespaces.size > 0 &&
      (this.excludedNamespaces.has(record.source.namespace) ||
        this.excludedNamespaces.has(record.destination.namespace))
    ) {
      return false;
    }
    const profiles = this.profiles;
    if (profiles !== undefined) {
      if (!profiles.collects('flows', record.source) || !profiles.collects('flows', record.destination)) return false;
      record.source.podDetail = profiles.keepsPods(record.source);
      record.destination.podDetail = profiles.keepsPods(record.destination);
    }
    this.aggregator.add(record, this.batchTime ?? this.clock());
    this.anomaly?.flow(record);
    for (const observer of this.flowObservers) observer(record);
    return true;
  }

  /**
   * Applies ObservabilityProfiles: records of a type a profile turns off for an end are dropped (`collect`), and the
   * ends a profile with `aggregation: pod` covers are marked for the per-pod families (`Endpoint.podDetail`).
   */
  applyProfiles(profiles: LiveProfiles): void {
    this.profiles = profiles;
  }

  /** Sees each flow record the aggregator took (enriched, not excluded): the policy recommender's observed set. */
  observeFlows(observer: (record: FlowRecord) => void): void {
    this.flowObservers.push(observer);
  }

  /**
   * Enriches a DNS record's client and server as a flow's ends, and aggregates it; false when excluded. Only the
   * client's namespace counts for the exclusion list: excluding kube-system must not hide every query to kube-dns.
   */
  acceptDns(record: DnsRecord): boolean {
    const at = recordTime(record);
    for (const enricher of this.enrichers) enricher.enrichEndpoints?.(record.client, record.server, at);
    if (this.excludedNamespaces.has(record.client.namespace)) return false;
    const profiles = this.profiles;
    if (profiles !== undefined) {
      if (!profiles.collects('dns', record.client)) return false;
      record.client.podDetail = profiles.keepsPods(record.client);
    }
    this.dnsAggregator.add(record, this.batchTime ?? this.clock());
    this.anomaly?.dns(record);
    return true;
  }

  /**
   * Enriches an HTTP record's client (source) and server (destination) as a flow's ends, and aggregates it;
   * false when either end is in an excluded namespace, as for flows.
   */
  acceptHttp(record: HttpRecord): boolean {
    const at = httpRecordEnd(record);
    for (const enricher of this.enrichers) enricher.enrichEndpoints?.(record.source, record.destination, at);
    if (
      this.excludedNamespaces.size > 0 &&
      (this.excludedNamespaces.has(record.source.namespace) ||
        this.excludedNamespaces.has(record.destination.namespace))
    ) {
      return false;
    }
    const profiles = this.profiles;
    if (profiles !== undefined) {
      if (!profiles.collects('l7', record.source) || !profiles.collects('l7', record.destination)) return false;
      record.source.podDetail = profiles.keepsPods(record.source);
      record.destination.podDetail = profiles.keepsPods(record.destination);
    }
    this.httpAggregator.add(record, this.batchTime ?? this.clock());
    this.anomaly?.http(record);
    return true;
  }

  /** Aggregates an audit record; false when its namespace is excluded. Nothing to enrich: the API server names it all. */
  acceptAudit(record: AuditRecord): boolean {
    if (this.excludedNamespaces.has(record.namespace)) return false;
    this.auditAggregator.add(record, this.batchTime ?? this.clock());
    return true;
  }

  /**
   * Enriches each pod of a socket scan (by uid, by name, by its addresses) and hands the scan to the socket
   * families, which replace the source's previous scan. Pods in excluded namespaces are left out. Returns the
   * number of pods kept.
   */
  acceptSockets(sourceId: string, scan: SocketScan): number {
    const kept: PodSockets[] = [];
    for (const pod of scan.pods) {
      for (const enricher of this.enrichers) enricher.enrichPod?.(pod, scan.at);
      if (pod.pod.workload === '') {
        // Nobody knows the pod: its uid still tells it from the node's other pods in the per-pod series.
        pod.pod.workload = UNKNOWN_POD_WORKLOAD;
        if (pod.pod.pod === '') pod.pod.pod = pod.podUid;
      }
      if (this.excludedNamespaces.has(pod.pod.namespace)) continue;
      if (this.profiles !== undefined && !this.profiles.collects('sockets', pod.pod)) continue;
      kept.push(pod);
    }
    this.socketAggregator.add(sourceId, { at: scan.at, pods: kept }, this.clock());
    return kept.length;
  }

  /** Per-source records and lag, refreshed at scrape time (counting per record in a labelled map costs too much). */
  refreshSourceMetrics(): void {
    const now = this.clock();
    for (const tap of this.taps.values()) {
      this.metrics.ingestRecords.set([tap.sourceId], tap.acceptedRecords);
      for (const [reason, count] of tap.skippedByReason) this.metrics.ingestSkipped.set([tap.sourceId, reason], count);
      if (tap.newestRecordEnd > 0) this.metrics.sourceLag.set([tap.sourceId], Math.max(0, now - tap.newestRecordEnd));
    }
  }
}

/** Where one source's input enters the pipeline. */
export class SourceTap implements RecordSink {
  acceptedRecords = 0;
  /** Counted here and published at scrape time: replies can be half of a Hubble stream. */
  readonly skippedByReason = new Map<string, number>();
  newestRecordEnd = 0;
  private readonly problems: RateLimitedLog;

  constructor(
    readonly sourceId: string,
    private readonly pipeline: Pipeline,
  ) {
    this.problems = new RateLimitedLog(pipeline.logger, pipeline.clock);
    // Zero-valued error series from the start, so rate() and alerts see the first error.
    for (const reason of INGEST_ERROR_REASONS) pipeline.metrics.ingestErrors.add([sourceId, reason], 0);
  }

  flow(record: FlowRecord): void {
    if (record.endTime > this.newestRecordEnd) this.newestRecordEnd = record.endTime;
    if (this.pipeline.accept(record)) this.acceptedRecords++;
    else this.skipped('excluded_namespace');
  }

  dns(record: DnsRecord): void {
    if (record.endTime > this.newestRecordEnd) this.newestRecordEnd = record.endTime;
    if (this.pipeline.acceptDns(record)) this.acceptedRecords++;
    else this.skipped('excluded_namespace');
  }

  http(record: HttpRecord): void {
    const end = httpRecordEnd(record);
    if (end > this.newestRecordEnd) this.newestRecordEnd = end;
    if (this.pipeline.acceptHttp(record)) this.acceptedRecords++;
    else this.skipped('excluded_namespace');
  }

  audit(record: AuditRecord): void {
    if (record.stageTime > this.newestRecordEnd) this.newestRecordEnd = record.stageTime;
    if (this.pipeline.acceptAudit(record)) this.acceptedRecords++;
    else this.skipped('excluded_namespace');
  }

  /** A scan counts one record per pod it keeps, and each excluded pod as a skip. */
  sockets(scan: SocketScan): void {
    if (scan.at > this.newestRecordEnd) this.newestRecordEnd = scan.at;
    if (scan.durationSeconds !== undefined) {
      this.pipeline.metrics.socketScanDuration.set([this.sourceId], scan.durationSeconds);
    }
    const kept = this.pipeline.acceptSockets(this.sourceId, scan);
    this.acceptedRecords += kept;
    for (let i = kept; i < scan.pods.length; i++) this.skipped('excluded_namespace');
  }

  skipped(reason: string): void {
    this.skippedByReason.set(reason, (this.skippedByReason.get(reason) ?? 0) + 1);
  }

  /**
   * Decodes a batch of lines. A bad line is counted, logged with file and line, and skipped; the lines
   * after it are processed. A record is only passed on once fully decoded, so a bad field never
   * half-counts a record.
   */
  decodeLines(decoder: LineDecoder, lines: readonly string[], firstLineNumber: number, file: string): void {
    this.pipeline.inBatch(() => this.decodeBatch(decoder, lines, firstLineNumber, file));
  }

  private decodeBatch(decoder: LineDecoder, lines: readonly string[], firstLineNumber: number, file: string): void {
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.length === 0 || line.trim().length === 0) continue;
      try {
        decoder.decode(line, this);
      } catch (error) {
        // A decoder that throws anything else has a bug; the line is still only lost, never the process.
        const rejection =
          error instanceof DecodeError ? error : new DecodeError('malformed', `decoder failed: ${String(error)}`);
        this.rejected(rejection, file, firstLineNumber + i);
      }
    }
  }

  rejected(error: DecodeError, file: string, line: number): void {
    this.pipeline.metrics.ingestErrors.add([this.sourceId, error.reason]);
    this.problems.log('warn', 'input line rejected', {
      source: this.sourceId,
      file,
      line,
      reason: error.reason,
      error: error.message,
    });
  }
}
