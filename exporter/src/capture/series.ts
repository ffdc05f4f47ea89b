/**
 * The per-capture series of one node: `flowlens_capture_info{namespace, name, node, state}` (1) and the capture's
 * current totals on this node, `flowlens_capture_node_bytes` and `flowlens_capture_node_packets`, so Grafana (which
 * has no Kubernetes access) sees captures and their per-node status through Prometheus.
 *
 * Bounded: a capture has series only while this node has a status for it (it selected pods here); they go when the
 * capture is deleted, and `ttlMs` after it finished (Finished or Error). At most `budget` captures have series; past
 * it, a new running capture takes the place of the finished one that ended first; a new finished capture, or a
 * running one when every capture shown still runs, gets no series (counted once in `flowlens_series_overflowed_samples_total{family="flowlens_capture_info"}`;
 * removals by TTL or to make room count in `flowlens_series_evicted_total`).
 */
import { SELF_FAMILIES } from '../metrics/catalogue';
import type { SelfMetrics } from '../metrics/registry';

export const CAPTURE_SERIES_BUDGET = 200;
export const CAPTURE_SERIES_TTL_MS = 3_600_000;

const FAMILY = SELF_FAMILIES.captureInfo.name;
const TERMINAL: ReadonlySet<string> = new Set(['Finished', 'Error']);

export interface CaptureSeriesInput {
  readonly namespace: string;
  readonly name: string;
  /** This node's status of the capture; undefined when the node has none (no selected pod here). */
  readonly status: { readonly state: string; readonly bytes: number; readonly packets: number } | undefined;
}

interface Shown {
  readonly namespace: string;
  readonly name: string;
  state: string;
  /** When the capture was first seen finished; undefined while it runs. */
  endedAt: number | undefined;
}

export interface CaptureSeriesOptions {
  readonly budget?: number;
  readonly ttlMs?: number;
}

export class CaptureSeries {
  private readonly shown = new Map<string, Shown>();
  /** Captures whose series expired (TTL) or were refused (budget), until they disappear from the input. */
  private readonly expired = new Set<string>();
  private readonly refused = new Set<string>();
  private readonly budget: number;
  private readonly ttlMs: number;

  constructor(
    private readonly metrics: SelfMetrics,
    private readonly node: string,
    options: CaptureSeriesOptions = {},
  ) {
    this.budget = options.budget ?? CAPTURE_SERIES_BUDGET;
    this.ttlMs = options.ttlMs ?? CAPTURE_SERIES_TTL_MS;
    this.publishStats();
  }

  /** Brings the series in line with the captures this node tracks now (every capture, in any order). */
  update(captures: Iterable<CaptureSeriesInput>, now: number): void {
    const present = new Map<string, CaptureSeriesInput>();
    for (const capture of captures) {
      if (capture.status !== undefined) present.set(`${capture.namespace}/${capture.name}`, capture);
    }
    for (const key of [...this.shown.keys()]) if (!present.has(key)) this.drop(key);
    for (const key of [...this.expired]) if (!present.has(key)) this.expired.delete(key);
    for (const key of [...this.refused]) if (!present.has(key)) this.refused.delete(key);

    const waiting: CaptureSeriesInput[] = [];
    for (const [key, capture] of present) {
      const shown = this.shown.get(key);
      if (shown === undefined) {
        if (!this.expired.has(key)) waiting.push(capture);
        continue;
      }
      this.show(shown, capture, now);
      if (shown.endedAt !== undefined && now - shown.endedAt >= this.ttlMs) {
        this.drop(key);
        this.expired.add(key);
        this.metrics.seriesEvicted.add([FAMILY]);
      }
    }
    // Running captures first: they are the ones worth a place when the budget is tight.
    waiting.sort((a, b) => Number(TERMINAL.has(a.status!.state)) - Number(TERMINAL.has(b.status!.state)));
    for (const capture of waiting) {
      const key = `${capture.namespace}/${capture.name}`;
      const running = !TERMINAL.has(capture.status!.state);
      if (this.shown.size >= this.budget && !(running && this.evictOldestFinished())) {
        if (!this.refused.has(key)) {
          this.refused.add(key);
          this.metrics.seriesOverflow.add([FAMILY]);
        }
        continue;
      }
      this.refused.delete(key);
      const shown: Shown = { namespace: capture.namespace, name: capture.name, state: '', endedAt: undefined };
      this.shown.set(key, shown);
      this.show(shown, capture, now);
    }
    this.publishStats();
  }

  /** Removes every series (the controller stopped). */
  clear(): void {
    for (const key of [...this.shown.keys()]) this.drop(key);
    this.expired.clear();
    this.refused.clear();
    this.publishStats();
  }

  /** Captures with series now. */
  size(): number {
    return this.shown.size;
  }

  private show(shown: Shown, capture: CaptureSeriesInput, now: number): void {
    const status = capture.status!;
    const labels = [shown.namespace, shown.name, this.node];
    if (shown.state !== status.state) {
      if (shown.state !== '') this.metrics.captureInfo.delete([...labels, shown.state]);
      shown.state = status.state;
      this.metrics.captureInfo.set([...labels, status.state], 1);
    }
    if (!TERMINAL.has(status.state)) shown.endedAt = undefined;
    else shown.endedAt ??= now;
    this.metrics.captureNodeBytes.set(labels, status.bytes);
    this.metrics.captureNodePackets.set(labels, status.packets);
  }

  private drop(key: string): void {
    const shown = this.shown.get(key);
    if (shown === undefined) return;
    this.shown.delete(key);
    const labels = [shown.namespace, shown.name, this.node];
    this.metrics.captureInfo.delete([...labels, shown.state]);
    this.metrics.captureNodeBytes.delete(labels);
    this.metrics.captureNodePackets.delete(labels);
  }

  /** Makes room by removing the finished capture that ended first; false when every capture shown still runs. */
  private evictOldestFinished(): boolean {
    let oldest: [string, number] | undefined;
    for (const [key, shown] of this.shown) {
      if (shown.endedAt !== undefined && (oldest === undefined || shown.endedAt < oldest[1])) {
        oldest = [key, shown.endedAt];
      }
    }
    if (oldest === undefined) return false;
    this.drop(oldest[0]);
    this.expired.add(oldest[0]);
    this.metrics.seriesEvicted.add([FAMILY]);
    return true;
  }

  private publishStats(): void {
    this.metrics.seriesActive.set([FAMILY], this.shown.size);
    this.metrics.seriesBudget.set([FAMILY], this.budget);
  }
}
