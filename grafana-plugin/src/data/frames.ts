// Data frames to the graph model. Two inputs: Prometheus results of Flowlens' per-edge recording rules (as time
// series frames, one per series, or as table frames, one row per series), and Node Graph style `nodes`/`edges`
// frames, so that service graphs from other sources (Tempo's, for example) draw too.
import { type DataFrame, type Field, FieldType } from '@grafana/data';

import {
  type DnsActivity,
  type EdgeMeasures,
  type GraphEdge,
  type GraphModel,
  type GraphNode,
  assembleModel,
  edgeId,
  emptyMeasures,
  makeEdge,
  mergePolicies,
  mergePorts,
  mergeServices,
  podNodeId,
  workloadNodeId,
  type PolicyDecision,
  type PortUsage,
  type ServiceUsage,
} from './model';

/** The recording rules (alerts/flowlens-rules.yml) a service graph queries, and the measure each one gives. */
export const EDGE_RECORDING_RULES = {
  'edge:flowlens_flows:rate5m': 'flowRate',
  'edge:flowlens_flows_denied:rate5m': 'deniedRate',
  'edge:flowlens_flow_bytes:rate5m': 'bytesRate',
  'edge:flowlens_http_requests:rate5m': 'httpRate',
  'edge:flowlens_http_errors:rate5m': 'httpErrorRate',
  'edge:flowlens_http_request_duration_seconds:p99_rate5m': 'p99Seconds',
} as const satisfies Record<string, keyof EdgeMeasures>;

export type EdgeRecordingRule = keyof typeof EDGE_RECORDING_RULES;

/** The DNS recording rules (by client workload) a node's side panel shows, and the measure each one gives. */
export const DNS_RECORDING_RULES = {
  'client_workload:flowlens_dns_requests:rate5m': 'requestRate',
  'client_workload:flowlens_dns_nxdomain:rate5m': 'nxdomainRate',
  'client_workload:flowlens_dns_servfail:rate5m': 'servfailRate',
  'client_workload:flowlens_dns_latency_seconds:p99_rate5m': 'p99Seconds',
} as const satisfies Record<string, keyof DnsActivity>;

export type DnsRecordingRule = keyof typeof DNS_RECORDING_RULES;

/**
 * Breakdowns of `flowlens_flows_total` per edge (src/queries.ts): by deciding policy (`policies`), by protocol and
 * destination port (`ports`) and by the service the flows were addressed to (`services`). They lose `__name__`, so
 * they are known by refId or by their labels.
 */
export type EdgeBreakdownQuery = 'policies' | 'ports' | 'services';

/** What the frames of one query hold. */
export type FrameContent = EdgeRecordingRule | DnsRecordingRule | EdgeBreakdownQuery;

/** What a level draws as nodes: workloads, or pods where the series carry `source_pod`/`dest_pod`. */
export type GraphLevel = 'namespace' | 'workload' | 'pod';

const EDGE_LABELS = ['source_namespace', 'source_workload', 'dest_namespace', 'dest_workload'] as const;

export interface FramesToGraphOptions {
  /**
   * What a query's frames hold, by query refId, for queries whose series lost `__name__` (an aggregation over a
   * rule, the breakdowns) and whose executed query string Grafana did not report.
   */
  ruleByRefId?: Record<string, FrameContent>;
  /** `pod` makes nodes of pods where series carry pod labels; anything else sums pods into their workloads. */
  level?: GraphLevel;
}

/**
 * The graph model of a panel's frames. Series of the same edge and rule (for example the bytes rule's two
 * directions) are added up, except p99, where the largest is kept. Frames that are neither recording-rule
 * series nor Node Graph frames are ignored; so are NaN and missing values (a p99 without requests).
 */
export function framesToGraph(frames: DataFrame[], options: FramesToGraphOptions = {}): GraphModel {
  const builder = new GraphBuilder(options.level === 'pod');
  const nodeFrames = frames.filter(isNodeGraphNodesFrame);
  const edgeFrames = frames.filter(isNodeGraphEdgesFrame);
  for (const frame of nodeFrames) readNodeGraphNodes(frame, builder);
  for (const frame of edgeFrames) readNodeGraphEdges(frame, builder);
  for (const frame of frames) {
    if (nodeFrames.includes(frame) || edgeFrames.includes(frame)) continue;
    readPrometheusFrame(frame, options, builder);
  }
  return builder.build();
}

