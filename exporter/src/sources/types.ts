/**
 * The small interface every source implements. A source turns its input (lines of a file, or a generator)
 * into records and hands them to a sink; it knows nothing about Prometheus. The pipeline registers sources
 * by kind, counts their records and errors, and owns everything downstream.
 */
import type { FlowRecord } from '../model/flow';
import type { DnsRecord } from '../model/dns';
import type { HttpRecord } from '../model/http';
import type { AuditRecord } from './audit/model';
import type { SocketScan } from '../model/sockets';
import type { Logger } from '../log';

/** Why an input line was rejected; the `reason` label of `flowlens_ingest_errors_total`. */
export type IngestErrorReason =
  | 'malformed' // not valid JSON / does not match the format's grammar
  | 'truncated' // JSON that ends early, or a last line cut off before its newline
  | 'oversized' // a line longer than the limit (1 MiB by default)
  | 'wrong_type' // a field of the wrong type or out of range (e.g. a counter that is a string or negative)
  | 'missing_field'; // a required field is absent

export const INGEST_ERROR_REASONS: readonly IngestErrorReason[] = [
  'malformed',
  'truncated',
  'oversized',
  'wrong_type',
  'missing_field',
];

/** A rejected line. Thrown by decoders; the pipeline counts it by reason and logs it with file and line. */
export class DecodeError extends Error {
  constructor(
    readonly reason: IngestErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'DecodeError';
  }
}

/** Where decoded records go. Each record kind (flows, DNS, HTTP, audit) is a method. */
export interface RecordSink {
  flow(record: FlowRecord): void;
  /** One or more DNS queries of a client for a name. */
  dns(record: DnsRecord): void;
  /** One or more HTTP requests of a client to a server (an access log entry, an aggregated Calico L7 line). */
  http(record: HttpRecord): void;
  /** One Kubernetes API request, counted once (see sources/audit/decode.ts). */
  audit(record: AuditRecord): void;
  /** A snapshot of the node's pod sockets (see model/sockets.ts): it replaces the source's previous one. */
  sockets(scan: SocketScan): void;
  /** An input line that was valid but is not a record of interest (a reply, a lost-events notice, ...). */
  skipped(reason: string): void;
}

/** Turns one line (without its newline) into zero or more records. Throws DecodeError on bad input. */
export interface LineDecoder {
  decode(line: string, sink: RecordSink): void;
}

/** A source kind reading line-oriented files: the pipeline tails the file and feeds the decoder. */
export interface LineSourceKind {
  readonly kind: string;
  readonly description: string;
  readonly input: 'lines';
  createDecoder(): LineDecoder;
}

/** A running, self-driven source (the demo cluster, the Envoy ALS server, pollers such as the socket scanner). */
export interface RunningSource {
  /** Starts producing; in `once` mode resolves after the source has produced everything it has. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface GeneratorContext {
  sink: RecordSink;
  /** Feeds a line of a line-oriented format through that format's decoder, as a file source would. */
  feedLine(kind: string, line: string): void;
  /**
   * Counts input rejected outside a line decoder (an entry of a gRPC stream message, say) by reason, and logs it
   * rate-limited; `where` and `position` say where it came from, as a file and line do for a line source.
   */
  rejected(error: DecodeError, where: string, position: number): void;
  /**
   * Publishes a polling source's state as a self-metric labelled with the source (the pipeline knows the family;
   * the source only names the gauge).
   */
  gauge(name: SourceGauge, value: number): void;
  logger: Logger;
  /** `serve` runs until stopped; `replay` produces one batch and ends. */
  mode: 'serve' | 'replay';
}

/** Per-source gauges a generator source may set: the conntrack poller's table and accounting state. */
export type SourceGauge = 'conntrackConnections' | 'conntrackUntracked' | 'conntrackAccounting';

/** A source kind that produces records itself. `argument` is the text after `KIND:` (may be empty). */
export interface GeneratorSourceKind {
  readonly kind: string;
  readonly description: string;
  readonly input: 'generator';
  create(argument: string, context: GeneratorContext): RunningSource;
}

export type SourceKind = LineSourceKind | GeneratorSourceKind;
