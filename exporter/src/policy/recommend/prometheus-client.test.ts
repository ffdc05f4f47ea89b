/**
 * The Prometheus query client against a local HTTP(S) server standing in for Prometheus: the query goes as a POST
 * form with the credentials from their files; error statuses, a server that never answers, a connection refused,
 * oversized answers and unreadable credential files are errors naming what failed and what to check. The https
 * case trusts the fake API server's test-only self-signed certificate through the CA file. No timing assertions:
 * the timeout case only checks that a silent server gives the timeout's error.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../testing/collect';
import {
  PrometheusQueryError,
  fetchPrometheusObserved,
  maxAnswerBytes,
  queryPrometheus,
  type PrometheusClientOptions,
} from './prometheus-client';
import { PrometheusAnswerError, parsePrometheusUrl } from './prometheus-observed';

interface Seen {
  method: string;
  path: string;
  contentType: string;
  authorization: string | undefined;
  form: URLSearchParams;
}

type Responder = (seen: Seen, response: ServerResponse) => void;

const SUCCESS = JSON.stringify({
  status: 'success',
  data: {
    resultType: 'vector',
    result: [
      {
        metric: {
          source_namespace: 'shop',
          source_workload: 'cart',
          dest_namespace: 'payments',
          dest_workload: 'payments-api',
          dest_port: '8443',
          protocol: 'tcp',
        },
        value: [1764150000, '1'],
      },
    ],
  },
});

function handler(state: { respond: Responder; seen: Seen[] }) {
  return (request: IncomingMessage, response: ServerResponse): void => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const seen: Seen = {
        method: request.method ?? '',
        path: request.url ?? '',
        contentType: request.headers['content-type'] ?? '',
        authorization: request.headers.authorization,
        form: new URLSearchParams(Buffer.concat(chunks).toString('utf8')),
      };
      state.seen.push(seen);
      state.respond(seen, response);
    });
  };
}

function json(status: number, body: string): Responder {
  return (_seen, response) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(body);
  };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function url(text: string): URL {
  const parsed = parsePrometheusUrl(text);
  assert.ok(parsed instanceof URL, text);
  return parsed;
}

describe('the Prometheus query client', () => {
  const state: { respond: Responder; seen: Seen[] } = { respond: json(200, SUCCESS), seen: [] };
  const server = createHttpServer(handler(state));
  let directory: string;
  let options: PrometheusClientOptions;

  before(async () => {
    directory = mkdtempSync(join(tmpdir(), 'flowlens-prometheus-client-'));
    const port = await listen(server);
    options = { url: url(`http://127.0.0.1:${port}/prom`), timeoutSeconds: 5 };
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(directory, { recursive: true, force: true });
  });

  test('POSTs the query as a form under the URL path, with the bearer token read from its file', async () => {
    const tokenFile = join(directory, 'token');
    writeFileSync(tokenFile, 'prom-t0ken\n');
    state.respond = json(200, SUCCESS);
    state.seen = [];
    const body = await queryPrometheus({ ...options, tokenFile }, 'up{job="a b"}', 1024 * 1024);
    assert.equal(body, SUCCESS);
    assert.equal(state.seen.length, 1);
    const [seen] = state.seen;
    assert.equal(seen?.method, 'POST');
    assert.equal(seen?.path, '/prom/api/v1/query');
    assert.equal(seen?.contentType, 'application/x-www-form-urlencoded');
    assert.equal(seen?.form.get('query'), 'up{job="a b"}', 'the query arrives as written');
    assert.equal(seen?.authorization, 'Bearer prom-t0ken');
  });

  test('basic auth: the user and the password from its file', async () => {
    const passwordFile = join(directory, 'password');
    writeFileSync(passwordFile, 'pa:ss word\n');
    state.seen = [];
    await queryPrometheus({ ...options, basicAuth: { username: 'flowlens', passwordFile } }, 'up', 1024 * 1024);
    assert.equal(state.seen[0]?.authorization, `Basic ${Buffer.from('flowlens:pa:ss word').toString('base64')}`);
  });

  test('the observed flows, end to end over the client: query, answer, conversion, retention advice', async () => {
    const runtimeInfo =
      (retention: string): Responder =>
      (seen, response) =>
        seen.path.endsWith('/api/v1/status/runtimeinfo')
          ? json(200, JSON.stringify({ status: 'success', data: { storageRetention: retention } }))(seen, response)
          : json(200, SUCCESS)(seen, response);
    state.respond = runtimeInfo('15d');
    state.seen = [];
    const result = await fetchPrometheusObserved(options, { range: '7d', namespace: 'shop' }, [], 10);
    assert.equal(result.observed.size, 1);
    assert.deepEqual(result.warnings, [], 'a week is within 15 days');
    const query = state.seen.find((seen) => seen.method === 'POST');
    assert.match(query?.form.get('query') ?? '', /source_namespace="shop".*\[7d\]/);
    assert.ok(state.seen.some((seen) => seen.method === 'GET' && seen.path === '/prom/api/v1/status/runtimeinfo'));
    state.respond = runtimeInfo('15d or 512MiB');
    const longer = await fetchPrometheusObserved(options, { range: '30d' }, [], 10);
    assert.deepEqual(longer.warnings, [
      "the range 30d is longer than Prometheus' retention (15d or 512MiB): flows older than that are not seen; use a range within it",
    ]);
    assert.equal(longer.observed.size, 1, 'advice, not a failure');
    // A store without the status endpoint (404) gives no advice and no error.
    state.respond = (seen, response) =>
      seen.method === 'GET' ? json(404, '404 page not found')(seen, response) : json(200, SUCCESS)(seen, response);
    assert.deepEqual((await fetchPrometheusObserved(options, { range: '30d' }, [], 10)).warnings, []);
  });

  test("error statuses name the status and Prometheus' error; 401 says which credentials to check", async () => {
    const cases: [Responder, RegExp][] = [
      [
        json(400, JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'invalid parameter "query"' })),
        /answered HTTP 400: bad_data: invalid parameter "query"/,
      ],
      [json(503, JSON.stringify({ status: 'error', errorType: 'unavailable', error: 'shutting down' })), /HTTP 503/],
      [
        (_seen, response) => {
          response.writeHead(401, { 'content-type': 'text/plain' });
          response.end('Unauthorized');
        },
        /HTTP 401: Unauthorized; check the bearer token file or the basic auth user and password file/,
      ],
      [
        (_seen, response) => {
          response.writeHead(502, { 'content-type': 'text/html' });
          response.end('<html>bad gateway</html>');
        },
        /HTTP 502: <html>bad gateway<\/html>/,
      ],
    ];
    for (const [respond, message] of cases) {
      state.respond = respond;
      await assert.rejects(queryPrometheus(options, 'up', 1024 * 1024), message);
      await assert.rejects(queryPrometheus(options, 'up', 1024 * 1024), PrometheusQueryError);
    }
  });

  test('an answer over the byte bound is refused, declared or streamed', async () => {
    const big = 'x'.repeat(4096);
    state.respond = (_seen, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(big.length) });
      response.end(big);
    };
    await assert.rejects(queryPrometheus(options, 'up', 1000), /answer is over 1000 bytes.*api\.maxObservedFlows/);
    state.respond = (_seen, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      for (let i = 0; i < 8; i++) response.write(big);
      response.end();
    };
    await assert.rejects(queryPrometheus(options, 'up', 10_000), /answer is over 10000 bytes/);
    assert.equal(maxAnswerBytes(10), 1024 * 1024, 'small budgets still take a megabyte');
    assert.equal(maxAnswerBytes(50_000), 50_000 * 2048);
  });

  test('a truncated answer (the connection cut mid-body) is an error, never a shorter list of flows', async () => {
    state.respond = (_seen, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write(SUCCESS.slice(0, 80));
      setImmediate(() => response.socket?.destroy());
    };
    await assert.rejects(fetchPrometheusObserved(options, { range: '7d' }, [], 10), (error: unknown) => {
      assert.ok(error instanceof PrometheusQueryError || error instanceof PrometheusAnswerError, String(error));
      return true;
    });
  });

  test('a server that never answers: the timeout error says what to change', async () => {
    state.respond = () => undefined;
    await assert.rejects(
      queryPrometheus({ ...options, timeoutSeconds: 0.2 }, 'up', 1024),
      /no answer within 0.2s; raise the timeout or shorten the range/,
    );
  });

  test('unreachable servers and unreadable or empty credential files are named', async () => {
    const closed = createHttpServer();
    const port = await listen(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await assert.rejects(
      queryPrometheus({ url: url(`http://127.0.0.1:${port}`), timeoutSeconds: 5 }, 'up', 1024),
      new RegExp(`Prometheus at http://127.0.0.1:${port}/: .*ECONNREFUSED`),
    );
    await assert.rejects(
      queryPrometheus({ ...options, tokenFile: join(directory, 'absent') }, 'up', 1024),
      /the bearer token file .*absent cannot be read: ENOENT/,
    );
    const empty = join(directory, 'empty');
    writeFileSync(empty, '\n');
    await assert.rejects(queryPrometheus({ ...options, tokenFile: empty }, 'up', 1024), /token file .*empty is empty/);
    await assert.rejects(
      queryPrometheus({ ...options, caFile: empty }, 'up', 1024),
      /a CA file is for https URLs only/,
    );
  });
});

test('https: the CA file makes a private CA trusted; without it the certificate is refused', async () => {
  const certificate = join(repoRoot(), 'test/fixtures/kube-api-server.crt');
  const state: { respond: Responder; seen: Seen[] } = { respond: json(200, SUCCESS), seen: [] };
  const server = createHttpsServer(
    { cert: readFileSync(certificate), key: readFileSync(join(repoRoot(), 'test/fixtures/kube-api-server.key')) },
    handler(state),
  );
  const port = await listen(server);
  try {
    const base = url(`https://127.0.0.1:${port}`);
    assert.equal(
      await queryPrometheus({ url: base, caFile: certificate, timeoutSeconds: 5 }, 'up', 1024 * 1024),
      SUCCESS,
    );
    await assert.rejects(
      queryPrometheus({ url: base, timeoutSeconds: 5 }, 'up', 1024 * 1024),
      /Prometheus at https:\/\/127.0.0.1:\d+\/: self[- ]signed certificate/,
    );
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
