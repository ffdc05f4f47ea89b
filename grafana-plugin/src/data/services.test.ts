import { collapseNamespaces, filterGraph } from './filters';
import { type GraphNode, assembleModel, emptyMeasures, makeEdge, serviceNodeId } from './model';
import { routeThroughServices } from './services';

function node(id: string, kind: GraphNode['kind'] = 'workload'): GraphNode {
  const [namespace = '', name = ''] = id.split('/');
  return { id, kind, namespace, name, memberIds: [id] };
}

const model = assembleModel(
  [node('shop/frontend'), node('shop/checkout'), node('shop/cart'), node('data/db'), node('/world', 'network')],
  [
    // 8 of 10 flows through the cart service, 2 dialled directly.
    makeEdge(
      'shop/frontend',
      'shop/cart',
      {
        ...emptyMeasures(),
        flowRate: 10,
        deniedRate: 0,
        bytesRate: 1000,
        httpRate: 10,
        httpErrorRate: 1,
        p99Seconds: 0.2,
      },
      undefined,
      {
        services: [
          { service: 'cart', flowRate: 8 },
          { service: '', flowRate: 2 },
        ],
        policies: [{ tier: 'default', policy: 'allow-cart', action: 'allow', flowRate: 10 }],
        ports: [{ protocol: 'TCP', port: '7070', flowRate: 10 }],
      },
    ),
    // Every flow through the service, some denied.
    makeEdge('shop/checkout', 'shop/cart', { ...emptyMeasures(), flowRate: 4, deniedRate: 1 }, undefined, {
      services: [{ service: 'cart', flowRate: 4 }],
    }),
    // No breakdown: unchanged.
    makeEdge('shop/cart', 'data/db', { ...emptyMeasures(), flowRate: 3 }),
    // A network as the destination: never through a service.
    makeEdge('shop/frontend', '/world', { ...emptyMeasures(), flowRate: 1 }, undefined, {
      services: [{ service: 'egress', flowRate: 1 }],
    }),
  ],
);

describe('routeThroughServices', () => {
  const routed = routeThroughServices(model);
  const edge = (id: string) => routed.edges.find((candidate) => candidate.id === id);
  const cart = serviceNodeId('shop', 'cart');

  it('adds a service node per named service, in the destination namespace, with an id no workload has', () => {
    expect(cart).toBe('service:shop/cart');
    const service = routed.nodes.find((candidate) => candidate.id === cart);
    expect(service).toEqual({ id: cart, kind: 'service', namespace: 'shop', name: 'cart', memberIds: [cart] });
    expect(routed.nodes.filter((candidate) => candidate.kind === 'service')).toHaveLength(1);
    expect(routed.nodes.find((candidate) => candidate.id === 'shop/cart')?.kind).toBe('workload');
    expect(routed.namespaces.find((group) => group.name === 'shop')?.nodeIds).toContain(cart);
  });

  it('routes source → service → destination, splitting every rate by the breakdown', () => {
    expect(edge(`shop/frontend->${cart}`)).toMatchObject({ flowRate: 8, bytesRate: 800, httpRate: 8, p99Seconds: 0.2 });
    expect(edge(`shop/frontend->${cart}`)?.httpErrorRate).toBeCloseTo(0.8);
    expect(edge(`shop/frontend->${cart}`)?.policies).toEqual([
      { tier: 'default', policy: 'allow-cart', action: 'allow', flowRate: 8 },
    ]);
    expect(edge(`shop/checkout->${cart}`)).toMatchObject({ flowRate: 4, deniedRate: 1, verdict: 'mixed' });
    // The service's edge to its backend adds up its clients' shares.
    expect(edge(`${cart}->shop/cart`)).toMatchObject({ flowRate: 12, deniedRate: 1, bytesRate: 800 });
    expect(edge(`${cart}->shop/cart`)?.memberIds).toEqual(['shop/checkout->shop/cart', 'shop/frontend->shop/cart']);
    // What was dialled directly stays direct; an edge wholly through services is gone.
    expect(edge('shop/frontend->shop/cart')?.flowRate).toBeCloseTo(2);
    expect(edge('shop/frontend->shop/cart')?.bytesRate).toBeCloseTo(200);
    expect(edge('shop/checkout->shop/cart')).toBeUndefined();
    expect(edge('shop/cart->data/db')).toBe(model.edges.find((candidate) => candidate.id === 'shop/cart->data/db'));
    expect(edge('shop/frontend->/world')?.flowRate).toBe(1);
  });

  it('keeps the total flow rate into the backends', () => {
    const into = (graph: typeof model, target: string) =>
      graph.edges.filter((candidate) => candidate.target === target).reduce((sum, e) => sum + e.flowRate, 0);
    expect(into(routed, 'shop/cart')).toBeCloseTo(into(model, 'shop/cart'));
  });

  it('splits by the edge flow rate when the breakdown lacks the directly dialled part', () => {
    const partial = assembleModel(
      [node('shop/frontend'), node('shop/cart')],
      [
        makeEdge('shop/frontend', 'shop/cart', { ...emptyMeasures(), flowRate: 10 }, undefined, {
          services: [{ service: 'cart', flowRate: 6 }],
        }),
      ],
    );
    const result = routeThroughServices(partial);
    expect(result.edges.map((e) => [e.id, Number(e.flowRate.toFixed(9))])).toEqual([
      ['service:shop/cart->shop/cart', 6],
      ['shop/frontend->service:shop/cart', 6],
      ['shop/frontend->shop/cart', 4],
    ]);
  });

  it('leaves a model without services as it was', () => {
    const plain = assembleModel(
      [node('a/x'), node('a/y')],
      [makeEdge('a/x', 'a/y', { ...emptyMeasures(), flowRate: 1 })],
    );
    expect(routeThroughServices(plain)).toEqual(plain);
  });

  it('filters and collapses with the rest: a service belongs to its namespace', () => {
    const denied = filterGraph(routed, { onlyDenied: true });
    expect(denied.edges.map((e) => e.id)).toEqual([`${cart}->shop/cart`, `shop/checkout->${cart}`]);
    const collapsed = collapseNamespaces(routed, ['shop']);
    expect(collapsed.nodes.find((candidate) => candidate.id === 'namespace:shop')?.memberIds).toContain(cart);
  });
});
