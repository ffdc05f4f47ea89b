import { carriesPort, collapseNamespaces, filterGraph, isIdle, portChoices } from './filters';
import { type EdgeMeasures, type GraphNode, assembleModel, emptyMeasures, makeEdge, workloadNodeId } from './model';

function node(id: string): GraphNode {
  const [namespace = '', name = ''] = id.split('/');
  return { id: workloadNodeId(namespace, name), kind: 'workload', namespace, name, memberIds: [id] };
}

function edge(source: string, target: string, measures: Partial<EdgeMeasures>) {
  return makeEdge(source, target, { ...emptyMeasures(), ...measures });
}

// shop talks to itself and to data; data/db refuses shop/frontend; shop/cart is slow; an idle edge; a lone node.
const model = assembleModel(
  ['shop/frontend', 'shop/cart', 'data/redis', 'data/db', 'ops/cron', 'ops/lonely'].map(node),
  [
    edge('shop/frontend', 'shop/cart', { flowRate: 10, httpRate: 10, httpErrorRate: 0.1, p99Seconds: 0.9 }),
    edge('shop/cart', 'data/redis', { flowRate: 5, httpRate: 5, httpErrorRate: 1 }),
    edge('shop/frontend', 'data/db', { flowRate: 2, deniedRate: 2 }),
    edge('shop/cart', 'data/db', { flowRate: 4, deniedRate: 1, p99Seconds: 0.1, httpRate: 1 }),
    edge('ops/cron', 'data/db', {}),
  ],
);

const ids = (items: Array<{ id: string }>) => items.map((item) => item.id);

describe('filterGraph', () => {
  it('hides idle edges, and nodes left without edges, by default', () => {
    const view = filterGraph(model);
    expect(ids(view.edges)).not.toContain('ops/cron->data/db');
    expect(ids(view.nodes)).toEqual(['data/db', 'data/redis', 'ops/lonely', 'shop/cart', 'shop/frontend']);
    expect(isIdle(model.edges.find((candidate) => candidate.id === 'ops/cron->data/db')!)).toBe(true);
  });

  it('shows idle edges on request', () => {
    expect(ids(filterGraph(model, { showIdle: true }).edges)).toContain('ops/cron->data/db');
  });

  it('keeps edges with either end in a selected namespace', () => {
    const view = filterGraph(model, { namespaces: ['data'] });
    expect(ids(view.edges)).toEqual(['shop/cart->data/db', 'shop/cart->data/redis', 'shop/frontend->data/db']);
    expect(ids(view.nodes)).toEqual(['data/db', 'data/redis', 'shop/cart', 'shop/frontend']);
  });

  it('keeps edges touching a selected workload', () => {
    expect(ids(filterGraph(model, { workloads: ['data/redis'] }).edges)).toEqual(['shop/cart->data/redis']);
  });

  it('searches names, namespaces and ids, ignoring case', () => {
    expect(ids(filterGraph(model, { search: ' REDIS ' }).edges)).toEqual(['shop/cart->data/redis']);
    expect(ids(filterGraph(model, { search: 'lone' }).nodes)).toEqual(['ops/lonely']);
  });

  it('keeps only edges with denials: denied and mixed', () => {
    const view = filterGraph(model, { onlyDenied: true });
    expect(view.edges.map((kept) => [kept.id, kept.verdict])).toEqual([
      ['shop/cart->data/db', 'mixed'],
      ['shop/frontend->data/db', 'denied'],
    ]);
    expect(ids(view.nodes)).not.toContain('ops/lonely');
  });

  it('keeps only unhealthy edges: error ratio or p99 over the thresholds', () => {
    expect(ids(filterGraph(model, { onlyUnhealthy: true }).edges)).toEqual([
      'shop/cart->data/redis',
      'shop/frontend->shop/cart',
    ]);
    const strictLatency = { errorRatio: 1, p99Seconds: 0.05 };
    expect(ids(filterGraph(model, { onlyUnhealthy: true, thresholds: strictLatency }).edges)).toEqual([
      'shop/cart->data/db',
      'shop/frontend->shop/cart',
    ]);
  });

  it('combines filters', () => {
    expect(ids(filterGraph(model, { namespaces: ['shop'], onlyDenied: true, search: 'front' }).edges)).toEqual([
      'shop/frontend->data/db',
    ]);
  });
});

