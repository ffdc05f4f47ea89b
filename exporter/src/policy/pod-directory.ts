/**
 * Finds the pod (with the labels and ports the policy engine needs) behind a flow endpoint: by IP, by
 * namespace and name, or by Calico's aggregated pod prefix (`frontend-7d4b9c8f5-*`), where any pod of the
 * prefix will do, since the pods of one ReplicaSet share their labels and ports.
 */
import type { Endpoint } from '../model/flow';
import type { PodInfo } from './kubernetes';

export class PodDirectory {
  private readonly byIp = new Map<string, PodInfo>();
  private readonly byName = new Map<string, PodInfo>();
  private readonly byPrefix = new Map<string, PodInfo>();

  constructor(pods: readonly PodInfo[]) {
    for (const pod of pods) {
      for (const ip of pod.ips) this.byIp.set(ip, pod);
      this.byName.set(`${pod.namespace}/${pod.name}`, pod);
      const dash = pod.name.lastIndexOf('-');
      if (dash > 0) this.byPrefix.set(`${pod.namespace}/${pod.name.slice(0, dash)}-*`, pod);
    }
  }

  /** By name when the source named the pod (an IP can mislead once reused), else by IP. A file has no history. */
  podFor(endpoint: Endpoint): PodInfo | undefined {
    if (endpoint.pod !== '') {
      const key = `${endpoint.namespace}/${endpoint.pod}`;
      const named = endpoint.pod.endsWith('-*') ? this.byPrefix.get(key) : this.byName.get(key);
      if (named !== undefined) return named;
    }
    return endpoint.ip === '' ? undefined : this.byIp.get(endpoint.ip);
  }
}
