import { detailsOf, policyDecisionLabel, summarize } from './details';
import { collapseNamespaces } from './filters';
import { type GraphNode, assembleModel, emptyMeasures, makeEdge } from './model';
import { routeThroughServices } from './services';

function node(id: string): GraphNode {
  const [namespace = '', name = ''] = id.split('/');
  return { id, kind: 'workload', namespace, name, memberIds: [id] };
}

const cart = { ...node('shop/cart'), dns: { requestRate: 5, nxdomainRate: 1, servfailRate: 0, p99Seconds: 0.02 } };
const model = assembleModel(
  [node('shop/frontend'), cart, node('data/db')],
  [
    makeEdge('shop/frontend', 'shop/cart', {
      ...emptyMeasures(),
      flowRate: 10,
      httpRate: 10,
      httpErrorRate: 1,
      p99Seconds: 0.2,
    }),
    makeEdge('shop/cart', 'shop/frontend', { ...emptyMeasures(), flowRate: 2 }),
    makeEdge('shop/cart', 'data/db', { ...emptyMeasures(), flowRate: 4, deniedRate: 3, bytesRate: 100 }, undefined, {
      policies: [
        { tier: 'default', policy: 'db-ingress', action: 'deny', flowRate: 3 },
        { tier: 'default', policy: 'allow-app', action: 'allow', flowRate: 1 },
      ],
      ports: [{ protocol: 'TCP', port: '5432', flowRate: 4 }],
    }),
  ],
);

describe('detailsOf', () => {
  it("sums a node's traffic out and in, lists its denied flows, policies and DNS", () => {
    const details = detailsOf(model, { kind: 'node', id: 'shop/cart' });
    expect(details?.kind).toBe('node');
    if (details?.kind !== 'node') return;
    expect(details.title).toBe('shop/cart');
    expect(details.outbound.flowRate).toBe(6);
    expect(details.outbound.deniedRate).toBe(3);
    expect(details.inbound.errorRatio).toBeCloseTo(0.1);
    expect(details.inbound.p99Seconds).toBe(0.2);
    expect(details.denied).toEqual([
      { edgeId: 'shop/cart->data/db', peer: 'data/db', direction: 'out', deniedRate: 3 },
    ]);
    expect(details.policies.map((decision) => decision.policy)).toEqual(['db-ingress', 'allow-app']);
    expect(details.dns?.requestRate).toBe(5);
    expect(details.dashboardUrl).toBe('/d/flowlens-workload?var-namespace=shop&var-workload=cart');
    expect(details.exploreQueries.length).toBeGreaterThan(0);
  });

  it('titles an edge source → target, with its policies, ports and reverse direction', () => {
    const details = detailsOf(model, { kind: 'edge', id: 'shop/frontend->shop/cart' });
    expect(details?.title).toBe('shop/frontend → shop/cart');
    if (details?.kind !== 'edge') return;
    expect(details.reverseId).toBe('shop/cart->shop/frontend');
    const db = detailsOf(model, { kind: 'edge', id: 'shop/cart->data/db' });
    if (db?.kind !== 'edge') throw new Error('no edge');
    expect(db.reverseId).toBeUndefined();
    expect(db.ports).toEqual([{ protocol: 'TCP', port: '5432', flowRate: 4 }]);
    expect(db.policies[0]?.action).toBe('deny');
  });

  it('describes a collapsed namespace, and nothing for a selection no longer drawn', () => {
    const collapsed = collapseNamespaces(model, ['shop']);
    const details = detailsOf(collapsed, { kind: 'node', id: 'namespace:shop' });
    expect(details?.title).toBe('shop');
    if (details?.kind !== 'node') return;
    expect(details.dns?.requestRate).toBe(5);
    expect(details.dashboardUrl).toBe('/d/flowlens-namespace?var-namespace=shop');
    expect(detailsOf(collapsed, { kind: 'node', id: 'shop/cart' })).toBeUndefined();
  });

  it('summarizes no edges as zero rates', () => {
    expect(summarize([])).toMatchObject({ edgeCount: 0, flowRate: 0, errorRatio: undefined, p99Seconds: undefined });
  });
});

describe('policyDecisionLabel', () => {
  it('names a policy with its tier and action', () => {
    expect(policyDecisionLabel({ tier: 'default', policy: 'data/default-deny', action: 'deny', flowRate: 1 })).toBe(
      'default/data/default-deny · deny',
    );
  });

  it('reads the exporter\'s policy "none" in tier "none" as no policy, not as a policy named none', () => {
    expect(policyDecisionLabel({ tier: 'none', policy: 'none', action: 'allow', flowRate: 1 })).toBe(
      'no policy · allow',
    );
    expect(policyDecisionLabel({ tier: '', policy: '', action: '', flowRate: 1 })).toBe('no policy · unknown');
  });
});

describe('the side panel of a service node', () => {
  const routed = routeThroughServices(
    assembleModel(
      [node('shop/frontend'), node('shop/checkout'), node('shop/cart')],
      [
        makeEdge('shop/frontend', 'shop/cart', { ...emptyMeasures(), flowRate: 6 }, undefined, {
          services: [{ service: 'cart', flowRate: 6 }],
        }),
        makeEdge('shop/checkout', 'shop/cart', { ...emptyMeasures(), flowRate: 2 }, undefined, {
          services: [{ service: 'cart', flowRate: 2 }],
        }),
      ],
    ),
  );

  it('lists its clients and its backends, busiest first, with the edges to select', () => {
    const details = detailsOf(routed, { kind: 'node', id: 'service:shop/cart' });
    expect(details?.kind).toBe('node');
    if (details?.kind !== 'node') return;
    expect(details.title).toBe('shop/cart');
    expect(details.node.kind).toBe('service');
    expect(details.service).toEqual({
      clients: [
        { id: 'shop/frontend', edgeId: 'shop/frontend->service:shop/cart', flowRate: 6 },
        { id: 'shop/checkout', edgeId: 'shop/checkout->service:shop/cart', flowRate: 2 },
      ],
      backends: [{ id: 'shop/cart', edgeId: 'service:shop/cart->shop/cart', flowRate: 8 }],
    });
    expect(details.dashboardUrl).toBeUndefined();
    expect(details.exploreQueries).toEqual([
      'max without (reporter) (sum by (source_namespace, source_workload, dest_namespace, dest_workload, reporter) (rate(flowlens_flows_total{dest_namespace="shop", dest_service="cart"}[5m])))',
    ]);
    // A workload has no such lists.
    const workload = detailsOf(routed, { kind: 'node', id: 'shop/cart' });
    expect(workload?.kind === 'node' && workload.service).toBeUndefined();
  });

  it("queries an edge to or from a service by the service's dest_service", () => {
    const details = detailsOf(routed, { kind: 'edge', id: 'shop/frontend->service:shop/cart' });
    expect(details?.exploreQueries).toEqual([
      'max without (reporter) (sum by (source_namespace, source_workload, dest_namespace, dest_workload, action, reporter) (rate(flowlens_flows_total{source_namespace="shop", source_workload="frontend", dest_namespace="shop", dest_service="cart"}[5m])))',
    ]);
  });
});
