/**
 * Evaluates a connection against Kubernetes network policy: AdminNetworkPolicy, then NetworkPolicy, then
 * BaselineAdminNetworkPolicy, then the default allow; once for egress at the source pod and once for ingress at
 * the destination pod. Pure: the engine is built from one snapshot of namespaces and policies and never changes;
 * build a new one when the cluster view does.
 *
 * Semantics chosen where upstream leaves room (see also docs in README.md beside this file):
 * - ipBlock (and ANP `networks`) match pods too, by the IP the connection used or, when the endpoint does not
 *   say, by any of the pod's IPs. Upstream calls matching pod IPs with ipBlock undefined; Calico, OVN-Kubernetes
 *   and kube-router do it, and the ANP API says `networks` does.
 * - A pod talking to itself is always allowed and no policy decides it (`loopback`), as in the upstream e2e
 *   reachability tables (AllowLoopback): such traffic never leaves the pod's network namespace.
 * - Among several NetworkPolicies that allow, the first in `<namespace>/<name>` order is reported; a default
 *   deny is reported against the first isolating policy in that order. ANPs of equal priority (undefined
 *   upstream) are taken in name order, as are BaselineAdminNetworkPolicies.
 */
import { type IpAddress, cidrContains, parseIp } from './cidr';
import type {
  AdminNetworkPolicy,
  AdminRule,
  BaselineAdminNetworkPolicy,
  ContainerPort,
  Labels,
  NamespaceInfo,
  NetworkPolicy,
  NetworkPolicyRule,
  Peer,
  PodInfo,
  PortList,
  Protocol,
} from './model';
import { selectorMatches } from './label-selector';

export type Direction = 'ingress' | 'egress';
export type Verdict = 'allow' | 'deny';

export const TIER_ADMIN = 'adminnetworkpolicy';
export const TIER_NETWORK_POLICY = 'default';
export const TIER_BASELINE_ADMIN = 'baselineadminnetworkpolicy';
/** Set by Kubernetes on every namespace; added here when the namespace projection lacks it. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** One end of a connection: a pod (optionally with the IP it used) or an address outside the pod network. */
export type ConnectionEndpoint =
  | { readonly kind: 'pod'; readonly pod: PodInfo; readonly ip?: string }
  | { readonly kind: 'external'; readonly ip: string };

export interface Connection {
  readonly source: ConnectionEndpoint;
  readonly destination: ConnectionEndpoint;
  /** The destination port; undefined for protocols without ports, which only rules without ports match. */
  readonly port: number | undefined;
  /** `tcp`, `UDP`, `sctp` (any case), or another protocol, which only rules without ports match. */
  readonly protocol: string;
}

/** What one direction's policy said. The `policy` and `tier` fields are the flow's PolicyVerdict labels. */
export interface DirectionVerdict {
  readonly verdict: Verdict;
  /** `<namespace>/<name>` or `<name>` of the deciding policy; `none` when no policy selected the pod. */
  readonly policy: string;
  /** `adminnetworkpolicy`, `default` (NetworkPolicy), `baselineadminnetworkpolicy`, or `none`. */
  readonly tier: string;
  /** Index of the matching rule in the policy's list for this direction; -1 for a default (deny or allow). */
  readonly rule: number;
}

export interface ConnectionVerdict {
  /** allow only if both evaluated directions allow. */
  readonly verdict: Verdict;
  /** At the source; undefined when the source is not a pod. */
  readonly egress: DirectionVerdict | undefined;
  /** At the destination; undefined when the destination is not a pod. */
  readonly ingress: DirectionVerdict | undefined;
  /** The direction that decided: the denying one (egress first), else ingress, else egress, else NOT_SELECTED. */
  readonly decidedBy: DirectionVerdict;
  /** True for a pod connecting to itself, which policy does not apply to. */
  readonly loopback: boolean;
}

export interface PolicySnapshot {
  readonly namespaces: readonly NamespaceInfo[];
  readonly networkPolicies?: readonly NetworkPolicy[];
  readonly adminNetworkPolicies?: readonly AdminNetworkPolicy[];
  readonly baselineAdminNetworkPolicies?: readonly BaselineAdminNetworkPolicy[];
}

export const NOT_SELECTED: DirectionVerdict = Object.freeze({
  verdict: 'allow',
  policy: 'none',
  tier: 'none',
  rule: -1,
});

/**
 * A rule as evaluation reads it, with the verdict it gives made once here rather than per flow (the verdict is
 * the flow's `policy`/`policy_tier` labels). undefined verdict: Pass.
 */
