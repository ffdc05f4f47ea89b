/**
 * `audit`: the Kubernetes API server's audit log backend (`--audit-log-path`), one audit.k8s.io/v1 Event per JSON
 * line. One AuditDecoder per file, so a long-running request counted at ResponseStarted is not counted again at its
 * ResponseComplete; RequestReceived events and such final stages are skipped by reason.
 */
import type { LineDecoder, LineSourceKind, RecordSink } from '../types';
import { AuditDecoder } from './decode';

class AuditLineDecoder implements LineDecoder {
  private readonly decoder = new AuditDecoder();

  decode(line: string, sink: RecordSink): void {
    this.decoder.decodeLine(line, sink);
  }
}

export const auditSource: LineSourceKind = {
  kind: 'audit',
  description: 'Kubernetes API server audit log (log backend), one audit.k8s.io/v1 Event per JSON line',
  input: 'lines',
  createDecoder: () => new AuditLineDecoder(),
};
