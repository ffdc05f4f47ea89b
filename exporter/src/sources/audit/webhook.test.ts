import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import type { JsonObject } from '../json-fields';
import { AuditDecoder, type AuditSink } from './decode';
import type { AuditRecord } from './model';
import { auditEvent, requestStages } from './samples';
import { checkPeer, createAuditWebhookHandler, type AuditWebhookOptions, type PeerCertificateSource } from './webhook';

const TOKEN = 'tok-3f9a1c0d7e5b42a8';
const MAX_BODY_BYTES = 64 * 1024;

const directory = mkdtempSync(join(tmpdir(), 'flowlens-audit-webhook-'));
const tokenFile = join(directory, 'token');

/** What the handler passed on and refused, per test. */
let batches: JsonObject[][] = [];
let rejections: string[] = [];
/** The reasons of bodies refused for their contents, as the exporter counts them. */
let badInputs: string[] = [];
let failNextBatch = false;

async function listen(options: AuditWebhookOptions): Promise<{ server: Server; url: string }> {
  const server = createServer(createAuditWebhookHandler(options));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/audit` };
}

let bearer: { server: Server; url: string };
let certificate: { server: Server; url: string };
let either: { server: Server; url: string };

before(async () => {
  writeFileSync(tokenFile, `${TOKEN}\n`);
  bearer = await listen({
    auth: { kind: 'bearer-token', tokenFile },
    maxBodyBytes: MAX_BODY_BYTES,
    onEvents: (events) => {
      if (failNextBatch) {
        failNextBatch = false;
        throw new Error('queue full');
      }
      batches.push(events);
    },
    onRejected: (status, reason) => rejections.push(`${status} ${reason}`),
    onBadInput: (error) => badInputs.push(error.reason),
  });
  certificate = await listen({
    auth: { kind: 'client-certificate', allowedCommonNames: ['kube-apiserver'] },
    onEvents: (events) => batches.push(events),
  });
  either = await listen({
    auth: {
      kind: 'any-of',
      methods: [
        { kind: 'client-certificate', allowedCommonNames: ['kube-apiserver'] },
        { kind: 'bearer-token', tokenFile },
      ],
    },
    onEvents: (events) => batches.push(events),
    onRejected: (status, reason) => rejections.push(`${status} ${reason}`),
  });
});

after(async () => {
  await Promise.all([bearer, certificate, either].map(({ server }) => new Promise((resolve) => server.close(resolve))));
  rmSync(directory, { recursive: true, force: true });
});

beforeEach(() => {
  batches = [];
  rejections = [];
  badInputs = [];
  writeFileSync(tokenFile, `${TOKEN}\n`);
});

function eventList(items: readonly JsonObject[]): string {
  return JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items });
}

function post(body: string, headers: Record<string, string> = {}, url = bearer.url): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
    body,
  });
}

test('a good batch: 200 with the number of events, which reach the callback in order and decode', async () => {
  const watch = requestStages(['RequestReceived', 'ResponseStarted'], { verb: 'watch' });
  const items = [...watch, ...requestStages(['RequestReceived', 'ResponseComplete']), auditEvent()];
  const response = await post(eventList(items));
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { accepted: 5 });
  assert.equal(batches.length, 1);
  assert.deepEqual(batches[0], items);

  const records: AuditRecord[] = [];
  const sink: AuditSink = { audit: (record) => records.push(record), skipped: () => undefined };
  new AuditDecoder().decodeEvents(batches[0] ?? [], sink, (error) => assert.fail(error.message));
  assert.deepEqual(
    records.map((record) => record.stage),
    ['ResponseStarted', 'ResponseComplete', 'ResponseComplete'],
  );
});

test('a content type with parameters is JSON too', async () => {
  const response = await post(eventList([auditEvent()]), { 'content-type': 'application/json; charset=utf-8' });
  assert.equal(response.status, 200);
});

test('a wrong token: 401 invalid_token, nothing passed on', async () => {
  const response = await post(eventList([auditEvent()]), { authorization: 'Bearer not-the-token' });
  assert.equal(response.status, 401);
  assert.match(response.headers.get('www-authenticate') ?? '', /invalid_token/);
  assert.match(await response.text(), /invalid bearer token/);
  assert.equal(batches.length, 0);
  assert.deepEqual(rejections, ['401 invalid bearer token']);
});

test('a missing token, or another scheme: 401 with a Bearer challenge', async () => {
  for (const authorization of ['', 'Basic YWxpY2U6c2VjcmV0', `Bearer`]) {
    const response = await post(eventList([auditEvent()]), { authorization });
    assert.equal(response.status, 401, authorization);
    assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer /);
    assert.match(await response.text(), /bearer token required/);
  }
  assert.equal(batches.length, 0);
});

test('the token file is read again when it changes; an unreadable one refuses everything with 503', async () => {
  writeFileSync(tokenFile, 'rotated-token-0123456789abcdef\n');
  assert.equal((await post(eventList([]))).status, 401, 'the old token no longer works');
  assert.equal((await post(eventList([]), { authorization: 'Bearer rotated-token-0123456789abcdef' })).status, 200);
  writeFileSync(tokenFile, '\n');
  assert.equal((await post(eventList([]))).status, 503, 'an empty token file lets nobody in');
  rmSync(tokenFile);
  assert.equal((await post(eventList([]))).status, 503);
});

test('a body over the limit with its length declared: 413 before reading it', async () => {
  const body = eventList([auditEvent({ padding: 'x'.repeat(2 * MAX_BODY_BYTES) })]);
  const response = await post(body);
  assert.equal(response.status, 413);
  assert.match(await response.text(), /limit/);
  assert.equal(batches.length, 0);
  assert.deepEqual(badInputs, ['oversized'], 'counted once, by reason');
});

test('a streamed body over the limit: 413, and the upload is cut rather than buffered', async () => {
  const total = 64 * 1024 * 1024;
  const chunk = new Uint8Array(64 * 1024).fill(0x20);
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close();
      sent += chunk.length;
      controller.enqueue(chunk);
    },
  });
  let status: number | undefined;
  try {
    const response = await fetch(bearer.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    status = response.status;
    await response.text().catch(() => undefined);
  } catch {
    // The server closed the connection while the upload was still going: the request was cut.
  }
  // The 413 is answered before the upload ends; whether the client reads it before the reset is up to the client.
  if (status !== undefined) assert.equal(status, 413);
  assert.ok(sent < total, `the client could send only ${sent} of ${total} bytes`);
  assert.equal(batches.length, 0);
  assert.ok(
    rejections.some((rejection) => rejection.startsWith('413 ')),
    rejections.join('; '),
  );
  assert.deepEqual(badInputs, ['oversized']);
});

test('a wrong content type, or a compressed body: 415', async () => {
  assert.equal((await post(eventList([auditEvent()]), { 'content-type': 'text/plain' })).status, 415);
  assert.equal((await post(eventList([auditEvent()]), { 'content-type': 'application/yaml' })).status, 415);
  assert.equal((await post(eventList([auditEvent()]), { 'content-encoding': 'gzip' })).status, 415);
  assert.equal(batches.length, 0);
  assert.deepEqual(badInputs, [], 'nothing was decoded: not an input error');
});

test('malformed JSON, or JSON that is not an EventList: 400 with a short message', async () => {
  const malformed = await post('{"kind":"EventList","items":[');
  assert.equal(malformed.status, 400);
  assert.match(await malformed.text(), /^not an audit EventList: invalid JSON/);
  const notAList = await post(JSON.stringify(auditEvent()));
  assert.equal(notAList.status, 400);
  assert.match(await notAList.text(), /field "kind" must be "EventList"/);
  const badItem = await post(JSON.stringify({ kind: 'EventList', items: ['event'] }));
  assert.equal(badItem.status, 400);
  assert.match(await badItem.text(), /items\[0\]/);
  const notJson = await post('kind: EventList');
  assert.equal(notJson.status, 400);
  assert.equal(batches.length, 0);
  // Each refused body counts once, by reason: cut short, not the kind expected, an item not an object, not JSON.
  assert.deepEqual(badInputs, ['truncated', 'wrong_type', 'wrong_type', 'malformed']);
});

test('wrongly typed fields of the list: 400 naming the field, counted by reason', async () => {
  const cases: [string, string, RegExp][] = [
    [JSON.stringify({ kind: 'EventList', items: 'none' }), 'wrong_type', /field "items" must be an array/],
    [JSON.stringify({ kind: 'EventList' }), 'missing_field', /field "items" is missing/],
    [JSON.stringify({ kind: 'EventList', apiVersion: 'v1', items: [] }), 'wrong_type', /apiVersion/],
    ['[]', 'malformed', /expected a JSON object/],
  ];
  for (const [body, reason, message] of cases) {
    const response = await post(body);
    assert.equal(response.status, 400, body);
    assert.match(await response.text(), message, body);
    assert.equal(badInputs.at(-1), reason, body);
  }
  assert.equal(badInputs.length, cases.length);
  assert.equal(batches.length, 0);
});

test("an EventList with null items (Go's empty list) is accepted as empty", async () => {
  const response = await post(JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: null }));
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { accepted: 0 });
  assert.deepEqual(badInputs, []);
});

test('a method other than POST: 405 with Allow: POST', async () => {
  for (const method of ['GET', 'PUT', 'DELETE']) {
    const response = await fetch(bearer.url, { method, headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(response.status, 405, method);
    assert.equal(response.headers.get('allow'), 'POST');
  }
});

test('a callback that throws: 500, so the API server retries the batch; the server keeps serving', async () => {
  failNextBatch = true;
  assert.equal((await post(eventList([auditEvent()]))).status, 500);
  assert.match(rejections[0] ?? '', /^500 could not take the events: Error: queue full/);
  assert.equal((await post(eventList([auditEvent()]))).status, 200);
});

test('client-certificate auth over plain HTTP: 401, nothing passed on', async () => {
  const response = await fetch(certificate.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: eventList([auditEvent()]),
  });
  assert.equal(response.status, 401);
  assert.equal(batches.length, 0);
});

test('either method: a good token passes without a certificate; a refusal names what the caller sent', async () => {
  const accepted = await post(eventList([auditEvent()]), {}, either.url);
  assert.equal(accepted.status, 200);
  assert.equal(batches.length, 1);

  const wrong = await post(eventList([auditEvent()]), { authorization: 'Bearer not-the-token' }, either.url);
  assert.equal(wrong.status, 401);
  assert.match(await wrong.text(), /invalid bearer token/, 'the token it sent, not the certificate it did not');
  const none = await post(eventList([auditEvent()]), { authorization: '' }, either.url);
  assert.equal(none.status, 401);
  assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer /, 'a token would do: say so');
  assert.equal(batches.length, 1);
  assert.equal(rejections.length, 2);
});

test('either method needs at least one', () => {
  assert.throws(
    () => createAuditWebhookHandler({ auth: { kind: 'any-of', methods: [] }, onEvents: () => undefined }),
    /at least one method/,
  );
});

/** A TLS socket as the TLS server leaves it after the handshake, with the given verification result and subject. */
function tlsSocket(
  authorized: boolean,
  subject: { CN?: string | string[]; O?: string | string[] } | undefined,
): TLSSocket {
  const socket = Object.create(TLSSocket.prototype) as TLSSocket & PeerCertificateSource;
  Object.defineProperty(socket, 'authorized', { value: authorized });
  Object.defineProperty(socket, 'getPeerCertificate', { value: () => (subject === undefined ? {} : { subject }) });
  return socket;
}

test('client certificates: verified, and CN or one of the O values allowed', () => {
  const names = new Set(['kube-apiserver']);
  const organizations = new Set(['system:masters', 'audit-senders']);
  const check = (socket: unknown): number | undefined => checkPeer(socket, names, organizations)?.status;
  assert.equal(check(tlsSocket(true, { CN: 'kube-apiserver' })), undefined);
  assert.equal(check(tlsSocket(true, { CN: 'someone', O: ['dev', 'audit-senders'] })), undefined);
  assert.equal(check(tlsSocket(true, { CN: 'someone', O: 'audit-senders' })), undefined);
  assert.equal(check(tlsSocket(true, { CN: 'someone', O: 'dev' })), 403);
  assert.equal(check(tlsSocket(false, { CN: 'kube-apiserver' })), 401, 'a certificate the CA did not sign');
  assert.equal(check(tlsSocket(true, undefined)), 401, 'no certificate');
  assert.equal(check({ authorized: true, getPeerCertificate: () => ({ subject: { CN: 'kube-apiserver' } }) }), 401);
});
