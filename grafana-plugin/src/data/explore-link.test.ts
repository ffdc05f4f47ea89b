import { dashboardUrl, edgeQueries, exploreUrl, nodeQueries } from './explore-link';
import type { GraphNode } from './model';

const cart: GraphNode = {
  id: 'shop/cart',
  kind: 'workload',
  namespace: 'shop',
  name: 'cart',
  memberIds: ['shop/cart'],
};
const db: GraphNode = { id: 'data/db', kind: 'workload', namespace: 'data', name: 'db', memberIds: ['data/db'] };

describe('exploreUrl', () => {
  it('opens Explore with the queries on the data source, in the panes format', () => {
    const url = exploreUrl({ datasourceUid: 'flowlens-prometheus', queries: ['up', 'sum(x)'], from: 'now-6h' });
    expect(url.startsWith('/explore?')).toBe(true);
    const params = new URLSearchParams(url.slice('/explore?'.length));
    expect(params.get('schemaVersion')).toBe('1');
    const panes = JSON.parse(params.get('panes') ?? '{}');
    const [pane] = Object.values(panes) as Array<{
      datasource: string;
      queries: Array<{ refId: string; expr: string; datasource: { uid: string } }>;
      range: { from: string; to: string };
    }>;
    expect(pane?.datasource).toBe('flowlens-prometheus');
    expect(pane?.queries.map((query) => [query.refId, query.expr, query.datasource.uid])).toEqual([
      ['A', 'up', 'flowlens-prometheus'],
      ['B', 'sum(x)', 'flowlens-prometheus'],
    ]);
    expect(pane?.range).toEqual({ from: 'now-6h', to: 'now' });
  });
});

describe('dashboard links and queries', () => {
  it('links a workload, a pod and a collapsed namespace to their dashboards', () => {
    expect(dashboardUrl(cart)).toBe('/d/flowlens-workload?var-namespace=shop&var-workload=cart');
    const pod: GraphNode = { ...cart, id: 'shop/cart/cart-1', kind: 'pod', name: 'cart-1', workloadId: 'shop/cart' };
    expect(dashboardUrl(pod)).toBe('/d/flowlens-workload?var-namespace=shop&var-workload=cart');
    const namespace: GraphNode = {
      id: 'namespace:shop',
      kind: 'namespace',
      namespace: 'shop',
      name: 'shop',
      memberIds: [],
    };
    expect(dashboardUrl(namespace)).toBe('/d/flowlens-namespace?var-namespace=shop');
    expect(dashboardUrl({ ...cart, id: '/world', namespace: '', name: 'world' })).toBeUndefined();
  });

  it('selects the node or the edge in its queries, quoting label values', () => {
    expect(nodeQueries(cart)[0]).toBe(
      'sum by (dest_namespace, dest_workload) (edge:flowlens_flows:rate5m{source_namespace="shop", source_workload="cart"})',
    );
    const queries = edgeQueries(cart, { ...db, name: 'd"b' });
    expect(queries[0]).toBe(
      'edge:flowlens_flows:rate5m{source_namespace="shop", source_workload="cart", dest_namespace="data", dest_workload="d\\"b"}',
    );
    expect(queries.at(-1)).toContain('sum by (policy_tier, policy, action)');
  });
});
