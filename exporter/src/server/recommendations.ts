/**
 * `GET /api/v1/recommendations?namespace=NS&format=kubernetes|calico-staged&observed=local|prometheus`: the policies
 * `flowlens policy recommend` would write, from the flows this exporter has observed since it started (`local`), or
 * from the whole cluster's flows over `api.prometheus.range` as Prometheus holds them (`prometheus`, the default
 * when `api.prometheus` is configured), so any exporter behind the Service answers for the cluster. What the
 * exporter saw (who talks to whom) is more than its metrics say, so callers authenticate and are authorized as for
 * the audit webhook: a bearer token from `api.tokenFile`, or a client certificate whose CN or O is allowed, or either.
 *
 * JSON by default (policies as objects, warnings, how many flows were used and whether the observed set overflowed);
 * `Accept: application/yaml` gives the YAML `kubectl apply -f -` takes. A bad parameter is a 400 naming it and the
 * values it takes; no cluster view yet (the live view not listed, or neither --resources nor --kubernetes) is a 503;
 * Prometheus unreachable or answering badly is a 502 naming what was wrong.
 *
 * `diff=true` adds `diff` to the JSON: each policy against the enforced object of its name (new, changed with a
 * line diff of the YAML, unchanged), the enforced policies on the same workloads, and the traffic the two disagree
 * on (`policy/recommend/diff.ts`). JSON only; 503 while the enforced policies are unknown.
 *
 * The recommendation and the diff are computed in a worker thread (`recommendation-runner.ts`), so scrapes are
 * answered meanwhile: one at a time, a few more waiting (past them a 503 with Retry-After), each within
 * `api.recommendationTimeout` (past it a 504); a computation that fails is a 500 naming the cause.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebhookAuth } from '../sources/audit/webhook';
import { dataApiGuard } from './data-api';
import {
  PrometheusQueryError,
  RECOMMEND_FORMATS,
  type EnforcedPolicies,
  type ObservedFlows,
  type ObservedQueryOptions,
  type PrometheusFlowsAnswer,
  type RecommendCluster,
} from '../policy/recommend';
import { OBSERVED_SOURCES, type ObservedInput, type ObservedSource } from './recommendations-answer';
import { RECOMMENDATION_OUTCOMES, type RecommendationRunner } from './recommendation-runner';
import type { Logger } from '../log';
import type { SelfMetrics } from '../metrics/registry';

export const RECOMMENDATIONS_PATH = '/api/v1/recommendations';
const PARAMETERS = ['namespace', 'format', 'diff', 'observed'];
/** Seconds a caller refused for a full queue (or a shutdown) is asked to wait: about a namespace's diff, twice. */
const BUSY_RETRY_AFTER_SECONDS = 2;
const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export interface RecommendationsOptions {
  auth: WebhookAuth;
  observed: ObservedFlows;
  /** The cluster as now known; undefined while there is none (a live view not yet listed). */
  cluster: () => RecommendCluster | undefined;
  /** The policies enforced now, for `diff=true`; undefined while unknown (see diff.ts). */
  enforced?: () => EnforcedPolicies | undefined;
  /** The cluster's flows from Prometheus, when `api.prometheus` is configured (then the default source). */
  prometheus?: PrometheusFlows | undefined;
  /** Computes the answer off the event loop, one at a time, within a time limit (recommendation-runner.ts). */
  runner: Pick<RecommendationRunner, 'run'>;
  /** Where timeouts and failures are reported (the caller's answer names them too). */
  logger?: Logger | undefined;
  /** Counts each request's outcome in `flowlens_recommendations_total`, when given. */
  self?: Pick<SelfMetrics, 'recommendations'> | undefined;
}

/**
 * Prometheus' answer for the observed flows of `query`, unread (the worker reads it, under the exporter's own
 * budget); rejects with a Prometheus query error.
 */
export type PrometheusFlows = (query: Pick<ObservedQueryOptions, 'namespace'>) => Promise<PrometheusFlowsAnswer>;

export type RecommendationsHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

