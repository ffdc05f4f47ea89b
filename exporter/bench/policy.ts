/**
 * policy_evals_per_s and policy_evals_uncached_per_s: the unified policy engine with 1,000 policies (Kubernetes
 * NetworkPolicies, Calico NetworkPolicies and GlobalNetworkPolicies in three tiers, AdminNetworkPolicies) over
 * 10,000 pods of 500 workloads in 50 namespaces, all generated as plain Kubernetes objects and read through the
 * real parsers. Deterministic (seeded PRNG).
 */
import { performance } from 'node:perf_hooks';
import { mulberry32 } from '../src/demo/random';
import { parseCalicoObject, type CalicoPolicy, type Tier } from '../src/policy/calico';
import { UnifiedPolicyEngine, type EngineConnection, type EngineSnapshot } from '../src/policy/engine';
import {
  parseAdminNetworkPolicy,
  parseNamespaceInfo,
  parseNetworkPolicy,
  parsePodInfo,
  type AdminNetworkPolicy,
  type NetworkPolicy,
  type PodInfo,
} from '../src/policy/kubernetes';
import { NAMESPACES as BASE_NAMESPACES, WORKLOAD_WORDS } from './calico-gen';
import { collectGarbage, problem, progress, type BenchResult } from './util';
import { pick, between, safeString } from './random-text';

export const POLICY_PODS = 10_000;
export const POLICIES = 1_000;
const NAMESPACE_COUNT = 50;
const WORKLOADS_PER_NAMESPACE = 10;
const STREAM = 200_000;
const UNCACHED_STREAM = 20_000;
const TARGET_CACHED = 200_000;

type Tierish = 'frontend' | 'backend' | 'data';

interface Workload {
  namespace: string;
  name: string;
  tier: Tierish;
  port: number;
  portName: string;
  /** Workloads this one connects to. */
  dependencies: Workload[];
  pods: PodInfo[];
}

export interface PolicyCluster {
  snapshot: EngineSnapshot;
  workloads: Workload[];
  pods: PodInfo[];
  counts: Record<string, number>;
}

const TEAMS = ['checkout', 'platform', 'growth', 'data', 'identity', 'media', 'search', 'ops'] as const;
const TIER_PORTS: Readonly<Record<Tierish, readonly number[]>> = {
  frontend: [8080, 3000, 80],
  backend: [8080, 50051, 9000, 8000],
  data: [5432, 6379, 9092, 27017],
};

const envOf = (namespace: string): string =>
  namespace.endsWith('-staging') ? 'staging' : namespace.endsWith('-dev') ? 'dev' : 'prod';

function namespaceNames(): string[] {
  const names: string[] = [...BASE_NAMESPACES];
  for (const suffix of ['staging', 'dev']) {
    for (const base of BASE_NAMESPACES) {
      if (names.length >= NAMESPACE_COUNT) break;
      names.push(`${base}-${suffix}`);
    }
  }
  return names.slice(0, NAMESPACE_COUNT);
}

