/**
 * `hubble`: Cilium Hubble flows as JSON lines, as `hubble observe -o jsonpb` and the Hubble exporter write
 * them: `{"flow": {...}, "node_name": ..., "time": ...}`. Hubble flows are events without byte counters;
 * a reply (`is_reply: true`) belongs to a flow already counted, so it is skipped, not counted again.
 * L7 DNS events become DNS records: a query yields a REQUEST and a RESPONSE event, and only the RESPONSE
 * (which carries the response code and latency) is counted, so each answered query counts once. L7 HTTP events
 * become HTTP records the same way: the RESPONSE event carries the code and latency_ns and counts the request;
 * the REQUEST event is skipped as `http_request`.
 */
import {
  describeType,
  isObject,
  optionalNumber,
  optionalObject,
  optionalString,
  optionalStringArray,
  parseJsonObject,
  type JsonObject,
} from './json-fields';
import { policyLabel } from './calico-policy';
import { DecodeError, type LineDecoder, type LineSourceKind, type RecordSink } from './types';
import { isPrivateAddress } from '../model/workload';
import { normalizeQname, normalizeQtype, normalizeRcode, type DnsRecord } from '../model/dns';
import { statusClassOf, type HttpRecord } from '../model/http';
import { LabelSet } from '../model/labels';
import {
  UNKNOWN_POLICY,
  type Action,
  type Endpoint,
  type FlowRecord,
  type PolicyHit,
  type PolicyKind,
  type PolicyVerdict,
} from '../model/flow';

const VERDICTS: Record<string, Action> = {
  FORWARDED: 'allow',
  REDIRECTED: 'allow',
  TRANSLATED: 'allow',
  TRACED: 'allow',
  // Audit mode: the flow would have been denied but was let through; the dataplane allowed it.
  AUDIT: 'allow',
  DROPPED: 'deny',
  ERROR: 'deny',
};

const POLICY_KINDS: Record<string, PolicyKind> = {
  NetworkPolicy: 'kubernetes',
  CiliumNetworkPolicy: 'cilium',
  CiliumClusterwideNetworkPolicy: 'cilium',
  AdminNetworkPolicy: 'admin',
  BaselineAdminNetworkPolicy: 'baseline-admin',
};

/** Cilium has no tiers; its policies are reported in Calico's `default` tier so dashboards treat both alike. */
const HUBBLE_POLICY_TIER = 'default';

/** Lines that are valid Hubble output but not flows. */
const NON_FLOW_KEYS = ['lost_events', 'node_status', 'debug_event', 'agent_event'];

class HubbleDecoder implements LineDecoder {
  decode(line: string, sink: RecordSink): void {
    const envelope = parseJsonObject(line);
    const flow = envelope['flow'];
    if (flow === undefined) {
      const other = NON_FLOW_KEYS.find((key) => envelope[key] !== undefined);
      if (other !== undefined) return sink.skipped(other);
      throw new DecodeError('missing_field', 'field "flow" is missing');
    }
    if (!isObject(flow))
      throw new DecodeError('wrong_type', `field "flow" must be an object, got ${describeType(flow)}`);

    const type = optionalString(flow, 'Type');
    const l7 = type === 'L7' ? optionalObject(flow, 'l7') : undefined;
    if (l7 !== undefined && l7['dns'] !== undefined) return decodeDns(envelope, flow, l7, sink);
    if (l7 !== undefined && l7['http'] !== undefined) return decodeHttp(envelope, flow, l7, sink);

    const isReply = flow['is_reply'];
    if (isReply !== undefined && typeof isReply !== 'boolean') {
      throw new DecodeError('wrong_type', `field "flow.is_reply" must be a boolean, got ${describeType(isReply)}`);
    }
    if (isReply === true) return sink.skipped('reply');
    // Other L7 events (HTTP, Kafka) describe requests on flows already seen at L3/L4.
    if (type === 'L7') return sink.skipped('l7');

    const verdictText = optionalString(flow, 'verdict');
    if (verdictText === '') throw new DecodeError('missing_field', 'field "flow.verdict" is missing');
    const action = VERDICTS[verdictText];
    if (action === undefined) {
      throw new DecodeError('wrong_type', `field "flow.verdict" has unknown value "${verdictText}"`);
    }
    const ip = optionalObject(flow, 'IP');
    const { protocol, destPort, tcpFlags } = readLayer4(flow);
    const egress = optionalString(flow, 'traffic_direction') === 'EGRESS';
    const policies = readPolicies(flow, egress, action);
    const timeSeconds = readTime(flow['time'] ?? envelope['time']);
    const record: FlowRecord = {
      startTime: timeSeconds,
      endTime: timeSeconds,
      node: optionalString(flow, 'node_name') || optionalString(envelope, 'node_name'),
      source: readEndpoint(flow, 'source', ip ? optionalString(ip, 'source') : ''),
      destination: readEndpoint(flow, 'destination', ip ? optionalString(ip, 'destination') : ''),
      destPort,
      protocol,
      action,
      reporter: egress ? 'src' : 'dst',
      enforcedPolicies: policies,
      pendingPolicies: [],
      verdict: decidingHubblePolicy(policies, action),
      bytesForward: 0,
      bytesReverse: 0,
      packetsForward: 0,
      packetsReverse: 0,
      flows: 1,
      flowsStarted: tcpFlags !== undefined && tcpFlags['SYN'] === true && tcpFlags['ACK'] !== true ? 1 : 0,
      flowsCompleted: tcpFlags !== undefined && (tcpFlags['FIN'] === true || tcpFlags['RST'] === true) ? 1 : 0,
      tcp: undefined,
    };
    sink.flow(record);
  }
}

