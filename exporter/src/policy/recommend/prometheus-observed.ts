/**
 * The cluster's observed flows as Prometheus holds them: every (source, destination, port, protocol) of
 * `flowlens_flows_total{action="allow"}` over a range, from every exporter Prometheus scrapes. Pure data code: the
 * query, the strict reading of Prometheus' answer, and its conversion to `ObservedFlow`s in an `ObservedFlows`
 * under the same budget as the exporter's own set. The HTTP side is `prometheus-client.ts`.
 *
 * What the labels can and cannot say: pods are named by workload, as the local set names them; a peer outside
 * the pod network is named by the Calico network set that holds its address (the enricher's longest prefix), or
 * only as `world` / `private` (Calico's `pub` / `pvt` aggregates), a host's name, or nothing. A network set
 * becomes the set (its labels in Calico format, its CIDRs in Kubernetes format); the rest name no address, so
 * they cannot become least-privilege CIDRs and are skipped and counted. The node's own observed set
 * (`?observed=local`, `policy recommend --source`) or the flow logs have their addresses.
 */
import type { NetworkSet } from '../calico';
import { flowKey, type ObservedFlow, type ObservedPeer } from './model';
import { ObservedFlows, observedProtocol } from './observed';

export const FLOWS_FAMILY = 'flowlens_flows_total';
export const DEFAULT_PROMETHEUS_RANGE = '7d';

/** The labels the query groups by: exactly these (or fewer: Prometheus leaves out empty ones) come back. */
export const FLOW_GROUP_LABELS = [
  'source_namespace',
  'source_workload',
  'dest_namespace',
  'dest_workload',
  'dest_port',
  'protocol',
] as const;
type GroupLabel = (typeof FLOW_GROUP_LABELS)[number];

/** Names the labels give peers Prometheus knows only as an aggregate of addresses (Calico's `pub` and `pvt`). */
export const AGGREGATE_PEERS: ReadonlySet<string> = new Set(['world', 'private']);

/** Label values of series past a family's budget: not a peer. */
const OVERFLOW_VALUE = '__overflow__';

const RANGE_UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
const MIN_RANGE_SECONDS = 60;
/** A year: longer ranges are almost certainly a typo, and each query reads every sample of the range. */
const MAX_RANGE_SECONDS = 366 * 86_400;

/** A PromQL range (`7d`, `12h`, `2w`), or the problem with it (for a message that names the flag or key). */
export function parsePrometheusRange(text: string): { text: string; seconds: number } | { problem: string } {
  const match = /^(\d{1,6})([smhdw])$/.exec(text);
  const seconds = match ? Number(match[1]) * (RANGE_UNITS[match[2]!] ?? 0) : Number.NaN;
  if (!Number.isFinite(seconds)) {
    return { problem: `"${text}" must be a number and one unit of s, m, h, d or w, such as 7d, 12h or 2w` };
  }
  if (seconds < MIN_RANGE_SECONDS || seconds > MAX_RANGE_SECONDS) {
    return { problem: `"${text}" must be from 1m to 366d, such as 7d` };
  }
  return { text, seconds };
}

/**
 * The base URL of a Prometheus (or a path prefix under which its API is served), or the problem with it. Passwords
 * do not go in the URL, where `ps` and logs show them: they are read from a file.
 */
export function parsePrometheusUrl(text: string): URL | { problem: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { problem: `"${text}" must be an http:// or https:// URL, such as http://prometheus.monitoring:9090` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { problem: `"${text}" must be an http:// or https:// URL, such as http://prometheus.monitoring:9090` };
  }
  if (url.username !== '' || url.password !== '') {
    return { problem: `"${url.host}${url.pathname}": give the user and password file as basic auth, not in the URL` };
  }
  if (url.search !== '' || url.hash !== '') {
    return { problem: `"${text}" must be the server's base URL, without ?query or #fragment` };
  }
  if (!url.pathname.endsWith('/')) url.pathname = `${url.pathname}/`;
  return url;
}

export interface ObservedQueryOptions {
  /** A range `parsePrometheusRange` accepted. */
  readonly range: string;
  /** Only flows with an end in this namespace (a validated namespace name): what its workloads' policies need. */
  readonly namespace?: string | undefined;
}

/**
 * Every allowed tuple whose series Prometheus holds a sample of in the range. Not `increase(...) > 0`: a counter
 * that appeared once and never moved (one flow, a series' first sample) has no increase, yet its flow was seen.
 * `last_over_time` sees every series with a sample in the range; `group` answers 1 per tuple, dropping `reporter`,
 * `policy` and `dest_service` (both ends of a flow may report it). A series stays exposed `metrics.ttl` after its
 * last flow, so a flow up to that long before the range counts too. A range past Prometheus' retention reads what
 * is retained.
 */