/** The cluster: namespaces, workloads with their dependencies and pods, and 1,000 policies. */
export function buildPolicyCluster(seed: number): PolicyCluster {
  const random = mulberry32(seed);
  const namespaces = namespaceNames();
  const namespaceObjects = namespaces.map((name, i) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: {
        'kubernetes.io/metadata.name': name,
        env: envOf(name),
        team: TEAMS[i % TEAMS.length]!,
        ...(name === 'monitoring' ? { role: 'monitoring' } : {}),
        ...(name === 'ingress-nginx' ? { role: 'ingress' } : {}),
      },
    },
  }));

  // Workloads: 10 per namespace, named after the namespace; each with 2 to 4 dependencies, mostly local.
  const workloads: Workload[] = [];
  const byNamespace = new Map<string, Workload[]>();
  for (const namespace of namespaces) {
    const list: Workload[] = [];
    const used = new Set<string>();
    for (let i = 0; i < WORKLOADS_PER_NAMESPACE; i++) {
      const tier: Tierish = i < 2 ? 'frontend' : i < 7 ? 'backend' : 'data';
      let name = `${namespace.split('-')[0]}-${pick(random, WORKLOAD_WORDS)}`;
      if (used.has(name)) name = `${name}-${i}`;
      used.add(name);
      const port = pick(random, TIER_PORTS[tier]);
      list.push({
        namespace,
        name,
        tier,
        port,
        portName: tier === 'data' ? 'db' : port === 50051 ? 'grpc' : 'http',
        dependencies: [],
        pods: [],
      });
    }
    byNamespace.set(namespace, list);
    workloads.push(...list);
  }
  for (const workload of workloads) {
    if (workload.tier === 'data') continue;
    const local = byNamespace.get(workload.namespace)!.filter((other) => other !== workload);
    const wanted = between(random, 2, 4);
    for (let tries = 0; workload.dependencies.length < wanted && tries < 20; tries++) {
      const target =
        random() < 0.8
          ? pick(
              random,
              local.filter((other) =>
                workload.tier === 'frontend' ? other.tier !== 'frontend' : other.tier === 'data',
              ),
            )
          : pick(
              random,
              workloads.filter((other) => envOf(other.namespace) === envOf(workload.namespace)),
            );
      if (target !== workload && !workload.dependencies.includes(target)) workload.dependencies.push(target);
    }
  }

  // Pods: 10,000 over the 500 workloads (1 to 50 replicas, skewed), labels as Deployments give them.
  const weights = workloads.map(() => 0.2 + random() ** 3 * 4);
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const replicas = weights.map((weight) => Math.max(1, Math.floor((weight / total) * POLICY_PODS)));
  for (let i = 0; replicas.reduce((sum, count) => sum + count, 0) < POLICY_PODS; i++) replicas[i % replicas.length]!++;
  let ip = 0;
  workloads.forEach((workload, index) => {
    const hashes = [safeString(random, 10), safeString(random, 10)];
    const canary = random() < 0.2;
    for (let replica = 0; replica < replicas[index]!; replica++) {
      const rollout = canary && replica % 5 === 0 ? 1 : 0;
      const hash = hashes[rollout]!;
      ip++;
      const object = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `${workload.name}-${hash}-${safeString(random, 5)}`,
          namespace: workload.namespace,
          labels: {
            app: workload.name,
            'app.kubernetes.io/name': workload.name,
            'app.kubernetes.io/part-of': workload.namespace,
            'app.kubernetes.io/component': workload.tier,
            tier: workload.tier,
            version: rollout === 1 ? 'v2' : 'v1',
            'pod-template-hash': hash,
            ...(workload.tier === 'data' ? { 'backup.velero.io/enabled': 'true' } : {}),
          },
        },
        spec: {
          containers: [
            {
              name: workload.name,
              image: `registry.example.com/${workload.namespace}/${workload.name}:1.${index % 40}.0`,
              ports: [
                { name: workload.portName, containerPort: workload.port, protocol: 'TCP' },
                { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
              ],
            },
          ],
        },
        status: {
          phase: 'Running',
          podIP: `10.${(ip >> 16) & 255}.${(ip >> 8) & 255}.${ip & 255}`,
          podIPs: [{ ip: `10.${(ip >> 16) & 255}.${(ip >> 8) & 255}.${ip & 255}` }],
        },
      };
      workload.pods.push(parsePodInfo(object));
    }
  });
  const pods = workloads.flatMap((workload) => workload.pods);

  // Policies, as their objects would come from the API server.
  const calicoObjects: unknown[] = [
    { apiVersion: 'projectcalico.org/v3', kind: 'Tier', metadata: { name: 'security' }, spec: { order: 100 } },
    {
      apiVersion: 'projectcalico.org/v3',
      kind: 'Tier',
      metadata: { name: 'platform' },
      spec: { order: 200, defaultAction: 'Pass' },
    },
    {
      apiVersion: 'projectcalico.org/v3',
      kind: 'Tier',
      metadata: { name: 'application' },
      spec: { order: 300, defaultAction: 'Pass' },
    },
  ];
  const knpObjects: unknown[] = [];
  const anpObjects: unknown[] = [];
  const gnp = (name: string, tier: string, order: number, spec: object): void => {
    calicoObjects.push({
      apiVersion: 'projectcalico.org/v3',
      kind: 'GlobalNetworkPolicy',
      metadata: { name: `${tier}.${name}` },
      spec: { tier, order, ...spec },
    });
  };
  const cnp = (namespace: string, name: string, tier: string, order: number, spec: object): void => {
    calicoObjects.push({
      apiVersion: 'projectcalico.org/v3',
      kind: 'NetworkPolicy',
      metadata: { name: tier === 'default' ? name : `${tier}.${name}`, namespace },
      spec: { tier, order, ...spec },
    });
  };
  const knp = (namespace: string, name: string, spec: object): void => {
    knpObjects.push({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec });
  };

  // AdminNetworkPolicies: cluster guard rails.
  const anp = (name: string, priority: number, spec: object): void => {
    anpObjects.push({
      apiVersion: 'policy.networking.k8s.io/v1alpha1',
      kind: 'AdminNetworkPolicy',
      metadata: { name },
      spec: { priority, ...spec },
    });
  };
  anp('staging-not-to-prod', 10, {
    subject: { namespaces: { matchLabels: { env: 'prod' } } },
    ingress: [{ name: 'from-staging', action: 'Deny', from: [{ namespaces: { matchLabels: { env: 'staging' } } }] }],
  });
  anp('dev-not-to-prod', 11, {
    subject: { namespaces: { matchLabels: { env: 'prod' } } },
    ingress: [{ name: 'from-dev', action: 'Deny', from: [{ namespaces: { matchLabels: { env: 'dev' } } }] }],
  });
  anp('monitoring-scrapes', 20, {
    subject: { namespaces: {} },
    ingress: [
      {
        name: 'prometheus',
        action: 'Allow',
        from: [{ namespaces: { matchLabels: { role: 'monitoring' } } }],
        ports: [{ portNumber: { protocol: 'TCP', port: 9090 } }],
      },
    ],
  });
  anp('kube-system-pass', 30, {
    subject: { namespaces: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } },
    ingress: [{ name: 'pass', action: 'Pass', from: [{ namespaces: {} }] }],
  });
  anp('data-tier-lockdown', 40, {
    subject: { pods: { namespaceSelector: {}, podSelector: { matchLabels: { tier: 'data' } } } },
    ingress: [
      {
        name: 'frontends-never',
        action: 'Deny',
        from: [{ pods: { namespaceSelector: {}, podSelector: { matchLabels: { tier: 'frontend' } } } }],
      },
    ],
  });

  // Security tier (Deny at the end of the tier, so every policy ends in Pass).
  gnp('quarantine', 'security', 10, { selector: "quarantine == 'true'", types: ['Ingress', 'Egress'] });
  gnp('block-known-bad-ports', 'security', 20, {
    selector: 'all()',
    types: ['Ingress'],
    ingress: [{ action: 'Deny', protocol: 'TCP', destination: { ports: [22, 23, 2379, 10250] } }, { action: 'Pass' }],
  });
  gnp('dev-egress', 'security', 30, {
    selector: 'all()',
    namespaceSelector: "env == 'dev'",
    types: ['Egress'],
    egress: [{ action: 'Deny', destination: { namespaceSelector: "env == 'prod'" } }, { action: 'Pass' }],
  });
  gnp('baseline', 'security', 1000, {
    selector: 'all()',
    types: ['Ingress', 'Egress'],
    ingress: [{ action: 'Pass' }],
    egress: [{ action: 'Pass' }],
  });
  // Platform tier (Pass default): DNS, monitoring, ingress controller.
  gnp('allow-dns', 'platform', 10, {
    selector: 'all()',
    types: ['Egress'],
    egress: [
      {
        action: 'Allow',
        protocol: 'UDP',
        destination: { namespaceSelector: "projectcalico.org/name == 'kube-system'", ports: [53] },
      },
      {
        action: 'Allow',
        protocol: 'TCP',
        destination: { namespaceSelector: "projectcalico.org/name == 'kube-system'", ports: [53] },
      },
    ],
  });
  gnp('dns-server', 'platform', 11, {
    selector: "k8s-app == 'kube-dns'",
    types: ['Ingress'],
    ingress: [{ action: 'Allow', protocol: 'UDP', destination: { ports: [53] } }],
  });
  gnp('monitoring-egress', 'platform', 20, {
    selector: 'all()',
    namespaceSelector: "role == 'monitoring'",
    types: ['Egress'],
    egress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [9090] } }],
  });
  gnp('ingress-controller', 'platform', 30, {
    selector: "app.kubernetes.io/component == 'frontend'",
    types: ['Ingress'],
    ingress: [{ action: 'Allow', source: { namespaceSelector: "role == 'ingress'" } }],
  });
  for (const team of TEAMS) {
    gnp(`team-${team}-internal`, 'platform', 100, {
      selector: `has(app)`,
      namespaceSelector: `team == '${team}'`,
      types: ['Ingress'],
      ingress: [{ action: 'Pass', source: { namespaceSelector: `team == '${team}'` } }],
    });
  }
  // Application tier: per-namespace Calico policies with set selectors and versions.
  let applicationPolicies = 0;
  const applicationTarget = 230;
  for (let i = 0; applicationPolicies < applicationTarget; i++) {
    const workload = workloads[(i * 7) % workloads.length]!;
    const clients = workloads.filter(
      (other) => other.namespace === workload.namespace && other.dependencies.includes(workload),
    );
    const round = Math.floor((i * 7) / workloads.length);
    if (round === 0) {
      cnp(workload.namespace, `allow-${workload.name}`, 'application', 100, {
        selector: `app == '${workload.name}' && version in {'v1', 'v2'}`,
        types: ['Ingress'],
        ingress: [
          {
            action: 'Allow',
            protocol: 'TCP',
            source: {
              selector:
                clients.length === 0 ? "app == 'none'" : `app in {${clients.map((c) => `'${c.name}'`).join(', ')}}`,
            },
            destination: { ports: [workload.portName] },
          },
          { action: 'Pass' },
        ],
      });
    } else {
      cnp(workload.namespace, `canary-${workload.name}-${round}`, 'default', 500 + round, {
        selector: `app == '${workload.name}' && version == 'v2'`,
        types: ['Egress'],
        egress: [
          { action: 'Deny', destination: { selector: "tier == 'data'", namespaceSelector: "env == 'prod'" } },
          { action: 'Allow' },
        ],
      });
    }
    applicationPolicies++;
  }

  // Kubernetes NetworkPolicies: default deny per namespace, one ingress allow per workload, egress for some.
  for (const namespace of namespaces)
    knp(namespace, 'default-deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] });
  for (const workload of workloads) {
    const clients = workloads.filter((other) => other.dependencies.includes(workload));
    const from = clients.map((client) =>
      client.namespace === workload.namespace
        ? { podSelector: { matchLabels: { app: client.name } } }
        : {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': client.namespace } },
            podSelector: { matchLabels: { app: client.name } },
          },
    );
    knp(workload.namespace, `allow-${workload.name}-ingress`, {
      podSelector: { matchLabels: { app: workload.name } },
      policyTypes: ['Ingress'],
      ingress: [
        // An empty `from` would allow everyone: a workload nobody calls gets only the monitoring rule.
        ...(from.length === 0 ? [] : [{ from, ports: [{ protocol: 'TCP', port: workload.portName }] }]),
        {
          from: [{ namespaceSelector: { matchLabels: { role: 'monitoring' } } }],
          ports: [{ protocol: 'TCP', port: 9090 }],
        },
      ],
    });
  }
  const policyCount = (): number => calicoObjects.length - 3 + knpObjects.length + anpObjects.length;
  for (let i = 0; policyCount() < POLICIES; i++) {
    const workload = workloads[(i * 13) % workloads.length]!;
    knp(workload.namespace, `egress-${workload.name}-${i}`, {
      podSelector: {
        matchExpressions: [
          { key: 'app', operator: 'In', values: [workload.name] },
          { key: 'tier', operator: 'Exists' },
        ],
      },
      policyTypes: ['Egress'],
      egress: [
        {
          to: workload.dependencies.map((dependency) => ({
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': dependency.namespace } },
            podSelector: { matchLabels: { app: dependency.name } },
          })),
        },
        {
          to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }],
          ports: [{ protocol: 'UDP', port: 53 }],
        },
      ],
    });
  }

  const calico = calicoObjects.map(parseCalicoObject);
  const tiers = calico.filter((object): object is Tier => object.kind === 'Tier');
  const calicoPolicies = calico.filter(
    (object): object is CalicoPolicy => object.kind === 'NetworkPolicy' || object.kind === 'GlobalNetworkPolicy',
  );
  const networkPolicies: NetworkPolicy[] = knpObjects.map(parseNetworkPolicy);
  const adminNetworkPolicies: AdminNetworkPolicy[] = anpObjects.map(parseAdminNetworkPolicy);
  const snapshot: EngineSnapshot = {
    namespaces: [...namespaceObjects, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system' } }].map(
      parseNamespaceInfo,
    ),
    tiers,
    calicoPolicies,
    networkPolicies,
    adminNetworkPolicies,
  };
  const counts = {
    kubernetesNetworkPolicies: networkPolicies.length,
    calicoNetworkPolicies: calicoPolicies.filter((policy) => policy.kind === 'NetworkPolicy').length,
    globalNetworkPolicies: calicoPolicies.filter((policy) => policy.kind === 'GlobalNetworkPolicy').length,
    adminNetworkPolicies: adminNetworkPolicies.length,
  };
  return { snapshot, workloads, pods, counts };
}

