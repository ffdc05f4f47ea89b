/**
 * The expose stage: renders every family of the catalogue, record families from their kind's aggregator and
 * self-metrics from small labelled counters and gauges read at scrape time.
 */
import { ANOMALY_FAMILIES, RECORD_FAMILIES, SELF_FAMILIES, type FamilyDefinition } from './catalogue';
import { familyHeader, formatValue, OPENMETRICS_EOF, renderLabels, type ExpositionFormat } from './exposition';
import { AuditAggregator, DnsAggregator, HttpAggregator, type FlowAggregator } from './flow-aggregator';
import { SocketAggregator } from './socket-aggregator';
import type { AnomalyStage } from '../analytics/anomaly/stage';

/** A few series of a self-metric family, keyed by rendered labels. */
export class LabelledValues {
  private readonly values = new Map<string, number>();

  constructor(readonly family: FamilyDefinition) {}

  add(labelValues: readonly string[], amount = 1): void {
    const key = renderLabels(this.family.labels, labelValues);
    this.values.set(key, (this.values.get(key) ?? 0) + amount);
  }

  set(labelValues: readonly string[], value: number): void {
    this.values.set(renderLabels(this.family.labels, labelValues), value);
  }

  /** Removes one series. */
  delete(labelValues: readonly string[]): void {
    this.values.delete(renderLabels(this.family.labels, labelValues));
  }

  /** How many series the family has. */
  size(): number {
    return this.values.size;
  }

  get(labelValues: readonly string[]): number {
    return this.values.get(renderLabels(this.family.labels, labelValues)) ?? 0;
  }

  /** Drops every series; for gauges recomputed in full at each scrape. */
  clear(): void {
    this.values.clear();
  }

  renderSamples(out: string[]): void {
    for (const [labels, value] of this.values) {
      out.push(
        labels === ''
          ? `${this.family.name} ${formatValue(value)}\n`
          : `${this.family.name}{${labels}} ${formatValue(value)}\n`,
      );
    }
  }
}

/** Refreshes scrape-time gauges (lag, active series, process stats) just before rendering. */
export type ScrapeHook = (metrics: SelfMetrics) => void;

export class SelfMetrics {
  readonly ingestRecords = new LabelledValues(SELF_FAMILIES.ingestRecords);
  readonly ingestErrors = new LabelledValues(SELF_FAMILIES.ingestErrors);
  readonly ingestSkipped = new LabelledValues(SELF_FAMILIES.ingestSkipped);
  readonly sourceLag = new LabelledValues(SELF_FAMILIES.sourceLag);
  readonly sourceUnread = new LabelledValues(SELF_FAMILIES.sourceUnread);
  readonly socketScanDuration = new LabelledValues(SELF_FAMILIES.socketScanDuration);
  readonly seriesActive = new LabelledValues(SELF_FAMILIES.seriesActive);
  readonly seriesBudget = new LabelledValues(SELF_FAMILIES.seriesBudget);
  readonly seriesOverflow = new LabelledValues(SELF_FAMILIES.seriesOverflow);
  readonly seriesEvicted = new LabelledValues(SELF_FAMILIES.seriesEvicted);
  readonly recommendations = new LabelledValues(SELF_FAMILIES.recommendations);
  readonly k8sCacheSynced = new LabelledValues(SELF_FAMILIES.k8sCacheSynced);
  readonly k8sWatchErrors = new LabelledValues(SELF_FAMILIES.k8sWatchErrors);
  readonly k8sObjects = new LabelledValues(SELF_FAMILIES.k8sObjects);
  readonly policyMismatch = new LabelledValues(SELF_FAMILIES.policyMismatch);
  readonly policyAttributed = new LabelledValues(SELF_FAMILIES.policyAttributed);
  readonly policyChanges = new LabelledValues(SELF_FAMILIES.policyChanges);
  readonly conntrackConnections = new LabelledValues(SELF_FAMILIES.conntrackConnections);
  readonly conntrackUntracked = new LabelledValues(SELF_FAMILIES.conntrackUntracked);
  readonly conntrackAccounting = new LabelledValues(SELF_FAMILIES.conntrackAccounting);
  readonly capturesActive = new LabelledValues(SELF_FAMILIES.capturesActive);
  readonly capturePackets = new LabelledValues(SELF_FAMILIES.capturePackets);
  readonly captureBytes = new LabelledValues(SELF_FAMILIES.captureBytes);
  readonly captureInfo = new LabelledValues(SELF_FAMILIES.captureInfo);
  readonly captureNodeBytes = new LabelledValues(SELF_FAMILIES.captureNodeBytes);
  readonly captureNodePackets = new LabelledValues(SELF_FAMILIES.captureNodePackets);
  readonly buildInfo = new LabelledValues(SELF_FAMILIES.buildInfo);
  readonly processCpu = new LabelledValues(SELF_FAMILIES.processCpu);
  readonly processMemory = new LabelledValues(SELF_FAMILIES.processMemory);
  readonly processStart = new LabelledValues(SELF_FAMILIES.processStart);
  readonly heapUsed = new LabelledValues(SELF_FAMILIES.heapUsed);

