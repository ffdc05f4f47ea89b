/**
 * `sockets_scan_ms`: one full scan of /proc by the `sockets` source's scanner on a node with 200 pod network
 * namespaces of 50 sockets each (a listener, 24 connections from both ends, a bound UDP socket), built here for
 * real: one process per namespace holding its sockets, each in a kubelet-style pod cgroup. The processes are forked
 * by one Python process (children of a fork cost little memory); each child makes its own namespace with
 * unshare(2), so the namespaces go with the processes. Best of several scans after a warm-up.
 *
 * Two lines: namespaces made from the host's (sharing its TCP hash table, as pods do on a default node), and
 * `sockets_scan_child_ehash_ms`, made from a lab namespace whose net.ipv4.tcp_child_ehash_entries gives each a
 * table of its own (the node setting that makes /proc/net/tcp cheap; see scanner.ts). The host's sysctls are untouched.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { SocketScanner } from '../src/sources/sockets/scanner';
import { NetnsLab } from '../src/testing/netns-lab';
import { progress, round, type BenchResult } from './util';

const NAMESPACES = 200;
const SOCKETS_PER_NAMESPACE = 50;
const RUNS = 10;
const CHILD_EHASH_ENTRIES = '256';

/** Argv: the namespace to make children from (`-` for this process's), then one cgroup directory per child. */
const FORK_FARM = `
import ctypes, fcntl, os, signal, socket, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG = 1
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
parent, cgroups = sys.argv[1], sys.argv[2:]
ready_read, ready_write = os.pipe()
def check(result, what):
    if result != 0:
        raise OSError(ctypes.get_errno(), what)
for cgroup in cgroups:
    if os.fork() == 0:
        try:
            # Die with the farm, so killing it takes every holder and namespace along.
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            with open(cgroup + '/cgroup.procs', 'w') as procs:
                procs.write(str(os.getpid()))
            if parent != '-':
                handle = os.open(parent, os.O_RDONLY)
                check(libc.setns(handle, CLONE_NEWNET), 'setns')
                os.close(handle)
            check(libc.unshare(CLONE_NEWNET), 'unshare')
            control = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            flags = struct.unpack('16sH', fcntl.ioctl(control, SIOCGIFFLAGS, struct.pack('16sH', b'lo', 0)))[1]
            fcntl.ioctl(control, SIOCSIFFLAGS, struct.pack('16sH', b'lo', flags | IFF_UP))
            control.close()
            with open('/proc/self/comm', 'w') as comm:
                comm.write('flsock-holder')
            held = []
            server = socket.socket()
            server.bind(('127.0.0.1', 7000))
            server.listen(64)
            held.append(server)
            for _ in range(24):
                held.append(socket.create_connection(('127.0.0.1', 7000)))
                held.append(server.accept()[0])
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp.bind(('0.0.0.0', 5000))
            held.append(udp)
            os.write(ready_write, b'.')
            while True:
                signal.pause()
        except BaseException as error:
            sys.stderr.write('holder failed: %s\\n' % error)
            os.write(ready_write, b'!')
            os._exit(1)
seen = 0
while seen < len(cgroups):
    chunk = os.read(ready_read, 4096)
    if b'!' in chunk:
        sys.exit(1)
    seen += len(chunk)
print('ready', flush=True)
while True:
    signal.pause()
`;

async function scanTime(name: string, parentNamespace: string | undefined): Promise<BenchResult> {
  const lab = new NetnsLab(name === 'sockets_scan_ms' ? 'bench' : 'bench-ehash');
  try {
    let parent = '-';
    if (parentNamespace !== undefined) {
      const namespace = lab.addNamespace(parentNamespace);
      lab.sysctl(namespace, 'net.ipv4.tcp_child_ehash_entries', CHILD_EHASH_ENTRIES);
      parent = lab.namespacePath(namespace);
    }
    const cgroups = Array.from({ length: NAMESPACES }, () =>
      lab.podCgroup(randomUUID(), randomUUID().replace(/-/g, '')),
    );
    const farm = lab.run(undefined, 'python3', ['-c', FORK_FARM, parent, ...cgroups]);
    await farm.ready;

    let rejected = 0;
    const scanner = new SocketScanner({ procRoot: '/proc', onRejected: () => rejected++ });
    const check = scanner.scan(0);
    const ours = check.pods.filter((pod) => pod.listening.some((port) => port.process === 'flsock-holder'));
    const sockets = ours.reduce((total, pod) => total + pod.states.reduce((sum, state) => sum + state.count, 0), 0);
    if (ours.length !== NAMESPACES || sockets !== NAMESPACES * SOCKETS_PER_NAMESPACE || rejected > 0) {
      throw new Error(
        `the scan saw ${ours.length} of ${NAMESPACES} namespaces and ${sockets} of ${NAMESPACES * SOCKETS_PER_NAMESPACE} sockets, ${rejected} rejections`,
      );
    }
    for (let i = 0; i < 2; i++) scanner.scan(0);
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const start = performance.now();
      scanner.scan(0);
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    progress(
      `  ${name}: scans of ${check.pods.length} pod namespaces, best ${round(times[0]!, 1)} ms, median ${round(times[RUNS >> 1]!, 1)} ms`,
    );
    return { name, value: round(times[0]!, 1), unit: 'ms' };
  } finally {
    const problems = await lab.cleanup();
    for (const problem of problems) progress(`cleanup: ${problem}`);
  }
}

export async function benchSockets(): Promise<BenchResult[]> {
  progress(`building ${NAMESPACES} pod network namespaces with ${SOCKETS_PER_NAMESPACE} sockets each, twice`);
  return [await scanTime('sockets_scan_ms', undefined), await scanTime('sockets_scan_child_ehash_ms', 'parent')];
}
