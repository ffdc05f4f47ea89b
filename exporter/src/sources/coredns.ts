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
 * The tokenizer records where each token lies in the line (offsets into reused arrays) instead of cutting it
 * out: the parser checks most tokens in place and slices only the few it keeps (the client address, the
 * question's type and name, the response code). A line costs a handful of small strings, not a token object
 * per word.
 *
 * The log is CoreDNS's own, so the server is CoreDNS: the `coredns` Deployment in `kube-system` (kubeadm's
 * and most distributions' name for it).
 */
import { DecodeError, type LineDecoder, type LineSourceKind, type RecordSink } from './types';
import { endpointAtIp, type Endpoint } from '../model/flow';
import { DnsTextMemo, normalizeQname, type DnsRecord } from '../model/dns';

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

const SPACE = 0x20;
const TAB = 0x09;
const QUOTE = 0x22;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;
const DOT = 0x2e;
const DASH = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

const LEVEL_TAGS: readonly string[] = ['[INFO]', '[ERROR]', '[WARNING]', '[DEBUG]', '[FATAL]'];

/**
 * The tokens of one line as offsets: token i is `line.slice(starts[i], ends[i])` (without its quotes when
 * quoted). `first` skips the timestamp and level tag. One instance is reused line after line.
 */
class TokenSpans {
  line = '';
  count = 0;
  first = 0;
  unterminated = false;
  readonly starts: number[] = [];
  readonly ends: number[] = [];
  readonly quoted: boolean[] = [];

  scan(line: string): void {
    this.line = line;
    this.count = 0;
    this.unterminated = false;
    // Without tabs (the usual case) a word ends at the next space, which indexOf finds natively.
    const spacesOnly = line.indexOf('\t') === -1;
    let position = 0;
    while (position < line.length) {
      const character = line.charCodeAt(position);
      if (character === SPACE || character === TAB) {
        position++;
        continue;
      }
      if (character === QUOTE) {
        const close = line.indexOf('"', position + 1);
        if (close < 0) {
          this.push(position + 1, line.length, true);
          this.unterminated = true;
          break;
        }
        this.push(position + 1, close, true);
        position = close + 1;
        continue;
      }
      let end: number;
      if (spacesOnly) {
        end = line.indexOf(' ', position + 1);
        if (end === -1) end = line.length;
      } else {
        end = position + 1;
        while (end < line.length) {
          const next = line.charCodeAt(end);
          if (next === SPACE || next === TAB) break;
          end++;
        }
      }
      this.push(position, end, false);
      position = end;
    }
    // The first level tag among the tokens decides; only a tag first or second (after a timestamp) is one.
    this.first = this.isLevelTag(0) ? 1 : this.isLevelTag(1) ? 2 : 0;
  }

  /** Tokens after the timestamp and level tag. */
  get length(): number {
    return this.count - this.first;
  }

  /** Token `index` after the timestamp and level tag. */
  text(index: number): string {
    const at = this.first + index;
    return this.line.slice(this.starts[at], this.ends[at]);
  }

  isQuoted(index: number): boolean {
    return this.quoted[this.first + index] === true;
  }

  start(index: number): number {
    return this.starts[this.first + index]!;
  }

  end(index: number): number {
    return this.ends[this.first + index]!;
  }

  timestamp(): string {
    return this.first === 2 ? this.line.slice(this.starts[0], this.ends[0]) : '';
  }

  private push(start: number, end: number, quoted: boolean): void {
    this.starts[this.count] = start;
    this.ends[this.count] = end;
    this.quoted[this.count] = quoted;
    this.count++;
  }

  /** Raw token `at` (before any stripping) is an unquoted `[INFO]`, `[ERROR]`, ... */
  private isLevelTag(at: number): boolean {
    if (at >= this.count || this.quoted[at] === true) return false;
    const start = this.starts[at]!;
    const length = this.ends[at]! - start;
    if (this.line.charCodeAt(start) !== OPEN_BRACKET) return false;
    for (const tag of LEVEL_TAGS) if (tag.length === length && this.line.startsWith(tag, start)) return true;
    return false;
  }
}

export function tokenizeCorednsLine(line: string): TokenizedLine {
  const spans = new TokenSpans();
  spans.scan(line);
  const tokens: Token[] = [];
  for (let i = 0; i < spans.length; i++) tokens.push({ text: spans.text(i), quoted: spans.isQuoted(i) });
  return { timestamp: spans.timestamp(), tokens, unterminated: spans.unterminated };
}

function isDigit(code: number): boolean {
  return code >= ZERO && code <= NINE;
}

/** `line[start, end)` is one or more decimal digits (`^\d+$`). */
function allDigits(line: string, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) if (!isDigit(line.charCodeAt(i))) return false;
  return true;
}

