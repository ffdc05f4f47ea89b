import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryLogger } from '../../log';
import type { HttpRecord } from '../../model/http';
import { DecodeError, type GeneratorContext } from '../types';
import { AlsClient, httpLogsMessage } from './als-client';
import type { HTTPAccessLogEntry } from './als';
import { ALS_PROTO_PATH } from './als-proto';
import { AlsServer, createAlsSource, parseAlsArgument } from './als-server';

interface Recorded {
  records: HttpRecord[];
  skipped: string[];
  rejected: { reason: string; where: string; position: number }[];
  logger: MemoryLogger;
  context: GeneratorContext;
}

function recordingContext(mode: GeneratorContext['mode'] = 'serve'): Recorded {
  const recorded: Omit<Recorded, 'context'> = { records: [], skipped: [], rejected: [], logger: new MemoryLogger() };
  const context: GeneratorContext = {
    mode,
    logger: recorded.logger,
    sink: {
      flow: () => undefined,
      dns: () => undefined,
      http: (record) => recorded.records.push(record),
      audit: () => undefined,
      sockets: () => undefined,
      skipped: (reason) => recorded.skipped.push(reason),
    },
    feedLine: () => assert.fail('the ALS server feeds no lines'),
    gauge: () => undefined,
    rejected: (error: DecodeError, where, position) =>
      recorded.rejected.push({ reason: error.reason, where, position }),
  };
  return { ...recorded, context };
}

function entry(code: number, path = '/cart'): HTTPAccessLogEntry {
  return {
    commonProperties: { startTime: { seconds: '1700000000' }, duration: { nanos: 5_000_000 } },
    protocolVersion: 'HTTP11',
    request: { requestMethod: 'GET', path, requestBodyBytes: '10' },
    response: { responseCode: { value: code }, responseBodyBytes: '200' },
  };
}

async function until(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('the argument is HOST:PORT', () => {
  assert.deepEqual(parseAlsArgument('0.0.0.0:9471'), { host: '0.0.0.0', port: 9471 });
  assert.deepEqual(parseAlsArgument('[::]:9471'), { host: '::', port: 9471 });
  assert.deepEqual(parseAlsArgument('localhost:0'), { host: 'localhost', port: 0 });
  for (const bad of ['', '9471', ':9471', '0.0.0.0', '0.0.0.0:70000', 'a:b']) {
    assert.throws(() => parseAlsArgument(bad), /envoy-als source: .* use envoy-als:HOST:PORT/, bad);
  }
});

test('replay is refused with a reason', () => {
  assert.throws(
    () => createAlsSource('127.0.0.1:0', recordingContext('replay').context),
    /envoy-als source: replay has nothing to read/,
  );
});

test('the proto file is found from the compiled code', () => {
  assert.match(ALS_PROTO_PATH, /[/\\]src[/\\]sources[/\\]envoy[/\\]accesslog\.proto$/);
});

test('starts, takes a stream of entries, counts a bad one, answers the end of a stream, and stops', async () => {
  const recorded = recordingContext();
  const server = createAlsSource('127.0.0.1:0', recorded.context);
  assert.ok(server instanceof AlsServer);
  await server.start();
  const client = new AlsClient(`127.0.0.1:${server.port}`);
  try {
    assert.ok((server.port ?? 0) > 0);
    const stream = client.open();
    await stream.send(httpLogsMessage([entry(200), entry(503)], { nodeId: 'sidecar~10.0.0.5~web-1', logName: 'als' }));
    const missingStart = entry(200);
    delete missingStart.commonProperties?.startTime;
    await stream.send(httpLogsMessage([missingStart, entry(404)]));
    await stream.send({ tcpLogs: { logEntry: [{ connectionProperties: { receivedBytes: '1' } }] } });
    await until(() => recorded.records.length === 3 && recorded.rejected.length === 1, 'three records, one error');
    assert.deepEqual(
      recorded.records.map((record) => record.statusClass),
      ['2xx', '5xx', '4xx'],
    );
    assert.equal(recorded.records[0]?.bytesSent, 200);
    assert.equal(recorded.rejected[0]?.reason, 'missing_field');
    assert.equal(recorded.rejected[0]?.position, 3);
    assert.match(recorded.rejected[0]?.where ?? '', /node "sidecar~10\.0\.0\.5~web-1", log "als"/);
    assert.equal(server.openStreams, 1);
    await stream.end();
    await until(() => server.openStreams === 0, 'the stream to close');
    const opened = recorded.logger.entries.find((logged) => logged.message === 'envoy ALS stream opened');
    assert.equal(opened?.fields['node'], 'sidecar~10.0.0.5~web-1');
  } finally {
    client.close();
    await server.stop();
  }
  await server.stop();
});

test('stop ends open streams, and the port is free again', async () => {
  const first = createAlsSource('127.0.0.1:0', recordingContext().context);
  await first.start();
  const port = first.port;
  const client = new AlsClient(`127.0.0.1:${port}`);
  try {
    const stream = client.open();
    await stream.send(httpLogsMessage([entry(200)], { nodeId: 'n', logName: 'l' }));
    await until(() => first.openStreams === 1, 'the stream to open');
    await first.stop();
    await assert.rejects(stream.end());
  } finally {
    client.close();
  }
  const second = createAlsSource(`127.0.0.1:${port}`, recordingContext().context);
  await second.start();
  await second.stop();
});

test('a port in use is a start error naming the address', async () => {
  const first = createAlsSource('127.0.0.1:0', recordingContext().context);
  await first.start();
  try {
    const second = createAlsSource(`127.0.0.1:${first.port}`, recordingContext().context);
    await assert.rejects(second.start(), /envoy-als source: cannot listen on 127\.0\.0\.1:\d+/);
  } finally {
    await first.stop();
  }
});
