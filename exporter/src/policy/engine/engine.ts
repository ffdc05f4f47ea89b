/**
 * The unified, tiered policy engine: Calico tiers with their NetworkPolicies and GlobalNetworkPolicies,
 * Kubernetes NetworkPolicies in the `default` tier, AdminNetworkPolicies as the `adminnetworkpolicy` tier and
 * BaselineAdminNetworkPolicies as the `baselineadminnetworkpolicy` tier, evaluated as Calico's dataplane does:
 * egress at the source pod, ingress at the destination pod. Each direction yields the verdict, the policy that
 * decided it, the full trace (PolicyHits in evaluation order) and the pending trace with staged policies enforced.
 *
 * Semantic choices are listed in README.md beside this file.
 */
import type { PolicyAction, PolicyHit, PolicyKind, PolicyVerdict } from '../../model/flow';
import type {
  CalicoPolicy,
  CalicoRule,
  EntityRule,
  NetworkSet,
  PortSet,
  StagedKubernetesNetworkPolicy,
  Tier,
} from '../calico/model';
import { type IpAddress, cidrContains, parseIp } from '../kubernetes/cidr';
import { selectorMatches } from '../kubernetes/label-selector';
import {
  type Direction,
  type Verdict,
  TIER_ADMIN,
  TIER_BASELINE_ADMIN,
  TIER_NETWORK_POLICY,
  NAMESPACE_NAME_LABEL,
  peerMatchesEndpoint,
  portsMatchConnection,
} from '../kubernetes/evaluate';
import type {
  AdminNetworkPolicy,
  AdminRule,
  BaselineAdminNetworkPolicy,
  ContainerPort,
  Labels,
  NamespaceInfo,
  NetworkPolicy,
  Peer,
  PodInfo,
  PortList,
  Protocol,
} from '../kubernetes/model';

// One vocabulary for both engines: the Kubernetes engine defines it, this one extends it with Calico's tiers.
export { type Direction, type Verdict, TIER_ADMIN, TIER_BASELINE_ADMIN } from '../kubernetes/evaluate';
/** Calico's default tier, where Kubernetes NetworkPolicies take part. */
export const TIER_DEFAULT = TIER_NETWORK_POLICY;
/** Calico's orders for its built-in tiers (3.30): admin first, default in the middle, baseline last. */
export const TIER_ADMIN_ORDER = 1_000;
export const TIER_DEFAULT_ORDER = 1_000_000;
export const TIER_BASELINE_ADMIN_ORDER = 10_000_000;
/** The order Calico gives a Kubernetes NetworkPolicy inside the default tier. */
export const KUBERNETES_POLICY_ORDER = 1_000;
export const PROFILE_TIER = '__PROFILE__';

/** Labels Calico puts on workload endpoints and namespaces (libcalico-go `apiv3.Label*`, conversion prefixes). */
export const CALICO_NAMESPACE_LABEL = 'projectcalico.org/namespace';
export const CALICO_ORCHESTRATOR_LABEL = 'projectcalico.org/orchestrator';
export const CALICO_SERVICE_ACCOUNT_LABEL = 'projectcalico.org/serviceaccount';
export const CALICO_NAME_LABEL = 'projectcalico.org/name';
export const NAMESPACE_LABEL_PREFIX = 'pcns.';
export const SERVICE_ACCOUNT_LABEL_PREFIX = 'pcsa.';

export interface ServiceAccountInfo {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Labels;
}

/** One end of a connection: a pod (with the IP and service account it used, when known) or an outside address. */
export type EngineEndpoint =
  | { readonly kind: 'pod'; readonly pod: PodInfo; readonly ip?: string; readonly serviceAccount?: string }
  | { readonly kind: 'external'; readonly ip: string };

export interface EngineConnection {
  readonly source: EngineEndpoint;
  readonly destination: EngineEndpoint;
  /** Destination port; undefined for protocols without ports. */
  readonly port: number | undefined;
  /** `tcp`, `UDP`, `icmp`, ... or an IANA protocol number as text. */
  readonly protocol: string;
  /** Only Calico rules with `source.ports` read it; undefined never matches such a rule. */
  readonly sourcePort?: number;
}

export interface EngineSnapshot {
  readonly namespaces: readonly NamespaceInfo[];
  readonly serviceAccounts?: readonly ServiceAccountInfo[];
  readonly tiers?: readonly Tier[];
  /** NetworkPolicy, GlobalNetworkPolicy and their staged kinds. */
  readonly calicoPolicies?: readonly CalicoPolicy[];
  readonly stagedKubernetesPolicies?: readonly StagedKubernetesNetworkPolicy[];
  readonly networkSets?: readonly NetworkSet[];
  readonly networkPolicies?: readonly NetworkPolicy[];
  readonly adminNetworkPolicies?: readonly AdminNetworkPolicy[];
  readonly baselineAdminNetworkPolicies?: readonly BaselineAdminNetworkPolicy[];
}

