/**
 * Envoy's gRPC Access Log Service (envoy.service.accesslog.v3.AccessLogService/StreamAccessLogs): the message
 * shapes as @grpc/proto-loader decodes them from accesslog.proto with
 * `{ keepCase: false, longs: String, enums: String, defaults: false }`, and the mapping of one
 * HTTPAccessLogEntry to an HttpRecord. With `defaults: false` proto3 zero values are simply absent, so every
 * field is optional and an absent number means 0.
 */
import { describeType, isObject, optionalObject, optionalString, type JsonObject } from '../json-fields';
import { DecodeError } from '../types';
import { joinHostPort } from './address';
import { optionalWholeNumber, within } from './fields';
import { endpointAt, pathWithoutQuery, statusClassOf, type HttpDecodeResult } from './model';

/** google.protobuf.Duration and Timestamp; int64 seconds arrive as decimal text. */
export interface ProtoDuration {
  seconds?: string | number;
  nanos?: number;
}
export type ProtoTimestamp = ProtoDuration;

/** google.protobuf.UInt32Value. */
export interface ProtoUInt32Value {
  value?: number;
}

/** envoy.config.core.v3.SocketAddress (subset). */
export interface SocketAddress {
  protocol?: 'TCP' | 'UDP';
  address?: string;
  portValue?: number;
  namedPort?: string;
}

/** envoy.config.core.v3.Address: one of a socket address or a pipe (internal addresses are not mapped). */
export interface Address {
  socketAddress?: SocketAddress;
  pipe?: { path?: string; mode?: number };
}

/** envoy.data.accesslog.v3.ResponseFlags: one boolean per flag. */
export type ResponseFlags = {
  [flag in Exclude<(typeof RESPONSE_FLAGS)[number][0], 'unauthorizedDetails'>]?: boolean;
} & {
  unauthorizedDetails?: { reason?: 'REASON_UNSPECIFIED' | 'EXTERNAL_SERVICE' };
};

/** envoy.data.accesslog.v3.AccessLogCommon (subset). */
export interface AccessLogCommon {
  sampleRate?: number;
  downstreamRemoteAddress?: Address;
  downstreamLocalAddress?: Address;
  startTime?: ProtoTimestamp;
  timeToLastRxByte?: ProtoDuration;
  timeToFirstUpstreamTxByte?: ProtoDuration;
  timeToLastUpstreamTxByte?: ProtoDuration;
  timeToFirstUpstreamRxByte?: ProtoDuration;
  timeToLastUpstreamRxByte?: ProtoDuration;
  timeToFirstDownstreamTxByte?: ProtoDuration;
  timeToLastDownstreamTxByte?: ProtoDuration;
  upstreamRemoteAddress?: Address;
  upstreamLocalAddress?: Address;
  upstreamCluster?: string;
  responseFlags?: ResponseFlags;
  upstreamTransportFailureReason?: string;
  routeName?: string;
  downstreamDirectRemoteAddress?: Address;
  customTags?: Record<string, string>;
  duration?: ProtoDuration;
  upstreamRequestAttemptCount?: number;
  connectionTerminationDetails?: string;
  intermediateLogEntry?: boolean;
}

export type RequestMethod = (typeof REQUEST_METHODS)[number];

/** envoy.data.accesslog.v3.HTTPRequestProperties (subset). */
export interface HTTPRequestProperties {
  requestMethod?: RequestMethod;
  scheme?: string;
  authority?: string;
  port?: ProtoUInt32Value;
  path?: string;
  userAgent?: string;
  referer?: string;
  forwardedFor?: string;
  requestId?: string;
  originalPath?: string;
  requestHeadersBytes?: string;
  requestBodyBytes?: string;
  requestHeaders?: Record<string, string>;
}

/** envoy.data.accesslog.v3.HTTPResponseProperties (subset). */
export interface HTTPResponseProperties {
  responseCode?: ProtoUInt32Value;
  responseHeadersBytes?: string;
  responseBodyBytes?: string;
  responseHeaders?: Record<string, string>;
  responseTrailers?: Record<string, string>;
  responseCodeDetails?: string;
}

export type HTTPVersion = (typeof HTTP_VERSIONS)[number];

/** envoy.data.accesslog.v3.HTTPAccessLogEntry. */
export interface HTTPAccessLogEntry {
  commonProperties?: AccessLogCommon;
  protocolVersion?: HTTPVersion;
  request?: HTTPRequestProperties;
  response?: HTTPResponseProperties;
}

/** envoy.data.accesslog.v3.TCPAccessLogEntry. */
export interface TCPAccessLogEntry {
  commonProperties?: AccessLogCommon;
  connectionProperties?: { receivedBytes?: string; sentBytes?: string };
}

/** envoy.service.accesslog.v3.StreamAccessLogsMessage: `identifier` only on a stream's first message. */
export interface StreamAccessLogsMessage {
  identifier?: { node?: { id?: string; cluster?: string }; logName?: string };
  httpLogs?: { logEntry?: HTTPAccessLogEntry[] };
  tcpLogs?: { logEntry?: TCPAccessLogEntry[] };
}

