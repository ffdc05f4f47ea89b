/**
 * A recommendation against what is enforced today: per recommended policy, whether applying it creates, changes
 * (with a line diff of the YAML) or leaves alone the object of the same kind, namespace and name, and which
 * enforced policies already select the same workloads; and the traffic the two disagree on, evaluated by the policy
 * engine itself:
 *
 * - observed flows the enforced policies deny (the recommendation allows every observed flow);
 * - unobserved workload pairs (over the observed ports, `pairs.ts`) the enforced policies allow and the
 *   recommendation denies: how much the enforced set allows beyond what was seen. The pairs grow with the square
 *   of the workloads, so at most `maxEnumerated` are enumerated and a fixed sample of at most `maxEvaluated` of
 *   them (the smallest hashes of their keys: the same input gives the same sample) is evaluated; the answer says
 *   so and extrapolates.
 *
 * The recommendation is evaluated on its own (the cluster plus the recommended policies, nothing else enforced), as
 * the property test checks it: the least-privilege set, not the sum of it and today's policies.
 * Pure: the caller hands in the cluster, the flows, the engine's snapshot and the enforced manifests.
 */
import { stringify } from 'yaml';
import { hashString } from '../../demo/random';
import { UnifiedPolicyEngine, type EngineEndpoint, type EngineSnapshot, type SelectingPolicy } from '../engine';
import { engineSnapshotOf, type PolicyObject } from '../snapshot';
import { parseNetworkPolicy, type PodInfo, type Protocol } from '../kubernetes';
import { parseCalicoPolicy, type NetworkSet } from '../calico';
import {
  flowKey,
  workloadKey,
  type ClusterWorkload,
  type ObservedFlow,
  type ObservedPeer,
  type RecommendCluster,
  type RecommendFormat,
} from './model';
import { DNS_LABEL, DNS_PORT, OBSERVED_ANNOTATION, type Recommendation } from './recommend';
import { candidatePorts, unobservedPairs, type UnobservedPair } from './pairs';
import { diffLines, splitLines, type DiffLine } from './line-diff';
import { isRecord, unpackLists } from '../../cluster/projections';

export const DEFAULT_MAX_ENUMERATED_PAIRS = 200_000;
export const DEFAULT_MAX_EVALUATED_PAIRS = 5_000;
export const DEFAULT_MAX_EXAMPLES = 20;

/** What is enforced today: the engine's snapshot and the manifests of the policy objects it was built from. */
export interface EnforcedPolicies {
  readonly snapshot: EngineSnapshot;
  /** By `manifestKey`; only the kinds the recommender writes are looked up (NetworkPolicy, StagedNetworkPolicy). */
  readonly manifests: ReadonlyMap<string, Record<string, unknown>>;
}

export interface DiffOptions {
  readonly format: RecommendFormat;
  readonly namespace?: string | undefined;
  readonly maxEnumeratedPairs?: number;
  readonly maxEvaluatedPairs?: number;
  readonly maxExamples?: number;
}

export type PolicyStatus = 'new' | 'changed' | 'unchanged';

export interface PolicyDiff {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly status: PolicyStatus;
  /** The recommended policy's YAML document, as `policy recommend` writes it (for copying and downloading). */
  readonly yaml: string;
  /** `changed` only: the enforced object's YAML (keys in the recommendation's order) to the recommended YAML. */
  readonly yamlDiff: readonly DiffLine[] | null;
  /** The workloads (`namespace/name`) the recommended policy selects. */
  readonly workloads: readonly string[];
  /** Enforced policies that select one of those workloads today, in evaluation order. */
  readonly enforcedSelecting: readonly SelectingPolicy[];
}

export interface DeniedFlow {
  readonly source: string;
  readonly destination: string;
  readonly port: number;
  readonly protocol: Protocol;
  /** The enforced policy that denies it (`namespace/name`, or a tier's default action against its last policy). */
  readonly deniedBy: string;
  readonly direction: 'ingress' | 'egress';
  /** The recommendation's verdict on it (allow, by construction; evaluated, not assumed). */
  readonly recommended: 'allow' | 'deny';
}

export interface AllowedPair {
  readonly source: string;
  readonly destination: string;
  readonly port: number;
  readonly protocol: Protocol;
  /** The enforced policy that allows it, or `none` when no policy selects either end (Calico's profile). */
  readonly allowedBy: string;
}

