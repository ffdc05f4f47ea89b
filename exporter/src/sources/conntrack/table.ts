/**
 * The poller's memory of the conntrack table: the connections seen at the last polls and their counters, so a
 * poll turns into flow records for what changed since the one before:
 * - a connection seen for the first time: one flow (`flows` 1, `flowsStarted` 1), with the bytes and packets it
 *   carried so far. The connections of the first poll are a baseline when `countExisting` is off (serve): they
 *   started before the exporter looked, and a restarted exporter would count their past again; only what they
 *   carry from then on counts. With it on (replay of a snapshot, which is all there is) they count as flows with
 *   everything they carried, not as started;
 * - a connection seen again: its byte and packet deltas, when there are any;
 * - a connection gone from the table for two polls in a row: `flowsCompleted` 1 (bytes it carried after it was
 *   last seen are not counted). Two, because the kernel's walk of a changing table can skip an entry: ending it
 *   at once would count its bytes again as a new connection when the next poll sees it;
 * - counters that went backwards: the kernel freed the entry and a new connection reuses the tuple, so the old one
 *   completes and the new one starts.
 *
 * Bounded: at most `maxConnections` are remembered (a node can hold a million entries); entries past that are
 * not counted at all and reported as untracked, since counting them without a memory would count their bytes again
 * at every poll. The per-poll cost is one map lookup per entry plus one pass over the table for the ended ones.
 */
import { emptyEndpoint, UNKNOWN_POLICY, type FlowRecord, type Reporter } from '../../model/flow';
import { cidrContains, parseIp, type Cidr } from '../../policy/kubernetes/cidr';
import type { ConntrackEntry } from './grammar';

interface TrackedConnection {
  readonly source: string;
  /** The real destination: the reply's source, the pod behind a DNATed service IP. */
  readonly destination: string;
  /** The address the source dialled when it differs from the real destination (a service IP); else empty. */
  readonly dialled: string;
  readonly destPort: number | undefined;
  readonly protocol: string;
  packetsForward: number;
  bytesForward: number;
  packetsReverse: number;
  bytesReverse: number;
  /** The ends that report it (see reportersOf); shared arrays. */
  readonly reporters: readonly Reporter[];
  /** The poll that last saw the connection. */
  seenAt: number;
  /** Polls in a row that did not see it. */
  missed: number;
}

export interface PollSummary {
  /** Entries read in this poll (rejected lines not included). */
  entries: number;
  /** Connections remembered after the poll. */
  tracked: number;
  /** Entries of this poll that were not counted because the table was full. */
  untracked: number;
  started: number;
  completed: number;
  /** Whether the entries carried counters: true, false, or undefined when the poll saw no entry. */
  accounting: boolean | undefined;
}

export interface ConnectionTableOptions {
  maxConnections: number;
  reporter: Reporter;
  /** The node label of the records (the exporter's node); may be empty. */
  node: string;
  /**
   * The node's pod CIDRs: a connection reports from each end inside them (`src`, `dst`, or both); one with neither
   * end inside (or when the list is empty) reports as `reporter`.
   */
  localCidrs: readonly Cidr[];
  /** Whether the first poll's connections count as flows with their bytes so far, or only as a baseline. */
  countExisting: boolean;
}

/** Polls a connection must be missing from before it counts as ended (see the file comment). */
export const MISSED_POLLS_TO_END = 2;

/** Bounded memo of IP address texts, so the table keeps one copy of each address rather than one per connection. */
const MAX_INTERNED_ADDRESSES = 65_536;

const SOURCE_END: readonly Reporter[] = Object.freeze(['src']);
const DESTINATION_END: readonly Reporter[] = Object.freeze(['dst']);
const BOTH_ENDS: readonly Reporter[] = Object.freeze(['src', 'dst']);
const ZERO_COUNTERS: Readonly<Counters> = Object.freeze({
  packetsForward: 0,
  bytesForward: 0,
  packetsReverse: 0,
  bytesReverse: 0,
});

