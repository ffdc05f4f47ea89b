/**
 * Pods by Calico's aggregated name prefix (`frontend-7d4b9c8f5-*`: the pods of one ReplicaSet or Job), kept
 * as pods come and go. Any pod of a prefix will do for policy: the pods of one generator share their labels
 * and ports.
 */
import type { PodProjection } from './projections';

export class PodsByPrefix {
  /** `namespace/prefix-*` to the pods of that prefix by name. */
  private readonly groups = new Map<string, Map<string, PodProjection>>();

  upsert(pod: PodProjection): void {
    const key = prefixKey(pod.namespace, pod.name);
    if (key === undefined) return;
    let group = this.groups.get(key);
    if (group === undefined) {
      group = new Map();
      this.groups.set(key, group);
    }
    group.set(pod.name, pod);
  }

  /** Removes a pod; with a uid, only if the pod of that name is still that one. */
  remove(namespace: string, name: string, uid = 0): void {
    const key = prefixKey(namespace, name);
    const group = key === undefined ? undefined : this.groups.get(key);
    const pod = group?.get(name);
    if (key === undefined || group === undefined || pod === undefined) return;
    if (uid !== 0 && pod.uid !== 0 && pod.uid !== uid) return;
    group.delete(name);
    if (group.size === 0) this.groups.delete(key);
  }

  /** A pod of `prefix` (`frontend-7d4b9c8f5-*`) in the namespace, preferring one that is running. */
  podFor(namespace: string, prefix: string): PodProjection | undefined {
    const group = this.groups.get(`${namespace}/${prefix}`);
    if (group === undefined) return undefined;
    let found: PodProjection | undefined;
    for (const pod of group.values()) {
      if (pod.active) return pod;
      found ??= pod;
    }
    return found;
  }
}

function prefixKey(namespace: string, name: string): string | undefined {
  const dash = name.lastIndexOf('-');
  return dash > 0 ? `${namespace}/${name.slice(0, dash)}-*` : undefined;
}
