/**
 * What the service graph should show for a set of Prometheus results, worked out here from the raw answers
 * (independently of the plugin's data code): an edge per source and destination workload in the per-edge recording
 * rules, shown unless all its rates are zero (the panel hides idle edges by default), its nodes the ends of the
 * shown edges; denied when its denied rate reaches its flow rate, mixed when some of its flows were denied.
 */
import type { PrometheusResults } from './harness';

export type Verdict = 'allowed' | 'denied' | 'mixed';

export interface ExpectedEdge {
  source: string;
  target: string;
  flowRate: number;
  deniedRate: number;
  verdict: Verdict;
}

export interface ExpectedGraph {
  nodes: string[];
  edges: ExpectedEdge[];
  namespaces: string[];
}

const RATE_RULES: Record<string, 'flowRate' | 'deniedRate' | 'bytesRate' | 'httpRate' | undefined> = {
  'edge:flowlens_flows:rate5m': 'flowRate',
  'edge:flowlens_flows_denied:rate5m': 'deniedRate',
  'edge:flowlens_flow_bytes:rate5m': 'bytesRate',
  'edge:flowlens_http_requests:rate5m': 'httpRate',
};

interface EdgeRates {
  source: string;
  target: string;
  flowRate: number;
  deniedRate: number;
  bytesRate: number;
  httpRate: number;
}

export function expectedServiceGraph(results: PrometheusResults, namespaces: readonly string[] = []): ExpectedGraph {
  const rates = new Map<string, EdgeRates>();
  for (const result of Object.values(results.results)) {
    for (const sample of result.data?.result ?? []) {
      const rate = RATE_RULES[sample.metric['__name__'] ?? ''];
      const value = Number(sample.value[1]);
      if (rate === undefined || !Number.isFinite(value)) continue;
      const { source_namespace: sourceNs, source_workload: sourceName } = sample.metric;
      const { dest_namespace: destNs, dest_workload: destName } = sample.metric;
      if (sourceName === undefined || destName === undefined) continue;
      // As the panel labels them: `namespace/workload`, or the bare name for endpoints without a namespace.
      const source = sourceNs ? `${sourceNs}/${sourceName}` : sourceName;
      const target = destNs ? `${destNs}/${destName}` : destName;
      const key = `${source}->${target}`;
      const entry = rates.get(key) ?? { source, target, flowRate: 0, deniedRate: 0, bytesRate: 0, httpRate: 0 };
      entry[rate] += value;
      rates.set(key, entry);
    }
  }
  const inNamespaces = (id: string) => namespaces.length === 0 || namespaces.includes(namespaceOf(id));
  const edges: ExpectedEdge[] = [];
  for (const { source, target, flowRate, deniedRate, bytesRate, httpRate } of rates.values()) {
    if (flowRate <= 0 && deniedRate <= 0 && bytesRate <= 0 && httpRate <= 0) continue;
    if (!inNamespaces(source) && !inNamespaces(target)) continue;
    const verdict: Verdict = deniedRate <= 0 ? 'allowed' : deniedRate >= flowRate * (1 - 1e-9) ? 'denied' : 'mixed';
    edges.push({ source, target, flowRate, deniedRate, verdict });
  }
  const nodes = [...new Set(edges.flatMap((edge) => [edge.source, edge.target]))].sort();
  return { nodes, edges, namespaces: [...new Set(nodes.map(namespaceOf))].sort() };
}

export function namespaceOf(label: string): string {
  return label.includes('/') ? label.slice(0, label.indexOf('/')) : '';
}
