import { type DataFrame, FieldType, createDataFrame } from '@grafana/data';

import { POLICY_FLOW_QUERIES } from '../queries';
import {
  OTHER_KEY,
  POLICY_FLOW_KIND_BY_REF_ID,
  type PolicyFlow,
  buildPolicyFlowModel,
  filterPolicyFlows,
  framesToPolicyFlows,
  policyFlowView,
  policyLabel,
} from './policy-flow';

type Labels = Record<string, string>;

function flowLabels(source: string, dest: string, extra: Labels = {}): Labels {
  const [sourceNamespace = '', sourceWorkload = ''] = source.split('/');
  const [destNamespace = '', destWorkload = ''] = dest.split('/');
  return {
    source_namespace: sourceNamespace,
    source_workload: sourceWorkload,
    dest_namespace: destNamespace,
    dest_workload: destWorkload,
    ...extra,
  };
}

/** A series as Grafana's Prometheus data source returns it in time series format. */
function series(refId: string, labels: Labels, values: Array<number | null>): DataFrame {
  return createDataFrame({
    refId,
    fields: [
      { name: 'Time', type: FieldType.time, values: values.map((_, index) => 1_700_000_000_000 + index * 15_000) },
      { name: 'Value', type: FieldType.number, values, labels },
    ],
  });
}

function enforced(source: string, dest: string, tier: string, policy: string, action: string, value: number) {
  return series('enforced', flowLabels(source, dest, { policy_tier: tier, policy, action }), [value]);
}

function staged(source: string, dest: string, policy: string, action: string, value: number) {
  return series('staged', flowLabels(source, dest, { policy, action }), [value]);
}

/** Prometheus' table format: one row per series, labels as columns, the value in `Value` (or `Value #<refId>`). */
function table(refId: string, rows: Array<{ labels: Labels; value: unknown }>, valueName = 'Value'): DataFrame {
  const names = [...new Set(rows.flatMap((row) => Object.keys(row.labels)))].sort();
  return createDataFrame({
    refId,
    fields: [
      { name: 'Time', type: FieldType.time, values: rows.map(() => 1_700_000_000_000) },
      ...names.map((name) => ({ name, type: FieldType.string, values: rows.map((row) => row.labels[name]) })),
      { name: valueName, type: FieldType.number, values: rows.map((row) => row.value) },
    ],
  });
}

const frames = [
  enforced('shop/frontend', 'shop/cart', 'default', 'shop/allow-frontend', 'allow', 10),
  enforced('shop/frontend', 'data/redis', 'security', 'deny-to-data', 'deny', 2),
  enforced('shop/cart', 'data/redis', 'default', 'data/allow-cart', 'allow', 4),
  enforced('shop/cart', 'data/db', 'none', 'none', 'allow', 1),
  staged('shop/cart', 'data/db', 'data/lockdown', 'deny', 1),
];

const ids = (flows: PolicyFlow[]) => flows.map((flow) => flow.id);