/** One direction's outcome. `policy`/`tier` are the flow's PolicyVerdict labels. */
export interface DirectionResult {
  readonly verdict: Verdict;
  /** `<namespace>/<name>` or `<name>`; `none` when no policy decided (Calico's profile allow). */
  readonly policy: string;
  readonly tier: string;
  /** Index of the deciding rule in the policy's list for this direction; -1 for a tier's default action. */
  readonly rule: number;
  readonly kind: PolicyKind;
  /** True when a staged policy decided (pending results only). */
  readonly staged: boolean;
  /** Every policy step in evaluation order, ending with the deciding one (or the profile). */
  readonly trace: readonly PolicyHit[];
}

export interface DirectionOutcome {
  readonly enforced: DirectionResult;
  /** As if staged policies were enforced (Calico's pending_policies); the enforced result when none is staged. */
  readonly pending: DirectionResult;
}

export interface UnifiedVerdict {
  /** allow only if both evaluated directions allow. */
  readonly verdict: Verdict;
  /** At the source; undefined when the source is not a pod. */
  readonly egress: DirectionOutcome | undefined;
  /** At the destination; undefined when the destination is not a pod. */
  readonly ingress: DirectionOutcome | undefined;
  /** The denying direction (egress first), else ingress, else egress, else NOT_SELECTED. */
  readonly decidedBy: DirectionResult;
  readonly pendingVerdict: Verdict;
  readonly pendingDecidedBy: DirectionResult;
  /** True when enforcing the staged policies would change the verdict. */
  readonly stagedChangesVerdict: boolean;
  /** A pod connecting to itself: allowed, not evaluated. */
  readonly loopback: boolean;
}

/** A policy that selects a pod (see `UnifiedPolicyEngine.selectingPolicies`). */
export interface SelectingPolicy {
  /** `<namespace>/<name>` or `<name>`, as the `policy` label. */
  readonly policy: string;
  /** Empty for cluster-wide kinds. */
  readonly namespace: string;
  readonly name: string;
  readonly tier: string;
  readonly kind: PolicyKind;
  readonly staged: boolean;
  /** The directions it selects the pod for (ingress first). */
  readonly directions: readonly Direction[];
}

export const NOT_SELECTED: DirectionResult = Object.freeze({
  verdict: 'allow',
  policy: 'none',
  tier: 'none',
  rule: -1,
  kind: 'profile',
  staged: false,
  trace: Object.freeze([]) as readonly PolicyHit[],
});

const NO_POLICY_VERDICT: PolicyVerdict = Object.freeze({ policy: 'none', tier: 'none' });

// ---------------------------------------------------------------------------------------------------------------
// Resolved endpoints

/** Something a Calico selector can match at an address: the pod itself, or a network set containing the address. */
interface Candidate {
  /** Labels as Calico selectors see them (with the implicit `projectcalico.org/*`, `pcns.*`, `pcsa.*` labels). */
  readonly labels: Labels;
  /** undefined for global network sets. */
  readonly namespace: string | undefined;
  readonly namespaceLabels: Labels;
  readonly serviceAccount: string | undefined;
  readonly serviceAccountLabels: Labels;
}

interface ResolvedEndpoint {
  readonly pod: PodInfo | undefined;
  /** The namespace's labels as Kubernetes selectors see them. */
  readonly kubernetesNamespaceLabels: Labels;
  readonly ips: readonly IpAddress[];
  readonly candidates: readonly Candidate[];
  readonly containerPorts: readonly ContainerPort[];
}

interface Traffic {
  readonly protocolNumber: number | undefined;
  readonly kubernetesProtocol: Protocol | undefined;
  readonly destinationPort: number | undefined;
  readonly sourcePort: number | undefined;
  readonly source: ResolvedEndpoint;
  readonly destination: ResolvedEndpoint;
}

const PROTOCOL_BY_NAME: ReadonlyMap<string, number> = new Map([
  ['tcp', 6],
  ['udp', 17],
  ['icmp', 1],
  ['icmpv6', 58],
  ['icmp6', 58],
  ['sctp', 132],
  ['udplite', 136],
]);
const KUBERNETES_PROTOCOLS: ReadonlyMap<number, Protocol> = new Map<number, Protocol>([
  [6, 'TCP'],
  [17, 'UDP'],
  [132, 'SCTP'],
]);

function protocolNumber(text: string): number | undefined {
  const named = PROTOCOL_BY_NAME.get(text.toLowerCase());
  if (named !== undefined) return named;
  return /^\d{1,3}$/.test(text) && Number(text) <= 255 ? Number(text) : undefined;
}

const IPV4_MAPPED_HIGH = 0xffffn;

function parseEndpointIp(text: string): IpAddress | undefined {
  const ip = parseIp(text);
  if (ip !== undefined && ip.family === 6 && ip.value >> 32n === IPV4_MAPPED_HIGH) {
    return { family: 4, value: ip.value & 0xffffffffn };
  }
  return ip;
}

const NO_ADDRESSES: readonly IpAddress[] = Object.freeze([]);

