/**
 * Istio's JSON access log encoding (`meshConfig.accessLogEncoding: JSON`): one object per line with the keys
 * of formats.md. Absent values are null or `-`. Integers may be numbers or decimal text (older Envoys and
 * untyped `json_format` write strings); `duration` is in milliseconds.
 */
import { optionalString, parseJsonObject, requiredString } from '../json-fields';
import { DecodeError } from '../types';
import { httpRecordFromEnvoy } from './envoy-fields';
import { optionalWholeNumber, parseStartTime, requiredWholeNumber } from './fields';
import type { HttpDecodeResult } from './model';

export function decodeIstioJsonLine(line: string): HttpDecodeResult {
  const raw = parseJsonObject(line);
  const startTime = requiredString(raw, 'start_time');
  if (startTime === '') throw new DecodeError('missing_field', 'field "start_time" is empty');
  // Istio writes every key, with null for a TCP connection's request fields: a missing key is a broken line.
  if (raw['method'] === undefined) throw new DecodeError('missing_field', 'field "method" is missing');
  return httpRecordFromEnvoy({
    startTime: parseStartTime(startTime, '"start_time"'),
    method: optionalString(raw, 'method'),
    path: optionalString(raw, 'path'),
    protocol: optionalString(raw, 'protocol'),
    responseCode: requiredWholeNumber(raw, 'response_code'),
    responseFlags: optionalString(raw, 'response_flags'),
    bytesReceived: optionalWholeNumber(raw, 'bytes_received') ?? 0,
    bytesSent: optionalWholeNumber(raw, 'bytes_sent') ?? 0,
    durationMs: optionalWholeNumber(raw, 'duration'),
    forwardedFor: optionalString(raw, 'x_forwarded_for'),
    userAgent: optionalString(raw, 'user_agent'),
    requestId: optionalString(raw, 'request_id'),
    authority: optionalString(raw, 'authority'),
    upstreamHost: optionalString(raw, 'upstream_host'),
    upstreamCluster: optionalString(raw, 'upstream_cluster'),
    downstreamRemoteAddress: optionalString(raw, 'downstream_remote_address'),
    routeName: optionalString(raw, 'route_name'),
  });
}
