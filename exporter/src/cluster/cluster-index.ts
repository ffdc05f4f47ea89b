/**
 * The indexes behind both cluster views: pods by IP and by name, the middle links of owner chains,
 * services by cluster IP, nodes by internal IP. Objects come and go one at a time (watch events) or in
 * bulk (a file, a relist), and the indexes stay consistent either way.
 */
import { workloadFromPodName } from '../model/workload';
import type {
  NamespaceProjection,
  NodeProjection,
  OwnerProjection,
  OwnerRef,
  PodProjection,
  ServiceProjection,
  ServiceRef,
  WorkloadRef,
} from './projections';
import type { ClusterView } from './view';

export class ClusterIndex implements Omit<ClusterView, 'synced'> {
  private readonly podsByIp = new Map<string, PodProjection>();
  private readonly podsByName = new Map<string, PodProjection>();
  /** ReplicaSets and Jobs by `kind/namespace/name`: the middle links of owner chains. */
  private readonly intermediateOwners = new Map<string, OwnerRef | undefined>();
  private readonly services = new Map<string, ServiceProjection>();
  private readonly servicesByClusterIp = new Map<string, ServiceRef>();
  private readonly nodes = new Map<string, NodeProjection>();
  private readonly nodesByIp = new Map<string, string>();
  private readonly namespaces = new Map<string, Record<string, string>>();

  get podCount(): number {
    return this.podsByName.size;
  }

  upsertPod(pod: PodProjection): void {
    const key = `${pod.namespace}/${pod.name}`;
    const previous = this.podsByName.get(key);
    if (previous !== undefined) this.unindexPodIps(previous);
    this.podsByName.set(key, pod);
    // Host-network pods share their node's IP: the IP names the node, not the pod.
    if (pod.hostNetwork) return;
    for (const ip of pod.ips) {
      const holder = this.podsByIp.get(ip);
      if (holder === undefined || holder === previous || claimsIpOver(pod, holder)) this.podsByIp.set(ip, pod);
    }
  }

  /** Removes a pod; with a uid, only if the pod of that name is still that one. */
  removePod(namespace: string, name: string, uid = ''): void {
    const key = `${namespace}/${name}`;
    const pod = this.podsByName.get(key);
    if (pod === undefined || (uid !== '' && pod.uid !== '' && pod.uid !== uid)) return;
    this.podsByName.delete(key);
    this.unindexPodIps(pod);
  }

  /** An IP entry goes only if it still points at this pod: a newer pod may hold the IP already. */
  private unindexPodIps(pod: PodProjection): void {
    for (const ip of pod.ips) if (this.podsByIp.get(ip) === pod) this.podsByIp.delete(ip);
  }

  upsertOwner(owner: OwnerProjection): void {
    this.intermediateOwners.set(`${owner.kind}/${owner.namespace}/${owner.name}`, owner.owner);
  }

  removeOwner(kind: OwnerProjection['kind'], namespace: string, name: string): void {
    this.intermediateOwners.delete(`${kind}/${namespace}/${name}`);
  }

  upsertService(service: ServiceProjection): void {
    this.removeService(service.namespace, service.name);
    const key = `${service.namespace}/${service.name}`;
    this.services.set(key, service);
    const ref: ServiceRef = { namespace: service.namespace, name: service.name };
    for (const ip of service.clusterIps) this.servicesByClusterIp.set(ip, ref);
  }

  removeService(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const service = this.services.get(key);
    if (service === undefined) return;
    this.services.delete(key);
    for (const ip of service.clusterIps) {
      const holder = this.servicesByClusterIp.get(ip);
      if (holder?.namespace === namespace && holder.name === name) this.servicesByClusterIp.delete(ip);
    }
  }

  upsertNode(node: NodeProjection): void {
    this.removeNode(node.name);
    this.nodes.set(node.name, node);
    for (const ip of node.internalIps) this.nodesByIp.set(ip, node.name);
  }