function sortedLabelsKey(labels: Labels): string {
  return JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((key) => [key, labels[key]]),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Compiled policies

interface EngineRule {
  readonly action: Exclude<PolicyAction, 'unknown'>;
  readonly matches: (traffic: Traffic) => boolean;
}

interface EnginePolicy {
  readonly tier: string;
  readonly order: number;
  /** Calico's full name (`<ns>/<tier>.<name>`, `<ns>/knp.default.<name>`, ...): the tie-break within an order. */
  readonly sortName: string;
  /** Pairs a staged policy with the enforced policy it would replace. */
  readonly key: string;
  readonly staged: boolean;
  readonly stagedAction: 'Set' | 'Delete';
  readonly kind: PolicyKind;
  readonly namespace: string;
  readonly name: string;
  readonly verdict: PolicyVerdict;
  readonly selects: (subject: ResolvedEndpoint, direction: Direction) => boolean;
  readonly rules: Readonly<Record<Direction, readonly EngineRule[]>>;
}

interface EngineTier {
  readonly name: string;
  readonly defaultAction: 'deny' | 'pass';
  readonly policies: readonly EnginePolicy[];
}

interface CompiledState {
  readonly enforced: readonly EngineTier[];
  /** The same array as `enforced` when nothing is staged. */
  readonly pending: readonly EngineTier[];
  readonly hasStaged: boolean;
  readonly namespaceLabels: ReadonlyMap<string, Labels>;
  readonly calicoNamespaceLabels: ReadonlyMap<string, Labels>;
  readonly serviceAccountLabels: ReadonlyMap<string, Labels>;
  readonly networkSets: readonly NetworkSet[];
  /** Some rule matches addresses (nets, ipBlock, networks): verdicts then depend on IPs, not only identities. */
  readonly matchesAddresses: boolean;
  readonly usesSourcePorts: boolean;
}

function inPortSet(set: PortSet, port: number, protocol: number | undefined, pod: readonly ContainerPort[]): boolean {
  for (const range of set.ranges) if (port >= range.start && port <= range.end) return true;
  if (set.names.length === 0) return false;
  const kubernetesProtocol = protocol === undefined ? undefined : KUBERNETES_PROTOCOLS.get(protocol);
  return pod.some(
    (containerPort) =>
      containerPort.port === port &&
      containerPort.protocol === kubernetesProtocol &&
      set.names.includes(containerPort.name),
  );
}

function anyIp(ips: readonly IpAddress[], test: (ip: IpAddress) => boolean): boolean {
  return ips.some(test);
}

/** Calico's entity rule: `nets`, `selector`, `namespaceSelector`, ... all must hold (see README.md). */
function entityMatches(
  entity: EntityRule,
  end: ResolvedEndpoint,
  port: number | undefined,
  protocol: number | undefined,
  policyNamespace: string,
): boolean {
  if (entity.matchesServices) return false;
  if (entity.nets !== undefined || entity.notNets !== undefined) {
    const { nets, notNets } = entity;
    const ok = anyIp(
      end.ips,
      (ip) =>
        (nets === undefined || nets.some((cidr) => cidrContains(cidr, ip))) &&
        (notNets === undefined || !notNets.some((cidr) => cidrContains(cidr, ip))),
    );
    if (!ok) return false;
  }
  if (entity.ports !== undefined) {
    if (port === undefined || !inPortSet(entity.ports, port, protocol, end.containerPorts)) return false;
  }
  if (entity.notPorts !== undefined) {
    if (port === undefined || inPortSet(entity.notPorts, port, protocol, end.containerPorts)) return false;
  }
  const { selector, notSelector, namespaceSelector, serviceAccounts } = entity;
  const needsPositive =
    selector !== undefined ||
    namespaceSelector !== undefined ||
    serviceAccounts !== undefined ||
    (notSelector !== undefined && policyNamespace !== '');
  if (needsPositive) {
    const found = end.candidates.some((candidate) => {
      if (namespaceSelector !== undefined) {
        if (candidate.namespace !== undefined) {
          if (!namespaceSelector.matches(candidate.namespaceLabels, { namespaced: true })) return false;
        } else if (namespaceSelector.matchesEverything || !namespaceSelector.matches({}, { namespaced: false })) {
          // `all()` means every namespace, never the global network sets; `global()` means only those.
          return false;
        }
      } else if (policyNamespace !== '' && candidate.namespace !== policyNamespace) {
        return false;
      }
      if (
        selector !== undefined &&
        !selector.matches(candidate.labels, { namespaced: candidate.namespace !== undefined })
      ) {
        return false;
      }
      if (serviceAccounts !== undefined) {
        if (candidate.serviceAccount === undefined) return false;
        if (serviceAccounts.names.length > 0 && !serviceAccounts.names.includes(candidate.serviceAccount)) return false;
        if (
          serviceAccounts.selector !== undefined &&
          !serviceAccounts.selector.matches(candidate.serviceAccountLabels)
        ) {
          return false;
        }
      }
      return true;
    });
    if (!found) return false;
  }
  if (notSelector !== undefined) {
    const excluded = end.candidates.some((candidate) =>
      notSelector.matches(candidate.labels, { namespaced: candidate.namespace !== undefined }),
    );
    if (excluded) return false;
  }
  return true;
}

function calicoRuleMatches(rule: CalicoRule, traffic: Traffic, policyNamespace: string): boolean {
  if (rule.needsUnknownFields) return false;
  const { protocolNumber: protocol } = traffic;
  if (rule.protocol !== undefined && protocol !== rule.protocol) return false;
  if (rule.notProtocol !== undefined && (protocol === undefined || protocol === rule.notProtocol)) return false;
  if (rule.ipVersion !== undefined) {
    const ips = [...traffic.source.ips, ...traffic.destination.ips];
    if (ips.length > 0 && !ips.some((ip) => ip.family === rule.ipVersion)) return false;
  }
  return (
    entityMatches(rule.source, traffic.source, traffic.sourcePort, protocol, policyNamespace) &&
    entityMatches(rule.destination, traffic.destination, traffic.destinationPort, protocol, policyNamespace)
  );
}

function kubernetesPeerMatches(peer: Peer, end: ResolvedEndpoint): boolean {
  return peerMatchesEndpoint(peer, end.pod, end.kubernetesNamespaceLabels, end.ips);
}

function kubernetesPortsMatch(ports: PortList, traffic: Traffic): boolean {
  return portsMatchConnection(
    ports,
    traffic.destinationPort,
    traffic.kubernetesProtocol,
    traffic.destination.containerPorts,
  );
}

function kubernetesRule(
  action: EngineRule['action'],
  peers: readonly Peer[] | undefined,
  ports: PortList,
  direction: Direction,
): EngineRule {
  return {
    action,
    matches: (traffic) =>
      kubernetesPortsMatch(ports, traffic) &&
      (peers === undefined ||
        peers.some((peer) =>
          kubernetesPeerMatches(peer, direction === 'ingress' ? traffic.source : traffic.destination),
        )),
  };
}

function verdictLabel(namespace: string, name: string, tier: string): PolicyVerdict {
  return Object.freeze({ policy: namespace === '' ? name : `${namespace}/${name}`, tier });
}

const CALICO_ACTIONS = { Allow: 'allow', Deny: 'deny', Pass: 'pass', Log: 'log' } as const;

function compileCalicoPolicy(policy: CalicoPolicy): EnginePolicy {
  const global = policy.namespace === '';
  const compileRules = (rules: readonly CalicoRule[]): EngineRule[] =>
    rules.map((rule) => ({
      action: CALICO_ACTIONS[rule.action],
      matches: (traffic: Traffic) => calicoRuleMatches(rule, traffic, policy.namespace),
    }));
  const qualified = `${policy.tier}.${policy.name}`;
  return {
    tier: policy.tier,
    order: policy.order ?? Number.POSITIVE_INFINITY,
    sortName: global ? qualified : `${policy.namespace}/${qualified}`,
    key: `${global ? 'gnp' : 'np'}|${policy.namespace}|${policy.tier}|${policy.name}`,
    staged: policy.staged,
    stagedAction: policy.stagedAction,
    kind: global ? 'global' : 'calico',
    namespace: policy.namespace,
    name: policy.name,
    verdict: verdictLabel(policy.namespace, policy.name, policy.tier),
    selects: (subject, direction) => {
      const candidate = subject.candidates[0];
      if (policy.hostEndpointsOnly || subject.pod === undefined || candidate === undefined) return false;
      if (direction === 'ingress' ? !policy.appliesToIngress : !policy.appliesToEgress) return false;
      if (!global && subject.pod.namespace !== policy.namespace) return false;
      if (policy.namespaceSelector !== undefined) {
        if (!policy.namespaceSelector.matches(candidate.namespaceLabels, { namespaced: true })) return false;
      }
      if (policy.serviceAccountSelector !== undefined) {
        const accountLabels: Labels =
          candidate.serviceAccount === undefined
            ? candidate.serviceAccountLabels
            : { ...candidate.serviceAccountLabels, [CALICO_NAME_LABEL]: candidate.serviceAccount };
        if (!policy.serviceAccountSelector.matches(accountLabels)) return false;
      }
      return policy.selector.matches(candidate.labels, { namespaced: true });
    },
    rules: { ingress: compileRules(policy.ingress), egress: compileRules(policy.egress) },
  };
}

function compileKubernetesPolicy(policy: NetworkPolicy, staged: boolean, stagedAction: 'Set' | 'Delete'): EnginePolicy {
  const compileRules = (rules: NetworkPolicy['ingress'], direction: Direction): EngineRule[] =>
    rules.map((rule) => kubernetesRule('allow', rule.peers, rule.ports, direction));
  return {
    tier: TIER_DEFAULT,
    order: KUBERNETES_POLICY_ORDER,
    sortName: `${policy.namespace}/knp.default.${policy.name}`,
    key: `knp|${policy.namespace}|${policy.name}`,
    staged,
    stagedAction,
    kind: 'kubernetes',
    namespace: policy.namespace,
    name: policy.name,
    verdict: verdictLabel(policy.namespace, policy.name, TIER_DEFAULT),
    selects: (subject, direction) =>
      subject.pod !== undefined &&
      subject.pod.namespace === policy.namespace &&
      (direction === 'ingress' ? policy.isolatesIngress : policy.isolatesEgress) &&
      selectorMatches(policy.podSelector, subject.pod.labels),
    rules: { ingress: compileRules(policy.ingress, 'ingress'), egress: compileRules(policy.egress, 'egress') },
  };
}

function compileAdminPolicy(policy: AdminNetworkPolicy | BaselineAdminNetworkPolicy): EnginePolicy {
  const admin = policy.kind === 'AdminNetworkPolicy';
  const tier = admin ? TIER_ADMIN : TIER_BASELINE_ADMIN;
  const compileRules = (rules: readonly AdminRule[], direction: Direction): EngineRule[] =>
    rules.map((rule) =>
      kubernetesRule(
        rule.action === 'Allow' ? 'allow' : rule.action === 'Deny' ? 'deny' : 'pass',
        rule.peers,
        rule.ports,
        direction,
      ),
    );
  const rules = { ingress: compileRules(policy.ingress, 'ingress'), egress: compileRules(policy.egress, 'egress') };
  return {
    tier,
    order: admin ? policy.priority : 0,
    sortName: admin ? `kanp.adminnetworkpolicy.${policy.name}` : `kbanp.baselineadminnetworkpolicy.${policy.name}`,
    key: `${tier}|${policy.name}`,
    staged: false,
    stagedAction: 'Set',
    kind: admin ? 'admin' : 'baseline-admin',
    namespace: '',
    name: policy.name,
    verdict: verdictLabel('', policy.name, tier),
    // Calico converts an admin policy into one with types for the directions it has rules for.
    selects: (subject, direction) =>
      subject.pod !== undefined &&
      rules[direction].length > 0 &&
      selectorMatches(policy.subject.namespaces, subject.kubernetesNamespaceLabels) &&
      selectorMatches(policy.subject.pods, subject.pod.labels),
    rules,
  };
}

function byOrderThenName(a: EnginePolicy, b: EnginePolicy): number {
  if (a.order !== b.order) return a.order < b.order ? -1 : 1;
  return a.sortName < b.sortName ? -1 : a.sortName > b.sortName ? 1 : 0;
}

function buildTiers(definitions: ReadonlyMap<string, Tier>, policies: readonly EnginePolicy[]): EngineTier[] {
  const byTier = new Map<string, EnginePolicy[]>();
  for (const policy of policies) {
    const list = byTier.get(policy.tier);
    if (list === undefined) byTier.set(policy.tier, [policy]);
    else list.push(policy);
  }
  const names = new Set([...definitions.keys(), ...byTier.keys()]);
  const tiers = [...names].map((name) => {
    const definition = definitions.get(name);
    return {
      name,
      // A policy naming a tier that does not exist gets an unordered tier with the default action, Deny.
      order: definition?.order ?? Number.POSITIVE_INFINITY,
      defaultAction: definition?.defaultAction === 'Pass' ? ('pass' as const) : ('deny' as const),
      policies: (byTier.get(name) ?? []).sort(byOrderThenName),
    };
  });
  tiers.sort((a, b) => (a.order !== b.order ? (a.order < b.order ? -1 : 1) : a.name < b.name ? -1 : 1));
  return tiers
    .filter((tier) => tier.policies.length > 0)
    .map(({ name, defaultAction, policies: tierPolicies }) => ({ name, defaultAction, policies: tierPolicies }));
}

function compile(snapshot: EngineSnapshot): CompiledState {
  const definitions = new Map<string, Tier>([
    [TIER_ADMIN, { kind: 'Tier', name: TIER_ADMIN, order: TIER_ADMIN_ORDER, defaultAction: 'Pass' }],
    [TIER_DEFAULT, { kind: 'Tier', name: TIER_DEFAULT, order: TIER_DEFAULT_ORDER, defaultAction: 'Deny' }],
    [
      TIER_BASELINE_ADMIN,
      { kind: 'Tier', name: TIER_BASELINE_ADMIN, order: TIER_BASELINE_ADMIN_ORDER, defaultAction: 'Pass' },
    ],
  ]);
  for (const tier of snapshot.tiers ?? []) {
    const builtIn = definitions.get(tier.name);
    // A default tier printed without an order keeps Calico's built-in order.
    definitions.set(
      tier.name,
      builtIn !== undefined && tier.order === undefined ? { ...tier, order: builtIn.order } : tier,
    );
  }
  const all: EnginePolicy[] = [
    ...(snapshot.calicoPolicies ?? []).map(compileCalicoPolicy),
    ...(snapshot.networkPolicies ?? []).map((policy) => compileKubernetesPolicy(policy, false, 'Set')),
    ...(snapshot.stagedKubernetesPolicies ?? []).map((staged) =>
      compileKubernetesPolicy(staged.policy, true, staged.stagedAction),
    ),
    ...(snapshot.adminNetworkPolicies ?? []).map(compileAdminPolicy),
    ...(snapshot.baselineAdminNetworkPolicies ?? []).map(compileAdminPolicy),
  ];
  const enforcedPolicies = all.filter((policy) => !policy.staged);
  const stagedPolicies = all.filter((policy) => policy.staged);
  const enforced = buildTiers(definitions, enforcedPolicies);
  let pending = enforced;
  if (stagedPolicies.length > 0) {
    // A staged policy stands in for the enforced one of the same name; a staged Delete removes it.
    const replaced = new Set(stagedPolicies.map((policy) => policy.key));
    pending = buildTiers(definitions, [
      ...enforcedPolicies.filter((policy) => !replaced.has(policy.key)),
      ...stagedPolicies.filter((policy) => policy.stagedAction === 'Set'),
    ]);
  }

  const namespaceLabels = new Map<string, Labels>();
  const calicoNamespaceLabels = new Map<string, Labels>();
  for (const namespace of snapshot.namespaces) {
    namespaceLabels.set(namespace.name, { ...namespace.labels, [NAMESPACE_NAME_LABEL]: namespace.name });
    calicoNamespaceLabels.set(namespace.name, calicoLabelsOfNamespace(namespace.name, namespace.labels));
  }
  const serviceAccountLabels = new Map<string, Labels>();
  for (const account of snapshot.serviceAccounts ?? []) {
    serviceAccountLabels.set(`${account.namespace}/${account.name}`, account.labels);
  }

  const calicoUsesAddresses = (snapshot.calicoPolicies ?? []).some((policy) =>
    [...policy.ingress, ...policy.egress].some((rule) =>
      [rule.source, rule.destination].some((entity) => entity.nets !== undefined || entity.notNets !== undefined),
    ),
  );
  const kubernetesPolicies = [
    ...(snapshot.networkPolicies ?? []),
    ...(snapshot.stagedKubernetesPolicies ?? []).map((staged) => staged.policy),
  ];
  const adminPolicies = [...(snapshot.adminNetworkPolicies ?? []), ...(snapshot.baselineAdminNetworkPolicies ?? [])];
  const kubernetesUsesAddresses =
    kubernetesPolicies.some((policy) =>
      [...policy.ingress, ...policy.egress].some((rule) => rule.peers?.some((peer) => peer.kind === 'ip') === true),
    ) ||
    adminPolicies.some((policy) =>
      [...policy.ingress, ...policy.egress].some((rule) => rule.peers.some((peer) => peer.kind === 'ip')),
    );
  const usesSourcePorts = (snapshot.calicoPolicies ?? []).some((policy) =>
    [...policy.ingress, ...policy.egress].some(
      (rule) => rule.source.ports !== undefined || rule.source.notPorts !== undefined,
    ),
  );
  return {
    enforced,
    pending,
    hasStaged: stagedPolicies.length > 0,
    namespaceLabels,
    calicoNamespaceLabels,
    serviceAccountLabels,
    networkSets: snapshot.networkSets ?? [],
    matchesAddresses: calicoUsesAddresses || kubernetesUsesAddresses,
    usesSourcePorts,
  };
}

function calicoLabelsOfNamespace(name: string, labels: Labels): Labels {
  return { ...labels, [NAMESPACE_NAME_LABEL]: name, [CALICO_NAME_LABEL]: name };
}

function prefixed(prefix: string, labels: Labels): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels)) result[`${prefix}${key}`] = value;
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// The engine

