/**
 * `calico-dns`: Calico DNS log JSON lines (see formats.md). A line stands for `count` queries of one client
 * for one name with one response code; latency comes as a count, mean and max in nanoseconds. The client is
 * a pod (or its aggregated prefix); the server is the first of `servers`. `UNLOGGED` lines only say how
 * many lines Calico dropped over its rate limit (no name, no client): they are skipped as `unlogged`.
 */
import {
  describeType,
  isObject,
  optionalCount,
  optionalNumber,
  optionalString,
  parseJsonObject,
  requiredCount,
  requiredString,
  type JsonObject,
} from './json-fields';
import { DecodeError, type LineDecoder, type LineSourceKind, type RecordSink } from './types';
import { emptyEndpoint, type Endpoint } from '../model/flow';
import { DnsTextMemo, normalizeQname, type DnsLatency, type DnsRecord } from '../model/dns';
import { detached } from '../model/text';

const NANOSECONDS_PER_SECOND = 1e9;

class CalicoDnsDecoder implements LineDecoder {
  private readonly memo = new DnsTextMemo();
  private readonly times = new TimeMemo();

  decode(line: string, sink: RecordSink): void {
    const raw = parseJsonObject(line);
    const type = optionalString(raw, 'type');
    if (type === 'UNLOGGED') return sink.skipped('unlogged');
    const count = requiredCount(raw, 'count');
    const qname = requiredString(raw, 'qname');
    if (qname === '') throw new DecodeError('missing_field', 'field "qname" is empty');
    const qtypeText = requiredString(raw, 'qtype');
    const qtype = this.memo.qtype(qtypeText);
    if (qtype === undefined) throw new DecodeError('wrong_type', `field "qtype" is not a query type: "${qtypeText}"`);
    const rcodeValue = raw['rcode'];
    if (rcodeValue === undefined) throw new DecodeError('missing_field', 'field "rcode" is missing');
    const rcode =
      typeof rcodeValue === 'string' || typeof rcodeValue === 'number' ? this.memo.rcode(rcodeValue) : undefined;
    if (rcode === undefined) {
      throw new DecodeError('wrong_type', `field "rcode" is not a response code: ${describeType(rcodeValue)}`);
    }
    const record: DnsRecord = {
      startTime: readTime(raw, 'start_time', this.times),
      endTime: readTime(raw, 'end_time', this.times),
      node: optionalString(raw, 'host'),
      client: readClient(raw),
      server: readServer(raw),
      qname: normalizeQname(qname),
      qtype,
      rcode,
      count,
      latency: readLatency(raw),
    };
    sink.dns(record);
  }
}

/**
 * The last two RFC 3339 times read and their values: every line of a 5-minute window has the same start and
 * end, and `Date.parse` was 6 % of a line. Detached copies, as they outlive their line.
 */
class TimeMemo {
  private texts: [string, string] = ['', ''];
  private values: [number, number] = [0, 0];
  private next = 0;

  parse(text: string): number {
    if (text === this.texts[0]) return this.values[0];
    if (text === this.texts[1]) return this.values[1];
    const value = Date.parse(text);
    if (!Number.isNaN(value)) {
      this.texts[this.next] = detached(text);
      this.values[this.next] = value;
      this.next = 1 - this.next;
    }
    return value;
  }
}

/** Calico writes RFC 3339 times in DNS logs; unix seconds are accepted too, as in flow logs. */
function readTime(raw: JsonObject, field: string, times: TimeMemo): number {
  const value = raw[field];
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') return optionalNumber(raw, field) ?? 0;
  if (typeof value !== 'string') {
    throw new DecodeError('wrong_type', `field "${field}" must be a time, got ${describeType(value)}`);
  }
  const millis = times.parse(value);
  if (Number.isNaN(millis)) throw new DecodeError('wrong_type', `field "${field}" is not a time: "${value}"`);
  return millis / 1000;
}

function readClient(raw: JsonObject): Endpoint {
  const name = optionalString(raw, 'client_name');
  const aggregatedName = optionalString(raw, 'client_name_aggr');
  const namespace = optionalString(raw, 'client_namespace');
  const pod = name !== '' ? name : aggregatedName;
  return {
    kind: namespace !== '' && pod !== '' ? 'pod' : 'unknown',
    namespace,
    workload: '',
    workloadKind: '',
    pod: namespace !== '' ? pod : '',
    ip: optionalString(raw, 'client_ip'),
    labels: undefined,
    service: '',
    serviceNamespace: '',
    podDetail: false,
  };
}

function readServer(raw: JsonObject): Endpoint {
  const servers = raw['servers'];
  if (servers === undefined || servers === null) return emptyEndpoint();
  if (!Array.isArray(servers)) {
    throw new DecodeError('wrong_type', `field "servers" must be an array, got ${describeType(servers)}`);
  }
  const first: unknown = servers[0];
  if (first === undefined) return emptyEndpoint();
  if (!isObject(first)) throw new DecodeError('wrong_type', `field "servers[0]" must be an object`);
  const name = optionalString(first, 'name');
  const aggregatedName = optionalString(first, 'name_aggr');
  const namespace = optionalString(first, 'namespace');
  const pod = name !== '' ? name : aggregatedName;
  const isPod = namespace !== '' && pod !== '';
  return {
    kind: isPod ? 'pod' : 'unknown',
    namespace,
    // A server outside the pod network (an upstream resolver, a node-local cache on the host) has only a name.
    workload: isPod
      ? ''
      : aggregatedName !== '' && aggregatedName !== 'pvt' && aggregatedName !== 'pub'
        ? aggregatedName
        : '',
    workloadKind: '',
    pod: isPod ? pod : '',
    ip: optionalString(first, 'ip'),
    labels: undefined,
    service: '',
    serviceNamespace: '',
    podDetail: false,
  };
}

function readLatency(raw: JsonObject): DnsLatency | undefined {
  const count = optionalCount(raw, 'latency_count');
  if (count === undefined || count === 0) return undefined;
  const mean = optionalNumber(raw, 'latency_mean');
  const max = optionalNumber(raw, 'latency_max');
  if (mean === undefined)
    throw new DecodeError('missing_field', 'field "latency_mean" is missing while latency_count > 0');
  if (mean < 0 || (max !== undefined && max < 0)) {
    throw new DecodeError('wrong_type', 'fields "latency_mean" and "latency_max" must not be negative');
  }
  return { count, meanSeconds: mean / NANOSECONDS_PER_SECOND, maxSeconds: (max ?? mean) / NANOSECONDS_PER_SECOND };
}

export const calicoDnsSource: LineSourceKind = {
  kind: 'calico-dns',
  description: 'Calico DNS logs as JSON lines (dns.log)',
  input: 'lines',
  createDecoder: () => new CalicoDnsDecoder(),
};
