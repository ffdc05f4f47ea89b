/**
 * Scans a node's /proc for the sockets of its pods: each process is placed in its network namespace (the
 * inode of /proc/<pid>/ns/net), a namespace is a pod's when one of its processes' cgroups names a pod
 * (cgroup.ts), and each pod namespace's tables are read once, through one of its processes. Listening
 * sockets are traced to their process through /proc/<pid>/fd (`socket:[inode]` links) and /proc/<pid>/comm.
 *
 * Reads are synchronous: a scan is a few thousand small reads of kernel-generated files, which the sync calls
 * do several times faster than promises would, and the scan ends in well under the time budget (see the
 * `sockets_scan_ms` benchmark). Processes come and go while we read; a file that vanished (ENOENT, ESRCH)
 * just means the process ended, and is not an error. Content that does not parse is reported by reason
 * and only the bad entry (or file) is lost.
 */
import { closeSync, openSync, readdirSync, readlinkSync, readSync } from 'node:fs';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { emptyEndpoint } from '../../model/flow';
import type {
  ListeningPort,
  PodSockets,
  SocketProtocol,
  SocketScan,
  SocketStateCount,
  TcpNamespaceCounters,
} from '../../model/sockets';
import { DecodeError } from '../types';
import { podOfCgroupFile, type PodCgroup } from './cgroup';
import {
  addressFromHex,
  counter,
  isLocalOnlyAddressHex,
  parseCounterPairs,
  parseSocketTable,
  parseSockstat,
  type CounterSections,
  TCP_LISTEN,
  TCP_SYN_SENT,
  TCP_FIN_WAIT2,
  TCP_TIME_WAIT,
  TCP_STATES,
  UDP_CONNECTED,
  UDP_UNCONNECTED,
  type SocketEntry,
} from './proc-net';

export interface ScannerOptions {
  /** Where /proc is (a copy of one for replay). */
  procRoot: string;
  /** Called for content that does not parse: the file and, for a table entry, its line (else 0). */
  onRejected: (error: DecodeError, file: string, line: number) => void;
  /** Largest file read, in bytes; a larger one is rejected as oversized (a socket table of ~100k sockets fits). */
  maxFileBytes?: number;
  /** Processes whose cgroup is read to find a namespace's pod, at most, before it is taken for no pod's. */
  cgroupTriesPerNamespace?: number;
  /**
   * Also scan the host's network namespace (pid 1's), as workload `host` (kind `host`, no namespace): the node's own
   * sockets and those of host-network pods. Off by default: its listening sockets are traced through every host process.
   */
  includeHost?: boolean;
}

const SNMP_SECTIONS: ReadonlySet<string> = new Set(['Tcp']);
const NETSTAT_SECTIONS: ReadonlySet<string> = new Set(['TcpExt']);

export const DEFAULT_MAX_FILE_BYTES = 32 * 1024 * 1024;

/** A file that is gone because its process ended: normal in a scan. */
function isGone(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ESRCH' || code === 'ENOTDIR';
}

/** A file we may not read (a scan without the privileges for every process): also not the input's fault. */
function isDenied(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EACCES' || code === 'EPERM';
}

/**
 * The socket tables and, for each, whether the namespace's sockstat says it is empty. Reading /proc/net/tcp walks
 * every bucket of the kernel's TCP hash table, which all network namespaces share unless the node sets
 * net.ipv4.tcp_child_ehash_entries: milliseconds per read on a large node, whatever the namespace holds. The
 * per-namespace counts in sockstat cost nothing, so empty tables are not read. `inuse` counts a family's hashed
 * sockets; `tw` the namespace's TIME_WAIT (and orphaned FIN_WAIT2) sockets of both families, so the IPv6 table is
 * read when the IPv4 one did not hold them all. The IPv4 table comes first, and its tally is there to compare.
 */
