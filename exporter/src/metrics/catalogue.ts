/**
 * The catalogue: every metric family Flowlens exposes, declared once. The aggregator, the exposition,
 * docs/metrics.md (generated from here by `flowlens metrics-doc`) and the tests all read this list, so
 * dashboards and alerts cannot drift from what the exporter emits.
 */
import type { Endpoint, FlowRecord, TcpStats } from '../model/flow';
import type { DnsRecord } from '../model/dns';
import { normalizeMethod, type HttpRecord } from '../model/http';
import type { AuditRecord } from '../sources/audit/model';
import { decidingHit } from '../sources/calico-policy';
import type { SocketSample } from '../model/sockets';

export type MetricType = 'counter' | 'gauge' | 'summary' | 'histogram' | 'info';

/** How finely a record family's series are keyed; configurable per family. */
export type AggregationLevel = 'workload' | 'pod';

export interface FamilyDefinition {
  /** The sample name: counters end in `_total`, info metrics in `_info`. */
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  /** Base unit suffix (OpenMetrics `# UNIT`), when the family has one. */
  readonly unit?: 'bytes' | 'seconds';
  readonly labels: readonly string[];
}

/** A label whose value comes from a flow record. */
export type FlowLabel =
  | EdgeLabel
  | ReportingEndLabel
  | 'dest_port'
  | 'protocol'
  | 'action'
  | 'policy'
  | 'policy_tier'
  | 'reporter'
  | 'rule'
  | 'direction';

/** The end that reported a flow record, as the per-pod TCP families name it (like `flowlens_pod_tcp_*`). */
type ReportingEndLabel = 'namespace' | 'workload' | 'pod';

type EdgeLabel =
  | 'source_namespace'
  | 'source_workload'
  | 'source_pod'
  | 'dest_namespace'
  | 'dest_workload'
  | 'dest_pod'
  | 'dest_service';

/** The labels of a record's two ends, shared by every record kind that names a source and a destination. */
function edgeLabelValues<R extends { source: Endpoint; destination: Endpoint }>(): Record<
  EdgeLabel,
  (record: R) => string
> {
  return {
    source_namespace: (record) => record.source.namespace,
    source_workload: (record) => record.source.workload,
    source_pod: (record) => record.source.pod,
    dest_namespace: (record) => record.destination.namespace,
    dest_workload: (record) => record.destination.workload,
    dest_pod: (record) => record.destination.pod,
    dest_service: (record) => record.destination.service,
  };
}

export const FLOW_LABEL_VALUES: Readonly<Record<FlowLabel, (record: FlowRecord) => string>> = {
  ...edgeLabelValues<FlowRecord>(),
  dest_port: (record) => (record.destPort === undefined ? '' : portText(record.destPort)),
  protocol: (record) => record.protocol,
  action: (record) => record.action,
  policy: (record) => record.verdict.policy,
  policy_tier: (record) => record.verdict.tier,
  reporter: (record) => record.reporter,
  rule: (record) => String(decidingHit(record.enforcedPolicies)?.ruleIndex ?? ''),
  // The direction the reporting end's policies govern: egress at the source, ingress at the destination.
  direction: (record) => (record.reporter === 'src' ? 'egress' : 'ingress'),
  namespace: (record) => reportingEnd(record).namespace,
  workload: (record) => reportingEnd(record).workload,
  pod: (record) => reportingEnd(record).pod,
};

/** The end whose dataplane reported the record: its TCP statistics are that end's sockets'. */
function reportingEnd(record: FlowRecord): Endpoint {
  return record.reporter === 'src' ? record.source : record.destination;
}

const PORT_TEXTS: string[] = [];

/** Port numbers as label text, made once per port: the same string each time hashes once. */
function portText(port: number): string {
  return (PORT_TEXTS[port] ??= String(port));
}

/**
 * Labels whose values come from a small fixed set. On budget overflow they keep their values, so the
 * overflow series stay few and still split allow from deny; every other label reads `__overflow__`.
 */
export const BOUNDED_LABELS: ReadonlySet<string> = new Set(['action', 'reporter', 'direction']);
export const OVERFLOW_VALUE = '__overflow__';

/** A per-sample label with a fixed set of values, expanded at render time (one value column each). */
export interface SplitLabel {
  readonly name: string;
  readonly values: readonly string[];
}

/**
 * A family aggregated from records of type R (flows, DNS queries, ...), keyed by labels of type L whose
 * values the record kind's extractors (or the family's own) take from each record.
 */
export interface RecordFamilyDefinition<R = FlowRecord, L extends string = FlowLabel> extends FamilyDefinition {
  readonly labels: readonly L[];
  /** Families that share a group can share one series store when their aggregation options agree. */
  readonly group: string;
  /** Labels whose values this family takes from elsewhere than its record kind's extractors (e.g. the staged verdict). */
  readonly labelValues?: Partial<Readonly<Record<L, (record: R) => string>>>;
  /** Whether the record kind's port label is a label by default (`ports: true`). */
  readonly portsByDefault: boolean;
  readonly split?: SplitLabel;
  /** Histograms: the buckets' upper bounds, ascending; `+Inf` is implied. */
  readonly buckets?: readonly number[];
  /**
   * Bounds a free-form label per window: at most K values of `label` (option `topK`) per value of `per`
   * keep their own series in a window; the rest fold into `__other__`.
   */
  readonly topK?: { readonly label: L; readonly per: L };
  /**
   * The family's budget when smaller than the global one (`metrics.budget`): per-pod families get a budget of
   * their own, so a covered workload's pods cannot take the room of every other workload's series.
   */
  readonly defaultBudget?: number;
  /** Only records for which this holds create or update series of the family. */
  readonly appliesTo: (record: R) => boolean;
  /**
   * Adds the record to the family's value columns: one per split value; summaries sum then count;
   * histograms one per bucket (cumulative), then +Inf, sum and count (see observeHistogram).
   */
  readonly accumulate: (record: R, add: (column: number, value: number) => void) => void;
}

/** A kind of record and its families: each kind has its own aggregator, fed by the pipeline. */
export interface RecordKind<R, L extends string> {
  readonly name: 'flows' | 'dns' | 'http' | 'audit' | 'sockets' | 'pod_tcp';
  readonly labelValues: Readonly<Record<L, (record: R) => string>>;
  /** Labels that keep their values on budget overflow (see BOUNDED_LABELS). */
  readonly boundedLabels: ReadonlySet<string>;
  /** The label `ports: false` removes, if the kind has one. */
  readonly portLabel: L | undefined;
  /** At aggregation level `pod`, each of these labels is followed by its pod label. */
  readonly podLabels: Partial<Readonly<Record<L, L>>>;
  readonly families: readonly RecordFamilyDefinition<R, L>[];
}

