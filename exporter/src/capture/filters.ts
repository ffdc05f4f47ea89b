/**
 * A capture's packet filters: validated structures (`{protocol, ports}`), turned into a BPF expression for tcpdump
 * by this module alone. No user text reaches the expression: protocols come from a fixed table, ports are integers
 * checked to be in 1..65535, and the only address ever added is one `net.isIP` accepted.
 *
 * Between filters: OR. Inside one filter: AND (the protocol and any of its ports). No filters: every packet.
 */
import { isIP } from 'node:net';

/** A capture resource or command line that does not have the expected shape; the message names the field and fix. */
export class CaptureSpecError extends Error {
  override readonly name = 'CaptureSpecError';
}

export const CAPTURE_PROTOCOLS = ['tcp', 'udp', 'icmp', 'sctp'] as const;
export type CaptureProtocol = (typeof CAPTURE_PROTOCOLS)[number];

export interface PortRange {
  readonly from: number;
  readonly to: number;
}

export interface CaptureFilter {
  /** Undefined: any protocol with ports (tcp, udp, sctp). */
  readonly protocol: CaptureProtocol | undefined;
  /** Empty: any port. */
  readonly ports: readonly PortRange[];
}

/** Bounds that keep the BPF program small (the kernel caps it at 4,096 instructions). */
export const MAX_FILTERS = 16;
export const MAX_PORTS_PER_FILTER = 32;

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

export function parseProtocol(value: unknown, path: string): CaptureProtocol {
  const text = typeof value === 'string' ? value.toLowerCase() : undefined;
  const protocol = CAPTURE_PROTOCOLS.find((candidate) => candidate === text);
  if (protocol === undefined) {
    throw new CaptureSpecError(
      `${path} must be one of ${CAPTURE_PROTOCOLS.map((name) => name.toUpperCase()).join(', ')}, got ${describe(value)}`,
    );
  }
  return protocol;
}

const PORT_TEXT = /^(\d{1,5})(?:-(\d{1,5}))?$/;

/** A port: an integer, or a string "N" or "N-M" (a range, N <= M), each from 1 to 65535. */
export function parsePort(value: unknown, path: string): PortRange {
  const fail = (): never => {
    throw new CaptureSpecError(
      `${path} must be a port from 1 to 65535 or a range "FROM-TO" (FROM <= TO), got ${describe(value)}`,
    );
  };
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 1 || value > 65535) fail();
    return { from: value, to: value };
  }
  if (typeof value !== 'string') return fail();
  const match = PORT_TEXT.exec(value.trim());
  if (match === null) return fail();
  const from = Number(match[1]);
  const to = match[2] === undefined ? from : Number(match[2]);
  if (from < 1 || to > 65535 || from > to) fail();
  return { from, to };
}

/** One filter object `{protocol?, ports?}`; unknown fields are refused (a typo would silently widen the capture). */
export function parseCaptureFilter(value: unknown, path: string): CaptureFilter {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CaptureSpecError(`${path} must be an object {protocol, ports}, got ${describe(value)}`);
  }
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object)) {
    if (key !== 'protocol' && key !== 'ports') {
      throw new CaptureSpecError(`${path}.${key} is not a filter field: use protocol and ports`);
    }
  }
  const protocol =
    object['protocol'] === undefined || object['protocol'] === null
      ? undefined
      : parseProtocol(object['protocol'], `${path}.protocol`);
  const rawPorts = object['ports'] ?? [];
  if (!Array.isArray(rawPorts)) {
    throw new CaptureSpecError(`${path}.ports must be a list of ports and ranges, got ${describe(rawPorts)}`);
  }
  if (rawPorts.length > MAX_PORTS_PER_FILTER) {
    throw new CaptureSpecError(
      `${path}.ports has ${rawPorts.length} entries; at most ${MAX_PORTS_PER_FILTER}: use ranges or split the filter`,
    );
  }
  const ports = rawPorts.map((port: unknown, index) => parsePort(port, `${path}.ports[${index}]`));
  if (protocol === 'icmp' && ports.length > 0) {
    throw new CaptureSpecError(`${path}.ports must be empty for protocol ICMP (ICMP has no ports)`);
  }
  if (protocol === undefined && ports.length === 0) {
    throw new CaptureSpecError(`${path} needs a protocol, ports or both (an empty filter would match everything)`);
  }
  return { protocol, ports };
}

export function parseCaptureFilters(value: unknown, path: string): CaptureFilter[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    throw new CaptureSpecError(`${path} must be a list of {protocol, ports}, got ${describe(value)}`);
  }
  if (value.length > MAX_FILTERS) {
    throw new CaptureSpecError(`${path} has ${value.length} filters; at most ${MAX_FILTERS}`);
  }
  return value.map((filter: unknown, index) => parseCaptureFilter(filter, `${path}[${index}]`));
}

function portTerm(protocol: CaptureProtocol | undefined, port: PortRange): string {
  const prefix = protocol === undefined ? '' : `${protocol} `;
  return port.from === port.to ? `${prefix}port ${port.from}` : `${prefix}portrange ${port.from}-${port.to}`;
}

function filterTerm(filter: CaptureFilter): string {
  if (filter.protocol === 'icmp') return '(icmp or icmp6)';
  if (filter.ports.length === 0) return filter.protocol!;
  const terms = filter.ports.map((port) => portTerm(filter.protocol, port));
  return terms.length === 1 ? terms[0]! : `(${terms.join(' or ')})`;
}

/**
 * The BPF expression for `filters` (OR between them), restricted to packets from or to `hostAddress` when the
 * interface is shared by several pods (a bridge). Empty string: capture everything.
 */
export function bpfExpression(filters: readonly CaptureFilter[], hostAddress?: string): string {
  const parts: string[] = [];
  if (hostAddress !== undefined) {
    if (isIP(hostAddress) === 0) throw new CaptureSpecError(`host address ${describe(hostAddress)} is not an IP`);
    parts.push(`host ${hostAddress}`);
  }
  if (filters.length > 0) {
    const terms = filters.map(filterTerm);
    parts.push(terms.length === 1 ? terms[0]! : `(${terms.join(' or ')})`);
  }
  return parts.join(' and ');
}
