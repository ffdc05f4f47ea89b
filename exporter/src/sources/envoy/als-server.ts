/**
 * `envoy-als:HOST:PORT`: an Envoy gRPC Access Log Service server (envoy.service.accesslog.v3.AccessLogService/
 * StreamAccessLogs) that Envoy sidecars and gateways stream their access logs to. Each stream is a client stream
 * of StreamAccessLogsMessage; Envoy never waits for the response, so a stream stays open as long as the proxy
 * wants it and is answered (empty, OK) only when the proxy ends it. Every HTTP entry goes through
 * decodeHttpAccessLogEntry into the pipeline; a bad entry is counted by reason and the stream goes on.
 *
 * Insecure (plaintext) only: TLS and mTLS are future work. Messages over MAX_MESSAGE_BYTES are refused by gRPC
 * (RESOURCE_EXHAUSTED), which ends that stream; Envoy opens a new one.
 */
import {
  Server,
  ServerCredentials,
  type sendUnaryData,
  type ServerReadableStream,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { DecodeError, type GeneratorContext, type GeneratorSourceKind, type RunningSource } from '../types';
import { decodeHttpAccessLogEntry, httpEntriesOf } from './als';
import { alsServiceDefinition } from './als-proto';
import { isSkip } from './model';
import { httpSkipReason } from './sources';

export const ALS_SOURCE_KIND = 'envoy-als';
/** gRPC's own default, stated so that it is a decision: a batch of entries larger than this is refused. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

const USAGE = 'use envoy-als:HOST:PORT, e.g. envoy-als:0.0.0.0:9471, envoy-als:127.0.0.1:9471 or envoy-als:[::]:9471';

export interface AlsListenAddress {
  host: string;
  port: number;
}

/** Parses the text after `envoy-als:`; the error says how to write it. */
export function parseAlsArgument(argument: string): AlsListenAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(argument.trim());
  const port = match ? Number(match[3]) : Number.NaN;
  if (!match || port > 65535) {
    throw new Error(`${ALS_SOURCE_KIND} source: "${argument}" is not a listen address; ${USAGE}`);
  }
  return { host: match[1] ?? match[2] ?? '', port };
}

/** `host:port` as gRPC wants it, with brackets around an IPv6 host. */
function grpcAddress({ host, port }: AlsListenAddress): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

interface StreamState {
  readonly id: number;
  readonly peer: string;
  nodeId: string;
  logName: string;
  messages: number;
  entries: number;
}

export class AlsServer implements RunningSource {
  private server: Server | undefined;
  private boundPort: number | undefined;
  private nextStreamId = 1;
  private readonly open = new Set<StreamState>();

  constructor(
    private readonly address: AlsListenAddress,
    private readonly context: GeneratorContext,
    private readonly sourceLabel = ALS_SOURCE_KIND,
  ) {}

  /** The port listened on (the real one when the argument said port 0); undefined before start. */
  get port(): number | undefined {
    return this.boundPort;
  }

  /** Streams currently open. */
  get openStreams(): number {
    return this.open.size;
  }

  async start(): Promise<void> {
    if (this.server !== undefined) throw new Error(`${ALS_SOURCE_KIND} source: already started`);
    const service = alsServiceDefinition();
    const server = new Server({
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    });
    const implementation: UntypedServiceImplementation = {
      StreamAccessLogs: (call: ServerReadableStream<unknown, object>, respond: sendUnaryData<object>) =>
        this.handleStream(call, respond),
    };
    server.addService(service, implementation);
    this.server = server;
    const address = grpcAddress(this.address);
    this.boundPort = await new Promise<number>((resolveBind, rejectBind) => {
      server.bindAsync(address, ServerCredentials.createInsecure(), (error, port) => {
        if (error === null) resolveBind(port);
        else rejectBind(new Error(`${ALS_SOURCE_KIND} source: cannot listen on ${address}: ${error.message}`));
      });
    }).catch((error: unknown) => {
      this.server = undefined;
      server.forceShutdown();
      throw error;
    });
    this.context.logger.log('info', 'envoy ALS server listening', {
      source: this.sourceLabel,
      listen: grpcAddress({ host: this.address.host, port: this.boundPort }),
      tls: false,
    });
  }

