/**
 * The HTTP (L7) record: what the Envoy access log decoders (text, Istio JSON, gRPC Access Log Service) and the
 * Calico L7 decoder turn their input into. The decoders are pure: they fill what the input says and leave
 * workloads to the enrich stage, which resolves the endpoint IPs against the cluster.
 */
import { emptyEndpoint, type Endpoint } from '../../model/flow';
import { hostOf } from './address';

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx' | 'unknown';

export interface HttpRecord {
  /** Unix seconds (with fraction) when the proxy received the first request byte. */
  startTime: number;
  /** Request duration in seconds; the mean over the aggregated requests when `count` > 1; undefined when not given. */
  durationSeconds: number | undefined;
  /** The longest of the aggregated requests, when the input gives it (Calico L7 logs). */
  durationMaxSeconds: number | undefined;
  /** Upper-case method as sent (`GET`); empty when the proxy never saw a request line. */
  method: string;
  /** Path without query string or fragment: queries carry ids and secrets and would explode label cardinality. */
  path: string;
  /** `HTTP/1.1`, `HTTP/2`, ...; empty when unknown. */
  protocol: string;
  /** 0 when no response was sent (Envoy's convention for a reset or a dropped downstream). */
  statusCode: number;
  statusClass: StatusClass;
  /** Envoy's short response flags as it prints them (`UF,URX`); empty when none. */
  responseFlags: string;
  /** Body bytes received from the downstream client and sent back to it. */
  bytesReceived: number;
  bytesSent: number;
  authority: string;
  userAgent: string;
  requestId: string;
  /** The X-Forwarded-For header as received; client-supplied, so never used as the source IP. */
  forwardedFor: string;
  /** Client `IP:port` (`[IPv6]:port`); empty when the format does not log it. */
  downstreamRemoteAddress: string;
  /** The upstream server `IP:port` the request went to; empty when none was chosen. */
  upstreamHost: string;
  upstreamCluster: string;
  routeName: string;
  /** The client: `ip` from the downstream remote address, or the aggregated names of a Calico L7 log. */
  source: Endpoint;
  /** The server: `ip` from the upstream host; `service` from an Istio cluster name or Calico's service fields. */
  destination: Endpoint;
  /** How many requests the record stands for: 1 for an access log entry, Calico's `count` for its aggregates. */
  count: number;
}

/** A valid input that is not an HTTP request (a TCP proxy entry, an intermediate log, ...). */
export interface HttpSkip {
  skip: string;
}

export type HttpDecodeResult = HttpRecord | HttpSkip;

export function isSkip(result: HttpDecodeResult): result is HttpSkip {
  return 'skip' in result;
}

export function statusClassOf(code: number): StatusClass {
  if (code >= 100 && code < 200) return '1xx';
  if (code >= 200 && code < 300) return '2xx';
  if (code >= 300 && code < 400) return '3xx';
  if (code >= 400 && code < 500) return '4xx';
  if (code >= 500 && code < 600) return '5xx';
  return 'unknown';
}

export function pathWithoutQuery(path: string): string {
  const end = path.search(/[?#]/);
  return end === -1 ? path : path.slice(0, end);
}

/** An endpoint known only by its address; the enrich stage fills in the rest. */
export function endpointAt(address: string): Endpoint {
  return { ...emptyEndpoint(), ip: hostOf(address) };
}

/**
 * Istio names its outbound clusters `outbound|<port>|<subset>|<service FQDN>`; the FQDN names the
 * destination service (`cart.shop.svc.cluster.local`). Other cluster names say nothing about a service.
 */
export function serviceOfCluster(cluster: string): { service: string; namespace: string } | undefined {
  const parts = cluster.split('|');
  if (parts.length !== 4 || parts[0] !== 'outbound') return undefined;
  const labels = (parts[3] ?? '').split('.');
  if (labels.length < 3 || labels[2] !== 'svc' || labels[0] === '' || labels[1] === '') return undefined;
  return { service: labels[0] ?? '', namespace: labels[1] ?? '' };
}
