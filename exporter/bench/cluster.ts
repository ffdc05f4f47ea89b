/**
 * cluster_view_bytes_per_pod and cluster_view_upserts_per_s: the cluster index (what the live and static views keep)
 * holding 50,000 pods projected from full, realistic Pod objects (labels, ownerReferences, podIPs, and the
 * annotations, container specs and status the projection drops), with their ReplicaSets, Jobs, ~2,000 Services,
 * nodes and namespaces. Objects come out of JSON.parse, as the API client's do. Deterministic (seeded PRNG).
 */
import { performance } from 'node:perf_hooks';
import { ClusterIndex } from '../src/cluster/cluster-index';
import {
  projectNamespace,
  projectNode,
  projectOwner,
  projectPod,
  projectService,
  type PodProjection,
} from '../src/cluster/projections';
import { mulberry32 } from '../src/demo/random';
import { NAMESPACES as BASE_NAMESPACES, WORKLOAD_WORDS } from './calico-gen';
import { collectGarbage, problem, progress, round, type BenchResult } from './util';
import { pick, between, safeString, hex, type Random } from './random-text';

export const CLUSTER_PODS = 50_000;
const NAMESPACE_COUNT = 125;
const NODES = 400;
const SERVICES = 2_000;

const uuid = (random: Random): string =>
  `${hex(random, 8)}-${hex(random, 4)}-4${hex(random, 3)}-a${hex(random, 3)}-${hex(random, 12)}`;

type Kind = 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'CronJob';

interface Workload {
  namespace: string;
  name: string;
  kind: Kind;
  replicas: number;
  /** ReplicaSet (Deployment) or Job (CronJob) names; the last one is current. */
  generations: string[];
  uid: string;
  port: number;
  team: string;
}

export interface ClusterObjects {
  namespaces: unknown[];
  nodes: unknown[];
  owners: { kind: 'ReplicaSet' | 'Job'; object: unknown }[];
  services: unknown[];
  workloads: Workload[];
  /** Makes pod `index` (a fresh object each call). */
  pod: (index: number) => unknown;
}

/** Through JSON, as objects come from the API client: nothing shared with the generator's strings. */
const parsed = (object: unknown): unknown => JSON.parse(JSON.stringify(object)) as unknown;