describe('framesToPolicyFlows', () => {
  it('reads enforced and staged series in time series format, busiest first', () => {
    const flows = framesToPolicyFlows(frames);
    expect(ids(flows)).toEqual([
      'shop/frontend|default/shop/allow-frontend|allow|shop/cart',
      'shop/cart|default/data/allow-cart|allow|data/redis',
      'shop/frontend|security/deny-to-data|deny|data/redis',
      'shop/cart|none/none|allow|data/db',
      'shop/cart|staged:data/lockdown|deny|data/db',
    ]);
    expect(flows[0]).toEqual({
      id: 'shop/frontend|default/shop/allow-frontend|allow|shop/cart',
      source: { id: 'shop/frontend', namespace: 'shop', name: 'frontend' },
      dest: { id: 'shop/cart', namespace: 'shop', name: 'cart' },
      policy: { key: 'default/shop/allow-frontend', tier: 'default', name: 'shop/allow-frontend', staged: false },
      action: 'allow',
      rate: 10,
    });
    expect(flows[4]?.policy).toEqual({ key: 'staged:data/lockdown', tier: '', name: 'data/lockdown', staged: true });
  });

  it('takes the latest non-null value of a series and adds up series of the same flow', () => {
    const labels = flowLabels('a/x', 'b/y', { policy_tier: 't', policy: 'p', action: 'allow' });
    const flows = framesToPolicyFlows([
      series('enforced', labels, [1, 3, null]),
      series('enforced', { ...labels, reporter: 'dst' }, [2]),
    ]);
    expect(flows.map((flow) => flow.rate)).toEqual([5]);
  });

  it('reads table frames, including a merged table with a Value column per refId', () => {
    const rows = [
      {
        labels: flowLabels('shop/frontend', 'shop/cart', { policy_tier: 'default', policy: 'p', action: 'allow' }),
        value: 3,
      },
      { labels: flowLabels('shop/cart', 'data/db', { policy: 'data/lockdown', action: 'deny' }), value: 1 },
    ];
    expect(ids(framesToPolicyFlows([table('enforced', rows.slice(0, 1)), table('staged', rows.slice(1))]))).toEqual([
      'shop/frontend|default/p|allow|shop/cart',
      'shop/cart|staged:data/lockdown|deny|data/db',
    ]);
    const merged = createDataFrame({
      fields: [
        { name: 'source_namespace', type: FieldType.string, values: ['shop'] },
        { name: 'source_workload', type: FieldType.string, values: ['cart'] },
        { name: 'dest_namespace', type: FieldType.string, values: ['data'] },
        { name: 'dest_workload', type: FieldType.string, values: ['db'] },
        { name: 'policy', type: FieldType.string, values: ['data/lockdown'] },
        { name: 'action', type: FieldType.string, values: ['deny'] },
        { name: 'Value #staged', type: FieldType.number, values: [2] },
      ],
    });
    expect(framesToPolicyFlows([merged])[0]?.policy.staged).toBe(true);
  });

  it('knows staged series by metric name or executed query when the refId says nothing', () => {
    const labels = flowLabels('a/x', 'b/y', { policy: 'p', action: 'deny' });
    const byName = series('A', { ...labels, __name__: 'flowlens_staged_policy_flows_total' }, [1]);
    const byQuery = series('B', labels, [1]);
    byQuery.meta = { executedQueryString: 'Expr: sum by (policy) (rate(flowlens_staged_policy_flows_total[5m]))' };
    const unknown = series('C', labels, [1]);
    const flows = framesToPolicyFlows([byName, byQuery, unknown]);
    expect(flows.map((flow) => flow.policy.staged)).toEqual([true, false]);
    expect(flows[0]?.rate).toBe(2);
  });

  it('tolerates missing labels, NaN, idle series and values of the wrong type', () => {
    const flows = framesToPolicyFlows([
      series('enforced', { source_workload: 'x', dest_workload: 'y' }, [1]),
      series('enforced', { source_namespace: 'a', source_workload: 'x' }, [1]),
      series('enforced', flowLabels('a/x', 'b/y', { policy: 'p' }), [Number.NaN]),
      series('enforced', flowLabels('a/x', 'b/y', { policy: 'q' }), [0]),
      series('enforced', flowLabels('a/x', 'b/y', { policy: 'r' }), [Number.POSITIVE_INFINITY]),
      table('enforced', [
        { labels: flowLabels('a/x', 'b/y', { policy: 's' }), value: 'not a number' },
        { labels: flowLabels('a/x', 'b/y', { policy: 't' }), value: '2.5' },
        { labels: flowLabels('a/x', 'b/y', { policy: 'u' }), value: null },
      ]),
      createDataFrame({ fields: [{ name: 'text', type: FieldType.string, values: ['no numbers here'] }] }),
    ]);
    expect(flows.map((flow) => [flow.id, flow.rate])).toEqual([
      ['a/x|unknown/t|unknown|b/y', 2.5],
      ['/x|unknown/unknown|unknown|/y', 1],
    ]);
    expect(flows[1]?.source).toEqual({ id: '/x', namespace: '', name: 'x' });
  });

  it('reads the refIds POLICY_FLOW_QUERIES gives its queries', () => {
    expect(POLICY_FLOW_QUERIES.map((query) => query.refId).sort()).toEqual(
      Object.keys(POLICY_FLOW_KIND_BY_REF_ID).sort(),
    );
    expect(POLICY_FLOW_QUERIES.find((query) => query.refId === 'staged')?.expr).toContain(
      'flowlens_staged_policy_flows_total',
    );
  });
});

