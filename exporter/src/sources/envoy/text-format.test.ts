import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeError } from '../types';
import { TCP_PROXY_SKIP } from './envoy-fields';
import { decodeEnvoyTextLine } from './text-format';
import { expectDecodeError, expectRecord, expectSkip } from './testing';

/** Envoy's classic default format. */
const CLASSIC =
  '[2024-05-01T10:00:00.123Z] "GET /api/items?id=7&token=abc HTTP/1.1" 200 - 0 512 14 12 "-" "curl/8.5.0" ' +
  '"5f2a4c1e-7b3d-4e8a-9c1f-2d3e4f5a6b7c" "cart.shop.svc.cluster.local:8080" "10.244.1.17:8080"';

/** The newer default with the six trailing fields; IPv6 everywhere and a user agent holding quotes. */
const WITH_TAIL =
  '[2024-05-01T10:00:01.500Z] "POST /orders?session=xyz#frag HTTP/2" 201 - 348 97 23 21 "2001:db8::7" ' +
  '"Go-http-client/1.1 "probe" v2" "a1b2c3d4" "checkout.shop:8080" "[fd00:10:244::9]:8080" ' +
  'outbound|8080||checkout.shop.svc.cluster.local [fd00:10:244::5]:48720 [fd00:10:96::a]:8080 ' +
  '[fd00:10:244::5]:48712 - default';

/** Istio's text format: response code details, termination details and transport failure after the flags. */
const ISTIO =
  '[2024-05-01T10:00:02.000Z] "GET /healthz/ready HTTP/1.1" 503 UF,URX ' +
  'upstream_reset_before_response_started{connection_failure} - "delayed_connect_error:_111" 0 91 3 - "-" ' +
  '"kube-probe/1.29" "6d1c0f4e-0c1a-4b9e-8a57-3f1e2d9c7b10" "10.244.2.9:15021" "10.244.2.9:8080" inbound|8080|| ' +
  '127.0.0.6:51215 10.244.2.9:8080 10.244.0.1:45122 outbound_.8080_._.web.shop.svc.cluster.local default';

test('the classic default format: fields mapped, query string stripped, duration in seconds', () => {
  const record = expectRecord(decodeEnvoyTextLine(CLASSIC));
  assert.equal(record.startTime, Date.UTC(2024, 4, 1, 10, 0, 0) / 1000 + 0.123);
  assert.equal(record.method, 'GET');
  assert.equal(record.path, '/api/items');
  assert.equal(record.protocol, 'HTTP/1.1');
  assert.equal(record.statusCode, 200);
  assert.equal(record.statusClass, '2xx');
  assert.equal(record.responseFlags, '', '`-` is no flags');
  assert.equal(record.bytesReceived, 0);
  assert.equal(record.bytesSent, 512);
  assert.equal(record.durationSeconds, 0.014);
  assert.equal(record.durationMaxSeconds, undefined);
  assert.equal(record.forwardedFor, '');
  assert.equal(record.userAgent, 'curl/8.5.0');
  assert.equal(record.requestId, '5f2a4c1e-7b3d-4e8a-9c1f-2d3e4f5a6b7c');
  assert.equal(record.authority, 'cart.shop.svc.cluster.local:8080');
  assert.equal(record.upstreamHost, '10.244.1.17:8080');
  assert.equal(record.destination.ip, '10.244.1.17');
  assert.equal(record.destination.kind, 'unknown', 'workloads are for the enrich stage');
  assert.equal(record.downstreamRemoteAddress, '', 'the classic format does not log the client');
  assert.equal(record.source.ip, '');
  assert.equal(record.upstreamCluster, '');
  assert.equal(record.count, 1);
});

test('the newer default: IPv6 addresses, quotes inside the user agent, the trailing fields', () => {
  const record = expectRecord(decodeEnvoyTextLine(WITH_TAIL));
  assert.equal(record.method, 'POST');
  assert.equal(record.path, '/orders');
  assert.equal(record.protocol, 'HTTP/2');
  assert.equal(record.statusClass, '2xx');
  assert.equal(record.userAgent, 'Go-http-client/1.1 "probe" v2');
  assert.equal(record.forwardedFor, '2001:db8::7');
  assert.notEqual(record.source.ip, '2001:db8::7', 'X-Forwarded-For is client-supplied and never the source');
  assert.equal(record.requestId, 'a1b2c3d4');
  assert.equal(record.upstreamHost, '[fd00:10:244::9]:8080');
  assert.equal(record.destination.ip, 'fd00:10:244::9');
  assert.equal(record.upstreamCluster, 'outbound|8080||checkout.shop.svc.cluster.local');
  assert.equal(record.destination.service, 'checkout');
  assert.equal(record.destination.serviceNamespace, 'shop');
  assert.equal(record.downstreamRemoteAddress, '[fd00:10:244::5]:48712');
  assert.equal(record.source.ip, 'fd00:10:244::5');
  assert.equal(record.routeName, 'default');
});

