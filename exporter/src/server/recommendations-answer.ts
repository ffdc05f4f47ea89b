/**
 * The body of a `/api/v1/recommendations` answer from the question and the recommender's inputs: the policies, and
 * with `diff` their diff to what is enforced, as JSON (or the YAML `kubectl apply -f -` takes). Pure, and all of the
 * request's CPU work: the recommendation worker runs it off the event loop (`recommendations-worker.ts`), and the
 * tests run it in-process to check that the worker's answer is the same, byte for byte.
 */
import {
  diffRecommendation,
  recommendPolicies,
  renderRecommendationYaml,
  type EnforcedPolicies,
  type ObservedFlow,
  type RecommendCluster,
  type RecommendFormat,
} from '../policy/recommend';

export const OBSERVED_SOURCES = ['local', 'prometheus'] as const;
export type ObservedSource = (typeof OBSERVED_SOURCES)[number];

/** What was asked, and what is known of the observed set; plain data (it is posted to the worker as it is). */
export interface RecommendationQuestion {
  readonly format: RecommendFormat;
  readonly namespace: string | undefined;
  /** `Accept: application/yaml`: the policies as YAML documents (never with the diff). */
  readonly yaml: boolean;
  readonly observed: {
    readonly source: ObservedSource;
    /** Distinct flows in the set, its budget and the new ones refused past it. */
    readonly flows: number;
    readonly budget: number;
    readonly dropped: number;
    /** Prometheus' tuples that could not become flows, by reason (`observed=prometheus` only). */
    readonly skipped?: Readonly<Record<string, number>> | undefined;
    /** What reading the set found wrong (Prometheus' warnings), before the recommender's own. */
    readonly warnings: readonly string[];
  };
}

export interface RecommendationInputs {
  readonly cluster: RecommendCluster;
  readonly flows: readonly ObservedFlow[];
  /** `diff=true`: what is enforced today; undefined for the policies alone. */
  readonly enforced: EnforcedPolicies | undefined;
}

export interface RecommendationAnswer {
  readonly contentType: string;
  readonly body: string;
}

export function recommendationAnswer(
  question: RecommendationQuestion,
  inputs: RecommendationInputs,
): RecommendationAnswer {
  const { format, namespace, observed } = question;
  const recommendation = recommendPolicies(inputs.cluster, inputs.flows, { format, namespace });
  const warnings = [...observed.warnings, ...recommendation.warnings];
  if (observed.dropped > 0) {
    warnings.unshift(
      `${observed.dropped} distinct flows past the budget of ${observed.budget} (api.maxObservedFlows) were not kept; the policies miss them`,
    );
  }
  if (question.yaml) {
    return {
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
      source: observed.source,
      flows: observed.flows,
      budget: observed.budget,
      dropped: observed.dropped,
      complete: observed.dropped === 0,
      ...(observed.skipped === undefined ? {} : { skipped: observed.skipped }),
    },
    ...(inputs.enforced === undefined
      ? {}
      : {
          diff: diffRecommendation(inputs.cluster, inputs.flows, recommendation, inputs.enforced, {
            format,
            namespace,
          }),
        }),
  })}\n`;
  return { contentType: 'application/json', body };
}
