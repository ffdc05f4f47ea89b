/**
 * Socket addresses as Envoy prints them: `10.0.0.1:8080`, `[2001:db8::1]:443`, and bare IPs. Envoy also logs
 * pipes (`/var/run/x.sock`) and internal listeners (`envoy://...`); those have no IP.
 */
import { isIP } from 'node:net';

/** The IP of an address, or '' when the address holds none (a pipe, a hostname, `-`). */
export function hostOf(address: string): string {
  // The common case, `a.b.c.d:port` or `a.b.c.d`, read in place: splitting the address and node's IP regular
  // expression cost more than the rest of the address handling of a line. Anything else takes the general path.
  const end = dottedQuadEnd(address);
  if (end === address.length) return address;
  if (end > 0 && address.charCodeAt(end) === COLON && address.indexOf(':', end + 1) === -1) {
    return address.slice(0, end);
  }
  const host = splitHostPort(address).host;
  return isIP(host) === 0 ? '' : host;
}

const COLON = 0x3a;
const DOT = 0x2e;
const ZERO = 0x30;

/**
 * Where an IPv4 address that `isIP` accepts (four decimal octets up to 255, no leading zeros) ends at the start
 * of `text`, or -1 when the text does not start with one.
 */
function dottedQuadEnd(text: string): number {
  let position = 0;
  for (let octet = 0; octet < 4; octet++) {
    if (octet > 0) {
      if (text.charCodeAt(position) !== DOT) return -1;
      position++;
    }
    const start = position;
    let value = 0;
    while (position < text.length && position - start < 3) {
      const digit = text.charCodeAt(position) - ZERO;
      if (digit < 0 || digit > 9) break;
      value = value * 10 + digit;
      position++;
    }
    const digits = position - start;
    if (digits === 0 || value > 255 || (digits > 1 && text.charCodeAt(start) === ZERO)) return -1;
  }
  const next = text.charCodeAt(position);
  // A fourth digit or more: not an octet.
  return next >= ZERO && next <= ZERO + 9 ? -1 : position;
}

export function splitHostPort(address: string): { host: string; port: number | undefined } {
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    if (close === -1) return { host: address, port: undefined };
    return { host: address.slice(1, close), port: portOf(address.slice(close + 1).replace(/^:/, '')) };
  }
  const colon = address.lastIndexOf(':');
  // More than one colon without brackets: a bare IPv6 address, no port.
  if (colon === -1 || address.indexOf(':') !== colon) return { host: address, port: undefined };
  return { host: address.slice(0, colon), port: portOf(address.slice(colon + 1)) };
}

function portOf(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port <= 65535 ? port : undefined;
}

/** Renders an IP and port the way Envoy does, bracketing IPv6. */
export function joinHostPort(host: string, port: number | undefined): string {
  const shown = host.includes(':') ? `[${host}]` : host;
  return port === undefined ? shown : `${shown}:${port}`;
}
