/**
 * The pod behind a process, from its /proc/<pid>/cgroup: the kubelet puts every container of a pod under a
 * cgroup named after the pod's uid. Layouts (cgroup v1 lines `ID:controllers:path`, v2 one line `0::path`):
 *
 *   cgroupfs driver:  .../kubepods[/burstable|/besteffort]/pod<uid>/<container>
 *                     container: `<64 hex>` (containerd, Docker), `crio-<64 hex>` (CRI-O)
 *   systemd driver:   .../kubepods[-burstable|-besteffort]-pod<uid with _ for ->.slice/<container>.scope
 *                     container: `cri-containerd-<id>`, `crio-<id>` (`crio-conmon-<id>` for its monitor), `docker-<id>`
 *
 * Anything may come before `kubepods` (kind nodes nest it under /kubelet, systemd under kubepods.slice), so the
 * first path segment naming a pod under a kubepods segment decides. Static pods use a 32-hex config hash for a uid.
 */
import { DecodeError } from '../types';

export type ContainerRuntime = 'containerd' | 'cri-o' | 'docker' | 'unknown';

export interface PodCgroup {
  podUid: string;
  /** Empty for a process in the pod's cgroup itself (rare: the kubelet puts processes in containers). */
  containerId: string;
  /** `unknown` for the cgroupfs layout, where containerd and Docker both name the cgroup by the bare id. */
  runtime: ContainerRuntime;
}

const UID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32})$/;
const CGROUPFS_POD = /^pod([0-9a-f-]{32,36})$/;
const SYSTEMD_POD = /^(?:[a-z0-9_.]+-)?kubepods(?:-[a-z]+)?-pod([0-9a-f_]{32,36})\.slice$/;
const CONTAINER_ID = /^[0-9a-f]{12,128}$/;

const SYSTEMD_SCOPES: readonly { prefix: string; runtime: ContainerRuntime }[] = [
  { prefix: 'cri-containerd-', runtime: 'containerd' },
  { prefix: 'crio-conmon-', runtime: 'cri-o' },
  { prefix: 'crio-', runtime: 'cri-o' },
  { prefix: 'docker-', runtime: 'docker' },
];

/**
 * The pod of a cgroup file's text, or undefined for a process outside any pod (the host, a non-Kubernetes
 * container). Throws DecodeError for a line that is not `ID:controllers:path`.
 */
export function podOfCgroupFile(text: string): PodCgroup | undefined {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  else if (text.length > 0) throw new DecodeError('truncated', 'the cgroup file ends without a newline');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const firstColon = line.indexOf(':');
    const secondColon = firstColon < 0 ? -1 : line.indexOf(':', firstColon + 1);
    if (secondColon < 0 || !/^\d+$/.test(line.slice(0, firstColon))) {
      throw new DecodeError('malformed', `cgroup line ${i + 1} is not "ID:controllers:path"`);
    }
    const path = line.slice(secondColon + 1);
    if (!path.startsWith('/')) throw new DecodeError('malformed', `cgroup line ${i + 1} has a relative path`);
    const pod = podOfCgroupPath(path);
    if (pod !== undefined) return pod;
  }
  return undefined;
}

/** The pod of one cgroup path, or undefined. */
export function podOfCgroupPath(path: string): PodCgroup | undefined {
  const segments = path.split('/');
  let underKubepods = false;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment === 'kubepods' || /^(?:[a-z0-9_.]+-)?kubepods(?:-[a-z]+)?\.slice$/.test(segment)) {
      underKubepods = true;
      continue;
    }
    if (!underKubepods) continue;
    const cgroupfs = CGROUPFS_POD.exec(segment);
    const systemd = cgroupfs === null ? SYSTEMD_POD.exec(segment) : null;
    const uid = cgroupfs?.[1] ?? systemd?.[1]?.replace(/_/g, '-');
    if (uid === undefined) continue;
    if (!UID.test(uid)) return undefined;
    return { podUid: uid, ...containerOf(segments[i + 1] ?? '') };
  }
  return undefined;
}

function containerOf(segment: string): { containerId: string; runtime: ContainerRuntime } {
  if (segment === '') return { containerId: '', runtime: 'unknown' };
  const name = segment.endsWith('.scope') ? segment.slice(0, -'.scope'.length) : segment;
  for (const { prefix, runtime } of SYSTEMD_SCOPES) {
    if (name.startsWith(prefix)) {
      const id = name.slice(prefix.length);
      return CONTAINER_ID.test(id) ? { containerId: id, runtime } : { containerId: '', runtime: 'unknown' };
    }
  }
  return CONTAINER_ID.test(name) ? { containerId: name, runtime: 'unknown' } : { containerId: '', runtime: 'unknown' };
}
