/**
 * Hotspots: the workloads and edges that stand out in the latest complete window, per category, with the numbers
 * behind each rank and a link path to the dashboard that explains it. Pure: it reads one window's totals (the anomaly
 * stage's, window-totals.ts) and ranks them; `/api/v1/hotspots` (server/hotspots.ts) serves the result.
 *
 * Ratios and means rank only workloads with enough volume in the window (MIN_RATIO_VOLUME requests or queries), so a
 * single failed request (a ratio of 1) cannot top the list; counts rank only entries above zero.
 */
import { MIN_RATIO_VOLUME } from './anomaly/kinds';
import type { EdgeDirection, EdgeTotals, WindowTotals, WorkloadTotals } from './anomaly/window-totals';

export const HOTSPOT_CATEGORIES = ['latency', 'errors', 'denied', 'retransmissions', 'dns'] as const;
export type HotspotCategory = (typeof HOTSPOT_CATEGORIES)[number];

export const DEFAULT_HOTSPOT_LIMIT = 10;
export const MAX_HOTSPOT_LIMIT = 100;

/** The dashboard (uid, as in dashboards/src/common.ts DASHBOARDS) that explains each category. */
export const HOTSPOT_DASHBOARDS: Readonly<Record<HotspotCategory, string>> = {
  latency: 'flowlens-http',
  errors: 'flowlens-http',
  denied: 'flowlens-flows',
  retransmissions: 'flowlens-tcp',
  dns: 'flowlens-dns',
};

export interface HotspotQuery {
  /** Entries per category, 1 to MAX_HOTSPOT_LIMIT. */
  limit: number;
  /** Only workloads of this namespace, and edges with either end in it. */
  namespace: string | undefined;
  categories: readonly HotspotCategory[];
}

export interface HotspotEntry {
  namespace: string;
  workload: string;
  /** For edges (denied flows): `egress` to the peer, or `ingress` from a peer outside the cluster; absent for workloads. */
  direction?: EdgeDirection;
  /** The other end, for edges (denied flows); absent for workloads. */
  peerNamespace?: string;
  peerWorkload?: string;
  /** What the entry is ranked by (descending): see each category's `metric`. */
  value: number;
  /** The counts behind the value, named. */
  numbers: Record<string, number>;
  /** Path of the dashboard showing this entry, e.g. `/d/flowlens-dns?var-namespace=shop&var-workload=shipping`. */
  dashboard: string;
}

export interface HotspotRanking {
  /** What `value` is. */
  metric: string;
  /** Entries with less volume than this were not ranked (ratios and means), or 1 for counts. */
  minVolume: number;
  entries: HotspotEntry[];
}

export interface HotspotReport {
  /** The window ranked (unix seconds), or null before the first window has closed. */
  window: { start: number; end: number } | null;
  namespace: string | null;
  limit: number;
  categories: Partial<Record<HotspotCategory, HotspotRanking>>;
}

export function dashboardPath(category: HotspotCategory, namespace: string, workload: string): string {
  const query = new URLSearchParams({ 'var-namespace': namespace, 'var-workload': workload });
  return `/d/${HOTSPOT_DASHBOARDS[category]}?${query.toString()}`;
}

const METRICS: Readonly<Record<HotspotCategory, string>> = {
  latency: 'mean HTTP request duration of a server workload, seconds',
  errors: '5xx and unanswered requests over all requests a server workload got',
  denied: 'denied flows per second on an edge (the larger of the two reporting ends)',
  retransmissions: 'TCP retransmissions per second seen by a workload’s end of its flows',
  dns: 'NXDOMAIN and SERVFAIL answers over all answers a client workload got',
};

const round = (value: number, digits = 6): number => Number(value.toFixed(digits));

/** Ranks one window's totals; `window` undefined (none closed yet) gives empty rankings. */
export function rankHotspots(window: WindowTotals | undefined, query: HotspotQuery): HotspotReport {
  const categories: Partial<Record<HotspotCategory, HotspotRanking>> = {};
  const seconds = window === undefined ? 1 : window.end - window.start;
  const workloads = window === undefined ? [] : [...window.workloads.values()].filter((w) => inNamespace(w, query));
  const edges = window === undefined ? [] : [...window.edges.values()].filter((e) => inNamespace(e, query));
  for (const category of query.categories) {
    const entries =
      category === 'denied'
        ? edges.flatMap((edge) => deniedEntry(edge, seconds))
        : workloads.flatMap((totals) => workloadEntry(category, totals, seconds));
    entries.sort(byValueThenVolume);
    categories[category] = {
      metric: METRICS[category],
      minVolume: category === 'denied' || category === 'retransmissions' ? 1 : MIN_RATIO_VOLUME,
      entries: entries.slice(0, query.limit).map(({ volume: _volume, ...entry }) => entry),
    };
  }
  return {
    window: window === undefined ? null : { start: window.start, end: window.end },
    namespace: query.namespace ?? null,
    limit: query.limit,
    categories,
  };
}

type Ranked = HotspotEntry & { volume: number };