export function clusterObjects(seed: number, pods: number, prefix = ''): ClusterObjects {
  const random = mulberry32(seed);
  const namespaceNames: string[] = [];
  for (let i = 0; namespaceNames.length < NAMESPACE_COUNT; i++) {
    const base = BASE_NAMESPACES[i % BASE_NAMESPACES.length]!;
    const round = Math.floor(i / BASE_NAMESPACES.length);
    namespaceNames.push(`${prefix}${round === 0 ? base : `${base}-${['staging', 'dev', 'eu', 'us'][round - 1]}`}`);
  }
  const teams = ['checkout', 'platform', 'growth', 'data', 'identity', 'media'];
  const namespaces = namespaceNames.map((name, i) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      uid: uuid(random),
      labels: { 'kubernetes.io/metadata.name': name, team: teams[i % teams.length]!, env: 'prod' },
    },
  }));
  const nodes = Array.from({ length: NODES }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: `ip-10-0-${i >> 8}-${i & 255}.eu-west-1.compute.internal`, uid: uuid(random) },
    status: { addresses: [{ type: 'InternalIP', address: `10.0.${i >> 8}.${i & 255}` }] },
  }));

  // Workloads: about 20 pods each on average, skewed; Deployments keep old ReplicaSets (revisionHistoryLimit).
  const workloads: Workload[] = [];
  let podTotal = 0;
  for (let i = 0; podTotal < pods; i++) {
    const namespace = namespaceNames[i % namespaceNames.length]!;
    const roll = random();
    const kind: Kind = roll < 0.8 ? 'Deployment' : roll < 0.9 ? 'StatefulSet' : roll < 0.95 ? 'CronJob' : 'DaemonSet';
    const replicas = Math.min(
      pods - podTotal,
      kind === 'DaemonSet' ? 40 : kind === 'CronJob' ? between(random, 1, 3) : 1 + Math.floor(random() ** 2 * 50),
    );
    const name = `${namespace.replace(prefix, '').split('-')[0]}-${pick(random, WORKLOAD_WORDS)}-${i}`;
    const generations =
      kind === 'Deployment'
        ? Array.from({ length: between(random, 2, 6) }, () => `${name}-${safeString(random, 10)}`)
        : kind === 'CronJob'
          ? Array.from({ length: 3 }, (_, job) => `${name}-${29_000_000 + i * 10 + job}`)
          : [];
    workloads.push({
      namespace,
      name,
      kind,
      replicas,
      generations,
      uid: uuid(random),
      port: 8080,
      team: pick(random, teams),
    });
    podTotal += replicas;
  }
  const owners: ClusterObjects['owners'] = [];
  for (const workload of workloads) {
    for (const generation of workload.generations) {
      const kind = workload.kind === 'CronJob' ? 'Job' : 'ReplicaSet';
      owners.push({
        kind,
        object: {
          apiVersion: kind === 'Job' ? 'batch/v1' : 'apps/v1',
          kind,
          metadata: {
            name: generation,
            namespace: workload.namespace,
            uid: uuid(random),
            ownerReferences: [
              {
                apiVersion: kind === 'Job' ? 'batch/v1' : 'apps/v1',
                kind: workload.kind,
                name: workload.name,
                uid: workload.uid,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          },
        },
      });
    }
  }
  const services = workloads
    .filter((workload) => workload.kind === 'Deployment' || workload.kind === 'StatefulSet')
    .slice(0, SERVICES)
    .map((workload, i) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: workload.name, namespace: workload.namespace, uid: uuid(random) },
      spec: {
        clusterIP: `172.20.${i >> 8}.${i & 255}`,
        clusterIPs: [`172.20.${i >> 8}.${i & 255}`],
        selector: { app: workload.name },
        ports: [{ name: 'http', port: 80, targetPort: workload.port, protocol: 'TCP' }],
      },
    }));

  // Pod index -> (workload, replica).
  const starts: number[] = [];
  let start = 0;
  for (const workload of workloads) {
    starts.push(start);
    start += workload.replicas;
  }
  const pod = (index: number): unknown => {
    let low = 0;
    let high = workloads.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (starts[middle]! <= index) low = middle;
      else high = middle - 1;
    }
    const workload = workloads[low]!;
    const replica = index - starts[low]!;
    const own = mulberry32(seed * 31 + index);
    const current = workload.generations[workload.generations.length - 1];
    const owner =
      workload.kind === 'Deployment'
        ? { kind: 'ReplicaSet', name: current! }
        : workload.kind === 'CronJob'
          ? { kind: 'Job', name: workload.generations[replica % workload.generations.length]! }
          : { kind: workload.kind, name: workload.name };
    const name =
      workload.kind === 'StatefulSet' ? `${workload.name}-${replica}` : `${owner.name}-${safeString(own, 5)}`;
    const hash = workload.kind === 'Deployment' ? current!.slice(workload.name.length + 1) : undefined;
    const ip = `10.${16 + (index >> 16)}.${(index >> 8) & 255}.${index & 255}`;
    const node = index % NODES;
    const created = new Date(Date.UTC(2026, 10, 1) + index * 1000).toISOString().replace('.000Z', 'Z');
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        generateName: `${owner.name}-`,
        namespace: workload.namespace,
        uid: uuid(own),
        resourceVersion: String(100_000_000 + index * 7),
        creationTimestamp: created,
        labels: {
          app: workload.name,
          'app.kubernetes.io/name': workload.name,
          'app.kubernetes.io/instance': `${workload.name}-prod`,
          'app.kubernetes.io/part-of': workload.namespace,
          'app.kubernetes.io/managed-by': 'Helm',
          'helm.sh/chart': `${workload.name}-1.4.2`,
          team: workload.team,
          version: 'v1',
          ...(hash === undefined ? {} : { 'pod-template-hash': hash }),
          ...(workload.kind === 'StatefulSet'
            ? { 'statefulset.kubernetes.io/pod-name': name, 'apps.kubernetes.io/pod-index': String(replica) }
            : {}),
          ...(workload.kind === 'CronJob'
            ? { 'job-name': owner.name, 'batch.kubernetes.io/job-name': owner.name }
            : {}),
        },
        annotations: {
          'cni.projectcalico.org/containerID': hex(own, 64),
          'cni.projectcalico.org/podIP': `${ip}/32`,
          'cni.projectcalico.org/podIPs': `${ip}/32`,
          'kubectl.kubernetes.io/restartedAt': '2026-11-20T09:12:44Z',
          'prometheus.io/scrape': 'true',
          'prometheus.io/port': '9090',
          'checksum/config': hex(own, 64),
        },
        ownerReferences: [
          {
            apiVersion: owner.kind === 'Job' ? 'batch/v1' : 'apps/v1',
            kind: owner.kind,
            name: owner.name,
            uid: uuid(own),
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: {
        nodeName: `ip-10-0-${node >> 8}-${node & 255}.eu-west-1.compute.internal`,
        serviceAccountName: workload.name,
        restartPolicy: 'Always',
        dnsPolicy: 'ClusterFirst',
        terminationGracePeriodSeconds: 30,
        containers: [
          {
            name: workload.name,
            image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/${workload.name}:2026.11.${index % 28}`,
            imagePullPolicy: 'IfNotPresent',
            ports: [
              { name: 'http', containerPort: workload.port, protocol: 'TCP' },
              { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
            ],
            env: [
              { name: 'LOG_LEVEL', value: 'info' },
              { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
              { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: 'http://otel-collector.monitoring:4317' },
            ],
            resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } },
            readinessProbe: { httpGet: { path: '/ready', port: 'http', scheme: 'HTTP' }, periodSeconds: 10 },
            livenessProbe: { httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' }, periodSeconds: 10 },
            volumeMounts: [
              { name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
            ],
          },
          {
            name: 'istio-proxy',
            image: 'docker.io/istio/proxyv2:1.24.1',
            args: ['proxy', 'sidecar', '--domain', `${workload.namespace}.svc.cluster.local`],
            resources: { requests: { cpu: '10m', memory: '40Mi' } },
          },
        ],
        volumes: [{ name: 'kube-api-access', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } }],
        tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }],
      },
      status: {
        phase: 'Running',
        hostIP: `10.0.${node >> 8}.${node & 255}`,
        podIP: ip,
        podIPs: [{ ip }],
        startTime: created,
        qosClass: 'Burstable',
        conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
          type,
          status: 'True',
          lastTransitionTime: created,
        })),
        containerStatuses: [
          {
            name: workload.name,
            ready: true,
            restartCount: 0,
            started: true,
            image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/${workload.name}:2026.11.${index % 28}`,
            imageID: `sha256:${hex(own, 64)}`,
            containerID: `containerd://${hex(own, 64)}`,
            state: { running: { startedAt: created } },
          },
        ],
      },
    };
  };
  return { namespaces, nodes, owners, services, workloads, pod };
}

