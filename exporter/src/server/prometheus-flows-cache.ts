/**
 * Reuses Prometheus' answer for the cluster's observed flows for a short while. Each recommendation asks Prometheus
 * for `last_over_time(flowlens_flows_total[7d])` over the whole cluster, one of the heavier queries it can get, and the
 * Grafana app's Recommendations page asks again on every namespace or format switch; a week of history does not change
 * in a minute. Answers are kept per namespace as they came, unread: the recommendation worker reads each one with the
 * network sets of its own request, so a change of the sets counts at once. Requests arriving while the same query is
 * on its way share it, and a failed query is not kept, so the next request tries again.
 */
import type { PrometheusFlowsAnswer } from '../policy/recommend';
import type { PrometheusFlows } from './recommendations';

export const DEFAULT_PROMETHEUS_CACHE_SECONDS = 60;
/** Answers kept at most (one per namespace asked for, plus the cluster's): the oldest goes first. */
export const MAX_CACHED_ANSWERS = 64;

export interface PrometheusFlowsCacheOptions {
  /** How long an answer is reused, counted from when it was asked for. */
  ttlSeconds: number;
  maxEntries?: number;
  /** Milliseconds; the tests' clock. */
  now?: () => number;
}

interface CachedAnswer {
  answer: Promise<PrometheusFlowsAnswer>;
  expiresAt: number;
}

export function cachePrometheusFlows(fetch: PrometheusFlows, options: PrometheusFlowsCacheOptions): PrometheusFlows {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? MAX_CACHED_ANSWERS;
  const answers = new Map<string, CachedAnswer>();
  return (query) => {
    const key = query.namespace ?? '';
    const cached = answers.get(key);
    if (cached !== undefined && cached.expiresAt > now()) return cached.answer;
    answers.delete(key);
    const answer = fetch(query);
    const entry = { answer, expiresAt: now() + options.ttlSeconds * 1000 };
    answers.set(key, entry);
    // Only this entry, if still the one kept: a later request may have replaced it meanwhile.
    answer.catch(() => {
      if (answers.get(key) === entry) answers.delete(key);
    });
    for (const oldest of answers.keys()) {
      if (answers.size <= maxEntries) break;
      answers.delete(oldest);
    }
    return answer;
  };
}