export interface UnifiedPolicyEngineOptions {
  /** Most verdicts kept; the cache is emptied when full. */
  readonly cacheSize?: number;
}

export const DEFAULT_VERDICT_CACHE_SIZE = 10_000;

export class UnifiedPolicyEngine {
  private state: CompiledState;
  private readonly cache = new Map<string, UnifiedVerdict>();
  private readonly podKeys = new WeakMap<PodInfo, { labels: string; ports: string }>();
  private readonly cacheSize: number;

  constructor(snapshot: EngineSnapshot, options: UnifiedPolicyEngineOptions = {}) {
    this.state = compile(snapshot);
    this.cacheSize = Math.max(1, options.cacheSize ?? DEFAULT_VERDICT_CACHE_SIZE);
  }

  /** Swaps in a new snapshot of policies and cluster objects; every cached verdict is dropped. */
  update(snapshot: EngineSnapshot): void {
    this.state = compile(snapshot);
    this.cache.clear();
  }

  /** Number of cached verdicts (for tests and diagnostics). */
  get cachedVerdicts(): number {
    return this.cache.size;
  }

  /**
   * The policies that select a pod, per direction, in evaluation order: the enforced ones, or with `pending` the
   * set as if staged policies were enforced. The same selection the evaluation makes, so a caller listing "the
   * policies that apply to this workload" cannot disagree with the verdicts.
   */
  selectingPolicies(endpoint: EngineEndpoint & { readonly kind: 'pod' }, pending = false): SelectingPolicy[] {
    const subject = this.resolve(endpoint, this.addresses(endpoint));
    const found = new Map<EnginePolicy, Direction[]>();
    for (const direction of ['ingress', 'egress'] as const) {
      for (const tier of pending ? this.state.pending : this.state.enforced) {
        for (const policy of tier.policies) {
          if (!policy.selects(subject, direction)) continue;
          const directions = found.get(policy) ?? [];
          directions.push(direction);
          found.set(policy, directions);
        }
      }
    }
    return [...found].map(([policy, directions]) => ({
      policy: policy.verdict.policy,
      namespace: policy.namespace,
      name: policy.name,
      tier: policy.tier,
      kind: policy.kind,
      staged: policy.staged,
      directions,
    }));
  }

