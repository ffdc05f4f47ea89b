/**
 * A socket scan: what the `sockets` source reads from a node's /proc (and the demo cluster makes up), one
 * summary per pod network namespace. Scans are snapshots, not events: each replaces the last one of its source
 * for the gauges, and the TCP counters of each network namespace are counted from their change since the last scan.
 */
import type { Endpoint } from './flow';

/** `tcp` or `udp`; IPv4 and IPv6 tables are counted together, as flows do. */
export type SocketProtocol = 'tcp' | 'udp';

/** Sockets of one protocol in one state, with their queued bytes (zero for listening and SYN_SENT sockets, see scanner.ts). */
export interface SocketStateCount {
  protocol: SocketProtocol;
  /** TCP states in lower case (`established`, `time_wait`, `listen`, ...); UDP: `connected` or `unconnected`. */
  state: string;
  count: number;
  sendQueueBytes: number;
  receiveQueueBytes: number;
}

/** Listening sockets (TCP LISTEN, bound unconnected UDP) of one process on one port. */
export interface ListeningPort {
  /** The process name (`/proc/<pid>/comm`); `unknown` when no process of the namespace holds the socket. */
  process: string;
  protocol: SocketProtocol;
  port: number;
  count: number;
}

/** The network namespace's TCP counters since it was created (/proc/net/snmp and /proc/net/netstat). */
export interface TcpNamespaceCounters {
  retransmittedSegments: number;
  /** Segments sent with RST (Tcp OutRsts). */
  resetsSent: number;
  /** Connections reset from ESTABLISHED or CLOSE_WAIT (Tcp EstabResets). */
  establishedResets: number;
  /** Times a listen queue was full (TcpExt ListenOverflows). */
  listenOverflows: number;
  /** SYNs dropped at a listener for any reason, overflows included (TcpExt ListenDrops). */
  listenDrops: number;
}

export interface PodSockets {
  /** The inode of the network namespace: tells a namespace from its successor across scans. */
  netns: number;
  /** The pod's uid from its cgroup; empty when the source named the pod otherwise (the demo). */
  podUid: string;
  /** The pod as far as the source knows it (kind `pod`); the enrich stage fills namespace, name and workload. */
  pod: Endpoint;
  /** Local non-loopback addresses of the namespace's sockets: the pod's IPs, for views that know pods by IP only. */
  addresses: string[];
  states: SocketStateCount[];
  listening: ListeningPort[];
  /** Undefined when the namespace's counters could not be read. */
  tcp: TcpNamespaceCounters | undefined;
}

export interface SocketScan {
  /** Unix seconds at which the scan was taken. */
  at: number;
  pods: PodSockets[];
  /** How long reading the scan took (wall clock), when it was read from a system; see docs/sockets.md, Cost. */
  durationSeconds?: number;
}

/**
 * One sample of a scan as the socket families read it: a pod's sockets in one state, a listening port of a
 * process, or the change of a pod's TCP counters since the last scan. The aggregator fills one and reuses it.
 */
export interface SocketSample {
  what: 'state' | 'listening' | 'tcp';
  namespace: string;
  workload: string;
  pod: string;
  protocol: string;
  state: string;
  process: string;
  port: string;
  count: number;
  sendQueueBytes: number;
  receiveQueueBytes: number;
  /** Changes since the last scan of the pod's network namespace (see SocketAggregator). */
  tcp: TcpNamespaceCounters;
}

export function emptySocketSample(): SocketSample {
  return {
    what: 'state',
    namespace: '',
    workload: '',
    pod: '',
    protocol: '',
    state: '',
    process: '',
    port: '',
    count: 0,
    sendQueueBytes: 0,
    receiveQueueBytes: 0,
    tcp: { retransmittedSegments: 0, resetsSent: 0, establishedResets: 0, listenOverflows: 0, listenDrops: 0 },
  };
}
