/**
 * The HTTP (L7) record: one or more HTTP requests from a client to a server, as the L7 sources decode them
 * (Envoy access logs in text or Istio JSON, Calico L7 logs, Hubble's l7.http events). Like the flow and DNS
 * records it is a contract between sources and the rest of the pipeline: the endpoints are the same Endpoint
 * type, resolved by the same enrichers (downstream remote address as source, upstream host as destination).
 */
import type { Endpoint } from './flow';

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

export function statusClassOf(code: number): StatusClass {
  if (code >= 100 && code < 200) return '1xx';
  if (code >= 200 && code < 300) return '2xx';
  if (code >= 300 && code < 400) return '3xx';
  if (code >= 400 && code < 500) return '4xx';
  if (code >= 500 && code < 600) return '5xx';
  return 'unknown';
}

/** Methods that keep their own label value; anything else a client sends is `OTHER`. */
export const STANDARD_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
]);

/** Methods outside the standard set share one label value, so clients cannot grow the `method` label. */
export const OTHER_METHOD = 'OTHER';

/** The `method` label value: an upper-case standard method, `OTHER`, or empty when no request line was seen. */
export function normalizeMethod(method: string): string {
  if (method === '') return '';
  const upper = method.toUpperCase();
  return STANDARD_METHODS.has(upper) ? upper : OTHER_METHOD;
}

/** When the request ended (start plus duration), unix seconds; 0 when the start is unknown. */
export function httpRecordEnd(record: Pick<HttpRecord, 'startTime' | 'durationSeconds'>): number {
  return record.startTime > 0 ? record.startTime + (record.durationSeconds ?? 0) : 0;
}
