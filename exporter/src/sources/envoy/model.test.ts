import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostOf, joinHostPort, splitHostPort } from './address';
import { pathWithoutQuery, serviceOfCluster, statusClassOf } from './model';

test('status classes cover 1xx..5xx at their edges; anything else is unknown', () => {
  const cases: [number, string][] = [
    [100, '1xx'],
    [199, '1xx'],
    [200, '2xx'],
    [304, '3xx'],
    [499, '4xx'],
    [500, '5xx'],
    [599, '5xx'],
    [0, 'unknown'],
    [99, 'unknown'],
    [600, 'unknown'],
  ];
  for (const [code, statusClass] of cases) assert.equal(statusClassOf(code), statusClass, String(code));
});

test('addresses: IPv4, bracketed and bare IPv6, pipes and hostnames', () => {
  assert.deepEqual(splitHostPort('10.244.1.17:8080'), { host: '10.244.1.17', port: 8080 });
  assert.deepEqual(splitHostPort('[fd00:10:244::5]:48720'), { host: 'fd00:10:244::5', port: 48720 });
  assert.deepEqual(splitHostPort('2001:db8::1'), { host: '2001:db8::1', port: undefined });
  assert.equal(hostOf('[::1]:443'), '::1');
  assert.equal(hostOf('10.0.0.1'), '10.0.0.1');
  assert.equal(hostOf('/var/run/envoy.sock'), '', 'a pipe has no IP');
  assert.equal(hostOf('cart.shop.svc:8080'), '', 'a hostname is not an IP');
  assert.equal(hostOf(''), '');
  for (const address of [
    '010.0.0.1:80',
    '10.0.0.256:80',
    '10.0.0.1234:80',
    '10.0.0:80',
    '10.0.0.1:80:81',
    '10.0.0.1x',
  ]) {
    assert.equal(hostOf(address), '', address);
  }
  assert.equal(hostOf('0.0.0.0:1'), '0.0.0.0');
  assert.equal(hostOf('255.255.255.255:'), '255.255.255.255');
  assert.equal(joinHostPort('fd00::5', 80), '[fd00::5]:80');
  assert.equal(joinHostPort('10.0.0.1', undefined), '10.0.0.1');
});

test('paths lose their query string and fragment', () => {
  assert.equal(pathWithoutQuery('/api/items?id=7&token=secret'), '/api/items');
  assert.equal(pathWithoutQuery('/docs#intro'), '/docs');
  assert.equal(pathWithoutQuery('/plain'), '/plain');
});

test("Istio outbound cluster names name the destination service; others don't", () => {
  assert.deepEqual(serviceOfCluster('outbound|8080||cart.shop.svc.cluster.local'), {
    service: 'cart',
    namespace: 'shop',
  });
  assert.deepEqual(serviceOfCluster('outbound|443|v2|api.payments.svc.cluster.local'), {
    service: 'api',
    namespace: 'payments',
  });
  assert.equal(serviceOfCluster('inbound|8080||'), undefined);
  assert.equal(serviceOfCluster('outbound|443||www.example.com'), undefined);
  assert.equal(serviceOfCluster('PassthroughCluster'), undefined);
  assert.equal(serviceOfCluster('PassthroughCluster'), undefined, 'remembered as none');
  assert.deepEqual(serviceOfCluster('outbound|8080||cart.shop.svc.cluster.local'), {
    service: 'cart',
    namespace: 'shop',
  });
});
