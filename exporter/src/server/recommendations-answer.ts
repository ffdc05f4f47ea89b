/**
 * The answer to a `/api/v1/recommendations` request from the question and the recommender's inputs: the observed set
 * (the exporter's own flows, or Prometheus' answer read here), the policies, and with `diff` their diff to what is
 * enforced, as JSON (or the YAML `kubectl apply -f -` takes); a Prometheus answer that cannot be read is the 502
 * naming what was wrong. Pure, and all of the request's CPU work: the recommendation worker runs it off the event
 * loop (`recommendations-worker.ts`), and the tests run it in-process to check that the worker's answer is the same,
 * byte for byte.
 */
import {
  diffRecommendation,
  PrometheusAnswerError,
  readPrometheusFlowsAnswer,
  recommendPolicies,
  renderRecommendationYaml,
  type EnforcedPolicies,
  type ObservedFlow,
  type PrometheusFlowsAnswer,
  type RecommendCluster,
  type RecommendFormat,
} from '../policy/recommend';

export const OBSERVED_SOURCES = ['local', 'prometheus'] as const;
export type ObservedSource = (typeof OBSERVED_SOURCES)[number];

/** What was asked; plain data (it is posted to the worker as it is). */
export interface RecommendationQuestion {
  readonly format: RecommendFormat;
  readonly namespace: string | undefined;
  /** `Accept: application/yaml`: the policies as YAML documents (never with the diff). */
  readonly yaml: boolean;
}

/** The flows to recommend from: the exporter's own set as it is now, or Prometheus' answer, still unread. */
export type ObservedInput =
  | {
      readonly source: 'local';
      readonly flows: readonly ObservedFlow[];
      /** The set's budget (`api.maxObservedFlows`) and the new flows it refused past it. */
      readonly budget: number;
      readonly dropped: number;
    }
  | { readonly source: 'prometheus'; readonly answer: PrometheusFlowsAnswer; readonly budget: number };

export interface RecommendationInputs {
  readonly cluster: RecommendCluster;
  readonly observed: ObservedInput;
  /** `diff=true`: what is enforced today; undefined for the policies alone. */
  readonly enforced: EnforcedPolicies | undefined;
}

export interface RecommendationAnswer {
  readonly status: 200 | 502;
  readonly contentType: string;
  readonly body: string;
}

/** The observed set as the answer describes it. */
interface ObservedSet {
  readonly flows: readonly ObservedFlow[];
  readonly dropped: number;
  readonly skipped?: Readonly<Record<string, number>>;
  /** What reading the set found wrong (Prometheus' advice and skipped tuples), before the recommender's own. */
  readonly warnings: readonly string[];
}

export function recommendationAnswer(
  question: RecommendationQuestion,
  inputs: RecommendationInputs,
): RecommendationAnswer {
  const { format, namespace } = question;
  const { source, budget } = inputs.observed;
  let observed: ObservedSet;
  try {
    observed = observedSet(inputs.observed, inputs.cluster);
  } catch (error) {
    if (!(error instanceof PrometheusAnswerError)) throw error;
    return {
      status: 502,
      contentType: 'text/plain; charset=utf-8',
      body: `observed flows from Prometheus: ${error.message} (?observed=local answers from this exporter's own flows)\n`,
    };
  }
  const recommendation = recommendPolicies(inputs.cluster, observed.flows, { format, namespace });
  const warnings = [...observed.warnings, ...recommendation.warnings];
  if (observed.dropped > 0) {
    warnings.unshift(
      `${observed.dropped} distinct flows past the budget of ${budget} (api.maxObservedFlows) were not kept; the policies miss them`,
    );
  }
  if (question.yaml) {
    return {
      status: 200,
      contentType: 'application/yaml; charset=utf-8',
      body: renderRecommendationYaml({ ...recommendation, warnings }),
    };
  }
  const body = `${JSON.stringify({
    format,
    namespace: namespace ?? null,
    policies: recommendation.policies,
    warnings,
    flowsUsed: recommendation.flowsUsed,
    flowsSkipped: recommendation.flowsSkipped,
    observed: {
      source,
      flows: observed.flows.length,
      budget,
      dropped: observed.dropped,
      complete: observed.dropped === 0,
      ...(observed.skipped === undefined ? {} : { skipped: observed.skipped }),
    },
    ...(inputs.enforced === undefined
      ? {}
      : {
          diff: diffRecommendation(inputs.cluster, observed.flows, recommendation, inputs.enforced, {
            format,
            namespace,
          }),
        }),
  })}\n`;
  return { status: 200, contentType: 'application/json', body };
}

/** Throws a `PrometheusAnswerError` when Prometheus' answer cannot be read. */
function observedSet(input: ObservedInput, cluster: RecommendCluster): ObservedSet {
  if (input.source === 'local') return { flows: input.flows, dropped: input.dropped, warnings: [] };
  const read = readPrometheusFlowsAnswer(input.answer, cluster.networkSets, input.budget);
  return {
    flows: read.observed.flows(),
    dropped: read.observed.dropped,
    skipped: read.skipped,
    warnings: read.warnings,
  };
}
