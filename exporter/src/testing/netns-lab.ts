/**
 * Test and benchmark support: real network namespaces, veth pairs, pod-like cgroups and processes, made with
 * `ip` and cgroupfs (argument arrays, never a shell) and all removed by cleanup(), also after a failure. Every
 * name starts with the lab's tag (`flsock-...`), so a lab never touches what it did not make. Needs root, `ip`
 * and a writable cgroup v1 `pids` hierarchy (or cgroup2 at /sys/fs/cgroup/unified).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LAB_PREFIX = 'flsock';

/** Throws, saying what is missing, unless this process can build a lab (root, `ip`, a writable cgroup tree). */
export function assertLabCapable(): void {
  if (process.platform !== 'linux') throw new Error('the sockets lab needs Linux (network namespaces, /proc)');
  if (process.getuid?.() !== 0) {
    throw new Error('the sockets lab needs root (ip netns add, cgroups): run the tests as root, as CI does');
  }
  try {
    execFileSync('ip', ['-V'], { stdio: 'pipe' });
  } catch {
    throw new Error('the sockets lab needs the `ip` command (iproute2): install it, as CI has it');
  }
  if (cgroupRoot() === undefined) {
    throw new Error(
      'the sockets lab needs a writable cgroup hierarchy at /sys/fs/cgroup/pids or /sys/fs/cgroup/unified',
    );
  }
}

function cgroupRoot(): string | undefined {
  for (const candidate of ['/sys/fs/cgroup/pids', '/sys/fs/cgroup/unified']) {
    if (existsSync(join(candidate, 'cgroup.procs'))) return candidate;
  }
  return undefined;
}

