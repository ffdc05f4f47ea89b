import { DEFAULT_FILTER, DEFAULT_HEALTH_THRESHOLDS } from '../../data/filters';
import type { ColorMode } from '../../data/render-plan';

/** A named view: the view's URL parameters (`viewToSearchParams`), so it round-trips like a shared link. */
export interface SavedView {
  name: string;
  params: string;
}

export interface ServiceGraphOptions {
  search: string;
  onlyDenied: boolean;
  onlyUnhealthy: boolean;
  showIdle: boolean;
  /** Workload edges routed through a node per Kubernetes service they were addressed to. */
  showServices: boolean;
  errorRatioThreshold: number;
  p99ThresholdSeconds: number;
  /** Namespaces drawn as one node each, their edges merged. */
  collapsedNamespaces: string[];
  /** Edge colors: by policy verdict or by HTTP health. */
  colorBy: ColorMode;
  /** Dashes moving along the edges in the direction of traffic. */
  animate: boolean;
  /** Views saved from the panel's picker. */
  savedViews: SavedView[];
  /** How many of the busiest edges the table mode lists. */
  maxEdges: number;
}

export const DEFAULT_OPTIONS: ServiceGraphOptions = {
  search: DEFAULT_FILTER.search,
  onlyDenied: DEFAULT_FILTER.onlyDenied,
  onlyUnhealthy: DEFAULT_FILTER.onlyUnhealthy,
  showIdle: DEFAULT_FILTER.showIdle,
  showServices: false,
  errorRatioThreshold: DEFAULT_HEALTH_THRESHOLDS.errorRatio,
  p99ThresholdSeconds: DEFAULT_HEALTH_THRESHOLDS.p99Seconds,
  collapsedNamespaces: [],
  colorBy: 'verdict',
  animate: false,
  savedViews: [],
  maxEdges: 200,
};