class GraphBuilder {
  private readonly nodes = new Map<string, GraphNode>();
  private readonly measures = new Map<string, { source: string; target: string; measures: EdgeMeasures }>();
  private readonly policies = new Map<string, PolicyDecision[]>();
  private readonly ports = new Map<string, PortUsage[]>();
  private readonly services = new Map<string, ServiceUsage[]>();
  private readonly dns = new Map<string, DnsActivity>();
  private sawPods = false;

  constructor(private readonly podLevel: boolean) {}

  addNode(id: string, namespace: string, name: string, kind: GraphNode['kind'] = 'workload', workloadId?: string) {
    if (this.nodes.has(id)) return;
    const node: GraphNode = { id, kind, namespace, name, memberIds: [id] };
    if (workloadId !== undefined) node.workloadId = workloadId;
    this.nodes.set(id, node);
  }

  /** The node of one end of a series (`source` or `dest`), added to the graph; undefined without a workload. */
  private endNode(labels: Record<string, string>, side: 'source' | 'dest'): string | undefined {
    const workload = labels[`${side}_workload`];
    if (workload === undefined) return undefined;
    const namespace = labels[`${side}_namespace`] ?? '';
    const pod = labels[`${side}_pod`];
    const workloadId = workloadNodeId(namespace, workload);
    if (pod !== undefined && pod !== '') {
      this.sawPods = true;
      if (this.podLevel) {
        const id = podNodeId(namespace, workload, pod);
        this.addNode(id, namespace, pod, 'pod', workloadId);
        return id;
      }
    }
    // An endpoint outside the cluster's namespaces (world, private, host, a network set) is a network.
    this.addNode(workloadId, namespace, workload, namespace === '' ? 'network' : 'workload');
    return workloadId;
  }

  addWorkloadEdge(labels: Record<string, string>, measure: keyof EdgeMeasures, value: number): void {
    if (labels[EDGE_LABELS[1]] === undefined || labels[EDGE_LABELS[3]] === undefined) return;
    const source = this.endNode(labels, 'source');
    const target = this.endNode(labels, 'dest');
    if (source === undefined || target === undefined) return;
    this.addMeasure(source, target, measure, value);
  }

  /** A row of the `policies`, `ports` or `services` breakdown, kept by workload edge until the edges are built. */
  addBreakdown(labels: Record<string, string>, query: EdgeBreakdownQuery, value: number): void {
    const [sourceNamespace, sourceWorkload, destNamespace, destWorkload] = EDGE_LABELS.map((name) => labels[name]);
    if (sourceWorkload === undefined || destWorkload === undefined) return;
    const id = edgeId(
      workloadNodeId(sourceNamespace ?? '', sourceWorkload),
      workloadNodeId(destNamespace ?? '', destWorkload),
    );
    if (query === 'policies') {
      const decision = {
        tier: labels['policy_tier'] ?? '',
        policy: labels['policy'] ?? '',
        action: labels['action'] ?? '',
        flowRate: value,
      };
      this.policies.set(id, mergePolicies([this.policies.get(id) ?? [], [decision]]));
    } else if (query === 'services') {
      const usage = { service: labels['dest_service'] ?? '', flowRate: value };
      this.services.set(id, mergeServices([this.services.get(id) ?? [], [usage]]));
    } else {
      const usage = { protocol: labels['protocol'] ?? '', port: labels['dest_port'] ?? '', flowRate: value };
      this.ports.set(id, mergePorts([this.ports.get(id) ?? [], [usage]]));
    }
  }

  addDns(labels: Record<string, string>, measure: keyof DnsActivity, value: number): void {
    const workload = labels['client_workload'];
    if (workload === undefined) return;
    const id = workloadNodeId(labels['client_namespace'] ?? '', workload);
    let dns = this.dns.get(id);
    if (!dns) {
      dns = { requestRate: 0, nxdomainRate: 0, servfailRate: 0, p99Seconds: undefined };
      this.dns.set(id, dns);
    }
    if (measure === 'p99Seconds') dns.p99Seconds = Math.max(dns.p99Seconds ?? 0, value);
    else dns[measure] += value;
  }

  addMeasure(source: string, target: string, measure: keyof EdgeMeasures, value: number): void {
    const id = edgeId(source, target);
    let entry = this.measures.get(id);
    if (!entry) {
      entry = { source, target, measures: emptyMeasures() };
      this.measures.set(id, entry);
    }
    if (measure === 'p99Seconds') {
      const previous = entry.measures.p99Seconds;
      entry.measures.p99Seconds = previous === undefined ? value : Math.max(previous, value);
    } else {
      entry.measures[measure] += value;
    }
  }