export function observedFlowsQuery(options: ObservedQueryOptions): string {
  const by = FLOW_GROUP_LABELS.join(', ');
  const selector = (extra: string): string =>
    `last_over_time(${FLOWS_FAMILY}{action="allow"${extra}}[${options.range}])`;
  const inner =
    options.namespace === undefined
      ? selector('')
      : `${selector(`,source_namespace="${options.namespace}"`)} or ${selector(`,dest_namespace="${options.namespace}"`)}`;
  return `group by (${by}) (${inner})`;
}

export class PrometheusAnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrometheusAnswerError';
  }
}

/** One tuple of the answer: every group label, empty when Prometheus left it out (it omits empty labels). */
export type FlowTupleLabels = Readonly<Record<GroupLabel, string>>;

/**
 * Prometheus' JSON answer to `observedFlowsQuery`, read strictly: anything but a successful instant vector of
 * samples whose labels are the group labels (strings) is an error naming the field; an answer with warnings
 * (a partial answer from a federated store) is an error too, since missing flows would be blocked flows.
 */
export function parseObservedAnswer(body: string): FlowTupleLabels[] {
  let answer: unknown;
  try {
    answer = JSON.parse(body);
  } catch (error) {
    throw new PrometheusAnswerError(
      `the answer is not JSON (${error instanceof Error ? error.message : String(error)}); was it cut short? ${excerpt(body)}`,
    );
  }
  if (!isRecord(answer)) throw new PrometheusAnswerError(`the answer must be a JSON object, got ${kindOf(answer)}`);
  if (answer['status'] !== 'success') {
    const error = typeof answer['error'] === 'string' ? `: ${answer['error']}` : '';
    const type = typeof answer['errorType'] === 'string' ? ` (${answer['errorType']})` : '';
    throw new PrometheusAnswerError(`status is ${JSON.stringify(answer['status'])}, not "success"${type}${error}`);
  }
  const warnings = answer['warnings'];
  if (warnings !== undefined) {
    if (!Array.isArray(warnings)) throw new PrometheusAnswerError(`warnings must be a list, got ${kindOf(warnings)}`);
    if (warnings.length > 0) {
      throw new PrometheusAnswerError(
        `the answer is partial (warnings: ${warnings.map((warning) => String(warning)).join('; ')}); policies from it would block the missing flows`,
      );
    }
  }
  const data = answer['data'];
  if (!isRecord(data)) throw new PrometheusAnswerError(`data must be an object, got ${kindOf(data)}`);
  if (data['resultType'] !== 'vector') {
    throw new PrometheusAnswerError(
      `data.resultType is ${JSON.stringify(data['resultType'])}, not "vector" (an instant query's answer)`,
    );
  }
  const result = data['result'];
  if (!Array.isArray(result)) throw new PrometheusAnswerError(`data.result must be a list, got ${kindOf(result)}`);
  return result.map((sample: unknown, index) => readSample(sample, `data.result[${index}]`));
}

function readSample(sample: unknown, path: string): FlowTupleLabels {
  if (!isRecord(sample)) throw new PrometheusAnswerError(`${path} must be an object, got ${kindOf(sample)}`);
  const metric = sample['metric'];
  if (!isRecord(metric)) throw new PrometheusAnswerError(`${path}.metric must be an object, got ${kindOf(metric)}`);
  const value = sample['value'];
  if (
    !Array.isArray(value) ||
    value.length !== 2 ||
    typeof value[0] !== 'number' ||
    !Number.isFinite(value[0]) ||
    typeof value[1] !== 'string'
  ) {
    throw new PrometheusAnswerError(
      `${path}.value must be [time, "value"], got ${excerpt(JSON.stringify(value) ?? String(value))}`,
    );
  }
  const labels: Record<GroupLabel, string> = {
    source_namespace: '',
    source_workload: '',
    dest_namespace: '',
    dest_workload: '',
    dest_port: '',
    protocol: '',
  };
  for (const [name, labelValue] of Object.entries(metric)) {
    if (!isGroupLabel(name)) {
      throw new PrometheusAnswerError(
        `${path}.metric has label "${name}"; the query groups by ${FLOW_GROUP_LABELS.join(', ')} only`,
      );
    }
    if (typeof labelValue !== 'string') {
      throw new PrometheusAnswerError(`${path}.metric.${name} must be a string, got ${kindOf(labelValue)}`);
    }
    labels[name] = labelValue;
  }
  return labels;
}

