/**
 * `flowlens serve --capture-dir`: the capture controller and the file API wired into a real exporter process against
 * the fake API server (KUBECONFIG), over HTTPS with the test certificate. Capturing itself is tested in
 * capture-controller.test.ts; here: the flags, the file API's answers through the exporter's listener, the metrics,
 * a clean stop.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { FakeKubeApiServer, PACKET_CAPTURES } from './kube-api-server';
import {
  CALICO_FIXTURE,
  childEnvironment,
  FIXTURES,
  freePort,
  parseExposition,
  runFlowlens,
  sampleValue,
  testWorkspace,
  waitFor,
} from './support';

const workspace = testWorkspace('flowlens-serve-capture-');
const api = new FakeKubeApiServer();
after(() => api.stop());

const CERT = join(FIXTURES, 'kube-api-server.crt');
const KEY = join(FIXTURES, 'kube-api-server.key');

function get(port: number, path: string, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: '127.0.0.1',
        port,
        path,
        ca: readFileSync(CERT),
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      },
      (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

test('serve refuses --capture-dir without what it needs, naming the flag', async () => {
  const source = ['--source', `calico-flows:${CALICO_FIXTURE}`];
  const cases: [string[], RegExp, Record<string, string>][] = [
    [['--capture-dir', '/tmp/c', '--node-name', 'n'], /--capture-dir needs --kubernetes/, {}],
    [['--kubernetes', '--capture-dir', '/tmp/c', '--node-name', 'n'], /give --tls-cert-file and --tls-key-file/, {}],
    [
      ['--kubernetes', '--capture-dir', '/tmp/c', '--tls-cert-file', CERT, '--tls-key-file', KEY],
      /needs --node-name NODE/,
      {},
    ],
    [['--node-name', 'n'], /--node-name needs --capture-dir/, {}],
    [
      [
        '--kubernetes',
        '--capture-dir',
        '/tmp/c',
        '--tls-cert-file',
        CERT,
        '--tls-key-file',
        KEY,
        '--capture-max-age',
        '40d',
      ],
      /--capture-max-age "40d" is not a duration/,
      { NODE_NAME: 'n' },
    ],
  ];
  for (const [flags, message, env] of cases) {
    const result = await runFlowlens(workspace.processes, ['serve', ...source, ...flags], {
      env: childEnvironment(env),
    });
    assert.equal(result.code, 2, `${flags.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message);
  }
});

test('serve --capture-dir serves the file API over HTTPS and the capture metrics, and stops cleanly', async () => {
  // A pod on another node: its address routes away from this host, so nothing is captured here.
  api.apply('/api/v1/pods', {
    metadata: { name: 'web-1', namespace: 'shop', labels: { app: 'web' } },
    status: { phase: 'Running', podIP: '192.0.2.10' },
  });
  api.apply(PACKET_CAPTURES, { metadata: { name: 'web-debug', namespace: 'shop' }, spec: { selector: {} } });
  api.tokens.set('alice-token', { username: 'alice', groups: [] });
  api.grants.add('alice get flowlens.io/packetcaptures/files shop');
  await api.start(0);
  const kubeconfig = join(workspace.dir(), 'kubeconfig');
  await api.writeKubeconfig(kubeconfig);
  const port = await freePort();
  const exporter = workspace.processes.startFlowlens(
    [
      ...['serve', '--kubernetes', '--listen', `127.0.0.1:${port}`, '--source', `calico-flows:${CALICO_FIXTURE}`],
      ...['--tls-cert-file', CERT, '--tls-key-file', KEY, '--capture-dir', join(workspace.dir(), 'captures')],
    ],
    { env: childEnvironment({ KUBECONFIG: kubeconfig, NODE_NAME: 'node-b' }) },
  );
  await waitFor(async () => (await get(port, '/readyz')).status === 200, 30_000, {
    description: 'the exporter ready',
    process: exporter,
  });
  assert.equal((await get(port, '/api/v1/captures/shop/web-debug/files')).status, 401);
  assert.equal((await get(port, '/api/v1/captures/shop/web-debug/files', 'stolen')).status, 401);
  assert.equal((await get(port, '/api/v1/captures/team/web-debug/files', 'alice-token')).status, 403);
  // Known to the cluster, but this node holds nothing of it until it captured: the controller knows it, the folder is empty.
  await waitFor(
    async () => (await get(port, '/api/v1/captures/shop/web-debug/files', 'alice-token')).status === 200,
    30_000,
    { description: 'the controller to list the capture', process: exporter },
  );
  const listing = JSON.parse((await get(port, '/api/v1/captures/shop/web-debug/files', 'alice-token')).body) as {
    node: string;
    files: unknown[];
  };
  assert.deepEqual(listing, { namespace: 'shop', name: 'web-debug', node: 'node-b', files: [] });
  assert.equal((await get(port, '/api/v1/captures/shop/other/files', 'alice-token')).status, 404);
  const samples = parseExposition((await get(port, '/metrics')).body);
  assert.equal(sampleValue(samples, 'flowlens_captures_active'), 0);
  // No pod of the capture here: no per-capture series either, and the family's budget is reported.
  assert.deepEqual(
    samples.filter(
      (sample) => sample.name.startsWith('flowlens_capture_info') || sample.name.startsWith('flowlens_capture_node_'),
    ),
    [],
  );
  assert.equal(sampleValue(samples, 'flowlens_series_budget', { family: 'flowlens_capture_info' }), 200);
  assert.deepEqual(api.statusPatches, [], 'no status from a node without selected pods');
  const exit = await exporter.stop();
  assert.equal(exit.code, 0, exporter.stderr);
});