export class ConnectionTable {
  private readonly defaultReporters: readonly Reporter[];
  private readonly connections = new Map<string, TrackedConnection>();
  private readonly addresses = new Map<string, string>();
  private poll = 0;
  private pollStart = 0;
  private pollTime = 0;
  private previousPollTime: number | undefined;
  private current: PollSummary = emptySummary();

  constructor(private readonly options: ConnectionTableOptions) {
    this.defaultReporters = options.reporter === 'src' ? SOURCE_END : DESTINATION_END;
  }

  get size(): number {
    return this.connections.size;
  }

  /** Starts a poll at `nowSeconds`; call `observe` for every entry, then `finishPoll`. */
  beginPoll(nowSeconds: number): void {
    this.poll++;
    this.pollTime = nowSeconds;
    this.pollStart = this.previousPollTime ?? nowSeconds;
    this.current = emptySummary();
  }

  observe(entry: ConntrackEntry, emit: (record: FlowRecord) => void): void {
    const summary = this.current;
    summary.entries++;
    summary.accounting = (summary.accounting ?? true) && entry.accounting;
    const key = connectionKey(entry);
    const known = this.connections.get(key);
    if (known !== undefined && known.seenAt === this.poll) return; // the same entry twice in one read
    const counters = countersOf(entry);
    if (known !== undefined) {
      known.seenAt = this.poll;
      known.missed = 0;
      if (
        counters.packetsForward < known.packetsForward ||
        counters.bytesForward < known.bytesForward ||
        counters.packetsReverse < known.packetsReverse ||
        counters.bytesReverse < known.bytesReverse
      ) {
        // A new connection on a reused tuple: the old one ended between two polls.
        this.emitRecords(known, 0, 0, 1, ZERO_COUNTERS, emit);
        summary.completed++;
        this.connections.delete(key);
      } else {
        const delta: Counters = {
          packetsForward: counters.packetsForward - known.packetsForward,
          bytesForward: counters.bytesForward - known.bytesForward,
          packetsReverse: counters.packetsReverse - known.packetsReverse,
          bytesReverse: counters.bytesReverse - known.bytesReverse,
        };
        Object.assign(known, counters);
        if (delta.packetsForward + delta.packetsReverse + delta.bytesForward + delta.bytesReverse > 0) {
          this.emitRecords(known, 0, 0, 0, delta, emit);
        }
        return;
      }
    }
    if (this.connections.size >= this.options.maxConnections) {
      summary.untracked++;
      return;
    }
    const connection = this.track(entry, counters);
    // A copy: the key is built from slices of the line, and would keep the whole line alive with it.
    this.connections.set(detachedCopy(key), connection);
    const firstPoll = this.previousPollTime === undefined;
    if (firstPoll && !this.options.countExisting) return;
    const started = firstPoll ? 0 : 1;
    summary.started += started;
    this.emitRecords(connection, 1, started, 0, counters, emit);
  }

  /** Ends the poll: connections missing from it and from the one before have ended. */
  finishPoll(emit: (record: FlowRecord) => void): PollSummary {
    for (const [key, connection] of this.connections) {
      if (connection.seenAt === this.poll) continue;
      connection.missed++;
      if (connection.missed < MISSED_POLLS_TO_END) continue;
      this.connections.delete(key);
      this.emitRecords(connection, 0, 0, 1, ZERO_COUNTERS, emit);
      this.current.completed++;
    }
    this.previousPollTime = this.pollTime;
    this.current.tracked = this.connections.size;
    return this.current;
  }

  private track(entry: ConntrackEntry, counters: Counters): TrackedConnection {
    const source = this.intern(entry.original.src);
    const destination = this.intern(entry.reply.src);
    return {
      source,
      destination,
      reporters: this.reportersOf(source, destination),
      dialled: entry.original.dst === entry.reply.src ? '' : this.intern(entry.original.dst),
      // The reply's source port is the port the real destination listens on, after any DNAT.
      destPort: entry.reply.sport,
      protocol: entry.protocolName === 'unknown' ? String(entry.protocolNumber) : entry.protocolName,
      ...counters,
      seenAt: this.poll,
      missed: 0,
    };
  }