/** Higher value first; on a tie the larger volume (more evidence), then by name so the order is stable. */
function byValueThenVolume(a: Ranked, b: Ranked): number {
  return (
    b.value - a.value ||
    b.volume - a.volume ||
    `${a.namespace}/${a.workload}>${a.peerNamespace ?? ''}/${a.peerWorkload ?? ''}`.localeCompare(
      `${b.namespace}/${b.workload}>${b.peerNamespace ?? ''}/${b.peerWorkload ?? ''}`,
    )
  );
}

function inNamespace(entity: { namespace: string; peerNamespace?: string }, query: HotspotQuery): boolean {
  return (
    query.namespace === undefined || entity.namespace === query.namespace || entity.peerNamespace === query.namespace
  );
}

function deniedEntry(edge: EdgeTotals, seconds: number): Ranked[] {
  // Both ends may report the same flows; the larger end's count is the edge's.
  const denied = Math.max(edge.denied[0], edge.denied[1]);
  if (denied < 1) return [];
  const flows = Math.max(edge.flows[0], edge.flows[1]);
  // The edge is already told from its cluster workload's side (an edge from outside the cluster is its destination's
  // ingress), so the entry and its dashboard link name the workload whose team owns the denial.
  return [
    {
      namespace: edge.namespace,
      workload: edge.workload,
      direction: edge.direction,
      peerNamespace: edge.peerNamespace,
      peerWorkload: edge.peerWorkload,
      value: round(denied / seconds),
      numbers: { deniedPerSecond: round(denied / seconds), denied, flows, deniedRatio: round(denied / flows) },
      dashboard: dashboardPath('denied', edge.namespace, edge.workload),
      volume: denied,
    },
  ];
}

function workloadEntry(category: HotspotCategory, totals: WorkloadTotals, seconds: number): Ranked[] {
  const base = {
    namespace: totals.namespace,
    workload: totals.workload,
    dashboard: dashboardPath(category, totals.namespace, totals.workload),
  };
  switch (category) {
    case 'latency': {
      if (totals.httpTimed < MIN_RATIO_VOLUME) return [];
      const mean = totals.httpDurationSum / totals.httpTimed;
      return [
        {
          ...base,
          value: round(mean),
          numbers: { meanSeconds: round(mean), timedRequests: totals.httpTimed },
          volume: totals.httpTimed,
        },
      ];
    }
    case 'errors': {
      if (totals.httpRequests < MIN_RATIO_VOLUME) return [];
      const ratio = totals.httpErrors / totals.httpRequests;
      return [
        {
          ...base,
          value: round(ratio),
          numbers: { errorRatio: round(ratio), errors: totals.httpErrors, requests: totals.httpRequests },
          volume: totals.httpRequests,
        },
      ];
    }
    case 'dns': {
      if (totals.dnsAnswers < MIN_RATIO_VOLUME) return [];
      const ratio = totals.dnsErrors / totals.dnsAnswers;
      return [
        {
          ...base,
          value: round(ratio),
          numbers: { failureRatio: round(ratio), failures: totals.dnsErrors, answers: totals.dnsAnswers },
          volume: totals.dnsAnswers,
        },
      ];
    }
    case 'retransmissions': {
      if (totals.retransmissions < 1) return [];
      const perSecond = totals.retransmissions / seconds;
      return [
        {
          ...base,
          value: round(perSecond),
          numbers: { retransmissionsPerSecond: round(perSecond), retransmissions: totals.retransmissions },
          volume: totals.retransmissions,
        },
      ];
    }
    case 'denied':
      return [];
  }
}

const PARAMETERS = ['limit', 'namespace', 'by'];
const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** The query of `/api/v1/hotspots`, or the problem with it (naming the parameter) for a 400. */
export function parseHotspotQuery(parameters: URLSearchParams): HotspotQuery | { error: string } {
  for (const name of new Set(parameters.keys())) {
    if (!PARAMETERS.includes(name)) {
      return { error: `unknown parameter "${name}"; known parameters are ${PARAMETERS.join(', ')}` };
    }
    if (parameters.getAll(name).length > 1) return { error: `parameter "${name}" is given more than once` };
  }
  const limitText = parameters.get('limit');
  const limit = limitText === null ? DEFAULT_HOTSPOT_LIMIT : Number(limitText);
  if (limitText !== null && (!/^\d+$/.test(limitText) || limit < 1 || limit > MAX_HOTSPOT_LIMIT)) {
    return { error: `limit "${limitText}" must be a whole number from 1 to ${MAX_HOTSPOT_LIMIT}` };
  }
  const namespace = parameters.get('namespace') ?? undefined;
  if (namespace !== undefined && !NAMESPACE_NAME.test(namespace)) {
    return { error: `namespace "${namespace}" must be a namespace name (lower-case letters, digits, -)` };
  }
  const byText = parameters.get('by');
  let categories: readonly HotspotCategory[] = HOTSPOT_CATEGORIES;
  if (byText !== null) {
    const chosen: HotspotCategory[] = [];
    for (const name of byText.split(',')) {
      const category = HOTSPOT_CATEGORIES.find((candidate) => candidate === name.trim());
      if (category === undefined) {
        return { error: `by "${byText}" must be one or more of ${HOTSPOT_CATEGORIES.join(', ')} (comma-separated)` };
      }
      if (!chosen.includes(category)) chosen.push(category);
    }
    categories = chosen;
  }
  return { limit, namespace, categories };
}