interface CompiledRule {
  readonly peers: readonly Peer[] | undefined;
  readonly ports: PortList;
  readonly verdict: DirectionVerdict | undefined;
}

interface CompiledPolicy {
  readonly rules: Record<Direction, readonly CompiledRule[]>;
  /** NetworkPolicy only: the deny of a pod it isolates and no rule allows. */
  readonly defaultDeny: DirectionVerdict;
}

/** The policies that select one pod, per direction and tier, in evaluation order. */
interface SelectingPolicies {
  readonly admin: Record<Direction, readonly CompiledPolicy[]>;
  readonly networkPolicies: Record<Direction, readonly CompiledPolicy[]>;
  readonly baseline: Record<Direction, readonly CompiledPolicy[]>;
}

/** An endpoint with what matching needs looked up once. */
interface ResolvedEndpoint {
  readonly pod: PodInfo | undefined;
  readonly namespaceLabels: Labels;
  readonly ips: readonly IpAddress[];
}

interface Traffic {
  readonly port: number | undefined;
  readonly protocol: Protocol | undefined;
  /** The destination pod's container ports, against which named ports resolve in both directions. */
  readonly destinationPorts: readonly ContainerPort[];
}

const byLabel = (a: { label: string }, b: { label: string }): number =>
  a.label < b.label ? -1 : a.label > b.label ? 1 : 0;

/** Flow sources write `tcp` or `TCP`, or the IANA protocol number for protocols they do not name. */
const PROTOCOL_BY_TEXT: ReadonlyMap<string, Protocol> = new Map<string, Protocol>([
  ['tcp', 'TCP'],
  ['6', 'TCP'],
  ['udp', 'UDP'],
  ['17', 'UDP'],
  ['sctp', 'SCTP'],
  ['132', 'SCTP'],
]);

function toProtocol(text: string): Protocol | undefined {
  return PROTOCOL_BY_TEXT.get(text) ?? PROTOCOL_BY_TEXT.get(text.toLowerCase());
}

const IPV4_MAPPED_PREFIX = 0xffffn << 32n;

/** Parses an endpoint's IP; an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) is the IPv4 address, as in Go. */
function parseEndpointIp(text: string): IpAddress | undefined {
  const ip = parseIp(text);
  if (ip !== undefined && ip.family === 6 && ip.value >> 32n === IPV4_MAPPED_PREFIX >> 32n) {
    return { family: 4, value: ip.value & 0xffffffffn };
  }
  return ip;
}

function verdictOf(verdict: Verdict, policy: string, tier: string, rule: number): DirectionVerdict {
  return Object.freeze({ verdict, policy, tier, rule });
}

function compileAdminRules(rules: readonly AdminRule[], label: string, tier: string): CompiledRule[] {
  return rules.map((rule, i) => ({
    peers: rule.peers,
    ports: rule.ports,
    verdict: rule.action === 'Pass' ? undefined : verdictOf(rule.action === 'Allow' ? 'allow' : 'deny', label, tier, i),
  }));
}

function compileAdminPolicy(policy: AdminNetworkPolicy | BaselineAdminNetworkPolicy, tier: string): CompiledPolicy {
  return {
    rules: {
      ingress: compileAdminRules(policy.ingress, policy.label, tier),
      egress: compileAdminRules(policy.egress, policy.label, tier),
    },
    defaultDeny: verdictOf('deny', policy.label, tier, -1),
  };
}

function compileNetworkPolicy(policy: NetworkPolicy): CompiledPolicy {
  const compile = (rules: readonly NetworkPolicyRule[]): CompiledRule[] =>
    rules.map((rule, i) => ({
      peers: rule.peers,
      ports: rule.ports,
      verdict: verdictOf('allow', policy.label, TIER_NETWORK_POLICY, i),
    }));
  return {
    rules: { ingress: compile(policy.ingress), egress: compile(policy.egress) },
    defaultDeny: verdictOf('deny', policy.label, TIER_NETWORK_POLICY, -1),
  };
}

interface Compiled<P> {
  readonly policy: P;
  readonly compiled: CompiledPolicy;
}

export class KubernetesPolicyEngine {
  private readonly namespaceLabels = new Map<string, Labels>();
  private readonly networkPoliciesByNamespace = new Map<string, Compiled<NetworkPolicy>[]>();
  private readonly admin: readonly Compiled<AdminNetworkPolicy>[];
  private readonly baseline: readonly Compiled<BaselineAdminNetworkPolicy>[];
  // Keyed by object identity: the cluster view replaces a pod's projection when its labels or IPs change.
  private readonly selectingCache = new WeakMap<PodInfo, SelectingPolicies>();
  private readonly podIpCache = new WeakMap<PodInfo, readonly IpAddress[]>();

