import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SocketScanner } from './scanner';
import type { DecodeError } from '../types';
import {
  buildProc,
  entry,
  netstat,
  snmp,
  TABLE6_HEADER,
  TABLE_HEADER,
  withProc,
  type FakeProcess,
} from '../../testing/proc-tree';

const POD_A = '11111111-2222-4333-8444-555555555555';
const POD_B = '66666666-7777-4888-8999-aaaaaaaaaaaa';
const podA: FakeProcess[] = [
  {
    pid: 100,
    netns: 4026532001,
    cgroup: `12:pids:/kubepods/burstable/pod${POD_A}/abcdef0123456789\n0::/\n`,
    comm: 'pause\n',
    fds: { '0': '/dev/null' },
    net: {
      tcp:
        TABLE_HEADER +
        // 10.0.0.10:8080 listening (two waiting connections: not bytes), one established with queues, one time_wait.
        entry(0, '0A00000A:1F90', '00000000:0000', '0A', '00000000:00000002', 5001) +
        entry(1, '0A00000A:1F90', '0B00000A:C350', '01', '0000012C:00000064', 5002) +
        entry(2, '0A00000A:1F90', '0B00000A:C351', '06', '00000000:00000000', 0),
      tcp6: TABLE6_HEADER,
      udp:
        TABLE_HEADER +
        entry(0, '00000000:0035', '00000000:0000', '07', '00000000:00000010', 5003) +
        entry(1, '0A00000A:D431', '0B00000A:0035', '01', '00000000:00000000', 5004),
      udp6: TABLE6_HEADER,
      snmp: snmp(17, 5, 2),
      netstat: netstat(3, 4),
    },
  },
  {
    pid: 101,
    netns: 4026532001,
    cgroup: `12:pids:/kubepods/burstable/pod${POD_A}/0123456789abcdef\n`,
    comm: 'web-server\n',
    fds: { '0': '/dev/null', '3': 'socket:[5001]', '4': 'socket:[5002]', '5': 'pipe:[77]', '6': 'socket:[5003]' },
  },
];

test('a scan groups processes by network namespace, finds the pod in a cgroup and tallies its sockets', () => {
  const rejected: DecodeError[] = [];
  withProc([{ pid: 1, netns: 4026531840, cgroup: '0::/init.scope\n', comm: 'systemd\n' }, ...podA], (root) => {
    const scan = new SocketScanner({ procRoot: root, onRejected: (error) => rejected.push(error) }).scan(1000);
    assert.deepEqual(rejected, []);
    assert.equal(scan.at, 1000);
    assert.equal(scan.pods.length, 1);
    const pod = scan.pods[0]!;
    assert.equal(pod.podUid, POD_A);
    assert.equal(pod.netns, 4026532001);
    assert.deepEqual(pod.addresses, ['10.0.0.10']);
    assert.deepEqual(
      pod.states.map((state) => [
        state.protocol,
        state.state,
        state.count,
        state.sendQueueBytes,
        state.receiveQueueBytes,
      ]),
      [
        ['tcp', 'established', 1, 300, 100],
        ['tcp', 'time_wait', 1, 0, 0],
        ['tcp', 'listen', 1, 0, 0],
        ['udp', 'connected', 1, 0, 0],
        ['udp', 'unconnected', 1, 0, 16],
      ],
    );
    assert.deepEqual(
      pod.listening.map((port) => [port.process, port.protocol, port.port, port.count]),
      [
        ['web-server', 'tcp', 8080, 1],
        ['web-server', 'udp', 53, 1],
      ],
    );
    assert.deepEqual(pod.tcp, {
      retransmittedSegments: 17,
      resetsSent: 5,
      establishedResets: 2,
      listenOverflows: 3,
      listenDrops: 4,
    });
  });
});