  evaluate(connection: EngineConnection): UnifiedVerdict {
    const { source, destination } = connection;
    if (
      source.kind === 'pod' &&
      destination.kind === 'pod' &&
      source.pod.namespace === destination.pod.namespace &&
      source.pod.name === destination.pod.name
    ) {
      return LOOPBACK;
    }
    const state = this.state;
    // Addresses enter the key only when some rule or network set can tell them apart: parsing them is most
    // of the cost of a cache hit otherwise.
    const needsAddresses = state.matchesAddresses || state.networkSets.length > 0;
    const sourceIps = needsAddresses ? this.addresses(source) : NO_ADDRESSES;
    const destinationIps = needsAddresses ? this.addresses(destination) : NO_ADDRESSES;
    const key = [
      this.identity(source, sourceIps, false),
      this.identity(destination, destinationIps, true),
      connection.port ?? '',
      connection.protocol.toLowerCase(),
      state.usesSourcePorts ? (connection.sourcePort ?? '') : '',
    ].join('\u0000');
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;

    const sourceEnd = this.resolve(source, needsAddresses ? sourceIps : this.addresses(source));
    const destinationEnd = this.resolve(destination, needsAddresses ? destinationIps : this.addresses(destination));
    const protocol = protocolNumber(connection.protocol);
    const traffic: Traffic = {
      protocolNumber: protocol,
      kubernetesProtocol: protocol === undefined ? undefined : KUBERNETES_PROTOCOLS.get(protocol),
      destinationPort: connection.port,
      sourcePort: connection.sourcePort,
      source: sourceEnd,
      destination: destinationEnd,
    };
    const outcome = (direction: Direction, subject: ResolvedEndpoint, namespace: string): DirectionOutcome => {
      const enforced = evaluateDirection(state.enforced, direction, subject, namespace, traffic);
      const pending = state.hasStaged
        ? evaluateDirection(state.pending, direction, subject, namespace, traffic)
        : enforced;
      return { enforced, pending };
    };
    const egress = source.kind === 'pod' ? outcome('egress', sourceEnd, source.pod.namespace) : undefined;
    const ingress =
      destination.kind === 'pod' ? outcome('ingress', destinationEnd, destination.pod.namespace) : undefined;
    const decidedBy = decide(egress?.enforced, ingress?.enforced);
    const pendingDecidedBy = decide(egress?.pending, ingress?.pending);
    const verdict: UnifiedVerdict = Object.freeze({
      verdict: decidedBy.verdict,
      egress,
      ingress,
      decidedBy,
      pendingVerdict: pendingDecidedBy.verdict,
      pendingDecidedBy,
      stagedChangesVerdict: decidedBy.verdict !== pendingDecidedBy.verdict,
      loopback: false,
    });
    if (this.cache.size >= this.cacheSize) this.cache.clear();
    this.cache.set(key, verdict);
    return verdict;
  }

