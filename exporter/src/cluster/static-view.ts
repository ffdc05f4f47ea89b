/**
 * A cluster view read from a file of Kubernetes objects (`kubectl get pods,replicasets,jobs,services,nodes
 * -A -o yaml`): YAML or JSON, one or many documents, `kind: List` included. It keeps slim projections,
 * not whole objects, and answers the questions the enrich stage asks: which pod has this IP, which
 * workload owns this pod, which service has this cluster IP.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { workloadFromPodName } from '../model/workload';

export interface OwnerRef {
  kind: string;
  name: string;
}

export interface PodProjection {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  ips: string[];
  hostNetwork: boolean;
  owner: OwnerRef | undefined;
}

export interface WorkloadRef {
  workload: string;
  kind: string;
}

/** Kinds whose objects the view keeps; everything else in the file is ignored. */
const KEPT_KINDS = new Set(['Pod', 'ReplicaSet', 'Job', 'Service', 'Node']);

export class ResourcesFileError extends Error {}

export class StaticClusterView {
  private readonly podsByIp = new Map<string, PodProjection>();
  private readonly podsByName = new Map<string, PodProjection>();
  /** ReplicaSets and Jobs by `namespace/name`: the middle links of owner chains. */
  private readonly intermediateOwners = new Map<string, OwnerRef | undefined>();
  private readonly servicesByClusterIp = new Map<string, { namespace: string; name: string }>();
  private readonly nodesByIp = new Map<string, string>();

  static fromFile(path: string): StaticClusterView {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new ResourcesFileError(
        `resources file ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
    }
    const view = new StaticClusterView();
    parseAllDocuments(text).forEach((document, index) => {
      if (document.errors.length > 0) {
        throw new ResourcesFileError(
          `resources file ${path}: document ${index + 1} is not valid YAML or JSON: ${document.errors[0]?.message.split('\n')[0]}`,
        );
      }
      view.addObject(document.toJS() as unknown, `${path}: document ${index + 1}`);
    });
    return view;
  }

  get podCount(): number {
    return this.podsByName.size;
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
    const name = stringField(metadata, 'name');
    if (name === '') throw new ResourcesFileError(`${where}: ${kind} has no metadata.name`);
    const namespace = stringField(metadata, 'namespace');
    const spec = isRecord(object['spec']) ? object['spec'] : {};
    const status = isRecord(object['status']) ? object['status'] : {};
    switch (kind) {
      case 'Pod':
        this.addPod({
          namespace,
          name,
          labels: stringMap(metadata['labels']),
          ips: podIps(status),
          hostNetwork: spec['hostNetwork'] === true,
          owner: controllerOf(metadata),
        });
        break;
      case 'ReplicaSet':
      case 'Job':
        this.intermediateOwners.set(`${kind}/${namespace}/${name}`, controllerOf(metadata));
        break;
      case 'Service': {
        const clusterIps = [stringField(spec, 'clusterIP'), ...stringList(spec['clusterIPs'])];
        for (const ip of clusterIps)
          if (ip !== '' && ip !== 'None') this.servicesByClusterIp.set(ip, { namespace, name });
        break;
      }
      case 'Node': {
        const addresses = Array.isArray(status['addresses']) ? status['addresses'] : [];
        for (const address of addresses) {
          if (isRecord(address) && address['type'] === 'InternalIP')
            this.nodesByIp.set(stringField(address, 'address'), name);
        }
        break;
      }
    }
  }

  private addPod(pod: PodProjection): void {
    this.podsByName.set(`${pod.namespace}/${pod.name}`, pod);
    // Host-network pods share their node's IP: the IP names the node, not the pod.
    if (!pod.hostNetwork) for (const ip of pod.ips) this.podsByIp.set(ip, pod);
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

  serviceByClusterIp(ip: string): { namespace: string; name: string } | undefined {
    return this.servicesByClusterIp.get(ip);
  }

  /** Follows owner references to the top controller: Pod -> ReplicaSet -> Deployment, Pod -> Job -> CronJob. */
  workloadOf(pod: PodProjection): WorkloadRef {
    if (pod.owner === undefined) return { workload: pod.name, kind: 'Pod' };
    return this.resolveOwner(pod.namespace, pod.owner);
  }

  /**
   * The workload behind Calico's aggregated pod prefix (`frontend-7d4b9c8f5-*`): the prefix is the
   * ReplicaSet, Job, DaemonSet or similar that generated the pods' names.
   */
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
      // The file lacks the ReplicaSet or Job: its name still tells (`cart-5f6d7c8b9d` is Deployment `cart`).
      const derived = workloadFromPodName(`${owner.name}-*`);
      if (derived.kind !== '') return derived;
    }
    return { workload: owner.name, kind: owner.kind };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(object: Record<string, unknown>, key: string): string {
  const value = object[key];
  return typeof value === 'string' ? value : '';
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function stringMap(value: unknown): Record<string, string> {
  const map: Record<string, string> = {};
  if (isRecord(value)) for (const [key, item] of Object.entries(value)) if (typeof item === 'string') map[key] = item;
  return map;
}

function podIps(status: Record<string, unknown>): string[] {
  const ips = new Set<string>();
  const single = stringField(status, 'podIP');
  if (single !== '') ips.add(single);
  if (Array.isArray(status['podIPs'])) {
    for (const entry of status['podIPs']) if (isRecord(entry) && typeof entry['ip'] === 'string') ips.add(entry['ip']);
  }
  return [...ips];
}

function controllerOf(metadata: Record<string, unknown>): OwnerRef | undefined {
  const owners = Array.isArray(metadata['ownerReferences']) ? metadata['ownerReferences'] : [];
  const records = owners.filter(isRecord);
  const controller = records.find((owner) => owner['controller'] === true) ?? records[0];
  if (controller === undefined) return undefined;
  return { kind: stringField(controller, 'kind'), name: stringField(controller, 'name') };
}