function isGroupLabel(name: string): name is GroupLabel {
  return (FLOW_GROUP_LABELS as readonly string[]).includes(name);
}

/** Why a tuple from Prometheus became no observed flow. */
export type PrometheusSkipReason =
  | 'aggregate peer'
  | 'peer without an address'
  | 'ambiguous network set'
  | 'over budget label'
  | 'no port'
  | 'protocol policies cannot name';

export interface PrometheusObserved {
  /** The tuples as observed flows, under the budget (`dropped` counts the distinct ones past it). */
  readonly observed: ObservedFlows;
  /** Tuples in Prometheus' answer. */
  readonly tuples: number;
  readonly skipped: Readonly<Partial<Record<PrometheusSkipReason, number>>>;
  /** What the skipped tuples mean for the policies, each naming what to do. */
  readonly warnings: readonly string[];
}

/** Prometheus' answer to `observedFlowsQuery` as it came (`prometheus-client.ts`), and the retention advice. */
export interface PrometheusFlowsAnswer {
  readonly body: string;
  /** A warning when the range reaches past what Prometheus retains; undefined when it does not or nobody says. */
  readonly advice: string | undefined;
}

/** The answer read strictly and converted under `budget`, the advice first among the warnings. */
export function readPrometheusFlowsAnswer(
  answer: PrometheusFlowsAnswer,
  networkSets: readonly NetworkSet[],
  budget: number,
): PrometheusObserved {
  const observed = observedFromPrometheus(parseObservedAnswer(answer.body), networkSets, budget);
  return answer.advice === undefined ? observed : { ...observed, warnings: [answer.advice, ...observed.warnings] };
}

/**
 * The tuples as observed flows. `networkSets` are the cluster's (the recommender's), for names the labels give
 * peers outside the pod network; `budget` is `api.maxObservedFlows` (or the CLI's default).
 */
export function observedFromPrometheus(
  tuples: readonly FlowTupleLabels[],
  networkSets: readonly NetworkSet[],
  budget: number,
): PrometheusObserved {
  const observed = new ObservedFlows(budget);
  const skipped: Partial<Record<PrometheusSkipReason, number>> = {};
  const examples = new Map<PrometheusSkipReason, Set<string>>();
  const skip = (reason: PrometheusSkipReason, example?: string): void => {
    skipped[reason] = (skipped[reason] ?? 0) + 1;
    if (example === undefined) return;
    const names = examples.get(reason) ?? new Set<string>();
    if (names.size < 3) names.add(example);
    examples.set(reason, names);
  };
  const setsByName = new Map<string, NetworkSet[]>();
  for (const set of networkSets) setsByName.set(set.name, [...(setsByName.get(set.name) ?? []), set]);
  // Within one answer the tuples are distinct; across duplicates (a mangled answer) a flow still counts once.
  const seen = new Set<string>();
  for (const tuple of tuples) {
    const values = Object.values(tuple);
    if (values.includes(OVERFLOW_VALUE)) {
      skip('over budget label');
      continue;
    }
    // ICMP and the like have no port and no place in a policy's ports: skipped as the local set ignores them.
    const protocol = observedProtocol(tuple.protocol);
    if (protocol === undefined) {
      skip('protocol policies cannot name', tuple.protocol);
      continue;
    }
    const port = /^\d{1,5}$/.test(tuple.dest_port) ? Number(tuple.dest_port) : Number.NaN;
    if (!(port >= 1 && port <= 65535)) {
      skip('no port');
      continue;
    }
    const source = peerOf(tuple.source_namespace, tuple.source_workload, setsByName);
    const destination = peerOf(tuple.dest_namespace, tuple.dest_workload, setsByName);
    if (!isPeer(source) || !isPeer(destination)) {
      const unusable = isPeer(source) ? destination : source;
      if (!isPeer(unusable)) skip(unusable.reason, unusable.name);
      continue;
    }
    const flow: ObservedFlow = { source, destination, port, protocol };
    const key = flowKey(flow);
    if (seen.has(key)) continue;
    seen.add(key);
    observed.add(flow);
  }
  return { observed, tuples: tuples.length, skipped, warnings: skipWarnings(skipped, examples) };
}

type PeerOrSkip = ObservedPeer | { readonly reason: PrometheusSkipReason; readonly name: string };

function isPeer(peer: PeerOrSkip): peer is ObservedPeer {
  return 'kind' in peer;
}

