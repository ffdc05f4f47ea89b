/**
 * Socket addresses as Envoy prints them: `10.0.0.1:8080`, `[2001:db8::1]:443`, and bare IPs. Envoy also logs
 * pipes (`/var/run/x.sock`) and internal listeners (`envoy://...`); those have no IP.
 */
import { isIP } from 'node:net';

/** The IP of an address, or '' when the address holds none (a pipe, a hostname, `-`). */
export function hostOf(address: string): string {
  const host = splitHostPort(address).host;
  return isIP(host) === 0 ? '' : host;
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
