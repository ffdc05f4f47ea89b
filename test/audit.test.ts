/**
 * Kubernetes audit events: `flowlens replay` of an audit log (log backend) file, and the audit webhook endpoint of
 * `flowlens serve` driven with real HTTP POSTs (a good token counts each request once across batches, a wrong token
 * is refused with 401 and counts nothing, an oversized body is refused with 413). promtool accepts the exposition.
 * The demo cluster's audit events reach the audit families in a replay.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  FIXTURES,
  fetchText,
  freePort,
  parseExposition,
  runFlowlens,
  sampleValue,
  sumSamples,
  testWorkspace,
  waitFor,
  errorsByReason,
  promtoolAccepts,
} from './support';

const AUDIT_FIXTURE = join(FIXTURES, 'audit.log');
const TOKEN = 's3cr3t-audit-token';

const workspace = testWorkspace('flowlens-audit-');
const { processes } = workspace;

describe('flowlens replay of an audit log', () => {
  test('counts each request once, flags notable ones, rejects bad lines by reason', async () => {
    const result = await runFlowlens(processes, ['replay', '--source', `audit:${AUDIT_FIXTURE}`]);
    assert.equal(result.code, 0, result.stderr);
    const samples = parseExposition(result.stdout);
    assert.equal(sampleValue(samples, 'flowlens_ingest_records_total', { source: 'audit' }), 5);
    assert.equal(
      sampleValue(samples, 'flowlens_ingest_skipped_total', { source: 'audit', reason: 'request_received' }),
      1,
    );
    assert.equal(
      sampleValue(samples, 'flowlens_ingest_skipped_total', {
        source: 'audit',
        reason: 'counted_at_response_started',
      }),
      1,
    );
    assert.deepEqual(errorsByReason(samples, 'audit'), {
      malformed: 1,
      truncated: 1,
      oversized: 0,
      wrong_type: 1,
      missing_field: 1,
    });
    assert.equal(sumSamples(samples, 'flowlens_k8s_audit_events_total'), 5);
    assert.equal(
      sampleValue(samples, 'flowlens_k8s_audit_events_total', {
        verb: 'create',
        resource: 'pods/exec',
        namespace: 'shop',
        status_class: '1xx',
      }),
      1,
    );
    const notable = (kind: string, user_kind: string, namespace: string): number =>
      sampleValue(samples, 'flowlens_k8s_audit_notable_total', { kind, user_kind, namespace });
    assert.equal(notable('policy_change', 'user', 'shop'), 1);
    assert.equal(notable('pod_access', 'user', 'shop'), 1);
    assert.equal(notable('rbac_change', 'serviceaccount', 'shop'), 1);
    assert.equal(notable('denied', 'serviceaccount', 'shop'), 1);
    assert.equal(notable('denied', 'unauthenticated', ''), 1);
    assert.equal(sumSamples(samples, 'flowlens_k8s_audit_notable_total'), 5);
    await promtoolAccepts(processes, result.stdout);
  });
});

describe('flowlens replay of the demo cluster', () => {
  test('emits audit series through the audit decoder: requests, and each notable kind within the hour', async () => {
    const result = await runFlowlens(processes, ['replay', '--source', 'demo'], { timeoutMs: 120_000 });
    assert.equal(result.code, 0, result.stderr);
    const samples = parseExposition(result.stdout);
    assert.ok(sumSamples(samples, 'flowlens_k8s_audit_events_total') > 1000);
    assert.equal(sumSamples(samples, 'flowlens_ingest_errors_total', { source: 'demo' }), 0);
    assert.ok(
      sampleValue(samples, 'flowlens_k8s_audit_events_total', {
        verb: 'update',
        resource: 'leases',
        namespace: 'kube-system',
        status_class: '2xx',
      }) > 0,
    );
    // The demo hour holds one incident period: each scheduled notable request once at least.
    for (const kind of ['policy_change', 'rbac_change', 'pod_access', 'denied']) {
      assert.ok(sumSamples(samples, 'flowlens_k8s_audit_notable_total', { kind }) >= 1, kind);
    }
    assert.ok(
      sumSamples(samples, 'flowlens_k8s_audit_notable_total', { kind: 'denied', user_kind: 'unauthenticated' }) >= 1,
    );
  });
});

interface Posted {
  status: number;
  body: string;
}

/**
 * A POST with node:http. With `declaredBytes`, the request announces that many body bytes but sends only `body` and
 * waits for the answer: the server must refuse on the declared length without reading the rest (and a test that
 * wrote 5 MiB into a socket the server closes would race the answer against EPIPE).
 */
function post(
  url: string,
  body: string | Buffer,
  headers: Record<string, string>,
  declaredBytes?: number,
): Promise<Posted> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const request = httpRequest(url, { method: 'POST', headers, timeout: 10_000 }, (response) => {
      answered = true;
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      response.on('error', () => resolve({ status: response.statusCode ?? 0, body: '' }));
    });
    request.on('timeout', () => request.destroy(new Error(`POST ${url} timed out`)));
    request.on('error', (error) => {
      // The server closes the connection after refusing an upload; only an error without an answer is a failure.
      if (!answered) reject(error);
    });
    if (declaredBytes === undefined) {
      request.end(body);
      return;
    }
    request.setHeader('content-length', String(declaredBytes));
    request.write(body);
    request.on('response', (response) => response.on('end', () => request.destroy()));
  });
}

