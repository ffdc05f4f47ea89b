/**
 * Calico L7 logs: JSON lines that Calico's Envoy-based collector writes, each aggregating `count` requests
 * with the same source, destination, method, URL and response code. Endpoints are aggregated names
 * (`frontend-7d4b9c8f5-*`), not IPs; durations are in nanoseconds.
 */
import {
  optionalCount,
  optionalNumber,
  optionalString,
  parseJsonObject,
  requiredCount,
  requiredString,
  type JsonObject,
} from '../json-fields';
import { DecodeError } from '../types';
import { requiredWholeNumber } from './fields';
import { pathWithoutQuery, statusClassOf, type HttpDecodeResult } from './model';
import { emptyEndpoint, type Endpoint, type EndpointKind } from '../../model/flow';

const NANOSECONDS = 1e-9;

/** Calico's endpoint types to ours, as for flow logs; `net` is split into world/private by `pub`/`pvt`. */
const ENDPOINT_TYPES: Record<string, EndpointKind> = { wep: 'pod', hep: 'host', ns: 'networkset', net: 'world' };

export function decodeCalicoL7Line(line: string): HttpDecodeResult {
  const raw = parseJsonObject(line);
  const type = optionalString(raw, 'type').toLowerCase();
  if (type.startsWith('tcp')) return { skip: `not an HTTP request: an L7 log of type ${type}` };
  const count = requiredCount(raw, 'count');
  if (count === 0) throw new DecodeError('wrong_type', 'field "count" must be at least 1');
  const statusCode = requiredWholeNumber(raw, 'response_code');
  const { authority, path } = splitUrl(optionalString(raw, 'url'));
  const destination = readEndpoint(raw, 'dest');
  destination.service = optionalString(raw, 'dest_service_name');
  destination.serviceNamespace = optionalString(raw, 'dest_service_namespace');
  const durationMean = optionalNumber(raw, 'duration_mean');
  const durationMax = optionalNumber(raw, 'duration_max');
  return {
    startTime: optionalNumber(raw, 'start_time') ?? 0,
    durationSeconds: durationMean === undefined ? undefined : durationMean * NANOSECONDS,
    durationMaxSeconds: durationMax === undefined ? undefined : durationMax * NANOSECONDS,
    method: requiredString(raw, 'method').toUpperCase(),
    path,
    protocol: protocolOf(type),
    statusCode,
    statusClass: statusClassOf(statusCode),
    responseFlags: '',
    bytesReceived: optionalCount(raw, 'bytes_in') ?? 0,
    bytesSent: optionalCount(raw, 'bytes_out') ?? 0,
    authority,
    userAgent: optionalString(raw, 'user_agent'),
    requestId: '',
    forwardedFor: '',
    downstreamRemoteAddress: '',
    upstreamHost: '',
    upstreamCluster: '',
    routeName: '',
    source: readEndpoint(raw, 'src'),
    destination,
    count,
  };
}

/** Calico's docs and some versions spell the HTTP types `html/1.1`; both mean HTTP. */
function protocolOf(type: string): string {
  const match = /^ht(?:tp|ml)\/(.+)$/.exec(type);
  return match === null ? type : `HTTP/${(match[1] ?? '').toUpperCase()}`;
}

/** `url` is a path, or `host[:port]/path` (with or without a scheme); queries are dropped. */
function splitUrl(url: string): { authority: string; path: string } {
  const withoutScheme = url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  if (withoutScheme === '' || withoutScheme.startsWith('/'))
    return { authority: '', path: pathWithoutQuery(withoutScheme) };
  const slash = withoutScheme.search(/[/?#]/);
  if (slash === -1) return { authority: withoutScheme, path: '/' };
  const rest = pathWithoutQuery(withoutScheme.slice(slash));
  return { authority: withoutScheme.slice(0, slash), path: rest === '' ? '/' : rest };
}

function readEndpoint(raw: JsonObject, prefix: 'src' | 'dest'): Endpoint {
  const aggregatedName = optionalString(raw, `${prefix}_name_aggr`);
  let kind: EndpointKind = ENDPOINT_TYPES[optionalString(raw, `${prefix}_type`)] ?? 'unknown';
  if (kind === 'world' && aggregatedName === 'pvt') kind = 'private';
  const endpoint = emptyEndpoint();
  endpoint.kind = kind;
  if (kind === 'pod') {
    endpoint.namespace = optionalString(raw, `${prefix}_namespace`);
    endpoint.pod = aggregatedName;
  } else if (kind === 'host' || kind === 'networkset') {
    endpoint.workload = aggregatedName;
    endpoint.workloadKind = kind === 'host' ? 'HostEndpoint' : 'NetworkSet';
  }
  return endpoint;
}
