/**
 * The L7 line sources over the Envoy decoders: `envoy` (access log files where each line is either Envoy's
 * default text format or Istio's JSON encoding, told apart per line, so a file written across a switch of
 * `accessLogEncoding` reads whole) and `calico-l7` (Calico's aggregated L7 logs). Valid lines that are not
 * HTTP requests (TCP proxy entries) are skipped by a short reason; everything else becomes an HttpRecord.
 */
import type { LineDecoder, LineSourceKind, RecordSink } from '../types';
import { decodeCalicoL7Line } from './calico-l7';
import { TCP_PROXY_SKIP } from './envoy-fields';
import { decodeIstioJsonLine } from './json-format';
import { isSkip, type HttpDecodeResult } from './model';
import { decodeEnvoyTextLine } from './text-format';

/** The `reason` label of `flowlens_ingest_skipped_total` for a decoder's skip message. */
export function httpSkipReason(message: string): string {
  if (message === TCP_PROXY_SKIP || message.startsWith('not an HTTP request: an L7 log of type tcp')) return 'tcp';
  return 'not_http';
}

function deliver(result: HttpDecodeResult, sink: RecordSink): void {
  if (isSkip(result)) sink.skipped(httpSkipReason(result.skip));
  else sink.http(result);
}

/** A JSON object line is Istio's encoding; anything else must be the text format (which starts with `[`). */
export function decodeEnvoyLine(line: string): HttpDecodeResult {
  return line.trimStart().startsWith('{') ? decodeIstioJsonLine(line) : decodeEnvoyTextLine(line);
}

class EnvoyDecoder implements LineDecoder {
  decode(line: string, sink: RecordSink): void {
    deliver(decodeEnvoyLine(line), sink);
  }
}

class CalicoL7Decoder implements LineDecoder {
  decode(line: string, sink: RecordSink): void {
    deliver(decodeCalicoL7Line(line), sink);
  }
}

export const envoySource: LineSourceKind = {
  kind: 'envoy',
  description: "Envoy access logs: the default text format or Istio's JSON encoding, detected per line",
  input: 'lines',
  createDecoder: () => new EnvoyDecoder(),
};

export const calicoL7Source: LineSourceKind = {
  kind: 'calico-l7',
  description: 'Calico L7 (HTTP) logs as JSON lines, each aggregating count requests',
  input: 'lines',
  createDecoder: () => new CalicoL7Decoder(),
};
