/**
 * The capture controller and the capture file API, through the real client library against the fake API server
 * (PacketCaptures listed and watched, status merge-patched, TokenReview and SubjectAccessReview answered), on a
 * Calico-like lab node (test/capture-lab.ts) with real traffic and real tcpdump, run in the node's namespace.
 * The file API is served over HTTPS by the exporter's own server and asked with raw paths, so traversal attempts
 * reach it as written.
 *
 * Needs root and tcpdump; the lab's namespaces are named flctl* and removed after the tests.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { CLUSTER_KINDS, LiveClusterView } from '@flowlens/exporter/dist/src/cluster/live-view';
import { CaptureController, type NodeCaptureStatus } from '@flowlens/exporter/dist/src/capture/controller';
import { captureFileApi } from '@flowlens/exporter/dist/src/capture/file-api';
import { KubeRequester } from '@flowlens/exporter/dist/src/capture/kube-client';
import { KubernetesReviews } from '@flowlens/exporter/dist/src/capture/review';
import { MemoryLogger } from '@flowlens/exporter/dist/src/log';
import { MetricsRegistry, SelfMetrics } from '@flowlens/exporter/dist/src/metrics/registry';
import { FlowAggregator } from '@flowlens/exporter/dist/src/metrics/flow-aggregator';
import { createExporterServer, type ExporterServer } from '@flowlens/exporter/dist/src/server/http';
import { FakeKubeApiServer, PACKET_CAPTURES } from './kube-api-server';
import { CaptureLab } from './capture-lab';
import { childEnvironment, FIXTURES, run, runFlowlens, testWorkspace, waitFor } from './support';

const workspace = testWorkspace('flowlens-capture-controller-');
const { processes } = workspace;

const CLIENT = { name: 'client-1', ip: '10.252.1.20' };
const WEB_1 = { name: 'web-1', ip: '10.252.1.11' };
const WEB_2 = { name: 'web-2', ip: '10.252.1.12' };
const lab = new CaptureLab(processes, 'flctl', CLIENT, [WEB_1, WEB_2]);
const NODE = 'node-a';
const TLS_CA = readFileSync(join(FIXTURES, 'kube-api-server.crt'));

function pod(name: string, ip: string, labels: Record<string, string>) {
  return {
    metadata: { name, namespace: 'shop', labels },
    spec: { nodeName: NODE },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
  };
}

function packetCapture(name: string, spec: Record<string, unknown>) {
  return { metadata: { name, namespace: 'shop' }, spec };
}

interface Raw {
  status: number;
  body: Buffer;
  headers: Record<string, string | string[] | undefined>;
}

/** A GET with the path exactly as given (no URL normalization), over HTTPS to the exporter's server. */
function rawGet(port: number, path: string, token?: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'GET',
        ca: TLS_CA,
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks), headers: response.headers }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('capture controller and file API against the fake API server, on a lab node', () => {
  const api = new FakeKubeApiServer();
  const logger = new MemoryLogger();
  const metrics = new SelfMetrics();
  let view: LiveClusterView;
  let controller: CaptureController;
  let server: ExporterServer;
  let port = 0;
  let captureDir = '';

  /** The capture's series in the exposition: info lines with their state, and the node totals. */
  const seriesOf = (name: string): string[] =>
    new MetricsRegistry(new FlowAggregator(), metrics, () => Date.now() / 1000)
      .render('prometheus')
      .split('\n')
      .filter((line) => /^flowlens_capture_(info|node_bytes|node_packets)\{/.test(line))
      .filter((line) => line.includes(`namespace="shop",name="${name}",node="${NODE}"`));
  const infoState = (name: string): string | undefined =>
    seriesOf(name)
      .map((line) => /^flowlens_capture_info\{.*state="([^"]+)"\} 1$/.exec(line)?.[1])
      .find((state) => state !== undefined);

  const nodeStatus = (name: string): NodeCaptureStatus | undefined =>
    (api.get(PACKET_CAPTURES, 'shop', name)?.status?.['nodes'] as Record<string, NodeCaptureStatus> | undefined)?.[
      NODE
    ];

  before(async () => {
    assert.equal(process.getuid?.(), 0, 'the capture controller test needs root for network namespaces');
    await lab.create();
    captureDir = join(workspace.dir(), 'captures');
    api.apply('/api/v1/pods', pod('web-1', WEB_1.ip, { app: 'web', tier: 'front' }));
    api.apply('/api/v1/pods', pod('web-2', WEB_2.ip, { app: 'web' }));
    // Another node's pod: its address routes through the node's gateway.
    api.apply('/api/v1/pods', pod('web-remote', '10.253.9.9', { app: 'web' }));
    api.tokens.set('alice-token', { username: 'alice', groups: ['devs'] });
    api.tokens.set('bob-token', { username: 'bob', groups: [] });
    api.grants.add('alice get flowlens.io/packetcaptures/files shop');
    // The kubeconfig's user, for the command line.
    api.tokens.set('fake-token', { username: 'tester', groups: [] });
    api.grants.add('tester get flowlens.io/packetcaptures/files shop');
    await api.start(0);
    const kubeconfig = join(workspace.dir(), 'kubeconfig.json');
    await api.writeKubeconfig(kubeconfig);
    const config = new k8s.KubeConfig();
    config.loadFromFile(kubeconfig);
    view = new LiveClusterView(
      config,
      { logger },
      CLUSTER_KINDS.filter((kind) => kind.resource === 'pods'),
    );
    view.start();
    await waitFor(() => view.synced(), 10_000, { description: 'the live view' });
    controller = new CaptureController({
      config,
      nodeName: NODE,
      captureDir,
      logger,
      metrics,
      podsInNamespace: (namespace) => view.podsInNamespace(namespace),
      retention: { maxAgeMs: 3_600_000, maxTotalBytes: 1024 ** 3 },
      tickMs: 100,
      network: {
        ip: (args) =>
          new Promise((resolve, reject) =>
            execFile('ip', ['-n', lab.node, ...args], (error, stdout, stderr) =>
              error === null ? resolve(stdout) : reject(new Error(stderr)),
            ),
          ),
        tcpdump: ['ip', 'netns', 'exec', lab.node, 'tcpdump'],
        interfaceExists: async (device) =>
          (await run(processes, 'ip', ['-n', lab.node, 'link', 'show', 'dev', device])).code === 0,
      },
    });
    controller.start();
    const requester = new KubeRequester(config);
    server = createExporterServer({
      registry: new MetricsRegistry(new FlowAggregator(), metrics, () => Date.now() / 1000),
      logger,
      notReadyReason: () => undefined,
      tls: {
        cert: readFileSync(join(FIXTURES, 'kube-api-server.crt')),
        key: readFileSync(join(FIXTURES, 'kube-api-server.key')),
        ca: undefined,
      },
      captureFiles: captureFileApi({
        access: new KubernetesReviews(requester, logger),
        folderOf: (namespace, name) => controller.folderOf(namespace, name),
        nodeName: NODE,
        logger,
      }),
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    await controller?.stop();
    await view?.stop();
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
    await api.stop();
    await processes.stopAll();
    await lab.remove();
  });

  test('a PacketCapture runs on this node’s selected pods and its status goes WaitingForTraffic → Finished', async () => {
    api.apply(
      PACKET_CAPTURES,
      packetCapture('web-debug', {
        selector: { matchLabels: { app: 'web' } },
        filters: [{ protocol: 'TCP', ports: [8080] }],
        duration: '1h',
        snapLength: 128,
        maxBytes: 4096,
      }),
    );
    await waitFor(() => nodeStatus('web-debug')?.state === 'WaitingForTraffic', 20_000, {
      description: 'WaitingForTraffic',
    });
    // The other node's pod is not captured here.
    assert.deepEqual(nodeStatus('web-debug')?.pods, ['shop/web-1', 'shop/web-2']);
    assert.equal(metrics.capturesActive.get([]), 1);
    await waitFor(() => infoState('web-debug') === 'WaitingForTraffic', 5_000, { description: 'the info series' });
    assert.equal(seriesOf('web-debug').length, 3, seriesOf('web-debug').join('\n'));
    await lab.traffic(
      Array.from({ length: 20 }, (_value, index) => `tcp:${index % 2 ? WEB_1.ip : WEB_2.ip}:8080:4000`),
    );
    await waitFor(() => nodeStatus('web-debug')?.state === 'Finished', 20_000, { description: 'Finished' });
    const status = nodeStatus('web-debug')!;
    assert.ok(status.bytes <= 4096 && status.bytes > 0, `bytes ${status.bytes}`);
    assert.ok(status.packets > 0);
    assert.equal(metrics.capturePackets.get(['shop']), status.packets);
    assert.equal(metrics.captureBytes.get(['shop']), status.bytes);
    // The per-capture series follow the status: one info series, now Finished, and this node's totals.
    await waitFor(() => infoState('web-debug') === 'Finished', 5_000, { description: 'the Finished series' });
    assert.deepEqual(seriesOf('web-debug'), [
      `flowlens_capture_info{namespace="shop",name="web-debug",node="${NODE}",state="Finished"} 1`,
      `flowlens_capture_node_bytes{namespace="shop",name="web-debug",node="${NODE}"} ${status.bytes}`,
      `flowlens_capture_node_packets{namespace="shop",name="web-debug",node="${NODE}"} ${status.packets}`,
    ]);
    assert.ok(status.files.length >= 1);
    let packets = 0;
    for (const file of status.files) {
      const lines = await lab.readWithTcpdump(join(captureDir, 'shop', 'web-debug', file));
      for (const line of lines) assert.match(line, /\.8080[ :]/);
      packets += lines.length;
    }
    assert.equal(packets, status.packets);
    await waitFor(() => metrics.capturesActive.get([]) === 0, 5_000, { description: 'no active capture' });
    // Status writes go to the status subresource, as merge patches of this node's entry only.
    assert.ok(api.statusPatches.length >= 2);
    for (const patch of api.statusPatches) {
      assert.equal(patch.path, '/apis/flowlens.io/v1alpha1/namespaces/shop/packetcaptures/web-debug/status');
      assert.deepEqual(Object.keys((patch.body as { status: { nodes: object } }).status.nodes), [NODE]);
    }
  });

  test('the file API: 401 without or with a bad token, 403 when not allowed, files for the allowed user', async () => {
    const base = '/api/v1/captures/shop/web-debug/files';
    assert.equal((await rawGet(port, base)).status, 401);
    assert.equal((await rawGet(port, base, 'forged-token')).status, 401);
    assert.equal((await rawGet(port, base, 'bob-token')).status, 403);
    const listing = await rawGet(port, base, 'alice-token');
    assert.equal(listing.status, 200, listing.body.toString());
    const listed = JSON.parse(listing.body.toString()) as { node: string; files: { name: string; bytes: number }[] };
    assert.equal(listed.node, NODE);
    assert.deepEqual(
      listed.files.map((file) => file.name),
      nodeStatus('web-debug')!.files.slice().sort(),
    );
    const first = listed.files[0]!;
    const download = await rawGet(port, `${base}/${first.name}`, 'alice-token');
    assert.equal(download.status, 200);
    assert.equal(download.headers['content-type'], 'application/vnd.tcpdump.pcap');
    assert.deepEqual(download.body, readFileSync(join(captureDir, 'shop', 'web-debug', first.name)));
    // Asked as the API server would be: get on packetcaptures/files of this capture in its namespace.
    assert.deepEqual(api.accessReviews.at(-1), {
      user: 'alice',
      verb: 'get',
      group: 'flowlens.io',
      resource: 'packetcaptures',
      subresource: 'files',
      namespace: 'shop',
      name: 'web-debug',
    });
    assert.ok(api.tokenReviews.includes('alice-token') && api.tokenReviews.includes('forged-token'));
  });

  test('the file API: traversal, encoded separators, unknown captures and symlinks are 404', async () => {
    const folder = join(captureDir, 'shop', 'web-debug');
    symlinkSync('/etc/passwd', join(folder, 'evil.pcap'));
    const refused = [
      '/api/v1/captures/shop/web-debug/files/../../../../etc/passwd',
      '/api/v1/captures/shop/web-debug/files/..%2F..%2F..%2Fetc%2Fpasswd',
      '/api/v1/captures/shop/web-debug/files/%2Fetc%2Fpasswd',
      '/api/v1/captures/shop/web-debug/files/..',
      '/api/v1/captures/shop/web-debug/files/%2e%2e',
      '/api/v1/captures/shop/web-debug/files/..%5c..%5cpasswd',
      '/api/v1/captures/shop/web-debug/files//etc/passwd',
      '/api/v1/captures/shop/web-debug/files/web-1.0000.pcap/..',
      '/api/v1/captures/shop/web-debug/files/evil.pcap',
      '/api/v1/captures/shop/web-debug/files/.capture.lock',
      '/api/v1/captures/shop/web-debug/files/missing.pcap',
      '/api/v1/captures/shop/../../etc/files',
      '/api/v1/captures/shop/nope/files',
      '/api/v1/captures/shop/web-debug',
      '/api/v1/captures/shop/web-debug/other',
    ];
    for (const path of refused) {
      const answer = await rawGet(port, path, 'alice-token');
      assert.equal(answer.status, 404, `${path}: ${answer.status} ${answer.body.toString()}`);
      assert.equal(answer.body.toString(), 'not found\n');
    }
    const listing = JSON.parse(
      (await rawGet(port, '/api/v1/captures/shop/web-debug/files', 'alice-token')).body.toString(),
    ) as {
      files: { name: string }[];
    };
    assert.ok(!listing.files.some((file) => file.name === 'evil.pcap'), 'symlinks are not listed');
    // Unauthenticated requests learn nothing about paths either.
    assert.equal((await rawGet(port, '/api/v1/captures/shop/web-debug/files/../../x')).status, 401);
    // Another namespace: alice may not.
    api.apply(PACKET_CAPTURES, { metadata: { name: 'other', namespace: 'team' }, spec: { selector: {} } });
    assert.equal((await rawGet(port, '/api/v1/captures/team/other/files', 'alice-token')).status, 403);
  });

  test('a capture whose start is ahead is Scheduled on the nodes of its pods, and captures nothing yet', async () => {
    const start = new Date(Date.now() + 3_600_000).toISOString();
    api.apply(
      PACKET_CAPTURES,
      packetCapture('later', { selector: { matchLabels: { tier: 'front' } }, startTime: start }),
    );
    await waitFor(() => nodeStatus('later')?.state === 'Scheduled', 20_000, { description: 'Scheduled' });
    assert.deepEqual(nodeStatus('later')?.pods, ['shop/web-1']);
    assert.equal(existsSync(join(captureDir, 'shop', 'later')), false);
    await waitFor(() => infoState('later') === 'Scheduled', 5_000, { description: 'the Scheduled series' });
    api.delete(PACKET_CAPTURES, 'shop', 'later');
    await waitFor(() => seriesOf('later').length === 0, 20_000, { description: 'the series removed' });
  });

  test('an invalid PacketCapture gets an Error status naming the field', async () => {
    api.apply(PACKET_CAPTURES, packetCapture('bad', { selector: {}, snapLength: 10 }));
    await waitFor(() => nodeStatus('bad')?.state === 'Error', 20_000, { description: 'Error status' });
    assert.match(nodeStatus('bad')!.error ?? '', /spec\.snapLength must be an integer from 64 to 262144, got 10/);
    await waitFor(() => infoState('bad') === 'Error', 5_000, { description: 'the Error series' });
  });

  test('the command line: create, list, status, fetch (per-node files and one merged pcap), delete', async () => {
    const kubeconfig = join(workspace.dir(), 'kubeconfig.json');
    const env = childEnvironment({ KUBECONFIG: kubeconfig });
    const flowlens = async (args: string[], code = 0) => {
      const result = await runFlowlens(processes, args, { env, timeoutMs: 60_000 });
      assert.equal(result.code, code, `flowlens ${args.join(' ')}: ${result.stderr}`);
      return result;
    };
    // The exporter of node-a, as fetch finds it: a pod of the DaemonSet on that node.
    api.apply('/api/v1/pods', {
      metadata: { name: 'flowlens-x7k2p', namespace: 'flowlens', labels: { 'app.kubernetes.io/name': 'flowlens' } },
      spec: { nodeName: NODE },
      status: { phase: 'Running', podIP: '127.0.0.1' },
    });
    const created = await flowlens([
      ...['capture', 'create', 'shop/cli-capture', '--selector', 'app=web,tier=front', '--protocol', 'tcp'],
      ...['--port', '8080', '--duration', '1h', '--max-bytes', '4Ki', '--snap-length', '128'],
    ]);
    assert.match(created.stdout, /packetcapture shop\/cli-capture created/);
    assert.deepEqual(api.get(PACKET_CAPTURES, 'shop', 'cli-capture')?.spec, {
      selector: { matchLabels: { app: 'web', tier: 'front' } },
      filters: [{ protocol: 'TCP', ports: [8080] }],
      duration: '1h',
      maxBytes: '4Ki',
      snapLength: 128,
    });
    await waitFor(() => nodeStatus('cli-capture')?.state === 'WaitingForTraffic', 20_000, { description: 'started' });
    await lab.traffic(Array.from({ length: 10 }, () => `tcp:${WEB_1.ip}:8080:4000`));
    await waitFor(() => nodeStatus('cli-capture')?.state === 'Finished', 20_000, { description: 'Finished' });
    const status = nodeStatus('cli-capture')!;
    const listed = await flowlens(['capture', 'list', '--namespace', 'shop']);
    assert.match(listed.stdout, /^NAMESPACE\s+NAME\s+NODES\s+STATE\s+PACKETS\s+BYTES$/m);
    assert.match(
      listed.stdout,
      new RegExp(`^shop\\s+cli-capture\\s+1\\s+Finished\\s+${status.packets}\\s+${status.bytes}$`, 'm'),
    );
    const shown = await flowlens(['capture', 'status', 'shop/cli-capture']);
    assert.match(
      shown.stdout,
      new RegExp(`^node-a\\s+Finished\\s+shop/web-1\\s+${status.files.length}\\s+${status.packets}`, 'm'),
    );

    const dest = join(workspace.dir(), 'fetched');
    const fetched = await flowlens([
      ...['capture', 'fetch', 'shop/cli-capture', '--dest', dest],
      ...['--exporter-ca', join(FIXTURES, 'kube-api-server.crt'), '--exporter-port', String(port)],
    ]);
    assert.match(fetched.stderr, /\[#{30}\] 100% .* (\d+)\/\1 files/);
    const result = JSON.parse(fetched.stdout) as { merged: string; nodes: Record<string, string[]>; packets: number };
    assert.equal(result.merged, join(dest, 'shop-cli-capture.pcap'));
    assert.deepEqual(readdirSync(join(dest, NODE)).sort(), status.files.slice().sort());
    for (const file of status.files) {
      assert.deepEqual(
        readFileSync(join(dest, NODE, file)),
        readFileSync(join(captureDir, 'shop', 'cli-capture', file)),
      );
    }
    const lines = await lab.readWithTcpdump(result.merged);
    assert.equal(lines.length, status.packets);
    assert.equal(result.packets, status.packets);
    const times = lines.map((line) => Number(line.split(' ')[0]));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
    );

    // Through a given address (a port-forward) instead of the pod's.
    const forwarded = await flowlens([
      ...['capture', 'fetch', 'shop/cli-capture', '--dest', join(workspace.dir(), 'forwarded')],
      ...['--exporter-ca', join(FIXTURES, 'kube-api-server.crt'), '--exporter-address', `${NODE}=127.0.0.1:${port}`],
    ]);
    assert.equal((JSON.parse(forwarded.stdout) as { packets: number }).packets, status.packets);
    const everywhere = await flowlens(['capture', 'list']);
    assert.match(everywhere.stdout, /^shop\s+cli-capture\s+1\s+Finished/m);

    const deleted = await flowlens(['capture', 'delete', 'shop/cli-capture']);
    assert.match(deleted.stdout, /deleted/);
    assert.equal(api.get(PACKET_CAPTURES, 'shop', 'cli-capture'), undefined);
    await waitFor(() => !existsSync(join(captureDir, 'shop', 'cli-capture')), 20_000, { description: 'files removed' });
  });

  test('the command line names the flag and the fix', async () => {
    const env = childEnvironment({ KUBECONFIG: join(workspace.dir(), 'kubeconfig.json') });
    const cases: [string[], number, RegExp][] = [
      [['capture', 'create', 'shop/x'], 2, /capture create needs --selector/],
      [['capture', 'create', 'shop', '--selector', 'app=web'], 2, /needs NAMESPACE\/NAME .* got "shop"/],
      [
        ['capture', 'create', 'shop/x', '--selector', 'app=web', '--snap-length', '10'],
        2,
        /--snap-length must be an integer from 64/,
      ],
      [
        ['capture', 'create', 'shop/x', '--selector', 'app=web', '--duration', 'soon'],
        2,
        /--duration "soon" is not a duration/,
      ],
      [['capture', 'fetch', 'shop/nothing', '--dest', workspace.dir()], 1, /PacketCapture shop\/nothing not found/],
      [['capture', 'fetch', 'shop/x'], 2, /capture fetch needs --dest/],
      [['capture', 'fetch', 'shop/x', '--dest', '/tmp/x', '--exporter-address', 'node-a'], 2, /must be NODE=HOST:PORT/],
      [['capture', 'status', 'shop/nothing'], 1, /404/],
      [
        ['capture', 'nothing'],
        2,
        /flowlens capture needs a subcommand: run, merge, create, list, status, delete, fetch/,
      ],
    ];
    for (const [args, code, message] of cases) {
      const result = await runFlowlens(processes, args, { env, timeoutMs: 60_000 });
      assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message, args.join(' '));
    }
  });

  test('deleting a running capture stops it and removes its files', async () => {
    api.apply(PACKET_CAPTURES, packetCapture('long', { selector: { matchLabels: { tier: 'front' } }, duration: '1h' }));
    await waitFor(() => nodeStatus('long')?.state === 'WaitingForTraffic', 20_000, { description: 'capturing' });
    await lab.traffic([`tcp:${WEB_1.ip}:8080:1000`]);
    await waitFor(() => nodeStatus('long')?.state === 'Capturing', 20_000, { description: 'Capturing' });
    const folder = join(captureDir, 'shop', 'long');
    await waitFor(() => existsSync(join(folder, 'web-1.0000.pcap')), 10_000, { description: 'a file' });
    await waitFor(() => infoState('long') === 'Capturing', 5_000, { description: 'the Capturing series' });
    assert.equal(seriesOf('long').length, 3);
    api.delete(PACKET_CAPTURES, 'shop', 'long');
    await waitFor(() => !existsSync(folder), 20_000, { description: 'the files removed' });
    // Every series of the deleted capture is gone: no state left behind.
    await waitFor(() => seriesOf('long').length === 0, 10_000, { description: 'the series removed' });
    await waitFor(() => metrics.capturesActive.get([]) === 0, 10_000, { description: 'no active capture' });
    assert.equal(controller.folderOf('shop', 'long'), undefined);
  });
});
