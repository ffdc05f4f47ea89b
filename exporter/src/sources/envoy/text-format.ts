/**
 * Envoy's default text access log format, as a grammar:
 *
 *   [START_TIME] "METHOD PATH PROTOCOL" RESPONSE_CODE RESPONSE_FLAGS BYTES_RECEIVED BYTES_SENT DURATION
 *   UPSTREAM_SERVICE_TIME "X-FORWARDED-FOR" "USER-AGENT" "X-REQUEST-ID" "AUTHORITY" "UPSTREAM_HOST"
 *   [UPSTREAM_CLUSTER UPSTREAM_LOCAL_ADDRESS DOWNSTREAM_LOCAL_ADDRESS DOWNSTREAM_REMOTE_ADDRESS
 *    REQUESTED_SERVER_NAME ROUTE_NAME]
 *
 * The bracketed tail is the newer default (and Istio's); Istio's text format also puts
 * `RESPONSE_CODE_DETAILS CONNECTION_TERMINATION_DETAILS "UPSTREAM_TRANSPORT_FAILURE_REASON"` after the flags.
 * All three layouts are accepted. `-` stands for an absent value.
 *
 * Envoy does not escape quotes inside quoted values, so a user agent may hold `"`. The user agent is the one
 * free-text field, so the parser reads the fields before it from the front and those after it from the back;
 * the user agent is whatever lies between.
 */
import { DecodeError } from '../types';
import { httpRecordFromEnvoy, type EnvoyCommandValues } from './envoy-fields';
import { parseStartTime, parseWholeNumber } from './fields';
import type { HttpDecodeResult } from './model';

/** A cursor at each end of the line; tokens are taken from either end, separated by single spaces. */
export class LineScanner {
  private front = 0;
  private back: number;

  constructor(private readonly line: string) {
    this.back = line.length;
  }

  get exhausted(): boolean {
    return this.front >= this.back;
  }

  /** The next character at the front, or '' at the end. */
  peek(): string {
    return this.exhausted ? '' : (this.line[this.front] ?? '');
  }

  /** `[text]` at the front. */
  bracketed(field: string): string {
    this.expectFront('[', field);
    const close = this.line.indexOf(']', this.front);
    if (close === -1 || close >= this.back) throw truncated(field, 'has no closing "]"');
    return this.takeFront(close + 1, field, 1);
  }

  /** `"text"` at the front; it ends at the first quote followed by a space or the end of the line. */
  quoted(field: string): string {
    this.expectFront('"', field);
    let close = this.line.indexOf('"', this.front + 1);
    while (close !== -1 && close < this.back - 1 && this.line[close + 1] !== ' ') {
      close = this.line.indexOf('"', close + 1);
    }
    if (close === -1 || close >= this.back) throw truncated(field, 'has no closing quote');
    return this.takeFront(close + 1, field, 1);
  }

  /** A value without spaces at the front. */
  bare(field: string): string {
    if (this.exhausted) throw truncated(field, 'is missing: the line ends before it');
    const space = this.line.indexOf(' ', this.front);
    return this.takeFront(space === -1 || space > this.back ? this.back : space, field, 0);
  }

  /** Bare values at the front up to the next quoted value. */
  bareRun(field: string): string[] {
    const values: string[] = [];
    while (!this.exhausted && this.peek() !== '"') values.push(this.bare(`${field} #${values.length + 1}`));
    return values;
  }

  /** Bare values at the back, after the last quote of the line, in line order. */
  bareTail(): string[] {
    const lastQuote = this.line.lastIndexOf('"', this.back - 1);
    if (lastQuote < this.front || lastQuote === this.back - 1) return [];
    if (this.line.charCodeAt(lastQuote + 1) !== 0x20 /* space */) {
      throw malformed('the text after the last quoted field', 'must follow a space');
    }
    const tail = this.line.slice(lastQuote + 2, this.back);
    this.back = lastQuote + 1;
    return tail.split(' ');
  }