function eventList(events: readonly object[]): string {
  return JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items: events });
}

function event(auditID: string, stage: string, overrides: Record<string, unknown> = {}): object {
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID,
    stage,
    requestURI: '/api/v1/namespaces/shop/pods',
    verb: 'list',
    user: { username: 'alice@example.com' },
    objectRef: { resource: 'pods', namespace: 'shop', apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 200 },
    requestReceivedTimestamp: '2024-11-19T10:00:00.000000Z',
    stageTimestamp: '2024-11-19T10:00:00.100000Z',
    ...overrides,
  };
}

describe('flowlens serve with the audit webhook', () => {
  test('a good token is counted once per request, a wrong token 401, bad bodies 4xx and counted by reason', async () => {
    const tokenFile = join(workspace.dir(), 'audit-token');
    await writeFile(tokenFile, `${TOKEN}\n`);
    const config = join(workspace.dir(), 'audit.yaml');
    await writeFile(config, `audit:\n  webhook:\n    tokenFile: ${JSON.stringify(tokenFile)}\n`);
    const port = await freePort();
    const exporter = processes.startFlowlens(['serve', '--listen', `127.0.0.1:${port}`, '--config', config]);
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetchText(`${base}/readyz`)).status === 200, 30_000, {
      description: `${base}/readyz to answer 200`,
      process: exporter,
    });
    const webhook = `${base}/audit/webhook`;
    const json = { 'content-type': 'application/json' };
    const good = { ...json, authorization: `Bearer ${TOKEN}` };
    const exec = {
      verb: 'create',
      objectRef: { resource: 'pods', subresource: 'exec', namespace: 'shop', name: 'cart-0', apiVersion: 'v1' },
      responseStatus: { metadata: {}, code: 101 },
    };

    // A list (RequestReceived then ResponseComplete) and an exec that starts in this batch and ends in the next.
    const first = await post(
      webhook,
      eventList([
        event('a-1', 'RequestReceived'),
        event('a-1', 'ResponseComplete'),
        event('a-2', 'RequestReceived', exec),
        event('a-2', 'ResponseStarted', exec),
      ]),
      good,
    );
    assert.equal(first.status, 200, first.body);
    assert.deepEqual(JSON.parse(first.body), { accepted: 4 });
    const second = await post(webhook, eventList([event('a-2', 'ResponseComplete', exec)]), good);
    assert.equal(second.status, 200, second.body);

    const wrong = await post(webhook, eventList([event('b-1', 'ResponseComplete')]), {
      ...json,
      authorization: 'Bearer not-the-token',
    });
    assert.equal(wrong.status, 401);
    const missing = await post(webhook, eventList([event('b-2', 'ResponseComplete')]), json);
    assert.equal(missing.status, 401);

    const oversized = await post(webhook, Buffer.alloc(64 * 1024, 0x20), good, 5 * 1024 * 1024);
    assert.equal(oversized.status, 413);
    const truncated = await post(webhook, eventList([event('c-1', 'ResponseComplete')]).slice(0, 80), good);
    assert.equal(truncated.status, 400);
    // One good event and one without a user: the good one counts, the bad one is an error by reason.
    const mixed = await post(
      webhook,
      eventList([event('c-2', 'ResponseComplete'), event('c-3', 'ResponseComplete', { user: undefined })]),
      good,
    );
    assert.equal(mixed.status, 200, mixed.body);

    const scraped = await fetchText(`${base}/metrics`);
    assert.equal(scraped.status, 200);
    const samples = parseExposition(scraped.body);
    assert.equal(sampleValue(samples, 'flowlens_ingest_records_total', { source: 'audit-webhook' }), 3);
    assert.equal(sumSamples(samples, 'flowlens_k8s_audit_events_total'), 3);
    assert.equal(
      sampleValue(samples, 'flowlens_k8s_audit_events_total', {
        verb: 'list',
        resource: 'pods',
        namespace: 'shop',
        status_class: '2xx',
      }),
      2,
    );
    // Refused bodies and bad events count by reason; refused callers (401) are not input errors.
    assert.deepEqual(errorsByReason(samples, 'audit-webhook'), {
      malformed: 0,
      truncated: 1,
      oversized: 1,
      wrong_type: 0,
      missing_field: 1,
    });
    assert.equal(
      sampleValue(samples, 'flowlens_k8s_audit_notable_total', {
        kind: 'pod_access',
        user_kind: 'user',
        namespace: 'shop',
      }),
      1,
    );
    assert.equal(
      sampleValue(samples, 'flowlens_ingest_skipped_total', {
        source: 'audit-webhook',
        reason: 'counted_at_response_started',
      }),
      1,
    );
    await promtoolAccepts(processes, scraped.body);
  });
});
