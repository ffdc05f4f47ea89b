/**
 * Which host interface carries a pod's packets: the device of the node's route to the pod's IP, as
 * `ip -j route get <ip>` answers (the kernel's route lookup, iproute2's JSON output).
 *
 * - Routed CNIs install a host route per pod to the pod's veth: Calico (`caliXXXX`, /32 routes), the AWS VPC CNI
 *   (`eniXXXX`), Azure CNI in transparent mode (`azvXXXX`), kube-router and Antrea's per-pod routes. The
 *   interface is the pod's own: capture it whole.
 * - Bridge CNIs route the pod network to a bridge shared by the node's pods: flannel and the bridge plugin (`cni0`),
 *   kubenet (`cbr0`), Weave (`weave`). The interface is shared: capture it with a `host <pod IP>` filter.
 * - Cilium routes pod CIDRs to `cilium_host`, and with eBPF host routing pod traffic never passes the host's
 *   stack there: not supported (the capture would be empty); nor are CNIs that route over an overlay device only.
 * - A route through a gateway means the pod is not on this node: an error.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';

export class InterfaceResolutionError extends Error {
  override readonly name = 'InterfaceResolutionError';
}

export interface PodInterface {
  readonly device: string;
  /** True when other pods' packets cross the device too (a bridge): capture with a host filter. */
  readonly shared: boolean;
}

/** Runs `ip` with an argument array, returning stdout. */
export type IpCommand = (args: readonly string[]) => Promise<string>;

export const runIp: IpCommand = (args) =>
  new Promise((resolve, reject) => {
    execFile('ip', [...args], { timeout: 10_000, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`ip ${args.join(' ')}: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });

/** Devices known to carry no pod's own traffic, or none at all: refusing them beats an empty capture. */
const UNSUPPORTED_DEVICES = new Set(['lo', 'cilium_host', 'cilium_net', 'cilium_vxlan', 'cilium_geneve']);

/** Reads `ip -j route get` output; throws naming the field when it is not what iproute2 prints. */
export function parseRouteGet(output: string, address: string): { device: string; gateway: string | undefined } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(output);
  } catch {
    throw new InterfaceResolutionError(
      `ip -j route get ${address}: output is not JSON; iproute2 4.14 or newer is needed for -j`,
    );
  }
  const route: unknown = Array.isArray(parsed) ? parsed[0] : undefined;
  if (typeof route !== 'object' || route === null || Array.isArray(route)) {
    throw new InterfaceResolutionError(`ip -j route get ${address}: expected a list holding one route object`);
  }
  const fields = route as Record<string, unknown>;
  const device = fields['dev'];
  if (typeof device !== 'string' || device === '') {
    throw new InterfaceResolutionError(`ip -j route get ${address}: the route has no "dev" (device) string`);
  }
  const gateway = fields['gateway'];
  if (gateway !== undefined && typeof gateway !== 'string') {
    throw new InterfaceResolutionError(`ip -j route get ${address}: "gateway" must be a string`);
  }
  return { device, gateway };
}

/** The host interface of the pod with `address`, on this node. */
export async function resolvePodInterface(
  address: string,
  ip: IpCommand = runIp,
  sysClassNet = '/sys/class/net',
): Promise<PodInterface> {
  if (isIP(address) === 0) throw new InterfaceResolutionError(`"${address}" is not an IP address`);
  const { device, gateway } = parseRouteGet(await ip(['-j', 'route', 'get', address]), address);
  if (gateway !== undefined) {
    throw new InterfaceResolutionError(
      `pod IP ${address} is routed through ${gateway} on ${device}: the pod is not on this node`,
    );
  }
  if (UNSUPPORTED_DEVICES.has(device)) {
    throw new InterfaceResolutionError(
      `pod IP ${address} is routed to ${device}, which does not carry the pod's own packets (Cilium and loopback are not supported; see docs/capture.md)`,
    );
  }
  // /sys/class/net/<dev>/bridge exists for bridges only; the name came from the kernel, not from a user.
  const shared = !device.includes('/') && existsSync(join(sysClassNet, device, 'bridge'));
  return { device, shared };
}
