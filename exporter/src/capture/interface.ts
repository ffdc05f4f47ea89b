/**
 * Which host interface carries a pod's packets: the device of the node's route to the pod's IP, as
 * `ip -j route get <ip>` answers (the kernel's route lookup, iproute2's JSON output).
 *
 * - Routed CNIs install a host route per pod to the pod's veth: Calico (`caliXXXX`, /32 routes), the AWS VPC CNI
 *   (`eniXXXX`), Azure CNI in transparent mode (`azvXXXX`). The interface is the pod's own: capture it whole.
 * - Bridge CNIs route the pod network to a bridge shared by the node's pods: flannel and the bridge plugin (`cni0`),
 *   kubenet (`cbr0`), kube-router (`kube-bridge`), Weave (`weave`). The interface is shared: capture it with a
 *   `host <pod IP>` filter.
 * - Cilium routes pod CIDRs to `cilium_host`, and with eBPF host routing pod traffic never passes the host's
 *   stack there: not supported (the capture would be empty); nor is Open vSwitch (Antrea's gateway) or any device
 *   that is not a veth or a bridge (`ip -j -d link show`'s `info_kind`).
 * - A route through a gateway, or to a device that is neither, means the pod is not here: an error.
 */
import { execFile } from 'node:child_process';
import { isIP } from 'node:net';

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

/** Reads `ip -j -d link show dev DEV` output: the device's kind (`veth`, `bridge`, ...), or '' for a plain NIC. */
export function parseLinkKind(output: string, device: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(output);
  } catch {
    throw new InterfaceResolutionError(`ip -j -d link show dev ${device}: output is not JSON`);
  }
  const link: unknown = Array.isArray(parsed) ? parsed[0] : undefined;
  if (typeof link !== 'object' || link === null || Array.isArray(link)) {
    throw new InterfaceResolutionError(`ip -j -d link show dev ${device}: expected a list holding one link object`);
  }
  const info = (link as Record<string, unknown>)['linkinfo'];
  if (info === undefined) return '';
  const kind = typeof info === 'object' && info !== null ? (info as Record<string, unknown>)['info_kind'] : undefined;
  if (typeof kind !== 'string') {
    throw new InterfaceResolutionError(`ip -j -d link show dev ${device}: "linkinfo.info_kind" must be a string`);
  }
  return kind;
}

/**
 * The host interface of the pod with `address`, on this node: the route's device must be a veth (the pod's own,
 * routed CNIs) or a bridge (shared by the node's pods, bridge CNIs). Anything else (the node's NIC when the address
 * is on its subnet, a tunnel, an Open vSwitch port) does not carry one pod's traffic: refused, never captured.
 */
export async function resolvePodInterface(address: string, ip: IpCommand = runIp): Promise<PodInterface> {
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
  const kind = parseLinkKind(await ip(['-j', '-d', 'link', 'show', 'dev', device]), device);
  if (kind === 'veth') return { device, shared: false };
  if (kind === 'bridge') return { device, shared: true };
  throw new InterfaceResolutionError(
    `pod IP ${address} is routed to ${device}, ${kind === '' ? 'not a veth or bridge (the node’s own network?)' : `a ${kind} device, not a veth or bridge`}: the pod is not on this node or its CNI is not supported (see docs/capture.md)`,
  );
}
