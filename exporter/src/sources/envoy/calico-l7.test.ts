import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCalicoL7Line } from './calico-l7';
import { expectDecodeError, expectRecord, expectSkip } from './testing';

/** An aggregated L7 log line as Calico writes it (durations in nanoseconds). */
const AGGREGATED = {
  start_time: 1714557600,
  end_time: 1714557610,
  bytes_in: 2400,
  bytes_out: 96000,
  duration_mean: 12500000,
  duration_max: 48000000,
  count: 12,
  src_name_aggr: 'frontend-7d4b9c8f5-*',
  src_namespace: 'shop',
  src_type: 'wep',
  dest_name_aggr: 'cart-5c9f8d7b6-*',
  dest_namespace: 'shop',
  dest_type: 'wep',
  dest_service_name: 'cart',
  dest_service_namespace: 'shop',
  dest_service_port: 8080,
  url: 'cart.shop.svc.cluster.local:8080/api/cart/items?user=1234',
  response_code: 200,
  method: 'GET',
  user_agent: 'python-requests/2.31.0',
  type: 'http/1.1',
};

const line = (changes: Record<string, unknown> = {}, remove: string[] = []): string => {
  const object: Record<string, unknown> = { ...AGGREGATED, ...changes };
  for (const key of remove) delete object[key];
  return JSON.stringify(object);
};

test('an aggregated log: count, mean and max durations, names instead of IPs, the service', () => {
  const record = expectRecord(decodeCalicoL7Line(line()));
  assert.equal(record.count, 12);
  assert.equal(record.startTime, 1714557600);
  assert.equal(record.durationSeconds, 0.0125);
  assert.equal(record.durationMaxSeconds, 0.048);
  assert.equal(record.method, 'GET');
  assert.equal(record.authority, 'cart.shop.svc.cluster.local:8080');
  assert.equal(record.path, '/api/cart/items');
  assert.equal(record.protocol, 'HTTP/1.1');
  assert.equal(record.statusClass, '2xx');
  assert.equal(record.bytesReceived, 2400);
  assert.equal(record.bytesSent, 96000);
  assert.equal(record.userAgent, 'python-requests/2.31.0');
  assert.deepEqual(
    [record.source.kind, record.source.namespace, record.source.pod, record.source.ip],
    ['pod', 'shop', 'frontend-7d4b9c8f5-*', ''],
  );
  assert.equal(record.destination.pod, 'cart-5c9f8d7b6-*');
  assert.equal(record.destination.service, 'cart');
  assert.equal(record.destination.serviceNamespace, 'shop');
});

test('urls with a scheme, a bare path, or only a host; `html/` types; every status class', () => {
  const cases: [Record<string, unknown>, string, string, string, string][] = [
    [
      { url: 'http://api.example.com/v1/login?next=/home', response_code: 302 },
      'api.example.com',
      '/v1/login',
      '3xx',
      'HTTP/1.1',
    ],
    [{ url: '/healthz', response_code: 204, type: 'html/1.1' }, '', '/healthz', '2xx', 'HTTP/1.1'],
    [{ url: 'cart.shop:8080', response_code: 101, type: 'http/2' }, 'cart.shop:8080', '/', '1xx', 'HTTP/2'],
    [{ url: '-', response_code: '404' }, '', '', '4xx', 'HTTP/1.1'],
    [{ url: 'cart.shop/checkout#step2', response_code: 503 }, 'cart.shop', '/checkout', '5xx', 'HTTP/1.1'],
    [{ response_code: 0, type: '-' }, 'cart.shop.svc.cluster.local:8080', '/api/cart/items', 'unknown', ''],
  ];
  for (const [changes, authority, path, statusClass, protocol] of cases) {
    const record = expectRecord(decodeCalicoL7Line(line(changes)));
    assert.equal(record.authority, authority, JSON.stringify(changes));
    assert.equal(record.path, path, JSON.stringify(changes));
    assert.equal(record.statusClass, statusClass, JSON.stringify(changes));
    assert.equal(record.protocol, protocol, JSON.stringify(changes));
  }
});

test('non-pod peers: host endpoints, network sets and private networks', () => {
  const record = expectRecord(
    decodeCalicoL7Line(
      line({ src_type: 'net', src_name_aggr: 'pvt', src_namespace: '-', dest_type: 'hep', dest_name_aggr: 'node-1' }),
    ),
  );
  assert.equal(record.source.kind, 'private');
  assert.equal(record.source.namespace, '');
  assert.equal(record.destination.kind, 'host');
  assert.equal(record.destination.workload, 'node-1');
  assert.equal(record.destination.pod, '');
  const fromSet = expectRecord(decodeCalicoL7Line(line({ src_type: 'ns', src_name_aggr: 'partners' })));
  assert.equal(fromSet.source.kind, 'networkset');
  assert.equal(fromSet.source.workload, 'partners');
});

test('TCP L7 logs are not HTTP requests', () => {
  assert.match(
    expectSkip(decodeCalicoL7Line(line({ type: 'tcp', method: null, url: null, response_code: null }))),
    /tcp/,
  );
});

test('bad lines are rejected with a reason naming the field', () => {
  const full = line();
  const cases: [string, string, RegExp][] = [
    [full.slice(0, full.indexOf('frontend') + 4), 'truncated', /JSON/],
    ['{count: 1}', 'malformed', /JSON/],
    ['null', 'malformed', /object/],
    [line({}, ['count']), 'missing_field', /count/],
    [line({}, ['response_code']), 'missing_field', /response_code/],
    [line({}, ['method']), 'missing_field', /method/],
    [line({ count: '12' }), 'wrong_type', /count/],
    [line({ count: 0 }), 'wrong_type', /count/],
    [line({ response_code: 'OK' }), 'wrong_type', /response_code/],
    [line({ duration_mean: 'fast' }), 'wrong_type', /duration_mean/],
    [line({ bytes_in: -3 }), 'wrong_type', /bytes_in/],
    [line({ url: { path: '/' } }), 'wrong_type', /url/],
    [line({ method: true }), 'wrong_type', /method/],
  ];
  for (const [input, reason, field] of cases) {
    expectDecodeError(() => decodeCalicoL7Line(input), reason as 'malformed', field, input);
  }
});