describe('filterPolicyFlows', () => {
  const flows = framesToPolicyFlows(frames);

  it('keeps only the flows through one policy, by key or by name', () => {
    expect(ids(filterPolicyFlows(flows, { policy: 'security/deny-to-data' }))).toEqual([
      'shop/frontend|security/deny-to-data|deny|data/redis',
    ]);
    expect(ids(filterPolicyFlows(flows, { policy: 'data/lockdown' }))).toEqual([
      'shop/cart|staged:data/lockdown|deny|data/db',
    ]);
    expect(filterPolicyFlows(flows, { policy: 'no/such-policy' })).toEqual([]);
  });

  it('filters by namespace (either end), search text and staged flows', () => {
    expect(filterPolicyFlows(flows, { namespaces: ['data'] })).toHaveLength(4);
    expect(filterPolicyFlows(flows, { namespaces: ['shop'] })).toHaveLength(5);
    expect(ids(filterPolicyFlows(flows, { search: 'REDIS' }))).toHaveLength(2);
    expect(ids(filterPolicyFlows(flows, { search: 'deny' }))).toEqual([
      'shop/frontend|security/deny-to-data|deny|data/redis',
      'shop/cart|staged:data/lockdown|deny|data/db',
    ]);
    expect(filterPolicyFlows(flows, { showStaged: false }).some((flow) => flow.policy.staged)).toBe(false);
    expect(filterPolicyFlows(flows, { search: 'redis', policy: 'default/data/allow-cart' })).toHaveLength(1);
    expect(filterPolicyFlows(flows, { showStaged: undefined, policy: undefined })).toHaveLength(5);
  });
});