const TABLES: readonly {
  file: string;
  protocol: SocketProtocol;
  empty: (stats: CounterSections, tally: StateTally) => boolean;
}[] = [
  {
    file: 'tcp',
    protocol: 'tcp',
    empty: (stats) => count(stats, 'TCP', 'inuse') === 0 && count(stats, 'TCP', 'tw') === 0,
  },
  {
    file: 'tcp6',
    protocol: 'tcp',
    empty: (stats, tally) =>
      count(stats, 'TCP6', 'inuse') === 0 &&
      count(stats, 'TCP', 'tw') <= tally.counts[TCP_TIME_WAIT]! + tally.counts[TCP_FIN_WAIT2]!,
  },
  { file: 'udp', protocol: 'udp', empty: (stats) => count(stats, 'UDP', 'inuse') === 0 },
  { file: 'udp6', protocol: 'udp', empty: (stats) => count(stats, 'UDP6', 'inuse') === 0 },
];

/** A sockstat count; unknown counts as in use, so a table is skipped only when sockstat says so. */
function count(stats: CounterSections, section: string, name: string): number {
  return stats.get(section)?.get(name) ?? 1;
}

/** The host's namespace, scanned as a pod of its own when asked to (ScannerOptions.includeHost). */
const HOST: PodCgroup = { podUid: '', containerId: '', runtime: 'unknown' };

interface NamespaceGroup {
  inode: number;
  pids: number[];
  /** The pod whose namespace it is, HOST for the host's, undefined for a namespace of no pod. */
  pod: PodCgroup | undefined;
  cgroupTries: number;
}

/** Per-state tallies of one namespace, indexed by protocol (0 tcp, 1 udp) and state number. */
class StateTally {
  readonly counts = new Float64Array(2 * TCP_STATES.length);
  readonly sendQueue = new Float64Array(2 * TCP_STATES.length);
  readonly receiveQueue = new Float64Array(2 * TCP_STATES.length);

  reset(): void {
    this.counts.fill(0);
    this.sendQueue.fill(0);
    this.receiveQueue.fill(0);
  }
}

interface ListeningSocket {
  protocol: SocketProtocol;
  port: number;
}

export class SocketScanner {
  private readonly procRoot: string;
  private readonly maxFileBytes: number;
  private readonly cgroupTries: number;
  private buffer = Buffer.allocUnsafe(64 * 1024);
  private readonly tally = new StateTally();
  // Per-namespace state the table callback fills; fields, not closures, so a scan makes one callback in all.
  private listeningByInode = new Map<number, ListeningSocket>();
  private addressesHex = new Set<string>();
  private protocolIndex = 0;
  private protocol: SocketProtocol = 'tcp';
  private readonly onEntry = (entry: SocketEntry): void => this.count(entry);
  /** Whether the last read() returned nothing because the file was rejected (oversized), not because it is gone. */
  private lastReadRejected = false;

  constructor(private readonly options: ScannerOptions) {
    this.procRoot = options.procRoot.replace(/\/+$/, '') || '/';
    this.maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    this.cgroupTries = options.cgroupTriesPerNamespace ?? 8;
  }

  /** A whole scan at once (replay, tests, the benchmark). */
  scan(atSeconds: number): SocketScan {
    const steps = this.steps(atSeconds);
    for (;;) {
      const step = steps.next();
      if (step.done === true) return step.value;
    }
  }

  /**
   * A scan that lets the event loop run after every `namespacesPerSlice` namespaces: on a node where a scan takes a
   * second (see TABLES), /metrics and /healthz still answer while it runs.
   */
  async scanInSlices(atSeconds: number, namespacesPerSlice = 8): Promise<SocketScan> {
    const steps = this.steps(atSeconds);
    for (let step = steps.next(), done = 0; ; step = steps.next()) {
      if (step.done === true) return step.value;
      if (++done % namespacesPerSlice === 0) await yieldToEventLoop();
    }
  }

  /** The scan, one namespace per step. */
  private *steps(atSeconds: number): Generator<void, SocketScan> {
    const groups = this.groupByNamespace();
    const pods: PodSockets[] = [];
    for (const group of groups.values()) {
      if (group.pod === undefined) continue;
      const sockets = this.scanNamespace(group, group.pod);
      if (sockets !== undefined) pods.push(sockets);
      yield;
    }
    return { at: atSeconds, pods };
  }

