// What a user has done to the service graph (filters, collapsed namespaces, selection, zoom), to and from URL
// search parameters, so that a view can be shared, bookmarked and restored. Only what differs from the defaults is
// written; what cannot be read is ignored rather than failing the page.
import { DEFAULT_FILTER, type GraphFilter } from './filters';
import type { GraphLevel } from './frames';

export interface Selection {
  kind: 'node' | 'edge';
  id: string;
}

export interface Viewport {
  x: number;
  y: number;
  scale: number;
}

export interface ViewState {
  filter: Omit<GraphFilter, 'thresholds'>;
  /** `namespace` collapses every namespace; `pod` draws pods where the series carry pod labels. */
  level: GraphLevel;
  /** Workload edges routed through a node per Kubernetes service they were addressed to (`routeThroughServices`). */
  showServices: boolean;
  collapsed: string[];
  selection: Selection | undefined;
  viewport: Viewport | undefined;
}

export const DEFAULT_VIEW: ViewState = {
  filter: {
    namespaces: DEFAULT_FILTER.namespaces,
    workloads: DEFAULT_FILTER.workloads,
    search: DEFAULT_FILTER.search,
    onlyDenied: DEFAULT_FILTER.onlyDenied,
    onlyUnhealthy: DEFAULT_FILTER.onlyUnhealthy,
    showIdle: DEFAULT_FILTER.showIdle,
    protocol: DEFAULT_FILTER.protocol,
    port: DEFAULT_FILTER.port,
  },
  level: 'workload',
  showServices: false,
  collapsed: [],
  selection: undefined,
  viewport: undefined,
};

/** Parameter names, prefixed so that they do not meet Grafana's own (`var-*`, `from`, `to`, `viewPanel`...). */
const PARAM = {
  namespace: 'sg-namespace',
  workload: 'sg-workload',
  search: 'sg-search',
  onlyDenied: 'sg-denied',
  onlyUnhealthy: 'sg-unhealthy',
  showIdle: 'sg-idle',
  protocol: 'sg-protocol',
  port: 'sg-port',
  level: 'sg-level',
  showServices: 'sg-services',
  collapsed: 'sg-collapsed',
  selection: 'sg-selected',
  viewport: 'sg-view',
} as const;

export const VIEW_PARAMS: readonly string[] = Object.values(PARAM);

/** The view as search parameters; lists are repeated parameters, sorted, so equal views give equal URLs. */
export function viewToSearchParams(view: ViewState): URLSearchParams {
  const params = new URLSearchParams();
  for (const namespace of [...view.filter.namespaces].sort()) params.append(PARAM.namespace, namespace);
  for (const workload of [...view.filter.workloads].sort()) params.append(PARAM.workload, workload);
  if (view.filter.search !== '') params.set(PARAM.search, view.filter.search);
  if (view.filter.onlyDenied) params.set(PARAM.onlyDenied, '1');
  if (view.filter.onlyUnhealthy) params.set(PARAM.onlyUnhealthy, '1');
  if (view.filter.showIdle) params.set(PARAM.showIdle, '1');
  if (view.filter.protocol !== '') params.set(PARAM.protocol, view.filter.protocol);
  if (view.filter.port !== '') params.set(PARAM.port, view.filter.port);
  if (view.level !== DEFAULT_VIEW.level) params.set(PARAM.level, view.level);
  if (view.showServices) params.set(PARAM.showServices, '1');
  for (const namespace of [...view.collapsed].sort()) params.append(PARAM.collapsed, namespace);
  if (view.selection) params.set(PARAM.selection, `${view.selection.kind}:${view.selection.id}`);
  if (view.viewport) {
    const { x, y, scale } = view.viewport;
    params.set(PARAM.viewport, [x, y, scale].map((value) => Number(value.toFixed(2))).join(','));
  }
  return params;
}

export function viewFromSearchParams(params: URLSearchParams): ViewState {
  return {
    filter: {
      namespaces: unique(params.getAll(PARAM.namespace)),
      workloads: unique(params.getAll(PARAM.workload)),
      search: params.get(PARAM.search) ?? '',
      onlyDenied: params.get(PARAM.onlyDenied) === '1',
      onlyUnhealthy: params.get(PARAM.onlyUnhealthy) === '1',
      showIdle: params.get(PARAM.showIdle) === '1',
      protocol: params.get(PARAM.protocol) ?? '',
      port: params.get(PARAM.port) ?? '',
    },
    level: parseLevel(params.get(PARAM.level)),
    showServices: params.get(PARAM.showServices) === '1',
    collapsed: unique(params.getAll(PARAM.collapsed)),
    selection: parseSelection(params.get(PARAM.selection)),
    viewport: parseViewport(params.get(PARAM.viewport)),
  };
}

/** Whether the search parameters say anything about the view (else a panel starts from its options). */
export function hasViewParams(params: URLSearchParams): boolean {
  return VIEW_PARAMS.some((name) => params.has(name));
}

/**
 * The view as a query for `locationService.partial`: every view parameter, null where the view leaves it at its
 * default (which removes it from the URL), a list where it repeats.
 */
export function viewToLocationQuery(view: ViewState): Record<string, string | string[] | null> {
  const params = viewToSearchParams(view);
  const query: Record<string, string | string[] | null> = {};
  for (const name of VIEW_PARAMS) {
    const values = params.getAll(name);
    query[name] = values.length === 0 ? null : values.length === 1 ? (values[0] ?? null) : values;
  }
  return query;
}

function parseLevel(text: string | null): GraphLevel {
  return text === 'namespace' || text === 'pod' ? text : 'workload';
}

function unique(values: string[]): string[] {
  return [...new Set(values)].sort();
}

function parseSelection(text: string | null): Selection | undefined {
  const match = text === null ? null : /^(node|edge):(.+)$/.exec(text);
  if (!match) return undefined;
  return { kind: match[1] === 'node' ? 'node' : 'edge', id: match[2] ?? '' };
}

function parseViewport(text: string | null): Viewport | undefined {
  const parts = text?.split(',').map(Number);
  if (!parts || parts.length !== 3 || !parts.every(Number.isFinite)) return undefined;
  const [x = 0, y = 0, scale = 1] = parts;
  return scale > 0 ? { x, y, scale } : undefined;
}
