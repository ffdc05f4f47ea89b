import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TCP_PROXY_SKIP } from './envoy-fields';
import { decodeIstioJsonLine } from './json-format';
import { expectDecodeError, expectRecord, expectSkip } from './testing';

/** An outbound request as Istio's JSON encoding writes it (all keys present, null for absent values). */
const OUTBOUND = {
  start_time: '2024-05-01T10:00:05.250Z',
  method: 'GET',
  path: '/api/v1/products/42?currency=EUR',
  protocol: 'HTTP/1.1',
  response_code: 200,
  response_flags: '-',
  response_code_details: 'via_upstream',
  connection_termination_details: null,
  upstream_transport_failure_reason: null,
  bytes_received: 0,
  bytes_sent: 1893,
  duration: 37,
  upstream_service_time: '35',
  x_forwarded_for: null,
  user_agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "quoted" (KHTML, like Gecko)',
  request_id: '0d3f2b8e-5e4c-4a7b-9d1e-6a8b7c5d4e3f',
  authority: 'productcatalog.shop:3550',
  upstream_host: '[fd00:10:244:1::12]:3550',
  upstream_cluster: 'outbound|3550||productcatalog.shop.svc.cluster.local',
  upstream_local_address: '[fd00:10:244:2::7]:52118',
  downstream_local_address: '[fd00:10:96::4f]:3550',
  downstream_remote_address: '[fd00:10:244:2::7]:52110',
  requested_server_name: null,
  route_name: 'default',
};

const line = (changes: Record<string, unknown> = {}, remove: string[] = []): string => {
  const object: Record<string, unknown> = { ...OUTBOUND, ...changes };
  for (const key of remove) delete object[key];
  return JSON.stringify(object);
};

test('an Istio JSON entry: IPv6 endpoints, the query string stripped, duration from ms, the service', () => {
  const record = expectRecord(decodeIstioJsonLine(line()));
  assert.equal(record.startTime, Date.UTC(2024, 4, 1, 10, 0, 5) / 1000 + 0.25);
  assert.equal(record.method, 'GET');
  assert.equal(record.path, '/api/v1/products/42');
  assert.equal(record.protocol, 'HTTP/1.1');
  assert.equal(record.statusCode, 200);
  assert.equal(record.statusClass, '2xx');
  assert.equal(record.responseFlags, '');
  assert.equal(record.bytesSent, 1893);
  assert.equal(record.durationSeconds, 0.037);
  assert.equal(record.userAgent, OUTBOUND.user_agent);
  assert.equal(record.forwardedFor, '');
  assert.equal(record.source.ip, 'fd00:10:244:2::7');
  assert.equal(record.destination.ip, 'fd00:10:244:1::12');
  assert.equal(record.destination.service, 'productcatalog');
  assert.equal(record.destination.serviceNamespace, 'shop');
  assert.equal(record.routeName, 'default');
  assert.equal(record.count, 1);
});

test('every status class; flags and `-` values', () => {
  const cases: [number, string, string][] = [
    [100, '-', '1xx'],
    [201, '-', '2xx'],
    [301, '-', '3xx'],
    [429, 'RL', '4xx'],
    [503, 'UH', '5xx'],
    [0, 'DC', 'unknown'],
  ];
  for (const [code, flags, statusClass] of cases) {
    const record = expectRecord(
      decodeIstioJsonLine(line({ response_code: code, response_flags: flags, upstream_host: '-' })),
    );
    assert.equal(record.statusClass, statusClass);
    assert.equal(record.responseFlags, flags === '-' ? '' : flags);
    assert.equal(record.destination.ip, '');
  }
});

test('integers written as decimal text (untyped json_format) are accepted', () => {
  const record = expectRecord(
    decodeIstioJsonLine(line({ response_code: '404', bytes_received: '12', bytes_sent: '0', duration: '8' })),
  );
  assert.equal(record.statusCode, 404);
  assert.equal(record.statusClass, '4xx');
  assert.equal(record.bytesReceived, 12);
  assert.equal(record.durationSeconds, 0.008);
});

test('an IPv4 inbound entry without optional keys', () => {
  const record = expectRecord(
    decodeIstioJsonLine(
      JSON.stringify({
        start_time: '2024-05-01T10:00:06Z',
        method: 'POST',
        path: '/hipstershop.CartService/AddItem',
        protocol: 'HTTP/2',
        response_code: 200,
        downstream_remote_address: '10.244.2.7:48112',
        upstream_host: '10.244.1.12:7070',
        upstream_cluster: 'inbound|7070||',
      }),
    ),
  );
  assert.equal(record.source.ip, '10.244.2.7');
  assert.equal(record.destination.ip, '10.244.1.12');
  assert.equal(record.destination.service, '');
  assert.equal(record.bytesSent, 0);
  assert.equal(record.durationSeconds, undefined);
});

test('TCP entries (null request fields) are skipped', () => {
  const tcp = line({
    method: null,
    path: null,
    protocol: null,
    response_code: 0,
    upstream_cluster: 'outbound|5432||db.data.svc.cluster.local',
  });
  assert.equal(expectSkip(decodeIstioJsonLine(tcp)), TCP_PROXY_SKIP);
});

test('bad lines are rejected with a reason naming the field', () => {
  const full = line();
  const cases: [string, string, RegExp][] = [
    // Cut inside a string: json-fields reads V8's message, which calls a cut after `,`, `:` or a value malformed.
    [full.slice(0, full.indexOf('currency') + 3), 'truncated', /JSON/],
    ['', 'truncated', /JSON/],
    ['{"start_time": 2024-05-01}', 'malformed', /JSON/],
    ['[1, 2]', 'malformed', /object/],
    ['"GET /"', 'malformed', /object/],
    [line({}, ['start_time']), 'missing_field', /start_time/],
    [line({ start_time: null }), 'missing_field', /start_time/],
    [line({}, ['method']), 'missing_field', /method/],
    [line({}, ['response_code']), 'missing_field', /response_code/],
    [line({ response_code: null }), 'missing_field', /response_code/],
    [line({ response_code: 'OK' }), 'wrong_type', /response_code/],
    [line({ bytes_sent: -1 }), 'wrong_type', /bytes_sent/],
    [line({ duration: 1.5 }), 'wrong_type', /duration/],
    [line({ start_time: 'yesterday' }), 'wrong_type', /start_time/],
    [line({ start_time: 1714557605 }), 'wrong_type', /start_time/],
    [line({ path: { raw: '/' } }), 'wrong_type', /path/],
    [line({ user_agent: ['curl'] }), 'wrong_type', /user_agent/],
  ];
  for (const [input, reason, field] of cases) {
    expectDecodeError(() => decodeIstioJsonLine(input), reason as 'malformed', field, input);
  }
});
