/**
 * The audit webhook over HTTPS with client certificates, end to end: a real `flowlens serve --tls-*-file` and real TLS
 * clients. A CA, the server's certificate and client certificates are made at test time with the `openssl` CLI in a
 * temporary directory (test-only material, never committed, valid for a day). An allowed certificate (by CN or by O) is
 * accepted and counted; a certificate from another CA is refused (401), an allowed CA's certificate with a subject not
 * allowed gets 403, no certificate and no token 401, a bearer token alone passes (both methods are configured); and
 * /metrics is scraped over HTTPS without a client certificate. Also: `serve` refuses a certificate path it cannot read,
 * naming the key, and serves a renewed certificate without a restart.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { connect } from 'node:tls';
import { join } from 'node:path';
import {
  freePort,
  parseExposition,
  promtoolAccepts,
  run,
  runFlowlens,
  sampleValue,
  sumSamples,
  testWorkspace,
  waitFor,
  type Processes,
} from './support';

const TOKEN = 'tls-audit-token-7d1e';

const workspace = testWorkspace('flowlens-audit-tls-');
const { processes } = workspace;

interface Credentials {
  cert: Buffer;
  key: Buffer;
}

async function openssl(processes: Processes, args: readonly string[]): Promise<void> {
  const result = await run(processes, 'openssl', args);
  assert.equal(result.code, 0, `openssl ${args.join(' ')}:\n${result.stderr}`);
}

/** A self-signed CA (EC P-256: fast to make) named `name`, as `<name>.crt` and `<name>.key` in `dir`. */
async function makeCa(dir: string, name: string): Promise<void> {
  await openssl(processes, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    join(dir, `${name}.key`),
    '-out',
    join(dir, `${name}.crt`),
  ]);
}

/** A certificate for `subject` signed by the CA `ca`, with `extensions` (an openssl extension section's lines). */
async function makeCertificate(
  dir: string,
  ca: string,
  name: string,
  subject: string,
  extensions: string,
): Promise<Credentials> {
  const key = join(dir, `${name}.key`);
  const request = join(dir, `${name}.csr`);
  const certificate = join(dir, `${name}.crt`);
  const extensionFile = join(dir, `${name}.ext`);
  await writeFile(extensionFile, `${extensions}\n`);
  await openssl(processes, [
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-subj',
    subject,
    '-keyout',
    key,
    '-out',
    request,
  ]);
  await openssl(processes, [
    'x509',
    '-req',
    '-in',
    request,
    '-CA',
    join(dir, `${ca}.crt`),
    '-CAkey',
    join(dir, `${ca}.key`),
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    extensionFile,
    '-out',
    certificate,
  ]);
  return { cert: await readFile(certificate), key: await readFile(key) };
}

const CLIENT_EXTENSIONS = 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth';

interface Answer {
  status: number;
  body: string;
}

/** One HTTPS request trusting `ca`, with a client certificate when given. */
function httpsCall(
  url: string,
  ca: Buffer,
  options: { method?: string; body?: string; headers?: Record<string, string>; client?: Credentials },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const requestOptions: RequestOptions = {
      method: options.method ?? 'GET',
      headers: options.headers ?? {},
      ca,
      timeout: 10_000,
      // A fresh connection each time: a pooled TLS session would carry another test's certificate.
      agent: false,
      ...(options.client === undefined ? {} : { cert: options.client.cert, key: options.client.key }),
    };
    const request = httpsRequest(url, requestOptions, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    request.on('timeout', () => request.destroy(new Error(`${url} timed out`)));
    request.on('error', reject);
    request.end(options.body);
  });
}

/** The subject CN of the certificate the server presents, verified against `ca`. */
function servedCommonName(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, timeout: 10_000 }, () => {
      const name = socket.getPeerCertificate().subject.CN;
      socket.end();
      resolve(Array.isArray(name) ? name.join(',') : (name ?? ''));
    });
    socket.on('timeout', () => socket.destroy(new Error('TLS handshake timed out')));
    socket.on('error', reject);
  });
}