describe('collapseNamespaces', () => {
  it('leaves the model alone when nothing is collapsed', () => {
    expect(collapseNamespaces(model, [])).toBe(model);
  });

  it('turns a namespace into one node and merges its edges', () => {
    const view = collapseNamespaces(filterGraph(model, { showIdle: true }), ['data']);
    expect(view.nodes.find((kept) => kept.id === 'namespace:data')).toEqual({
      id: 'namespace:data',
      kind: 'namespace',
      namespace: 'data',
      name: 'data',
      memberIds: ['data/db', 'data/redis'],
    });
    const merged = view.edges.find((kept) => kept.id === 'shop/cart->namespace:data');
    expect(merged).toMatchObject({
      flowRate: 9,
      deniedRate: 1,
      httpRate: 6,
      httpErrorRate: 1,
      p99Seconds: 0.1,
      verdict: 'mixed',
      memberIds: ['shop/cart->data/db', 'shop/cart->data/redis'],
    });
    expect(merged?.errorRatio).toBeCloseTo(1 / 6);
    expect(ids(view.edges)).toEqual([
      'ops/cron->namespace:data',
      'shop/cart->namespace:data',
      'shop/frontend->namespace:data',
      'shop/frontend->shop/cart',
    ]);
  });

  it("keeps a collapsed namespace's own traffic as an edge to itself, with the largest p99", () => {
    const view = collapseNamespaces(model, ['shop', 'data']);
    const loop = view.edges.find((kept) => kept.id === 'namespace:shop->namespace:shop');
    expect(loop).toMatchObject({ source: 'namespace:shop', target: 'namespace:shop', flowRate: 10, p99Seconds: 0.9 });
    const across = view.edges.find((kept) => kept.id === 'namespace:shop->namespace:data');
    expect(across).toMatchObject({ flowRate: 11, deniedRate: 3, p99Seconds: 0.1, verdict: 'mixed' });
    expect(ids(view.nodes)).toEqual(['namespace:data', 'namespace:shop', 'ops/cron', 'ops/lonely']);
  });

  it('does not change the model it was given', () => {
    const before = JSON.stringify(model);
    collapseNamespaces(model, ['shop']);
    expect(JSON.stringify(model)).toBe(before);
  });
});

describe('protocol and port filters', () => {
  const ported = assembleModel(['shop/cart', 'data/db', 'data/redis', 'ops/cron'].map(node), [
    makeEdge('shop/cart', 'data/db', { ...emptyMeasures(), flowRate: 4 }, undefined, {
      ports: [{ protocol: 'TCP', port: '5432', flowRate: 4 }],
      policies: [{ tier: 'default', policy: 'db', action: 'allow', flowRate: 4 }],
    }),
    makeEdge('shop/cart', 'data/redis', { ...emptyMeasures(), flowRate: 2 }, undefined, {
      ports: [{ protocol: 'TCP', port: '6379', flowRate: 2 }],
    }),
    makeEdge('ops/cron', 'data/db', { ...emptyMeasures(), flowRate: 1 }, undefined, {
      ports: [{ protocol: 'UDP', port: '53', flowRate: 1 }],
      policies: [{ tier: 'default', policy: 'db', action: 'allow', flowRate: 1 }],
    }),
  ]);

  it('offers the protocols and ports the edges carry, ports in numeric order', () => {
    expect(portChoices(ported)).toEqual({ protocols: ['TCP', 'UDP'], ports: ['53', '5432', '6379'] });
  });

  it('narrows to edges carrying the protocol and port', () => {
    expect(ids(filterGraph(ported, { protocol: 'TCP' }).edges)).toEqual([
      'shop/cart->data/db',
      'shop/cart->data/redis',
    ]);
    expect(ids(filterGraph(ported, { protocol: 'TCP', port: '6379' }).edges)).toEqual(['shop/cart->data/redis']);
    expect(ids(filterGraph(ported, { port: '53' }).nodes)).toEqual(['data/db', 'ops/cron']);
    expect(filterGraph(ported, { protocol: 'SCTP' }).edges).toHaveLength(0);
    // Without port data an edge carries no port: it is kept only when no port filter is on.
    const bare = makeEdge('a/x', 'b/y', emptyMeasures());
    expect(carriesPort(bare, '', '')).toBe(true);
    expect(carriesPort(bare, 'TCP', '')).toBe(false);
  });

  it('merges the breakdowns of collapsed edges', () => {
    const view = collapseNamespaces(ported, ['shop', 'ops']);
    const toData = view.edges.find((merged) => merged.id === 'namespace:ops->data/db');
    expect(toData?.ports).toEqual([{ protocol: 'UDP', port: '53', flowRate: 1 }]);
    const both = collapseNamespaces(ported, ['shop', 'ops', 'data']).edges;
    expect(both.map((merged) => merged.id)).toEqual([
      'namespace:ops->namespace:data',
      'namespace:shop->namespace:data',
    ]);
    expect(both[1]?.ports.map((usage) => usage.port)).toEqual(['5432', '6379']);
    expect(both[1]?.policies).toEqual([{ tier: 'default', policy: 'db', action: 'allow', flowRate: 4 }]);
  });

  it('keeps the pods of a workload in the workload filter', () => {
    const pod = (id: string, workloadId: string): GraphNode => {
      const [namespace = '', , name = ''] = id.split('/');
      return { id, kind: 'pod', namespace, name, memberIds: [id], workloadId };
    };
    const pods = assembleModel(
      [pod('shop/cart/cart-1', 'shop/cart'), pod('data/db/db-0', 'data/db'), pod('ops/cron/cron-1', 'ops/cron')],
      [
        makeEdge('shop/cart/cart-1', 'data/db/db-0', { ...emptyMeasures(), flowRate: 1 }),
        makeEdge('ops/cron/cron-1', 'ops/cron/cron-1', { ...emptyMeasures(), flowRate: 1 }),
      ],
    );
    expect(ids(filterGraph(pods, { workloads: ['shop/cart'] }).edges)).toEqual(['shop/cart/cart-1->data/db/db-0']);
  });
});
