/**
 * The DNS record: one or more DNS queries of one client for one name, as DNS sources decode them (Calico
 * DNS logs, CoreDNS query logs, Hubble's l7.dns events). Like the flow record, it is the contract between
 * sources and the rest of the pipeline; the endpoints are the same Endpoint type, so the same enrichers
 * resolve them to workloads.
 */
import type { Endpoint } from './flow';
import { detached } from './text';

/** Latency of the queries a record stands for, in seconds. */
export interface DnsLatency {
  /** How many of the record's queries were timed (Calico's latency_count). */
  count: number;
  meanSeconds: number;
  maxSeconds: number;
}

export interface DnsRecord {
  /** Unix seconds; 0 when unknown. */
  startTime: number;
  endTime: number;
  node: string;
  /** The pod (or host) that asked. */
  client: Endpoint;
  /** The DNS server that answered (a CoreDNS pod, a node-local cache, an upstream resolver). */
  server: Endpoint;
  /** Lower-case, without the trailing dot. */
  qname: string;
  /** Upper-case mnemonic: A, AAAA, SRV, PTR, ... */
  qtype: string;
  /** Upper-case mnemonic (see normalizeRcode). */
  rcode: string;
  /** Number of queries the record stands for. */
  count: number;
  latency: DnsLatency | undefined;
}

/** Response codes by number (RFC 1035, 2136, 6891, 8490 and the TSIG/TKEY extended codes). */
const RCODE_NAMES: readonly (readonly [number, string])[] = [
  [0, 'NOERROR'],
  [1, 'FORMERR'],
  [2, 'SERVFAIL'],
  [3, 'NXDOMAIN'],
  [4, 'NOTIMP'],
  [5, 'REFUSED'],
  [6, 'YXDOMAIN'],
  [7, 'YXRRSET'],
  [8, 'NXRRSET'],
  [9, 'NOTAUTH'],
  [10, 'NOTZONE'],
  [11, 'DSOTYPENI'],
  [16, 'BADVERS'],
  [17, 'BADKEY'],
  [18, 'BADTIME'],
  [19, 'BADMODE'],
  [20, 'BADNAME'],
  [21, 'BADALG'],
  [22, 'BADTRUNC'],
  [23, 'BADCOOKIE'],
];

const RCODE_BY_NUMBER = new Map<number, string>(RCODE_NAMES);
const RCODE_BY_NAME = new Map<string, string>(RCODE_NAMES.map(([, name]) => [name, name]));
// Spellings seen in the wild besides the mnemonic in any case: Go's miekg/dns RcodeToString and Calico.
RCODE_BY_NAME.set('NOTIMPL', 'NOTIMP');
RCODE_BY_NAME.set('BADSIG', 'BADVERS');

/** Codes outside the table (unassigned numbers) share one label value, so the `rcode` label stays bounded. */
export const OTHER_RCODE = 'OTHER';

/**
 * The upper-case mnemonic of a response code, whatever its spelling: `NoError`, `nxdomain`, `NXDOMAIN`,
 * `3`, or a number. Undefined for text that is no response code at all.
 */
export function normalizeRcode(value: string | number): string | undefined {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > 65535) return undefined;
    return RCODE_BY_NUMBER.get(value) ?? OTHER_RCODE;
  }
  const text = value.trim();
  if (/^\d{1,5}$/.test(text)) return normalizeRcode(Number(text));
  return RCODE_BY_NAME.get(text.toUpperCase());
}

/** `A`, `aaaa`, `TYPE65`: upper-case; undefined for text that is no query type. */
export function normalizeQtype(value: string): string | undefined {
  const text = value.trim().toUpperCase();
  return /^[A-Z][A-Z0-9-]{0,15}$/.test(text) ? text : undefined;
}

/** `Cart.Shop.svc.cluster.local.` -> `cart.shop.svc.cluster.local`; the root is `.`. */
export function normalizeQname(value: string): string {
  const lower = value.trim().toLowerCase();
  if (lower === '.' || lower === '') return lower;
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/**
 * normalizeQtype and normalizeRcode remembered per raw text, for one decoder: a node's queries have a handful of
 * types and codes, line after line, and each hit hands back the same string instance (the aggregator compares
 * it with the previous value by reference). Only valid values are kept (a rejected line is recomputed, and costs
 * its error anyway); each map is cleared when full, so odd spellings from a client cannot grow it. Names are
 * not remembered: a lookup by name cost as much as normalizing it (measured on CoreDNS replay).
 */
export class DnsTextMemo {
  private readonly qtypes = new Map<string, string>();
  private readonly rcodes = new Map<string, string>();

  constructor(private readonly maxEntries = 256) {}

  qtype(raw: string): string | undefined {
    let qtype = this.qtypes.get(raw);
    if (qtype === undefined) {
      qtype = normalizeQtype(raw);
      if (qtype !== undefined) qtype = remember(this.qtypes, raw, qtype, this.maxEntries);
    }
    return qtype;
  }

  rcode(raw: string | number): string | undefined {
    if (typeof raw === 'number') return normalizeRcode(raw);
    let rcode = this.rcodes.get(raw);
    if (rcode === undefined) {
      rcode = normalizeRcode(raw);
      if (rcode !== undefined) rcode = remember(this.rcodes, raw, rcode, this.maxEntries);
    }
    return rcode;
  }
}

/** Keys and values are detached: they are usually pieces of a line, which would keep the line's chunk alive. */
function remember(memo: Map<string, string>, key: string, value: string, limit: number): string {
  if (memo.size >= limit) memo.clear();
  const kept = detached(value);
  memo.set(detached(key), kept);
  return kept;
}
