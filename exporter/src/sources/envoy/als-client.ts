/**
 * A small Access Log Service client over the same accesslog.proto, for tests and for trying a server by hand:
 * it speaks to the server as Envoy does (one client stream, the identifier on the first message only).
 */
import { Client, credentials, type ClientWritableStream, type ServiceError } from '@grpc/grpc-js';
import { alsServiceDefinition } from './als-proto';
import type { HTTPAccessLogEntry, StreamAccessLogsMessage } from './als';

export interface AlsStream {
  /** Sends one message (a batch of entries); resolves when it has been handed to the transport. */
  send(message: StreamAccessLogsMessage): Promise<void>;
  /** Ends the stream as Envoy does when it closes; resolves with the server's answer (an empty response). */
  end(): Promise<void>;
  /** Cancels the stream, as a proxy that goes away does. */
  cancel(): void;
}

export class AlsClient {
  private readonly client: Client;

  /** `address` is `host:port`. */
  constructor(address: string) {
    this.client = new Client(address, credentials.createInsecure());
  }

  open(): AlsStream {
    const method = alsServiceDefinition().StreamAccessLogs;
    let settle: { resolve: () => void; reject: (error: Error) => void } | undefined;
    let outcome: ServiceError | 'ok' | undefined;
    const call: ClientWritableStream<object> = this.client.makeClientStreamRequest<object, object>(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      (error: ServiceError | null) => {
        outcome = error ?? 'ok';
        if (settle !== undefined) {
          if (outcome === 'ok') settle.resolve();
          else settle.reject(outcome);
        }
      },
    );
    // A failed call reports through the callback; the stream's own error event must not go unhandled.
    call.on('error', () => undefined);
    return {
      send: (message) =>
        new Promise<void>((resolveSend, rejectSend) => {
          call.write(message, (error: Error | null | undefined) => (error ? rejectSend(error) : resolveSend()));
        }),
      end: () =>
        new Promise<void>((resolveEnd, rejectEnd) => {
          if (outcome !== undefined) {
            if (outcome === 'ok') resolveEnd();
            else rejectEnd(outcome);
            return;
          }
          settle = { resolve: resolveEnd, reject: rejectEnd };
          call.end();
        }),
      cancel: () => call.cancel(),
    };
  }

  close(): void {
    this.client.close();
  }
}

/** A StreamAccessLogsMessage of HTTP entries, with the identifier when it is a stream's first message. */
export function httpLogsMessage(
  entries: HTTPAccessLogEntry[],
  identifier?: { nodeId: string; logName: string },
): StreamAccessLogsMessage {
  return {
    ...(identifier === undefined
      ? {}
      : { identifier: { node: { id: identifier.nodeId }, logName: identifier.logName } }),
    httpLogs: { logEntry: entries },
  };
}