  constructor() {
    // Zero until the capture controller runs, so dashboards show "none" rather than "no data".
    this.capturesActive.set([], 0);
  }

  all(): LabelledValues[] {
    return [
      this.ingestRecords,
      this.ingestErrors,
      this.ingestSkipped,
      this.sourceLag,
      this.sourceUnread,
      this.socketScanDuration,
      this.seriesActive,
      this.seriesBudget,
      this.seriesOverflow,
      this.seriesEvicted,
      this.recommendations,
      this.k8sCacheSynced,
      this.k8sWatchErrors,
      this.k8sObjects,
      this.policyMismatch,
      this.policyAttributed,
      this.policyChanges,
      this.conntrackConnections,
      this.conntrackUntracked,
      this.conntrackAccounting,
      this.capturesActive,
      this.capturePackets,
      this.captureBytes,
      this.captureInfo,
      this.captureNodeBytes,
      this.captureNodePackets,
      this.buildInfo,
      this.processCpu,
      this.processMemory,
      this.processStart,
      this.heapUsed,
    ];
  }
}

export class MetricsRegistry {
  private readonly hooks: ScrapeHook[] = [];

  constructor(
    readonly aggregator: FlowAggregator,
    readonly self: SelfMetrics,
    private readonly clock: () => number,
    readonly dnsAggregator: DnsAggregator = new DnsAggregator(),
    readonly httpAggregator: HttpAggregator = new HttpAggregator(),
    readonly auditAggregator: AuditAggregator = new AuditAggregator(),
    readonly socketAggregator: SocketAggregator = new SocketAggregator(),
    /** The anomaly detectors, when enabled: their families are shown only then. */
    readonly anomaly: AnomalyStage | undefined = undefined,
  ) {}

  /** Every record kind's aggregator; each renders the families of its kind. */
  private aggregators(): readonly (
    FlowAggregator | DnsAggregator | HttpAggregator | AuditAggregator | SocketAggregator
  )[] {
    return [this.aggregator, this.dnsAggregator, this.httpAggregator, this.auditAggregator, this.socketAggregator];
  }

  /** Removes idle series of every record kind (serve runs it between scrapes too). */
  sweep(nowSeconds: number): void {
    for (const aggregator of this.aggregators()) aggregator.sweep(nowSeconds);
  }

  onScrape(hook: ScrapeHook): void {
    this.hooks.push(hook);
  }

  /** The whole exposition. Idle series are swept first so a scrape never shows an expired series. */
  render(format: ExpositionFormat): string {
    const now = this.clock();
    this.sweep(now);
    this.refreshSeriesStats();
    for (const hook of this.hooks) hook(this.self);
    const out: string[] = [];
    for (const family of RECORD_FAMILIES) {
      out.push(familyHeader(family, format));
      const aggregator = this.aggregators().find((candidate) => candidate.has(family.name));
      out.push(aggregator?.renderSamples(family.name) ?? '');
    }
    for (const values of this.self.all()) {
      out.push(familyHeader(values.family, format));
      values.renderSamples(out);
    }
    if (this.anomaly !== undefined) {
      for (const family of Object.values(ANOMALY_FAMILIES)) {
        out.push(familyHeader(family, format));
        out.push(this.anomaly.renderSamples(family.name));
      }
    }
    if (format === 'openmetrics') out.push(OPENMETRICS_EOF);
    return out.join('');
  }

  private refreshSeriesStats(): void {
    for (const stats of this.aggregators().flatMap((aggregator) => aggregator.stats())) {
      this.self.seriesActive.set([stats.family], stats.activeSeries);
      this.self.seriesBudget.set([stats.family], stats.budget);
      this.self.seriesOverflow.set([stats.family], stats.overflowedSamples);
      this.self.seriesEvicted.set([stats.family], stats.evictedSeries);
    }
  }
}