const COREDNS: PodInfo = parsePodInfo({
  metadata: { name: 'coredns-5d78c9869d-x7k2p', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } },
  spec: { containers: [{ name: 'coredns', ports: [{ name: 'dns', containerPort: 53, protocol: 'UDP' }] }] },
  status: { podIPs: [{ ip: '10.96.0.10' }] },
});

/**
 * A stream of connections as flows would show them: mostly declared dependencies between random pods of the two
 * workloads, plus DNS, Prometheus scrapes, undeclared calls, internet egress and ingress from outside.
 */
export function connectionStream(cluster: PolicyCluster, count: number, seed: number): EngineConnection[] {
  const random = mulberry32(seed);
  const callers = cluster.workloads.filter((workload) => workload.dependencies.length > 0);
  // Prometheus: the first workload of the monitoring namespace.
  const monitoring = cluster.workloads.filter((workload) => workload.namespace === 'monitoring').slice(0, 1);
  // Undeclared calls (policy denies most) come from a few misconfigured clients, again and again.
  const undeclared = Array.from(
    { length: 200 },
    () => [pick(random, callers), pick(random, cluster.workloads)] as const,
  );
  const frontends = cluster.workloads.filter((workload) => workload.tier === 'frontend');
  const pod = (workload: Workload): { kind: 'pod'; pod: PodInfo } => ({
    kind: 'pod',
    pod: pick(random, workload.pods),
  });
  const stream: EngineConnection[] = [];
  for (let i = 0; i < count; i++) {
    const roll = random();
    if (roll < 0.7) {
      const client = pick(random, callers);
      const server = pick(random, client.dependencies);
      stream.push({ source: pod(client), destination: pod(server), port: server.port, protocol: 'tcp' });
    } else if (roll < 0.8) {
      stream.push({
        source: pod(pick(random, callers)),
        destination: { kind: 'pod', pod: COREDNS },
        port: 53,
        protocol: 'udp',
      });
    } else if (roll < 0.86) {
      stream.push({
        source: pod(pick(random, monitoring)),
        destination: pod(pick(random, cluster.workloads)),
        port: 9090,
        protocol: 'tcp',
      });
    } else if (roll < 0.92) {
      const [client, server] = pick(random, undeclared);
      stream.push({ source: pod(client), destination: pod(server), port: server.port, protocol: 'tcp' });
    } else if (roll < 0.96) {
      stream.push({
        source: pod(pick(random, callers)),
        destination: { kind: 'external', ip: `52.${between(random, 0, 255)}.${between(random, 0, 255)}.10` },
        port: 443,
        protocol: 'tcp',
      });
    } else {
      stream.push({
        source: { kind: 'external', ip: `203.0.113.${between(random, 1, 254)}` },
        destination: pod(pick(random, frontends)),
        port: pick(random, [8080, 3000, 80, 22]),
        protocol: 'tcp',
      });
    }
  }
  return stream;
}

