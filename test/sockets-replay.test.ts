/**
 * `flowlens replay --source sockets:DIR`: a copied /proc tree (built here) is scanned once, its pod found by uid in
 * a --resources file; bad content in the tree is counted by reason and the rest still counts; a bad argument or a
 * missing tree stops the run with a message that says why.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  buildProc,
  entry,
  netstat,
  snmp,
  TABLE6_HEADER,
  TABLE_HEADER,
} from '@flowlens/exporter/dist/src/testing/proc-tree';
import { errorsByReason, findSamples, replayFlowlens, runFlowlens, sampleValue, testWorkspace } from './support';

const workspace = testWorkspace('flowlens-sockets-replay-');
const { processes } = workspace;

const UID = '0c7e5d3a-1b2f-4a6e-9d8c-7b6a5f4e3d2c';

test('replay scans a copied proc tree once and names the pod from the resources file', async () => {
  const root = join(workspace.dir(), 'proc');
  await mkdir(root);
  buildProc(root, [
    { pid: 1, netns: 4026531840, cgroup: '0::/init.scope\n', comm: 'systemd\n' },
    {
      pid: 4321,
      netns: 4026532100,
      cgroup: `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID.replace(/-/g, '_')}.slice/cri-containerd-${'c'.repeat(64)}.scope\n`,
      comm: 'postgres\n',
      fds: { '5': 'socket:[9001]' },
      net: {
        tcp:
          TABLE_HEADER +
          entry(0, '00000000:1538', '00000000:0000', '0A', '00000000:00000000', 9001) +
          entry(1, '0A0AF40A:1538', '0B0AF40A:D000', '01', '00000040:00000000', 9002) +
          entry(2, '0A0AF40A:1538', '0B0AF40A:D001', '01', '00000000:00000000', 9003) +
          '   3: this line is broken\n',
        tcp6: TABLE6_HEADER,
        udp: TABLE_HEADER,
        udp6: TABLE6_HEADER,
        snmp: snmp(42, 7, 1),
        netstat: netstat(2, 3),
      },
    },
  ]);
  const resources = join(workspace.dir(), 'resources.yaml');
  await writeFile(
    resources,
    `apiVersion: v1
kind: Pod
metadata:
  name: ledger-db-0
  namespace: payments
  uid: ${UID}
  ownerReferences: [{ apiVersion: apps/v1, kind: StatefulSet, name: ledger-db, controller: true }]
status: { podIP: 10.244.10.10 }
`,
  );
  const { samples } = await replayFlowlens(processes, ['--source', `sockets:${root}`, '--resources', resources]);
  const pod = { namespace: 'payments', workload: 'ledger-db' };
  assert.equal(sampleValue(samples, 'flowlens_sockets', { ...pod, protocol: 'tcp', state: 'established' }), 2);
  assert.equal(sampleValue(samples, 'flowlens_sockets', { ...pod, protocol: 'tcp', state: 'listen' }), 1);
  assert.equal(sampleValue(samples, 'flowlens_socket_queue_bytes', { ...pod, protocol: 'tcp', queue: 'send' }), 0x40);
  assert.equal(
    sampleValue(samples, 'flowlens_listening_sockets', { ...pod, process: 'postgres', protocol: 'tcp', port: '5432' }),
    1,
  );
  const perPod = { ...pod, pod: 'ledger-db-0' };
  assert.equal(sampleValue(samples, 'flowlens_pod_tcp_retransmitted_segments_total', perPod), 42);
  assert.equal(sampleValue(samples, 'flowlens_pod_tcp_resets_total', perPod), 7);
  assert.equal(sampleValue(samples, 'flowlens_pod_tcp_established_resets_total', perPod), 1);
  assert.equal(sampleValue(samples, 'flowlens_pod_tcp_listen_overflows_total', perPod), 2);
  assert.equal(sampleValue(samples, 'flowlens_pod_tcp_listen_drops_total', perPod), 3);
  // Only the broken line is lost.
  assert.equal(errorsByReason(samples, 'sockets')['malformed'], 1);
  assert.equal(sampleValue(samples, 'flowlens_ingest_records_total', { source: 'sockets' }), 1);
  // Without a view that knows the uid, the pod is named by its uid.
  const bare = await replayFlowlens(processes, ['--source', `sockets:${root}`]);
  assert.equal(
    findSamples(bare.samples, 'flowlens_pod_tcp_resets_total', { namespace: '', workload: 'unknown', pod: UID }).length,
    1,
  );
});

test('a bad sockets source stops replay with a message naming the fix', async () => {
  const bad = await runFlowlens(processes, ['replay', '--source', 'sockets:/proc,interval=0']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /option "interval" must be whole seconds from 1 to 3600/);
  const missing = await runFlowlens(processes, ['replay', '--source', `sockets:${join(workspace.dir(), 'absent')}`]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /cannot list .*absent/);
});
