/**
 * `calico-flows`: Calico flow log JSON lines, one aggregated record per line (see formats.md). The decoder
 * maps Calico's reporter-relative counters to forward/reverse, its endpoint types to endpoint kinds and its
 * policy trace to PolicyHits. Workloads of pods are left to the enrich stage, which knows the cluster.
 */
import { decidingPolicy, PolicyEntryParser } from './calico-policy';
import {
  isObject,
  optionalCount,
  optionalNumber,
  optionalObject,
  optionalString,
  optionalStringArray,
  parseJsonObject,
  requiredCount,
  requiredEnum,
  requiredString,
  type JsonObject,
} from './json-fields';
import { DecodeError, type LineDecoder, type LineSourceKind, type RecordSink } from './types';
import { LabelSet } from '../model/labels';
import type { Endpoint, EndpointKind, FlowRecord, PolicyHit, TcpStats } from '../model/flow';

const REPORTERS = ['src', 'dst'] as const;
const ACTIONS = ['allow', 'deny'] as const;
const MICROSECONDS = 1e-6;

/** Calico's endpoint types to ours; `net` is split into world/private by the `pub`/`pvt` aggregate name. */
const ENDPOINT_TYPES: Record<string, EndpointKind> = { wep: 'pod', hep: 'host', ns: 'networkset', net: 'world' };

class CalicoFlowDecoder implements LineDecoder {
  private readonly policies = new PolicyEntryParser();

  decode(line: string, sink: RecordSink): void {
    const raw = parseJsonObject(line);
    const reporter = requiredEnum(raw, 'reporter', REPORTERS);
    const bytesIn = requiredCount(raw, 'bytes_in');
    const bytesOut = requiredCount(raw, 'bytes_out');
    const packetsIn = requiredCount(raw, 'packets_in');
    const packetsOut = requiredCount(raw, 'packets_out');
    const fromSource = reporter === 'src';
    const { enforced, pending } = this.readPolicies(raw);
    const record: FlowRecord = {
      startTime: optionalNumber(raw, 'start_time') ?? 0,
      endTime: optionalNumber(raw, 'end_time') ?? 0,
      node: optionalString(raw, 'host'),
      source: readEndpoint(raw, 'source'),
      destination: readEndpoint(raw, 'destination'),
      destPort: readPort(raw, 'dest_port'),
      protocol: requiredString(raw, 'proto').toLowerCase(),
      action: requiredEnum(raw, 'action', ACTIONS),
      reporter,
      enforcedPolicies: enforced,
      pendingPolicies: pending,
      verdict: decidingPolicy(enforced),
      // Calico counts from the reporter's point of view: what the source sent is bytes_out at the source
      // and bytes_in at the destination.
      bytesForward: fromSource ? bytesOut : bytesIn,
      bytesReverse: fromSource ? bytesIn : bytesOut,
      packetsForward: fromSource ? packetsOut : packetsIn,
      packetsReverse: fromSource ? packetsIn : packetsOut,
      flows: requiredCount(raw, 'num_flows'),
      flowsStarted: optionalCount(raw, 'num_flows_started') ?? 0,
      flowsCompleted: optionalCount(raw, 'num_flows_completed') ?? 0,
      tcp: readTcpStats(raw),
    };
    sink.flow(record);
  }

  private readPolicies(raw: JsonObject): { enforced: PolicyHit[]; pending: PolicyHit[] } {
    const policies = optionalObject(raw, 'policies');
    if (policies === undefined) return { enforced: [], pending: [] };
    // Newer Calico splits the trace into enforced and pending (staged); older versions only have all_policies.
    const enforcedEntries =
      policies['enforced_policies'] !== undefined
        ? optionalStringArray(policies, 'enforced_policies')
        : optionalStringArray(policies, 'all_policies');
    const traced = enforcedEntries.map((entry) => this.policies.parse(entry));
    const pending = optionalStringArray(policies, 'pending_policies').map((entry) => this.policies.parse(entry));
    // all_policies mixes staged entries into the trace; they belong with the pending ones.
    const enforced = traced.filter((hit) => !hit.staged);
    if (enforced.length !== traced.length && pending.length === 0) pending.push(...traced.filter((hit) => hit.staged));
    return { enforced, pending };
  }
}

