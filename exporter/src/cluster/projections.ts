/**
 * Slim projections of Kubernetes objects: the few fields enrichment needs, not whole objects, so a
 * cluster of 10,000 pods costs megabytes rather than the hundreds the full objects would. Both the static
 * view (YAML or JSON from a file) and the live view (objects from the API client, whose timestamps are
 * Date objects) project through these functions, which take the objects as untyped data.
 */

export interface OwnerRef {
  kind: string;
  name: string;
}

export interface WorkloadRef {
  workload: string;
  kind: string;
}

export interface ServiceRef {
  namespace: string;
  name: string;
}

export interface PodProjection {
  namespace: string;
  name: string;
  /**
   * Tells a pod from a later one of the same name (StatefulSets reuse names): a 30-bit tag of `metadata.uid`
   * (see uidTag), 0 when unknown. The 36-character uid itself would be a twentieth of the pod's budget.
   */
  uid: number;
  /** Shared between pods with equal labels: never mutate. */
  labels: Readonly<Record<string, string>>;
  ips: string[];
  /** For named ports in policies. Shared between pods with equal ports: never mutate. */
  containerPorts: readonly ContainerPortProjection[];
  hostNetwork: boolean;
  /** `spec.serviceAccountName` (Calico's policies match on it); empty when unknown. Interned. */
  serviceAccount: string;
  /** Running or Pending: its IPs are its own. Succeeded and Failed pods keep an IP the network may reuse. */
  active: boolean;
  /** Whole seconds since the epoch (a small integer V8 stores unboxed); 0 when unknown. */
  createdAt: number;
  /** etcd's revision at the pod's last change, as a number (0 when not numeric): resource versions are opaque. */
  resourceVersion: number;
  owner: OwnerRef | undefined;
}

export interface ContainerPortProjection {
  /** Empty when the port is not named. */
  readonly name: string;
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
}

export interface OwnerProjection {
  kind: 'ReplicaSet' | 'Job';
  namespace: string;
  name: string;
  owner: OwnerRef | undefined;
}

export interface ServiceProjection extends ServiceRef {
  clusterIps: string[];
}

/** An EndpointSlice: which pods (and addresses) back a service. */
export interface EndpointSliceProjection {
  namespace: string;
  name: string;
  /** From the `kubernetes.io/service-name` label; empty for slices no service owns. */
  service: string;
  addresses: string[];
  /** Names of the pods the endpoints' `targetRef`s point at, in the slice's namespace. */
  pods: string[];
}

export interface ServiceAccountProjection {
  namespace: string;
  name: string;
  labels: Record<string, string>;
}

export interface NodeProjection {
  name: string;
  internalIps: string[];
}

export interface NamespaceProjection {
  name: string;
  labels: Record<string, string>;
}

