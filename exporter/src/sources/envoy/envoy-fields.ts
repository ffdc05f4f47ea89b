/**
 * The values of Envoy's access log command operators, whichever encoding carried them (text or Istio JSON),
 * and their mapping to an HttpRecord. Absent values (`-`, null) are empty strings here.
 */
import { endpointAt, pathWithoutQuery, serviceOfCluster, statusClassOf, type HttpDecodeResult } from './model';

export interface EnvoyCommandValues {
  startTime: number;
  method: string;
  /** `X-ENVOY-ORIGINAL-PATH?:PATH`: the path before any rewrite. */
  path: string;
  protocol: string;
  responseCode: number;
  responseFlags: string;
  bytesReceived: number;
  bytesSent: number;
  durationMs: number | undefined;
  forwardedFor: string;
  userAgent: string;
  requestId: string;
  authority: string;
  upstreamHost: string;
  upstreamCluster: string;
  downstreamRemoteAddress: string;
  routeName: string;
}

export const TCP_PROXY_SKIP = 'not an HTTP request: a TCP proxy entry has no request line';

export function httpRecordFromEnvoy(values: EnvoyCommandValues): HttpDecodeResult {
  if (values.method === '' && values.path === '' && values.protocol === '') return { skip: TCP_PROXY_SKIP };
  const destination = endpointAt(values.upstreamHost);
  const service = serviceOfCluster(values.upstreamCluster);
  if (service !== undefined) {
    destination.service = service.service;
    destination.serviceNamespace = service.namespace;
  }
  return {
    startTime: values.startTime,
    durationSeconds: values.durationMs === undefined ? undefined : values.durationMs / 1000,
    durationMaxSeconds: undefined,
    method: values.method,
    path: pathWithoutQuery(values.path),
    protocol: values.protocol,
    statusCode: values.responseCode,
    statusClass: statusClassOf(values.responseCode),
    responseFlags: values.responseFlags,
    bytesReceived: values.bytesReceived,
    bytesSent: values.bytesSent,
    authority: values.authority,
    userAgent: values.userAgent,
    requestId: values.requestId,
    forwardedFor: values.forwardedFor,
    downstreamRemoteAddress: values.downstreamRemoteAddress,
    upstreamHost: values.upstreamHost,
    upstreamCluster: values.upstreamCluster,
    routeName: values.routeName,
    source: endpointAt(values.downstreamRemoteAddress),
    destination,
    count: 1,
  };
}
