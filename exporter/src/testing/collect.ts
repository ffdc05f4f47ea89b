/** Test support: a RecordSink that keeps what it is given, and a decode helper that returns the outcome. */
import { resolve } from 'node:path';
import { DecodeError, type LineDecoder, type RecordSink } from '../sources/types';
import type { FlowRecord } from '../model/flow';
import type { DnsRecord } from '../model/dns';
import type { HttpRecord } from '../model/http';
import type { AuditRecord } from '../sources/audit/model';
import type { SocketScan } from '../model/sockets';

export class CollectingSink implements RecordSink {
  readonly flows: FlowRecord[] = [];
  readonly dnsRecords: DnsRecord[] = [];
  readonly httpRecords: HttpRecord[] = [];
  readonly auditRecords: AuditRecord[] = [];
  readonly socketScans: SocketScan[] = [];
  readonly skips: string[] = [];

  flow(record: FlowRecord): void {
    this.flows.push(record);
  }

  dns(record: DnsRecord): void {
    this.dnsRecords.push(record);
  }

  http(record: HttpRecord): void {
    this.httpRecords.push(record);
  }

  audit(record: AuditRecord): void {
    this.auditRecords.push(record);
  }

  sockets(scan: SocketScan): void {
    this.socketScans.push(scan);
  }

  skipped(reason: string): void {
    this.skips.push(reason);
  }
}

/** Decodes one line; returns the records, the skip reasons, or the DecodeError it raised. */
export function decodeOne(
  decoder: LineDecoder,
  line: string,
): { sink: CollectingSink; error: DecodeError | undefined } {
  const sink = new CollectingSink();
  try {
    decoder.decode(line, sink);
    return { sink, error: undefined };
  } catch (error) {
    if (error instanceof DecodeError) return { sink, error };
    throw error;
  }
}

/** The repository root, from a compiled file under exporter/dist/src/testing. */
export function repoRoot(): string {
  return resolve(__dirname, '../../../..');
}