/** envoy.config.core.v3.RequestMethod, in enum-number order. */
const REQUEST_METHODS = [
  'METHOD_UNSPECIFIED',
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
] as const;

/** HTTPAccessLogEntry.HTTPVersion, in enum-number order, and how Envoy's %PROTOCOL% prints each. */
const HTTP_VERSIONS = ['PROTOCOL_UNSPECIFIED', 'HTTP10', 'HTTP11', 'HTTP2', 'HTTP3'] as const;
const PROTOCOL_NAMES: Record<HTTPVersion, string> = {
  PROTOCOL_UNSPECIFIED: '',
  HTTP10: 'HTTP/1.0',
  HTTP11: 'HTTP/1.1',
  HTTP2: 'HTTP/2',
  HTTP3: 'HTTP/3',
};

/** ResponseFlags fields and Envoy's short names, in field-number order (the order %RESPONSE_FLAGS% prints them). */
const RESPONSE_FLAGS = [
  ['failedLocalHealthcheck', 'LH'],
  ['noHealthyUpstream', 'UH'],
  ['upstreamRequestTimeout', 'UT'],
  ['localReset', 'LR'],
  ['upstreamRemoteReset', 'UR'],
  ['upstreamConnectionFailure', 'UF'],
  ['upstreamConnectionTermination', 'UC'],
  ['upstreamOverflow', 'UO'],
  ['noRouteFound', 'NR'],
  ['delayInjected', 'DI'],
  ['faultInjected', 'FI'],
  ['rateLimited', 'RL'],
  ['unauthorizedDetails', 'UAEX'],
  ['rateLimitServiceError', 'RLSE'],
  ['downstreamConnectionTermination', 'DC'],
  ['upstreamRetryLimitExceeded', 'URX'],
  ['streamIdleTimeout', 'SI'],
  ['invalidEnvoyRequestHeaders', 'IH'],
  ['downstreamProtocolError', 'DPE'],
  ['upstreamMaxStreamDurationReached', 'UMSDR'],
  ['responseFromCacheFilter', 'RFCF'],
  ['noFilterConfigFound', 'NFCF'],
  ['durationTimeout', 'DT'],
  ['upstreamProtocolError', 'UPE'],
  ['noClusterFound', 'NC'],
  ['overloadManager', 'OM'],
  ['dnsResolutionFailure', 'DF'],
] as const;

/** The ResponseFlags fields in field-number order (checked against accesslog.proto by the tests). */
export const RESPONSE_FLAG_NAMES: readonly string[] = RESPONSE_FLAGS.map(([field]) => field);

export const INTERMEDIATE_SKIP = 'an intermediate log entry: the final entry of the stream counts the request';
export const NO_REQUEST_SKIP = 'not an HTTP request: the entry has no method, path or protocol';

/**
 * Maps one HTTPAccessLogEntry (a plain object from proto-loader) to an HttpRecord. Takes `unknown` because the
 * object comes off the wire: every field is checked, and DecodeErrors name the field's path.
 */
export function decodeHttpAccessLogEntry(entry: unknown): HttpDecodeResult {
  if (!isObject(entry)) {
    throw new DecodeError('malformed', `expected an HTTPAccessLogEntry object, got ${describeType(entry)}`);
  }
  const commonObject = requiredObject(entry, 'commonProperties');
  const requestObject = requiredObject(entry, 'request');
  const responseObject = optionalObject(entry, 'response') ?? {};

  if (within('commonProperties', () => optionalBoolean(commonObject, 'intermediateLogEntry'))) {
    return { skip: INTERMEDIATE_SKIP };
  }
  const protocol = PROTOCOL_NAMES[enumName(entry, 'protocolVersion', HTTP_VERSIONS)];
  const request = within('request', () => readRequest(requestObject));
  if (request.method === '' && request.path === '' && protocol === '') return { skip: NO_REQUEST_SKIP };
  const common = within('commonProperties', () => readCommon(commonObject));
  const response = within('response', () => readResponse(responseObject));
  return {
    ...common,
    ...request,
    ...response,
    path: pathWithoutQuery(request.path),
    protocol,
    statusClass: statusClassOf(response.statusCode),
    durationMaxSeconds: undefined,
    source: endpointAt(common.downstreamRemoteAddress),
    destination: endpointAt(common.upstreamHost),
    count: 1,
  };
}

function readCommon(common: JsonObject) {
  if (common['startTime'] === undefined) throw new DecodeError('missing_field', 'field "startTime" is missing');
  // `duration` (newer Envoys) is the whole stream's; older ones only give the time to the last byte sent.
  const durationField = common['duration'] !== undefined ? 'duration' : 'timeToLastDownstreamTxByte';
  return {
    startTime: secondsOf(common, 'startTime'),
    durationSeconds: common[durationField] === undefined ? undefined : secondsOf(common, durationField),
    responseFlags: readResponseFlags(common),
    downstreamRemoteAddress: readAddress(common, 'downstreamRemoteAddress'),
    upstreamHost: readAddress(common, 'upstreamRemoteAddress'),
    upstreamCluster: optionalString(common, 'upstreamCluster'),
    routeName: optionalString(common, 'routeName'),
  };
}

