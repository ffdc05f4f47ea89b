import { readFileSync } from 'fs';
import { join } from 'path';
import { type DataFrame, FieldType, createDataFrame } from '@grafana/data';

import { EDGE_RECORDING_RULES, framesToGraph } from './frames';

type Labels = Record<string, string>;

function edgeLabels(source: string, dest: string, extra: Labels = {}): Labels {
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

/** A series as Grafana's Prometheus data source returns it in time series format: one frame, labels on the value. */
function series(labels: Labels, values: Array<number | null>, refId = 'A'): DataFrame {
  return createDataFrame({
    refId,
    fields: [
      { name: 'Time', type: FieldType.time, values: values.map((_, index) => 1_700_000_000_000 + index * 15_000) },
      { name: 'Value', type: FieldType.number, values, labels },
    ],
  });
}

function named(rule: string, source: string, dest: string, value: number, extra: Labels = {}): DataFrame {
  return series(edgeLabels(source, dest, { __name__: rule, ...extra }), [value]);
}

describe('framesToGraph with Prometheus series', () => {
  it('builds workload nodes grouped by namespace and one directed edge per pair', () => {
    const model = framesToGraph([
      named('edge:flowlens_flows:rate5m', 'shop/frontend', 'shop/cart', 4),
      named('edge:flowlens_flows:rate5m', 'shop/cart', 'shop/frontend', 1),
      named('edge:flowlens_flows:rate5m', 'shop/cart', 'data/redis', 2),
    ]);
    expect(model.nodes.map((node) => node.id)).toEqual(['data/redis', 'shop/cart', 'shop/frontend']);
    expect(model.namespaces).toEqual([
      { name: 'data', nodeIds: ['data/redis'] },
      { name: 'shop', nodeIds: ['shop/cart', 'shop/frontend'] },
    ]);
    expect(model.edges.map((edge) => [edge.id, edge.flowRate])).toEqual([
      ['shop/cart->data/redis', 2],
      ['shop/cart->shop/frontend', 1],
      ['shop/frontend->shop/cart', 4],
    ]);
    expect(model.nodes.find((node) => node.id === 'shop/cart')).toMatchObject({
      kind: 'workload',
      namespace: 'shop',
      name: 'cart',
    });
  });

  it('joins the rules of an edge: verdict, error ratio, p99 and bytes of both directions', () => {
    const model = framesToGraph([
      named('edge:flowlens_flows:rate5m', 'shop/frontend', 'shop/cart', 10),
      named('edge:flowlens_flows_denied:rate5m', 'shop/frontend', 'shop/cart', 2),
      named('edge:flowlens_flow_bytes:rate5m', 'shop/frontend', 'shop/cart', 300, { direction: 'forward' }),
      named('edge:flowlens_flow_bytes:rate5m', 'shop/frontend', 'shop/cart', 700, { direction: 'reverse' }),
      named('edge:flowlens_http_requests:rate5m', 'shop/frontend', 'shop/cart', 8),
      named('edge:flowlens_http_errors:rate5m', 'shop/frontend', 'shop/cart', 2),
      named('edge:flowlens_http_request_duration_seconds:p99_rate5m', 'shop/frontend', 'shop/cart', 0.25),
      named('edge:flowlens_flows:rate5m', 'shop/frontend', 'data/db', 3),
      named('edge:flowlens_flows_denied:rate5m', 'shop/frontend', 'data/db', 3),
      named('edge:flowlens_flows:rate5m', 'shop/frontend', 'data/redis', 3),
    ]);
    const byId = new Map(model.edges.map((edge) => [edge.id, edge]));
    expect(byId.get('shop/frontend->shop/cart')).toMatchObject({
      flowRate: 10,
      deniedRate: 2,
      bytesRate: 1000,
      httpRate: 8,
      httpErrorRate: 2,
      errorRatio: 0.25,
      p99Seconds: 0.25,
      verdict: 'mixed',
    });
    expect(byId.get('shop/frontend->data/db')).toMatchObject({ verdict: 'denied', errorRatio: undefined });
    expect(byId.get('shop/frontend->data/redis')).toMatchObject({ verdict: 'allowed', p99Seconds: undefined });
  });

  it('calls an edge denied when summed denials exceed the flow rate counted once', () => {
    const model = framesToGraph([
      named('edge:flowlens_flows:rate5m', 'a/x', 'b/y', 1),
      named('edge:flowlens_flows_denied:rate5m', 'a/x', 'b/y', 1.5),
    ]);
    expect(model.edges[0]?.verdict).toBe('denied');
  });

  it("takes a range query's latest value and skips NaN and missing values", () => {
    const model = framesToGraph([
      series(edgeLabels('a/x', 'b/y', { __name__: 'edge:flowlens_flows:rate5m' }), [1, 2, 5, null]),
      series(edgeLabels('a/x', 'b/y', { __name__: 'edge:flowlens_http_request_duration_seconds:p99_rate5m' }), [NaN]),
    ]);
    expect(model.edges).toHaveLength(1);
    expect(model.edges[0]).toMatchObject({ flowRate: 5, p99Seconds: undefined });
  });

  it('knows an aggregated query by refId, or by the one rule its executed query mentions', () => {
    const byRefId = series(edgeLabels('a/x', 'b/y'), [3], 'denied');
    const byQuery = series(edgeLabels('a/x', 'b/y'), [4], 'Z');
    byQuery.meta = {
      executedQueryString:
        'Expr: sum by (source_namespace, source_workload, dest_namespace, dest_workload) (edge:flowlens_flows:rate5m)\nStep: 15s',
    };
    const ambiguous = series(edgeLabels('a/x', 'b/z'), [4], 'Y');
    ambiguous.meta = { executedQueryString: 'edge:flowlens_http_errors:rate5m / edge:flowlens_http_requests:rate5m' };
    const model = framesToGraph([byRefId, byQuery, ambiguous], {
      ruleByRefId: { denied: 'edge:flowlens_flows_denied:rate5m' },
    });
    expect(model.edges.map((edge) => [edge.id, edge.flowRate, edge.deniedRate])).toEqual([['a/x->b/y', 4, 3]]);
  });

  it('does not take a rule for one that merely contains its name', () => {
    const frame = series(edgeLabels('a/x', 'b/y'), [1]);
    frame.meta = { executedQueryString: 'Expr: my_edge:flowlens_flows:rate5m_copy' };
    expect(framesToGraph([frame]).edges).toHaveLength(0);
  });

  it('reads table format: one row per series, labels as columns', () => {
    const table = createDataFrame({
      refId: 'A',
      fields: [
        { name: 'Time', type: FieldType.time, values: [1, 1] },
        {
          name: '__name__',
          type: FieldType.string,
          values: ['edge:flowlens_flows:rate5m', 'edge:flowlens_flows:rate5m'],
        },
        { name: 'source_namespace', type: FieldType.string, values: ['shop', 'shop'] },
        { name: 'source_workload', type: FieldType.string, values: ['frontend', 'cart'] },
        { name: 'dest_namespace', type: FieldType.string, values: ['shop', ''] },
        { name: 'dest_workload', type: FieldType.string, values: ['cart', 'world'] },
        { name: 'Value', type: FieldType.number, values: [6, 0.5] },
      ],
    });
    const model = framesToGraph([table]);
    expect(model.edges.map((edge) => [edge.id, edge.flowRate])).toEqual([
      ['shop/cart->/world', 0.5],
      ['shop/frontend->shop/cart', 6],
    ]);
    expect(model.namespaces.map((group) => group.name)).toEqual(['', 'shop']);
  });

  it("reads merged tables: each 'Value #<refId>' column is its query's rule", () => {
    const merged = createDataFrame({
      fields: [
        { name: 'Time', type: FieldType.time, values: [1] },
        { name: 'source_namespace', type: FieldType.string, values: ['shop'] },
        { name: 'source_workload', type: FieldType.string, values: ['frontend'] },
        { name: 'dest_namespace', type: FieldType.string, values: ['shop'] },
        { name: 'dest_workload', type: FieldType.string, values: ['cart'] },
        { name: 'Value #flows', type: FieldType.number, values: [6] },
        { name: 'Value #denied', type: FieldType.number, values: [6] },
        { name: 'Value #unknown', type: FieldType.number, values: [100] },
      ],
    });
    const model = framesToGraph([merged], {
      ruleByRefId: { flows: 'edge:flowlens_flows:rate5m', denied: 'edge:flowlens_flows_denied:rate5m' },
    });
    expect(model.edges).toHaveLength(1);
    expect(model.edges[0]).toMatchObject({ flowRate: 6, deniedRate: 6, verdict: 'denied', bytesRate: 0 });
  });

  it('ignores frames that are neither edge rules nor Node Graph frames', () => {
    const other = series({ __name__: 'up', job: 'flowlens' }, [1]);
    const noLabels = series(edgeLabels('a/x', 'b/y', { __name__: 'edge:flowlens_tcp_retransmissions:rate5m' }), [1]);
    expect(framesToGraph([other, noLabels])).toEqual({ nodes: [], edges: [], namespaces: [] });
  });

  it('names only recording rules that alerts/flowlens-rules.yml records', () => {
    const rules = readFileSync(join(__dirname, '../../../alerts/flowlens-rules.yml'), 'utf8');
    for (const rule of Object.keys(EDGE_RECORDING_RULES)) {
      expect(rules).toContain(`record: ${rule}\n`);
    }
  });
});

describe('framesToGraph with Node Graph frames', () => {
  function nodeGraphFrames(): DataFrame[] {
    return [
      createDataFrame({
        name: 'nodes',
        fields: [
          { name: 'id', type: FieldType.string, values: ['checkout', 'payments', 'db'] },
          { name: 'title', type: FieldType.string, values: ['Checkout', '', null] },
          { name: 'detail__namespace', type: FieldType.string, values: ['shop', 'shop', null] },
          { name: 'mainstat', type: FieldType.number, values: [1, 2, 3] },
        ],
        meta: { preferredVisualisationType: 'nodeGraph' },
      }),
      createDataFrame({
        name: 'edges',
        fields: [
          { name: 'id', type: FieldType.string, values: ['e1', 'e2', 'e3'] },
          { name: 'source', type: FieldType.string, values: ['checkout', 'payments', 'payments'] },
          { name: 'target', type: FieldType.string, values: ['payments', 'db', 'bank'] },
          { name: 'mainstat', type: FieldType.number, values: [12.5, null, 1] },
          { name: 'detail__denied_rate', type: FieldType.number, values: [0, null, 1] },
        ],
        meta: { preferredVisualisationType: 'nodeGraph' },
      }),
    ];
  }

  it('takes nodes with their titles and namespaces, and edges with their main statistic as rate', () => {
    const model = framesToGraph(nodeGraphFrames());
    expect(model.nodes.map((node) => [node.id, node.namespace, node.name])).toEqual([
      ['bank', '', 'bank'],
      ['checkout', 'shop', 'Checkout'],
      ['db', '', 'db'],
      ['payments', 'shop', 'payments'],
    ]);
    expect(model.edges.map((edge) => [edge.id, edge.flowRate, edge.verdict])).toEqual([
      ['checkout->payments', 12.5, 'allowed'],
      ['payments->bank', 1, 'denied'],
      ['payments->db', 0, 'allowed'],
    ]);
  });

  it('merges with Prometheus series on the same ids', () => {
    const model = framesToGraph([
      ...nodeGraphFrames(),
      named('edge:flowlens_flows:rate5m', 'shop/frontend', 'shop/cart', 1),
    ]);
    expect(model.nodes).toHaveLength(6);
    expect(model.edges).toHaveLength(4);
  });
});

describe('framesToGraph: breakdowns, DNS and pods', () => {
  const flows = (source: string, dest: string, value: number, extra: Labels = {}) =>
    named('edge:flowlens_flows:rate5m', source, dest, value, extra);

  it('attaches the policies and ports breakdowns to their edges, by refId or by labels', () => {
    const model = framesToGraph(
      [
        flows('shop/cart', 'data/db', 4),
        series(
          edgeLabels('shop/cart', 'data/db', { policy_tier: 'default', policy: 'db-ingress', action: 'deny' }),
          [1],
          'policies',
        ),
        series(
          edgeLabels('shop/cart', 'data/db', { policy_tier: 'default', policy: 'allow-app', action: 'allow' }),
          [3],
          'X',
        ),
        series(edgeLabels('shop/cart', 'data/db', { protocol: 'TCP', dest_port: '5432' }), [4], 'ports'),
      ],
      { ruleByRefId: { policies: 'policies', ports: 'ports' } },
    );
    const [edge] = model.edges;
    expect(model.edges).toHaveLength(1);
    expect(edge?.policies).toEqual([
      { tier: 'default', policy: 'allow-app', action: 'allow', flowRate: 3 },
      { tier: 'default', policy: 'db-ingress', action: 'deny', flowRate: 1 },
    ]);
    expect(edge?.ports).toEqual([{ protocol: 'TCP', port: '5432', flowRate: 4 }]);
  });

  it('attaches the services breakdown (dest_service) to its edges, by refId or by its label', () => {
    const model = framesToGraph(
      [
        flows('shop/frontend', 'shop/cart', 10),
        // Prometheus drops the empty dest_service of flows dialled directly: only the refId tells that series.
        series(edgeLabels('shop/frontend', 'shop/cart'), [2], 'services'),
        series(edgeLabels('shop/frontend', 'shop/cart', { dest_service: 'cart' }), [5], 'services'),
        series(edgeLabels('shop/frontend', 'shop/cart', { dest_service: 'cart-canary' }), [3], 'Z'),
      ],
      { ruleByRefId: { services: 'services' } },
    );
    expect(model.edges).toHaveLength(1);
    expect(model.edges[0]?.services).toEqual([
      { service: 'cart', flowRate: 5 },
      { service: 'cart-canary', flowRate: 3 },
      { service: '', flowRate: 2 },
    ]);
    expect(framesToGraph([flows('shop/frontend', 'shop/cart', 10)]).edges[0]?.services).toEqual([]);
  });

  it('makes endpoints outside the cluster (no namespace) network nodes, workloads the others', () => {
    const model = framesToGraph([
      flows('/world', 'ingress/nginx', 4),
      flows('shop/cart', '/private', 1),
      flows('/known-bad-ips', 'ingress/nginx', 1),
    ]);
    expect(model.nodes.map((node) => [node.id, node.kind, node.namespace])).toEqual([
      ['/known-bad-ips', 'network', ''],
      ['/private', 'network', ''],
      ['/world', 'network', ''],
      ['ingress/nginx', 'workload', 'ingress'],
      ['shop/cart', 'workload', 'shop'],
    ]);
  });

  it('gives client workloads their DNS activity', () => {
    const dns = (rule: string, value: number) =>
      series({ __name__: rule, client_namespace: 'shop', client_workload: 'cart' }, [value], 'dns');
    const model = framesToGraph([
      flows('shop/cart', 'data/db', 4),
      dns('client_workload:flowlens_dns_requests:rate5m', 10),
      dns('client_workload:flowlens_dns_nxdomain:rate5m', 2),
      dns('client_workload:flowlens_dns_latency_seconds:p99_rate5m', 0.03),
    ]);
    expect(model.nodes.find((node) => node.id === 'shop/cart')?.dns).toEqual({
      requestRate: 10,
      nxdomainRate: 2,
      servfailRate: 0,
      p99Seconds: 0.03,
    });
    expect(model.nodes.find((node) => node.id === 'data/db')?.dns).toBeUndefined();
  });

  it('draws pods at pod level when the series carry pod labels, and sums them into workloads otherwise', () => {
    const frames = [
      flows('shop/cart', 'data/db', 1, { source_pod: 'cart-1', dest_pod: 'db-0' }),
      flows('shop/cart', 'data/db', 2, { source_pod: 'cart-2', dest_pod: 'db-0' }),
      flows('shop/cart', '/world', 5, { source_pod: 'cart-1' }),
    ];
    const workloads = framesToGraph(frames);
    expect(workloads.hasPods).toBe(true);
    expect(workloads.edges.map((edge) => [edge.id, edge.flowRate])).toEqual([
      ['shop/cart->/world', 5],
      ['shop/cart->data/db', 3],
    ]);
    const pods = framesToGraph(frames, { level: 'pod' });
    expect(pods.nodes.map((node) => [node.id, node.kind, node.workloadId])).toEqual([
      ['/world', 'network', undefined],
      ['data/db/db-0', 'pod', 'data/db'],
      ['shop/cart/cart-1', 'pod', 'shop/cart'],
      ['shop/cart/cart-2', 'pod', 'shop/cart'],
    ]);
    expect(pods.edges).toHaveLength(3);
    expect(framesToGraph([flows('shop/cart', 'data/db', 1)]).hasPods).toBeUndefined();
  });
});