  /**
   * What the verdict can depend on: namespace, labels and service account of a pod (its addresses when some
   * rule matches addresses, its network sets otherwise; its container ports at the destination, for named
   * ports); an external address's own IP when rules match addresses, else the network sets containing it.
   */
  private identity(endpoint: EngineEndpoint, ips: readonly IpAddress[], isDestination: boolean): string {
    const addressPart = this.state.matchesAddresses
      ? ips.map((ip) => `${ip.family}:${ip.value.toString(16)}`).join(',')
      : this.containingNetworkSets(ips)
          .map((set) => `${set.namespace}/${set.name}`)
          .join(',');
    if (endpoint.kind === 'external') return `e|${addressPart}`;
    const pod = this.podKey(endpoint.pod);
    return `p|${pod.labels}|${endpoint.serviceAccount ?? ''}|${addressPart}|${isDestination ? pod.ports : ''}`;
  }

  /** A pod's namespace-and-labels and ports keys, made once per PodInfo (a relabelled pod is a new object). */
  private podKey(pod: PodInfo): { labels: string; ports: string } {
    let key = this.podKeys.get(pod);
    if (key === undefined) {
      key = {
        labels: `${pod.namespace}|${sortedLabelsKey(pod.labels)}`,
        ports: pod.containerPorts.map((port) => `${port.name}:${port.port}/${port.protocol}`).join(','),
      };
      this.podKeys.set(pod, key);
    }
    return key;
  }