/** The number of value columns a family takes in its series store. */
export function columnCount(family: Pick<RecordFamilyDefinition<never, string>, 'split' | 'type' | 'buckets'>): number {
  if (family.split !== undefined) return family.split.values.length;
  if (family.type === 'histogram') return (family.buckets?.length ?? 0) + 3;
  return family.type === 'summary' ? 2 : 1;
}

/** Series a family shows per label set: one per value column. */
export function seriesPerLabelSet(
  family: Pick<RecordFamilyDefinition<never, string>, 'split' | 'type' | 'buckets'>,
): number {
  return family.split !== undefined || family.type === 'histogram' ? columnCount(family) : 1;
}

/** Adds `times` observations of `value` to a histogram's columns: cumulative buckets, +Inf, sum, count. */
export function observeHistogram(
  buckets: readonly number[],
  add: (column: number, value: number) => void,
  value: number,
  times: number,
): void {
  for (let i = 0; i < buckets.length; i++) if (value <= buckets[i]!) add(i, times);
  add(buckets.length, times);
  add(buckets.length + 1, value * times);
  add(buckets.length + 2, times);
}

const EDGE_LABELS: readonly FlowLabel[] = [
  'source_namespace',
  'source_workload',
  'dest_namespace',
  'dest_workload',
  'dest_service',
];
const FLOW_LABELS: readonly FlowLabel[] = [
  ...EDGE_LABELS,
  'dest_port',
  'protocol',
  'action',
  'policy',
  'policy_tier',
  'reporter',
];
const TCP_LABELS: readonly FlowLabel[] = [...EDGE_LABELS, 'dest_port', 'reporter'];
const DIRECTION: SplitLabel = { name: 'direction', values: ['forward', 'reverse'] };

const always = (): boolean => true;
const hasTcpStats = (record: FlowRecord): boolean => record.tcp !== undefined;

/**
 * Accumulates a per-flow TCP mean (Calico reports means over a record's flows) into a summary: each record adds its
 * mean times its flow count to _sum and its flow count to _count.
 */
function accumulateFlowWeighted(
  valueOf: (tcp: TcpStats) => number | undefined,
): (record: FlowRecord, add: (column: number, value: number) => void) => void {
  return (record, add) => {
    const weight = Math.max(record.flows, 1);
    add(0, (record.tcp === undefined ? 0 : (valueOf(record.tcp) ?? 0)) * weight);
    add(1, weight);
  };
}

const smoothRtt = (tcp: TcpStats): number | undefined => tcp.meanSmoothRttSeconds;

/** A summary of a per-flow TCP mean between two workloads, as flowlens_tcp_smooth_rtt_seconds is. */
function flowWeightedSummary(
  name: string,
  help: string,
  unit: 'seconds' | 'bytes' | undefined,
  valueOf: (tcp: TcpStats) => number | undefined,
): RecordFamilyDefinition {
  return {
    name,
    help,
    type: 'summary',
    ...(unit === undefined ? {} : { unit }),
    labels: TCP_LABELS,
    group: 'tcp',
    portsByDefault: true,
    appliesTo: (record) => record.tcp !== undefined && valueOf(record.tcp) !== undefined,
    accumulate: accumulateFlowWeighted(valueOf),
  };
}

export const FLOW_FAMILIES: readonly RecordFamilyDefinition[] = [
  {
    name: 'flowlens_flows_total',
    help: "Flows between workloads by verdict and deciding policy (Calico's num_flows; one per non-reply Hubble flow).",
    type: 'counter',
    labels: FLOW_LABELS,
    group: 'flows',
    portsByDefault: true,
    appliesTo: always,
    accumulate: (record, add) => add(0, record.flows),
  },
  {
    name: 'flowlens_flow_bytes_total',
    help: 'Bytes carried by flows; direction forward is source to destination, reverse the replies.',
    type: 'counter',
    unit: 'bytes',
    labels: FLOW_LABELS,
    group: 'flows',
    portsByDefault: true,
    split: DIRECTION,
    appliesTo: always,
    accumulate: (record, add) => {
      add(0, record.bytesForward);
      add(1, record.bytesReverse);
    },
  },
  {
    name: 'flowlens_flow_packets_total',
    help: 'Packets carried by flows; direction forward is source to destination, reverse the replies.',
    type: 'counter',
    labels: FLOW_LABELS,
    group: 'flows',
    portsByDefault: true,
    split: DIRECTION,
    appliesTo: always,
    accumulate: (record, add) => {
      add(0, record.packetsForward);
      add(1, record.packetsReverse);
    },
  },
  {
    name: 'flowlens_tcp_retransmissions_total',
    help: 'TCP segments retransmitted by the flows between two workloads.',
    type: 'counter',
    labels: TCP_LABELS,
    group: 'tcp',
    portsByDefault: true,
    appliesTo: hasTcpStats,
    accumulate: (record, add) => add(0, record.tcp?.retransmissions ?? 0),
  },
  {
    name: 'flowlens_tcp_lost_packets_total',
    help: 'TCP packets lost by the flows between two workloads.',
    type: 'counter',
    labels: TCP_LABELS,
    group: 'tcp',
    portsByDefault: true,
    appliesTo: hasTcpStats,
    accumulate: (record, add) => add(0, record.tcp?.lostPackets ?? 0),
  },
  {
    name: 'flowlens_tcp_unrecovered_timeouts_total',
    help: 'TCP retransmission timeouts that did not recover, by the flows between two workloads.',
    type: 'counter',
    labels: TCP_LABELS,
    group: 'tcp',
    portsByDefault: true,
    appliesTo: hasTcpStats,
    accumulate: (record, add) => add(0, record.tcp?.unrecoveredTimeouts ?? 0),
  },
  {
    name: 'flowlens_tcp_smooth_rtt_seconds',
    help: 'Smoothed TCP round-trip time of flows, weighted by flow count: rate(_sum)/rate(_count) is the mean.',
    type: 'summary',
    unit: 'seconds',
    labels: TCP_LABELS,
    group: 'tcp',
    portsByDefault: true,
    appliesTo: (record) => record.tcp?.meanSmoothRttSeconds !== undefined,
    accumulate: accumulateFlowWeighted(smoothRtt),
  },
  flowWeightedSummary(
    'flowlens_tcp_min_rtt_seconds',
    'Minimum TCP round-trip time of flows (Calico tcp_mean_min_rtt), weighted by flow count: rate(_sum)/rate(_count) is the mean.',
    'seconds',
    (tcp) => tcp.meanMinRttSeconds,
  ),
  flowWeightedSummary(
    'flowlens_tcp_send_congestion_window',
    'TCP send congestion window of flows in segments (Calico tcp_mean_send_congestion_window), weighted by flow count: rate(_sum)/rate(_count) is the mean.',
    undefined,
    (tcp) => tcp.meanSendCongestionWindow,
  ),
  flowWeightedSummary(
    'flowlens_tcp_mss_bytes',
    'TCP maximum segment size of flows (Calico tcp_mean_mss), weighted by flow count: rate(_sum)/rate(_count) is the mean.',
    'bytes',
    (tcp) => tcp.meanMss,
  ),
  {
    name: 'flowlens_staged_policy_flows_total',
    help: 'Flows a staged policy would decide if it were enforced: policy is the staged policy, action what it would do.',
    type: 'counter',
    labels: ['policy', 'action', 'source_namespace', 'source_workload', 'dest_namespace', 'dest_workload'],
    group: 'staged',
    portsByDefault: false,
    labelValues: {
      policy: (record) => record.staged?.policy ?? '',
      action: (record) => record.staged?.action ?? '',
    },
    appliesTo: (record) => record.staged !== undefined,
    accumulate: (record, add) => add(0, record.flows),
  },
  {
    name: 'flowlens_policy_rule_hits_total',
    help: 'Flows decided by each policy rule; rule -1 is the end-of-tier default action of a tier that selected the endpoint.',
    type: 'counter',
    labels: ['policy', 'policy_tier', 'rule', 'action', 'direction'],
    group: 'rules',
    portsByDefault: false,
    appliesTo: (record) => decidingHit(record.enforcedPolicies) !== undefined,
    accumulate: (record, add) => add(0, record.flows),
  },
];

