import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  decodeHttpAccessLogEntry,
  httpEntriesOf,
  INTERMEDIATE_SKIP,
  NO_REQUEST_SKIP,
  RESPONSE_FLAG_NAMES,
  type HTTPAccessLogEntry,
  type StreamAccessLogsMessage,
} from './als';
import { expectDecodeError, expectRecord, expectSkip } from './testing';

/** An entry as @grpc/proto-loader decodes it with `longs: String, enums: String, defaults: false`. */
const ENTRY: HTTPAccessLogEntry = {
  commonProperties: {
    downstreamRemoteAddress: { socketAddress: { address: 'fd00:10:244:2::7', portValue: 52110 } },
    downstreamLocalAddress: { socketAddress: { address: 'fd00:10:96::4f', portValue: 3550 } },
    startTime: { seconds: '1714557605', nanos: 250000000 },
    timeToLastRxByte: { nanos: 120000 },
    timeToLastDownstreamTxByte: { nanos: 36000000 },
    upstreamRemoteAddress: { socketAddress: { address: 'fd00:10:244:1::12', portValue: 3550 } },
    upstreamLocalAddress: { socketAddress: { address: 'fd00:10:244:2::7', portValue: 52118 } },
    upstreamCluster: 'outbound|3550||productcatalog.shop.svc.cluster.local',
    routeName: 'default',
    duration: { nanos: 37000000 },
    upstreamRequestAttemptCount: 1,
  },
  protocolVersion: 'HTTP11',
  request: {
    requestMethod: 'GET',
    scheme: 'http',
    authority: 'productcatalog.shop:3550',
    path: '/api/v1/products/42?currency=EUR',
    userAgent: 'Mozilla/5.0 "quoted" (KHTML, like Gecko)',
    forwardedFor: '203.0.113.9',
    requestId: '0d3f2b8e-5e4c-4a7b-9d1e-6a8b7c5d4e3f',
    requestHeadersBytes: '412',
    requestBodyBytes: '0',
  },
  response: {
    responseCode: { value: 200 },
    responseHeadersBytes: '187',
    responseBodyBytes: '1893',
    responseCodeDetails: 'via_upstream',
  },
};

/** A copy of ENTRY with parts replaced; `undefined` removes a part. */
function entry(
  common: Record<string, unknown> = {},
  request: Record<string, unknown> = {},
  response: Record<string, unknown> = {},
  top: Record<string, unknown> = {},
): Record<string, unknown> {
  const drop = (object: Record<string, unknown>): Record<string, unknown> =>
    Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
  return drop({
    ...ENTRY,
    commonProperties: drop({ ...ENTRY.commonProperties, ...common }),
    request: drop({ ...ENTRY.request, ...request }),
    response: drop({ ...ENTRY.response, ...response }),
    ...top,
  });
}

test('a full entry maps to a record: IPv6 endpoints, durations, path without query, the protocol', () => {
  const record = expectRecord(decodeHttpAccessLogEntry(ENTRY));
  assert.equal(record.startTime, 1714557605.25);
  assert.equal(record.durationSeconds, 0.037, '`duration` wins over the time to the last byte sent');
  assert.equal(record.method, 'GET');
  assert.equal(record.path, '/api/v1/products/42');
  assert.equal(record.protocol, 'HTTP/1.1');
  assert.equal(record.statusCode, 200);
  assert.equal(record.statusClass, '2xx');
  assert.equal(record.responseFlags, '');
  assert.equal(record.bytesReceived, 0);
  assert.equal(record.bytesSent, 1893);
  assert.equal(record.authority, 'productcatalog.shop:3550');
  assert.equal(record.userAgent, 'Mozilla/5.0 "quoted" (KHTML, like Gecko)');
  assert.equal(record.forwardedFor, '203.0.113.9');
  assert.equal(record.downstreamRemoteAddress, '[fd00:10:244:2::7]:52110');
  assert.equal(record.upstreamHost, '[fd00:10:244:1::12]:3550');
  assert.equal(record.source.ip, 'fd00:10:244:2::7');
  assert.equal(record.destination.ip, 'fd00:10:244:1::12');
  assert.equal(record.upstreamCluster, 'outbound|3550||productcatalog.shop.svc.cluster.local');
  assert.equal(record.routeName, 'default');
  assert.equal(record.count, 1);
});

