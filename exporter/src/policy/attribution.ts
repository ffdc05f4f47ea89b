/**
 * The policy stage of the pipeline: for each flow, what the policy engine says about the reporting end's
 * direction (egress when the source reported, ingress when the destination did).
 * - Flows whose input names no deciding policy (Hubble flows of older Cilium, IP-only sources) take the
 *   engine's policy and tier.
 * - Flows that carry the dataplane's own answer (Calico's trace) keep it; when the engine disagrees, the
 *   disagreement is counted, since it means the cluster view is stale or the engine is wrong.
 * - What staged policies would decide is attached to the record for the staged-preview families, from the
 *   dataplane's pending trace when it has one, else from the engine.
 */
import { decidingHit } from '../sources/calico-policy';
import type { Endpoint, FlowRecord } from '../model/flow';
import type { Enricher } from '../pipeline/enrich';
import { recordTime } from '../cluster/enricher';
import type { DirectionOutcome, EngineEndpoint, UnifiedPolicyEngine } from './engine';
import type { PodInfo } from './kubernetes';

/** What the stage needs of the cluster: the engine over the current policies and a way to find pods. */
export interface PolicyContext {
  readonly engine: UnifiedPolicyEngine;
  /**
   * The pod behind a flow endpoint (by pod name, Calico's aggregated pod prefix, or IP), if the view knows it;
   * `atSeconds` is the flow's time, for views that remember which pod held a reused IP when.
   */
  podFor(endpoint: Endpoint, atSeconds?: number): PodInfo | undefined;
}

export interface AttributionCounters {
  /** The dataplane's deciding policy differs from the engine's. */
  mismatches: number;
  /** Flows whose policy came from the engine. */
  attributed: number;
}

export class PolicyAttribution implements Enricher {
  readonly counters: AttributionCounters = { mismatches: 0, attributed: 0 };

  /** `context` is read per record, so a view that swaps its engine on policy changes is picked up at once. */
  constructor(private readonly context: () => PolicyContext | undefined) {}

  enrich(record: FlowRecord): void {
    const context = this.context();
    const outcome = context === undefined ? undefined : this.evaluate(record, context);
    if (outcome !== undefined) {
      if (record.verdict.policy === 'unknown') {
        record.verdict = { policy: outcome.enforced.policy, tier: outcome.enforced.tier };
        record.enforcedPolicies = [...outcome.enforced.trace];
        this.counters.attributed++;
      } else if (record.enforcedPolicies.length > 0 && outcome.enforced.policy !== record.verdict.policy) {
        this.counters.mismatches++;
      }
    }
    // The dataplane's pending trace, when it has one, is the truth about staged policies; else the engine's.
    const pendingHit = decidingHit(record.pendingPolicies, true);
    if (pendingHit !== undefined) {
      if (pendingHit.staged && (pendingHit.action === 'allow' || pendingHit.action === 'deny')) {
        record.staged = { ...pendingHit.verdict, action: pendingHit.action };
      }
    } else if (outcome !== undefined && outcome.pending.staged) {
      record.staged = { policy: outcome.pending.policy, tier: outcome.pending.tier, action: outcome.pending.verdict };
    }
  }

  private evaluate(record: FlowRecord, context: PolicyContext): DirectionOutcome | undefined {
    const atSeconds = recordTime(record);
    const source = engineEndpoint(record.source, context, atSeconds);
    const destination = engineEndpoint(record.destination, context, atSeconds);
    if (source === undefined || destination === undefined) return undefined;
    const verdict = context.engine.evaluate({
      source,
      destination,
      port: record.destPort,
      protocol: record.protocol,
    });
    return record.reporter === 'src' ? verdict.egress : verdict.ingress;
  }
}

function engineEndpoint(endpoint: Endpoint, context: PolicyContext, atSeconds: number): EngineEndpoint | undefined {
  if (endpoint.kind === 'pod' || (endpoint.kind === 'unknown' && endpoint.ip !== '')) {
    const pod = context.podFor(endpoint, atSeconds);
    if (pod === undefined) return undefined;
    // Calico's serviceAccountSelector and serviceAccounts match on the pod's account.
    const serviceAccount = pod.serviceAccount === '' ? undefined : pod.serviceAccount;
    return {
      kind: 'pod',
      pod,
      ...(endpoint.ip === '' ? {} : { ip: endpoint.ip }),
      ...(serviceAccount === undefined ? {} : { serviceAccount }),
    };
  }
  return endpoint.ip === '' ? undefined : { kind: 'external', ip: endpoint.ip };
}