  build(): GraphModel {
    const edges: GraphEdge[] = [];
    for (const { source, target, measures } of this.measures.values()) {
      // Node Graph edges may name nodes their nodes frame left out; they still need a node to hang on.
      this.addNode(source, '', source);
      this.addNode(target, '', target);
      const id = edgeId(source, target);
      edges.push(
        makeEdge(source, target, measures, undefined, {
          policies: this.policies.get(id),
          ports: this.ports.get(id),
          services: this.services.get(id),
        }),
      );
    }
    for (const node of this.nodes.values()) {
      const dns = this.dns.get(node.workloadId ?? node.id);
      if (dns) node.dns = dns;
    }
    return assembleModel(this.nodes.values(), edges, this.sawPods);
  }
}

// --- Prometheus ---

function readPrometheusFrame(frame: DataFrame, options: FramesToGraphOptions, builder: GraphBuilder): void {
  const valueFields = frame.fields.filter((field) => field.type === FieldType.number);
  if (valueFields.length === 0) return;
  const labelFields = frame.fields.filter((field) => field.type === FieldType.string);
  const frameRule = ruleOfFrame(frame, options);
  if (labelFields.some((field) => field.name === 'source_workload' || field.name === 'client_workload')) {
    // Table format: one row per series, labels as string columns, one value column per query.
    const nameField = labelFields.find((field) => field.name === '__name__');
    for (let row = 0; row < frame.length; row++) {
      const labels: Record<string, string> = {};
      for (const field of labelFields) labels[field.name] = String(field.values[row] ?? '');
      const rowRule = ruleNamed(labels['__name__']) ?? ruleNamed(nameField?.values[row]);
      for (const field of valueFields) {
        const rule = rowRule ?? ruleOfValueColumn(field, options) ?? frameRule ?? breakdownOfLabels(labels);
        if (rule) addValue(builder, labels, rule, field.values[row]);
      }
    }
    return;
  }
  // Time series format: the series' labels on each value field; its latest value is the current rate.
  for (const field of valueFields) {
    const labels = field.labels ?? {};
    const rule = ruleNamed(labels['__name__']) ?? frameRule ?? breakdownOfLabels(labels);
    if (!rule) continue;
    addValue(builder, labels, rule, lastValue(field));
  }
}

function addValue(builder: GraphBuilder, labels: Record<string, string>, rule: FrameContent, value: unknown) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return;
  if (rule === 'policies' || rule === 'ports' || rule === 'services') builder.addBreakdown(labels, rule, value);
  else if (isDnsRule(rule)) builder.addDns(labels, DNS_RECORDING_RULES[rule], value);
  else builder.addWorkloadEdge(labels, EDGE_RECORDING_RULES[rule], value);
}

function isDnsRule(rule: FrameContent): rule is DnsRecordingRule {
  return Object.hasOwn(DNS_RECORDING_RULES, rule);
}

/**
 * A nameless edge series that no refId explains: a breakdown of `flowlens_flows_total` by policy, by port or by
 * service, as its labels tell.
 */
function breakdownOfLabels(labels: Record<string, string>): EdgeBreakdownQuery | undefined {
  if (labels['source_workload'] === undefined || labels['__name__'] !== undefined) return undefined;
  if (labels['policy'] !== undefined || labels['action'] !== undefined) return 'policies';
  if (labels['protocol'] !== undefined || labels['dest_port'] !== undefined) return 'ports';
  if (labels['dest_service'] !== undefined) return 'services';
  return undefined;
}

function lastValue(field: Field): unknown {
  for (let index = field.values.length - 1; index >= 0; index--) {
    const value = field.values[index];
    if (value !== null && value !== undefined) return value;
  }
  return undefined;
}

/**
 * Several queries in one table (Grafana's "Value #A", "Value #B" columns, as after a merge transformation): each
 * column is its query's, by refId.
 */
function ruleOfValueColumn(field: Field, options: FramesToGraphOptions): FrameContent | undefined {
  const refId = /^Value #(.+)$/.exec(field.name)?.[1];
  return refId === undefined ? undefined : options.ruleByRefId?.[refId];
}

function ruleNamed(name: unknown): EdgeRecordingRule | DnsRecordingRule | undefined {
  if (typeof name !== 'string') return undefined;
  if (Object.hasOwn(EDGE_RECORDING_RULES, name)) return name as EdgeRecordingRule;
  if (Object.hasOwn(DNS_RECORDING_RULES, name)) return name as DnsRecordingRule;
  return undefined;
}