function ip(args: readonly string[]): void {
  execFileSync('ip', [...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

export interface LabProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves with the first line the process writes to stdout (the scripts print `ready`). */
  readonly ready: Promise<string>;
}

export class NetnsLab {
  readonly tag: string;
  private readonly namespaces: string[] = [];
  private readonly links: string[] = [];
  private readonly cgroups: string[] = [];
  private readonly processes: LabProcess[] = [];
  private readonly cgroupBase: string;

  constructor(name: string) {
    assertLabCapable();
    this.tag = `${LAB_PREFIX}-${name}-${process.pid.toString(36)}`;
    this.cgroupBase = join(cgroupRoot()!, this.tag);
  }

  /** A network namespace with its loopback up. */
  addNamespace(suffix: string): string {
    const name = `${this.tag}-${suffix}`;
    ip(['netns', 'add', name]);
    this.namespaces.push(name);
    ip(['-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  /** A veth pair between two namespaces, with an IPv4 address (CIDR) on each end, both up. */
  connect(left: string, leftAddress: string, right: string, rightAddress: string): void {
    // Interface names are at most 15 bytes: the prefix and a counter.
    const index = this.links.length;
    const leftLink = `${LAB_PREFIX}${process.pid % 1000}a${index}`;
    const rightLink = `${LAB_PREFIX}${process.pid % 1000}b${index}`;
    ip(['link', 'add', leftLink, 'type', 'veth', 'peer', 'name', rightLink]);
    this.links.push(leftLink);
    ip(['link', 'set', leftLink, 'netns', left]);
    ip(['link', 'set', rightLink, 'netns', right]);
    ip(['-n', left, 'addr', 'add', leftAddress, 'dev', leftLink]);
    ip(['-n', right, 'addr', 'add', rightAddress, 'dev', rightLink]);
    ip(['-n', left, 'link', 'set', leftLink, 'up']);
    ip(['-n', right, 'link', 'set', rightLink, 'up']);
  }

  /** A cgroup laid out as the kubelet's cgroupfs driver does: `<tag>/kubepods/burstable/pod<uid>/<container>`. */
  podCgroup(podUid: string, containerId: string): string {
    const pod = join(this.cgroupBase, 'kubepods', 'burstable', `pod${podUid}`);
    const container = join(pod, containerId);
    mkdirSync(container, { recursive: true });
    this.cgroups.push(container);
    return container;
  }

  /** Moves a process into a cgroup. */
  join(cgroup: string, pid: number): void {
    writeFileSync(join(cgroup, 'cgroup.procs'), String(pid));
  }

  /** Sets a sysctl inside one of the lab's namespaces (per-namespace sysctls only: the host's are left alone). */
  sysctl(namespace: string, key: string, value: string): void {
    ip(['netns', 'exec', namespace, 'sysctl', '-q', '-w', `${key}=${value}`]);
  }

  /** The path of a namespace's handle, for setns(2). */
  namespacePath(namespace: string): string {
    return join('/run/netns', namespace);
  }

  /**
   * Starts `command args` inside a namespace (`ip netns exec` runs it as the same pid), or in the host's when
   * `namespace` is undefined (a process that places children in namespaces itself).
   */
  run(namespace: string | undefined, command: string, args: readonly string[]): LabProcess {
    const [file, argv] =
      namespace === undefined ? [command, [...args]] : ['ip', ['netns', 'exec', namespace, command, ...args]];
    const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid === undefined) throw new Error(`could not start ${command} in ${namespace}`);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const ready = new Promise<string>((resolve, reject) => {
      let stdout = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const newline = stdout.indexOf('\n');
        if (newline >= 0) resolve(stdout.slice(0, newline));
      });
      child.once('exit', (code, signal) =>
        reject(
          new Error(
            `${command} in ${namespace ?? 'the host'} exited (${code ?? signal}) before it was ready: ${stderr}`,
          ),
        ),
      );
      child.once('error', reject);
    });
    ready.catch(() => undefined);
    const started: LabProcess = { child, pid: child.pid, ready };
    this.processes.push(started);
    return started;
  }

  /** Stops the lab's processes and removes its cgroups, links and namespaces; never throws. */
  async cleanup(): Promise<string[]> {
    const problems: string[] = [];
    await Promise.all(
      this.processes.map(
        ({ child }) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    // Children of the lab's processes (a fork farm's) die with their parent, a moment later: wait for them.
    for (const cgroup of this.cgroups) await emptyCgroup(cgroup);
    for (const cgroup of this.cgroups) removeCgroupTree(cgroup, this.cgroupBase, problems);
    if (existsSync(this.cgroupBase)) removeCgroupTree(this.cgroupBase, this.cgroupBase, problems);
    for (const namespace of this.namespaces) {
      try {
        // Deleting a namespace deletes the veth ends in it, and so both ends of each pair.
        ip(['netns', 'del', namespace]);
      } catch (error) {
        problems.push(`ip netns del ${namespace}: ${(error as Error).message}`);
      }
    }
    this.namespaces.length = 0;
    this.cgroups.length = 0;
    this.processes.length = 0;
    return problems;
  }
}

/**
 * Waits until a cgroup of the lab holds no process, killing (by pid) what is left in it after a while: only the
 * lab's processes and their children are ever put in its cgroups.
 */
async function emptyCgroup(cgroup: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    let pids: number[];
    try {
      pids = readFileSync(join(cgroup, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return;
    }
    if (pids.length === 0) return;
    if (attempt >= 20) {
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Removes a cgroup and its children, deepest first, then its empty parents up to `base`. */
function removeCgroupTree(path: string, base: string, problems: string[]): void {
  if (!existsSync(path)) return;
  for (const entry of readdirSync(path)) {
    const child = join(path, entry);
    if (statSync(child).isDirectory()) removeCgroupTree(child, base, problems);
  }
  try {
    rmdirSync(path);
  } catch (error) {
    problems.push(`rmdir ${path}: ${(error as Error).message}`);
    return;
  }
  for (
    let parent = join(path, '..');
    parent.startsWith(base) && parent.length >= base.length;
    parent = join(parent, '..')
  ) {
    try {
      rmdirSync(parent);
    } catch {
      return;
    }
    if (parent === base) return;
  }
}