  constructor(snapshot: PolicySnapshot) {
    for (const namespace of snapshot.namespaces) {
      this.namespaceLabels.set(namespace.name, { ...namespace.labels, [NAMESPACE_NAME_LABEL]: namespace.name });
    }
    for (const policy of [...(snapshot.networkPolicies ?? [])].sort(byLabel)) {
      const entry = { policy, compiled: compileNetworkPolicy(policy) };
      const list = this.networkPoliciesByNamespace.get(policy.namespace);
      if (list === undefined) this.networkPoliciesByNamespace.set(policy.namespace, [entry]);
      else list.push(entry);
    }
    this.admin = [...(snapshot.adminNetworkPolicies ?? [])]
      .sort((a, b) => a.priority - b.priority || byLabel(a, b))
      .map((policy) => ({ policy, compiled: compileAdminPolicy(policy, TIER_ADMIN) }));
    this.baseline = [...(snapshot.baselineAdminNetworkPolicies ?? [])]
      .sort(byLabel)
      .map((policy) => ({ policy, compiled: compileAdminPolicy(policy, TIER_BASELINE_ADMIN) }));
  }

  evaluate(connection: Connection): ConnectionVerdict {
    const { source, destination } = connection;
    if (
      source.kind === 'pod' &&
      destination.kind === 'pod' &&
      source.pod.namespace === destination.pod.namespace &&
      source.pod.name === destination.pod.name
    ) {
      return LOOPBACK;
    }
    const traffic: Traffic = {
      port: connection.port,
      protocol: toProtocol(connection.protocol),
      destinationPorts: destination.kind === 'pod' ? destination.pod.containerPorts : [],
    };
    const egress =
      source.kind === 'pod' ? this.decide('egress', source.pod, this.resolve(destination), traffic) : undefined;
    const ingress =
      destination.kind === 'pod' ? this.decide('ingress', destination.pod, this.resolve(source), traffic) : undefined;
    let decidedBy: DirectionVerdict;
    if (egress?.verdict === 'deny') decidedBy = egress;
    else decidedBy = ingress ?? egress ?? NOT_SELECTED;
    return { verdict: decidedBy.verdict, egress, ingress, decidedBy, loopback: false };
  }

  /** The verdict of one direction at `subject` (the pod whose policies apply) for traffic with `peer`. */
  private decide(direction: Direction, subject: PodInfo, peer: ResolvedEndpoint, traffic: Traffic): DirectionVerdict {
    const selecting = this.selectingPolicies(subject);

    adminTier: for (const policy of selecting.admin[direction]) {
      for (const rule of policy.rules[direction]) {
        if (!ruleMatches(rule, peer, traffic)) continue;
        // Pass skips the remaining admin policies and hands the decision to NetworkPolicy.
        if (rule.verdict === undefined) break adminTier;
        return rule.verdict;
      }
    }

    const isolating = selecting.networkPolicies[direction];
    if (isolating.length > 0) {
      for (const policy of isolating) {
        for (const rule of policy.rules[direction]) {
          if (ruleMatches(rule, peer, traffic)) return rule.verdict ?? NOT_SELECTED;
        }
      }
      return (isolating[0] as CompiledPolicy).defaultDeny;
    }

    for (const policy of selecting.baseline[direction]) {
      for (const rule of policy.rules[direction]) {
        if (ruleMatches(rule, peer, traffic)) return rule.verdict ?? NOT_SELECTED;
      }
    }
    return NOT_SELECTED;
  }

  private selectingPolicies(pod: PodInfo): SelectingPolicies {
    const cached = this.selectingCache.get(pod);
    if (cached !== undefined) return cached;
    const namespaceLabels = this.labelsOfNamespace(pod.namespace);
    const subjectMatches = ({ policy }: Compiled<AdminNetworkPolicy | BaselineAdminNetworkPolicy>): boolean =>
      selectorMatches(policy.subject.namespaces, namespaceLabels) && selectorMatches(policy.subject.pods, pod.labels);
    const withRules = (entries: readonly Compiled<unknown>[], direction: Direction): CompiledPolicy[] =>
      entries.filter((entry) => entry.compiled.rules[direction].length > 0).map((entry) => entry.compiled);
    const admin = this.admin.filter(subjectMatches);
    const baseline = this.baseline.filter(subjectMatches);
    const networkPolicies = (this.networkPoliciesByNamespace.get(pod.namespace) ?? []).filter(({ policy }) =>
      selectorMatches(policy.podSelector, pod.labels),
    );
    const selecting: SelectingPolicies = {
      admin: { ingress: withRules(admin, 'ingress'), egress: withRules(admin, 'egress') },
      // Isolation comes from policyTypes, not from having rules: a policy without rules denies.
      networkPolicies: {
        ingress: networkPolicies.filter(({ policy }) => policy.isolatesIngress).map((entry) => entry.compiled),
        egress: networkPolicies.filter(({ policy }) => policy.isolatesEgress).map((entry) => entry.compiled),
      },
      baseline: { ingress: withRules(baseline, 'ingress'), egress: withRules(baseline, 'egress') },
    };
    this.selectingCache.set(pod, selecting);
    return selecting;
  }