/**
 * Series of the per-pod families (`aggregation: pod` in an ObservabilityProfile) each family keeps at most by
 * default: a covered Deployment scaled to hundreds of pods folds into `__overflow__` past it, not every family.
 */
export const PROFILE_POD_BUDGET = 10_000;

const PROFILE_POD_HELP =
  'Only for workloads an ObservabilityProfile with aggregation pod covers: the pod label of a covered end holds its pod, of any other end is empty.';

/** The pod of an end an ObservabilityProfile keeps pods for, else empty (the pipeline sets `podDetail`). */
function profiledPod(endpoint: Endpoint): string {
  return endpoint.podDetail ? endpoint.pod : '';
}

/** The pod labels of the per-pod families of records with a source and a destination. */
function profiledEdgePods<R extends { source: Endpoint; destination: Endpoint }>(): {
  source_pod: (record: R) => string;
  dest_pod: (record: R) => string;
} {
  return {
    source_pod: (record) => profiledPod(record.source),
    dest_pod: (record) => profiledPod(record.destination),
  };
}

const coversAnEnd = (record: { source: Endpoint; destination: Endpoint }): boolean =>
  record.source.podDetail || record.destination.podDetail;

const PROFILE_POD_EDGE_LABELS = [
  'source_namespace',
  'source_workload',
  'source_pod',
  'dest_namespace',
  'dest_workload',
  'dest_pod',
] as const;

/** Flows per pod of the workloads profiles aggregate by pod: appended to the flow families. */
export const PROFILE_POD_FLOW_FAMILIES: readonly RecordFamilyDefinition[] = [
  {
    name: 'flowlens_profile_pod_flows_total',
    help: `Flows between pods by verdict and reporter. ${PROFILE_POD_HELP}`,
    type: 'counter',
    labels: [...PROFILE_POD_EDGE_LABELS, 'action', 'reporter'],
    group: 'profile_pod_flows',
    portsByDefault: false,
    defaultBudget: PROFILE_POD_BUDGET,
    labelValues: profiledEdgePods<FlowRecord>(),
    appliesTo: coversAnEnd,
    accumulate: (record, add) => add(0, record.flows),
  },
  {
    name: 'flowlens_profile_pod_flow_bytes_total',
    help: `Bytes carried by flows between pods; direction forward is source to destination, reverse the replies. ${PROFILE_POD_HELP}`,
    type: 'counter',
    unit: 'bytes',
    labels: [...PROFILE_POD_EDGE_LABELS, 'action', 'reporter'],
    group: 'profile_pod_flows',
    portsByDefault: false,
    defaultBudget: PROFILE_POD_BUDGET,
    labelValues: profiledEdgePods<FlowRecord>(),
    split: DIRECTION,
    appliesTo: coversAnEnd,
    accumulate: (record, add) => {
      add(0, record.bytesForward);
      add(1, record.bytesReverse);
    },
  },
];

/** Whether the record has TCP statistics and its reporting end is a pod a profile keeps (`podDetail`). */
const reportedByCoveredPod = (record: FlowRecord): boolean =>
  record.tcp !== undefined && reportingEnd(record).podDetail;

const PROFILE_POD_TCP_LABELS: readonly FlowLabel[] = ['namespace', 'workload', 'pod'];

/**
 * TCP statistics per reporting pod of the workloads profiles aggregate by pod: appended to the flow families. Not per
 * edge: a pod's TCP health is what tells the lossy replica, and one label set per pod keeps the budget in pods.
 */
export const PROFILE_POD_TCP_FAMILIES: readonly RecordFamilyDefinition[] = [
  {
    name: 'flowlens_profile_pod_tcp_retransmissions_total',
    help: 'TCP segments retransmitted by the flows a pod reported (Calico tcp_total_retransmissions), per reporting pod, only for workloads an ObservabilityProfile with aggregation pod covers.',
    type: 'counter',
    labels: PROFILE_POD_TCP_LABELS,
    group: 'profile_pod_tcp',
    portsByDefault: false,
    defaultBudget: PROFILE_POD_BUDGET,
    appliesTo: reportedByCoveredPod,
    accumulate: (record, add) => add(0, record.tcp?.retransmissions ?? 0),
  },
  {
    name: 'flowlens_profile_pod_tcp_smooth_rtt_seconds',
    help: 'Smoothed TCP round-trip time of the flows a pod reported, weighted by flow count (rate(_sum)/rate(_count) is the mean), per reporting pod, only for workloads an ObservabilityProfile with aggregation pod covers.',
    type: 'summary',
    unit: 'seconds',
    labels: PROFILE_POD_TCP_LABELS,
    group: 'profile_pod_tcp',
    portsByDefault: false,
    defaultBudget: PROFILE_POD_BUDGET,
    appliesTo: (record) => reportedByCoveredPod(record) && record.tcp?.meanSmoothRttSeconds !== undefined,
    accumulate: accumulateFlowWeighted(smoothRtt),
  },
];

