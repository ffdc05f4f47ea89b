// Data frames to the graph model. Two inputs: Prometheus results of Flowlens' per-edge recording rules (as time
// series frames, one per series, or as table frames, one row per series), and Node Graph style `nodes`/`edges`
// frames, so that service graphs from other sources (Tempo's, for example) draw too.
import { type DataFrame, type Field, FieldType } from '@grafana/data';

import {
  type EdgeMeasures,
  type GraphEdge,
  type GraphModel,
  type GraphNode,
  assembleModel,
  edgeId,
  emptyMeasures,
  makeEdge,
  workloadNodeId,
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

const EDGE_LABELS = ['source_namespace', 'source_workload', 'dest_namespace', 'dest_workload'] as const;

export interface FramesToGraphOptions {
  /**
   * Which rule a query's frames hold, by query refId, for queries whose series lost `__name__` (an aggregation
   * over a rule) and whose executed query string Grafana did not report.
   */
  ruleByRefId?: Record<string, EdgeRecordingRule>;
}

/**
 * The graph model of a panel's frames. Series of the same edge and rule (for example the bytes rule's two
 * directions) are added up, except p99, where the largest is kept. Frames that are neither recording-rule
 * series nor Node Graph frames are ignored; so are NaN and missing values (a p99 without requests).
 */
export function framesToGraph(frames: DataFrame[], options: FramesToGraphOptions = {}): GraphModel {
  const builder = new GraphBuilder();
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

  addNode(id: string, namespace: string, name: string): void {
    if (!this.nodes.has(id)) this.nodes.set(id, { id, kind: 'workload', namespace, name, memberIds: [id] });
  }

  addWorkloadEdge(labels: Record<string, string>, measure: keyof EdgeMeasures, value: number): void {
    const [sourceNamespace, sourceWorkload, destNamespace, destWorkload] = EDGE_LABELS.map((name) => labels[name]);
    if (sourceWorkload === undefined || destWorkload === undefined) return;
    const source = workloadNodeId(sourceNamespace ?? '', sourceWorkload);
    const target = workloadNodeId(destNamespace ?? '', destWorkload);
    this.addNode(source, sourceNamespace ?? '', sourceWorkload);
    this.addNode(target, destNamespace ?? '', destWorkload);
    this.addMeasure(source, target, measure, value);
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
      edges.push(makeEdge(source, target, measures));
    }
    return assembleModel(this.nodes.values(), edges);
  }
}

// --- Prometheus ---

function readPrometheusFrame(frame: DataFrame, options: FramesToGraphOptions, builder: GraphBuilder): void {
  const valueFields = frame.fields.filter((field) => field.type === FieldType.number);
  if (valueFields.length === 0) return;
  const labelFields = frame.fields.filter((field) => field.type === FieldType.string);
  const frameRule = ruleOfFrame(frame, options);
  if (labelFields.some((field) => field.name === 'source_workload')) {
    // Table format: one row per series, labels as string columns, one value column per query.
    const nameField = labelFields.find((field) => field.name === '__name__');
    for (let row = 0; row < frame.length; row++) {
      const labels: Record<string, string> = {};
      for (const field of labelFields) labels[field.name] = String(field.values[row] ?? '');
      const rowRule = ruleNamed(labels['__name__']) ?? ruleNamed(nameField?.values[row]);
      for (const field of valueFields) {
        const rule = rowRule ?? ruleOfValueColumn(field, options) ?? frameRule;
        if (rule) addValue(builder, labels, rule, field.values[row]);
      }
    }
    return;
  }
  // Time series format: the series' labels on each value field; its latest value is the current rate.
  for (const field of valueFields) {
    const labels = field.labels ?? {};
    const rule = ruleNamed(labels['__name__']) ?? frameRule;
    if (!rule) continue;
    addValue(builder, labels, rule, lastValue(field));
  }
}

function addValue(builder: GraphBuilder, labels: Record<string, string>, rule: EdgeRecordingRule, value: unknown) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return;
  builder.addWorkloadEdge(labels, EDGE_RECORDING_RULES[rule], value);
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
function ruleOfValueColumn(field: Field, options: FramesToGraphOptions): EdgeRecordingRule | undefined {
  const refId = /^Value #(.+)$/.exec(field.name)?.[1];
  return refId === undefined ? undefined : options.ruleByRefId?.[refId];
}

function ruleNamed(name: unknown): EdgeRecordingRule | undefined {
  return typeof name === 'string' && Object.hasOwn(EDGE_RECORDING_RULES, name)
    ? (name as EdgeRecordingRule)
    : undefined;
}

const RULE_NAMES = Object.keys(EDGE_RECORDING_RULES) as EdgeRecordingRule[];

/** The rule a whole frame holds: by refId mapping, else the one rule its executed query mentions. */
function ruleOfFrame(frame: DataFrame, options: FramesToGraphOptions): EdgeRecordingRule | undefined {
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
