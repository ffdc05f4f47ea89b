// The scale case as Prometheus would answer it: the synthetic cluster graph of the layout's tests and bench
// (src/data/testing/synthetic.ts), one series per edge and recording rule, through the same conversion to frames
// as the real Prometheus results.
import { EDGE_RECORDING_RULES, type EdgeRecordingRule } from '../../src/data/frames';
import { isIdle } from '../../src/data/filters';
import { syntheticGraph } from '../../src/data/testing/synthetic';
import { SERVICE_GRAPH_QUERIES, withVariables } from '../../src/queries';
import type { PrometheusResults, PrometheusSample } from './prometheus-frames';

export interface SyntheticResults {
  results: PrometheusResults;
  /** What the service graph should show with its default options (idle edges hidden). */
  expected: { nodes: number; edges: number; deniedEdges: number };
}

export function syntheticResults(nodeCount: number, edgeCount: number): SyntheticResults {
  const graph = syntheticGraph(nodeCount, edgeCount);
  const nodes = new Map(graph.nodes.map((node) => [node.id, node]));
  const queries = SERVICE_GRAPH_QUERIES.map((query) => withVariables(query));
  const results: PrometheusResults['results'] = {};
  const now = Date.now() / 1000;
  for (const [rule, measure] of Object.entries(EDGE_RECORDING_RULES) as [EdgeRecordingRule, string][]) {
    const query = queries.find((candidate) => candidate.expr.includes(`${rule}{`));
    if (query === undefined) throw new Error(`no service graph query reads ${rule}`);
    const samples: PrometheusSample[] = [];
    for (const edge of graph.edges) {
      const value = (edge as unknown as Record<string, number | undefined>)[measure];
      const source = nodes.get(edge.source);
      const target = nodes.get(edge.target);
      if (value === undefined || source === undefined || target === undefined) continue;
      samples.push({
        metric: {
          __name__: rule,
          source_namespace: source.namespace,
          source_workload: source.name,
          dest_namespace: target.namespace,
          dest_workload: target.name,
        },
        value: [now, String(value)],
      });
    }
    results[query.refId] = { status: 'success', data: { resultType: 'vector', result: samples } };
  }
  const shown = graph.edges.filter((edge) => !isIdle(edge));
  return {
    results: { queries: queries.filter((query) => results[query.refId] !== undefined), results, stepSeconds: 15 },
    expected: {
      nodes: new Set(shown.flatMap((edge) => [edge.source, edge.target])).size,
      edges: shown.length,
      deniedEdges: shown.filter((edge) => edge.verdict !== 'allowed').length,
    },
  };
}