/** A DNS L7 event: the RESPONSE goes from the server (source) back to the client (destination). */
function decodeDns(envelope: JsonObject, flow: JsonObject, l7: JsonObject, sink: RecordSink): void {
  const dns = optionalObject(l7, 'dns');
  if (dns === undefined) throw new DecodeError('wrong_type', 'field "flow.l7.dns" must be an object');
  const eventType = optionalString(l7, 'type');
  if (eventType === 'REQUEST') return sink.skipped('dns_request');
  if (eventType !== 'RESPONSE') {
    if (eventType === '' || eventType === 'SAMPLE') return sink.skipped('dns_sample');
    throw new DecodeError('wrong_type', `field "flow.l7.type" has unknown value "${eventType}"`);
  }
  const query = optionalString(dns, 'query');
  if (query === '') throw new DecodeError('missing_field', 'field "flow.l7.dns.query" is missing');
  const qtypes = optionalStringArray(dns, 'qtypes');
  const qtype = normalizeQtype(qtypes[0] ?? 'UNKNOWN');
  if (qtype === undefined) throw new DecodeError('wrong_type', `field "flow.l7.dns.qtypes" has "${qtypes[0]}"`);
  const rcodeValue = dns['rcode'] ?? 0; // proto3 leaves a zero (NOERROR) out
  const rcode =
    typeof rcodeValue === 'number' || typeof rcodeValue === 'string' ? normalizeRcode(rcodeValue) : undefined;
  if (rcode === undefined) {
    throw new DecodeError(
      'wrong_type',
      `field "flow.l7.dns.rcode" is not a response code: ${describeType(rcodeValue)}`,
    );
  }
  const latencyNs = readLatencyNs(l7['latency_ns']);
  const ip = optionalObject(flow, 'IP');
  const timeSeconds = readTime(flow['time'] ?? envelope['time']);
  const record: DnsRecord = {
    startTime: timeSeconds,
    endTime: timeSeconds,
    node: optionalString(flow, 'node_name') || optionalString(envelope, 'node_name'),
    client: readEndpoint(flow, 'destination', ip ? optionalString(ip, 'destination') : ''),
    server: readEndpoint(flow, 'source', ip ? optionalString(ip, 'source') : ''),
    qname: normalizeQname(query),
    qtype,
    rcode,
    count: 1,
    latency:
      latencyNs === undefined ? undefined : { count: 1, meanSeconds: latencyNs / 1e9, maxSeconds: latencyNs / 1e9 },
  };
  sink.dns(record);
}

/**
 * An HTTP L7 event. The RESPONSE goes from the server (source) back to the client (destination) and carries the
 * request's method and URL with the code, so it alone counts the request; REQUEST events are skipped.
 */