  /** The IP the connection used, or all of the pod's IPs when the endpoint does not say. */
  private addresses(endpoint: EngineEndpoint): IpAddress[] {
    if (endpoint.kind === 'external' || endpoint.ip !== undefined) {
      const ip = endpoint.ip === undefined ? undefined : parseEndpointIp(endpoint.ip);
      return ip === undefined ? [] : [ip];
    }
    return endpoint.pod.ips.map(parseEndpointIp).filter((ip): ip is IpAddress => ip !== undefined);
  }

  private containingNetworkSets(ips: readonly IpAddress[]): NetworkSet[] {
    if (ips.length === 0) return [];
    return this.state.networkSets.filter((set) => set.nets.some((cidr) => ips.some((ip) => cidrContains(cidr, ip))));
  }

  private resolve(endpoint: EngineEndpoint, ips: readonly IpAddress[]): ResolvedEndpoint {
    const state = this.state;
    const candidates: Candidate[] = [];
    let pod: PodInfo | undefined;
    let kubernetesNamespaceLabels: Labels = {};
    if (endpoint.kind === 'pod') {
      pod = endpoint.pod;
      const namespace = pod.namespace;
      kubernetesNamespaceLabels = state.namespaceLabels.get(namespace) ?? { [NAMESPACE_NAME_LABEL]: namespace };
      const namespaceLabels = state.calicoNamespaceLabels.get(namespace) ?? calicoLabelsOfNamespace(namespace, {});
      const account = endpoint.serviceAccount;
      const accountLabels =
        account === undefined ? {} : (state.serviceAccountLabels.get(`${namespace}/${account}`) ?? {});
      // Calico's endpoint labels: the profiles' (namespace `pcns.*`, service account `pcsa.*`) under the pod's own.
      const labels: Record<string, string> = {
        ...prefixed(NAMESPACE_LABEL_PREFIX, namespaceLabels),
        ...(account === undefined
          ? {}
          : { ...prefixed(SERVICE_ACCOUNT_LABEL_PREFIX, { ...accountLabels, [CALICO_NAME_LABEL]: account }) }),
        ...pod.labels,
        [CALICO_NAMESPACE_LABEL]: namespace,
        [CALICO_ORCHESTRATOR_LABEL]: 'k8s',
      };
      if (account !== undefined) labels[CALICO_SERVICE_ACCOUNT_LABEL] = account;
      candidates.push({
        labels,
        namespace,
        namespaceLabels,
        serviceAccount: account,
        serviceAccountLabels: accountLabels,
      });
    }
    for (const set of this.containingNetworkSets(ips)) {
      const namespaced = set.namespace !== '';
      candidates.push({
        labels: namespaced ? { ...set.labels, [CALICO_NAMESPACE_LABEL]: set.namespace } : set.labels,
        namespace: namespaced ? set.namespace : undefined,
        namespaceLabels: namespaced
          ? (state.calicoNamespaceLabels.get(set.namespace) ?? calicoLabelsOfNamespace(set.namespace, {}))
          : {},
        serviceAccount: undefined,
        serviceAccountLabels: {},
      });
    }
    return {
      pod,
      kubernetesNamespaceLabels,
      ips,
      candidates,
      containerPorts: pod?.containerPorts ?? [],
    };
  }
}