/** Field names per end, spelled out once: building them per record (`${prefix}type`) costs a lookup each. */
const ENDPOINT_FIELDS = {
  source: {
    type: 'source_type',
    name: 'source_name',
    aggregatedName: 'source_name_aggr',
    ip: 'source_ip',
    namespace: 'source_namespace',
    labels: 'source_labels',
  },
  destination: {
    type: 'dest_type',
    name: 'dest_name',
    aggregatedName: 'dest_name_aggr',
    ip: 'dest_ip',
    namespace: 'dest_namespace',
    labels: 'dest_labels',
  },
} as const;

function readEndpoint(raw: JsonObject, end: 'source' | 'destination'): Endpoint {
  const fields = ENDPOINT_FIELDS[end];
  const name = optionalString(raw, fields.name);
  const aggregatedName = optionalString(raw, fields.aggregatedName);
  let kind: EndpointKind = ENDPOINT_TYPES[optionalString(raw, fields.type)] ?? 'unknown';
  if (kind === 'world' && aggregatedName === 'pvt') kind = 'private';
  const isPod = kind === 'pod';
  const isDestination = end === 'destination';
  return {
    kind,
    namespace: isPod ? optionalString(raw, fields.namespace) : '',
    workload: isPod || kind === 'world' || kind === 'private' ? '' : aggregatedName !== '' ? aggregatedName : name,
    workloadKind: kind === 'networkset' ? 'NetworkSet' : kind === 'host' ? 'HostEndpoint' : '',
    pod: isPod ? (name !== '' ? name : aggregatedName) : '',
    ip: optionalString(raw, fields.ip),
    labels: readLabels(raw, fields.labels),
    service: isDestination ? optionalString(raw, 'dest_service_name') : '',
    serviceNamespace: isDestination ? optionalString(raw, 'dest_service_namespace') : '',
    podDetail: false,
  };
}

/** Calico writes `{"labels": ["k=v", ...]}`; some pipelines flatten it to the array or to a map. */
function readLabels(raw: JsonObject, field: string): LabelSet | undefined {
  const value = raw[field];
  if (value === undefined || value === null || value === '-') return undefined;
  if (Array.isArray(value)) return LabelSet.fromPairs(optionalStringArray(raw, field));
  if (isObject(value)) {
    if (Array.isArray(value['labels'])) return LabelSet.fromPairs(optionalStringArray(value, 'labels'));
    const labels: Record<string, string> = {};
    for (const [key, labelValue] of Object.entries(value)) {
      if (typeof labelValue !== 'string') {
        throw new DecodeError('wrong_type', `field "${field}.${key}" must be a string`);
      }
      labels[key] = labelValue;
    }
    return LabelSet.fromRecord(labels);
  }
  throw new DecodeError('wrong_type', `field "${field}" must be an object or an array of "key=value" strings`);
}

function readPort(raw: JsonObject, field: string): number | undefined {
  const port = optionalNumber(raw, field);
  if (port === undefined) return undefined;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new DecodeError('wrong_type', `field "${field}" must be a port number 0-65535, got ${port}`);
  }
  return port;
}

function readTcpStats(raw: JsonObject): TcpStats | undefined {
  const meanSmoothRtt = optionalNumber(raw, 'tcp_mean_smooth_rtt');
  const retransmissions = optionalCount(raw, 'tcp_total_retransmissions');
  if (meanSmoothRtt === undefined && retransmissions === undefined) return undefined;
  const seconds = (value: number | undefined): number | undefined =>
    value === undefined ? undefined : value * MICROSECONDS;
  return {
    meanSmoothRttSeconds: seconds(meanSmoothRtt),
    maxSmoothRttSeconds: seconds(optionalNumber(raw, 'tcp_max_smooth_rtt')),
    meanMinRttSeconds: seconds(optionalNumber(raw, 'tcp_mean_min_rtt')),
    retransmissions,
    lostPackets: optionalCount(raw, 'tcp_lost_packets'),
    unrecoveredTimeouts: optionalCount(raw, 'tcp_unrecovered_to'),
    meanSendCongestionWindow: optionalNumber(raw, 'tcp_mean_send_congestion_window'),
    meanMss: optionalNumber(raw, 'tcp_mean_mss'),
  };
}

export const calicoFlowsSource: LineSourceKind = {
  kind: 'calico-flows',
  description: 'Calico flow log JSON lines (flows.log), one aggregated record per line',
  input: 'lines',
  createDecoder: () => new CalicoFlowDecoder(),
};
