/**
 * The grammar of a conntrack entry, as the kernel writes it to /proc/net/nf_conntrack and as `conntrack -L -o
 * extended,id` prints it (the tool leaves out `zone=0` and adds `id=`; without `-o extended` it also leaves out the
 * family columns). A tokenizer splits on blanks; the parser reads the tokens into a ConntrackEntry:
 *
 *   entry    := [family familynum] proto protonum timeout [state] tuple [UNREPLIED] tuple flag* attribute*
 *   tuple    := src=ADDR dst=ADDR (sport= dport= | type= code= id= | srckey= dstkey=)? [packets=N bytes=N]
 *   flag     := [ASSURED] | [OFFLOAD] | [HW_OFFLOAD] | ...
 *   attribute:= mark=N | secctx=... | zone=N | use=N | id=N | delta-time=N | labels=... | ...
 *
 * The first tuple is the original direction (as the initiator sent it), the second the reply direction (as the
 * responder answers it, after NAT): a DNATed service connection has the service IP as the original destination and
 * the pod IP as the reply source. Unknown attributes and flags are ignored, so newer kernels' additions still parse.
 */
import { isIP } from 'node:net';
import { DecodeError } from '../types';

/** The longest line accepted; real entries are under 400 bytes (labels and secctx included). */
export const MAX_ENTRY_BYTES = 4096;

export interface ConntrackTuple {
  src: string;
  dst: string;
  /** Ports of TCP, UDP, SCTP, DCCP and UDP-Lite; undefined for other protocols. */
  sport: number | undefined;
  dport: number | undefined;
  /** ICMP's identifier (echo id), which keys ICMP "connections"; undefined for other protocols. */
  icmpId: number | undefined;
  /** Undefined when accounting (net.netfilter.nf_conntrack_acct) is off. */
  packets: number | undefined;
  bytes: number | undefined;
}

export interface ConntrackEntry {
  family: 'ipv4' | 'ipv6';
  /** The kernel's lower-case protocol name (`tcp`, `udp`, `icmp`, `icmpv6`, `sctp`, `gre`, ...), or `unknown`. */
  protocolName: string;
  protocolNumber: number;
  timeoutSeconds: number;
  /** The protocol's state (`ESTABLISHED`, `TIME_WAIT`, ...); empty for protocols without one. */
  state: string;
  original: ConntrackTuple;
  reply: ConntrackTuple;
  /** No packet has been seen in the reply direction yet. */
  unreplied: boolean;
  assured: boolean;
  zone: number;
  /** The tool's `id=`: the kernel's identity of the entry; undefined in /proc/net/nf_conntrack. */
  id: number | undefined;
  /** Both tuples carry packets= and bytes=. */
  accounting: boolean;
}

const FAMILIES: Readonly<Record<string, { family: 'ipv4' | 'ipv6'; number: number }>> = {
  ipv4: { family: 'ipv4', number: 2 },
  ipv6: { family: 'ipv6', number: 10 },
};

/** Keys that belong to a tuple; any other key after the reply tuple starts the attributes. */
const TUPLE_KEYS: ReadonlySet<string> = new Set([
  'src',
  'dst',
  'sport',
  'dport',
  'type',
  'code',
  'id',
  'srckey',
  'dstkey',
  'packets',
  'bytes',
]);

const MAX_U32 = 0xffffffff;

interface TupleDraft {
  src: string | undefined;
  dst: string | undefined;
  sport: number | undefined;
  dport: number | undefined;
  icmpId: number | undefined;
  packets: number | undefined;
  bytes: number | undefined;
}

function emptyDraft(): TupleDraft {
  return {
    src: undefined,
    dst: undefined,
    sport: undefined,
    dport: undefined,
    icmpId: undefined,
    packets: undefined,
    bytes: undefined,
  };
}

const SPACE = 32;
const TAB = 9;