/** Everything but the pods, then the pods (each made and parsed just before its upsert, then dropped). */
function buildIndex(objects: ClusterObjects, pods: number): ClusterIndex {
  const index = new ClusterIndex();
  for (const namespace of objects.namespaces) index.upsertNamespace(projectNamespace(parsed(namespace)));
  for (const node of objects.nodes) index.upsertNode(projectNode(parsed(node)));
  for (const owner of objects.owners) index.upsertOwner(projectOwner(owner.kind, parsed(owner.object)));
  for (const service of objects.services) index.upsertService(projectService(parsed(service)));
  for (let i = 0; i < pods; i++) index.upsertPod(projectPod(parsed(objects.pod(i))));
  return index;
}

export async function benchCluster(seed: number): Promise<BenchResult[]> {
  await Promise.resolve();
  const objects = clusterObjects(seed, CLUSTER_PODS);
  const sampleBytes = Buffer.byteLength(JSON.stringify(objects.pod(0)));
  progress(
    `cluster: ${CLUSTER_PODS} pods (${sampleBytes} bytes of JSON each), ${objects.workloads.length} workloads, ` +
      `${objects.owners.length} ReplicaSets and Jobs, ${objects.services.length} services, ${objects.nodes.length} nodes, ` +
      `${objects.namespaces.length} namespaces`,
  );
  if (objects.services.length !== SERVICES) problem(`${objects.services.length} services, expected ${SERVICES}`);
  // Warm-up on other namespaces and names, so compiled code is not charged but interned values are.
  const warm = clusterObjects(seed + 1, 2000, 'warm-');
  buildIndex(warm, 2000);

  collectGarbage();
  const before = process.memoryUsage();
  const index = buildIndex(objects, CLUSTER_PODS);
  collectGarbage();
  const after = process.memoryUsage();
  const heap = (after.heapUsed - before.heapUsed) / CLUSTER_PODS;
  const external = (after.arrayBuffers - before.arrayBuffers) / CLUSTER_PODS;
  progress(`  ${heap.toFixed(1)} heap bytes/pod + ${external.toFixed(1)} bytes/pod in ArrayBuffers`);
  // Sanity: pods found by IP and name, owner chains resolved to their workloads, services by cluster IP.
  const check = (i: number): PodProjection | undefined =>
    index.podByIp(`10.${16 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`);
  let resolved = 0;
  for (let i = 0; i < CLUSTER_PODS; i += 97) {
    const pod = check(i);
    if (pod === undefined) continue;
    const workload = index.workloadOf(pod);
    if (workload.workload !== '' && pod.labels['app'] === workload.workload) resolved++;
  }
  const sampled = Math.ceil(CLUSTER_PODS / 97);
  progress(
    `  index: ${index.podCount} pods; ${resolved} of ${sampled} sampled pods found by IP with their workload; ` +
      `service of 172.20.0.1: ${index.serviceByClusterIp('172.20.0.1')?.name ?? 'none'}`,
  );
  if (index.podCount !== CLUSTER_PODS) problem(`cluster index holds ${index.podCount} pods, expected ${CLUSTER_PODS}`);
  if (resolved !== sampled) problem(`${sampled - resolved} sampled pods not resolved to their workload`);

  // Upserts: projectPod + upsertPod of parsed objects already in memory, into a fresh index; best of 3.
  const podObjects = Array.from({ length: CLUSTER_PODS }, (_, i) => parsed(objects.pod(i)));
  let best = 0;
  for (let run = 1; run <= 3; run++) {
    const fresh = new ClusterIndex();
    collectGarbage();
    const started = performance.now();
    for (const object of podObjects) fresh.upsertPod(projectPod(object));
    const perSecond = CLUSTER_PODS / ((performance.now() - started) / 1000);
    progress(`  upsert run ${run}/3: ${Math.round(perSecond)} pods/s`);
    best = Math.max(best, perSecond);
  }
  return [
    { name: 'cluster_view_bytes_per_pod', value: Math.round(heap + external), unit: 'bytes/pod' },
    { name: 'cluster_view_upserts_per_s', value: round(best, 0), unit: 'upserts/s' },
  ];
}
