/**
 * The anomaly kinds: which series each detector watches, how its baseline's scale is floored and how much it must
 * have learnt before it scores. Declared once; the detector, the exposition (`kind` label values), the alert and the
 * docs read this list.
 */
import type { ScaleFloors } from './robust-baseline';

export const ANOMALY_KINDS = [
  'flow_rate',
  'denied_flow_rate',
  'bytes',
  'dns_error_ratio',
  'http_error_ratio',
  'http_latency',
  'retransmissions',
  'new_edge',
  'traffic_drop',
] as const;

export type AnomalyKind = (typeof ANOMALY_KINDS)[number];
/**
 * The kinds scored against a robust baseline: all but `new_edge` (a set membership) and `traffic_drop` (a `flow_rate`
 * series below what both its baseline and its time-of-day profile expect).
 */
export type BaselineKind = Exclude<AnomalyKind, 'new_edge' | 'traffic_drop'>;

export interface BaselineKindSettings {
  /**
   * `edge`: a workload and its peer (the source's egress, or a destination's ingress from outside the cluster: see
   * window-totals.ts); `workload`: one workload (direction and peer labels empty).
   */
  scope: 'edge' | 'workload';
  floors: ScaleFloors;
  /** Windows the baseline must hold before the series is scored: a new series is learnt, not judged. */
  minHistory: number;
  description: string;
}

export const BASELINE_KINDS: Readonly<Record<BaselineKind, BaselineKindSettings>> = {
  flow_rate: {
    scope: 'edge',
    floors: { relative: 0.25, absolute: 3, poisson: true },
    minHistory: 10,
    description: 'flows per window between a source workload and its peer (the larger of the two reporting ends)',
  },
  denied_flow_rate: {
    scope: 'edge',
    floors: { relative: 0.25, absolute: 3, poisson: true },
    minHistory: 10,
    description: 'denied flows per window between a source workload and its peer',
  },
  bytes: {
    scope: 'edge',
    floors: { relative: 0.35, absolute: 64 * 1024, poisson: false },
    minHistory: 10,
    description: 'bytes per window, both directions, between a source workload and its peer',
  },
  dns_error_ratio: {
    scope: 'workload',
    floors: { relative: 0.05, absolute: 0.05, poisson: false },
    minHistory: 10,
    description:
      'NXDOMAIN and SERVFAIL answers over all answers of a client workload (windows with 20 queries or more)',
  },
  http_error_ratio: {
    scope: 'workload',
    floors: { relative: 0.05, absolute: 0.03, poisson: false },
    minHistory: 10,
    description:
      '5xx and unanswered requests over all requests a server workload got (windows with 20 requests or more)',
  },
  http_latency: {
    scope: 'workload',
    floors: { relative: 0.25, absolute: 0.01, poisson: false },
    minHistory: 10,
    description: 'mean request duration of a server workload, seconds (windows with 20 requests or more)',
  },
  retransmissions: {
    scope: 'workload',
    floors: { relative: 0.35, absolute: 5, poisson: true },
    minHistory: 10,
    description: 'TCP retransmissions per window seen by a workload’s end of its flows',
  },
};

/** Ratios and means are judged only over windows with at least this many queries or requests. */
export const MIN_RATIO_VOLUME = 20;

/**
 * `traffic_drop`: an edge is judged for a drop only where it usually has at least this many flows a window (its
 * time-of-day low, the flows it had in nine windows of ten at that time on most recent days) and its trailing median
 * is at least as high. At 30 flows a Poisson count is below 40 % of its mean (a drop score of 6) with a probability of
 * about 1e-4, so two such windows in a row are not noise; an edge with fewer flows going quiet is too ambiguous.
 */
export const MIN_DROP_FLOWS = 30;

/**
 * The score of a drop: 10 when the edge is gone, 0 at its expected level, linear in between; 6 (the enter score) is
 * 40 % of the expected flows. Not a z-score: a drop to zero would score only 1 / relative floor (4 for flows) in
 * scales, and how far below its usual level an edge fell is what a reader wants to know.
 */
export const DROP_SCORE_AT_ZERO = 10;