  /** Every process by network namespace; the host's (pid 1's) is left out unless asked for, as are namespaces of no pod. */
  private groupByNamespace(): Map<number, NamespaceGroup> {
    const groups = new Map<number, NamespaceGroup>();
    // Pid 1's, or where pid 1 is not ours to read (a sandbox), the exporter's own (a DaemonSet runs on the host network).
    const hostNamespace = this.namespaceOf(1) ?? this.namespaceOf('self');
    let entries: string[];
    try {
      entries = readdirSync(this.procRoot);
    } catch (error) {
      throw new Error(`cannot list ${this.procRoot}: ${(error as Error).message}`);
    }
    for (const name of entries) {
      const first = name.charCodeAt(0);
      if (first < 0x30 || first > 0x39 || !/^\d+$/.test(name)) continue;
      const pid = Number(name);
      const inode = this.namespaceOf(pid);
      if (inode === undefined || (inode === hostNamespace && this.options.includeHost !== true)) continue;
      let group = groups.get(inode);
      if (group === undefined) {
        const host = inode === hostNamespace;
        // The host's namespace needs no cgroup read: it is the host's whoever's processes are in it.
        group = { inode, pids: [], pod: host ? HOST : undefined, cgroupTries: host ? this.cgroupTries : 0 };
        groups.set(inode, group);
      }
      group.pids.push(pid);
      // One process of a pod's namespace names the pod; a few tries cover a process that joined it from outside.
      if (group.pod === undefined && group.cgroupTries < this.cgroupTries) {
        group.cgroupTries++;
        group.pod = this.podOf(pid);
      }
    }
    return groups;
  }

  /** The inode of a process's network namespace; undefined if the process is gone or its link unreadable. */
  private namespaceOf(pid: number | 'self'): number | undefined {
    const path = `${this.procRoot}/${pid}/ns/net`;
    let link: string;
    try {
      link = readlinkSync(path);
    } catch (error) {
      if (isGone(error) || isDenied(error)) return undefined;
      throw error;
    }
    const match = /^net:\[(\d{1,20})\]$/.exec(link);
    if (match === null) {
      this.options.onRejected(
        new DecodeError('malformed', `not a network namespace link: "${link.slice(0, 60)}"`),
        path,
        0,
      );
      return undefined;
    }
    return Number(match[1]);
  }

  private podOf(pid: number): PodCgroup | undefined {
    const path = `${this.procRoot}/${pid}/cgroup`;
    const text = this.read(path);
    if (text === undefined) return undefined;
    try {
      return podOfCgroupFile(text);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      this.options.onRejected(error, path, 0);
      return undefined;
    }
  }

  private scanNamespace(group: NamespaceGroup, pod: PodCgroup): PodSockets | undefined {
    // Any process of the namespace shows its tables; if one ended, the next will do.
    for (const pid of group.pids) {
      const base = `${this.procRoot}/${pid}/net`;
      const read = this.readTables(base);
      if (read === 'gone') continue;
      const tcp = this.readCounters(base);
      if (tcp === 'gone') continue;
      const listening = this.listeningPorts(group.pids);
      const endpoint = emptyEndpoint();
      if (pod === HOST) {
        endpoint.kind = 'host';
        endpoint.workload = 'host';
        endpoint.workloadKind = 'Node';
      } else {
        endpoint.kind = 'pod';
      }
      return {
        netns: group.inode,
        podUid: pod.podUid,
        pod: endpoint,
        addresses: [...this.addressesHex].map(addressFromHex),
        states: this.states(),
        listening,
        tcp,
      };
    }
    return undefined;
  }