export const FLOW_RECORDS: RecordKind<FlowRecord, FlowLabel> = {
  name: 'flows',
  labelValues: FLOW_LABEL_VALUES,
  boundedLabels: BOUNDED_LABELS,
  portLabel: 'dest_port',
  podLabels: { source_workload: 'source_pod', dest_workload: 'dest_pod' },
  families: [...FLOW_FAMILIES, ...PROFILE_POD_FLOW_FAMILIES, ...PROFILE_POD_TCP_FAMILIES],
};

/** A label whose value comes from a DNS record. */
export type DnsLabel =
  | 'client_namespace'
  | 'client_workload'
  | 'client_pod'
  | 'server_namespace'
  | 'server_workload'
  | 'server_pod'
  | 'qname'
  | 'qtype'
  | 'rcode';

export const DNS_LABEL_VALUES: Readonly<Record<DnsLabel, (record: DnsRecord) => string>> = {
  client_namespace: (record) => record.client.namespace,
  client_workload: (record) => record.client.workload,
  client_pod: (record) => record.client.pod,
  server_namespace: (record) => record.server.namespace,
  server_workload: (record) => record.server.workload,
  server_pod: (record) => record.server.pod,
  qname: (record) => record.qname,
  qtype: (record) => record.qtype,
  rcode: (record) => record.rcode,
};

/** The value of a top-K-bounded label for the names outside a window's top K. */
export const OTHER_VALUE = '__other__';
export const DEFAULT_TOP_K = 100;
/** The top-K window: each client namespace's K names are chosen afresh every window. */
export const TOP_K_WINDOW_SECONDS = 300;

/** DNS latency buckets, in seconds: a cache hit is well under a millisecond, an upstream timeout seconds. */
export const DNS_LATENCY_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

export const DNS_FAMILIES: readonly RecordFamilyDefinition<DnsRecord, DnsLabel>[] = [
  {
    name: 'flowlens_dns_requests_total',
    help: 'DNS queries between client and server workloads, by query type and response code.',
    type: 'counter',
    labels: ['client_namespace', 'client_workload', 'server_namespace', 'server_workload', 'qtype', 'rcode'],
    group: 'dns',
    portsByDefault: false,
    appliesTo: always,
    accumulate: (record, add) => add(0, record.count),
  },
  {
    name: 'flowlens_dns_latency_seconds',
    help: 'DNS query latency by client workload and response code. Calico reports a mean and a maximum per record: its mean is observed latency_count times, so buckets are approximate and _sum/_count exact.',
    type: 'histogram',
    unit: 'seconds',
    labels: ['client_namespace', 'client_workload', 'rcode'],
    group: 'dns_latency',
    portsByDefault: false,
    buckets: DNS_LATENCY_BUCKETS,
    appliesTo: (record) => record.latency !== undefined && record.latency.count > 0,
    accumulate: (record, add) => {
      const latency = record.latency;
      if (latency !== undefined) observeHistogram(DNS_LATENCY_BUCKETS, add, latency.meanSeconds, latency.count);
    },
  },
  {
    name: 'flowlens_dns_domain_requests_total',
    help: `DNS queries per queried name, by client namespace and response code. Each window (${TOP_K_WINDOW_SECONDS / 60}m), a client namespace's first K names (option topK, default ${DEFAULT_TOP_K}; the previous window's busiest carry over) keep their own series; other names count under qname="${OTHER_VALUE}".`,
    type: 'counter',
    labels: ['client_namespace', 'qname', 'rcode'],
    group: 'dns_domains',
    portsByDefault: false,
    topK: { label: 'qname', per: 'client_namespace' },
    appliesTo: always,
    accumulate: (record, add) => add(0, record.count),
  },
];

/** DNS queries per client pod of the workloads profiles aggregate by pod: appended to the DNS families. */
export const PROFILE_POD_DNS_FAMILIES: readonly RecordFamilyDefinition<DnsRecord, DnsLabel>[] = [
  {
    name: 'flowlens_profile_pod_dns_requests_total',
    help: 'DNS queries per client pod by response code, only for client workloads an ObservabilityProfile with aggregation pod covers.',
    type: 'counter',
    labels: ['client_namespace', 'client_workload', 'client_pod', 'rcode'],
    group: 'profile_pod_dns',
    portsByDefault: false,
    defaultBudget: PROFILE_POD_BUDGET,
    appliesTo: (record) => record.client.podDetail,
    accumulate: (record, add) => add(0, record.count),
  },
];

export const DNS_RECORDS: RecordKind<DnsRecord, DnsLabel> = {
  name: 'dns',
  labelValues: DNS_LABEL_VALUES,
  boundedLabels: new Set(['qtype', 'rcode']),
  portLabel: undefined,
  podLabels: { client_workload: 'client_pod', server_workload: 'server_pod' },
  families: [...DNS_FAMILIES, ...PROFILE_POD_DNS_FAMILIES],
};

/** A label whose value comes from an HTTP record. */
export type HttpLabel = EdgeLabel | 'method' | 'status_class';

export const HTTP_LABEL_VALUES: Readonly<Record<HttpLabel, (record: HttpRecord) => string>> = {
  ...edgeLabelValues<HttpRecord>(),
  method: (record) => normalizeMethod(record.method),
  status_class: (record) => record.statusClass,
};

/** HTTP request duration buckets, in seconds: from a cached answer to a request timing out. */
export const HTTP_DURATION_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const HTTP_EDGE_LABELS: readonly HttpLabel[] = [
  'source_namespace',
  'source_workload',
  'dest_namespace',
  'dest_workload',
  'dest_service',
];
const HTTP_REQUEST_LABELS: readonly HttpLabel[] = [...HTTP_EDGE_LABELS, 'method', 'status_class'];