/** Where a run of `min` to `max` digits starting at `start` ends, or -1. */
function digitRun(line: string, start: number, end: number, min: number, max: number): number {
  let position = start;
  while (position < end && position - start < max && isDigit(line.charCodeAt(position))) position++;
  return position - start >= min ? position : -1;
}

function isIpv6Character(code: number): boolean {
  return (
    isDigit(code) ||
    (code >= 0x41 && code <= 0x46) || // A-F
    (code >= 0x61 && code <= 0x66) || // a-f
    code === COLON ||
    code === DOT
  );
}

/**
 * `10.244.0.5:52311` or `[fd00::5]:52311` in `line[start, end)`: the address, or undefined when the word is not
 * one. The grammar of `^(?:\[([0-9A-Fa-f:.]+)\]|(\d{1,3}(?:\.\d{1,3}){3})):\d{1,5}$`, read in place.
 */
function remoteAddress(line: string, start: number, end: number): string | undefined {
  let hostStart: number;
  let hostEnd: number;
  let position: number;
  if (line.charCodeAt(start) === OPEN_BRACKET) {
    hostStart = start + 1;
    position = hostStart;
    while (position < end && isIpv6Character(line.charCodeAt(position))) position++;
    if (position === hostStart || position >= end || line.charCodeAt(position) !== CLOSE_BRACKET) return undefined;
    hostEnd = position;
    position++;
  } else {
    hostStart = start;
    position = start;
    for (let octet = 0; octet < 4; octet++) {
      if (octet > 0) {
        if (line.charCodeAt(position) !== DOT) return undefined;
        position++;
      }
      position = digitRun(line, position, end, 1, 3);
      if (position < 0) return undefined;
    }
    hostEnd = position;
  }
  if (position >= end || line.charCodeAt(position) !== COLON) return undefined;
  if (digitRun(line, position + 1, end, 1, 5) !== end) return undefined;
  return line.slice(hostStart, hostEnd);
}

/** Seconds per unit of `s`, `ms`, `µs`, `us`, `ns` or `m` in `line[start, end)`, or undefined. */
function durationScale(line: string, start: number, end: number): number | undefined {
  const first = line.charCodeAt(start);
  if (end - start === 1) return first === 0x73 /* s */ ? 1 : first === 0x6d /* m */ ? 60 : undefined;
  if (end - start !== 2 || line.charCodeAt(start + 1) !== 0x73 /* s */) return undefined;
  if (first === 0x6d /* m */) return 1e-3;
  if (first === 0xb5 /* µ */ || first === 0x75 /* u */) return 1e-6;
  return first === 0x6e /* n */ ? 1e-9 : undefined;
}

const POWERS_OF_TEN: readonly number[] = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/** `0.000123s`, `1.5ms`, `250µs` in `line[start, end)`: seconds (the grammar `^(\d+(?:\.\d+)?)(s|ms|µs|us|ns|m)$`). */
function parseDuration(line: string, start: number, end: number): number | undefined {
  let position = digitRun(line, start, end, 1, Infinity);
  if (position < 0) return undefined;
  let fractionDigits = 0;
  if (line.charCodeAt(position) === DOT) {
    const fractionStart = position + 1;
    position = digitRun(line, fractionStart, end, 1, Infinity);
    if (position < 0) return undefined;
    fractionDigits = position - fractionStart;
  }
  const scale = durationScale(line, position, end);
  if (scale === undefined) return undefined;
  return readDecimal(line, start, position, fractionDigits) * scale;
}

/**
 * The decimal `line[start, end)` (digits with at most one dot, `fractionDigits` after it) as Number() reads it.
 * With at most 15 digits, the digits as an integer over a power of ten is the same double (both exact, and the
 * division rounds once, as the parse does); longer text takes Number().
 */
function readDecimal(line: string, start: number, end: number, fractionDigits: number): number {
  if (end - start - (fractionDigits > 0 ? 1 : 0) > 15) return Number(line.slice(start, end));
  let digits = 0;
  for (let index = start; index < end; index++) {
    const code = line.charCodeAt(index);
    if (code !== DOT) digits = digits * 10 + (code - ZERO);
  }
  return digits / POWERS_OF_TEN[fractionDigits]!;
}

