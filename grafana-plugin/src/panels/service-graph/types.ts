import { DEFAULT_FILTER, DEFAULT_HEALTH_THRESHOLDS } from '../../data/filters';

export interface ServiceGraphOptions {
  search: string;
  onlyDenied: boolean;
  onlyUnhealthy: boolean;
  showIdle: boolean;
  errorRatioThreshold: number;
  p99ThresholdSeconds: number;
  /** Namespaces drawn as one node each, their edges merged. */
  collapsedNamespaces: string[];
  /** How many of the busiest edges the table lists. */
  maxEdges: number;
}

export const DEFAULT_OPTIONS: ServiceGraphOptions = {
  search: DEFAULT_FILTER.search,
  onlyDenied: DEFAULT_FILTER.onlyDenied,
  onlyUnhealthy: DEFAULT_FILTER.onlyUnhealthy,
  showIdle: DEFAULT_FILTER.showIdle,
  errorRatioThreshold: DEFAULT_HEALTH_THRESHOLDS.errorRatio,
  p99ThresholdSeconds: DEFAULT_HEALTH_THRESHOLDS.p99Seconds,
  collapsedNamespaces: [],
  maxEdges: 200,
};