/** Splits an entry into its blank-separated tokens (a character loop: a regex split costs a third of a parse). */
export function tokenizeEntry(line: string): string[] {
  const tokens: string[] = [];
  let start = -1;
  for (let i = 0; i <= line.length; i++) {
    const code = i < line.length ? line.charCodeAt(i) : SPACE;
    if (code === SPACE || code === TAB) {
      if (start >= 0) tokens.push(line.slice(start, i));
      start = -1;
    } else if (start < 0) start = i;
  }
  return tokens;
}

/** Parses one entry; throws DecodeError with the reason and the offending token. */
export function parseConntrackEntry(line: string): ConntrackEntry {
  if (line.length > MAX_ENTRY_BYTES) {
    throw new DecodeError('oversized', `entry of ${line.length} characters is over the ${MAX_ENTRY_BYTES} limit`);
  }
  const tokens = tokenizeEntry(line);
  let at = 0;
  let family: 'ipv4' | 'ipv6' | undefined;
  const familyInfo = FAMILIES[tokens[0] ?? ''];
  if (familyInfo !== undefined) {
    family = familyInfo.family;
    const number = integerToken(tokens[1], 'family number', 255);
    if (number !== familyInfo.number) {
      throw new DecodeError('wrong_type', `family ${tokens[0]} has number ${familyInfo.number}, not ${tokens[1]}`);
    }
    at = 2;
  }
  const protocolName = tokens[at];
  if (protocolName === undefined || !/^[a-z][a-z0-9_-]*$/.test(protocolName)) {
    throw new DecodeError('malformed', `expected a protocol name, got ${show(protocolName)}`);
  }
  const protocolNumber = integerToken(tokens[at + 1], 'protocol number', 255);
  const timeoutSeconds = integerToken(tokens[at + 2], 'timeout', MAX_U32);
  at += 3;
  let state = '';
  const maybeState = tokens[at];
  if (maybeState !== undefined && /^[A-Z][A-Z0-9_]*$/.test(maybeState)) {
    state = maybeState;
    at++;
  }

  const original = emptyDraft();
  const reply = emptyDraft();
  let section: 'original' | 'reply' | 'attributes' = 'original';
  let unreplied = false;
  let assured = false;
  let zone = 0;
  let id: number | undefined;
  for (; at < tokens.length; at++) {
    const token = tokens[at]!;
    if (token.startsWith('[')) {
      if (!token.endsWith(']')) throw new DecodeError('malformed', `flag ${show(token)} is not closed`);
      if (token === '[UNREPLIED]') unreplied = true;
      else if (token === '[ASSURED]') assured = true;
      continue;
    }
    const equals = token.indexOf('=');
    if (equals <= 0) throw new DecodeError('malformed', `expected key=value or [FLAG], got ${show(token)}`);
    const key = token.slice(0, equals);
    const value = token.slice(equals + 1);
    if (key === 'src' && section === 'original' && original.src !== undefined) section = 'reply';
    else if (section === 'reply' && !TUPLE_KEYS.has(key)) section = 'attributes';
    if (section === 'attributes') {
      if (key === 'zone') zone = integerValue(value, key, 0xffff);
      else if (key === 'id') id = integerValue(value, key, MAX_U32);
      continue;
    }
    readTupleField(section === 'original' ? original : reply, key, value);
  }

  if (original.src === undefined && original.dst === undefined) {
    throw new DecodeError('truncated', 'the entry ends before its original tuple');
  }
  if (reply.src === undefined && reply.dst === undefined) {
    throw new DecodeError('truncated', 'the entry ends before its reply tuple');
  }
  const originalTuple = completeTuple(original, 'original');
  const replyTuple = completeTuple(reply, 'reply');
  const addressFamily = isIP(originalTuple.src) === 6 ? 'ipv6' : 'ipv4';
  if (family !== undefined && addressFamily !== family) {
    throw new DecodeError('wrong_type', `an ${family} entry has the address ${originalTuple.src}`);
  }
  const counted = [originalTuple.packets, originalTuple.bytes, replyTuple.packets, replyTuple.bytes];
  const present = counted.filter((value) => value !== undefined).length;
  if (present !== 0 && present !== counted.length) {
    throw new DecodeError('missing_field', 'packets= and bytes= must be in both tuples or in neither');
  }
  return {
    family: family ?? addressFamily,
    protocolName,
    protocolNumber,
    timeoutSeconds,
    state,
    original: originalTuple,
    reply: replyTuple,
    unreplied,
    assured,
    zone,
    id,
    accounting: present === counted.length,
  };
}