export const HTTP_FAMILIES: readonly RecordFamilyDefinition<HttpRecord, HttpLabel>[] = [
  {
    name: 'flowlens_http_requests_total',
    help: 'HTTP requests between workloads, by method (standard methods; others count as OTHER) and status class (1xx..5xx, unknown when no response was sent). An aggregated Calico L7 line counts its count.',
    type: 'counter',
    labels: HTTP_REQUEST_LABELS,
    group: 'http',
    portsByDefault: false,
    appliesTo: always,
    accumulate: (record, add) => add(0, record.count),
  },
  {
    name: 'flowlens_http_request_bytes_total',
    help: 'HTTP request body bytes received from clients (Envoy BYTES_RECEIVED, Calico bytes_in over the aggregated requests).',
    type: 'counter',
    unit: 'bytes',
    labels: HTTP_REQUEST_LABELS,
    group: 'http',
    portsByDefault: false,
    appliesTo: always,
    accumulate: (record, add) => add(0, record.bytesReceived),
  },
  {
    name: 'flowlens_http_response_bytes_total',
    help: 'HTTP response body bytes sent back to clients (Envoy BYTES_SENT, Calico bytes_out over the aggregated requests).',
    type: 'counter',
    unit: 'bytes',
    labels: HTTP_REQUEST_LABELS,
    group: 'http',
    portsByDefault: false,
    appliesTo: always,
    accumulate: (record, add) => add(0, record.bytesSent),
  },
  {
    name: 'flowlens_http_request_duration_seconds',
    help: 'HTTP request duration between workloads by status class (no method label, to keep the buckets few). Calico L7 lines give a mean per aggregate: it is observed count times, so buckets are approximate and _sum/_count exact.',
    type: 'histogram',
    unit: 'seconds',
    labels: [...HTTP_EDGE_LABELS, 'status_class'],
    group: 'http_duration',
    portsByDefault: false,
    buckets: HTTP_DURATION_BUCKETS,
    appliesTo: (record) => record.durationSeconds !== undefined,
    accumulate: (record, add) => {
      if (record.durationSeconds !== undefined) {
        observeHistogram(HTTP_DURATION_BUCKETS, add, record.durationSeconds, record.count);
      }
    },
  },
];

/**
 * The server pods' request durations, only for server workloads profiles aggregate by pod: the one slow replica
 * behind a Service. The server's pod alone (no client, no status class) keeps a label set per pod, so the budget
 * counts pods; the buckets are the workload-level histogram's, so the two compare bucket for bucket.
 */
export const PROFILE_POD_HTTP_DURATION: RecordFamilyDefinition<HttpRecord, HttpLabel> = {
  name: 'flowlens_profile_pod_http_request_duration_seconds',
  help: 'HTTP request duration per server pod, only for server workloads an ObservabilityProfile with aggregation pod covers. Calico L7 lines give a mean per aggregate: it is observed count times, so buckets are approximate and _sum/_count exact.',
  type: 'histogram',
  unit: 'seconds',
  labels: ['dest_namespace', 'dest_workload', 'dest_pod'],
  group: 'profile_pod_http_duration',
  portsByDefault: false,
  buckets: HTTP_DURATION_BUCKETS,
  defaultBudget: PROFILE_POD_BUDGET,
  appliesTo: (record) => record.destination.podDetail && record.durationSeconds !== undefined,
  accumulate: (record, add) => {
    if (record.durationSeconds !== undefined) {
      observeHistogram(HTTP_DURATION_BUCKETS, add, record.durationSeconds, record.count);
    }
  },
};

/** HTTP requests and durations per pod of the workloads profiles aggregate by pod: appended to the HTTP families. */
export const PROFILE_POD_HTTP_FAMILIES: readonly RecordFamilyDefinition<HttpRecord, HttpLabel>[] = [
  {
    name: 'flowlens_profile_pod_http_requests_total',
    help: `HTTP requests between pods by status class. ${PROFILE_POD_HELP}`,
    type: 'counter',
    labels: [...PROFILE_POD_EDGE_LABELS, 'status_class'],
    group: 'profile_pod_http',
    portsByDefault: false,
    defaultBudget: PROFILE_POD_BUDGET,
    labelValues: profiledEdgePods<HttpRecord>(),
    appliesTo: coversAnEnd,
    accumulate: (record, add) => add(0, record.count),
  },
  PROFILE_POD_HTTP_DURATION,
];

export const HTTP_RECORDS: RecordKind<HttpRecord, HttpLabel> = {
  name: 'http',
  labelValues: HTTP_LABEL_VALUES,
  boundedLabels: new Set(['method', 'status_class']),
  portLabel: undefined,
  podLabels: { source_workload: 'source_pod', dest_workload: 'dest_pod' },
  families: [...HTTP_FAMILIES, ...PROFILE_POD_HTTP_FAMILIES],
};

/** A label whose value comes from an audit record. */
export type AuditLabel = 'verb' | 'resource' | 'namespace' | 'status_class' | 'user_kind';

/** Kubernetes API verbs; anything else (a custom verb, an odd non-resource request) reads `other`. */
const AUDIT_VERBS: ReadonlySet<string> = new Set([
  'get',
  'list',
  'watch',
  'create',
  'update',
  'patch',
  'delete',
  'deletecollection',
  'proxy',
  'post',
  'put',
  'head',
  'options',
]);

export const AUDIT_LABEL_VALUES: Readonly<Record<AuditLabel, (record: AuditRecord) => string>> = {
  verb: (record) => (AUDIT_VERBS.has(record.verb) ? record.verb : 'other'),
  resource: (record) => record.resource,
  namespace: (record) => record.namespace,
  status_class: (record) => record.statusClass,
  user_kind: (record) => record.userKind,
};

/** The notable kinds of request, one value column each: a request can be several (a denied RBAC change). */
export const AUDIT_NOTABLE_KINDS: SplitLabel = {
  name: 'kind',
  values: ['policy_change', 'rbac_change', 'denied', 'pod_access'],
};

const isNotable = (record: AuditRecord): boolean =>
  record.policyChange || record.rbacChange || record.denied || record.podAccess;

