/**
 * The anomaly stage: what the pipeline hands each record after aggregating it. It builds per-window totals
 * (window-totals.ts), gives each closed window to the detector (detector.ts) and renders the top N scores at that
 * moment, so a scrape concatenates ready lines (render at update time).
 */
import { ANOMALY_FAMILIES } from '../../metrics/catalogue';
import { formatValue, renderLabels } from '../../metrics/exposition';
import type { FlowRecord } from '../../model/flow';
import type { DnsRecord } from '../../model/dns';
import type { HttpRecord } from '../../model/http';
import { AnomalyDetector, type AnomalyDetectorOptions } from './detector';
import { ANOMALY_KINDS } from './kinds';
import { WindowAccumulator, type WindowTotals } from './window-totals';

export interface AnomalyStageOptions {
  /** Detection window, seconds: the exporter's aggregation window for the detectors. */
  windowSeconds: number;
  /** How many series `flowlens_anomaly_score` shows (its budget). */
  topN: number;
  detector: Partial<AnomalyDetectorOptions>;
}

export const DEFAULT_ANOMALY_STAGE_OPTIONS: Readonly<AnomalyStageOptions> = Object.freeze({
  windowSeconds: 60,
  topN: 20,
  detector: {},
});

/** Scores disappear when no window has closed for this many windows (the sources went quiet). */
export const SCORE_TTL_WINDOWS = 5;

const SCORE_LABELS = ANOMALY_FAMILIES.score.labels;

export class AnomalyStage {
  readonly detector: AnomalyDetector;
  readonly options: AnomalyStageOptions;
  private readonly accumulator: WindowAccumulator;
  private scoreSamples = '';
  /** The exporter's clock when the latest window closed. */
  private closedAt = -Infinity;
  windowsObserved = 0;
  /** The latest complete window's totals (what `/api/v1/hotspots` ranks), undefined before the first closes. */
  latestWindow: WindowTotals | undefined = undefined;

  constructor(
    options: Partial<AnomalyStageOptions> = {},
    private readonly clock: () => number = () => Date.now() / 1000,
  ) {
    this.options = { ...DEFAULT_ANOMALY_STAGE_OPTIONS, ...options };
    if (!Number.isSafeInteger(this.options.topN) || this.options.topN < 0) {
      throw new Error(`anomaly: topN must be a whole number >= 0, got ${this.options.topN}`);
    }
    this.detector = new AnomalyDetector(this.options.detector);
    this.accumulator = new WindowAccumulator(this.options.windowSeconds, (window) => this.close(window));
  }

  flow(record: FlowRecord): void {
    this.accumulator.flow(record);
  }

  dns(record: DnsRecord): void {
    this.accumulator.dns(record);
  }

  http(record: HttpRecord): void {
    this.accumulator.http(record);
  }

  /** Closes the open windows: the end of a replay. */
  flush(): void {
    this.accumulator.flush();
  }

  get lateRecords(): number {
    return this.accumulator.lateRecords;
  }

  /** The family's samples, one newline-terminated line each ('' for a family this stage does not render). */
  renderSamples(familyName: string): string {
    switch (familyName) {
      case ANOMALY_FAMILIES.score.name: {
        const expired = this.clock() - this.closedAt > SCORE_TTL_WINDOWS * this.options.windowSeconds;
        return expired ? '' : this.scoreSamples;
      }
      case ANOMALY_FAMILIES.alarms.name:
        return this.perKind(familyName, (kind) => this.detector.alarmsByKind.get(kind) ?? 0);
      case ANOMALY_FAMILIES.tracked.name:
        return this.perKind(familyName, (kind) => this.detector.trackedSeries(kind));
      case ANOMALY_FAMILIES.late.name:
        return `${familyName} ${formatValue(this.accumulator.lateRecords)}\n`;
      case ANOMALY_FAMILIES.evicted.name:
        return this.perKind(familyName, (kind) => this.detector.evictedByKind.get(kind) ?? 0);
      default:
        return '';
    }
  }

  private perKind(name: string, valueOf: (kind: (typeof ANOMALY_KINDS)[number]) => number): string {
    let samples = '';
    for (const kind of ANOMALY_KINDS) samples += `${name}{kind="${kind}"} ${formatValue(valueOf(kind))}\n`;
    return samples;
  }

  private close(window: WindowTotals): void {
    this.detector.observe(window);
    this.windowsObserved++;
    this.latestWindow = window;
    this.closedAt = this.clock();
    let samples = '';
    for (const series of this.detector.topScores(this.options.topN)) {
      const labels = renderLabels(SCORE_LABELS, [
        series.kind,
        series.namespace,
        series.workload,
        series.direction,
        series.peerNamespace,
        series.peerWorkload,
      ]);
      samples += `${ANOMALY_FAMILIES.score.name}{${labels}} ${formatValue(Math.round(series.score * 100) / 100)}\n`;
    }
    this.scoreSamples = samples;
  }
}