test("Istio's text format with response flags and a 503", () => {
  const record = expectRecord(decodeEnvoyTextLine(ISTIO));
  assert.equal(record.statusCode, 503);
  assert.equal(record.statusClass, '5xx');
  assert.equal(record.responseFlags, 'UF,URX');
  assert.equal(record.bytesSent, 91);
  assert.equal(record.durationSeconds, 0.003);
  assert.equal(record.userAgent, 'kube-probe/1.29');
  assert.equal(record.upstreamCluster, 'inbound|8080||');
  assert.equal(record.destination.service, '', 'inbound clusters name no service');
  assert.equal(record.source.ip, '10.244.0.1');
  assert.equal(record.destination.ip, '10.244.2.9');
  assert.equal(record.routeName, 'default');
});

test('every status class, and 0 (no response) as unknown', () => {
  const line = (code: string, flags: string, upstream: string): string =>
    `[2024-05-01T10:00:00Z] "GET /ws HTTP/1.1" ${code} ${flags} 0 0 5 - "-" "-" "-" "web" "${upstream}"`;
  const cases: [string, string, string, string][] = [
    ['101', '-', '10.0.0.1:80', '1xx'],
    ['204', '-', '10.0.0.1:80', '2xx'],
    ['302', '-', '10.0.0.1:80', '3xx'],
    ['404', 'NR', '-', '4xx'],
    ['504', 'UT', '10.0.0.1:80', '5xx'],
    ['0', 'DC', '-', 'unknown'],
  ];
  for (const [code, flags, upstream, statusClass] of cases) {
    const record = expectRecord(decodeEnvoyTextLine(line(code, flags, upstream)));
    assert.equal(record.statusClass, statusClass, code);
    assert.equal(record.statusCode, Number(code));
    assert.equal(record.responseFlags, flags === '-' ? '' : flags);
    assert.equal(record.upstreamHost, upstream === '-' ? '' : upstream);
    assert.equal(record.requestId, '');
    assert.equal(record.userAgent, '');
  }
});

test('a start time without fraction, with microseconds or with an offset', () => {
  const at = (time: string): number =>
    expectRecord(decodeEnvoyTextLine(CLASSIC.replace('2024-05-01T10:00:00.123Z', time))).startTime;
  const base = Date.UTC(2024, 4, 1, 10, 0, 0) / 1000;
  assert.equal(at('2024-05-01T10:00:00Z'), base);
  assert.ok(Math.abs(at('2024-05-01T10:00:00.123456Z') - (base + 0.123456)) < 1e-6);
  assert.equal(at('2024-05-01T12:00:00.000+0200'), base);
  assert.equal(at('2024-05-01T12:00:00+02:00'), base);
});

test('TCP proxy lines have no request line and are skipped, in both layouts', () => {
  const envoy = '[2024-05-01T10:00:03.000Z] "- - -" 0 - 0 0 1500 - "-" "-" "-" "-" "10.96.0.10:5432"';
  assert.equal(expectSkip(decodeEnvoyTextLine(envoy)), TCP_PROXY_SKIP);
  const istio =
    '[2024-05-01T10:00:03.000Z] "- - -" 0 - - - "-" 1532 6020 1503 - "-" "-" "-" "-" "10.244.3.4:5432" ' +
    'outbound|5432||db.data.svc.cluster.local 10.244.1.5:40112 10.96.14.2:5432 10.244.1.5:40110 - -';
  assert.equal(expectSkip(decodeEnvoyTextLine(istio)), TCP_PROXY_SKIP);
});

test('a request Envoy rejected before routing keeps what it knows', () => {
  const line = '[2024-05-01T10:00:04.000Z] "- - HTTP/1.1" 400 DPE 0 11 0 - "-" "-" "-" "-" "-"';
  const record = expectRecord(decodeEnvoyTextLine(line));
  assert.equal(record.method, '');
  assert.equal(record.protocol, 'HTTP/1.1');
  assert.equal(record.statusClass, '4xx');
  assert.equal(record.responseFlags, 'DPE');
  assert.equal(record.destination.ip, '');
});

