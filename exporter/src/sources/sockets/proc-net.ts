/**
 * Parsers of a network namespace's /proc/<pid>/net files, as grammars over the kernel's text:
 *
 *   socket table  := header "\n" (entry "\n")*
 *   entry         := slot ":" local remote state queues timer retransmits uid timeout inode rest
 *   local, remote := HEX{8|32} ":" HEX{4}      (address in the kernel's byte order, port big-endian)
 *   queues        := HEX{8} ":" HEX{8}          (tx_queue : rx_queue)
 *
 *   counter file  := (prefix ":" name+ "\n" prefix ":" value+ "\n")*      (/proc/net/snmp, /proc/net/netstat)
 *
 * A bad entry loses that entry (reported by line, the rest of the table still counts); a bad header loses
 * the table. Entries are handed to a callback in one reused object, so a scan allocates nothing per socket.
 */
import { DecodeError } from '../types';

/** One entry of /proc/net/{tcp,tcp6,udp,udp6}. Reused between calls: copy what you keep. */
export interface SocketEntry {
  /** The local address as the kernel prints it (hex, host byte order per 32-bit word). */
  localAddressHex: string;
  localPort: number;
  remotePort: number;
  /** Whether the remote address is all zeros (an unconnected or listening socket). */
  remoteIsAny: boolean;
  /** The kernel's state number (1 ESTABLISHED ... 10 LISTEN, 12 NEW_SYN_RECV). */
  state: number;
  /** Bytes queued to send; for a listening TCP socket, the accept queue's limit instead. */
  txQueue: number;
  /** Bytes received not yet read; for a listening TCP socket, connections waiting for accept() instead. */
  rxQueue: number;
  inode: number;
}

const SPACE = 0x20;
const TAB = 0x09;
const COLON = 0x3a;
const NEWLINE = 0x0a;

const TABLE_HEADER = /^\s*sl\s+local_address\s+rem(?:ote)?_address\s+st\s+tx_queue\s+rx_queue\b/;

/** TCP states by the kernel's number (include/net/tcp_states.h), as label values. */
export const TCP_STATES: readonly string[] = [
  '',
  'established',
  'syn_sent',
  'syn_recv',
  'fin_wait1',
  'fin_wait2',
  'time_wait',
  'close',
  'close_wait',
  'last_ack',
  'listen',
  'closing',
  'new_syn_recv',
];
export const TCP_LISTEN = 10;
export const TCP_SYN_SENT = 2;
export const TCP_FIN_WAIT2 = 5;
export const TCP_TIME_WAIT = 6;
/** UDP sockets use TCP_ESTABLISHED for connected sockets and TCP_CLOSE for the rest. */
export const UDP_CONNECTED = 1;
export const UDP_UNCONNECTED = 7;

/**
 * Reads a socket table. Throws DecodeError when the header is not a socket table's; calls `onBadEntry` for
 * each entry that does not parse (with its 1-based line) and `onEntry` for each one that does.
 */
export function parseSocketTable(
  text: string,
  onEntry: (entry: SocketEntry) => void,
  onBadEntry: (error: DecodeError, line: number) => void,
): void {
  const headerEnd = text.indexOf('\n');
  if (headerEnd < 0) {
    throw new DecodeError('truncated', 'the socket table has no complete header line');
  }
  if (!TABLE_HEADER.test(text.slice(0, headerEnd))) {
    throw new DecodeError('malformed', `not a socket table header: ${JSON.stringify(text.slice(0, 80))}`);
  }
  const entry: SocketEntry = {
    localAddressHex: '',
    localPort: 0,
    remotePort: 0,
    remoteIsAny: true,
    state: 0,
    txQueue: 0,
    rxQueue: 0,
    inode: 0,
  };
  const parser = new EntryParser(text, entry);
  let line = 1;
  for (let start = headerEnd + 1; start < text.length;) {
    line++;
    let end = text.indexOf('\n', start);
    const complete = end >= 0;
    if (!complete) end = text.length;
    try {
      if (!complete) throw new DecodeError('truncated', 'the table ends with a partial entry (no newline)');
      parser.parse(start, end);
      onEntry(entry);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      onBadEntry(error, line);
    }
    start = end + 1;
  }
}

/** A cursor over one entry; fields are read in place, without splitting the line. */
class EntryParser {
  private position = 0;
  private end = 0;

  constructor(
    private readonly text: string,
    private readonly entry: SocketEntry,
  ) {}