  removeNode(name: string): void {
    const node = this.nodes.get(name);
    if (node === undefined) return;
    this.nodes.delete(name);
    for (const ip of node.internalIps) if (this.nodesByIp.get(ip) === name) this.nodesByIp.delete(ip);
  }

  upsertNamespace(namespace: NamespaceProjection): void {
    this.namespaces.set(namespace.name, namespace.labels);
  }

  removeNamespace(name: string): void {
    this.namespaces.delete(name);
  }

  /** A namespace's labels, for namespace selectors; undefined when the namespace is not known. */
  namespaceLabels(name: string): Readonly<Record<string, string>> | undefined {
    return this.namespaces.get(name);
  }

  namespaceNames(): string[] {
    return [...this.namespaces.keys()];
  }

  /** `namespace/name` of every pod, service and intermediate owner: what a relist compares against. */
  podKeys(): string[] {
    return [...this.podsByName.keys()];
  }

  ownerKeys(kind: OwnerProjection['kind']): string[] {
    const prefix = `${kind}/`;
    return [...this.intermediateOwners.keys()]
      .filter((key) => key.startsWith(prefix))
      .map((key) => key.slice(prefix.length));
  }

  serviceKeys(): string[] {
    return [...this.services.keys()];
  }

  nodeNames(): string[] {
    return [...this.nodes.keys()];
  }

  podByIp(ip: string): PodProjection | undefined {
    return this.podsByIp.get(ip);
  }

  podByName(namespace: string, name: string): PodProjection | undefined {
    return this.podsByName.get(`${namespace}/${name}`);
  }

  nodeByIp(ip: string): string | undefined {
    return this.nodesByIp.get(ip);
  }

  serviceByClusterIp(ip: string): ServiceRef | undefined {
    return this.servicesByClusterIp.get(ip);
  }

  workloadOf(pod: PodProjection): WorkloadRef {
    if (pod.owner === undefined) return { workload: pod.name, kind: 'Pod' };
    return this.resolveOwner(pod.namespace, pod.owner);
  }

  /** The prefix is the ReplicaSet or Job that generated the pods' names. */
  workloadOfPrefix(namespace: string, prefix: string): WorkloadRef | undefined {
    const generator = prefix.endsWith('-*') ? prefix.slice(0, -2) : prefix;
    for (const kind of ['ReplicaSet', 'Job']) {
      if (this.intermediateOwners.has(`${kind}/${namespace}/${generator}`)) {
        return this.resolveOwner(namespace, { kind, name: generator });
      }
    }
    return undefined;
  }

  private resolveOwner(namespace: string, owner: OwnerRef): WorkloadRef {
    if (owner.kind === 'ReplicaSet' || owner.kind === 'Job') {
      const key = `${owner.kind}/${namespace}/${owner.name}`;
      if (this.intermediateOwners.has(key)) {
        const next = this.intermediateOwners.get(key);
        return next === undefined
          ? { workload: owner.name, kind: owner.kind }
          : { workload: next.name, kind: next.kind };
      }
      // The ReplicaSet or Job is unknown (not in the file, not listed yet): its name still tells
      // (`cart-5f6d7c8b9d` is Deployment `cart`).
      const derived = workloadFromPodName(`${owner.name}-*`);
      if (derived.kind !== '') return derived;
    }
    return { workload: owner.name, kind: owner.kind };
  }
}

/**
 * Which of two pods an IP belongs to when both list it: an active pod over a finished one (whose IP
 * the network may have handed on), then the newer pod, by creation time and then resource version.
 */
export function claimsIpOver(candidate: PodProjection, holder: PodProjection): boolean {
  if (candidate.active !== holder.active) return candidate.active;
  if (candidate.createdAt !== holder.createdAt) return candidate.createdAt > holder.createdAt;
  return candidate.resourceVersion >= holder.resourceVersion;
}
