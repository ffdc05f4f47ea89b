import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calicoL7Source, envoySource } from './sources';
import { decodeOne } from '../../testing/collect';

const TEXT =
  '[2024-05-01T10:00:00.123Z] "GET /api/items?id=7 HTTP/1.1" 200 - 0 512 14 12 "-" "curl/8.5.0" ' +
  '"5f2a4c1e" "cart.shop.svc.cluster.local:8080" "10.244.1.17:8080"';
const JSON_LINE = JSON.stringify({
  start_time: '2024-05-01T10:00:05.250Z',
  method: 'POST',
  path: '/orders',
  protocol: 'HTTP/2',
  response_code: 201,
  bytes_received: 10,
  bytes_sent: 20,
  duration: 3,
  upstream_host: '10.244.1.17:8080',
  downstream_remote_address: '10.244.2.3:5555',
});

test('envoy: text and Istio JSON lines are told apart per line, through one decoder', () => {
  const decoder = envoySource.createDecoder();
  const text = decodeOne(decoder, TEXT);
  const json = decodeOne(decoder, `  ${JSON_LINE}`);
  assert.equal(text.sink.httpRecords[0]?.method, 'GET');
  assert.equal(text.sink.httpRecords[0]?.destination.ip, '10.244.1.17');
  assert.equal(json.sink.httpRecords[0]?.method, 'POST');
  assert.equal(json.sink.httpRecords[0]?.source.ip, '10.244.2.3');
  assert.equal(json.sink.httpRecords[0]?.durationSeconds, 0.003);
});

test('TCP entries are skipped as tcp; bad lines raise the decoders’ reasons', () => {
  const tcp = JSON.stringify({ ...JSON.parse(JSON_LINE), method: null, path: null, protocol: null });
  assert.deepEqual(decodeOne(envoySource.createDecoder(), tcp).sink.skips, ['tcp']);
  const calicoTcp = JSON.stringify({ type: 'tcp', count: 1 });
  assert.deepEqual(decodeOne(calicoL7Source.createDecoder(), calicoTcp).sink.skips, ['tcp']);
  assert.equal(decodeOne(envoySource.createDecoder(), '{"start_time":').error?.reason, 'truncated');
  assert.equal(decodeOne(envoySource.createDecoder(), 'GET / 200').error?.reason, 'malformed');
});