  private labelsOfNamespace(name: string): Labels {
    return this.namespaceLabels.get(name) ?? { [NAMESPACE_NAME_LABEL]: name };
  }

  private resolve(endpoint: ConnectionEndpoint): ResolvedEndpoint {
    if (endpoint.kind === 'external') {
      const ip = parseEndpointIp(endpoint.ip);
      return { pod: undefined, namespaceLabels: NO_LABELS, ips: ip === undefined ? [] : [ip] };
    }
    const { pod } = endpoint;
    let ips: readonly IpAddress[];
    if (endpoint.ip !== undefined) {
      const ip = parseEndpointIp(endpoint.ip);
      ips = ip === undefined ? [] : [ip];
    } else {
      ips = this.podIps(pod);
    }
    return { pod, namespaceLabels: this.labelsOfNamespace(pod.namespace), ips };
  }

  private podIps(pod: PodInfo): readonly IpAddress[] {
    let ips = this.podIpCache.get(pod);
    if (ips === undefined) {
      ips = pod.ips.map(parseEndpointIp).filter((ip): ip is IpAddress => ip !== undefined);
      this.podIpCache.set(pod, ips);
    }
    return ips;
  }
}

const NO_LABELS: Labels = Object.freeze({});

const LOOPBACK: ConnectionVerdict = Object.freeze({
  verdict: 'allow',
  egress: NOT_SELECTED,
  ingress: NOT_SELECTED,
  decidedBy: NOT_SELECTED,
  loopback: true,
});

function ruleMatches(rule: CompiledRule, peer: ResolvedEndpoint, traffic: Traffic): boolean {
  if (!portsMatch(rule.ports, traffic)) return false;
  return rule.peers === undefined || rule.peers.some((candidate) => peerMatches(candidate, peer));
}

function peerMatches(peer: Peer, endpoint: ResolvedEndpoint): boolean {
  return peerMatchesEndpoint(peer, endpoint.pod, endpoint.namespaceLabels, endpoint.ips);
}

/**
 * Whether a NetworkPolicy peer matches an endpoint: a pod (with its namespace's labels) or only addresses.
 * Shared with the unified engine, so both evaluate Kubernetes peers the same way.
 */
export function peerMatchesEndpoint(
  peer: Peer,
  pod: PodInfo | undefined,
  namespaceLabels: Labels,
  ips: readonly IpAddress[],
): boolean {
  switch (peer.kind) {
    case 'pods':
      return (
        pod !== undefined &&
        (peer.namespace === undefined || peer.namespace === pod.namespace) &&
        selectorMatches(peer.namespaces, namespaceLabels) &&
        selectorMatches(peer.pods, pod.labels)
      );
    case 'ip':
      return ips.some((ip) =>
        peer.blocks.some(
          (block) => cidrContains(block.cidr, ip) && !block.except.some((excluded) => cidrContains(excluded, ip)),
        ),
      );
    case 'unmatched':
      return false;
  }
}

function portsMatch(ports: PortList, traffic: Traffic): boolean {
  return portsMatchConnection(ports, traffic.port, traffic.protocol, traffic.destinationPorts);
}

/**
 * Whether a rule's port list admits a connection; a named port means the destination pod's container port
 * of that name, in both directions. Shared with the unified engine.
 */
export function portsMatchConnection(
  ports: PortList,
  port: number | undefined,
  protocol: Protocol | undefined,
  destinationPorts: readonly ContainerPort[],
): boolean {
  if (ports === undefined) return true;
  if (port === undefined || protocol === undefined) return false;
  for (const matcher of ports) {
    if (matcher.kind === 'range') {
      if (matcher.protocol === protocol && port >= matcher.start && port <= matcher.end) return true;
    } else if (matcher.protocol === undefined || matcher.protocol === protocol) {
      for (const containerPort of destinationPorts) {
        if (containerPort.name === matcher.name && containerPort.port === port && containerPort.protocol === protocol) {
          return true;
        }
      }
    }
  }
  return false;
}