  parse(start: number, end: number): void {
    this.position = start;
    this.end = end;
    const { entry } = this;
    this.skipDecimal('slot');
    this.expect(COLON, 'slot');
    const localStart = this.tokenStart('local address');
    const localAddressEnd = this.hexRun('local address');
    const localLength = localAddressEnd - localStart;
    if (localLength !== 8 && localLength !== 32) {
      throw new DecodeError('malformed', `local address of ${localLength} hex digits (want 8 or 32)`);
    }
    entry.localAddressHex = this.text.slice(localStart, localAddressEnd);
    this.expect(COLON, 'local address');
    entry.localPort = this.hex(4, 'local port');
    const remoteStart = this.tokenStart('remote address');
    const remoteEnd = this.hexRun('remote address');
    if (remoteEnd - remoteStart !== localLength) {
      throw new DecodeError('malformed', 'the remote address is not as long as the local address');
    }
    entry.remoteIsAny = isAllZeros(this.text, remoteStart, remoteEnd);
    this.expect(COLON, 'remote address');
    entry.remotePort = this.hex(4, 'remote port');
    this.tokenStart('state');
    const state = this.hex(2, 'state');
    if (state < 1 || state >= TCP_STATES.length) throw new DecodeError('wrong_type', `unknown socket state ${state}`);
    entry.state = state;
    this.tokenStart('tx_queue');
    entry.txQueue = this.hex(8, 'tx_queue');
    this.expect(COLON, 'tx_queue');
    entry.rxQueue = this.hex(8, 'rx_queue');
    // tr:tm->when, retrnsmt, uid and timeout are not used; each must still be there.
    this.skipToken('timer');
    this.skipToken('retransmits');
    this.skipToken('uid');
    this.skipToken('timeout');
    this.tokenStart('inode');
    entry.inode = this.decimal('inode');
  }

  /** Skips blanks; the position of the next token. */
  private tokenStart(field: string): number {
    const { text } = this;
    while (this.position < this.end) {
      const code = text.charCodeAt(this.position);
      if (code !== SPACE && code !== TAB) return this.position;
      this.position++;
    }
    throw new DecodeError('truncated', `the entry ends before its ${field}`);
  }

  private skipToken(field: string): void {
    this.tokenStart(field);
    const { text } = this;
    while (this.position < this.end) {
      const code = text.charCodeAt(this.position);
      if (code === SPACE || code === TAB) return;
      this.position++;
    }
  }

  private skipDecimal(field: string): void {
    this.tokenStart(field);
    this.decimal(field);
  }

  private expect(code: number, field: string): void {
    if (this.position >= this.end) throw new DecodeError('truncated', `the entry ends after its ${field}`);
    if (this.text.charCodeAt(this.position) !== code) {
      throw new DecodeError('malformed', `expected "${String.fromCharCode(code)}" after the ${field}`);
    }
    this.position++;
  }

  /** The end of a run of hex digits starting at the position (at least one). */
  private hexRun(field: string): number {
    const start = this.position;
    while (this.position < this.end && hexValue(this.text.charCodeAt(this.position)) >= 0) this.position++;
    if (this.position === start) throw new DecodeError('malformed', `the ${field} is not hexadecimal`);
    return this.position;
  }

  /** A hex number of exactly `digits` digits. */
  private hex(digits: number, field: string): number {
    const { text } = this;
    const start = this.position;
    let value = 0;
    while (this.position < this.end) {
      const digit = hexValue(text.charCodeAt(this.position));
      if (digit < 0) break;
      value = value * 16 + digit;
      this.position++;
    }
    const length = this.position - start;
    if (length === 0) {
      if (this.position >= this.end) throw new DecodeError('truncated', `the entry ends before its ${field}`);
      throw new DecodeError('malformed', `the ${field} is not hexadecimal`);
    }
    if (length !== digits)
      throw new DecodeError('wrong_type', `the ${field} has ${length} hex digits (want ${digits})`);
    return value;
  }