function decide(egress: DirectionResult | undefined, ingress: DirectionResult | undefined): DirectionResult {
  if (egress?.verdict === 'deny') return egress;
  return ingress ?? egress ?? NOT_SELECTED;
}

const LOOPBACK: UnifiedVerdict = Object.freeze({
  verdict: 'allow',
  egress: undefined,
  ingress: undefined,
  decidedBy: NOT_SELECTED,
  pendingVerdict: 'allow',
  pendingDecidedBy: NOT_SELECTED,
  stagedChangesVerdict: false,
  loopback: true,
});

function hitOf(policy: EnginePolicy, index: number, action: PolicyAction, ruleIndex: number): PolicyHit {
  return Object.freeze({
    index,
    tier: policy.tier,
    namespace: policy.namespace,
    name: policy.name,
    kind: policy.kind,
    staged: policy.staged,
    action,
    ruleIndex,
    verdict: policy.verdict,
  });
}

function resultOf(policy: EnginePolicy, verdict: Verdict, rule: number, trace: PolicyHit[]): DirectionResult {
  return Object.freeze({
    verdict,
    policy: policy.verdict.policy,
    tier: policy.tier,
    rule,
    kind: policy.kind,
    staged: policy.staged,
    trace: Object.freeze(trace),
  });
}

/** Calico's tiered evaluation of one direction at `subject`. */
function evaluateDirection(
  tiers: readonly EngineTier[],
  direction: Direction,
  subject: ResolvedEndpoint,
  namespace: string,
  traffic: Traffic,
): DirectionResult {
  const trace: PolicyHit[] = [];
  for (const tier of tiers) {
    let last: EnginePolicy | undefined;
    let passed = false;
    policies: for (const policy of tier.policies) {
      if (!policy.selects(subject, direction)) continue;
      last = policy;
      const rules = policy.rules[direction];
      for (let ruleIndex = 0; ruleIndex < rules.length; ruleIndex++) {
        const rule = rules[ruleIndex] as EngineRule;
        if (!rule.matches(traffic)) continue;
        trace.push(hitOf(policy, trace.length, rule.action, ruleIndex));
        if (rule.action === 'log') continue;
        if (rule.action === 'pass') {
          passed = true;
          break policies;
        }
        return resultOf(policy, rule.action, ruleIndex, trace);
      }
    }
    if (last === undefined || passed) continue;
    // The tier selected the endpoint and no rule decided: its default action, reported against its last policy.
    trace.push(hitOf(last, trace.length, tier.defaultAction, -1));
    if (tier.defaultAction === 'deny') return resultOf(last, 'deny', -1, trace);
  }
  // Calico's namespace profile allows what no tier decided.
  trace.push(
    Object.freeze({
      index: trace.length,
      tier: PROFILE_TIER,
      namespace: '',
      name: `${PROFILE_TIER}.kns.${namespace}`,
      kind: 'profile' as const,
      staged: false,
      action: 'allow' as const,
      ruleIndex: 0,
      verdict: NO_POLICY_VERDICT,
    }),
  );
  return Object.freeze({ ...NOT_SELECTED, trace: Object.freeze(trace) });
}
