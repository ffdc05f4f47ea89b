/**
 * A cluster view read from a file of Kubernetes objects (`kubectl get pods,replicasets,jobs,services,nodes
 * -A -o yaml`): YAML or JSON, one or many documents, `kind: List` included. It keeps slim projections,
 * not whole objects, and answers the questions the enrich stage asks: which pod has this IP, which
 * workload owns this pod, which service has this cluster IP.
 */
import { ClusterIndex } from './cluster-index';
import {
  isRecord,
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
import { readResourcesFile, ResourcesFileError, type ResourceDocument } from './resources-file';

export { ResourcesFileError } from './resources-file';

export type { OwnerRef, PodProjection, WorkloadRef } from './projections';

/** Kinds whose objects the view keeps; everything else in the file is ignored. */
const KEPT_KINDS = new Set(['Pod', 'ReplicaSet', 'Job', 'Service', 'Node']);

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
      case 'Node':
        this.index.upsertNode(projectNode(object));
        break;
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

  nodeByIp(ip: string): string | undefined {
    return this.index.nodeByIp(ip);
  }

  serviceByClusterIp(ip: string): ServiceRef | undefined {
    return this.index.serviceByClusterIp(ip);
  }

  workloadOf(pod: PodProjection): WorkloadRef {
    return this.index.workloadOf(pod);
  }

  workloadOfPrefix(namespace: string, prefix: string): WorkloadRef | undefined {
    return this.index.workloadOfPrefix(namespace, prefix);
  }
}