export function createRecommendationsHandler(options: RecommendationsOptions): RecommendationsHandler {
  const admitted = dataApiGuard(options.auth);
  // Every outcome from the start, so a rate of timeouts reads 0 rather than no data.
  for (const outcome of RECOMMENDATION_OUTCOMES) options.self?.recommendations.add([outcome], 0);
  return async (request, response) => {
    if (!(await admitted(request, response))) return;
    const query = new URL(request.url ?? '/', 'http://exporter').searchParams;
    for (const name of new Set(query.keys())) {
      if (!PARAMETERS.includes(name)) {
        return badRequest(response, `unknown parameter "${name}"; known parameters are ${PARAMETERS.join(', ')}`);
      }
      if (query.getAll(name).length > 1) return badRequest(response, `parameter "${name}" is given more than once`);
    }
    const formatText = query.get('format') ?? 'kubernetes';
    const format = RECOMMEND_FORMATS.find((candidate) => candidate === formatText);
    if (format === undefined) {
      return badRequest(response, `format "${formatText}" must be one of ${RECOMMEND_FORMATS.join(', ')}`);
    }
    const namespace = query.get('namespace') ?? undefined;
    if (namespace !== undefined && !NAMESPACE_NAME.test(namespace)) {
      return badRequest(response, `namespace "${namespace}" must be a namespace name (lower-case letters, digits, -)`);
    }
    const diffText = query.get('diff') ?? 'false';
    if (diffText !== 'true' && diffText !== 'false') {
      return badRequest(response, `diff "${diffText}" must be true or false`);
    }
    const wantsYaml = /\b(application|text)\/(x-)?yaml\b/.test(request.headers.accept ?? '');
    if (diffText === 'true' && wantsYaml) {
      return badRequest(response, 'diff=true answers JSON only: ask with Accept: application/json, or drop diff');
    }
    const sourceText = query.get('observed') ?? (options.prometheus === undefined ? 'local' : 'prometheus');
    const source = OBSERVED_SOURCES.find((candidate) => candidate === sourceText);
    if (source === undefined) {
      return badRequest(response, `observed "${sourceText}" must be one of ${OBSERVED_SOURCES.join(', ')}`);
    }
    if (source === 'prometheus' && options.prometheus === undefined) {
      return badRequest(
        response,
        'observed "prometheus" needs api.prometheus (url, range) in the exporter configuration',
      );
    }
    const cluster = options.cluster();
    if (cluster === undefined) {
      response.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '5' });
      response.end('no cluster view yet: serve with --resources FILE or --kubernetes (and wait for /readyz)\n');
      return;
    }
    const enforced = diffText === 'true' ? options.enforced?.() : undefined;
    if (diffText === 'true' && enforced === undefined) {
      response.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '5' });
      response.end(
        'diff=true: the enforced policies are not known yet (the live view not listed, or it may not list policies: grant the ClusterRole its policy rules)\n',
      );
      return;
    }
    const observed = await observedInput(source, options, namespace);
    if (typeof observed === 'string') {
      response.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(`${observed}\n`);
      return;
    }
    // Before the answer is written, 'close' means the caller went away: a waiting request is then not computed.
    let callerGone = false;
    response.once('close', () => (callerGone = true));
    const outcome = await options.runner.run(
      { format, namespace, yaml: wantsYaml },
      { cluster, observed, enforced },
      () => !callerGone,
    );
    options.self?.recommendations.add([outcome.kind]);
    switch (outcome.kind) {
      case 'answer': {
        const { status, contentType, body } = outcome.answer;
        // A Prometheus answer the worker could not read is its 502, as a query that failed here.
        response.writeHead(
          status,
          status === 200
            ? { 'content-type': contentType, 'cache-control': 'no-store' }
            : { 'content-type': contentType },
        );
        response.end(request.method === 'HEAD' ? undefined : body);
        return;
      }
      case 'busy':
        return plainError(
          response,
          503,
          `busy: one recommendation is being computed and ${outcome.maxQueued} more are waiting (the most this exporter queues); try again shortly`,
          BUSY_RETRY_AFTER_SECONDS,
        );
      case 'timeout':
        options.logger?.log('warn', 'recommendation stopped at its time limit', {
          timeoutSeconds: outcome.timeoutMs / 1000,
          namespace: namespace ?? '',
          diff: enforced !== undefined,
        });
        return plainError(
          response,
          504,
          `the recommendation took longer than ${outcome.timeoutMs / 1000}s (api.recommendationTimeout) and was stopped: ask for one namespace, or raise the limit`,
        );
      case 'failed':
        options.logger?.log('error', 'recommendation failed', { error: outcome.message });
        return plainError(response, 500, `the recommendation could not be computed: ${outcome.message}`);
      case 'closed':
        return plainError(response, 503, 'the exporter is shutting down', BUSY_RETRY_AFTER_SECONDS);
      case 'abandoned':
        return;
    }
  };
}

/** A plain-text error answer; `retryAfterSeconds` for the ones worth retrying as they are. */
function plainError(response: ServerResponse, status: number, message: string, retryAfterSeconds?: number): void {
  response.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    ...(retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) }),
  });
  response.end(`${message}\n`);
}

/** The flows to recommend from (Prometheus' answer still unread), or the message of a 502 when it could not be asked. */
async function observedInput(
  source: ObservedSource,
  options: RecommendationsOptions,
  namespace: string | undefined,
): Promise<ObservedInput | string> {
  // Both sets are under the same budget (`api.maxObservedFlows`).
  const budget = options.observed.maxEntries;
  if (source === 'local' || options.prometheus === undefined) {
    return { source: 'local', flows: options.observed.flows(), budget, dropped: options.observed.dropped };
  }
  try {
    return { source: 'prometheus', answer: await options.prometheus({ namespace }), budget };
  } catch (error) {
    if (error instanceof PrometheusQueryError) {
      return `observed flows from Prometheus: ${error.message} (?observed=local answers from this exporter's own flows)`;
    }
    throw error;
  }
}

function badRequest(response: ServerResponse, message: string): void {
  response.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(`${message}\n`);
}