export const AUDIT_FAMILIES: readonly RecordFamilyDefinition<AuditRecord, AuditLabel>[] = [
  {
    name: 'flowlens_k8s_audit_events_total',
    help: 'Kubernetes API requests from the audit log or webhook, each counted once (at ResponseComplete, or at ResponseStarted for long-running ones), by verb, resource (with subresource), namespace and status class.',
    type: 'counter',
    labels: ['verb', 'resource', 'namespace', 'status_class'],
    group: 'audit',
    portsByDefault: false,
    appliesTo: always,
    accumulate: (_record, add) => add(0, 1),
  },
  {
    name: 'flowlens_k8s_audit_notable_total',
    help: 'Notable Kubernetes API requests by kind (policy_change: network policy objects created, changed or deleted; rbac_change: roles and bindings; denied: 401/403; pod_access: exec, attach, port-forward), the kind of user (user, serviceaccount, system, unauthenticated) and namespace. Changes count whatever their outcome; a request may be of several kinds.',
    type: 'counter',
    labels: ['user_kind', 'namespace'],
    group: 'audit_notable',
    portsByDefault: false,
    split: AUDIT_NOTABLE_KINDS,
    appliesTo: isNotable,
    accumulate: (record, add) => {
      add(0, record.policyChange ? 1 : 0);
      add(1, record.rbacChange ? 1 : 0);
      add(2, record.denied ? 1 : 0);
      add(3, record.podAccess ? 1 : 0);
    },
  },
];

export const AUDIT_RECORDS: RecordKind<AuditRecord, AuditLabel> = {
  name: 'audit',
  labelValues: AUDIT_LABEL_VALUES,
  boundedLabels: new Set(['verb', 'status_class', 'user_kind']),
  portLabel: undefined,
  podLabels: {},
  families: AUDIT_FAMILIES,
};

/** A label of the socket families (see SocketSample). */
export type SocketLabel = 'namespace' | 'workload' | 'pod' | 'protocol' | 'state' | 'process' | 'port';

export const SOCKET_LABEL_VALUES: Readonly<Record<SocketLabel, (sample: SocketSample) => string>> = {
  namespace: (sample) => sample.namespace,
  workload: (sample) => sample.workload,
  pod: (sample) => sample.pod,
  protocol: (sample) => sample.protocol,
  state: (sample) => sample.state,
  process: (sample) => sample.process,
  port: (sample) => sample.port,
};

/** Labels of the socket families that keep their values on budget overflow: a few fixed values each. */
const SOCKET_BOUNDED_LABELS: ReadonlySet<string> = new Set(['protocol', 'state']);

/**
 * Gauges of the latest scan of each `sockets` source: each scan replaces them, so the series of a pod that is
 * gone go with the scan that no longer sees it.
 */
export const SOCKET_FAMILIES: readonly RecordFamilyDefinition<SocketSample, SocketLabel>[] = [
  {
    name: 'flowlens_sockets',
    help: 'Sockets of the pods on the node at the latest scan, by workload, protocol (tcp, udp; IPv4 and IPv6 together) and state (TCP states in lower case; udp: connected, unconnected).',
    type: 'gauge',
    labels: ['namespace', 'workload', 'protocol', 'state'],
    group: 'sockets',
    portsByDefault: false,
    appliesTo: (sample) => sample.what === 'state',
    accumulate: (sample, add) => add(0, sample.count),
  },
  {
    name: 'flowlens_socket_queue_bytes',
    help: 'Bytes waiting in the send queues (sent, not acknowledged; udp: not sent yet) and receive queues (not read by the application) of the pods’ sockets at the latest scan. Listening sockets (whose queues count connections) and connecting ones (whose send queue is their SYN) are left out.',
    type: 'gauge',
    unit: 'bytes',
    labels: ['namespace', 'workload', 'protocol'],
    group: 'socket_queues',
    portsByDefault: false,
    split: { name: 'queue', values: ['send', 'receive'] },
    appliesTo: (sample) => sample.what === 'state',
    accumulate: (sample, add) => {
      add(0, sample.sendQueueBytes);
      add(1, sample.receiveQueueBytes);
    },
  },
  {
    name: 'flowlens_listening_sockets',
    help: 'Listening sockets (TCP LISTEN, bound unconnected UDP) of the pods at the latest scan, by the process holding them (its comm name; unknown when no process of the pod could be seen holding it), protocol and port.',
    type: 'gauge',
    labels: ['namespace', 'workload', 'process', 'protocol', 'port'],
    group: 'listening',
    portsByDefault: true,
    appliesTo: (sample) => sample.what === 'listening',
    accumulate: (sample, add) => add(0, sample.count),
  },
];

export const SOCKET_RECORDS: RecordKind<SocketSample, SocketLabel> = {
  name: 'sockets',
  labelValues: SOCKET_LABEL_VALUES,
  boundedLabels: SOCKET_BOUNDED_LABELS,
  portLabel: 'port',
  podLabels: { workload: 'pod' },
  families: SOCKET_FAMILIES,
};

const POD_LABELS: readonly SocketLabel[] = ['namespace', 'workload', 'pod'];
const isTcpChange = (sample: SocketSample): boolean => sample.what === 'tcp';

/**
 * Counters of each pod network namespace's TCP stack (/proc/net/snmp and netstat), counted from their change
 * between scans: a namespace first seen counts its whole value, and one whose counter went down is a new
 * namespace under a reused inode and counts from its value again.
 */
export const POD_TCP_FAMILIES: readonly RecordFamilyDefinition<SocketSample, SocketLabel>[] = [
  {
    name: 'flowlens_pod_tcp_retransmitted_segments_total',
    help: 'TCP segments retransmitted by a pod (Tcp RetransSegs of its network namespace).',
    type: 'counter',
    labels: POD_LABELS,
    group: 'pod_tcp',
    portsByDefault: false,
    appliesTo: isTcpChange,
    accumulate: (sample, add) => add(0, sample.tcp.retransmittedSegments),
  },
  {
    name: 'flowlens_pod_tcp_resets_total',
    help: 'TCP segments with RST sent by a pod (Tcp OutRsts): refused connections, aborts.',
    type: 'counter',
    labels: POD_LABELS,
    group: 'pod_tcp',
    portsByDefault: false,
    appliesTo: isTcpChange,
    accumulate: (sample, add) => add(0, sample.tcp.resetsSent),
  },
  {
    name: 'flowlens_pod_tcp_established_resets_total',
    help: 'TCP connections of a pod reset from ESTABLISHED or CLOSE_WAIT (Tcp EstabResets).',
    type: 'counter',
    labels: POD_LABELS,
    group: 'pod_tcp',
    portsByDefault: false,
    appliesTo: isTcpChange,
    accumulate: (sample, add) => add(0, sample.tcp.establishedResets),
  },
  {
    name: 'flowlens_pod_tcp_listen_overflows_total',
    help: 'Times a listen queue of a pod was full when a connection completed (TcpExt ListenOverflows): the application accepts too slowly.',
    type: 'counter',
    labels: POD_LABELS,
    group: 'pod_tcp',
    portsByDefault: false,
    appliesTo: isTcpChange,
    accumulate: (sample, add) => add(0, sample.tcp.listenOverflows),
  },
  {
    name: 'flowlens_pod_tcp_listen_drops_total',
    help: 'Connection attempts a pod’s listeners dropped for any reason, overflows included (TcpExt ListenDrops).',
    type: 'counter',
    labels: POD_LABELS,
    group: 'pod_tcp',
    portsByDefault: false,
    appliesTo: isTcpChange,
    accumulate: (sample, add) => add(0, sample.tcp.listenDrops),
  },
];

