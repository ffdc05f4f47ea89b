/**
 * `coredns`: CoreDNS query logs, the `log` plugin's default format (see formats.md):
 *
 *   [INFO] 10.244.0.5:52311 - 4857 "A IN cart.shop.svc.cluster.local. udp 52 false 512" NOERROR qr,aa,rd 106 0.000123s
 *
 * optionally after a timestamp (`kubectl logs --timestamps`). A grammar in two steps: the tokenizer splits a
 * line into its level tag, words and quoted strings; the parser reads a query from the tokens. A line whose
 * first word after the level is not `address:port` followed by `-` is not a query (plugin messages: reload,
 * health, errors) and is skipped as `not_query`; a query line that does not parse is an error by reason.
 *
 * The log is CoreDNS's own, so the server is CoreDNS: the `coredns` Deployment in `kube-system` (kubeadm's
 * and most distributions' name for it).
 */
import { DecodeError, type LineDecoder, type LineSourceKind, type RecordSink } from './types';
import { emptyEndpoint, type Endpoint } from '../model/flow';
import { normalizeQname, normalizeQtype, normalizeRcode, type DnsRecord } from '../model/dns';

export const COREDNS_NAMESPACE = 'kube-system';
export const COREDNS_WORKLOAD = 'coredns';

interface Token {
  text: string;
  quoted: boolean;
}

/** What a line is made of: an optional timestamp, an optional `[LEVEL]` tag, then words and quoted strings. */
interface TokenizedLine {
  timestamp: string;
  tokens: Token[];
  /** A quoted string ran to the end of the line without its closing quote. */
  unterminated: boolean;
}

const LEVEL_TAG = /^\[(?:INFO|ERROR|WARNING|DEBUG|FATAL)\]$/;

export function tokenizeCorednsLine(line: string): TokenizedLine {
  const tokens: Token[] = [];
  let position = 0;
  let unterminated = false;
  while (position < line.length) {
    const character = line[position]!;
    if (character === ' ' || character === '\t') {
      position++;
      continue;
    }
    if (character === '"') {
      const close = line.indexOf('"', position + 1);
      if (close < 0) {
        tokens.push({ text: line.slice(position + 1), quoted: true });
        unterminated = true;
        break;
      }
      tokens.push({ text: line.slice(position + 1, close), quoted: true });
      position = close + 1;
      continue;
    }
    let end = position;
    while (end < line.length && line[end] !== ' ' && line[end] !== '\t') end++;
    tokens.push({ text: line.slice(position, end), quoted: false });
    position = end;
  }
  let timestamp = '';
  const levelIndex = tokens.findIndex((token) => !token.quoted && LEVEL_TAG.test(token.text));
  if (levelIndex === 1 || levelIndex === 0) {
    if (levelIndex === 1) timestamp = tokens[0]!.text;
    tokens.splice(0, levelIndex + 1);
  }
  return { timestamp, tokens, unterminated };
}

/** `10.244.0.5:52311` or `[fd00::5]:52311`: the address, or undefined when the word is not one. */
function remoteAddress(word: string): string | undefined {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|(\d{1,3}(?:\.\d{1,3}){3})):\d{1,5}$/.exec(word);
  return match === null ? undefined : (match[1] ?? match[2]);
}

/** `0.000123s`, `1.5ms`, `250µs`: seconds. */
function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(s|ms|µs|us|ns|m)$/.exec(text);
  if (match === null) return undefined;
  const scale: Record<string, number> = { s: 1, ms: 1e-3, µs: 1e-6, us: 1e-6, ns: 1e-9, m: 60 };
  return Number(match[1]) * scale[match[2]!]!;
}

class CorednsDecoder implements LineDecoder {
  decode(line: string, sink: RecordSink): void {
    const { timestamp, tokens, unterminated } = tokenizeCorednsLine(line);
    const address = tokens[0] !== undefined && !tokens[0].quoted ? remoteAddress(tokens[0].text) : undefined;
    if (address === undefined || tokens[1]?.text !== '-') return sink.skipped('not_query');
    if (unterminated) throw new DecodeError('truncated', 'the quoted question ends early');
    // remote - id "question" rcode rflags rsize duration
    if (tokens.length < 8) throw new DecodeError('truncated', `a query line has 8 parts, this one ${tokens.length}`);
    if (tokens.length > 8) throw new DecodeError('malformed', `a query line has 8 parts, this one ${tokens.length}`);
    const [, , id, question, rcodeToken, , rsize, durationToken] = tokens as [
      Token,
      Token,
      Token,
      Token,
      Token,
      Token,
      Token,
      Token,
    ];
    if (id.quoted || !/^\d+$/.test(id.text))
      throw new DecodeError('malformed', `query id "${id.text}" is not a number`);
    if (!question.quoted) throw new DecodeError('malformed', 'the question is not quoted');
    // type class name proto size do bufsize
    const parts = question.text.split(' ');
    if (parts.length !== 7) throw new DecodeError('malformed', `the question has 7 parts, this one ${parts.length}`);
    const [qtypeText, , qname] = parts as [string, string, string];
    const qtype = normalizeQtype(qtypeText);
    if (qtype === undefined) throw new DecodeError('wrong_type', `"${qtypeText}" is not a query type`);
    const rcode = normalizeRcode(rcodeToken.text);
    if (rcodeToken.quoted || rcode === undefined) {
      throw new DecodeError('wrong_type', `"${rcodeToken.text}" is not a response code`);
    }
    if (!/^\d+$/.test(rsize.text)) throw new DecodeError('wrong_type', `response size "${rsize.text}" is not a number`);
    const duration = parseDuration(durationToken.text);
    if (duration === undefined) throw new DecodeError('wrong_type', `"${durationToken.text}" is not a duration`);
    const time = readTimestamp(timestamp);
    const record: DnsRecord = {
      startTime: time,
      endTime: time,
      node: '',
      client: { ...emptyEndpoint(), ip: address },
      server: corednsServer(),
      qname: normalizeQname(qname),
      qtype,
      rcode,
      count: 1,
      latency: { count: 1, meanSeconds: duration, maxSeconds: duration },
    };
    sink.dns(record);
  }
}

function corednsServer(): Endpoint {
  return {
    ...emptyEndpoint(),
    kind: 'pod',
    namespace: COREDNS_NAMESPACE,
    workload: COREDNS_WORKLOAD,
    workloadKind: 'Deployment',
  };
}

function readTimestamp(text: string): number {
  if (text === '') return 0;
  const millis = Date.parse(text);
  return Number.isNaN(millis) ? 0 : millis / 1000;
}

export const corednsSource: LineSourceKind = {
  kind: 'coredns',
  description: "CoreDNS query logs (the log plugin's default format, as kubectl logs prints them)",
  input: 'lines',
  createDecoder: () => new CorednsDecoder(),
};