test('the host namespace is scanned as workload host when asked to', () => {
  const host: FakeProcess = {
    ...podA[0]!,
    pid: 1,
    netns: 4026531840,
    cgroup: '0::/init.scope\n',
    comm: 'systemd\n',
  };
  const sshd: FakeProcess = {
    pid: 2,
    netns: 4026531840,
    cgroup: '0::/system.slice/sshd.service\n',
    comm: 'sshd\n',
    fds: { '3': 'socket:[5001]' },
  };
  withProc([host, sshd], (root) => {
    const options = { procRoot: root, onRejected: () => assert.fail('nothing is bad') };
    assert.deepEqual(new SocketScanner(options).scan(1).pods, []);
    const pods = new SocketScanner({ ...options, includeHost: true }).scan(1).pods;
    assert.equal(pods.length, 1);
    assert.deepEqual(
      [pods[0]?.pod.kind, pods[0]?.pod.namespace, pods[0]?.pod.workload, pods[0]?.podUid],
      ['host', '', 'host', ''],
    );
    assert.equal(pods[0]?.listening.find((port) => port.port === 8080)?.process, 'sshd');
  });
});

test('the host namespace and namespaces of no pod are left out', () => {
  withProc(
    [
      { pid: 1, netns: 4026531840, cgroup: '0::/init.scope\n' },
      // A hostNetwork pod's process shares the host namespace: its sockets are the node's, not the pod's.
      { pid: 50, netns: 4026531840, cgroup: `0::/kubepods/pod${POD_B}/abcdef0123456789\n` },
      { pid: 60, netns: 4026532500, cgroup: '0::/system.slice/docker-abcdef0123456789.scope\n' },
    ],
    (root) => {
      const scan = new SocketScanner({ procRoot: root, onRejected: () => assert.fail('nothing is bad') }).scan(1);
      assert.deepEqual(scan.pods, []);
    },
  );
});

test('bad proc content loses only itself: entries, tables, counters and cgroups are reported by reason', () => {
  const rejected: { reason: string; file: string; line: number }[] = [];
  const broken: FakeProcess[] = [
    {
      pid: 200,
      netns: 4026532002,
      cgroup: `0::/kubepods.slice/kubepods-pod${POD_B.replace(/-/g, '_')}.slice/cri-containerd-abcdef0123456789.scope\n`,
      comm: 'app\n',
      fds: { '3': 'socket:[6001]' },
      net: {
        tcp:
          TABLE_HEADER +
          entry(0, '0A000014:0050', '00000000:0000', '0A', '00000000:00000000', 6001) +
          '   1: 0A000014:0050 nonsense\n' +
          entry(2, '0A000014:0050', '0B000014:C350', '01', '00000001:00000002', 6002),
        tcp6: 'this is not a table\n',
        udp: TABLE_HEADER,
        udp6: TABLE6_HEADER,
        snmp: 'Tcp: RetransSegs OutRsts EstabResets\nTcp: 1 2\n',
        netstat: netstat(0, 0),
      },
    },
    // A namespace whose cgroup file is garbage, then one whose link is not a namespace's.
    { pid: 300, netns: 4026532003, cgroup: 'garbage\n' },
  ];
  withProc(broken, (root) => {
    symlinkSync('nonsense', join(root, '400'));
    const scan = new SocketScanner({
      procRoot: root,
      onRejected: (error, file, line) => rejected.push({ reason: error.reason, file: file.slice(root.length), line }),
    }).scan(1);
    assert.deepEqual(rejected, [
      { reason: 'malformed', file: '/300/cgroup', line: 0 },
      { reason: 'malformed', file: '/200/net/tcp', line: 3 },
      { reason: 'malformed', file: '/200/net/tcp6', line: 1 },
      { reason: 'malformed', file: '/200/net/snmp', line: 0 },
    ]);
    assert.equal(scan.pods.length, 1);
    const pod = scan.pods[0]!;
    assert.equal(pod.podUid, POD_B);
    assert.equal(pod.tcp, undefined);
    assert.deepEqual(
      pod.states.map((state) => [state.state, state.count]),
      [
        ['established', 1],
        ['listen', 1],
      ],
    );
    assert.deepEqual(pod.listening, [{ process: 'app', protocol: 'tcp', port: 80, count: 1 }]);
  });
});

test('an oversized table is rejected as oversized and the rest of the namespace still counts', () => {
  const rejected: string[] = [];
  const many = Array.from({ length: 100 }, (_, i) =>
    entry(i, '0A00000A:1F90', '0B00000A:C350', '01', '00000000:00000000', 7000 + i),
  ).join('');
  const process: FakeProcess = {
    ...podA[0]!,
    net: { ...podA[0]!.net, tcp: TABLE_HEADER + many },
  };
  withProc([process], (root) => {
    const scan = new SocketScanner({
      procRoot: root,
      maxFileBytes: 4096,
      onRejected: (error, file) => rejected.push(`${error.reason} ${file.slice(root.length)}`),
    }).scan(1);
    assert.deepEqual(rejected, ['oversized /100/net/tcp']);
    assert.deepEqual(
      scan.pods[0]?.states.map((state) => state.protocol),
      ['udp', 'udp'],
    );
    assert.equal(scan.pods[0]?.tcp?.retransmittedSegments, 17);
  });
});