/**
 * The query name in `line[start, end)`, normalized: a name that is already lower-case ASCII without spaces
 * (what CoreDNS logs) only loses its trailing dot, cut once; anything else goes through normalizeQname.
 */
function queryName(line: string, start: number, end: number): string {
  for (let index = start; index < end; index++) {
    const code = line.charCodeAt(index);
    // Whitespace and control characters (trim), A-Z and anything beyond ASCII (toLowerCase).
    if (code <= SPACE || (code >= 0x41 && code <= 0x5a) || code > 0x7e) return normalizeQname(line.slice(start, end));
  }
  if (end - start > 1 && line.charCodeAt(end - 1) === DOT) end--;
  return line.slice(start, end);
}

/** remote - id "question" rcode rflags rsize duration */
const QUERY_TOKENS = 8;
/** type class name proto size do bufsize */
const QUESTION_PARTS = 7;

class CorednsDecoder implements LineDecoder {
  private readonly spans = new TokenSpans();
  private readonly memo = new DnsTextMemo();

  decode(line: string, sink: RecordSink): void {
    const tokens = this.spans;
    tokens.scan(line);
    const address =
      tokens.length > 0 && !tokens.isQuoted(0) ? remoteAddress(line, tokens.start(0), tokens.end(0)) : undefined;
    if (address === undefined || tokens.length < 2 || tokens.end(1) - tokens.start(1) !== 1) {
      return sink.skipped('not_query');
    }
    if (line.charCodeAt(tokens.start(1)) !== DASH) return sink.skipped('not_query');
    if (tokens.unterminated) throw new DecodeError('truncated', 'the quoted question ends early');
    if (tokens.length < QUERY_TOKENS) {
      throw new DecodeError('truncated', `a query line has 8 parts, this one ${tokens.length}`);
    }
    if (tokens.length > QUERY_TOKENS) {
      throw new DecodeError('malformed', `a query line has 8 parts, this one ${tokens.length}`);
    }
    if (tokens.isQuoted(2) || !allDigits(line, tokens.start(2), tokens.end(2))) {
      throw new DecodeError('malformed', `query id "${tokens.text(2)}" is not a number`);
    }
    if (!tokens.isQuoted(3)) throw new DecodeError('malformed', 'the question is not quoted');
    // The question's parts, split at single spaces (an empty part between two spaces counts).
    const questionEnd = tokens.end(3);
    let spaces = 0;
    let typeEnd = 0;
    let nameStart = 0;
    let nameEnd = 0;
    for (let at = line.indexOf(' ', tokens.start(3)); at !== -1 && at < questionEnd; at = line.indexOf(' ', at + 1)) {
      spaces++;
      if (spaces === 1) typeEnd = at;
      else if (spaces === 2) nameStart = at + 1;
      else if (spaces === 3) nameEnd = at;
    }
    if (spaces !== QUESTION_PARTS - 1) {
      throw new DecodeError('malformed', `the question has 7 parts, this one ${spaces + 1}`);
    }
    const qtypeText = line.slice(tokens.start(3), typeEnd);
    const qtype = this.memo.qtype(qtypeText);
    if (qtype === undefined) throw new DecodeError('wrong_type', `"${qtypeText}" is not a query type`);
    const rcodeText = tokens.text(4);
    const rcode = this.memo.rcode(rcodeText);
    if (tokens.isQuoted(4) || rcode === undefined) {
      throw new DecodeError('wrong_type', `"${rcodeText}" is not a response code`);
    }
    if (!allDigits(line, tokens.start(6), tokens.end(6))) {
      throw new DecodeError('wrong_type', `response size "${tokens.text(6)}" is not a number`);
    }
    const duration = parseDuration(line, tokens.start(7), tokens.end(7));
    if (duration === undefined) throw new DecodeError('wrong_type', `"${tokens.text(7)}" is not a duration`);
    const time = readTimestamp(tokens.timestamp());
    const record: DnsRecord = {
      startTime: time,
      endTime: time,
      node: '',
      client: endpointAtIp(address),
      server: corednsServer(),
      qname: queryName(line, nameStart, nameEnd),
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
    kind: 'pod',
    namespace: COREDNS_NAMESPACE,
    workload: COREDNS_WORKLOAD,
    workloadKind: 'Deployment',
    pod: '',
    ip: '',
    labels: undefined,
    service: '',
    serviceNamespace: '',
    podDetail: false,
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