export interface TrafficDiff {
  readonly observedDeniedToday: {
    /** Observed flows with a workload of the scope at one end, evaluated. */
    readonly evaluated: number;
    readonly denied: number;
    /** The first `maxExamples`, sorted. */
    readonly flows: readonly DeniedFlow[];
  };
  readonly allowedBeyondObserved: {
    /** The observed (port, protocol)s the pairs are tried on (`TCP/8080`). */
    readonly ports: readonly string[];
    /** Unobserved workload pairs enumerated; `enumerationComplete` false when the cap stopped it. */
    readonly enumerated: number;
    readonly enumerationComplete: boolean;
    readonly maxEnumerated: number;
    /** Pairs evaluated (all enumerated ones, or a sample of `maxEvaluated`). */
    readonly evaluated: number;
    readonly sampled: boolean;
    /** Evaluated pairs the enforced policies allow and the recommendation denies. */
    readonly allowed: number;
    /** `allowed` scaled to the enumerated pairs (equal to it when nothing was sampled). */
    readonly estimatedAllowed: number;
    readonly examples: readonly AllowedPair[];
  };
}

export interface RecommendationDiff {
  /** One per recommended policy, in the recommendation's order. */
  readonly policies: readonly PolicyDiff[];
  readonly traffic: TrafficDiff;
}

export function manifestKey(kind: string, namespace: string, name: string): string {
  return `${kind}|${namespace}|${name}`;
}

/**
 * The manifests of the policy objects among Kubernetes objects (a resources file; `List`s unpacked) that a
 * recommendation can replace: Kubernetes NetworkPolicies and Calico StagedNetworkPolicies, keyed by the names the
 * parsers give them (Calico's `<tier>.` prefix removed). Objects that do not parse are left out, as the engine
 * leaves them out.
 */
export function enforcedManifests(objects: readonly unknown[]): Map<string, Record<string, unknown>> {
  const manifests = new Map<string, Record<string, unknown>>();
  for (const object of unpackLists(objects)) {
    const key = recommendableKey(object);
    if (key !== undefined) manifests.set(key.key, comparableManifest(object, key.namespace, key.name));
  }
  return manifests;
}