const RULE_NAMES = [...Object.keys(EDGE_RECORDING_RULES), ...Object.keys(DNS_RECORDING_RULES)] as Array<
  EdgeRecordingRule | DnsRecordingRule
>;

/** The rule a whole frame holds: by refId mapping, else the one rule its executed query mentions. */
function ruleOfFrame(frame: DataFrame, options: FramesToGraphOptions): FrameContent | undefined {
  const byRefId = frame.refId === undefined ? undefined : options.ruleByRefId?.[frame.refId];
  if (byRefId) return byRefId;
  const query = frame.meta?.executedQueryString;
  if (!query) return undefined;
  const mentioned = RULE_NAMES.filter((rule) => mentionsMetric(query, rule));
  return mentioned.length === 1 ? mentioned[0] : undefined;
}

function mentionsMetric(query: string, metric: string): boolean {
  let from = 0;
  for (;;) {
    const at = query.indexOf(metric, from);
    if (at < 0) return false;
    const before = query[at - 1];
    const after = query[at + metric.length];
    if ((before === undefined || !/[\w:]/.test(before)) && (after === undefined || !/[\w:]/.test(after))) return true;
    from = at + 1;
  }
}

// --- Node Graph frames ---

function isNodeGraphNodesFrame(frame: DataFrame): boolean {
  return frame.name === 'nodes' || (hasField(frame, 'id') && !hasField(frame, 'source') && isNodeGraph(frame));
}

function isNodeGraphEdgesFrame(frame: DataFrame): boolean {
  return frame.name === 'edges' || (hasField(frame, 'source') && hasField(frame, 'target') && isNodeGraph(frame));
}

function isNodeGraph(frame: DataFrame): boolean {
  return frame.meta?.preferredVisualisationType === 'nodeGraph';
}

function hasField(frame: DataFrame, name: string): boolean {
  return frame.fields.some((field) => field.name === name);
}

function fieldNamed(frame: DataFrame, ...names: string[]): Field | undefined {
  for (const name of names) {
    const field = frame.fields.find((candidate) => candidate.name === name);
    if (field) return field;
  }
  return undefined;
}

/** Nodes: `id`, a name from `title` (else the id), a namespace from a `namespace` or `detail__namespace` field. */
function readNodeGraphNodes(frame: DataFrame, builder: GraphBuilder): void {
  const ids = fieldNamed(frame, 'id');
  if (!ids) return;
  const titles = fieldNamed(frame, 'title');
  const namespaces = fieldNamed(frame, 'namespace', 'detail__namespace');
  for (let row = 0; row < frame.length; row++) {
    const id = ids.values[row];
    if (id === null || id === undefined) continue;
    const title = titles?.values[row];
    const namespace = namespaces?.values[row];
    builder.addNode(
      String(id),
      namespace === null || namespace === undefined ? '' : String(namespace),
      title === null || title === undefined || title === '' ? String(id) : String(title),
    );
  }
}

/**
 * Node Graph edge fields that carry Flowlens' measures: the rate is `rate`/`detail__rate`, else `mainstat`
 * (the source's main statistic); the others only by their `detail__` names.
 */
const NODE_GRAPH_MEASURE_FIELDS: Array<[keyof EdgeMeasures, string[]]> = [
  ['flowRate', ['rate', 'detail__rate', 'mainstat']],
  ['deniedRate', ['detail__denied_rate']],
  ['bytesRate', ['detail__bytes_rate']],
  ['httpRate', ['detail__http_rate']],
  ['httpErrorRate', ['detail__http_error_rate']],
  ['p99Seconds', ['detail__p99_seconds']],
];

function readNodeGraphEdges(frame: DataFrame, builder: GraphBuilder): void {
  const sources = fieldNamed(frame, 'source');
  const targets = fieldNamed(frame, 'target');
  if (!sources || !targets) return;
  const measureFields = NODE_GRAPH_MEASURE_FIELDS.map(
    ([measure, names]) => [measure, fieldNamed(frame, ...names)] as const,
  );
  for (let row = 0; row < frame.length; row++) {
    const source = sources.values[row];
    const target = targets.values[row];
    if (source === null || source === undefined || target === null || target === undefined) continue;
    // An edge with no numeric statistic still exists: it is recorded with zero rates.
    builder.addMeasure(String(source), String(target), 'flowRate', 0);
    for (const [measure, field] of measureFields) {
      const value = field?.values[row];
      if (typeof value === 'number' && Number.isFinite(value)) {
        builder.addMeasure(String(source), String(target), measure, value);
      }
    }
  }
}