  /**
   * Which ends report the connection: those in the node's local CIDRs (both, for two pods of this node, as Calico
   * reports a flow once per local end), else the configured reporter.
   */
  private reportersOf(source: string, destination: string): readonly Reporter[] {
    const cidrs = this.options.localCidrs;
    if (cidrs.length === 0) return this.defaultReporters;
    const isLocal = (address: string): boolean => {
      const ip = parseIp(address);
      return ip !== undefined && cidrs.some((cidr) => cidrContains(cidr, ip));
    };
    const sourceLocal = isLocal(source);
    const destinationLocal = isLocal(destination);
    if (sourceLocal && destinationLocal) return BOTH_ENDS;
    if (sourceLocal) return SOURCE_END;
    if (destinationLocal) return DESTINATION_END;
    return this.defaultReporters;
  }

  /** One record per reporting end; each its own object, since later stages fill in endpoints and verdicts. */
  private emitRecords(
    connection: TrackedConnection,
    flows: number,
    started: number,
    completed: number,
    counters: Counters,
    emit: (record: FlowRecord) => void,
  ): void {
    for (const reporter of connection.reporters) {
      const record = this.record(connection, reporter, flows, started, completed);
      Object.assign(record, counters);
      emit(record);
    }
  }

  private record(
    connection: TrackedConnection,
    reporter: Reporter,
    flows: number,
    started: number,
    completed: number,
  ): FlowRecord {
    const source = emptyEndpoint();
    source.ip = connection.source;
    const destination = emptyEndpoint();
    destination.ip = connection.destination;
    return {
      startTime: this.pollStart,
      endTime: this.pollTime,
      node: this.options.node,
      source,
      destination,
      ...(connection.dialled === '' ? {} : { dialledIp: connection.dialled }),
      destPort: connection.destPort,
      protocol: connection.protocol,
      // The kernel confirms an entry only once its first packet passed every netfilter hook of this node.
      action: 'allow',
      reporter,
      enforcedPolicies: [],
      pendingPolicies: [],
      verdict: UNKNOWN_POLICY,
      bytesForward: 0,
      bytesReverse: 0,
      packetsForward: 0,
      packetsReverse: 0,
      flows,
      flowsStarted: started,
      flowsCompleted: completed,
      tcp: undefined,
    };
  }

  /**
   * One copy per address: tokens of a split line can be slices that keep the whole line alive, and a node's
   * connections share few addresses.
   */
  private intern(address: string): string {
    let copy = this.addresses.get(address);
    if (copy === undefined) {
      if (this.addresses.size >= MAX_INTERNED_ADDRESSES) this.addresses.clear();
      copy = detachedCopy(address);
      this.addresses.set(copy, copy);
    }
    return copy;
  }
}

interface Counters {
  packetsForward: number;
  bytesForward: number;
  packetsReverse: number;
  bytesReverse: number;
}

function countersOf(entry: ConntrackEntry): Counters {
  return {
    packetsForward: entry.original.packets ?? 0,
    bytesForward: entry.original.bytes ?? 0,
    packetsReverse: entry.reply.packets ?? 0,
    bytesReverse: entry.reply.bytes ?? 0,
  };
}

/**
 * A flat copy of an ASCII text that shares no memory with the string it came from: V8 makes substrings and
 * concatenations views of their parents, so a kept token would keep its whole line.
 */
function detachedCopy(text: string): string {
  return Buffer.from(text, 'latin1').toString('latin1');
}

/**
 * A connection's identity: zone and original tuple (the reply tuple follows from it), plus the kernel's id when the
 * tool gives one, which tells a reused tuple from the same connection even when counters cannot.
 */
export function connectionKey(entry: ConntrackEntry): string {
  const { original } = entry;
  return `${entry.zone} ${entry.protocolNumber} ${original.src} ${original.dst} ${original.sport ?? ''} ${original.dport ?? ''} ${original.icmpId ?? ''} ${entry.id ?? ''}`;
}

function emptySummary(): PollSummary {
  return { entries: 0, tracked: 0, untracked: 0, started: 0, completed: 0, accounting: undefined };
}