function decodeHttp(envelope: JsonObject, flow: JsonObject, l7: JsonObject, sink: RecordSink): void {
  const http = optionalObject(l7, 'http');
  if (http === undefined) throw new DecodeError('wrong_type', 'field "flow.l7.http" must be an object');
  const eventType = optionalString(l7, 'type');
  if (eventType === 'REQUEST') return sink.skipped('http_request');
  if (eventType !== 'RESPONSE') {
    if (eventType === '' || eventType === 'SAMPLE') return sink.skipped('http_sample');
    throw new DecodeError('wrong_type', `field "flow.l7.type" has unknown value "${eventType}"`);
  }
  const code = optionalNumber(http, 'code') ?? 0; // proto3 leaves a zero out
  if (!Number.isInteger(code) || code < 0 || code > 999) {
    throw new DecodeError('wrong_type', `field "flow.l7.http.code" must be an HTTP status code, got ${code}`);
  }
  const method = optionalString(http, 'method');
  if (method === '') throw new DecodeError('missing_field', 'field "flow.l7.http.method" is missing');
  const latencyNs = readLatencyNs(l7['latency_ns']);
  const ip = optionalObject(flow, 'IP');
  const timeSeconds = readTime(flow['time'] ?? envelope['time']);
  const durationSeconds = latencyNs === undefined ? undefined : latencyNs / 1e9;
  const record: HttpRecord = {
    // The response's time; the request started its latency earlier.
    startTime: timeSeconds > 0 ? timeSeconds - (durationSeconds ?? 0) : 0,
    durationSeconds,
    durationMaxSeconds: undefined,
    method: method.toUpperCase(),
    path: urlPath(optionalString(http, 'url')),
    protocol: optionalString(http, 'protocol'),
    statusCode: code,
    statusClass: statusClassOf(code),
    responseFlags: '',
    // Hubble's L7 events carry no body sizes.
    bytesReceived: 0,
    bytesSent: 0,
    authority: '',
    userAgent: '',
    requestId: '',
    forwardedFor: '',
    downstreamRemoteAddress: '',
    upstreamHost: '',
    upstreamCluster: '',
    routeName: '',
    source: readEndpoint(flow, 'destination', ip ? optionalString(ip, 'destination') : ''),
    destination: readEndpoint(flow, 'source', ip ? optionalString(ip, 'source') : ''),
    count: 1,
  };
  sink.http(record);
}

/** The path of a Hubble URL (`http://cart.shop:8080/api/items?id=3` -> `/api/items`); queries are dropped. */
function urlPath(url: string): string {
  const withoutScheme = url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const start = withoutScheme.search(/[/?#]/);
  const path = start === -1 ? '/' : withoutScheme.slice(start);
  const end = path.search(/[?#]/);
  const bare = end === -1 ? path : path.slice(0, end);
  return bare === '' ? '/' : bare;
}

/** jsonpb writes uint64 as a decimal string; some writers use a number. Zero means not measured. */
function readLatencyNs(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number) || number < 0) {
    throw new DecodeError(
      'wrong_type',
      `field "flow.l7.latency_ns" must be a non-negative integer, got ${describeType(value)}`,
    );
  }
  return number === 0 ? undefined : number;
}

function readTime(value: unknown): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'string') throw new DecodeError('wrong_type', `field "flow.time" must be an RFC 3339 string`);
  const millis = Date.parse(value);
  if (Number.isNaN(millis)) throw new DecodeError('wrong_type', `field "flow.time" is not a time: "${value}"`);
  return millis / 1000;
}

function readLayer4(flow: JsonObject): {
  protocol: string;
  destPort: number | undefined;
  tcpFlags: JsonObject | undefined;
} {
  const l4 = optionalObject(flow, 'l4');
  if (l4 === undefined) return { protocol: 'unknown', destPort: undefined, tcpFlags: undefined };
  for (const [key, protocol] of [
    ['TCP', 'tcp'],
    ['UDP', 'udp'],
    ['SCTP', 'sctp'],
  ] as const) {
    const ports = optionalObject(l4, key);
    if (ports === undefined) continue;
    const port = optionalNumber(ports, 'destination_port');
    if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
      throw new DecodeError('wrong_type', `field "flow.l4.${key}.destination_port" must be a port number, got ${port}`);
    }
    return { protocol, destPort: port ?? 0, tcpFlags: key === 'TCP' ? optionalObject(ports, 'flags') : undefined };
  }
  if (l4['ICMPv4'] !== undefined) return { protocol: 'icmp', destPort: undefined, tcpFlags: undefined };
  if (l4['ICMPv6'] !== undefined) return { protocol: 'icmpv6', destPort: undefined, tcpFlags: undefined };
  return { protocol: 'unknown', destPort: undefined, tcpFlags: undefined };
}