function readRequest(request: JsonObject) {
  const method = enumName(request, 'requestMethod', REQUEST_METHODS);
  return {
    method: method === 'METHOD_UNSPECIFIED' ? '' : method,
    // As %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%: the path before any rewrite.
    path: optionalString(request, 'originalPath') || optionalString(request, 'path'),
    bytesReceived: optionalWholeNumber(request, 'requestBodyBytes') ?? 0,
    authority: optionalString(request, 'authority'),
    userAgent: optionalString(request, 'userAgent'),
    requestId: optionalString(request, 'requestId'),
    forwardedFor: optionalString(request, 'forwardedFor'),
  };
}

function readResponse(response: JsonObject) {
  const code = optionalObject(response, 'responseCode');
  return {
    // UInt32Value: an absent message means no response; a present one without `value` is 0 all the same.
    statusCode: code === undefined ? 0 : within('responseCode', () => optionalWholeNumber(code, 'value') ?? 0),
    bytesSent: optionalWholeNumber(response, 'responseBodyBytes') ?? 0,
  };
}

/** The HTTP entries of one stream message; TCP entries are not HTTP requests and are left out. */
export function httpEntriesOf(message: unknown): unknown[] {
  if (!isObject(message))
    throw new DecodeError('malformed', `expected a StreamAccessLogsMessage, got ${describeType(message)}`);
  const httpLogs = optionalObject(message, 'httpLogs');
  if (httpLogs === undefined) return [];
  const entries = httpLogs['logEntry'];
  if (entries === undefined) return [];
  if (!Array.isArray(entries)) {
    throw new DecodeError('wrong_type', `field "httpLogs.logEntry" must be an array, got ${describeType(entries)}`);
  }
  return entries;
}

function requiredObject(object: JsonObject, field: string): JsonObject {
  const value = optionalObject(object, field);
  if (value === undefined) throw new DecodeError('missing_field', `field "${field}" is missing`);
  return value;
}

function optionalBoolean(object: JsonObject, field: string): boolean {
  const value = object[field];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') {
    throw new DecodeError('wrong_type', `field "${field}" must be a boolean, got ${describeType(value)}`);
  }
  return value;
}

/** An enum by name (`enums: String`) or by number (a decoder configured without it); absent is the zero value. */
function enumName<T extends string>(object: JsonObject, field: string, names: readonly T[]): T {
  const value = object[field];
  const zero = names[0] as T;
  if (value === undefined || value === null) return zero;
  const name = typeof value === 'number' ? names[value] : names.find((candidate) => candidate === value);
  if (name === undefined) {
    throw new DecodeError(
      'wrong_type',
      `field "${field}" must be one of ${names.join(', ')}, got ${describeType(value)}`,
    );
  }
  return name;
}

/** A Duration or Timestamp as seconds with fraction; absent seconds or nanos are 0. */
function secondsOf(object: JsonObject, field: string): number {
  const value = object[field];
  if (!isObject(value))
    throw new DecodeError('wrong_type', `field "${field}" must be an object, got ${describeType(value)}`);
  return within(field, () => {
    const nanos = optionalWholeNumber(value, 'nanos') ?? 0;
    if (nanos > 999_999_999) throw new DecodeError('wrong_type', `field "nanos" must be below 1e9, got ${nanos}`);
    return (optionalWholeNumber(value, 'seconds') ?? 0) + nanos / 1e9;
  });
}

/** `IP:port` (`[IPv6]:port`) of a socket address, a pipe's path, or '' when absent. */
function readAddress(object: JsonObject, field: string): string {
  const address = optionalObject(object, field);
  if (address === undefined) return '';
  return within(field, () => {
    const socket = optionalObject(address, 'socketAddress');
    if (socket !== undefined) {
      return within('socketAddress', () => {
        const host = optionalString(socket, 'address');
        return host === '' ? '' : joinHostPort(host, optionalWholeNumber(socket, 'portValue'));
      });
    }
    const pipe = optionalObject(address, 'pipe');
    return pipe === undefined ? '' : within('pipe', () => optionalString(pipe, 'path'));
  });
}

function readResponseFlags(common: JsonObject): string {
  const flags = optionalObject(common, 'responseFlags');
  if (flags === undefined) return '';
  return within('responseFlags', () =>
    RESPONSE_FLAGS.filter(([field]) =>
      field === 'unauthorizedDetails' ? optionalObject(flags, field) !== undefined : optionalBoolean(flags, field),
    )
      .map(([, short]) => short)
      .join(','),
  );
}
