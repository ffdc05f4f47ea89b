/**
 * `flowlens serve --source envoy-als:HOST:PORT`: a real gRPC client (@grpc/grpc-js over the same accesslog.proto)
 * streams Access Log Service messages to a spawned exporter, as Envoy does, and the entries show up in /metrics:
 * requests by status class, bytes, bad entries by reason (the stream goes on), streams ending, concurrent streams,
 * and `replay` refusing the source.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AlsClient, httpLogsMessage } from '@flowlens/exporter/dist/src/sources/envoy/als-client';
import type { HTTPAccessLogEntry } from '@flowlens/exporter/dist/src/sources/envoy/als';
import {
  errorsByReason,
  fetchText,
  freePort,
  parseExposition,
  runFlowlens,
  sampleValue,
  sumSamples,
  testWorkspace,
  waitFor,
  type Sample,
  type Spawned,
} from './support';

const workspace = testWorkspace('flowlens-envoy-als-');
const { processes } = workspace;

const SOURCE = 'envoy-als';

function entry(
  method: 'GET' | 'POST',
  code: number | undefined,
  requestBytes: number,
  responseBytes: number,
): HTTPAccessLogEntry {
  return {
    commonProperties: {
      startTime: { seconds: String(Math.floor(Date.now() / 1000)), nanos: 1000 },
      duration: { nanos: 20_000_000 },
      downstreamRemoteAddress: { socketAddress: { address: '10.244.1.7', portValue: 40123 } },
      upstreamRemoteAddress: { socketAddress: { address: '10.244.2.9', portValue: 8080 } },
      upstreamCluster: 'outbound|8080||cart.shop.svc.cluster.local',
    },
    protocolVersion: 'HTTP2',
    request: { requestMethod: method, path: '/api/cart?id=1', requestBodyBytes: String(requestBytes) },
    response:
      code === undefined ? undefined : { responseCode: { value: code }, responseBodyBytes: String(responseBytes) },
  };
}

describe('flowlens serve --source envoy-als', () => {
  let exporter: Spawned;
  let base = '';
  let alsAddress = '';
  const clients: AlsClient[] = [];

  const client = (): AlsClient => {
    const created = new AlsClient(alsAddress);
    clients.push(created);
    return created;
  };

  const scrape = async (): Promise<Sample[]> => parseExposition((await fetchText(`${base}/metrics`)).body);

  /** Waits until the exporter has accepted `records` records from the ALS source, and returns that scrape. */
  const recordsAccepted = async (records: number): Promise<Sample[]> => {
    let samples: Sample[] = [];
    await waitFor(
      async () => {
        samples = await scrape();
        return sumSamples(samples, 'flowlens_ingest_records_total', { source: SOURCE }) >= records;
      },
      20_000,
      { description: `${records} ALS records in /metrics`, process: exporter },
    );
    return samples;
  };

  before(async () => {
    const [httpPort, alsPort] = [await freePort(), await freePort()];
    alsAddress = `127.0.0.1:${alsPort}`;
    exporter = processes.startFlowlens([
      'serve',
      '--listen',
      `127.0.0.1:${httpPort}`,
      '--source',
      `${SOURCE}:${alsAddress}`,
    ]);
    base = `http://127.0.0.1:${httpPort}`;
    await waitFor(async () => (await fetchText(`${base}/readyz`)).status === 200, 30_000, {
      description: `${base}/readyz to answer 200`,
      process: exporter,
    });
  });

  // The tests below build on each other's counts, in order.
  test('a stream of HTTP entries is counted by status class and bytes; the client ends it cleanly', async () => {
    const stream = client().open();
    await stream.send(
      httpLogsMessage([entry('GET', 200, 100, 1000), entry('GET', 204, 0, 0)], {
        nodeId: 'sidecar~10.244.1.7~web-1.shop~shop.svc.cluster.local',
        logName: 'flowlens',
      }),
    );
    await stream.send(httpLogsMessage([entry('POST', 503, 50, 20), entry('GET', undefined, 0, 0)]));
    await stream.end();
    const samples = await recordsAccepted(4);
    assert.equal(sampleValue(samples, 'flowlens_ingest_records_total', { source: SOURCE }), 4);
    assert.equal(sumSamples(samples, 'flowlens_http_requests_total'), 4);
    assert.equal(sumSamples(samples, 'flowlens_http_requests_total', { method: 'GET', status_class: '2xx' }), 2);
    assert.equal(sumSamples(samples, 'flowlens_http_requests_total', { method: 'POST', status_class: '5xx' }), 1);
    assert.equal(sumSamples(samples, 'flowlens_http_requests_total', { status_class: 'unknown' }), 1);
    assert.equal(sumSamples(samples, 'flowlens_http_request_bytes_total'), 150);
    assert.equal(sumSamples(samples, 'flowlens_http_response_bytes_total'), 1020);
    assert.equal(sumSamples(samples, 'flowlens_http_request_duration_seconds_count'), 4);
    assert.equal(exporter.exitStatus, undefined, 'the exporter must keep running after a stream ends');
  });

  test('a bad entry is counted by reason and later entries of the same stream still count', async () => {
    const stream = client().open();
    const noStartTime = entry('GET', 200, 1, 1);
    delete noStartTime.commonProperties?.startTime;
    const badNanos = entry('GET', 200, 1, 1);
    if (badNanos.commonProperties !== undefined) badNanos.commonProperties.duration = { nanos: 2_000_000_000 };
    await stream.send(
      httpLogsMessage([noStartTime, entry('GET', 404, 5, 7)], { nodeId: 'gateway~10.244.3.3~gw-0', logName: 'gw' }),
    );
    await stream.send(httpLogsMessage([badNanos]));
    await stream.send(httpLogsMessage([entry('GET', 302, 5, 7)]));
    const samples = await recordsAccepted(6);
    assert.equal(sampleValue(samples, 'flowlens_ingest_records_total', { source: SOURCE }), 6);
    assert.deepEqual(errorsByReason(samples, SOURCE), {
      malformed: 0,
      truncated: 0,
      oversized: 0,
      wrong_type: 1,
      missing_field: 1,
    });
    assert.equal(sumSamples(samples, 'flowlens_http_requests_total', { status_class: '4xx' }), 1);
    assert.equal(sumSamples(samples, 'flowlens_http_requests_total', { status_class: '3xx' }), 1);
    await stream.end();
  });

  test('two concurrent streams both count, interleaved', async () => {
    const first = client().open();
    const second = client().open();
    await first.send(httpLogsMessage([entry('GET', 200, 1, 1)], { nodeId: 'sidecar-a', logName: 'a' }));
    await second.send(httpLogsMessage([entry('POST', 500, 1, 1)], { nodeId: 'sidecar-b', logName: 'b' }));
    await first.send(httpLogsMessage([entry('GET', 200, 1, 1)]));
    await second.send(httpLogsMessage([entry('POST', 500, 1, 1)]));
    const samples = await recordsAccepted(10);
    assert.equal(sampleValue(samples, 'flowlens_ingest_records_total', { source: SOURCE }), 10);
    assert.equal(sumSamples(samples, 'flowlens_http_requests_total', { method: 'POST', status_class: '5xx' }), 3);
    await Promise.all([first.end(), second.end()]);
  });

  test('a message over the 4 MiB limit is refused by gRPC; the server goes on', async () => {
    const stream = client().open();
    const huge = entry('GET', 200, 1, 1);
    if (huge.request !== undefined) huge.request.path = `/${'x'.repeat(5 * 1024 * 1024)}`;
    // Not awaited: once the server refuses the message the write may never be acknowledged; the call's end says how it went.
    void stream.send(httpLogsMessage([huge], { nodeId: 'big', logName: 'big' })).catch(() => undefined);
    await assert.rejects(stream.end(), /RESOURCE_EXHAUSTED|larger than max/i);
    const next = client().open();
    await next.send(httpLogsMessage([entry('GET', 200, 1, 1)], { nodeId: 'after', logName: 'after' }));
    await next.end();
    const samples = await recordsAccepted(11);
    assert.equal(sampleValue(samples, 'flowlens_ingest_records_total', { source: SOURCE }), 11);
  });

  test('SIGTERM stops it cleanly', async () => {
    for (const created of clients) created.close();
    const exit = await exporter.stop('SIGTERM');
    assert.equal(exit.code, 0, exporter.stderr);
  });
});

test('flowlens replay --source envoy-als is an error saying why', async () => {
  const result = await runFlowlens(processes, ['replay', '--source', 'envoy-als:127.0.0.1:0']);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /envoy-als source: replay has nothing to read/);
});

test('flowlens serve --source envoy-als with a bad address is an error saying how to write it', async () => {
  const result = await runFlowlens(processes, ['serve', '--listen', '127.0.0.1:0', '--source', 'envoy-als:9471']);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /use envoy-als:HOST:PORT/);
});