function readEndpoint(flow: JsonObject, side: 'source' | 'destination', ip: string): Endpoint {
  const endpoint = optionalObject(flow, side) ?? {};
  const labels = LabelSet.fromPairs(optionalStringArray(endpoint, 'labels'), 'k8s:');
  const service = optionalObject(flow, `${side}_service`);
  const namespace = optionalString(endpoint, 'namespace');
  const pod = optionalString(endpoint, 'pod_name');
  const base = {
    ip,
    labels,
    service: service ? optionalString(service, 'name') : '',
    serviceNamespace: service ? optionalString(service, 'namespace') : '',
    podDetail: false,
  };
  if (namespace !== '' && pod !== '') {
    const workloads = endpoint['workloads'];
    const owner = Array.isArray(workloads) && isObject(workloads[0]) ? workloads[0] : undefined;
    return {
      ...base,
      kind: 'pod',
      namespace,
      pod,
      workload: owner ? optionalString(owner, 'name') : '',
      workloadKind: owner ? optionalString(owner, 'kind') : '',
    };
  }
  // Cilium marks peers outside the pod network with reserved labels rather than a namespace.
  const external = { ...base, namespace: '', pod: '', workloadKind: '' };
  if (labels.has('reserved:host') || labels.has('reserved:remote-node')) {
    return { ...external, kind: 'host', workload: 'host', workloadKind: 'Node' };
  }
  if (labels.has('reserved:kube-apiserver')) return { ...external, kind: 'host', workload: 'kube-apiserver' };
  if (ip !== '' && isPrivateAddress(ip)) return { ...external, kind: 'private', workload: 'private' };
  if (ip !== '' || labels.has('reserved:world')) return { ...external, kind: 'world', workload: 'world' };
  return { ...external, kind: 'unknown', workload: '' };
}

function readPolicies(flow: JsonObject, egress: boolean, action: Action): PolicyHit[] {
  const direction = egress ? 'egress' : 'ingress';
  const field = `${direction}_${action === 'deny' ? 'denied' : 'allowed'}_by`;
  const entries = flow[field];
  if (entries === undefined || entries === null) return [];
  if (!Array.isArray(entries)) throw new DecodeError('wrong_type', `field "flow.${field}" must be an array`);
  return entries.map((entry, index): PolicyHit => {
    if (!isObject(entry)) throw new DecodeError('wrong_type', `field "flow.${field}[${index}]" must be an object`);
    const namespace = optionalString(entry, 'namespace');
    const name = optionalString(entry, 'name');
    return {
      index,
      tier: HUBBLE_POLICY_TIER,
      namespace,
      name,
      kind: POLICY_KINDS[optionalString(entry, 'kind')] ?? 'unknown',
      staged: false,
      action,
      ruleIndex: -2,
      verdict: { policy: policyLabel({ namespace, name }), tier: HUBBLE_POLICY_TIER },
    };
  });
}

/** Hubble names the policies that allowed or denied the flow; without them (older Cilium) the policy is unknown. */
function decidingHubblePolicy(policies: readonly PolicyHit[], action: Action): PolicyVerdict {
  const decider = policies.find((hit) => hit.action === action && hit.name !== '');
  return decider ? decider.verdict : UNKNOWN_POLICY;
}

export const hubbleSource: LineSourceKind = {
  kind: 'hubble',
  description:
    'Cilium Hubble flows as JSON lines (hubble observe -o jsonpb, or the Hubble exporter file); l7.dns events as DNS queries, l7.http events as HTTP requests',
  input: 'lines',
  createDecoder: () => new HubbleDecoder(),
};