export const POD_TCP_RECORDS: RecordKind<SocketSample, SocketLabel> = {
  name: 'pod_tcp',
  labelValues: SOCKET_LABEL_VALUES,
  boundedLabels: SOCKET_BOUNDED_LABELS,
  portLabel: undefined,
  podLabels: {},
  families: POD_TCP_FAMILIES,
};

/** A family of any record kind. */
export type AnyRecordFamily =
  | RecordFamilyDefinition<FlowRecord, FlowLabel>
  | RecordFamilyDefinition<DnsRecord, DnsLabel>
  | RecordFamilyDefinition<HttpRecord, HttpLabel>
  | RecordFamilyDefinition<AuditRecord, AuditLabel>
  | RecordFamilyDefinition<SocketSample, SocketLabel>;

/** Every record family, flows first: the exposition's and the docs' order. */
export const RECORD_FAMILIES: readonly AnyRecordFamily[] = [
  ...FLOW_RECORDS.families,
  ...DNS_RECORDS.families,
  ...HTTP_RECORDS.families,
  ...AUDIT_FAMILIES,
  ...SOCKET_FAMILIES,
  ...POD_TCP_FAMILIES,
];

/** Self-metrics: the exporter's own health. */
export const SELF_FAMILIES = {
  ingestRecords: {
    name: 'flowlens_ingest_records_total',
    help: 'Records decoded and accepted, per source.',
    type: 'counter',
    labels: ['source'],
  },
  ingestErrors: {
    name: 'flowlens_ingest_errors_total',
    help: 'Input lines rejected, per source and reason (malformed, truncated, oversized, wrong_type, missing_field).',
    type: 'counter',
    labels: ['source', 'reason'],
  },
  policyMismatch: {
    name: 'flowlens_policy_mismatch_total',
    help: "Flows whose dataplane-reported deciding policy differs from the policy engine's: a stale view or an engine error.",
    type: 'counter',
    labels: [],
  },
  policyChanges: {
    name: 'flowlens_policy_changes_total',
    help: 'Policy objects created, updated or deleted in the cluster since the live view started (its first list excluded), per kind (Calico kinds prefixed projectcalico.org/), namespace (empty for cluster-wide kinds) and change.',
    type: 'counter',
    labels: ['kind', 'namespace', 'change'],
  },
  policyAttributed: {
    name: 'flowlens_policy_attributed_total',
    help: 'Flows whose input named no deciding policy and that took the policy engine’s answer.',
    type: 'counter',
    labels: [],
  },
  ingestSkipped: {
    name: 'flowlens_ingest_skipped_total',
    help: 'Valid input lines that are not records of interest (replies, lost-events notices, ...), per source and reason.',
    type: 'counter',
    labels: ['source', 'reason'],
  },
  sourceLag: {
    name: 'flowlens_source_lag_seconds',
    help: 'Time since the end of the newest record a source delivered.',
    type: 'gauge',
    unit: 'seconds',
    labels: ['source'],
  },
  socketScanDuration: {
    name: 'flowlens_socket_scan_duration_seconds',
    help: 'Wall-clock time the latest scan of a sockets source took (it yields to other work while it runs); most of it is the kernel listing each pod’s TCP sockets, see docs/sockets.md.',
    type: 'gauge',
    unit: 'seconds',
    labels: ['source'],
  },
  sourceUnread: {
    name: 'flowlens_source_unread_bytes',
    help: 'Bytes written to a source file and not read yet.',
    type: 'gauge',
    unit: 'bytes',
    labels: ['source'],
  },
  seriesActive: {
    name: 'flowlens_series_active',
    help: 'Active series per metric family.',
    type: 'gauge',
    labels: ['family'],
  },
  seriesBudget: {
    name: 'flowlens_series_budget',
    help: 'Series budget per metric family: past it, new label sets fold into the __overflow__ series.',
    type: 'gauge',
    labels: ['family'],
  },
  seriesOverflow: {
    name: 'flowlens_series_overflowed_samples_total',
    help: 'Samples folded into a family’s __overflow__ series because its budget was full.',
    type: 'counter',
    labels: ['family'],
  },
  seriesEvicted: {
    name: 'flowlens_series_evicted_total',
    help: 'Series removed after staying idle longer than the family’s TTL.',
    type: 'counter',
    labels: ['family'],
  },
  recommendations: {
    name: 'flowlens_recommendations_total',
    help: '`/api/v1/recommendations` requests that reached the recommendation worker, by outcome: answer (any status the computation gave, 502 for an unreadable Prometheus answer included), busy (503, the queue was full), timeout (504, api.recommendationTimeout), failed (500), closed (503, shutting down), abandoned (the caller left while it waited).',
    type: 'counter',
    labels: ['outcome'],
  },
  k8sCacheSynced: {
    name: 'flowlens_k8s_cache_synced',
    help: 'Whether the live cluster view is in sync with a Kubernetes resource (1): listed, and its watch not failing since; absent APIs are not reported.',
    type: 'gauge',
    labels: ['resource'],
  },
  k8sWatchErrors: {
    name: 'flowlens_k8s_watch_errors_total',
    help: 'Failed or restarted lists and watches of the live cluster view, and objects it skipped, per resource and reason (connection, expired, stalled, unauthorized, server_error, client_error, invalid_object, other).',
    type: 'counter',
    labels: ['resource', 'reason'],
  },
  k8sObjects: {
    name: 'flowlens_k8s_objects',
    help: 'Objects the live cluster view holds, per Kubernetes resource.',
    type: 'gauge',
    labels: ['resource'],
  },
  conntrackConnections: {
    name: 'flowlens_conntrack_connections',
    help: 'Connections a conntrack source remembered after its last poll (at most its max-connections).',
    type: 'gauge',
    labels: ['source'],
  },
  conntrackUntracked: {
    name: 'flowlens_conntrack_untracked_connections',
    help: 'Connections of the last conntrack poll that were not counted because the source’s table was full (max-connections): their flows, bytes and packets are missing.',
    type: 'gauge',
    labels: ['source'],
  },
  conntrackAccounting: {
    name: 'flowlens_conntrack_accounting',
    help: 'Whether the conntrack entries of a source carry byte and packet counters (1) or not (0: net.netfilter.nf_conntrack_acct is off, so its flows count no bytes or packets).',
    type: 'gauge',
    labels: ['source'],
  },
  capturesActive: {
    name: 'flowlens_captures_active',
    help: 'Packet captures (PacketCapture resources) this exporter is running on its node now.',
    type: 'gauge',
    labels: [],
  },
  capturePackets: {
    name: 'flowlens_capture_packets_total',
    help: 'Packets written to capture files on this node, per namespace of the PacketCapture.',
    type: 'counter',
    labels: ['namespace'],
  },
  captureBytes: {
    name: 'flowlens_capture_bytes_total',
    help: 'Bytes written to capture files on this node (pcap headers included), per namespace of the PacketCapture.',
    type: 'counter',
    unit: 'bytes',
    labels: ['namespace'],
  },
  captureInfo: {
    name: 'flowlens_capture_info',
    help: 'One series per PacketCapture this node captures for (it selected pods here), labelled with its current state on this node (Scheduled, WaitingForTraffic, Capturing, Finished, Error); the value is always 1. Removed when the capture is deleted, and 1h after it finished; at most 200 captures per node (running ones take the places of finished ones first).',
    type: 'info',
    labels: ['namespace', 'name', 'node', 'state'],
  },
  captureNodeBytes: {
    name: 'flowlens_capture_node_bytes',
    help: 'Bytes of a PacketCapture’s files on this node so far (pcap headers included), the status’ bytes; present while the capture has a flowlens_capture_info series.',
    type: 'gauge',
    unit: 'bytes',
    labels: ['namespace', 'name', 'node'],
  },
  captureNodePackets: {
    name: 'flowlens_capture_node_packets',
    help: 'Packets in a PacketCapture’s files on this node so far, the status’ packets; present while the capture has a flowlens_capture_info series.',
    type: 'gauge',
    labels: ['namespace', 'name', 'node'],
  },
  buildInfo: {
    name: 'flowlens_build_info',
    help: 'Build information; the value is always 1.',
    type: 'info',
    labels: ['version', 'nodejs_version'],
  },
  processCpu: {
    name: 'process_cpu_seconds_total',
    help: 'User and system CPU time spent by the exporter.',
    type: 'counter',
    unit: 'seconds',
    labels: [],
  },
  processMemory: {
    name: 'process_resident_memory_bytes',
    help: 'Resident memory of the exporter.',
    type: 'gauge',
    unit: 'bytes',
    labels: [],
  },
  processStart: {
    name: 'process_start_time_seconds',
    help: 'Start time of the exporter since the Unix epoch.',
    type: 'gauge',
    unit: 'seconds',
    labels: [],
  },
  heapUsed: {
    name: 'nodejs_heap_used_bytes',
    help: 'V8 heap in use by the exporter.',
    type: 'gauge',
    unit: 'bytes',
    labels: [],
  },
} as const satisfies Record<string, FamilyDefinition>;