describe('buildPolicyFlowModel', () => {
  const flows = framesToPolicyFlows(frames);

  it('makes three columns and links through policy nodes, one per policy and action', () => {
    const model = buildPolicyFlowModel(flows);
    expect(model.nodes.map((node) => node.id)).toEqual([
      'source:shop/frontend',
      'source:shop/cart',
      'policy:default/shop/allow-frontend:allow',
      'policy:default/data/allow-cart:allow',
      'policy:security/deny-to-data:deny',
      'policy:none/none:allow',
      'policy:staged:data/lockdown:deny',
      'dest:shop/cart',
      'dest:data/redis',
      'dest:data/db',
    ]);
    expect(model.policyCount).toBe(5);
    expect(model.links).toHaveLength(10);
    expect(model.enforcedRate).toBe(17);
    expect(model.stagedRate).toBe(1);
    const stagedLinks = model.links.filter((link) => link.staged);
    expect(stagedLinks.map((link) => [link.id, link.action])).toEqual([
      ['policy:staged:data/lockdown:deny>dest:data/db', 'deny'],
      ['source:shop/cart>policy:staged:data/lockdown:deny', 'deny'],
    ]);
    const labels = Object.fromEntries(model.nodes.map((node) => [node.id, node.label]));
    expect(labels['policy:none/none:allow']).toBe('no policy · allow');
    expect(labels['policy:staged:data/lockdown:deny']).toBe('staged data/lockdown · would deny');
    expect(labels['policy:security/deny-to-data:deny']).toBe('security/deny-to-data · deny');
  });

  it("conserves each policy node's rate: in equals out", () => {
    const model = buildPolicyFlowModel(flows);
    for (const node of model.nodes.filter((candidate) => candidate.column === 'policy')) {
      const rateIn = model.links.filter((link) => link.target === node.id).reduce((sum, link) => sum + link.rate, 0);
      const rateOut = model.links.filter((link) => link.source === node.id).reduce((sum, link) => sum + link.rate, 0);
      expect(rateIn).toBeCloseTo(node.rate, 9);
      expect(rateOut).toBeCloseTo(node.rate, 9);
    }
  });

  it('merges the workloads past the top N of a column into one "other" node, at the bottom', () => {
    const many: PolicyFlow[] = framesToPolicyFlows(
      Array.from({ length: 6 }, (_, index) =>
        enforced(`ns/client-${index}`, index < 3 ? 'ns/api' : 'ns/db', 'default', 'p', 'allow', index + 1),
      ),
    );
    const model = buildPolicyFlowModel(many, { topN: 2 });
    const sources = model.nodes.filter((node) => node.column === 'source');
    expect(sources.map((node) => [node.key, node.rate])).toEqual([
      ['ns/client-5', 6],
      ['ns/client-4', 5],
      [OTHER_KEY, 10],
    ]);
    expect(sources[2]?.label).toBe('other (4 workloads)');
    expect(sources[2]?.memberIds).toEqual(['ns/client-0', 'ns/client-1', 'ns/client-2', 'ns/client-3']);
    // Two destinations fit within the top 2: no "other" there. The table still lists every flow.
    expect(model.nodes.filter((node) => node.column === 'dest').map((node) => node.key)).toEqual(['ns/db', 'ns/api']);
    expect(model.flows).toHaveLength(6);
    // One workload past the limit keeps its node rather than becoming "other (1 workloads)".
    expect(buildPolicyFlowModel(many, { topN: 5 }).nodes.some((node) => node.key === OTHER_KEY)).toBe(false);
    expect(buildPolicyFlowModel(many, { topN: 0 }).nodes.some((node) => node.key === OTHER_KEY)).toBe(false);
  });

  it('merges the policies past the top N into an "other" node per action, staged ones apart', () => {
    const policyFlows = framesToPolicyFlows([
      enforced('a/x', 'b/y', 't', 'p1', 'allow', 10),
      enforced('a/x', 'b/y', 't', 'p2', 'allow', 3),
      enforced('a/x', 'b/y', 't', 'p3', 'allow', 2),
      enforced('a/x', 'b/z', 't', 'p4', 'deny', 1),
      enforced('a/x', 'b/z', 't', 'p5', 'deny', 1),
      enforced('a/x', 'b/z', 't', 'p6', 'pass', 0.1),
      staged('a/x', 'b/z', 's1', 'deny', 0.5),
      staged('a/x', 'b/z', 's2', 'deny', 0.4),
    ]);
    const model = buildPolicyFlowModel(policyFlows, { topPolicies: 1 });
    const policies = model.nodes.filter((node) => node.column === 'policy');
    expect(policies.map((node) => [node.key, node.rate, node.merged, node.label])).toEqual([
      ['t/p1:allow', 10, false, 't/p1 · allow'],
      // Alone in its group (pass), p6 keeps its node.
      ['t/p6:pass', 0.1, false, 't/p6 · pass'],
      [`${OTHER_KEY}:allow`, 5, true, 'other policies (2) · allow'],
      [`${OTHER_KEY}:deny`, 2, true, 'other policies (2) · deny'],
      [`${OTHER_KEY}:staged:deny`, 0.9, true, 'other staged policies (2) · would deny'],
    ]);
    expect(policies[2]?.memberIds).toEqual(['t/p2:allow', 't/p3:allow']);
    // Only real policies can be clicked to filter.
    expect(policies.map((node) => node.policy?.key)).toEqual(['t/p1', 't/p6', undefined, undefined, undefined]);
    expect(model.links.filter((link) => link.staged).map((link) => link.id)).toEqual([
      `policy:${OTHER_KEY}:staged:deny>dest:b/z`,
      `source:a/x>policy:${OTHER_KEY}:staged:deny`,
    ]);
    expect(model.policyCount).toBe(5);
    expect(buildPolicyFlowModel(policyFlows).policyCount).toBe(8);
  });

  it('is deterministic whatever the order of the frames', () => {
    const reversed = framesToPolicyFlows([...frames].reverse());
    expect(buildPolicyFlowModel(reversed)).toEqual(buildPolicyFlowModel(flows));
  });

  it('filters and builds in one step', () => {
    const model = policyFlowView(flows, { policy: 'default/data/allow-cart' });
    expect(model.links.map((link) => link.id)).toEqual([
      'policy:default/data/allow-cart:allow>dest:data/redis',
      'source:shop/cart>policy:default/data/allow-cart:allow',
    ]);
    expect(model.policyCount).toBe(1);
  });
});

describe('policyLabel', () => {
  it('names the tier and policy, and says when no policy decided', () => {
    expect(policyLabel({ key: 'default/a/b', tier: 'default', name: 'a/b', staged: false })).toBe('default/a/b');
    expect(policyLabel({ key: 'none/none', tier: 'none', name: 'none', staged: false })).toBe('no policy');
    expect(policyLabel({ key: 'unknown/unknown', tier: 'unknown', name: 'unknown', staged: false })).toBe(
      'unknown policy',
    );
    expect(policyLabel({ key: 'staged:a/b', tier: '', name: 'a/b', staged: true })).toBe('staged a/b');
  });
});