  /**
   * Stops at once: open streams are cancelled (Envoy's are lossy by design and it reconnects to whoever listens
   * next). Every message received has already been processed, so nothing received is lost.
   */
  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    server.forceShutdown();
    this.open.clear();
  }

  private handleStream(call: ServerReadableStream<unknown, object>, respond: sendUnaryData<object>): void {
    const stream: StreamState = {
      id: this.nextStreamId++,
      peer: call.getPeer(),
      nodeId: '',
      logName: '',
      messages: 0,
      entries: 0,
    };
    this.open.add(stream);
    let finished = false;
    const finish = (how: string, fields: Record<string, string> = {}): void => {
      if (finished) return;
      finished = true;
      this.open.delete(stream);
      this.context.logger.log('debug', `envoy ALS stream ${how}`, { ...this.describe(stream), ...fields });
    };
    call.on('data', (message: unknown) => this.handleMessage(stream, message));
    call.on('end', () => {
      finish('ended');
      // Envoy does not wait for it; a client that does gets an empty response and OK.
      respond(null, {});
    });
    call.on('error', (error: Error) => finish('failed', { error: error.message }));
    call.on('cancelled', () => finish('cancelled'));
  }

  private handleMessage(stream: StreamState, message: unknown): void {
    stream.messages++;
    if (stream.messages === 1) {
      this.readIdentifier(stream, message);
      this.context.logger.log('info', 'envoy ALS stream opened', this.describe(stream));
    }
    const where = `envoy ALS stream ${stream.id} (node "${stream.nodeId}", log "${stream.logName}")`;
    let entries: unknown[];
    try {
      entries = httpEntriesOf(message);
    } catch (error) {
      this.context.rejected(asDecodeError(error), where, stream.entries + 1);
      return;
    }
    for (const entry of entries) {
      stream.entries++;
      try {
        const result = decodeHttpAccessLogEntry(entry);
        if (isSkip(result)) this.context.sink.skipped(httpSkipReason(result.skip));
        else this.context.sink.http(result);
      } catch (error) {
        this.context.rejected(asDecodeError(error), where, stream.entries);
      }
    }
  }

  /** The identifier comes on a stream's first message only; it names the proxy for the stream's logs. */
  private readIdentifier(stream: StreamState, message: unknown): void {
    const identifier = field(message, 'identifier');
    const nodeId = field(field(identifier, 'node'), 'id');
    const logName = field(identifier, 'logName');
    if (typeof nodeId === 'string') stream.nodeId = nodeId;
    if (typeof logName === 'string') stream.logName = logName;
  }

  private describe(stream: StreamState): Record<string, string | number> {
    return {
      source: this.sourceLabel,
      stream: stream.id,
      peer: stream.peer,
      node: stream.nodeId,
      log_name: stream.logName,
      messages: stream.messages,
      entries: stream.entries,
    };
  }
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

/** A decoder that throws anything but a DecodeError has a bug; the entry is still only lost, never the stream. */
function asDecodeError(error: unknown): DecodeError {
  return error instanceof DecodeError ? error : new DecodeError('malformed', `decoder failed: ${String(error)}`);
}

export function createAlsSource(argument: string, context: GeneratorContext, sourceLabel?: string): AlsServer {
  const address = parseAlsArgument(argument);
  if (context.mode === 'replay') {
    throw new Error(
      `${ALS_SOURCE_KIND} source: replay has nothing to read from a gRPC server Envoy streams to; use it with serve, or replay an access log file with --source envoy:PATH`,
    );
  }
  return new AlsServer(address, context, sourceLabel);
}

export const envoyAlsSource: GeneratorSourceKind = {
  kind: ALS_SOURCE_KIND,
  description: "Envoy's gRPC Access Log Service: a server (HOST:PORT) that Envoy streams HTTP access log entries to",
  input: 'generator',
  create: (argument, context) => createAlsSource(argument, context),
};