  /** Tallies the four socket tables into `tally`, `listeningByInode` and `addressesHex`. */
  private readTables(base: string): 'read' | 'gone' {
    this.tally.reset();
    this.listeningByInode = new Map();
    this.addressesHex = new Set();
    const stats = this.readSockstat(base);
    let first = true;
    for (const { file, protocol, empty } of TABLES) {
      if (stats !== undefined && empty(stats, this.tally)) continue;
      const path = `${base}/${file}`;
      const text = this.read(path);
      const wasFirst = first;
      first = false;
      if (text === undefined) {
        // The first table missing tells a vanished process; a later one, a kernel without IPv6.
        if (wasFirst && !this.lastReadRejected) return 'gone';
        continue;
      }
      this.protocol = protocol;
      this.protocolIndex = protocol === 'tcp' ? 0 : 1;
      try {
        parseSocketTable(text, this.onEntry, (error, line) => this.options.onRejected(error, path, line));
      } catch (error) {
        if (!(error instanceof DecodeError)) throw error;
        this.options.onRejected(error, path, 1);
      }
    }
    return 'read';
  }

  /** Both sockstat files merged; undefined when they cannot be read or parsed (then every table is read). */
  private readSockstat(base: string): CounterSections | undefined {
    const path = `${base}/sockstat`;
    const text = this.read(path);
    // Missing (a copied proc tree, or the process ended): every table is read, and the first tells a vanished process.
    if (text === undefined) return undefined;
    const text6 = this.read(`${base}/sockstat6`);
    try {
      const stats = parseSockstat(text);
      // No sockstat6: a kernel without IPv6, whose IPv6 tables are absent too.
      if (text6 !== undefined) for (const [section, values] of parseSockstat(text6)) stats.set(section, values);
      return stats;
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      this.options.onRejected(error, path, 0);
      return undefined;
    }
  }

  private count(entry: SocketEntry): void {
    const { state } = entry;
    const tcp = this.protocolIndex === 0;
    if (!tcp && state !== UDP_CONNECTED && state !== UDP_UNCONNECTED) return;
    const index = this.protocolIndex * TCP_STATES.length + state;
    this.tally.counts[index]!++;
    // A listening TCP socket's queues count connections, not bytes (see SocketEntry); a SYN_SENT socket's send
    // queue is its SYN's sequence number, not data.
    if (!(tcp && (state === TCP_LISTEN || state === TCP_SYN_SENT))) {
      this.tally.sendQueue[index]! += entry.txQueue;
      this.tally.receiveQueue[index]! += entry.rxQueue;
    }
    const listening = tcp
      ? state === TCP_LISTEN
      : state === UDP_UNCONNECTED && entry.remoteIsAny && entry.localPort !== 0;
    if (listening) this.listeningByInode.set(entry.inode, { protocol: this.protocol, port: entry.localPort });
    if (!this.addressesHex.has(entry.localAddressHex) && !isLocalOnlyAddressHex(entry.localAddressHex)) {
      this.addressesHex.add(entry.localAddressHex);
    }
  }

  private states(): SocketStateCount[] {
    const states: SocketStateCount[] = [];
    const { counts, sendQueue, receiveQueue } = this.tally;
    for (let index = 0; index < counts.length; index++) {
      const count = counts[index]!;
      if (count === 0) continue;
      const tcp = index < TCP_STATES.length;
      const state = index % TCP_STATES.length;
      states.push({
        protocol: tcp ? 'tcp' : 'udp',
        state: tcp ? TCP_STATES[state]! : state === UDP_CONNECTED ? 'connected' : 'unconnected',
        count,
        sendQueueBytes: sendQueue[index]!,
        receiveQueueBytes: receiveQueue[index]!,
      });
    }
    return states;
  }

  private readCounters(base: string): TcpNamespaceCounters | undefined | 'gone' {
    const snmpPath = `${base}/snmp`;
    const netstatPath = `${base}/netstat`;
    const snmp = this.read(snmpPath);
    if (snmp === undefined) return this.lastReadRejected ? undefined : 'gone';
    const netstat = this.read(netstatPath);
    if (netstat === undefined) return this.lastReadRejected ? undefined : 'gone';
    let path = snmpPath;
    try {
      const tcp = parseCounterPairs(snmp, SNMP_SECTIONS);
      const retransmittedSegments = counter(tcp, 'Tcp', 'RetransSegs', snmpPath);
      const resetsSent = counter(tcp, 'Tcp', 'OutRsts', snmpPath);
      const establishedResets = counter(tcp, 'Tcp', 'EstabResets', snmpPath);
      path = netstatPath;
      const extended = parseCounterPairs(netstat, NETSTAT_SECTIONS);
      return {
        retransmittedSegments,
        resetsSent,
        establishedResets,
        listenOverflows: counter(extended, 'TcpExt', 'ListenOverflows', netstatPath),
        listenDrops: counter(extended, 'TcpExt', 'ListenDrops', netstatPath),
      };
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      this.options.onRejected(error, path, 0);
      return undefined;
    }
  }

