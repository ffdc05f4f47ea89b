/**
 * A small Calico policy evaluator for the demo topology, so that every flow's verdict and policy trace follow from
 * the policies in topology.ts instead of being written by hand next to each edge (they could not drift apart).
 *
 * Semantics, as Calico applies them: tiers in order; in a tier, the policies that select the endpoint in order
 * (then by name); the first matching rule decides (`pass` skips to the next tier); if policies selected the endpoint
 * but no rule matched, the tier's end-of-tier deny applies (rule index -1, charged to the last policy evaluated);
 * if no tier decided, the namespace profile allows. The source's node evaluates egress, the destination's ingress.
 */
import type {
  LabelRequirement,
  NetworkPolicySpec,
  PeerMatcher,
  PodSelector,
  PolicyRule,
  Protocol,
  RuleAction,
  TierSpec,
} from './topology';
import { ipInCidr } from './topology';

export type Direction = 'ingress' | 'egress';

/** What policy matching needs to know about either end of a flow. */
export interface PolicyEndpoint {
  kind: 'pod' | 'networkSet' | 'external';
  /** Empty unless a pod. */
  namespace: string;
  labels: Readonly<Record<string, string>>;
  ip: string;
  /** The GlobalNetworkSet the address belongs to, for `networkSet` endpoints. */
  networkSet?: string;
}

export interface PolicyTraceEntry {
  tier: string;
  /** The name as flow logs carry it (see `policyTraceName`). */
  name: string;
  action: RuleAction;
  /** The matching rule's index; -1 for the end-of-tier deny. */
  ruleIndex: number;
}

export interface PolicyOutcome {
  action: 'allow' | 'deny';
  entries: PolicyTraceEntry[];
}

export interface PolicyQuery {
  policies: readonly NetworkPolicySpec[];
  tiers: readonly TierSpec[];
  direction: Direction;
  /** The endpoint whose policies apply: the source for egress, the destination for ingress. Always a pod here. */
  local: PolicyEndpoint;
  peer: PolicyEndpoint;
  protocol: Protocol;
  port: number | undefined;
  /** Include staged policies as if enforced: the pending trace. */
  includeStaged: boolean;
}

/** Calico's flow-log name for a policy: `tier.name`, `ns/tier.name`, `ns/knp.default.name`, with `staged:` before the tier part. */
export function policyTraceName(policy: NetworkPolicySpec): string {
  const staged = policy.staged ? 'staged:' : '';
  switch (policy.kind) {
    case 'global':
      return `${staged}${policy.tier}.${policy.name}`;
    case 'calico':
      return `${policy.namespace}/${staged}${policy.tier}.${policy.name}`;
    case 'kubernetes':
      return `${policy.namespace}/${staged}knp.default.${policy.name}`;
  }
}

/** Formats a trace as flow logs carry it: `<index>|<tier>|<name>|<action>|<rule index>`. */
export function formatTrace(entries: readonly PolicyTraceEntry[]): string[] {
  return entries.map((entry, index) => `${index}|${entry.tier}|${entry.name}|${entry.action}|${entry.ruleIndex}`);
}

function labelsMatch(
  labels: Readonly<Record<string, string>>,
  requirements: readonly LabelRequirement[] | undefined,
): boolean {
  return (requirements ?? []).every((requirement) => {
    const value = labels[requirement.key];
    return value !== undefined && requirement.values.includes(value);
  });
}

/** A pod selector; with no namespaces it means the policy's own namespace (or any, for a global policy). */
function podSelectorMatches(selector: PodSelector, endpoint: PolicyEndpoint, policyNamespace: string): boolean {
  if (endpoint.kind !== 'pod') return false;
  const namespaces = selector.namespaces ?? (policyNamespace === '' ? undefined : [policyNamespace]);
  if (namespaces !== undefined && !namespaces.includes(endpoint.namespace)) return false;
  return labelsMatch(endpoint.labels, selector.labels);
}

function peerMatches(matcher: PeerMatcher | undefined, peer: PolicyEndpoint, policyNamespace: string): boolean {
  if (matcher === undefined) return true;
  switch (matcher.kind) {
    case 'any':
      return true;
    case 'pods':
      return podSelectorMatches(matcher, peer, policyNamespace);
    case 'networkSets':
      return peer.kind === 'networkSet' && peer.networkSet !== undefined && matcher.names.includes(peer.networkSet);
    case 'nets':
      return matcher.cidrs.some((cidr) => ipInCidr(peer.ip, cidr));
  }
}

function ruleMatches(rule: PolicyRule, query: PolicyQuery, policyNamespace: string): boolean {
  if (rule.protocol !== undefined && rule.protocol !== query.protocol) return false;
  if (rule.ports !== undefined && (query.port === undefined || !rule.ports.includes(query.port))) return false;
  if (rule.local !== undefined && !podSelectorMatches(rule.local, query.local, policyNamespace)) return false;
  return peerMatches(rule.peer, query.peer, policyNamespace);
}

function selects(policy: NetworkPolicySpec, query: PolicyQuery): boolean {
  if (policy.staged && !query.includeStaged) return false;
  if ((query.direction === 'ingress' ? policy.ingress : policy.egress) === undefined) return false;
  if (policy.namespace !== '' && policy.namespace !== query.local.namespace) return false;
  return podSelectorMatches(policy.selector, query.local, policy.namespace);
}

export function evaluatePolicies(query: PolicyQuery): PolicyOutcome {
  const entries: PolicyTraceEntry[] = [];
  const tiers = [...query.tiers].sort((left, right) => left.order - right.order);
  tiers: for (const tier of tiers) {
    const selecting = query.policies
      .filter((policy) => policy.tier === tier.name && selects(policy, query))
      .sort((left, right) => left.order - right.order || policyTraceName(left).localeCompare(policyTraceName(right)));
    const last = selecting[selecting.length - 1];
    if (last === undefined) continue;
    for (const policy of selecting) {
      const rules = (query.direction === 'ingress' ? policy.ingress : policy.egress) ?? [];
      const ruleIndex = rules.findIndex((rule) => ruleMatches(rule, query, policy.namespace));
      const rule = rules[ruleIndex];
      if (rule === undefined) continue;
      entries.push({ tier: tier.name, name: policyTraceName(policy), action: rule.action, ruleIndex });
      if (rule.action === 'pass') continue tiers;
      return { action: rule.action, entries };
    }
    entries.push({ tier: tier.name, name: policyTraceName(last), action: 'deny', ruleIndex: -1 });
    return { action: 'deny', entries };
  }
  // Nothing decided: Kubernetes pods fall through to their namespace's profile, which allows.
  entries.push({
    tier: '__PROFILE__',
    name: `__PROFILE__.kns.${query.local.namespace}`,
    action: 'allow',
    ruleIndex: 0,
  });
  return { action: 'allow', entries };
}
