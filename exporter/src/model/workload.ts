/**
 * Workload and peer-kind derivation for sources that only know pod names or IPs. When the cluster view
 * knows the pod's owner (a later stage), it wins; these rules are the fallback that keeps series per
 * workload rather than per pod, so ephemeral pods do not multiply cardinality.
 */
import type { EndpointKind } from './flow';

export interface DerivedWorkload {
  workload: string;
  /** Best guess of the controller kind; empty where the name cannot tell (DaemonSet and Job pods look alike). */
  kind: string;
}

// Kubernetes' SafeEncodeString alphabet: what ReplicaSet hashes and generated pod-name suffixes are made of.
const RS_HASH = /^[bcdfghjklmnpqrstvwxz2456789]{6,10}$/;
const POD_SUFFIX = /^[bcdfghjklmnpqrstvwxz2456789]{5}$/;
// A CronJob names its Jobs `<cronjob>-<scheduled time in minutes since the epoch>`.
const CRONJOB_SCHEDULE = /^\d{8,}$/;
const ORDINAL = /^\d+$/;

/**
 * The owning controller of a pod, from its name (`frontend-7d4b9c8f5-x2x7k`) or Calico's aggregated
 * prefix (`frontend-7d4b9c8f5-*`): `frontend-7d4b9c8f5-*` is Deployment `frontend`, `db-0` StatefulSet `db`,
 * `backup-29012345-abcde` CronJob `backup`, `fluent-bit-x7k2p` a DaemonSet or Job named `fluent-bit`.
 */
export function workloadFromPodName(podName: string): DerivedWorkload {
  const parts = podName.split('-');
  const last = parts[parts.length - 1];
  if (parts.length < 2 || last === undefined) return { workload: podName, kind: '' };
  const hasGeneratedSuffix = last === '*' || POD_SUFFIX.test(last);
  if (hasGeneratedSuffix) {
    parts.pop();
    const owner = parts[parts.length - 1];
    if (parts.length >= 2 && owner !== undefined) {
      if (RS_HASH.test(owner)) {
        return { workload: parts.slice(0, -1).join('-'), kind: 'Deployment' };
      }
      if (CRONJOB_SCHEDULE.test(owner)) return { workload: parts.slice(0, -1).join('-'), kind: 'CronJob' };
    }
    return { workload: parts.join('-'), kind: '' };
  }
  if (ORDINAL.test(last)) return { workload: parts.slice(0, -1).join('-'), kind: 'StatefulSet' };
  return { workload: podName, kind: '' };
}

/** RFC 1918, carrier-grade NAT, link-local, loopback, and IPv6 unique-local / link-local: "private", not "world". */
export function isPrivateAddress(ip: string): boolean {
  if (ip.includes(':')) {
    const lower = ip.toLowerCase();
    return (
      lower === '::1' ||
      lower.startsWith('fc') ||
      lower.startsWith('fd') ||
      lower.startsWith('fe8') ||
      lower.startsWith('fe9') ||
      lower.startsWith('fea') ||
      lower.startsWith('feb')
    );
  }
  // Read the first two octets in place: this runs for every peer of every record, and split/map allocates.
  const a = leadingOctet(ip, 0);
  const aEnd = octetEnd;
  const b = leadingOctet(ip, aEnd + 1);
  if (a < 0 || b < 0 || ip.charCodeAt(aEnd) !== DOT || !hasTwoMoreOctets(ip, octetEnd)) return false;
  return (
    a === 10 ||
    a === 127 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 169 && b === 254) ||
    (a === 100 && b >= 64 && b <= 127)
  );
}

const DOT = 46;
const ZERO = 48;

/** Where the octet read by the last leadingOctet call ends: a second result without allocating a pair. */
let octetEnd = 0;

/** The decimal octet starting at `start` (-1 if none or over 255); sets octetEnd to where it ends. */
function leadingOctet(ip: string, start: number): number {
  let value = 0;
  let end = start;
  while (end < ip.length && end - start < 3) {
    const digit = ip.charCodeAt(end) - ZERO;
    if (digit < 0 || digit > 9) break;
    value = value * 10 + digit;
    end++;
  }
  octetEnd = end;
  return end === start || value > 255 ? -1 : value;
}

/** After the second octet: `.c.d` and nothing else. */
function hasTwoMoreOctets(ip: string, from: number): boolean {
  if (ip.charCodeAt(from) !== DOT) return false;
  const c = leadingOctet(ip, from + 1);
  if (c < 0 || ip.charCodeAt(octetEnd) !== DOT) return false;
  const d = leadingOctet(ip, octetEnd + 1);
  return d >= 0 && octetEnd === ip.length;
}

/** The workload label of a peer outside the pod network. */
export function externalWorkload(kind: EndpointKind, name: string): string {
  switch (kind) {
    case 'world':
      return 'world';
    case 'private':
      return 'private';
    default:
      return name;
  }
}