test('zero values left out by `defaults: false`: no seconds, no response code value, no bodies', () => {
  const record = expectRecord(
    decodeHttpAccessLogEntry(
      entry(
        { duration: undefined, timeToLastDownstreamTxByte: { seconds: '2' } },
        { requestBodyBytes: undefined },
        { responseCode: {}, responseBodyBytes: undefined },
      ),
    ),
  );
  assert.equal(record.durationSeconds, 2, 'older Envoys: the time to the last byte sent');
  assert.equal(record.statusCode, 0);
  assert.equal(record.statusClass, 'unknown');
  assert.equal(record.bytesReceived, 0);
  assert.equal(record.bytesSent, 0);
  const noTimes = expectRecord(
    decodeHttpAccessLogEntry(entry({ duration: undefined, timeToLastDownstreamTxByte: undefined })),
  );
  assert.equal(noTimes.durationSeconds, undefined);
  const noResponse = expectRecord(decodeHttpAccessLogEntry(entry({}, {}, {}, { response: undefined })));
  assert.equal(noResponse.statusCode, 0);
});

test('every status class, HTTP versions, original path first, IPv4 and pipe addresses', () => {
  const cases: [number, string, string][] = [
    [101, 'HTTP10', 'HTTP/1.0'],
    [204, 'HTTP2', 'HTTP/2'],
    [308, 'HTTP3', 'HTTP/3'],
    [403, 'PROTOCOL_UNSPECIFIED', ''],
    [502, 'HTTP11', 'HTTP/1.1'],
  ];
  for (const [code, version, protocol] of cases) {
    const record = expectRecord(
      decodeHttpAccessLogEntry(
        entry(
          {
            downstreamRemoteAddress: { socketAddress: { address: '10.244.2.7', portValue: 48112 } },
            upstreamRemoteAddress: { pipe: { path: '/var/run/app.sock' } },
          },
          { originalPath: '/v1/orders?id=9', path: '/orders' },
          { responseCode: { value: code } },
          { protocolVersion: version },
        ),
      ),
    );
    assert.equal(record.statusClass, `${String(code)[0]}xx`);
    assert.equal(record.protocol, protocol);
    assert.equal(record.path, '/v1/orders');
    assert.equal(record.downstreamRemoteAddress, '10.244.2.7:48112');
    assert.equal(record.source.ip, '10.244.2.7');
    assert.equal(record.upstreamHost, '/var/run/app.sock');
    assert.equal(record.destination.ip, '');
  }
});

test('response flags print as Envoy short names, in Envoy order', () => {
  const record = expectRecord(
    decodeHttpAccessLogEntry(
      entry({
        responseFlags: {
          upstreamRetryLimitExceeded: true,
          upstreamConnectionFailure: true,
          unauthorizedDetails: { reason: 'EXTERNAL_SERVICE' },
          noRouteFound: false,
        },
      }),
    ),
  );
  assert.equal(record.responseFlags, 'UF,UAEX,URX');
});

test('the response-flag table follows the ResponseFlags field numbers of accesslog.proto', () => {
  const proto = readFileSync(resolve(__dirname, '../../../../src/sources/envoy/accesslog.proto'), 'utf8');
  const body = /message ResponseFlags \{([\s\S]*?)\n\}/.exec(proto)?.[1] ?? '';
  const fields = [...body.matchAll(/^\s+(?:bool|Unauthorized) (\w+) = (\d+);/gm)].map(([, name = '', number]) => [
    name.replace(/_(\w)/g, (_match, letter: string) => letter.toUpperCase()),
    Number(number),
  ]);
  assert.deepEqual(
    fields,
    RESPONSE_FLAG_NAMES.map((field, index) => [field, index + 1]),
  );
  assert.match(proto, /package envoy\.service\.accesslog\.v3;/);
  assert.match(proto, /rpc StreamAccessLogs\(stream StreamAccessLogsMessage\) returns \(StreamAccessLogsResponse\)/);
});