function eventList(events: readonly object[]): string {
  return JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items: events });
}

function completed(auditID: string, username: string): object {
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID,
    stage: 'ResponseComplete',
    requestURI: '/api/v1/namespaces/shop/configmaps',
    verb: 'list',
    user: { username },
    objectRef: { resource: 'configmaps', namespace: 'shop', apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 200 },
    requestReceivedTimestamp: '2024-11-19T10:00:00.000000Z',
    stageTimestamp: '2024-11-19T10:00:00.050000Z',
  };
}

describe('flowlens serve over HTTPS with client-certificate auth on the audit webhook', () => {
  test('allowed certificates are accepted and counted; others refused; /metrics needs no certificate', async () => {
    const dir = workspace.dir();
    await makeCa(dir, 'cluster-ca');
    await makeCa(dir, 'other-ca');
    await makeCertificate(
      dir,
      'cluster-ca',
      'server',
      '/CN=flowlens',
      'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1',
    );
    const apiServer = await makeCertificate(dir, 'cluster-ca', 'apiserver', '/CN=kube-apiserver', CLIENT_EXTENSIONS);
    const byOrganization = await makeCertificate(
      dir,
      'cluster-ca',
      'sender',
      '/O=audit-senders/CN=some-sender',
      CLIENT_EXTENSIONS,
    );
    const notAllowed = await makeCertificate(dir, 'cluster-ca', 'intruder', '/O=dev/CN=intruder', CLIENT_EXTENSIONS);
    const otherCa = await makeCertificate(dir, 'other-ca', 'impostor', '/CN=kube-apiserver', CLIENT_EXTENSIONS);
    const ca = await readFile(join(dir, 'cluster-ca.crt'));

    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, `${TOKEN}\n`);
    const config = join(dir, 'flowlens.yaml');
    await writeFile(
      config,
      [
        'server:',
        '  tls:',
        `    clientCAFile: ${JSON.stringify(join(dir, 'cluster-ca.crt'))}`,
        'audit:',
        '  webhook:',
        `    tokenFile: ${JSON.stringify(tokenFile)}`,
        '    clientCertificate:',
        '      allowedCommonNames: [kube-apiserver]',
        '      allowedOrganizations: [audit-senders]',
        '',
      ].join('\n'),
    );
    const port = await freePort();
    const base = `https://127.0.0.1:${port}`;
    // The certificate and key by flags, the client CA from the file: the layers combine.
    const exporter = processes.startFlowlens([
      'serve',
      '--listen',
      `127.0.0.1:${port}`,
      '--config',
      config,
      '--tls-cert-file',
      join(dir, 'server.crt'),
      '--tls-key-file',
      join(dir, 'server.key'),
    ]);
    await waitFor(async () => (await httpsCall(`${base}/readyz`, ca, {})).status === 200, 30_000, {
      description: `${base}/readyz to answer 200`,
      process: exporter,
    });

    const webhook = `${base}/audit/webhook`;
    const json = { 'content-type': 'application/json' };
    const postAs = (
      client: Credentials | undefined,
      events: readonly object[],
      headers: Record<string, string> = json,
    ): Promise<Answer> => httpsCall(webhook, ca, { method: 'POST', body: eventList(events), headers, client });

    const byName = await postAs(apiServer, [completed('c-1', 'alice'), completed('c-2', 'bob')]);
    assert.equal(byName.status, 200, byName.body);
    assert.deepEqual(JSON.parse(byName.body), { accepted: 2 });
    const byO = await postAs(byOrganization, [completed('c-3', 'carol')]);
    assert.equal(byO.status, 200, byO.body);
    const byToken = await postAs(undefined, [completed('c-4', 'dave')], { ...json, authorization: `Bearer ${TOKEN}` });
    assert.equal(byToken.status, 200, byToken.body);

    const forbidden = await postAs(notAllowed, [completed('d-1', 'mallory')]);
    assert.equal(forbidden.status, 403);
    assert.match(forbidden.body, /client certificate not allowed/);
    const untrusted = await postAs(otherCa, [completed('d-2', 'mallory')]);
    assert.equal(untrusted.status, 401);
    assert.match(untrusted.body, /client certificate not trusted/);
    const anonymous = await postAs(undefined, [completed('d-3', 'mallory')]);
    assert.equal(anonymous.status, 401);
    const wrongToken = await postAs(undefined, [completed('d-4', 'mallory')], {
      ...json,
      authorization: 'Bearer guessed',
    });
    assert.equal(wrongToken.status, 401);

    // Prometheus scrapes without a client certificate.
    const scraped = await httpsCall(`${base}/metrics`, ca, {});
    assert.equal(scraped.status, 200);
    const samples = parseExposition(scraped.body);
    assert.equal(sampleValue(samples, 'flowlens_ingest_records_total', { source: 'audit-webhook' }), 4);
    assert.equal(sumSamples(samples, 'flowlens_k8s_audit_events_total'), 4);
    assert.equal(
      sampleValue(samples, 'flowlens_k8s_audit_events_total', {
        verb: 'list',
        resource: 'configmaps',
        namespace: 'shop',
        status_class: '2xx',
      }),
      4,
    );
    await promtoolAccepts(processes, scraped.body);
  });

  test('a renewed certificate is served without a restart', async () => {
    const dir = workspace.dir();
    await makeCa(dir, 'renewal-ca');
    const extensions = 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1';
    await makeCertificate(dir, 'renewal-ca', 'first', '/CN=flowlens-first', extensions);
    const renewed = await makeCertificate(dir, 'renewal-ca', 'renewed', '/CN=flowlens-renewed', extensions);
    const certFile = join(dir, 'serving.crt');
    const keyFile = join(dir, 'serving.key');
    await writeFile(certFile, await readFile(join(dir, 'first.crt')));
    await writeFile(keyFile, await readFile(join(dir, 'first.key')));
    const port = await freePort();
    const exporter = processes.startFlowlens([
      'serve',
      '--demo',
      '--listen',
      `127.0.0.1:${port}`,
      '--tls-cert-file',
      certFile,
      '--tls-key-file',
      keyFile,
    ]);
    const ca = await readFile(join(dir, 'renewal-ca.crt'));
    await waitFor(async () => (await servedCommonName(port, ca)) === 'flowlens-first', 30_000, {
      description: 'the first certificate served',
      process: exporter,
    });
    // As a Secret update does: new files renamed over the old ones (a check between the two renames sees a
    // mismatched pair and keeps the first certificate until the key follows).
    await writeFile(`${certFile}.new`, renewed.cert);
    await rename(`${certFile}.new`, certFile);
    await writeFile(`${keyFile}.new`, renewed.key);
    await rename(`${keyFile}.new`, keyFile);
    await waitFor(async () => (await servedCommonName(port, ca)) === 'flowlens-renewed', 60_000, {
      description: 'the renewed certificate served',
      process: exporter,
    });
    assert.equal(exporter.exitStatus, undefined, 'the same process, not a restart');
  });

  test('a certificate file that cannot be read stops serve with the key and the fix', async () => {
    const missing = join(workspace.dir(), 'no-such.crt');
    const result = await runFlowlens(processes, [
      'serve',
      '--demo',
      '--listen',
      `127.0.0.1:${await freePort()}`,
      '--tls-cert-file',
      missing,
      '--tls-key-file',
      missing,
    ]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /server\.tls\.certFile \(--tls-cert-file\): .*no-such\.crt cannot be read \(ENOENT\)/);
    assert.match(result.stderr, /server\.tls\.keyFile \(--tls-key-file\): /);
  });

  test('client certificates without a client CA are refused at start, naming the key to set', async () => {
    const config = join(workspace.dir(), 'no-ca.yaml');
    await writeFile(config, 'audit:\n  webhook:\n    clientCertificate:\n      allowedCommonNames: [kube-apiserver]\n');
    const result = await runFlowlens(processes, ['serve', '--config', config]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /audit\.webhook\.clientCertificate: .*server\.tls\.clientCAFile/);
  });
});