function readTupleField(tuple: TupleDraft, key: string, value: string): void {
  switch (key) {
    case 'src':
    case 'dst':
      if (!isAddress(value)) throw new DecodeError('wrong_type', `${key}=${show(value)} is not an IP address`);
      if (tuple[key] !== undefined) throw new DecodeError('malformed', `${key}= appears twice in a tuple`);
      tuple[key] = value;
      return;
    case 'sport':
    case 'dport':
      tuple[key] = integerValue(value, key, 0xffff);
      return;
    case 'id':
      tuple.icmpId = integerValue(value, key, 0xffff);
      return;
    case 'packets':
    case 'bytes':
      tuple[key] = integerValue(value, key, Number.MAX_SAFE_INTEGER);
      return;
    default:
      // type=, code= (ICMP), srckey=, dstkey= (GRE) and anything newer: not part of a flow's identity here.
      return;
  }
}

function completeTuple(draft: TupleDraft, which: string): ConntrackTuple {
  if (draft.src === undefined) throw new DecodeError('missing_field', `the ${which} tuple has no src=`);
  if (draft.dst === undefined) throw new DecodeError('missing_field', `the ${which} tuple has no dst=`);
  if ((draft.sport === undefined) !== (draft.dport === undefined)) {
    throw new DecodeError('missing_field', `the ${which} tuple has only one of sport= and dport=`);
  }
  return {
    src: draft.src,
    dst: draft.dst,
    sport: draft.sport,
    dport: draft.dport,
    icmpId: draft.icmpId,
    packets: draft.packets,
    bytes: draft.bytes,
  };
}

/** A number of the entry's header: text that is no number there means the line is not an entry at all. */
function integerToken(token: string | undefined, what: string, max: number): number {
  if (token === undefined) throw new DecodeError('truncated', `the entry ends before its ${what}`);
  if (!/^\d+$/.test(token)) throw new DecodeError('malformed', `expected the ${what}, got ${show(token)}`);
  return integerValue(token, what, max);
}

function integerValue(text: string, what: string, max: number): number {
  const value = unsignedValue(text);
  if (!Number.isSafeInteger(value) || value > max) {
    throw new DecodeError('wrong_type', `${what} must be a whole number from 0 to ${max}, got ${show(text)}`);
  }
  return value;
}

/** Decimal digits only, at most 16 of them (past 2^53 the caller's safe-integer check rejects it); else NaN. */
function unsignedValue(text: string): number {
  if (text.length === 0 || text.length > 16) return Number.NaN;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return Number.NaN;
    value = value * 10 + digit;
  }
  return value;
}

/** IPv4 by a character loop (node's isIP is a regex, the costliest step of a parse), IPv6 by isIP. */
function isAddress(text: string): boolean {
  if (text.includes(':')) return isIP(text) === 6;
  let dots = 0;
  let digits = 0;
  let octet = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 46) {
      if (digits === 0) return false;
      dots++;
      digits = 0;
      octet = 0;
    } else if (code >= 48 && code <= 57) {
      // No leading zeros, as isIP: 010 is not an octet.
      if (digits > 0 && octet === 0) return false;
      octet = octet * 10 + code - 48;
      digits++;
      if (octet > 255) return false;
    } else return false;
  }
  return dots === 3 && digits > 0;
}

/** A token as an error message shows it: quoted, and cut short so a hostile line cannot fill the log. */
function show(token: string | undefined): string {
  if (token === undefined) return 'nothing';
  return JSON.stringify(token.length > 64 ? `${token.slice(0, 64)}...` : token);
}
