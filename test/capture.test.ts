/**
 * `flowlens capture run` and `capture merge` against the kernel and the real tcpdump: a "node" network namespace
 * and "pods" wired as Calico wires them (each pod's eth0 holds a /32 and routes everything to 169.254.1.1, which
 * the node's end of the veth answers by proxy ARP; the node has a /32 route per pod to its `cali*` veth), real TCP
 * and UDP traffic from a client pod, and `flowlens capture run` running in the node's namespace, as the exporter
 * runs in the node's. Files are checked with `tcpdump -r`.
 *
 * Needs root and tcpdump (`npm test` installs it); the network is test/capture-lab.ts's, named flcap*, made here
 * and removed after the tests, also when they fail.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parsePcap } from '@flowlens/exporter/dist/src/capture/pcap';
import { parse } from 'yaml';
import { FLOWLENS_BIN, REPO_ROOT, run, testWorkspace, waitFor, type Spawned } from './support';
import { CaptureLab } from './capture-lab';

const workspace = testWorkspace('flowlens-capture-');
const { processes } = workspace;

const CLIENT = { name: 'client-1', ip: '10.252.0.20' };
const WEB_1 = { name: 'web-1', ip: '10.252.0.11' };
const WEB_2 = { name: 'web-2', ip: '10.252.0.12' };
const DB_1 = { name: 'db-1', ip: '10.252.0.13' };
// On a bridge, as flannel's cni0 holds its pods.
const BRIDGED_1 = { name: 'api-1', ip: '10.252.9.11' };
const BRIDGED_2 = { name: 'api-2', ip: '10.252.9.12' };
const lab = new CaptureLab(processes, 'flcap', CLIENT, [WEB_1, WEB_2, DB_1], [BRIDGED_1, BRIDGED_2]);
const traffic = (targets: readonly string[]) => lab.traffic(targets);
const readWithTcpdump = (file: string) => lab.readWithTcpdump(file);
const must = (command: string, args: readonly string[]) => lab.must(command, args);

const RESOURCES = `apiVersion: v1
kind: List
items:
  - { apiVersion: v1, kind: Pod, metadata: { name: web-1, namespace: shop, labels: { app: web, tier: front } }, status: { phase: Running, podIP: ${WEB_1.ip}, podIPs: [{ ip: ${WEB_1.ip} }] } }
  - { apiVersion: v1, kind: Pod, metadata: { name: web-2, namespace: shop, labels: { app: web } }, status: { phase: Running, podIP: ${WEB_2.ip}, podIPs: [{ ip: ${WEB_2.ip} }] } }
  - { apiVersion: v1, kind: Pod, metadata: { name: db-1, namespace: shop, labels: { app: web, tier: db } }, status: { phase: Running, podIP: ${DB_1.ip}, podIPs: [{ ip: ${DB_1.ip} }] } }
  - { apiVersion: v1, kind: Pod, metadata: { name: client-1, namespace: tools, labels: { app: web } }, status: { phase: Running, podIP: ${CLIENT.ip}, podIPs: [{ ip: ${CLIENT.ip} }] } }
  - { apiVersion: v1, kind: Pod, metadata: { name: api-1, namespace: shop, labels: { app: api } }, status: { phase: Running, podIP: ${BRIDGED_1.ip} } }
  - { apiVersion: v1, kind: Pod, metadata: { name: api-2, namespace: shop, labels: { app: api, role: spare } }, status: { phase: Running, podIP: ${BRIDGED_2.ip} } }
  - { apiVersion: v1, kind: Pod, metadata: { name: web-old, namespace: shop, labels: { app: web } }, status: { phase: Succeeded, podIP: 10.252.0.99 } }
`;

function startCapture(args: readonly string[]): Spawned {
  return processes.start('ip', ['netns', 'exec', lab.node, process.execPath, FLOWLENS_BIN, 'capture', 'run', ...args]);
}

async function capturing(capture: Spawned): Promise<void> {
  await waitFor(() => capture.stderr.includes('capturing'), 20_000, {
    description: 'capture to start',
    process: capture,
  });
}

interface Summary {
  stopReason: string;
  packets: number;
  bytes: number;
  files: string[];
  targets: { pod: string; device: string; state: string; packets: number; bytes: number; files: string[] }[];
}

async function finished(capture: Spawned): Promise<Summary> {
  await waitFor(() => capture.exitStatus !== undefined, 60_000, { description: 'capture run to exit' }).catch(
    async (error: unknown) => {
      await capture.stop('SIGKILL');
      throw error;
    },
  );
  const exit = await capture.exited;
  assert.equal(exit.code, 0, `capture run exited ${exit.code ?? exit.signal}: ${capture.stderr}`);
  return JSON.parse(capture.stdout) as Summary;
}

const pcapFiles = (dir: string) =>
  readdirSync(dir)
    .filter((name) => name.endsWith('.pcap'))
    .sort();

describe('capture run with real namespaces, traffic and tcpdump', () => {
  let resources = '';
  let outputRoot = '';

  before(async () => {
    assert.equal(process.getuid?.(), 0, 'the capture integration test needs root for network namespaces');
    outputRoot = workspace.dir();
    resources = join(outputRoot, 'resources.yaml');
    await writeFile(resources, RESOURCES);
    await lab.create();
  });

  after(async () => {
    await processes.stopAll();
    await lab.remove();
  });

  test('the files hold the selected pods’ packets, and only those matching the filters', async () => {
    const dir = join(outputRoot, 'filters');
    const capture = startCapture([
      ...['--resources', resources, '--namespace', 'shop', '--selector', 'app=web,tier!=db'],
      ...['--protocol', 'TCP', '--port', '8080', '--duration', '5m', '--output-dir', dir],
    ]);
    await capturing(capture);
    assert.match(capture.stderr, /skipped shop\/web-old: not running/);
    await traffic([
      `tcp:${WEB_1.ip}:8080:3000`,
      `tcp:${WEB_2.ip}:8080:2000`,
      `tcp:${WEB_1.ip}:9090:1000`,
      `udp:${WEB_1.ip}:5353:100`,
      `tcp:${DB_1.ip}:8080:1000`,
    ]);
    capture.child.kill('SIGINT');
    const summary = await finished(capture);
    assert.equal(summary.stopReason, 'stopped');
    assert.deepEqual(
      summary.targets.map((target) => [target.pod, target.device, target.state]),
      [
        ['shop/web-1', lab.hostLink(WEB_1), 'Stopped'],
        ['shop/web-2', lab.hostLink(WEB_2), 'Stopped'],
      ],
    );
    assert.deepEqual(pcapFiles(dir), ['web-1.0000.pcap', 'web-2.0000.pcap']);
    const web1 = await readWithTcpdump(join(dir, 'web-1.0000.pcap'));
    const web2 = await readWithTcpdump(join(dir, 'web-2.0000.pcap'));
    // Both directions of each TCP connection: the handshake, data, echo and close.
    assert.ok(web1.length >= 6, web1.join('\n'));
    assert.ok(web2.length >= 6, web2.join('\n'));
    for (const line of web1)
      assert.match(
        line,
        new RegExp(`IP ${CLIENT.ip}\\.\\d+ > ${WEB_1.ip}\\.8080:|IP ${WEB_1.ip}\\.8080 > ${CLIENT.ip}\\.\\d+:`),
        line,
      );
    for (const line of web2)
      assert.match(
        line,
        new RegExp(`IP ${CLIENT.ip}\\.\\d+ > ${WEB_2.ip}\\.8080:|IP ${WEB_2.ip}\\.8080 > ${CLIENT.ip}\\.\\d+:`),
        line,
      );
    assert.equal(summary.packets, web1.length + web2.length);
    const onDisk = pcapFiles(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
    assert.equal(summary.bytes, onDisk);
  });

  test('UDP filters and port ranges: only UDP packets in the range', async () => {
    const dir = join(outputRoot, 'udp');
    const capture = startCapture([
      ...['--resources', resources, '--namespace', 'shop', '--selector', 'tier=front'],
      ...['--protocol', 'udp', '--port', '5000-5999', '--duration', '5m', '--output-dir', dir],
    ]);
    await capturing(capture);
    await traffic([`tcp:${WEB_1.ip}:8080:500`, `udp:${WEB_1.ip}:5353:300`, `udp:${WEB_1.ip}:5353:200`]);
    capture.child.kill('SIGINT');
    const summary = await finished(capture);
    const lines = await readWithTcpdump(join(dir, 'web-1.0000.pcap'));
    // Two datagrams and their echoes.
    assert.equal(lines.length, 4, lines.join('\n'));
    for (const line of lines) assert.match(line, /UDP, length (300|200)/);
    assert.equal(summary.packets, 4);
  });

  test('a bridge CNI: the pod is captured on the shared bridge, only its own packets', async () => {
    const dir = join(outputRoot, 'bridge');
    const capture = startCapture([
      ...['--resources', resources, '--namespace', 'shop', '--selector', 'app=api,role!=spare', '--protocol', 'tcp'],
      ...['--duration', '5m', '--output-dir', dir],
    ]);
    await capturing(capture);
    await traffic([`tcp:${BRIDGED_1.ip}:8080:2000`, `tcp:${BRIDGED_2.ip}:8080:2000`, `tcp:${BRIDGED_1.ip}:9090:500`]);
    capture.child.kill('SIGINT');
    const summary = await finished(capture);
    assert.deepEqual(
      summary.targets.map((target) => [target.pod, target.device]),
      [['shop/api-1', lab.bridge]],
    );
    const lines = await readWithTcpdump(join(dir, 'api-1.0000.pcap'));
    assert.ok(lines.length >= 12, lines.join('\n'));
    for (const line of lines)
      assert.match(line, new RegExp(`${BRIDGED_1.ip.replace(/\./g, '\\.')}\\.(8080|9090)`), line);
    assert.ok(!lines.some((line) => line.includes(BRIDGED_2.ip)), 'the other pod on the bridge is not captured');
  });

  test('a capture works with only the capabilities the capture component grants (setpriv bounding set)', async () => {
    const component = parse(
      readFileSync(
        join(REPO_ROOT, 'provisioning', 'kubernetes', 'components', 'capture', 'kustomization.yaml'),
        'utf8',
      ),
    ) as { patches: { patch: string }[] };
    const operations = parse(component.patches[0]!.patch) as { path: string; value: unknown }[];
    const security = operations.find((operation) => operation.path.endsWith('/securityContext'))?.value as {
      capabilities: { add: string[] };
    };
    const bounding = ['-all', ...security.capabilities.add.map((capability) => `+${capability.toLowerCase()}`)].join(
      ',',
    );
    const dir = join(outputRoot, 'capabilities');
    const capture = processes.start('ip', [
      ...['netns', 'exec', lab.node, 'setpriv', '--bounding-set', bounding, process.execPath, FLOWLENS_BIN],
      ...['capture', 'run', '--resources', resources, '--namespace', 'shop', '--selector', 'tier=front'],
      ...['--protocol', 'tcp', '--duration', '5m', '--output-dir', dir],
    ]);
    await capturing(capture);
    await traffic([`tcp:${WEB_1.ip}:8080:1000`]);
    capture.child.kill('SIGINT');
    const summary = await finished(capture);
    assert.equal(summary.targets[0]?.state, 'Stopped');
    assert.ok(summary.packets >= 6, `${summary.packets} packets`);
  });

  test('the duration limit stops the capture by itself', async () => {
    const dir = join(outputRoot, 'duration');
    const capture = startCapture([
      ...['--resources', resources, '--namespace', 'shop', '--selector', 'app=web,tier=front'],
      ...['--duration', '2s', '--output-dir', dir],
    ]);
    const summary = await finished(capture);
    assert.equal(summary.stopReason, 'duration');
    assert.equal(summary.targets[0]?.state, 'Stopped');
  });

  test('maxBytes stops the capture with the files within the limit; files rotate at --file-bytes', async () => {
    const dir = join(outputRoot, 'limits');
    const capture = startCapture([
      ...['--resources', resources, '--namespace', 'shop', '--selector', 'tier=front', '--protocol', 'tcp'],
      ...['--duration', '5m', '--output-dir', dir, '--snap-length', '128', '--max-bytes', '8Ki', '--file-bytes', '2Ki'],
    ]);
    await capturing(capture);
    // Far more than 8 KiB of packets (at 128 bytes kept each, a few hundred packets).
    await traffic(Array.from({ length: 40 }, () => `tcp:${WEB_1.ip}:8080:20000`));
    const summary = await finished(capture);
    assert.equal(summary.stopReason, 'maxBytes');
    assert.ok(summary.bytes <= 8192 && summary.bytes > 8192 - 2 * 144, `bytes ${summary.bytes}`);
    const files = pcapFiles(dir);
    assert.ok(files.length >= 4, files.join(', '));
    let packets = 0;
    for (const name of files) {
      const size = statSync(join(dir, name)).size;
      assert.ok(size <= 2048, `${name} is ${size} bytes`);
      const { header, records } = parsePcap(readFileSync(join(dir, name)), name);
      assert.equal(header.snapLength, 128);
      for (const record of records) assert.ok(record.data.length <= 128);
      packets += (await readWithTcpdump(join(dir, name))).length;
    }
    assert.equal(packets, summary.packets);
  });

  test('merge: the pods’ files become one time-ordered file that tcpdump reads', async () => {
    const dir = join(outputRoot, 'merge');
    const capture = startCapture([
      ...['--resources', resources, '--namespace', 'shop', '--selector', 'app=web,tier!=db', '--protocol', 'tcp'],
      ...['--port', '8080', '--duration', '5m', '--output-dir', dir],
    ]);
    await capturing(capture);
    await traffic([`tcp:${WEB_1.ip}:8080:500`, `tcp:${WEB_2.ip}:8080:500`, `tcp:${WEB_1.ip}:8080:500`]);
    capture.child.kill('SIGINT');
    const summary = await finished(capture);
    const merged = join(dir, 'merged.pcap');
    const inputs = pcapFiles(dir).map((name) => join(dir, name));
    const result = await run(processes, process.execPath, [
      FLOWLENS_BIN,
      'capture',
      'merge',
      '--output',
      merged,
      ...inputs,
    ]);
    assert.equal(result.code, 0, result.stderr);
    const lines = await readWithTcpdump(merged);
    assert.equal(lines.length, summary.packets);
    const times = lines.map((line) => Number(line.split(' ')[0]));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
    );
    assert.ok(
      lines.some((line) => line.includes(WEB_1.ip)),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((line) => line.includes(WEB_2.ip)),
      lines.join('\n'),
    );
  });

  test('a pod going away mid-capture ends its part; its files stay readable and the others go on', async () => {
    const dir = join(outputRoot, 'vanish');
    const capture = startCapture([
      ...['--resources', resources, '--namespace', 'shop', '--selector', 'app=web,tier!=db', '--protocol', 'tcp'],
      ...['--duration', '5m', '--output-dir', dir],
    ]);
    await capturing(capture);
    await traffic([`tcp:${WEB_2.ip}:8080:500`]);
    // Its packets are on disk before the pod goes (tcpdump hands them over asynchronously; under load they may
    // still be in flight when the traffic ends): what must survive is what was captured.
    const web2File = join(dir, 'web-2.0000.pcap');
    await waitFor(() => parsePcap(readFileSync(web2File), web2File).records.length >= 6, 20_000, {
      description: "web-2's packets in its capture file",
      process: capture,
    });
    // The pod is deleted: its veth goes with it.
    await must('ip', ['-n', lab.node, 'link', 'del', lab.hostLink(WEB_2)]);
    await traffic([`tcp:${WEB_1.ip}:8080:500`]);
    capture.child.kill('SIGINT');
    const summary = await finished(capture);
    const states = Object.fromEntries(summary.targets.map((target) => [target.pod, target.state]));
    assert.deepEqual(states, { 'shop/web-1': 'Stopped', 'shop/web-2': 'InterfaceGone' });
    assert.ok((await readWithTcpdump(join(dir, 'web-2.0000.pcap'))).length >= 6);
    assert.ok((await readWithTcpdump(join(dir, 'web-1.0000.pcap'))).length >= 6);
  });

  test('usage errors name the flag and the fix', async () => {
    const cases: [string[], RegExp][] = [
      [['--namespace', 'shop', '--selector', '', '--duration', '1s', '--output-dir', '/tmp/x'], /needs --resources/],
      [
        [
          '--resources',
          resources,
          '--namespace',
          'shop',
          '--selector',
          'app=',
          '--duration',
          '1x',
          '--output-dir',
          '/tmp/x',
        ],
        /--duration "1x" is not a duration/,
      ],
      [
        [
          '--resources',
          resources,
          '--namespace',
          'shop',
          '--selector',
          'app in web',
          '--duration',
          '1s',
          '--output-dir',
          '/tmp/x',
        ],
        /--selector "app in web": expected "\(" after in/,
      ],
      [
        [
          '--resources',
          resources,
          '--namespace',
          'shop',
          '--selector',
          'app=web',
          '--protocol',
          'http',
          '--duration',
          '1s',
          '--output-dir',
          '/tmp/x',
        ],
        /--protocol\/--port\.protocol must be one of TCP/,
      ],
      [
        [
          '--resources',
          resources,
          '--namespace',
          'shop',
          '--selector',
          'app=web',
          '--port',
          '0',
          '--duration',
          '1s',
          '--output-dir',
          '/tmp/x',
        ],
        /--port\.ports\[0\] must be a port/,
      ],
      [
        [
          '--resources',
          resources,
          '--namespace',
          'shop',
          '--selector',
          'app=nothing',
          '--duration',
          '1s',
          '--output-dir',
          '/tmp/x',
        ],
        /no running pod in namespace shop/,
      ],
      [['--resources', resources, '--bogus'], /unknown flag --bogus/],
    ];
    for (const [args, message] of cases) {
      const result = await run(processes, process.execPath, [FLOWLENS_BIN, 'capture', 'run', ...args]);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
  });
});
