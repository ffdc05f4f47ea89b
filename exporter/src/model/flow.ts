/**
 * The flow record: what every flow source decodes its input into, and what the rest of the pipeline
 * (enrich -> aggregate -> expose) reads. Sources know nothing about Prometheus; the aggregator knows
 * nothing about input formats. This type is the contract between them.
 */

import type { LabelSet } from './labels';

/** What kind of peer an endpoint is. Pods are workload endpoints; the rest are peers outside the pod network. */
export type EndpointKind = 'pod' | 'host' | 'networkset' | 'world' | 'private' | 'unknown';

export interface Endpoint {
  kind: EndpointKind;
  /** Empty for peers that are not namespaced (hosts, global network sets, the internet). */
  namespace: string;
  /**
   * The owning controller's name for pods (Deployment, StatefulSet, DaemonSet, CronJob, Job), else
   * `world`, `private`, the network set's name or the host's name. Empty until the enrich stage has run
   * when the source could not tell.
   */
  workload: string;
  /** `Deployment`, `StatefulSet`, `DaemonSet`, `CronJob`, `Job`, `ReplicaSet`, `Pod`, ... or empty when unknown. */
  workloadKind: string;
  /** Pod name, or the aggregated pod prefix (`frontend-7d4b9c8f5-*`) when the source aggregated pods. Empty if unknown. */
  pod: string;
  /** Empty when the source aggregated IPs away. */
  ip: string;
  /** Pod or network-set labels, when the source has them. */
  labels: LabelSet | undefined;
  /** The Kubernetes service this endpoint was reached through (destination) or belongs to; empty if none. */
  service: string;
  serviceNamespace: string;
  /**
   * Set by the pipeline, after enrichment: an ObservabilityProfile with `aggregation: pod` covers this endpoint, so
   * the pod-level families (`flowlens_profile_pod_*`) keep its pod name. False from every source.
   */
  podDetail: boolean;
}

export type Action = 'allow' | 'deny';
export type Reporter = 'src' | 'dst';
export type PolicyAction = 'allow' | 'deny' | 'pass' | 'log' | 'unknown';

/** One step of a policy trace: a policy that selected the endpoint and what its matching rule did. */
export interface PolicyHit {
  /** Position in evaluation order. */
  index: number;
  tier: string;
  /** Empty for cluster-wide policies. */
  namespace: string;
  name: string;
  /** `calico`, `global`, `kubernetes`, `admin`, `baseline-admin`, `cilium`, `profile`, or `unknown`. */
  kind: PolicyKind;
  staged: boolean;
  action: PolicyAction;
  /** Rule index; -1 is the tier's end-of-tier default action, -2 unknown. */
  ruleIndex: number;
  /** The `policy` and `policy_tier` labels of a flow this hit decides, built once per distinct hit. */
  verdict: PolicyVerdict;
}

export type PolicyKind =
  'calico' | 'global' | 'kubernetes' | 'admin' | 'baseline-admin' | 'cilium' | 'profile' | 'unknown';

/** Which policy decided the verdict, as the metric labels show it. */
export interface PolicyVerdict {
  /** `<namespace>/<name>`, `<name>` for cluster-wide policies, `none` when no policy selected the endpoint, `unknown` when the input does not say. */
  policy: string;
  /** The tier of that policy; `none` or `unknown` to match `policy`. */
  tier: string;
}

/** The outcome a flow would have if the staged policies were enforced. */
export interface StagedVerdict extends PolicyVerdict {
  action: Action;
}

/** TCP statistics of the flows a record aggregates, in base units (seconds, packets, bytes). */
export interface TcpStats {
  meanSmoothRttSeconds: number | undefined;
  maxSmoothRttSeconds: number | undefined;
  meanMinRttSeconds: number | undefined;
  retransmissions: number | undefined;
  lostPackets: number | undefined;
  unrecoveredTimeouts: number | undefined;
  meanSendCongestionWindow: number | undefined;
  meanMss: number | undefined;
}

export interface FlowRecord {
  /** Unix seconds. */
  startTime: number;
  endTime: number;
  /** The node that reported the record; empty if unknown. */
  node: string;
  source: Endpoint;
  destination: Endpoint;
  /**
   * The address the source dialled, when the dataplane translated it to `destination.ip` (DNAT of a service's
   * cluster IP, as conntrack shows it); the enricher finds the destination's service from it.
   */
  dialledIp?: string;
  /** Undefined when the source aggregated the port away or the protocol has none. */
  destPort: number | undefined;
  /** Lower-case: `tcp`, `udp`, `icmp`, `sctp`, or a protocol number as text. */
  protocol: string;
  action: Action;
  reporter: Reporter;
  /** Enforced policy trace in evaluation order (may be empty). */
  enforcedPolicies: PolicyHit[];
  /** What staged (pending) policies would have done, in evaluation order (may be empty). */
  pendingPolicies: PolicyHit[];
  /** The enforced policy that decided the verdict. */
  verdict: PolicyVerdict;
  /** What the staged policies would decide, when that differs from the enforced outcome; set by the policy stage. */
  staged?: StagedVerdict;
  /** Bytes and packets from source to destination (`forward`) and back (`reverse`), whatever the reporter. */
  bytesForward: number;
  bytesReverse: number;
  packetsForward: number;
  packetsReverse: number;
  /** Number of flows the record stands for (Calico's `num_flows`; 1 for a Hubble flow event). */
  flows: number;
  flowsStarted: number;
  flowsCompleted: number;
  tcp: TcpStats | undefined;
}

export function emptyEndpoint(): Endpoint {
  return endpointAtIp('');
}

/** An endpoint known only by its address (a fresh object each call): the enrich stage completes it in place. */
export function endpointAtIp(ip: string): Endpoint {
  return {
    kind: 'unknown',
    namespace: '',
    workload: '',
    workloadKind: '',
    pod: '',
    ip,
    labels: undefined,
    service: '',
    serviceNamespace: '',
    podDetail: false,
  };
}

export const NO_POLICY: Readonly<PolicyVerdict> = Object.freeze({ policy: 'none', tier: 'none' });
export const UNKNOWN_POLICY: Readonly<PolicyVerdict> = Object.freeze({ policy: 'unknown', tier: 'unknown' });