export interface ObjectIdentity {
  namespace: string;
  name: string;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The objects among `objects`, each `kind: List` (and `PodList`, `NetworkPolicyList`, ...) replaced by its items, as
 * `kubectl get -o yaml` writes several objects; whatever is not an object is skipped. Lenient: the strict reader of a
 * resources file (static-view.ts) names a malformed List instead.
 */
export function* unpackLists(objects: Iterable<unknown>): Generator<Record<string, unknown>> {
  for (const object of objects) {
    if (!isRecord(object)) continue;
    if (String(object['kind']).endsWith('List') && Array.isArray(object['items'])) yield* unpackLists(object['items']);
    else yield object;
  }
}

export function stringField(object: Record<string, unknown>, key: string): string {
  const value = object[key];
  return typeof value === 'string' ? value : '';
}

function recordField(object: unknown, key: string): Record<string, unknown> {
  const value = isRecord(object) ? object[key] : undefined;
  return isRecord(value) ? value : {};
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function stringMap(value: unknown): Record<string, string> {
  const map: Record<string, string> = {};
  if (isRecord(value)) for (const [key, item] of Object.entries(value)) if (typeof item === 'string') map[key] = item;
  return map;
}

/**
 * Values that repeat across thousands of objects (namespaces, the label sets and owners that every pod
 * of a ReplicaSet shares) are kept once. Bounded: a full table is cleared, and objects keep what they hold.
 */
class InternTable<T> {
  private readonly values = new Map<string, T>();

  constructor(private readonly maxEntries = 65_536) {}

  get(key: string, value: T): T {
    const known = this.values.get(key);
    if (known !== undefined) return known;
    if (this.values.size >= this.maxEntries) this.values.clear();
    this.values.set(key, value);
    return value;
  }
}

const NAMESPACES = new InternTable<string>();
const LABEL_SETS = new InternTable<Readonly<Record<string, string>>>();
const OWNERS = new InternTable<OwnerRef>();
const PORT_LISTS = new InternTable<readonly ContainerPortProjection[]>();
const NO_PORTS: readonly ContainerPortProjection[] = Object.freeze([]);

function intern(text: string): string {
  return NAMESPACES.get(text, text);
}

function internLabels(labels: Record<string, string>): Readonly<Record<string, string>> {
  return LABEL_SETS.get(JSON.stringify(labels), Object.freeze(labels));
}

export function identityOf(object: unknown): ObjectIdentity {
  const metadata = recordField(object, 'metadata');
  return { namespace: intern(stringField(metadata, 'namespace')), name: stringField(metadata, 'name') };
}

export function projectPod(object: unknown): PodProjection {
  const metadata = recordField(object, 'metadata');
  const spec = recordField(object, 'spec');
  const status = recordField(object, 'status');
  const phase = stringField(status, 'phase');
  return {
    ...identityOf(object),
    uid: uidTag(stringField(metadata, 'uid')),
    labels: internLabels(stringMap(metadata['labels'])),
    ips: podIps(status),
    containerPorts: containerPorts(spec),
    hostNetwork: spec['hostNetwork'] === true,
    serviceAccount: intern(stringField(spec, 'serviceAccountName') || stringField(spec, 'serviceAccount')),
    active: phase !== 'Succeeded' && phase !== 'Failed',
    createdAt: Math.floor(timestamp(metadata['creationTimestamp']) / 1000),
    resourceVersion: revision(stringField(metadata, 'resourceVersion')),
    owner: controllerOf(metadata),
  };
}

export function projectOwner(kind: 'ReplicaSet' | 'Job', object: unknown): OwnerProjection {
  return { kind, ...identityOf(object), owner: controllerOf(recordField(object, 'metadata')) };
}

export function projectService(object: unknown): ServiceProjection {
  const spec = recordField(object, 'spec');
  const ips = new Set([stringField(spec, 'clusterIP'), ...stringList(spec['clusterIPs'])]);
  ips.delete('');
  ips.delete('None');
  return { ...identityOf(object), clusterIps: [...ips] };
}

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export function projectEndpointSlice(object: unknown): EndpointSliceProjection {
  const labels = recordField(object, 'metadata')['labels'];
  const addresses = new Set<string>();
  const pods = new Set<string>();
  const endpoints = isRecord(object) ? object['endpoints'] : undefined;
  if (Array.isArray(endpoints)) {
    for (const endpoint of endpoints) {
      if (!isRecord(endpoint)) continue;
      for (const address of stringList(endpoint['addresses'])) addresses.add(address);
      const target = recordField(endpoint, 'targetRef');
      if (stringField(target, 'kind') === 'Pod' && stringField(target, 'name') !== '') {
        pods.add(stringField(target, 'name'));
      }
    }
  }
  return {
    ...identityOf(object),
    service: isRecord(labels) ? stringField(labels, SERVICE_NAME_LABEL) : '',
    addresses: [...addresses],
    pods: [...pods],
  };
}

export function projectNode(object: unknown): NodeProjection {
  const addresses = recordField(object, 'status')['addresses'];
  const internalIps: string[] = [];
  if (Array.isArray(addresses)) {
    for (const address of addresses) {
      if (isRecord(address) && address['type'] === 'InternalIP') internalIps.push(stringField(address, 'address'));
    }
  }
  return { name: identityOf(object).name, internalIps };
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

/** The ports of every container and init container; entries that are not valid ports are left out. */
function containerPorts(spec: Record<string, unknown>): readonly ContainerPortProjection[] {
  const ports: ContainerPortProjection[] = [];
  for (const field of ['initContainers', 'containers']) {
    const containers = spec[field];
    if (!Array.isArray(containers)) continue;
    for (const container of containers) {
      const entries = isRecord(container) ? container['ports'] : undefined;
      if (!Array.isArray(entries)) continue;
      for (const entry of entries) {
        if (!isRecord(entry)) continue;
        const port = entry['containerPort'];
        const protocol = entry['protocol'] ?? 'TCP';
        if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) continue;
        if (protocol !== 'TCP' && protocol !== 'UDP' && protocol !== 'SCTP') continue;
        ports.push({ name: stringField(entry, 'name'), port, protocol });
      }
    }
  }
  if (ports.length === 0) return NO_PORTS;
  return PORT_LISTS.get(JSON.stringify(ports), Object.freeze(ports));
}

function revision(resourceVersion: string): number {
  return /^\d{1,15}$/.test(resourceVersion) ? Number(resourceVersion) : 0;
}

/**
 * A uid as a 30-bit tag (FNV-1a), 0 for none. Two pods of one name whose uids collide (odds about one in a
 * billion) would be taken for the same pod by a late delete: a stale entry until the next update of that name.
 */
export function uidTag(uid: string): number {
  if (uid === '') return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < uid.length; i++) hash = Math.imul(hash ^ uid.charCodeAt(i), 0x01000193);
  return (hash >>> 2) | 1;
}

function timestamp(value: unknown): number {
  const milliseconds = value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isFinite(milliseconds) ? milliseconds : 0;
}

function controllerOf(metadata: Record<string, unknown>): OwnerRef | undefined {
  const owners = Array.isArray(metadata['ownerReferences']) ? metadata['ownerReferences'] : [];
  const records = owners.filter(isRecord);
  const controller = records.find((owner) => owner['controller'] === true) ?? records[0];
  if (controller === undefined) return undefined;
  const kind = stringField(controller, 'kind');
  const name = stringField(controller, 'name');
  return OWNERS.get(`${kind}/${name}`, { kind, name });
}

export function projectServiceAccount(object: unknown): ServiceAccountProjection {
  return { ...identityOf(object), labels: stringMap(recordField(object, 'metadata')['labels']) };
}

export function projectNamespace(object: unknown): NamespaceProjection {
  return { name: identityOf(object).name, labels: stringMap(recordField(object, 'metadata')['labels']) };
}