  /** `"text"` at the back: it opens at the nearest quote that starts the line or follows a space. */
  quotedFromBack(field: string): string {
    if (this.line[this.back - 1] !== '"' || this.back - this.front < 2) throw malformed(field, 'must be quoted');
    let open = this.line.lastIndexOf('"', this.back - 2);
    while (open > this.front && this.line[open - 1] !== ' ') open = this.line.lastIndexOf('"', open - 1);
    if (open < this.front) throw malformed(field, 'has no opening quote');
    const value = this.line.slice(open + 1, this.back - 1);
    this.back = open;
    if (!this.exhausted) {
      if (this.line[this.back - 1] !== ' ') throw malformed(field, 'must follow a space');
      this.back -= 1;
    }
    return value;
  }

  /** All that is left must be one quoted value, which may itself contain quotes. */
  quotedRest(field: string): string {
    const rest = this.line.slice(this.front, this.back);
    if (rest.length < 2 || !rest.startsWith('"') || !rest.endsWith('"')) throw malformed(field, 'must be quoted');
    this.front = this.back;
    return rest.slice(1, -1);
  }

  /** Quotes left between the cursors: a cheap sign of whether the line was cut short. */
  quotesLeft(): number {
    let count = 0;
    // indexOf jumps from quote to quote natively; indexing the line character by character cost a third of it.
    for (let index = this.line.indexOf('"', this.front); index !== -1 && index < this.back;) {
      count++;
      index = this.line.indexOf('"', index + 1);
    }
    return count;
  }

  private expectFront(open: string, field: string): void {
    if (this.exhausted) throw truncated(field, 'is missing: the line ends before it');
    if (this.peek() !== open) throw malformed(field, `must start with ${open}`);
  }

  /** Takes the front up to `end`, without `trim` characters at each side, and the space after it. */
  private takeFront(end: number, field: string, trim: number): string {
    const value = this.line.slice(this.front + trim, end - trim);
    this.front = end;
    if (!this.exhausted) {
      if (this.line[this.front] !== ' ') throw malformed(field, 'must be followed by a space');
      this.front += 1;
    }
    return value;
  }
}

function truncated(field: string, problem: string): DecodeError {
  return new DecodeError('truncated', `field ${field} ${problem}`);
}

function malformed(field: string, problem: string): DecodeError {
  return new DecodeError('malformed', `field ${field} ${problem}`);
}

/** `-` is Envoy's absent value. */
function present(value: string): string {
  return value === '-' ? '' : value;
}

function required(value: string, field: string): string {
  if (value === '-' || value === '') throw new DecodeError('missing_field', `field ${field} is absent ("-")`);
  return value;
}

const TAIL_FIELDS = [
  'UPSTREAM_CLUSTER',
  'UPSTREAM_LOCAL_ADDRESS',
  'DOWNSTREAM_LOCAL_ADDRESS',
  'DOWNSTREAM_REMOTE_ADDRESS',
  'REQUESTED_SERVER_NAME',
  'ROUTE_NAME',
] as const;

/** The quoted fields after the user agent, read from the back; each is two quotes. */
const QUOTED_AFTER_USER_AGENT = 3;

