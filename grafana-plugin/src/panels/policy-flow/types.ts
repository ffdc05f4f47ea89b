import { DEFAULT_POLICY_FLOW_FILTER, DEFAULT_TOP_N, DEFAULT_TOP_POLICIES } from '../../data/policy-flow';

export type PolicyFlowMode = 'sankey' | 'table';

export interface PolicyFlowOptions {
  /** What the panel opens with; the panel's own toggle switches it for the viewer. */
  mode: PolicyFlowMode;
  /** Sources and destinations drawn with a node of their own, busiest first; the rest merge into "other". */
  topN: number;
  /** Policy nodes (a policy and an action) drawn, busiest first; the rest merge into an "other" node per action. */
  topPolicies: number;
  /** Staged policies' flows (would-allow, would-deny) beside the enforced ones. */
  showStaged: boolean;
  /** Only the flows through this policy (`<tier>/<policy>`, or the `policy` label in any tier); empty for all. */
  policyFilter: string;
  /** Only flows with an end in one of these namespaces. */
  namespaces: string[];
  /** Only flows whose source, destination, policy, tier or action contains this text. */
  search: string;
}

export const DEFAULT_OPTIONS: PolicyFlowOptions = {
  mode: 'sankey',
  topN: DEFAULT_TOP_N,
  topPolicies: DEFAULT_TOP_POLICIES,
  showStaged: DEFAULT_POLICY_FLOW_FILTER.showStaged,
  policyFilter: DEFAULT_POLICY_FLOW_FILTER.policy,
  namespaces: DEFAULT_POLICY_FLOW_FILTER.namespaces,
  search: DEFAULT_POLICY_FLOW_FILTER.search,
};