/** A family computed from the pipeline's output rather than counted from records, with its own series bound. */
export interface DerivedFamilyDefinition extends FamilyDefinition {
  /** Most series the family shows: its cardinality budget (configurable where the text says so). */
  readonly budget: string;
  /** When a series disappears. */
  readonly ttl: string;
}

/** The anomaly detector's families (analytics/anomaly/): see docs/architecture.md (Anomaly detection). */
export const ANOMALY_FAMILIES = {
  score: {
    name: 'flowlens_anomaly_score',
    help: 'Robust z-score of a watched series in the latest closed detection window against its own baseline and, once learnt, its time-of-day profile (the lower of the two; new edges: 10 while new; traffic drops: 10 × the share of the expected flows missing), for the top N series by score with a positive score. `namespace`/`workload` is the cluster workload the series belongs to; an edge also has `direction` (egress to the peer, or ingress from a peer outside the cluster) and the peer.',
    type: 'gauge',
    labels: ['kind', 'namespace', 'workload', 'direction', 'peer_namespace', 'peer_workload'],
    budget: 'the top N by score (`anomaly.topN`, default 20)',
    ttl: 'refilled at each closed window; all gone when no window closed for 5 windows',
  },
  alarms: {
    name: 'flowlens_anomalies_total',
    help: 'Anomalies raised per kind: a series entering the alarmed state (hysteresis), or a new edge.',
    type: 'counter',
    labels: ['kind'],
    budget: 'one series per kind (9)',
    ttl: 'none (counters)',
  },
  tracked: {
    name: 'flowlens_anomaly_tracked_series',
    help: 'Series the anomaly detector keeps a baseline of, per kind (new_edge: remembered peers over all source workloads; traffic_drop: flow series with a time-of-day profile).',
    type: 'gauge',
    labels: ['kind'],
    budget: 'one series per kind (9)',
    ttl: 'none',
  },
  evicted: {
    name: 'flowlens_anomaly_evicted_series_total',
    help: 'Series (new_edge: sources or peers) the anomaly detector dropped because the kind was at its maximum, least recently updated first.',
    type: 'counter',
    labels: ['kind'],
    budget: 'one series per kind (9)',
    ttl: 'none (counters)',
  },
  late: {
    name: 'flowlens_anomaly_late_records_total',
    help: 'Records that arrived after their detection window was judged (a source more than a window behind the others): counted in the other families, left out of the anomaly detectors’ totals.',
    type: 'counter',
    labels: [],
    budget: 'one series',
    ttl: 'none (counters)',
  },
} as const satisfies Record<string, DerivedFamilyDefinition>;

export const ALL_FAMILIES: readonly FamilyDefinition[] = [
  ...RECORD_FAMILIES,
  ...Object.values(SELF_FAMILIES),
  ...Object.values(ANOMALY_FAMILIES),
];

export function recordFamily(name: string): AnyRecordFamily | undefined {
  return RECORD_FAMILIES.find((family) => family.name === name);
}
