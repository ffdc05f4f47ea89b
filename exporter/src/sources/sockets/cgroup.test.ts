import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podOfCgroupFile, podOfCgroupPath, type PodCgroup } from './cgroup';
import { DecodeError } from '../types';

const UID = '5f3c1a2b-9d8e-4f70-a1b2-c3d4e5f60718';
const UID_UNDERSCORES = UID.replace(/-/g, '_');
const ID = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

test('cgroup paths of every kubelet layout and runtime name the pod', () => {
  const cases: { path: string; expected: PodCgroup | undefined }[] = [
    // cgroupfs driver: containerd and Docker name the container by its bare id.
    { path: `/kubepods/burstable/pod${UID}/${ID}`, expected: { podUid: UID, containerId: ID, runtime: 'unknown' } },
    { path: `/kubepods/besteffort/pod${UID}/${ID}`, expected: { podUid: UID, containerId: ID, runtime: 'unknown' } },
    { path: `/kubepods/pod${UID}/${ID}`, expected: { podUid: UID, containerId: ID, runtime: 'unknown' } },
    { path: `/kubepods/burstable/pod${UID}/crio-${ID}`, expected: { podUid: UID, containerId: ID, runtime: 'cri-o' } },
    // kind and other nested nodes.
    {
      path: `/kubelet/kubepods/burstable/pod${UID}/${ID}`,
      expected: { podUid: UID, containerId: ID, runtime: 'unknown' },
    },
    // systemd driver.
    {
      path: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_UNDERSCORES}.slice/cri-containerd-${ID}.scope`,
      expected: { podUid: UID, containerId: ID, runtime: 'containerd' },
    },
    {
      path: `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_UNDERSCORES}.slice/crio-${ID}.scope`,
      expected: { podUid: UID, containerId: ID, runtime: 'cri-o' },
    },
    {
      path: `/kubepods.slice/kubepods-pod${UID_UNDERSCORES}.slice/crio-conmon-${ID}.scope`,
      expected: { podUid: UID, containerId: ID, runtime: 'cri-o' },
    },
    {
      path: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_UNDERSCORES}.slice/docker-${ID}.scope`,
      expected: { podUid: UID, containerId: ID, runtime: 'docker' },
    },
    {
      path: `/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-burstable.slice/kubelet-kubepods-burstable-pod${UID_UNDERSCORES}.slice/cri-containerd-${ID}.scope`,
      expected: { podUid: UID, containerId: ID, runtime: 'containerd' },
    },
    // A process in the pod's cgroup itself.
    { path: `/kubepods/burstable/pod${UID}`, expected: { podUid: UID, containerId: '', runtime: 'unknown' } },
    // Static pods: a 32-hex config hash.
    {
      path: `/kubepods/burstable/pod0123456789abcdef0123456789abcdef/${ID}`,
      expected: { podUid: '0123456789abcdef0123456789abcdef', containerId: ID, runtime: 'unknown' },
    },
    // Not pods.
    { path: '/system.slice/containerd.service', expected: undefined },
    { path: '/user.slice/user-0.slice/session-1.scope', expected: undefined },
    { path: `/docker/${ID}`, expected: undefined },
    { path: `/pod${UID}/${ID}`, expected: undefined },
    { path: '/kubepods/burstable/podnot-a-uid/x', expected: undefined },
    { path: '/', expected: undefined },
  ];
  for (const { path, expected } of cases) assert.deepEqual(podOfCgroupPath(path), expected, path);
});

test('cgroup v1 files: the first line under a pod decides; v2 files have one line', () => {
  const v1 = [
    '12:pids:/kubepods/burstable/pod' + UID + '/' + ID,
    '11:cpu,cpuacct:/kubepods/burstable/pod' + UID + '/' + ID,
    '1:name=systemd:/kubepods/burstable/pod' + UID + '/' + ID,
    '0::/',
    '',
  ].join('\n');
  assert.equal(podOfCgroupFile(v1)?.podUid, UID);
  const v2 = `0::/kubepods.slice/kubepods-pod${UID_UNDERSCORES}.slice/cri-containerd-${ID}.scope\n`;
  assert.deepEqual(podOfCgroupFile(v2), { podUid: UID, containerId: ID, runtime: 'containerd' });
  assert.equal(podOfCgroupFile('0::/init.scope\n'), undefined);
  assert.equal(podOfCgroupFile(''), undefined);
});

test('bad cgroup files are rejected by reason', () => {
  const cases: { text: string; reason: string }[] = [
    { text: `0::/kubepods/pod${UID}/${ID}`, reason: 'truncated' },
    { text: 'pids:/kubepods\n', reason: 'malformed' },
    { text: 'x:pids:/kubepods\n', reason: 'malformed' },
    { text: '3:pids:kubepods/pod\n', reason: 'malformed' },
  ];
  for (const { text, reason } of cases) {
    assert.throws(
      () => podOfCgroupFile(text),
      (error: unknown) => error instanceof DecodeError && error.reason === reason,
      text,
    );
  }
});
