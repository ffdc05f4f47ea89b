// The policy flow view's data: which policy decided the flows between two workloads, and with what action; and
// what staged policies would do to them. Prometheus frames of POLICY_FLOW_QUERIES (src/queries.ts) become flows
// (source -> policy and action -> destination, with a rate), the flows are filtered, then shaped into the three
// columns a Sankey draws: source workloads, policies, destination workloads. Pure: no React, no Grafana runtime.
import { type DataFrame, type Field, FieldType } from '@grafana/data';

import { workloadNodeId } from './model';

/** Enforced flows are decided by policy today; staged ones say what a staged policy would decide if enforced. */
export type PolicyFlowKind = 'enforced' | 'staged';

/** The metric each kind of query reads (docs/metrics.md). */
export const POLICY_FLOW_METRICS: Record<PolicyFlowKind, string> = {
  enforced: 'flowlens_flows_total',
  staged: 'flowlens_staged_policy_flows_total',
};

/** The refIds of POLICY_FLOW_QUERIES and the kind of flows each returns. */
export const POLICY_FLOW_KIND_BY_REF_ID: Readonly<Record<string, PolicyFlowKind>> = {
  enforced: 'enforced',
  staged: 'staged',
};

/**
 * The exporter's `policy` values that name no policy: `none` when no policy selected the endpoint (the
 * default action applied), `unknown` when the input did not say; `policy_tier` then reads the same.
 */
export const NO_POLICY = 'none';
export const UNKNOWN_POLICY = 'unknown';

/** A label missing from a series reads as this: the flow is still counted, under an honest name. */
const MISSING = 'unknown';

export interface WorkloadRef {
  /** `namespace/workload`, as in the service graph's model (so `/world` for peers outside any namespace). */
  id: string;
  namespace: string;
  name: string;
}

export interface PolicyRef {
  /**
   * What identifies the policy in filters and node ids: `<tier>/<policy>` for enforced policies (a policy label
   * is `<namespace>/<name>` or `<name>`), `staged:<policy>` for staged ones (their series have no tier).
   */
  key: string;
  /** Empty for staged policies. */
  tier: string;
  /** The `policy` label: `<namespace>/<name>`, `<name>` for cluster-wide policies, `none` or `unknown`. */
  name: string;
  staged: boolean;
}

/** Flows per second from one source workload through one policy and action to one destination workload. */
export interface PolicyFlow {
  id: string;
  source: WorkloadRef;
  dest: WorkloadRef;
  policy: PolicyRef;
  /** `allow` or `deny` as the exporter writes them; any other value (pass, log, ...) is kept as it is. */
  action: string;
  rate: number;
}

export interface FramesToPolicyFlowsOptions {
  /** The kind of flows a query's frames hold, by refId; defaults to POLICY_FLOW_KIND_BY_REF_ID. */
  kindByRefId?: Readonly<Record<string, PolicyFlowKind>>;
}

/**
 * The flows of a panel's frames, busiest first (ties by id). Reads Prometheus time series frames (labels on the
 * number field, latest value taken) and table frames (labels as columns, one value column per query). A series
 * is staged when its metric, its query's refId, its `Value #<refId>` column or its executed query says so, else
 * enforced. Series without both workloads are skipped (there is nothing to draw them between); a missing
 * policy, tier or action reads `unknown`; values that are not positive finite numbers (idle series, NaN, text)
 * are skipped. Series of the same flow are added up.
 */