test('lines that do not match the grammar are malformed', () => {
  const cases: [string, RegExp][] = [
    ['2024-05-01T10:00:00Z "GET / HTTP/1.1" 200 - 0 0 1 - "-" "-" "-" "-" "-"', /START_TIME/],
    ['[2024-05-01T10:00:00Z] GET / HTTP/1.1 200 - 0 0 1 - "-" "-" "-" "-" "-"', /request line/],
    ['[2024-05-01T10:00:00Z] "GET /" 200 - 0 0 1 - "-" "-" "-" "-" "-"', /request line/],
    ['[2024-05-01T10:00:00Z] "GET / HTTP/1.1 extra" 200 - 0 0 1 - "-" "-" "-" "-" "-"', /request line/],
    ['[2024-05-01T10:00:00Z] "GET / HTTP/1.1" 200 - 0 0 1 "-" "-" "-" "-" "-"', /RESPONSE_CODE/],
    ['[2024-05-01T10:00:00Z] "GET / HTTP/1.1" 200 - 0 0 1 - "-" "-" "-" "-" "-" a b c d e f g', /ROUTE_NAME/],
    ['[2024-05-01T10:00:00Z]"GET / HTTP/1.1" 200 - 0 0 1 - "-" "-" "-" "-" "-"', /START_TIME/],
    ['[2024-05-01T10:00:00Z] "GET / HTTP/1.1" 200 - 0 0 1 - "-" -"-" "-" "-" "-"', /USER-AGENT|X-REQUEST-ID/],
  ];
  for (const [line, field] of cases) expectDecodeError(() => decodeEnvoyTextLine(line), 'malformed', field, line);
});

test('a line cut short anywhere before its last field is truncated', () => {
  const plainUserAgent = WITH_TAIL.replace('Go-http-client/1.1 "probe" v2', 'Go-http-client/1.1');
  for (const [name, line, keep] of [
    ['classic', CLASSIC, 1],
    ['with tail', plainUserAgent, ' default'.length + 1],
    ['istio', ISTIO, ' default'.length + 1],
  ] as const) {
    const classicEnd = line.indexOf(' outbound|');
    for (let end = 0; end <= line.length - keep; end++) {
      // Cut right after UPSTREAM_HOST, Envoy's newer default is its classic one: a valid line.
      if (name === 'with tail' && end === classicEnd) continue;
      const cut = line.slice(0, end);
      expectDecodeError(() => decodeEnvoyTextLine(cut), 'truncated', /field|empty/, `${name} cut at ${end}: ${cut}`);
    }
  }
});

test('a cut line whose user agent holds quotes is rejected, as truncated or malformed', () => {
  // Unescaped quotes make some cuts look like a complete line with odd fields; none may pass as a record
  // unless it parses as the classic layout, which the cut after UPSTREAM_HOST's closing quote does.
  const end = WITH_TAIL.indexOf(' outbound|');
  for (let cut = 0; cut < end; cut++) {
    const line = WITH_TAIL.slice(0, cut);
    try {
      decodeEnvoyTextLine(line);
    } catch (error) {
      assert.ok(error instanceof DecodeError, line);
      assert.ok(error.reason === 'truncated' || error.reason === 'malformed', `${error.reason}: ${line}`);
      continue;
    }
    // A cut that happens to end on a quote after enough fields parses; the user agent then absorbs the rest.
    assert.ok(line.endsWith('"'), `cut at ${cut} parsed: ${line}`);
  }
});

test('fields of the wrong type name the field', () => {
  const cases: [string, string, RegExp][] = [
    ['200 - 0 512', 'abc - 0 512', /RESPONSE_CODE/],
    ['200 - 0 512', '200 - -5 512', /BYTES_RECEIVED/],
    ['200 - 0 512', '200 - 0 5.5', /BYTES_SENT/],
    ['512 14 12', '512 1e3 12', /DURATION/],
    ['2024-05-01T10:00:00.123Z', 'yesterday', /START_TIME/],
    ['2024-05-01T10:00:00.123Z', '2024-13-45T10:00:00Z', /START_TIME/],
  ];
  for (const [from, to, field] of cases) {
    const line = CLASSIC.replace(from, to);
    expectDecodeError(() => decodeEnvoyTextLine(line), 'wrong_type', field, line);
  }
});

test('required values written as `-` are missing fields', () => {
  const cases: [string, string, RegExp][] = [
    ['2024-05-01T10:00:00.123Z', '-', /START_TIME/],
    ['200 - 0 512', '- - 0 512', /RESPONSE_CODE/],
    ['512 14 12', '512 - 12', /DURATION/],
  ];
  for (const [from, to, field] of cases) {
    const line = CLASSIC.replace(from, to);
    expectDecodeError(() => decodeEnvoyTextLine(line), 'missing_field', field, line);
  }
});

test('only DecodeErrors escape, whatever the input', () => {
  const inputs = ['"', '[', ']', '[]', '[] ""', '""""""""', `${CLASSIC} "`, `"${CLASSIC}`, '- - -', '\t'];
  for (const input of inputs) {
    try {
      decodeEnvoyTextLine(input);
    } catch (error) {
      assert.ok(error instanceof DecodeError, `${JSON.stringify(input)}: ${String(error)}`);
    }
  }
});