  /**
   * The namespace's listening sockets by process. Only namespaces with listening sockets walk their
   * processes' descriptors, and the walk stops once every listening socket has its process.
   */
  private listeningPorts(pids: readonly number[]): ListeningPort[] {
    const unresolved = this.listeningByInode;
    if (unresolved.size === 0) return [];
    const byKey = new Map<string, ListeningPort>();
    const note = (holder: string, socket: ListeningSocket): void => {
      const key = `${holder}\0${socket.protocol}\0${socket.port}`;
      const port = byKey.get(key);
      if (port === undefined)
        byKey.set(key, { process: holder, protocol: socket.protocol, port: socket.port, count: 1 });
      else port.count++;
    };
    for (const pid of pids) {
      if (unresolved.size === 0) break;
      const fdDirectory = `${this.procRoot}/${pid}/fd`;
      let descriptors: string[];
      try {
        descriptors = readdirSync(fdDirectory);
      } catch (error) {
        if (isGone(error) || isDenied(error)) continue;
        throw error;
      }
      let holder: string | undefined;
      for (const descriptor of descriptors) {
        let link: string;
        try {
          link = readlinkSync(`${fdDirectory}/${descriptor}`);
        } catch (error) {
          if (isGone(error) || isDenied(error)) continue;
          throw error;
        }
        // `socket:[12345]`; other descriptors (files, pipes, anon inodes) are not ours.
        if (link.charCodeAt(0) !== 0x73 || !link.startsWith('socket:[')) continue;
        const inode = Number(link.slice(8, -1));
        const socket = unresolved.get(inode);
        if (socket === undefined) continue;
        holder ??= this.processName(pid);
        note(holder, socket);
        unresolved.delete(inode);
      }
    }
    // Held by no process we could see (it ended, or hides its descriptors from us).
    for (const socket of unresolved.values()) note('unknown', socket);
    return [...byKey.values()];
  }

  private processName(pid: number): string {
    const text = this.read(`${this.procRoot}/${pid}/comm`);
    const name = text?.replace(/\n$/, '') ?? '';
    // The kernel keeps comm under 16 bytes; anything else is not a comm file and would be an unbounded label.
    return name === '' || name.length > 64 ? 'unknown' : name;
  }

  /**
   * A whole file, or undefined if it is gone (or not ours to read). Procfs files report no size, so the file is
   * read in chunks into one reused buffer; past maxFileBytes it is rejected as oversized.
   */
  private read(path: string): string | undefined {
    this.lastReadRejected = false;
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (error) {
      if (isGone(error) || isDenied(error)) return undefined;
      throw error;
    }
    try {
      let length = 0;
      for (;;) {
        // Stops reading once past the limit: a runaway table is not buffered whole.
        if (length > this.maxFileBytes) return this.oversized(path);
        if (length === this.buffer.length) {
          const grown = Buffer.allocUnsafe(Math.min(this.buffer.length * 2, this.maxFileBytes + 1));
          this.buffer.copy(grown, 0, 0, length);
          this.buffer = grown;
        }
        const bytes = readSync(fd, this.buffer, length, this.buffer.length - length, null);
        if (bytes === 0) break;
        length += bytes;
      }
      if (length > this.maxFileBytes) return this.oversized(path);
      return this.buffer.toString('latin1', 0, length);
    } catch (error) {
      if (isGone(error) || isDenied(error)) return undefined;
      throw error;
    } finally {
      closeSync(fd);
    }
  }

  private oversized(path: string): undefined {
    this.options.onRejected(
      new DecodeError('oversized', `the file is larger than ${this.maxFileBytes} bytes`),
      path,
      0,
    );
    this.lastReadRejected = true;
    return undefined;
  }
}