function peerOf(namespace: string, workload: string, setsByName: ReadonlyMap<string, NetworkSet[]>): PeerOrSkip {
  // Pods are the only peers with a namespace: the enricher leaves it empty for every peer outside the pod network.
  if (namespace !== '') {
    return workload === ''
      ? { reason: 'peer without an address', name: `${namespace}/(no workload)` }
      : { kind: 'workload', namespace, workload };
  }
  if (AGGREGATE_PEERS.has(workload)) return { reason: 'aggregate peer', name: workload };
  const sets = setsByName.get(workload) ?? [];
  const [set] = sets;
  if (set === undefined) return { reason: 'peer without an address', name: workload === '' ? '(unnamed)' : workload };
  if (sets.length > 1) return { reason: 'ambiguous network set', name: workload };
  return { kind: 'networkSet', namespace: set.namespace, name: set.name };
}

function skipWarnings(
  skipped: Partial<Record<PrometheusSkipReason, number>>,
  examples: ReadonlyMap<PrometheusSkipReason, ReadonlySet<string>>,
): string[] {
  const named = (reason: PrometheusSkipReason): string => {
    const names = [...(examples.get(reason) ?? [])];
    return names.length === 0 ? '' : ` (${names.join(', ')})`;
  };
  const warnings: string[] = [];
  const aggregate = skipped['aggregate peer'];
  if (aggregate !== undefined) {
    warnings.push(
      `${aggregate} flows from Prometheus with a peer outside the cluster known only as an aggregate${named('aggregate peer')} were skipped: an aggregate cannot become a least-privilege CIDR; recommend those from the node's own observed set (?observed=local, or policy recommend --source) or the flow logs, which have the addresses`,
    );
  }
  const unaddressed = skipped['peer without an address'];
  if (unaddressed !== undefined) {
    warnings.push(
      `${unaddressed} flows from Prometheus with a peer that is neither a workload nor a network set of the resources${named('peer without an address')} were skipped: Prometheus' labels hold no address for it; use the node's own observed set or the flow logs for those, or add the network set to the resources`,
    );
  }
  const ambiguous = skipped['ambiguous network set'];
  if (ambiguous !== undefined) {
    warnings.push(
      `${ambiguous} flows from Prometheus name a network set that several (Global)NetworkSets of the resources are called${named('ambiguous network set')}; they were skipped: give the sets distinct names`,
    );
  }
  const overflow = skipped['over budget label'];
  if (overflow !== undefined) {
    warnings.push(
      `${overflow} series of ${FLOWS_FAMILY} were past the exporters' series budget (label value ${OVERFLOW_VALUE}) and name no flow; raise metrics.budget for the family`,
    );
  }
  const noPort = skipped['no port'];
  if (noPort !== undefined) {
    warnings.push(
      `${noPort} series of ${FLOWS_FAMILY} (TCP, UDP or SCTP) have no dest_port, so policies cannot allow them; keep ports on the family (metrics.families.${FLOWS_FAMILY}.ports)`,
    );
  }
  return warnings;
}

const RETENTION_UNITS: Readonly<Record<string, number>> = {
  y: 365 * 86_400,
  w: 604_800,
  d: 86_400,
  h: 3600,
  m: 60,
  s: 1,
  ms: 0.001,
};

/**
 * A warning when the range reaches past what Prometheus keeps, from its `/api/v1/status/runtimeinfo` answer
 * (`storageRetention`: `15d`, `1y2w`, `15d or 512MiB`); undefined when it does not, or when the answer does not say
 * (other stores than Prometheus do not serve it: the check is advice, not a condition).
 */
export function retentionWarning(
  range: { text: string; seconds: number },
  runtimeInfoBody: string,
): string | undefined {
  let retention: unknown;
  try {
    const answer: unknown = JSON.parse(runtimeInfoBody);
    retention = isRecord(answer) && isRecord(answer['data']) ? answer['data']['storageRetention'] : undefined;
  } catch {
    return undefined;
  }
  if (typeof retention !== 'string') return undefined;
  const time = retention.split(' or ')[0]?.trim() ?? '';
  if (!/^(\d+(ms|[ywdhms]))+$/.test(time)) return undefined;
  let seconds = 0;
  for (const [, amount, unit] of time.matchAll(/(\d+)(ms|[ywdhms])/g)) {
    seconds += Number(amount) * (RETENTION_UNITS[unit ?? ''] ?? 0);
  }
  if (range.seconds <= seconds) return undefined;
  return `the range ${range.text} is longer than Prometheus' retention (${retention}): flows older than that are not seen; use a range within it`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${excerpt(JSON.stringify(value) ?? '')}`;
}

function excerpt(text: string): string {
  return text.length <= 120 ? text : `${text.slice(0, 120)}... (${text.length} characters)`;
}