/** The `manifestKey` of a NetworkPolicy or a Calico StagedNetworkPolicy, undefined for others or unparseable ones. */
export function recommendableKey(
  object: Record<string, unknown>,
): { key: string; namespace: string; name: string } | undefined {
  const apiVersion = typeof object['apiVersion'] === 'string' ? object['apiVersion'] : '';
  try {
    if (object['kind'] === 'NetworkPolicy' && apiVersion.startsWith('networking.k8s.io/')) {
      const policy = parseNetworkPolicy(object);
      return {
        key: manifestKey('NetworkPolicy', policy.namespace, policy.name),
        namespace: policy.namespace,
        name: policy.name,
      };
    }
    if (object['kind'] === 'StagedNetworkPolicy' && apiVersion.includes('projectcalico.org')) {
      const policy = parseCalicoPolicy(object);
      return {
        key: manifestKey('StagedNetworkPolicy', policy.namespace, policy.name),
        namespace: policy.namespace,
        name: policy.name,
      };
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** Server-set fields dropped: what a user wrote and `kubectl apply` compares. */
const SERVER_ANNOTATIONS = ['kubectl.kubernetes.io/last-applied-configuration'];

/**
 * The fields of an object a recommendation sets: apiVersion (Calico's CRD group read as calicoctl's), kind,
 * metadata name, namespace, labels and annotations, spec. Status, uids, versions and managed fields are the API
 * server's, not a difference a user can act on.
 */
export function comparableManifest(
  object: Record<string, unknown>,
  namespace: string,
  name: string,
): Record<string, unknown> {
  const metadata = isRecord(object['metadata']) ? object['metadata'] : {};
  const apiVersion =
    object['apiVersion'] === 'crd.projectcalico.org/v1' ? 'projectcalico.org/v3' : object['apiVersion'];
  const result: Record<string, unknown> = { apiVersion, kind: object['kind'] };
  const trimmedMetadata: Record<string, unknown> = { name, namespace };
  if (isRecord(metadata['labels'])) trimmedMetadata['labels'] = metadata['labels'];
  if (isRecord(metadata['annotations'])) {
    const annotations = Object.fromEntries(
      Object.entries(metadata['annotations']).filter(([key]) => !SERVER_ANNOTATIONS.includes(key)),
    );
    if (Object.keys(annotations).length > 0) trimmedMetadata['annotations'] = annotations;
  }
  result['metadata'] = trimmedMetadata;
  if (object['spec'] !== undefined) result['spec'] = object['spec'];
  return result;
}

export function diffRecommendation(
  cluster: RecommendCluster,
  flows: Iterable<ObservedFlow>,
  recommendation: Recommendation,
  enforced: EnforcedPolicies,
  options: DiffOptions,
): RecommendationDiff {
  const observed = dedupe(flows);
  const enforcedEngine = new UnifiedPolicyEngine(enforced.snapshot);
  const recommendedEngine = new UnifiedPolicyEngine(
    engineSnapshotOf(
      enforced.snapshot.namespaces,
      [...(enforced.snapshot.networkSets ?? []), ...recommendation.policies.map(parseRecommended)],
      enforced.snapshot.serviceAccounts ?? [],
    ),
  );
  // Calico recommendations are staged: their verdict is the pending one (nothing else is in their engine).
  const staged = options.format === 'calico-staged';
  const recommendedVerdict = (connection: Connection): 'allow' | 'deny' => {
    const verdict = recommendedEngine.evaluate(connection);
    return staged ? verdict.pendingVerdict : verdict.verdict;
  };
  const workloads = cluster.workloads.filter((workload) => workload.pods.length > 0);
  const byKey = new Map(workloads.map((workload) => [workloadKey(workload.namespace, workload.name), workload]));
  const inScope = (workload: ClusterWorkload | undefined): boolean =>
    workload !== undefined && (options.namespace === undefined || workload.namespace === options.namespace);
  const maxExamples = options.maxExamples ?? DEFAULT_MAX_EXAMPLES;

  const policies = policyDiffs(recommendation, enforced, enforcedEngine, recommendedEngine, staged, workloads);

  // Observed flows the enforced policies deny today.
  const denied: DeniedFlow[] = [];
  let evaluatedFlows = 0;
  for (const flow of observed) {
    const ends = [flow.source, flow.destination].map((peer) =>
      peer.kind === 'workload' ? byKey.get(workloadKey(peer.namespace, peer.workload)) : undefined,
    );
    if (!ends.some(inScope)) continue;
    const connection = flowConnection(flow, byKey, cluster.networkSets);
    if (connection === undefined) continue;
    evaluatedFlows++;
    const verdict = enforcedEngine.evaluate(connection);
    if (verdict.verdict !== 'deny') continue;
    denied.push({
      source: peerText(flow.source),
      destination: peerText(flow.destination),
      port: flow.port,
      protocol: flow.protocol,
      deniedBy: verdict.decidedBy.policy,
      direction: verdict.egress?.enforced.verdict === 'deny' ? 'egress' : 'ingress',
      recommended: recommendedVerdict(connection),
    });
  }
  denied.sort((a, b) => compare(deniedKey(a), deniedKey(b)));

  // Unobserved pairs: enumerate (bounded), sample by hash, evaluate.
  const maxEnumerated = options.maxEnumeratedPairs ?? DEFAULT_MAX_ENUMERATED_PAIRS;
  const maxEvaluated = Math.max(1, options.maxEvaluatedPairs ?? DEFAULT_MAX_EVALUATED_PAIRS);
  const isDns = (workload: ClusterWorkload): boolean =>
    workload.pods.every((pod) => pod.labels[DNS_LABEL.key] === DNS_LABEL.value);
  const pairs = unobservedPairs(workloads, observed, {
    // Allowed by design, as the recommender allows them (and the property test exempts them).
    exempt: (destination, port) => isDns(destination) && port.port === DNS_PORT && port.protocol !== 'SCTP',
    inScope: (source, destination) =>
      (inScope(source) || inScope(destination)) && (source !== destination || source.pods.length > 1),
  });
  let enumerated = 0;
  let enumerationComplete = false;
  let sample: { hash: number; pair: UnobservedPair<ClusterWorkload> }[] = [];
  for (;;) {
    const next = pairs.next();
    if (next.done === true) {
      enumerationComplete = true;
      break;
    }
    if (enumerated >= maxEnumerated) break;
    enumerated++;
    sample.push({ hash: hashString(next.value.key), pair: next.value });
    // Keep the smallest hashes: a sample independent of enumeration order, trimmed in batches.
    if (sample.length >= 2 * maxEvaluated) sample = smallest(sample, maxEvaluated);
  }
  sample = smallest(sample, maxEvaluated);
  const allowedPairs: AllowedPair[] = [];
  for (const { pair } of sample) {
    const source = pair.source.pods[0] as PodInfo;
    const destination = (
      pair.source === pair.destination ? pair.destination.pods[1] : pair.destination.pods[0]
    ) as PodInfo;
    const connection: Connection = {
      source: { kind: 'pod', pod: source },
      destination: { kind: 'pod', pod: destination },
      port: pair.port,
      protocol: pair.protocol,
    };
    const verdict = enforcedEngine.evaluate(connection);
    if (verdict.verdict !== 'allow' || recommendedVerdict(connection) !== 'deny') continue;
    allowedPairs.push({
      source: workloadKey(pair.source.namespace, pair.source.name),
      destination: workloadKey(pair.destination.namespace, pair.destination.name),
      port: pair.port,
      protocol: pair.protocol,
      allowedBy: verdict.decidedBy.policy,
    });
  }
  allowedPairs.sort((a, b) => compare(pairText(a), pairText(b)));
  const sampled = sample.length < enumerated;
  return {
    policies,
    traffic: {
      observedDeniedToday: { evaluated: evaluatedFlows, denied: denied.length, flows: denied.slice(0, maxExamples) },
      allowedBeyondObserved: {
        ports: candidatePorts(observed).map((port) => `${port.protocol}/${port.port}`),
        enumerated,
        enumerationComplete,
        maxEnumerated,
        evaluated: sample.length,
        sampled,
        allowed: allowedPairs.length,
        estimatedAllowed: sample.length === 0 ? 0 : Math.round((allowedPairs.length * enumerated) / sample.length),
        examples: allowedPairs.slice(0, maxExamples),
      },
    },
  };
}

type Connection = {
  readonly source: EngineEndpoint;
  readonly destination: EngineEndpoint;
  readonly port: number;
  readonly protocol: Protocol;
};

function policyDiffs(
  recommendation: Recommendation,
  enforced: EnforcedPolicies,
  enforcedEngine: UnifiedPolicyEngine,
  recommendedEngine: UnifiedPolicyEngine,
  staged: boolean,
  workloads: readonly ClusterWorkload[],
): PolicyDiff[] {
  // Which workloads each recommended policy selects, and what selects them today: the engines' own selection.
  type Entry = { workloads: string[]; enforced: Map<string, SelectingPolicy> };
  const selected = new Map<string, Entry>();
  for (const workload of workloads) {
    const pod = workload.pods[0] as PodInfo;
    const recommended = recommendedEngine
      .selectingPolicies({ kind: 'pod', pod }, staged)
      .filter((policy) => policy.staged === staged);
    if (recommended.length === 0) continue;
    const today = enforcedEngine.selectingPolicies({ kind: 'pod', pod });
    for (const policy of recommended) {
      const entry: Entry = selected.get(policy.policy) ?? { workloads: [], enforced: new Map() };
      entry.workloads.push(workloadKey(workload.namespace, workload.name));
      for (const current of today) entry.enforced.set(current.policy, current);
      selected.set(policy.policy, entry);
    }
  }
  return recommendation.policies.map((policy) => {
    const kind = String(policy['kind']);
    const metadata = isRecord(policy['metadata']) ? policy['metadata'] : {};
    const namespace = String(metadata['namespace']);
    const name = String(metadata['name']);
    const existing = enforced.manifests.get(manifestKey(kind, namespace, name));
    let status: PolicyStatus = 'new';
    let yamlDiff: DiffLine[] | null = null;
    if (existing !== undefined) {
      if (canonical(withoutObservedCount(existing)) === canonical(withoutObservedCount(policy))) {
        status = 'unchanged';
      } else {
        status = 'changed';
        yamlDiff = diffLines(splitLines(toYaml(alignKeys(existing, policy))), splitLines(toYaml(policy)));
      }
    }
    const entry = selected.get(`${namespace}/${name}`);
    return {
      kind,
      namespace,
      name,
      status,
      yaml: toYaml(policy),
      yamlDiff,
      workloads: entry?.workloads ?? [],
      enforcedSelecting: [...(entry?.enforced.values() ?? [])],
    };
  });
}

function parseRecommended(policy: Record<string, unknown>): PolicyObject {
  return policy['kind'] === 'NetworkPolicy' ? parseNetworkPolicy(policy) : parseCalicoPolicy(policy);
}

/**
 * The flow as the engine evaluates it: a workload by one of its pods, an address as itself, and a network set (a peer
 * from Prometheus' labels, which name the set, not the address) by the first address of its first CIDR: the policies
 * either allow the set's addresses or not, so any of them answers for the flow. A set the resources lack is skipped.
 */
function flowConnection(
  flow: ObservedFlow,
  byKey: ReadonlyMap<string, ClusterWorkload>,
  networkSets: readonly NetworkSet[],
): Connection | undefined {
  const endpoint = (peer: ObservedPeer): EngineEndpoint | undefined => {
    if (peer.kind === 'external') return { kind: 'external', ip: peer.ip };
    if (peer.kind === 'networkSet') {
      const set = networkSets.find(
        (candidate) => candidate.namespace === peer.namespace && candidate.name === peer.name,
      );
      const first = set?.nets[0];
      return first === undefined ? undefined : { kind: 'external', ip: first.text.split('/')[0]! };
    }
    const pod = byKey.get(workloadKey(peer.namespace, peer.workload))?.pods[0];
    return pod === undefined ? undefined : { kind: 'pod', pod };
  };
  const source = endpoint(flow.source);
  const destination = endpoint(flow.destination);
  if (source === undefined || destination === undefined) return undefined;
  return { source, destination, port: flow.port, protocol: flow.protocol };
}

function dedupe(flows: Iterable<ObservedFlow>): ObservedFlow[] {
  const seen = new Map<string, ObservedFlow>();
  for (const flow of flows) seen.set(flowKey(flow), flow);
  return [...seen.values()];
}

function smallest<T extends { hash: number }>(entries: T[], count: number): T[] {
  return entries.sort((a, b) => a.hash - b.hash).slice(0, count);
}

function peerText(peer: ObservedPeer): string {
  switch (peer.kind) {
    case 'workload':
      return workloadKey(peer.namespace, peer.workload);
    case 'external':
      return peer.ip;
    case 'networkSet':
      return peer.namespace === '' ? `networkset ${peer.name}` : `networkset ${peer.namespace}/${peer.name}`;
  }
}

function deniedKey(flow: DeniedFlow): string {
  return `${flow.source} ${flow.destination} ${flow.protocol}/${flow.port}`;
}

function pairText(pair: AllowedPair): string {
  return `${pair.source} ${pair.destination} ${pair.protocol}/${String(pair.port).padStart(5, '0')}`;
}

function withoutObservedCount(object: Record<string, unknown>): Record<string, unknown> {
  const metadata = isRecord(object['metadata']) ? object['metadata'] : {};
  if (!isRecord(metadata['annotations'])) return object;
  const annotations = Object.fromEntries(
    Object.entries(metadata['annotations']).filter(([key]) => key !== OBSERVED_ANNOTATION),
  );
  const trimmed: Record<string, unknown> = { ...metadata, annotations };
  if (Object.keys(annotations).length === 0) delete trimmed['annotations'];
  return { ...object, metadata: trimmed };
}

/** JSON with sorted keys: equal for equal objects whatever order their keys were written in. */
function canonical(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys(value[key])]),
  );
}

/**
 * `value` with its keys in `template`'s order where the template has them (the rest after, sorted), so a diff of
 * two renderings shows changed values, not keys written in another order.
 */
export function alignKeys(value: unknown, template: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map((item, index) => alignKeys(item, Array.isArray(template) ? template[index] : undefined));
  }
  if (!isRecord(value)) return value;
  const order: string[] = isRecord(template) ? Object.keys(template) : [];
  const keys = [
    ...order.filter((key) => key in value),
    ...Object.keys(value)
      .filter((key) => !order.includes(key))
      .sort(),
  ];
  return Object.fromEntries(
    keys.map((key) => [key, alignKeys(value[key], isRecord(template) ? template[key] : undefined)]),
  );
}

/** As render.ts writes each policy. */
function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0 });
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