test('enums given as numbers (a decoder without `enums: String`) map the same', () => {
  const record = expectRecord(decodeHttpAccessLogEntry(entry({}, { requestMethod: 9 }, {}, { protocolVersion: 3 })));
  assert.equal(record.method, 'PATCH');
  assert.equal(record.protocol, 'HTTP/2');
});

test('intermediate entries and entries without a request are skipped', () => {
  assert.equal(expectSkip(decodeHttpAccessLogEntry(entry({ intermediateLogEntry: true }))), INTERMEDIATE_SKIP);
  const empty = entry({}, {}, {}, { request: {}, protocolVersion: undefined });
  assert.equal(expectSkip(decodeHttpAccessLogEntry(empty)), NO_REQUEST_SKIP);
});

test('stream messages: HTTP entries are listed, TCP entries and the identifier are not', () => {
  const message: StreamAccessLogsMessage = {
    identifier: {
      node: { id: 'sidecar~10.244.2.7~frontend-7d4b9c8f5-x2x4z.shop~shop.svc.cluster.local' },
      logName: 'als',
    },
    httpLogs: { logEntry: [ENTRY, ENTRY] },
  };
  assert.equal(httpEntriesOf(message).length, 2);
  assert.deepEqual(httpEntriesOf({ tcpLogs: { logEntry: [{ commonProperties: {} }] } }), []);
  expectDecodeError(() => httpEntriesOf({ httpLogs: { logEntry: {} } }), 'wrong_type', /httpLogs\.logEntry/);
  expectDecodeError(() => httpEntriesOf('x'), 'malformed', /StreamAccessLogsMessage/);
});

test('bad entries are rejected with a reason naming the field by its path', () => {
  const cases: [unknown, string, RegExp][] = [
    [null, 'malformed', /HTTPAccessLogEntry/],
    [[ENTRY], 'malformed', /HTTPAccessLogEntry/],
    [entry({}, {}, {}, { commonProperties: undefined }), 'missing_field', /commonProperties/],
    [entry({}, {}, {}, { request: undefined }), 'missing_field', /"request"/],
    [entry({ startTime: undefined }), 'missing_field', /commonProperties\.startTime/],
    [entry({ startTime: '2024-05-01T10:00:00Z' }), 'wrong_type', /commonProperties\.startTime/],
    [entry({ startTime: { seconds: 'soon' } }), 'wrong_type', /commonProperties\.startTime\.seconds/],
    [entry({ duration: { nanos: 1e9 } }), 'wrong_type', /commonProperties\.duration\.nanos/],
    [
      entry({ responseFlags: { noHealthyUpstream: 'yes' } }),
      'wrong_type',
      /commonProperties\.responseFlags\.noHealthyUpstream/,
    ],
    [entry({ intermediateLogEntry: 1 }), 'wrong_type', /commonProperties\.intermediateLogEntry/],
    [
      entry({ downstreamRemoteAddress: { socketAddress: { address: '10.0.0.1', portValue: '80x' } } }),
      'wrong_type',
      /commonProperties\.downstreamRemoteAddress\.socketAddress\.portValue/,
    ],
    [entry({ upstreamRemoteAddress: 'fd00::1' }), 'wrong_type', /commonProperties\.upstreamRemoteAddress/],
    [entry({}, { requestMethod: 'FETCH' }), 'wrong_type', /request\.requestMethod/],
    [entry({}, { requestBodyBytes: '-3' }), 'wrong_type', /request\.requestBodyBytes/],
    [entry({}, { userAgent: {} }), 'wrong_type', /request\.userAgent/],
    [entry({}, {}, { responseCode: { value: 'OK' } }), 'wrong_type', /response\.responseCode\.value/],
    [entry({}, {}, { responseCode: 200 }), 'wrong_type', /response\.responseCode/],
    [entry({}, {}, {}, { protocolVersion: 'HTTP9' }), 'wrong_type', /protocolVersion/],
  ];
  for (const [input, reason, field] of cases) {
    expectDecodeError(() => decodeHttpAccessLogEntry(input), reason as 'malformed', field, JSON.stringify(input));
  }
});