function rate(
  engine: UnifiedPolicyEngine,
  stream: readonly EngineConnection[],
): { perSecond: number; allowed: number } {
  collectGarbage();
  let allowed = 0;
  const start = performance.now();
  for (const connection of stream) if (engine.evaluate(connection).verdict === 'allow') allowed++;
  const seconds = (performance.now() - start) / 1000;
  return { perSecond: stream.length / seconds, allowed };
}

export async function benchPolicy(seed: number): Promise<BenchResult[]> {
  await Promise.resolve();
  const started = performance.now();
  const cluster = buildPolicyCluster(seed);
  const policies = Object.values(cluster.counts).reduce((sum, count) => sum + count, 0);
  progress(
    `policy: ${cluster.pods.length} pods, ${cluster.workloads.length} workloads, ${cluster.snapshot.namespaces.length} namespaces, ` +
      `${policies} policies (${Object.entries(cluster.counts)
        .map(([kind, count]) => `${count} ${kind}`)
        .join(
          ', ',
        )}), ${cluster.snapshot.tiers?.length ?? 0} Calico tiers; built in ${(performance.now() - started).toFixed(0)} ms`,
  );
  if (policies !== POLICIES) problem(`${policies} policies, expected ${POLICIES}`);
  if (cluster.pods.length !== POLICY_PODS) problem(`${cluster.pods.length} pods, expected ${POLICY_PODS}`);

  // The verdict mix and who decided, on a sample, from a fresh engine.
  const sample = connectionStream(cluster, 20_000, seed + 1);
  const checker = new UnifiedPolicyEngine(cluster.snapshot);
  const deciders = new Map<string, number>();
  let allowedSample = 0;
  for (const connection of sample) {
    const verdict = checker.evaluate(connection);
    if (verdict.verdict === 'allow') allowedSample++;
    const key = `${verdict.verdict} by ${verdict.decidedBy.tier}`;
    deciders.set(key, (deciders.get(key) ?? 0) + 1);
  }
  progress(
    `  verdicts on ${sample.length} connections: ${allowedSample} allow, ${sample.length - allowedSample} deny; ` +
      [...deciders.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([key, count]) => `${key} ${count}`)
        .join(', '),
  );
  const denyShare = 1 - allowedSample / sample.length;
  if (denyShare < 0.02 || denyShare > 0.5)
    problem(`policy verdict mix looks wrong: ${(denyShare * 100).toFixed(1)} % denied (expected 2 to 50 %)`);

  // Cached: the default engine (10,000 verdicts), warmed on another stream, then the measured stream.
  const stream = connectionStream(cluster, STREAM, seed + 2);
  const keys = new Set(
    stream.map(
      (c) =>
        `${c.source.kind === 'pod' ? c.source.pod.name : c.source.ip}>${c.destination.kind === 'pod' ? c.destination.pod.name : c.destination.ip}:${c.port}`,
    ),
  );
  progress(`  cached: ${stream.length} connections, ${keys.size} distinct (source, destination, port)`);
  const cachedEngine = new UnifiedPolicyEngine(cluster.snapshot);
  rate(cachedEngine, connectionStream(cluster, 50_000, seed + 3));
  let cached = 0;
  for (let run = 1; run <= 3; run++) {
    const result = rate(cachedEngine, stream);
    progress(
      `  cached run ${run}/3: ${Math.round(result.perSecond)} evaluations/s (${result.allowed} allow), ${cachedEngine.cachedVerdicts} verdicts cached`,
    );
    cached = Math.max(cached, result.perSecond);
  }

  // Uncached: a one-entry cache, emptied before every store, so each evaluation (bar a repeat of the previous
  // connection's identities) computes; the identity key is still built, as in production.
  const uncachedStream = stream.slice(0, UNCACHED_STREAM);
  const uncachedEngine = new UnifiedPolicyEngine(cluster.snapshot, { cacheSize: 1 });
  rate(uncachedEngine, uncachedStream.slice(0, 2000));
  let uncached = 0;
  for (let run = 1; run <= 3; run++) {
    const result = rate(uncachedEngine, uncachedStream);
    progress(`  uncached run ${run}/3: ${Math.round(result.perSecond)} evaluations/s (${result.allowed} allow)`);
    uncached = Math.max(uncached, result.perSecond);
  }
  const expected = uncachedStream.filter((connection) => cachedEngine.evaluate(connection).verdict === 'allow').length;
  const got = uncachedStream.filter((connection) => uncachedEngine.evaluate(connection).verdict === 'allow').length;
  if (got !== expected) problem(`uncached engine allows ${got} connections, the cached one ${expected}`);
  if (cached < TARGET_CACHED) progress(`  cached ${Math.round(cached)}/s is below the ${TARGET_CACHED}/s target`);
  return [
    { name: 'policy_evals_per_s', value: Math.round(cached), unit: 'evaluations/s' },
    { name: 'policy_evals_uncached_per_s', value: Math.round(uncached), unit: 'evaluations/s' },
  ];
}