  private decimal(field: string): number {
    const { text } = this;
    const start = this.position;
    let value = 0;
    while (this.position < this.end) {
      const code = text.charCodeAt(this.position);
      if (code < 0x30 || code > 0x39) break;
      value = value * 10 + (code - 0x30);
      this.position++;
    }
    if (this.position === start) throw new DecodeError('wrong_type', `the ${field} is not a whole number`);
    if (this.position - start > 15) throw new DecodeError('wrong_type', `the ${field} is too large`);
    const next = this.position < this.end ? text.charCodeAt(this.position) : SPACE;
    if (next !== SPACE && next !== TAB && next !== COLON && next !== NEWLINE) {
      throw new DecodeError('wrong_type', `the ${field} is not a whole number`);
    }
    return value;
  }
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

function isAllZeros(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (text.charCodeAt(i) !== 0x30) return false;
  return true;
}

/**
 * The address of a table entry as text: IPv4 dotted, IPv6 in full lower-case groups compressed the usual way.
 * The kernel prints each 32-bit word in host byte order (little-endian on every platform Kubernetes runs on).
 */
export function addressFromHex(hex: string): string {
  if (hex.length === 8) return wordBytes(hex, 0).join('.');
  const bytes: number[] = [];
  for (let word = 0; word < 4; word++) bytes.push(...wordBytes(hex, word * 8));
  if (bytes.slice(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return bytes.slice(12).join('.');
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return compressIpv6(groups);
}

function wordBytes(hex: string, start: number): number[] {
  const word = parseInt(hex.slice(start, start + 8), 16);
  return [word & 0xff, (word >>> 8) & 0xff, (word >>> 16) & 0xff, (word >>> 24) & 0xff];
}

function compressIpv6(groups: readonly string[]): string {
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < groups.length;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLength && j - i > 1) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLength).join(':')}`;
}

/** Whether a table address is loopback or unspecified (not a pod IP). */
export function isLocalOnlyAddressHex(hex: string): boolean {
  if (hex.length === 8) return hex === '00000000' || hex.endsWith('7F');
  if (/^0{32}$/.test(hex) || hex === '00000000000000000000000001000000') return true;
  // IPv4-mapped loopback and unspecified.
  return hex.startsWith('0000000000000000FFFF0000') && (hex.endsWith('7F') || hex.endsWith('00000000'));
}

/** The counters of /proc/net/snmp or /proc/net/netstat: section (`Tcp`, `TcpExt`) -> name -> value. */
export type CounterSections = Map<string, Map<string, number>>;

/**
 * Reads header/value line pairs. Throws DecodeError for the whole file: a pair whose prefixes or lengths
 * differ (malformed), a file cut after a header (truncated), a value that is not an integer (wrong_type).
 * With `only`, other sections are checked for their prefixes only (netstat's are long, and we read one).
 */
export function parseCounterPairs(text: string, only?: ReadonlySet<string>): CounterSections {
  const sections: CounterSections = new Map();
  const lines = text.split('\n');
  if (lines[lines.length - 1] !== '') throw new DecodeError('truncated', 'the counter file ends without a newline');
  lines.pop();
  if (lines.length % 2 !== 0) throw new DecodeError('truncated', `the counter file ends after a header line`);
  for (let i = 0; i < lines.length; i += 2) {
    if (only !== undefined) {
      const prefix = lines[i]!.slice(0, Math.max(0, lines[i]!.indexOf(':')));
      if (prefix !== '' && !only.has(prefix) && lines[i + 1]!.startsWith(`${prefix}:`)) continue;
    }
    const header = splitCounterLine(lines[i]!, i + 1);
    const values = splitCounterLine(lines[i + 1]!, i + 2);
    if (header.prefix !== values.prefix) {
      throw new DecodeError('malformed', `line ${i + 2} is "${values.prefix}:", after a "${header.prefix}:" header`);
    }
    if (header.fields.length !== values.fields.length) {
      throw new DecodeError(
        'malformed',
        `"${header.prefix}:" names ${header.fields.length} counters and gives ${values.fields.length} values`,
      );
    }
    const section = new Map<string, number>();
    for (let j = 0; j < header.fields.length; j++) {
      const text = values.fields[j]!;
      if (!/^-?\d{1,20}$/.test(text)) {
        throw new DecodeError(
          'wrong_type',
          `${header.prefix} ${header.fields[j]} is not an integer: "${text.slice(0, 40)}"`,
        );
      }
      section.set(header.fields[j]!, Number(text));
    }
    sections.set(header.prefix, section);
  }
  return sections;
}

function splitCounterLine(line: string, number: number): { prefix: string; fields: string[] } {
  const colon = line.indexOf(':');
  if (colon <= 0) throw new DecodeError('malformed', `line ${number} does not start with "Section:"`);
  const fields = line
    .slice(colon + 1)
    .trim()
    .split(/\s+/);
  return { prefix: line.slice(0, colon), fields: fields.length === 1 && fields[0] === '' ? [] : fields };
}

/** A counter of a section, or a missing_field DecodeError naming it. */
export function counter(sections: CounterSections, section: string, name: string, file: string): number {
  const value = sections.get(section)?.get(name);
  if (value === undefined) throw new DecodeError('missing_field', `${file} has no ${section} ${name}`);
  if (value < 0) throw new DecodeError('wrong_type', `${file} ${section} ${name} is negative`);
  return value;
}

/**
 * /proc/net/sockstat and sockstat6: `PROTOCOL: name value name value ...` lines, as protocol -> name -> value.
 * Throws DecodeError for a line that is not that.
 */
export function parseSockstat(text: string): CounterSections {
  const sections: CounterSections = new Map();
  const lines = text.split('\n');
  if (lines[lines.length - 1] !== '') throw new DecodeError('truncated', 'the sockstat file ends without a newline');
  lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const { prefix, fields } = splitCounterLine(lines[i]!, i + 1);
    if (fields.length % 2 !== 0) throw new DecodeError('malformed', `sockstat line ${i + 1} is not name/value pairs`);
    const section = new Map<string, number>();
    for (let j = 0; j < fields.length; j += 2) {
      const value = fields[j + 1]!;
      if (!/^\d{1,20}$/.test(value)) {
        throw new DecodeError(
          'wrong_type',
          `sockstat ${prefix} ${fields[j]} is not a whole number: "${value.slice(0, 40)}"`,
        );
      }
      section.set(fields[j]!, Number(value));
    }
    sections.set(prefix, section);
  }
  return sections;
}
