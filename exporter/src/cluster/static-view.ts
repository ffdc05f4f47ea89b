/**
 * A cluster view read from a file of Kubernetes objects (`kubectl get pods,replicasets,jobs,services,
 * endpointslices,nodes -A -o yaml`, plus Calico's network sets): YAML or JSON, one or many documents,
 * `kind: List` included. It keeps slim projections, not whole objects, and answers the questions the enrich
 * stage asks: which pod has this IP, which workload owns this pod, which service has this cluster IP or
 * this pod behind it, which network set has this address.
 */
import { ClusterIndex } from './cluster-index';
import {
  isRecord,
  projectEndpointSlice,
  projectNode,
  projectOwner,
  projectPod,
  projectService,
  stringField,
  type PodProjection,
  type ServiceRef,
  type WorkloadRef,
} from './projections';
import type { ClusterView } from './view';
import type { NetworkSetRef } from './network-sets';
import { parseNetworkSet } from '../policy/calico';
import { readResourcesFile, ResourcesFileError, type ResourceDocument } from './resources-file';

export { ResourcesFileError } from './resources-file';

export type { OwnerRef, PodProjection, WorkloadRef } from './projections';

/** Kinds whose objects the view keeps; everything else in the file is ignored. */
const KEPT_KINDS = new Set([
  'Pod',
  'ReplicaSet',
  'Job',
  'Service',
  'EndpointSlice',
  'Node',
  'NetworkSet',
  'GlobalNetworkSet',
]);

export class StaticClusterView implements ClusterView {
  // A file is one instant: it cannot tell when an IP changed hands, so it keeps no history of IPs.
  private readonly index = new ClusterIndex({ ipHistory: false });

  static fromFile(path: string): StaticClusterView {
    return StaticClusterView.fromDocuments(readResourcesFile(path));
  }

  /** From documents already read (the policy engine reads the same file's policies). */
  static fromDocuments(documents: readonly ResourceDocument[]): StaticClusterView {
    const view = new StaticClusterView();
    for (const document of documents) view.addObject(document.object, document.where);
    return view;
  }

  get podCount(): number {
    return this.index.podCount;
  }

  addObject(object: unknown, where: string): void {
    if (object === null || object === undefined) return;
    if (!isRecord(object) || typeof object['kind'] !== 'string') {
      throw new ResourcesFileError(`${where}: expected a Kubernetes object with a "kind" field`);
    }
    const kind = object['kind'];
    if (kind === 'List' || kind.endsWith('List')) {
      const items = object['items'];
      if (!Array.isArray(items)) throw new ResourcesFileError(`${where}: a ${kind} needs an "items" list`);
      items.forEach((item: unknown, index) => this.addObject(item, `${where}, items[${index}]`));
      return;
    }
    if (!KEPT_KINDS.has(kind)) return;
    const metadata = isRecord(object['metadata']) ? object['metadata'] : {};
    if (stringField(metadata, 'name') === '') throw new ResourcesFileError(`${where}: ${kind} has no metadata.name`);
    switch (kind) {
      case 'Pod':
        this.index.upsertPod(projectPod(object));
        break;
      case 'ReplicaSet':
      case 'Job':
        this.index.upsertOwner(projectOwner(kind, object));
        break;
      case 'Service':
        this.index.upsertService(projectService(object));
        break;
      case 'EndpointSlice':
        this.index.upsertEndpointSlice(projectEndpointSlice(object));
        break;
      case 'Node':
        this.index.upsertNode(projectNode(object));
        break;
      case 'NetworkSet':
      case 'GlobalNetworkSet':
        this.addNetworkSet(object);
        break;
    }
  }

  /**
   * Calico's sets only (Kubernetes has no kind of that name). One that does not parse is left out here: the
   * policy snapshot of the same file reports it.
   */
  private addNetworkSet(object: Record<string, unknown>): void {
    const apiVersion = typeof object['apiVersion'] === 'string' ? object['apiVersion'] : '';
    if (!apiVersion.includes('projectcalico.org')) return;
    try {
      const set = parseNetworkSet(object);
      this.index.networkSets.upsert(`${set.kind}/${set.namespace}/${set.name}`, set);
    } catch {
      return;
    }
  }

  /** A file is whole once read. */
  synced(): boolean {
    return true;
  }

  podByIp(ip: string, atSeconds?: number): PodProjection | undefined {
    return this.index.podByIp(ip, atSeconds);
  }

  podByName(namespace: string, name: string): PodProjection | undefined {
    return this.index.podByName(namespace, name);
  }

  podByUid(uid: string): PodProjection | undefined {
    return this.index.podByUid(uid);
  }

  nodeByIp(ip: string): string | undefined {
    return this.index.nodeByIp(ip);
  }

  serviceByClusterIp(ip: string): ServiceRef | undefined {
    return this.index.serviceByClusterIp(ip);
  }

  serviceOfPod(namespace: string, name: string): ServiceRef | undefined {
    return this.index.serviceOfPod(namespace, name);
  }

  networkSetForIp(ip: string): NetworkSetRef | undefined {
    return this.index.networkSetForIp(ip);
  }

  workloadOf(pod: PodProjection): WorkloadRef {
    return this.index.workloadOf(pod);
  }

  workloadOfPrefix(namespace: string, prefix: string): WorkloadRef | undefined {
    return this.index.workloadOfPrefix(namespace, prefix);
  }
}