export function framesToPolicyFlows(frames: DataFrame[], options: FramesToPolicyFlowsOptions = {}): PolicyFlow[] {
  const kindByRefId = options.kindByRefId ?? POLICY_FLOW_KIND_BY_REF_ID;
  const flows = new Map<string, PolicyFlow>();
  const add = (labels: Labels, kind: PolicyFlowKind, value: unknown) => {
    const rate = rateOf(value);
    if (rate === undefined) return;
    const flow = flowOf(labels, kind, rate);
    if (!flow) return;
    const existing = flows.get(flow.id);
    if (existing) existing.rate += flow.rate;
    else flows.set(flow.id, flow);
  };

  for (const frame of frames) {
    const frameKind = kindOfFrame(frame, kindByRefId);
    const numberFields = frame.fields.filter((field) => field.type === FieldType.number);
    if (numberFields.length === 0) continue;
    const labelFields = frame.fields.filter(
      (field) => field.type !== FieldType.number && field.type !== FieldType.time,
    );
    if (labelFields.some((field) => field.name === 'source_workload')) {
      // Table format: one row per series. Only the `Value` columns are values when there are any, so that a label
      // column some transformation typed as a number is not mistaken for a rate.
      const valueColumns = numberFields.filter((field) => /^Value( #.+)?$/.test(field.name));
      const valueFields = valueColumns.length > 0 ? valueColumns : numberFields;
      for (let row = 0; row < frame.length; row++) {
        const labels: Labels = {};
        for (const field of labelFields) {
          const value = field.values[row];
          if (value !== null && value !== undefined) labels[field.name] = String(value);
        }
        for (const field of valueFields) {
          add(labels, kindOfSeries(labels, field, kindByRefId) ?? frameKind, field.values[row]);
        }
      }
      continue;
    }
    // Time series format: each number field is a series, its labels on the field.
    for (const field of numberFields) {
      const labels = field.labels ?? {};
      add(labels, kindOfSeries(labels, field, kindByRefId) ?? frameKind, lastValue(field));
    }
  }
  return [...flows.values()].sort(busiestFirst);
}

type Labels = Record<string, string>;

function flowOf(labels: Labels, kind: PolicyFlowKind, rate: number): PolicyFlow | undefined {
  const sourceWorkload = labels['source_workload'];
  const destWorkload = labels['dest_workload'];
  if (!sourceWorkload || !destWorkload) return undefined;
  const source = workloadRef(labels['source_namespace'] ?? '', sourceWorkload);
  const dest = workloadRef(labels['dest_namespace'] ?? '', destWorkload);
  const name = labels['policy'] || MISSING;
  const staged = kind === 'staged';
  const tier = staged ? '' : labels['policy_tier'] || MISSING;
  const policy: PolicyRef = { key: policyKey(tier, name, staged), tier, name, staged };
  const action = labels['action'] || MISSING;
  return { id: [source.id, policy.key, action, dest.id].join('|'), source, dest, policy, action, rate };
}

function workloadRef(namespace: string, name: string): WorkloadRef {
  return { id: workloadNodeId(namespace, name), namespace, name };
}

export function policyKey(tier: string, name: string, staged: boolean): string {
  return staged ? `staged:${name}` : `${tier}/${name}`;
}

function rateOf(value: unknown): number | undefined {
  const rate =
    typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(rate) && rate > 0 ? rate : undefined;
}

function lastValue(field: Field): unknown {
  for (let index = field.values.length - 1; index >= 0; index--) {
    const value = field.values[index];
    if (value !== null && value !== undefined) return value;
  }
  return undefined;
}

/** A series' own kind: by its metric name, else by its `Value #<refId>` column in a merged table. */
function kindOfSeries(
  labels: Labels,
  field: Field,
  kindByRefId: Readonly<Record<string, PolicyFlowKind>>,
): PolicyFlowKind | undefined {
  const metric = labels['__name__'];
  if (metric === POLICY_FLOW_METRICS.staged) return 'staged';
  if (metric === POLICY_FLOW_METRICS.enforced) return 'enforced';
  const refId = /^Value #(.+)$/.exec(field.name)?.[1];
  return refId !== undefined && Object.hasOwn(kindByRefId, refId) ? kindByRefId[refId] : undefined;
}

/** A frame's kind: by its refId, else staged when its executed query reads the staged metric. */
function kindOfFrame(frame: DataFrame, kindByRefId: Readonly<Record<string, PolicyFlowKind>>): PolicyFlowKind {
  if (frame.refId !== undefined && Object.hasOwn(kindByRefId, frame.refId)) {
    return kindByRefId[frame.refId] ?? 'enforced';
  }
  return frame.meta?.executedQueryString?.includes(POLICY_FLOW_METRICS.staged) ? 'staged' : 'enforced';
}

function busiestFirst<T extends { id: string; rate: number }>(a: T, b: T): number {
  return b.rate - a.rate || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

// --- Filters ---

export interface PolicyFlowFilter {
  /**
   * Only the flows through one policy: its key (`<tier>/<policy>`, `staged:<policy>`, what clicking a policy
   * sets) or its `policy` label, which matches it in every tier and as a staged policy. Empty: every policy.
   */
  policy: string;
  /** Only flows with an end in one of these namespaces; empty: all. */
  namespaces: string[];
  /** Only flows whose source, destination, policy, tier or action contains this text (case-insensitive). */
  search: string;
  /** Whether staged policies' flows are shown beside the enforced ones. */
  showStaged: boolean;
}

export const DEFAULT_POLICY_FLOW_FILTER: PolicyFlowFilter = {
  policy: '',
  namespaces: [],
  search: '',
  showStaged: true,
};

export function filterPolicyFlows(flows: readonly PolicyFlow[], filter: Partial<PolicyFlowFilter>): PolicyFlow[] {
  // Field by field, so that a field present but undefined (an option a saved panel lacks) takes its default too.
  const policy = filter.policy ?? DEFAULT_POLICY_FLOW_FILTER.policy;
  const namespaces = filter.namespaces ?? DEFAULT_POLICY_FLOW_FILTER.namespaces;
  const search = filter.search ?? DEFAULT_POLICY_FLOW_FILTER.search;
  const showStaged = filter.showStaged ?? DEFAULT_POLICY_FLOW_FILTER.showStaged;
  const wantedNamespaces = new Set(namespaces);
  const needle = search.trim().toLowerCase();
  return flows.filter(
    (flow) =>
      (showStaged || !flow.policy.staged) &&
      (policy === '' || flow.policy.key === policy || flow.policy.name === policy) &&
      (wantedNamespaces.size === 0 ||
        wantedNamespaces.has(flow.source.namespace) ||
        wantedNamespaces.has(flow.dest.namespace)) &&
      (needle === '' ||
        [flow.source.id, flow.dest.id, flow.policy.key, policyLabel(flow.policy), flow.action].some((text) =>
          text.toLowerCase().includes(needle),
        )),
  );
}

// --- The three columns ---

export type PolicyFlowColumn = 'source' | 'policy' | 'dest';

/**
 * The key of a node standing for what is past the top N of its column (the exporter's overflow style): the
 * workloads' "other" node is `__other__`; the policies' are `__other__:<action>` and `__other__:staged:<action>`,
 * one per action so that their links keep one color and staged links stay apart.
 */
export const OTHER_KEY = '__other__';

export interface PolicyFlowNode {
  /** Unique across the columns: `<column>:<key>` (a workload is both a source and a destination). */
  id: string;
  column: PolicyFlowColumn;
  /**
   * What the node stands for: a workload's id (`namespace/workload`), for a policy node its policy's key and the
   * action, `<policy key>:<action>` (a policy that both allows and denies is two nodes), or an "other" key.
   */
  key: string;
  label: string;
  /** Flows per second through the node. */
  rate: number;
  /** Policy nodes of one policy only (not the policies' "other" nodes): what clicking the node filters to. */
  policy?: PolicyRef;
  /** Nodes of the policy column. */
  action?: string;
  staged: boolean;
  /** An "other" node, standing for the workloads or policies past the top N. */
  merged: boolean;
  /** What an "other" node stands for (workload ids, or policy node keys), sorted; `[key]` for the rest. */
  memberIds: string[];
}

export interface PolicyFlowLink {
  /** `<from node id>><to node id>`. */
  id: string;
  source: string;
  target: string;
  rate: number;
  /** The action of the policy node the link enters or leaves, so each link has one color. */
  action: string;
  /** Through a staged policy: a would-allow or would-deny. */
  staged: boolean;
}

export interface PolicyFlowModel {
  /** The flows shown, busiest first, with their real workloads and policies (the table; no "other" merging). */
  flows: PolicyFlow[];
  /** Sources, then policies, then destinations; each column busiest first, its "other" nodes last. */
  nodes: PolicyFlowNode[];
  /** Sorted by id. */
  links: PolicyFlowLink[];
  /** Nodes in the policy column ("other" ones included). */
  policyCount: number;
  /** Flows per second of the enforced flows shown (staged flows are the same traffic seen another way). */
  enforcedRate: number;
  stagedRate: number;
}

export interface PolicyFlowModelOptions {
  /**
   * How many of the busiest sources, and of the busiest destinations, keep a node of their own; the rest of each
   * column merge into one "other" node (left as they are when only one would be merged). 0 or less: no limit.
   */
  topN: number;
  /**
   * The same for policy nodes (a policy and an action); the rest merge into an "other" node per action (and
   * staged or not), unless that node would stand for one policy only.
   */
  topPolicies: number;
}

export const DEFAULT_TOP_N = 15;
// Policies are fewer than workloads and each one is worth seeing; a cluster with hundreds still gets a bounded column.
export const DEFAULT_TOP_POLICIES = 40;

/**
 * The Sankey's columns and links for some flows. Each flow becomes a link from its source to its policy node and
 * one from the policy node to its destination; links between the same two nodes add up, so a policy node's
 * incoming rate always equals its outgoing rate.
 */
export function buildPolicyFlowModel(
  flows: readonly PolicyFlow[],
  options: Partial<PolicyFlowModelOptions> = {},
): PolicyFlowModel {
  const topN = options.topN ?? DEFAULT_TOP_N;
  const topPolicies = options.topPolicies ?? DEFAULT_TOP_POLICIES;
  const sorted = [...flows].sort(busiestFirst);
  const keepSource = topKeys(sorted, (flow) => flow.source.id, topN);
  const keepDest = topKeys(sorted, (flow) => flow.dest.id, topN);
  const keepPolicy = topKeys(sorted, policyNodeKey, topPolicies);
  // Policies merge per action: a group of one keeps its own node rather than becoming "other policies (1)".
  const policyGroups = new Map<string, Set<string>>();
  for (const flow of sorted) {
    const key = policyNodeKey(flow);
    if (keepPolicy.has(key)) continue;
    const group = otherPolicyKey(flow);
    const members = policyGroups.get(group) ?? new Set<string>();
    members.add(key);
    policyGroups.set(group, members);
  }
  for (const members of policyGroups.values()) {
    if (members.size === 1) for (const key of members) keepPolicy.add(key);
  }

  const nodes = new Map<string, PolicyFlowNode>();
  const links = new Map<string, PolicyFlowLink>();
  // Sets beside the "other" nodes' member lists: a big cluster merges hundreds of workloads into them.
  const otherMembers = new Map<string, Set<string>>();
  const nodeFor = (column: PolicyFlowColumn, key: string, make: () => Omit<PolicyFlowNode, 'id' | 'rate'>) => {
    const id = `${column}:${key}`;
    let node = nodes.get(id);
    if (!node) {
      node = { id, rate: 0, ...make() };
      nodes.set(id, node);
    }
    return node;
  };
  const otherNode = (
    column: PolicyFlowColumn,
    key: string,
    member: string,
    extra: Pick<PolicyFlowNode, 'action' | 'staged'> = { staged: false },
  ) => {
    const node = nodeFor(column, key, () => ({
      column,
      key,
      label: '', // named once its members are all known
      merged: true,
      memberIds: [],
      ...extra,
    }));
    let members = otherMembers.get(node.id);
    if (!members) {
      members = new Set();
      otherMembers.set(node.id, members);
    }
    if (!members.has(member)) {
      members.add(member);
      node.memberIds.push(member);
    }
    return node;
  };
  const workloadNode = (column: 'source' | 'dest', workload: WorkloadRef, kept: Set<string>) =>
    kept.has(workload.id)
      ? nodeFor(column, workload.id, () => ({
          column,
          key: workload.id,
          label: workloadLabel(workload),
          staged: false,
          merged: false,
          memberIds: [workload.id],
        }))
      : otherNode(column, OTHER_KEY, workload.id);
  const policyNode = (flow: PolicyFlow) => {
    const key = policyNodeKey(flow);
    const { staged } = flow.policy;
    if (!keepPolicy.has(key)) return otherNode('policy', otherPolicyKey(flow), key, { action: flow.action, staged });
    return nodeFor('policy', key, () => ({
      column: 'policy',
      key,
      label: `${policyLabel(flow.policy)} · ${actionLabel(flow.action, staged)}`,
      policy: flow.policy,
      action: flow.action,
      staged,
      merged: false,
      memberIds: [key],
    }));
  };
  const link = (from: PolicyFlowNode, to: PolicyFlowNode, flow: PolicyFlow) => {
    const id = `${from.id}>${to.id}`;
    const existing = links.get(id);
    if (existing) existing.rate += flow.rate;
    else
      links.set(id, {
        id,
        source: from.id,
        target: to.id,
        rate: flow.rate,
        action: flow.action,
        staged: flow.policy.staged,
      });
  };

  let enforcedRate = 0;
  let stagedRate = 0;
  for (const flow of sorted) {
    const source = workloadNode('source', flow.source, keepSource);
    const dest = workloadNode('dest', flow.dest, keepDest);
    const policy = policyNode(flow);
    source.rate += flow.rate;
    policy.rate += flow.rate;
    dest.rate += flow.rate;
    link(source, policy, flow);
    link(policy, dest, flow);
    if (flow.policy.staged) stagedRate += flow.rate;
    else enforcedRate += flow.rate;
  }

  const columnOrder: Record<PolicyFlowColumn, number> = { source: 0, policy: 1, dest: 2 };
  const orderedNodes = [...nodes.values()].sort(
    (a, b) =>
      columnOrder[a.column] - columnOrder[b.column] ||
      Number(a.merged) - Number(b.merged) ||
      b.rate - a.rate ||
      (a.id < b.id ? -1 : 1),
  );
  for (const node of orderedNodes) {
    if (!node.merged) continue;
    node.memberIds.sort();
    const count = node.memberIds.length;
    node.label =
      node.column === 'policy'
        ? `other ${node.staged ? 'staged ' : ''}policies (${count}) · ${actionLabel(node.action ?? MISSING, node.staged)}`
        : `other (${count} workloads)`;
  }
  return {
    flows: sorted,
    nodes: orderedNodes,
    links: [...links.values()].sort((a, b) => (a.id < b.id ? -1 : 1)),
    policyCount: orderedNodes.filter((node) => node.column === 'policy').length,
    enforcedRate,
    stagedRate,
  };
}

function policyNodeKey(flow: PolicyFlow): string {
  return `${flow.policy.key}:${flow.action}`;
}

function otherPolicyKey(flow: PolicyFlow): string {
  return flow.policy.staged ? `${OTHER_KEY}:staged:${flow.action}` : `${OTHER_KEY}:${flow.action}`;
}

/** The keys that keep their own node: the `topN` busiest, or all when at most one more would be left. */
function topKeys(flows: readonly PolicyFlow[], keyOf: (flow: PolicyFlow) => string, topN: number): Set<string> {
  const rates = new Map<string, number>();
  for (const flow of flows) rates.set(keyOf(flow), (rates.get(keyOf(flow)) ?? 0) + flow.rate);
  const ranked = [...rates.entries()].sort(([a, rateA], [b, rateB]) => rateB - rateA || (a < b ? -1 : 1));
  const limit = topN > 0 && ranked.length > topN + 1 ? topN : ranked.length;
  return new Set(ranked.slice(0, limit).map(([key]) => key));
}

/** The flows to show and their Sankey columns: `buildPolicyFlowModel(filterPolicyFlows(flows, filter), options)`. */
export function policyFlowView(
  flows: readonly PolicyFlow[],
  filter: Partial<PolicyFlowFilter>,
  options: Partial<PolicyFlowModelOptions> = {},
): PolicyFlowModel {
  return buildPolicyFlowModel(filterPolicyFlows(flows, filter), options);
}

// --- Labels ---

export function workloadLabel(workload: WorkloadRef): string {
  return workload.namespace === '' ? workload.name : workload.id;
}

/** `<tier>/<policy>`; `no policy` (the default action applied) and `unknown policy` for the exporter's stand-ins. */
export function policyLabel(policy: PolicyRef): string {
  const name =
    policy.name === NO_POLICY ? 'no policy' : policy.name === UNKNOWN_POLICY ? 'unknown policy' : policy.name;
  if (policy.staged) return `staged ${name}`;
  if (policy.tier === '' || policy.tier === policy.name) return name;
  return `${policy.tier}/${name}`;
}

/** `allow`, `deny`, ...; for a staged policy what it would do: `would allow`, `would deny`. */
export function actionLabel(action: string, staged: boolean): string {
  return staged ? `would ${action}` : action;
}