test('a process that vanished mid-scan is not an error: the next process of its namespace is read', () => {
  // Pid 100 has no net directory (it ended after its namespace link was read); pid 101 shows the tables.
  const vanished: FakeProcess[] = [
    { ...podA[0]!, net: undefined },
    { ...podA[1]!, net: podA[0]!.net },
  ];
  withProc(vanished, (root) => {
    const scan = new SocketScanner({
      procRoot: root,
      onRejected: () => assert.fail('a vanished process is not bad input'),
    }).scan(1);
    assert.equal(scan.pods.length, 1);
    assert.equal(scan.pods[0]?.states.length, 5);
  });
});

test('tables that sockstat says are empty are not read (each read walks the kernel’s whole TCP hash table)', () => {
  const rejected: string[] = [];
  const process: FakeProcess = {
    ...podA[0]!,
    net: {
      ...podA[0]!.net,
      // Would be rejected if read.
      tcp6: 'not read\n',
      udp6: 'not read either\n',
      sockstat: 'sockets: used 9\nTCP: inuse 2 orphan 0 tw 1 alloc 3 mem 1\nUDP: inuse 2 mem 0\n',
      sockstat6: 'TCP6: inuse 0\nUDP6: inuse 0\n',
    },
  };
  withProc([process], (root) => {
    const scan = new SocketScanner({
      procRoot: root,
      onRejected: (error, file) => rejected.push(`${error.reason} ${file.slice(root.length)}`),
    }).scan(1);
    assert.deepEqual(rejected, []);
    assert.equal(scan.pods[0]?.states.length, 5);
  });
  // More TIME_WAIT sockets than the IPv4 table holds: the others are IPv6, and that table is read.
  const ipv6TimeWait: FakeProcess = {
    ...process,
    net: {
      ...process.net,
      sockstat: 'TCP: inuse 2 orphan 0 tw 2 alloc 3 mem 1\nUDP: inuse 2 mem 0\n',
      tcp6:
        TABLE6_HEADER +
        entry(
          0,
          '000000FD000000000000000001000000:1F90',
          '000000FD000000000000000002000000:C350',
          '06',
          '00000000:00000000',
          0,
        ),
    },
  };
  withProc([ipv6TimeWait], (root) => {
    const scan = new SocketScanner({ procRoot: root, onRejected: () => assert.fail('nothing is bad') }).scan(1);
    assert.equal(scan.pods[0]?.states.find((state) => state.state === 'time_wait')?.count, 2);
  });
  // A sockstat that does not parse is reported, and every table is read.
  const broken: FakeProcess = { ...process, net: { ...process.net, sockstat: 'TCP: inuse many\n' } };
  withProc([broken], (root) => {
    new SocketScanner({
      procRoot: root,
      onRejected: (error, file) => rejected.push(`${error.reason} ${file.slice(root.length)}`),
    }).scan(1);
    assert.deepEqual(rejected, ['wrong_type /100/net/sockstat', 'malformed /100/net/tcp6', 'malformed /100/net/udp6']);
  });
});

test('a scan in slices, yielding to the event loop between namespaces, is the same scan', async () => {
  const second: FakeProcess[] = podA.map((process) => ({
    ...process,
    pid: process.pid + 1000,
    netns: 4026532999,
    cgroup: process.cgroup?.replace(POD_A, POD_B),
    fds: process.pid === 101 ? { '3': 'socket:[5001]' } : process.fds,
  }));
  const root = mkdtempSync(join(tmpdir(), 'flowlens-proc-'));
  try {
    buildProc(root, [...podA, ...second]);
    const scanner = new SocketScanner({ procRoot: root, onRejected: () => assert.fail('nothing is bad') });
    const sliced = await scanner.scanInSlices(5, 1);
    assert.deepEqual(sliced, scanner.scan(5));
    assert.equal(sliced.pods.length, 2);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