/** Decodes one line of Envoy's default text access log format (either default, or Istio's). */
export function decodeEnvoyTextLine(line: string): HttpDecodeResult {
  if (line.trim() === '') throw new DecodeError('truncated', 'empty line');
  const scanner = new LineScanner(line);
  const startTime = scanner.bracketed('START_TIME');
  const requestLine = scanner.quoted('request line');
  const counters = readCounters(scanner);
  const forwardedFor = scanner.quoted('X-FORWARDED-FOR');

  // From here the fields are read from the back. A line cut short lacks the quotes they need.
  if (scanner.quotesLeft() < 2 * (QUOTED_AFTER_USER_AGENT + 1)) {
    throw truncated('UPSTREAM_HOST', 'is missing: the line ends before it');
  }
  const tail = scanner.bareTail();
  // Istio's layout always has the tail; Envoy's has it or not, so a cut right after UPSTREAM_HOST passes there.
  if ((tail.length !== 0 || counters.layout === 'istio') && tail.length < TAIL_FIELDS.length) {
    throw truncated(TAIL_FIELDS[tail.length] ?? 'ROUTE_NAME', 'is missing: the line ends before it');
  }
  if (tail.length > TAIL_FIELDS.length) {
    throw malformed('ROUTE_NAME', `must end the line; ${tail.length - TAIL_FIELDS.length} more values follow`);
  }
  const upstreamHost = scanner.quotedFromBack('UPSTREAM_HOST');
  const authority = scanner.quotedFromBack(':AUTHORITY');
  const requestId = scanner.quotedFromBack('X-REQUEST-ID');
  const userAgent = scanner.quotedRest('USER-AGENT');

  // Exactly two spaces and a protocol after them (what `split(' ')` into three parts checked, without the array).
  const pathStart = requestLine.indexOf(' ') + 1;
  const protocolStart = pathStart === 0 ? 0 : requestLine.indexOf(' ', pathStart) + 1;
  if (protocolStart === 0 || protocolStart === requestLine.length || requestLine.indexOf(' ', protocolStart) !== -1) {
    throw malformed('request line', `must be "METHOD PATH PROTOCOL", got ${JSON.stringify(requestLine)}`);
  }
  const method = requestLine.slice(0, pathStart - 1);
  const path = requestLine.slice(pathStart, protocolStart - 1);
  const protocol = requestLine.slice(protocolStart);
  const [cluster, , , downstreamRemote, , routeName] = tail;
  const values: EnvoyCommandValues = {
    startTime: parseStartTime(required(startTime, 'START_TIME'), 'START_TIME'),
    method: present(method),
    path: present(path),
    protocol: present(protocol),
    responseCode: parseWholeNumber(required(counters.responseCode, 'RESPONSE_CODE'), 'RESPONSE_CODE'),
    responseFlags: present(counters.responseFlags),
    bytesReceived: parseWholeNumber(required(counters.bytesReceived, 'BYTES_RECEIVED'), 'BYTES_RECEIVED'),
    bytesSent: parseWholeNumber(required(counters.bytesSent, 'BYTES_SENT'), 'BYTES_SENT'),
    durationMs: parseWholeNumber(required(counters.duration, 'DURATION'), 'DURATION'),
    forwardedFor: present(forwardedFor),
    userAgent: present(userAgent),
    requestId: present(requestId),
    authority: present(authority),
    upstreamHost: present(upstreamHost),
    upstreamCluster: present(cluster ?? '-'),
    downstreamRemoteAddress: present(downstreamRemote ?? '-'),
    routeName: present(routeName ?? '-'),
  };
  return httpRecordFromEnvoy(values);
}

interface Counters {
  layout: 'envoy' | 'istio';
  responseCode: string;
  responseFlags: string;
  bytesReceived: string;
  bytesSent: string;
  duration: string;
}

/**
 * `CODE FLAGS BYTES_RECEIVED BYTES_SENT DURATION UPSTREAM_SERVICE_TIME` in Envoy's layout;
 * `CODE FLAGS DETAILS TERMINATION_DETAILS "TRANSPORT_FAILURE" BYTES_RECEIVED BYTES_SENT DURATION UPSTREAM_SERVICE_TIME`
 * in Istio's.
 */
function readCounters(scanner: LineScanner): Counters {
  const run = scanner.bareRun('RESPONSE_CODE..');
  if (scanner.exhausted) throw truncated('X-FORWARDED-FOR', 'is missing: the line ends before it');
  if (run.length === 6) {
    const [responseCode = '', responseFlags = '', bytesReceived = '', bytesSent = '', duration = ''] = run;
    return { layout: 'envoy', responseCode, responseFlags, bytesReceived, bytesSent, duration };
  }
  if (run.length === 4) {
    const [responseCode = '', responseFlags = ''] = run;
    scanner.quoted('UPSTREAM_TRANSPORT_FAILURE_REASON');
    const counters = scanner.bareRun('BYTES_RECEIVED..');
    if (scanner.exhausted) throw truncated('X-FORWARDED-FOR', 'is missing: the line ends before it');
    if (counters.length !== 4) {
      throw malformed('BYTES_RECEIVED', `expected 4 values before X-FORWARDED-FOR, got ${counters.length}`);
    }
    const [bytesReceived = '', bytesSent = '', duration = ''] = counters;
    return { layout: 'istio', responseCode, responseFlags, bytesReceived, bytesSent, duration };
  }
  throw malformed('RESPONSE_CODE', `expected 6 values between the request line and X-FORWARDED-FOR, got ${run.length}`);
}
