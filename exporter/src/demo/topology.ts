/**
 * The embedded demo cluster as plain data: nodes, namespaces, workloads, services, peers outside the cluster,
 * Calico-style network policies and the call graph between workloads. traffic.ts turns it into flow logs.
 *
 * The tables below are typed constants meant to be read like a cluster's manifests; `DEMO_TOPOLOGY` resolves
 * them once (pods with names and IPs, call-graph edges pointing at real objects) and fails loudly at module
 * load if a table refers to something that does not exist, so a typo cannot silently drop traffic.
 */
import { hashString } from './random';

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'CronJob';
export type Protocol = 'tcp' | 'udp' | 'icmp';

export interface NodeSpec {
  name: string;
  /** The node's own address (host network), outside the pod network. */
  ip: string;
  /** The /24 of 10.244.0.0/16 the node's pods get their IPs from. */
  podCidr: string;
  zone: string;
}

export interface NamespaceSpec {
  name: string;
  team: string;
}

export interface ProcessSpec {
  /** What Calico reports as `process_name`: the executable's path inside the container. */
  path: string;
}

/** When a CronJob's Jobs run: every `everyMinutes` minutes from `offsetMinutes` past the hour, each for `runSeconds`. */
export interface CronScheduleSpec {
  everyMinutes: number;
  offsetMinutes: number;
  runSeconds: number;
}

export interface WorkloadSpec {
  namespace: string;
  name: string;
  kind: WorkloadKind;
  /** Pods of the workload; for a DaemonSet one per node (the value is ignored), for a CronJob one per running Job. */
  replicas: number;
  labels: Readonly<Record<string, string>>;
  process: ProcessSpec;
  /** Port Prometheus scrapes on each pod, if the workload exposes metrics. */
  metricsPort?: number;
  /** DNS lookups per second (whole workload) at the daily peak; libraries with long-lived pools resolve rarely. */
  dnsQueriesPerSecond: number;
  schedule?: CronScheduleSpec;
}

export interface ServicePortSpec {
  name: string;
  port: number;
  targetPort: number;
  protocol: Protocol;
}

export interface ServiceSpec {
  namespace: string;
  name: string;
  /** The workload whose pods back the service (same namespace). */
  workload: string;
  ports: readonly ServicePortSpec[];
}

/** A peer outside the pod network: the internet (`pub`) or private networks such as on-prem or the nodes (`pvt`). */
export interface ExternalPeerSpec {
  id: string;
  scope: 'pub' | 'pvt';
  ip: string;
  /** The DNS name clients used, which Calico reports in `dest_domains`. */
  domain?: string;
  /** Typical smoothed RTT to the peer in microseconds. */
  rttMicros: number;
  description: string;
}

/** A Calico GlobalNetworkSet: named external CIDRs that policies (and flow logs, as type `ns`) refer to by name. */
export interface NetworkSetSpec {
  name: string;
  nets: readonly string[];
  labels: Readonly<Record<string, string>>;
}

export interface PodSpec {
  name: string;
  namespace: string;
  workload: string;
  node: string;
  ip: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Policies
// ---------------------------------------------------------------------------------------------------------------

export type RuleAction = 'allow' | 'deny' | 'pass';
export type PolicyTierName = 'platform' | 'security' | 'default';

/** `key in (values)`; a selector is a list of these, all of which must hold. */
export interface LabelRequirement {
  key: string;
  values: readonly string[];
}

/** Which pods a policy applies to or a rule names. No namespaces means "any namespace". */
export interface PodSelector {
  namespaces?: readonly string[];
  labels?: readonly LabelRequirement[];
}

export type PeerMatcher =
  | { kind: 'any' }
  | ({ kind: 'pods' } & PodSelector)
  | { kind: 'networkSets'; names: readonly string[] }
  | { kind: 'nets'; cidrs: readonly string[] };

export interface PolicyRule {
  action: RuleAction;
  /** Calico rules name one protocol; none matches any. */
  protocol?: Protocol;
  /** Destination ports; none matches any. */
  ports?: readonly number[];
  /** The other end: the source of an ingress rule, the destination of an egress rule. */
  peer?: PeerMatcher;
  /** Narrows the rule to some of the selected endpoints (Calico's `destination.selector` on an ingress rule). */
  local?: PodSelector;
}

export interface NetworkPolicySpec {
  tier: PolicyTierName;
  /** The policy's short name; `policyTraceName` builds the name flow logs carry. */
  name: string;
  kind: 'global' | 'calico' | 'kubernetes';
  /** Empty for GlobalNetworkPolicies. */
  namespace: string;
  /** A staged policy is evaluated only into the pending trace: what would happen if it were enforced. */
  staged: boolean;
  /** Calico's order within the tier; Kubernetes NetworkPolicies sit at 1000. Ties break on the name. */
  order: number;
  selector: PodSelector;
  /** Undefined when the policy does not govern that direction (its `types`); empty means "deny everything". */
  ingress?: readonly PolicyRule[];
  egress?: readonly PolicyRule[];
}

export interface TierSpec {
  name: PolicyTierName;
  /** Tiers are evaluated in this order. */
  order: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Call graph
// ---------------------------------------------------------------------------------------------------------------

/** The scheduled incidents (see traffic.ts for when they happen). Edges can exist or degrade only during one. */
export type IncidentName =
  'recommendations-port-scan' | 'frontend-to-ledger-db' | 'shipping-nxdomain-storm' | 'checkout-payments-degraded';

/**
 * How much an edge carries at the daily peak. `pooled` clients keep `connectionsPerPod` connections open per source
 * pod and send requests over them (gRPC, database pools, Kafka); `perRequest` clients open one flow per request.
 */
export type ConnectionModel = { kind: 'pooled'; connectionsPerPod: number } | { kind: 'perRequest' };

export interface LoadSpec {
  connections: ConnectionModel;
  /** Requests (or flows, for perRequest) per second for the whole edge at the daily peak. */
  requestsPerSecond: number;
  /** Mean bytes per request from source to destination, and back. */
  requestBytes: number;
  responseBytes: number;
  /** `diurnal` follows user activity; `steady` is machine traffic that runs day and night. */
  shape: 'diurnal' | 'steady';
  /** A daily batch window during which the edge carries `factor` times its load (a nightly backup, a rollover). */
  dailyBatch?: DailyBatchSpec;
}

/** Every day from `startMinute` minutes after midnight UTC, for `minutes` minutes. */
export interface DailyBatchSpec {
  startMinute: number;
  minutes: number;
  factor: number;
}

export type EdgeSourceSpec = string | { external: string } | { networkSet: string; ip: string };
export type EdgeTargetSpec =
  | { service: string; port: string }
  | { workload: string; port: number; protocol?: Protocol }
  | { external: string; port: number | null; protocol?: Protocol }
  | { networkSet: string; ip: string; port: number; protocol?: Protocol };

export interface CallEdgeSpec {
  /** `<namespace>/<workload>`, or a peer outside the cluster. */
  from: EdgeSourceSpec;
  to: EdgeTargetSpec;
  load: LoadSpec;
  /** The edge exists only while this incident is active. */
  activeDuring?: IncidentName;
  /** The edge's latency and error rate degrade while this incident is active. */
  degradedDuring?: IncidentName;
}

export type EdgePeer =
  | { kind: 'workload'; workload: WorkloadSpec }
  | { kind: 'external'; peer: ExternalPeerSpec }
  | { kind: 'networkSet'; set: NetworkSetSpec; ip: string };

export interface ServiceRef {
  namespace: string;
  name: string;
  portName: string;
  port: number;
}

export interface CallEdge {
  /** Stable identity of the edge; seeds its random stream so adding an edge does not reshuffle the others. */
  id: string;
  source: EdgePeer;
  destination: EdgePeer;
  /** Set when clients reach the destination through a ClusterIP service (Calico fills `dest_service_*`). */
  service: ServiceRef | undefined;
  /** The port after service NAT; undefined for ICMP. */
  destPort: number | undefined;
  protocol: Protocol;
  load: LoadSpec;
  activeDuring: IncidentName | undefined;
  degradedDuring: IncidentName | undefined;
}

export interface DemoTopology {
  nodes: readonly NodeSpec[];
  namespaces: readonly NamespaceSpec[];
  workloads: readonly WorkloadSpec[];
  /** Pods of every workload but CronJobs, whose pods come and go with their Jobs (see `cronJobRunAt`). */
  pods: readonly PodSpec[];
  services: readonly ServiceSpec[];
  externalPeers: readonly ExternalPeerSpec[];
  networkSets: readonly NetworkSetSpec[];
  tiers: readonly TierSpec[];
  policies: readonly NetworkPolicySpec[];
  edges: readonly CallEdge[];
}

// ---------------------------------------------------------------------------------------------------------------
// The cluster
// ---------------------------------------------------------------------------------------------------------------

export const NODES: readonly NodeSpec[] = [
  { name: 'node-a', ip: '10.0.1.10', podCidr: '10.244.0.0/24', zone: 'zone-1' },
  { name: 'node-b', ip: '10.0.1.11', podCidr: '10.244.1.0/24', zone: 'zone-1' },
  { name: 'node-c', ip: '10.0.1.12', podCidr: '10.244.2.0/24', zone: 'zone-2' },
  { name: 'node-d', ip: '10.0.1.13', podCidr: '10.244.3.0/24', zone: 'zone-2' },
];

export const NAMESPACES: readonly NamespaceSpec[] = [
  { name: 'ingress', team: 'platform' },
  { name: 'shop', team: 'storefront' },
  { name: 'payments', team: 'payments' },
  { name: 'identity', team: 'identity' },
  { name: 'data', team: 'data-platform' },
  { name: 'monitoring', team: 'platform' },
  { name: 'logging', team: 'platform' },
  { name: 'kube-system', team: 'platform' },
];

const JAVA: ProcessSpec = { path: '/opt/java/openjdk/bin/java' };
const NODE_JS: ProcessSpec = { path: '/usr/local/bin/node' };
const PYTHON: ProcessSpec = { path: '/usr/local/bin/python3' };
const POSTGRES: ProcessSpec = { path: '/usr/lib/postgresql/16/bin/postgres' };
const REDIS: ProcessSpec = { path: '/usr/local/bin/redis-server' };
const OTEL: ProcessSpec = { path: '/otelcol-contrib' };

export const WORKLOADS: readonly WorkloadSpec[] = [
  // ingress
  {
    namespace: 'ingress',
    name: 'ingress-nginx-controller',
    kind: 'Deployment',
    replicas: 3,
    labels: { app: 'ingress-nginx', 'app.kubernetes.io/component': 'controller', tier: 'edge' },
    process: { path: '/usr/bin/nginx' },
    metricsPort: 10254,
    dnsQueriesPerSecond: 0.4,
  },
  // shop: the storefront
  {
    namespace: 'shop',
    name: 'frontend',
    kind: 'Deployment',
    replicas: 4,
    labels: { app: 'frontend', tier: 'web' },
    process: NODE_JS,
    metricsPort: 9464,
    dnsQueriesPerSecond: 6,
  },
  {
    namespace: 'shop',
    name: 'cart',
    kind: 'Deployment',
    replicas: 3,
    labels: { app: 'cart', tier: 'backend' },
    process: { path: '/usr/share/dotnet/dotnet' },
    metricsPort: 9464,
    dnsQueriesPerSecond: 0.3,
  },
  {
    namespace: 'shop',
    name: 'catalog',
    kind: 'Deployment',
    replicas: 3,
    labels: { app: 'catalog', tier: 'backend' },
    process: { path: '/app/catalog' },
    metricsPort: 9464,
    dnsQueriesPerSecond: 0.2,
  },
  {
    namespace: 'shop',
    name: 'checkout',
    kind: 'Deployment',
    replicas: 2,
    labels: { app: 'checkout', tier: 'backend' },
    process: { path: '/app/checkout' },
    metricsPort: 9464,
    dnsQueriesPerSecond: 1.5,
  },
  {
    namespace: 'shop',
    name: 'recommendations',
    kind: 'Deployment',
    replicas: 2,
    labels: { app: 'recommendations', tier: 'backend' },
    process: PYTHON,
    metricsPort: 9464,
    dnsQueriesPerSecond: 0.5,
  },
  {
    namespace: 'shop',
    name: 'shipping',
    kind: 'Deployment',
    replicas: 2,
    labels: { app: 'shipping', tier: 'backend' },
    process: { path: '/app/shipping' },
    dnsQueriesPerSecond: 0.8,
  },
  {
    namespace: 'shop',
    name: 'email',
    kind: 'Deployment',
    replicas: 1,
    labels: { app: 'email', tier: 'backend' },
    process: PYTHON,
    dnsQueriesPerSecond: 1,
  },
  {
    namespace: 'shop',
    name: 'search',
    kind: 'Deployment',
    replicas: 2,
    labels: { app: 'search', tier: 'backend' },
    process: JAVA,
    metricsPort: 9404,
    dnsQueriesPerSecond: 0.2,
  },
  {
    namespace: 'shop',
    name: 'order-worker',
    kind: 'Deployment',
    replicas: 2,
    labels: { app: 'order-worker', tier: 'worker' },
    process: JAVA,
    metricsPort: 9404,
    dnsQueriesPerSecond: 0.1,
  },
  {
    namespace: 'shop',
    name: 'sitemap-generator',
    kind: 'CronJob',
    replicas: 1,
    labels: { app: 'sitemap-generator', tier: 'batch' },
    process: PYTHON,
    dnsQueriesPerSecond: 2,
    schedule: { everyMinutes: 30, offsetMinutes: 7, runSeconds: 150 },
  },
  // payments
  {
    namespace: 'payments',
    name: 'payments-api',
    kind: 'Deployment',
    replicas: 3,
    labels: { app: 'payments-api', tier: 'backend', 'pci-scope': 'true' },
    process: JAVA,
    metricsPort: 9404,
    dnsQueriesPerSecond: 1,
  },
  {
    namespace: 'payments',
    name: 'fraud-detector',
    kind: 'Deployment',
    replicas: 2,
    labels: { app: 'fraud-detector', tier: 'backend', 'pci-scope': 'true' },
    process: PYTHON,
    metricsPort: 9464,
    dnsQueriesPerSecond: 0.1,
  },
  {
    namespace: 'payments',
    name: 'currency',
    kind: 'Deployment',
    replicas: 2,
    labels: { app: 'currency', tier: 'backend' },
    process: NODE_JS,
    metricsPort: 9464,
    dnsQueriesPerSecond: 0.1,
  },
  {
    namespace: 'payments',
    name: 'ledger-db',
    kind: 'StatefulSet',
    replicas: 1,
    labels: { app: 'ledger-db', tier: 'data', 'pci-scope': 'true' },
    process: POSTGRES,
    metricsPort: 9187,
    dnsQueriesPerSecond: 0.02,
  },
  {
    namespace: 'payments',
    name: 'payments-reconciler',
    kind: 'CronJob',
    replicas: 1,
    labels: { app: 'payments-reconciler', tier: 'batch', 'pci-scope': 'true' },
    process: { path: '/app/reconciler' },
    dnsQueriesPerSecond: 1,
    schedule: { everyMinutes: 15, offsetMinutes: 2, runSeconds: 100 },
  },
  // identity
  {
    namespace: 'identity',
    name: 'auth',
    kind: 'Deployment',
    replicas: 3,
    labels: { app: 'auth', tier: 'backend' },
    process: { path: '/app/auth-server' },
    metricsPort: 9090,
    dnsQueriesPerSecond: 0.3,
  },
  {
    namespace: 'identity',
    name: 'users-db',
    kind: 'StatefulSet',
    replicas: 2,
    labels: { app: 'users-db', tier: 'data' },
    process: POSTGRES,
    metricsPort: 9187,
    dnsQueriesPerSecond: 0.02,
  },
  {
    namespace: 'identity',
    name: 'session-cache',
    kind: 'StatefulSet',
    replicas: 1,
    labels: { app: 'session-cache', tier: 'cache' },
    process: REDIS,
    metricsPort: 9121,
    dnsQueriesPerSecond: 0.02,
  },
  {
    namespace: 'identity',
    name: 'ldap-sync',
    kind: 'CronJob',
    replicas: 1,
    labels: { app: 'ldap-sync', tier: 'batch' },
    process: { path: '/app/ldap-sync' },
    dnsQueriesPerSecond: 0.5,
    schedule: { everyMinutes: 20, offsetMinutes: 4, runSeconds: 60 },
  },
  // data: shared stores, default-deny
  {
    namespace: 'data',
    name: 'orders-db',
    kind: 'StatefulSet',
    replicas: 2,
    labels: { app: 'orders-db', tier: 'data' },
    process: POSTGRES,
    metricsPort: 9187,
    dnsQueriesPerSecond: 0.02,
  },
  {
    namespace: 'data',
    name: 'kafka',
    kind: 'StatefulSet',
    replicas: 3,
    labels: { app: 'kafka', tier: 'queue' },
    process: JAVA,
    metricsPort: 9404,
    dnsQueriesPerSecond: 0.2,
  },
  {
    namespace: 'data',
    name: 'redis',
    kind: 'StatefulSet',
    replicas: 1,
    labels: { app: 'redis', tier: 'cache' },
    process: REDIS,
    metricsPort: 9121,
    dnsQueriesPerSecond: 0.02,
  },
  {
    namespace: 'data',
    name: 'elasticsearch',
    kind: 'StatefulSet',
    replicas: 3,
    labels: { app: 'elasticsearch', tier: 'data' },
    process: { path: '/usr/share/elasticsearch/jdk/bin/java' },
    metricsPort: 9114,
    dnsQueriesPerSecond: 0.1,
  },
  // monitoring
  {
    namespace: 'monitoring',
    name: 'prometheus',
    kind: 'StatefulSet',
    replicas: 2,
    labels: { app: 'prometheus', tier: 'monitoring' },
    process: { path: '/bin/prometheus' },
    dnsQueriesPerSecond: 0.5,
  },
  {
    namespace: 'monitoring',
    name: 'alertmanager',
    kind: 'StatefulSet',
    replicas: 1,
    labels: { app: 'alertmanager', tier: 'monitoring' },
    process: { path: '/bin/alertmanager' },
    metricsPort: 9093,
    dnsQueriesPerSecond: 0.05,
  },
  {
    namespace: 'monitoring',
    name: 'grafana',
    kind: 'Deployment',
    replicas: 1,
    labels: { app: 'grafana', tier: 'monitoring' },
    process: { path: '/usr/share/grafana/bin/grafana' },
    metricsPort: 3000,
    dnsQueriesPerSecond: 0.3,
  },
  {
    namespace: 'monitoring',
    name: 'blackbox-exporter',
    kind: 'Deployment',
    replicas: 1,
    labels: { app: 'blackbox-exporter', tier: 'monitoring' },
    process: { path: '/bin/blackbox_exporter' },
    dnsQueriesPerSecond: 0.2,
  },
  {
    namespace: 'monitoring',
    name: 'kube-state-metrics',
    kind: 'Deployment',
    replicas: 1,
    labels: { app: 'kube-state-metrics', tier: 'monitoring' },
    process: { path: '/kube-state-metrics' },
    metricsPort: 8080,
    dnsQueriesPerSecond: 0.02,
  },
  {
    namespace: 'monitoring',
    name: 'otel-agent',
    kind: 'DaemonSet',
    replicas: 0,
    labels: { app: 'otel-agent', tier: 'monitoring' },
    process: OTEL,
    dnsQueriesPerSecond: 0.1,
  },
  {
    namespace: 'monitoring',
    name: 'otel-collector',
    kind: 'Deployment',
    replicas: 2,
    labels: { app: 'otel-collector', tier: 'monitoring' },
    process: OTEL,
    metricsPort: 8888,
    dnsQueriesPerSecond: 0.2,
  },
  // logging
  {
    namespace: 'logging',
    name: 'fluent-bit',
    kind: 'DaemonSet',
    replicas: 0,
    labels: { app: 'fluent-bit', tier: 'logging' },
    process: { path: '/fluent-bit/bin/fluent-bit' },
    metricsPort: 2020,
    dnsQueriesPerSecond: 0.1,
  },
  {
    namespace: 'logging',
    name: 'loki',
    kind: 'StatefulSet',
    replicas: 1,
    labels: { app: 'loki', tier: 'logging' },
    process: { path: '/usr/bin/loki' },
    metricsPort: 3100,
    dnsQueriesPerSecond: 0.05,
  },
  // kube-system
  {
    namespace: 'kube-system',
    name: 'coredns',
    kind: 'Deployment',
    replicas: 2,
    labels: { 'k8s-app': 'kube-dns' },
    process: { path: '/coredns' },
    metricsPort: 9153,
    dnsQueriesPerSecond: 0,
  },
  {
    namespace: 'kube-system',
    name: 'metrics-server',
    kind: 'Deployment',
    replicas: 1,
    labels: { 'k8s-app': 'metrics-server' },
    process: { path: '/metrics-server' },
    dnsQueriesPerSecond: 0.02,
  },
  {
    namespace: 'kube-system',
    name: 'calico-kube-controllers',
    kind: 'Deployment',
    replicas: 1,
    labels: { 'k8s-app': 'calico-kube-controllers' },
    process: { path: '/usr/bin/kube-controllers' },
    metricsPort: 9094,
    dnsQueriesPerSecond: 0.02,
  },
];

function tcpPort(name: string, port: number, targetPort = port): ServicePortSpec {
  return { name, port, targetPort, protocol: 'tcp' };
}

export const SERVICES: readonly ServiceSpec[] = [
  {
    namespace: 'ingress',
    name: 'ingress-nginx-controller',
    workload: 'ingress-nginx-controller',
    ports: [tcpPort('http', 80), tcpPort('https', 443)],
  },
  { namespace: 'shop', name: 'frontend', workload: 'frontend', ports: [tcpPort('http', 80, 8080)] },
  { namespace: 'shop', name: 'cart', workload: 'cart', ports: [tcpPort('grpc', 7070)] },
  { namespace: 'shop', name: 'catalog', workload: 'catalog', ports: [tcpPort('grpc', 3550)] },
  { namespace: 'shop', name: 'checkout', workload: 'checkout', ports: [tcpPort('grpc', 5050)] },
  { namespace: 'shop', name: 'recommendations', workload: 'recommendations', ports: [tcpPort('http', 8080)] },
  { namespace: 'shop', name: 'shipping', workload: 'shipping', ports: [tcpPort('grpc', 50051)] },
  { namespace: 'shop', name: 'email', workload: 'email', ports: [tcpPort('grpc', 5000, 8080)] },
  { namespace: 'shop', name: 'search', workload: 'search', ports: [tcpPort('http', 9000)] },
  { namespace: 'payments', name: 'payments-api', workload: 'payments-api', ports: [tcpPort('https', 8443)] },
  { namespace: 'payments', name: 'fraud-detector', workload: 'fraud-detector', ports: [tcpPort('http', 80, 8080)] },
  { namespace: 'payments', name: 'currency', workload: 'currency', ports: [tcpPort('grpc', 7000)] },
  { namespace: 'payments', name: 'ledger-db', workload: 'ledger-db', ports: [tcpPort('postgres', 5432)] },
  { namespace: 'identity', name: 'auth', workload: 'auth', ports: [tcpPort('http', 80, 8080)] },
  { namespace: 'identity', name: 'users-db', workload: 'users-db', ports: [tcpPort('postgres', 5432)] },
  { namespace: 'identity', name: 'session-cache', workload: 'session-cache', ports: [tcpPort('redis', 6379)] },
  { namespace: 'data', name: 'orders-db', workload: 'orders-db', ports: [tcpPort('postgres', 5432)] },
  // Kafka clients bootstrap through this service, then talk to brokers directly (headless), so most flows carry no service.
  { namespace: 'data', name: 'kafka', workload: 'kafka', ports: [tcpPort('kafka', 9092)] },
  { namespace: 'data', name: 'redis', workload: 'redis', ports: [tcpPort('redis', 6379)] },
  { namespace: 'data', name: 'elasticsearch', workload: 'elasticsearch', ports: [tcpPort('http', 9200)] },
  { namespace: 'monitoring', name: 'prometheus', workload: 'prometheus', ports: [tcpPort('web', 9090)] },
  { namespace: 'monitoring', name: 'alertmanager', workload: 'alertmanager', ports: [tcpPort('web', 9093)] },
  { namespace: 'monitoring', name: 'grafana', workload: 'grafana', ports: [tcpPort('http', 80, 3000)] },
  { namespace: 'monitoring', name: 'otel-collector', workload: 'otel-collector', ports: [tcpPort('otlp-grpc', 4317)] },
  {
    namespace: 'monitoring',
    name: 'kube-state-metrics',
    workload: 'kube-state-metrics',
    ports: [tcpPort('http-metrics', 8080)],
  },
  { namespace: 'logging', name: 'loki', workload: 'loki', ports: [tcpPort('http-metrics', 3100)] },
  {
    namespace: 'kube-system',
    name: 'kube-dns',
    workload: 'coredns',
    ports: [
      { name: 'dns', port: 53, targetPort: 53, protocol: 'udp' },
      tcpPort('dns-tcp', 53),
      tcpPort('metrics', 9153),
    ],
  },
  {
    namespace: 'kube-system',
    name: 'metrics-server',
    workload: 'metrics-server',
    ports: [tcpPort('https', 443, 10250)],
  },
];

/** Documentation ranges (RFC 5737) for the internet, 10.10.0.0/16 for the on-prem datacenter, 10.0.0.0/16 for hosts. */
export const EXTERNAL_PEERS: readonly ExternalPeerSpec[] = [
  {
    id: 'internet-clients',
    scope: 'pub',
    ip: '198.51.100.7',
    rttMicros: 45000,
    description: 'shoppers on the internet',
  },
  {
    id: 'payment-provider',
    scope: 'pub',
    ip: '203.0.113.10',
    domain: 'api.payment-provider.example',
    rttMicros: 28000,
    description: 'card payment provider API',
  },
  {
    id: 'analytics',
    scope: 'pub',
    ip: '198.51.100.20',
    domain: 'collect.analytics.example',
    rttMicros: 18000,
    description: 'web analytics collector',
  },
  {
    id: 'mail-relay',
    scope: 'pub',
    ip: '198.51.100.25',
    domain: 'smtp.mail-relay.example',
    rttMicros: 32000,
    description: 'transactional e-mail relay',
  },
  {
    id: 'carrier-api',
    scope: 'pub',
    ip: '203.0.113.30',
    domain: 'api.carrier.example',
    rttMicros: 41000,
    description: 'parcel carrier rates API',
  },
  {
    id: 'fx-rates',
    scope: 'pub',
    ip: '198.51.100.40',
    domain: 'rates.fx.example',
    rttMicros: 24000,
    description: 'exchange rates feed',
  },
  {
    id: 'pager',
    scope: 'pub',
    ip: '203.0.113.50',
    domain: 'events.pager.example',
    rttMicros: 30000,
    description: 'on-call paging service',
  },
  {
    id: 'object-storage',
    scope: 'pub',
    ip: '203.0.113.60',
    domain: 'storage.cdn.example',
    rttMicros: 15000,
    description: 'object storage behind the CDN',
  },
  {
    id: 'apm-saas',
    scope: 'pub',
    ip: '203.0.113.80',
    domain: 'ingest.apm.example',
    rttMicros: 22000,
    description: 'tracing SaaS ingest',
  },
  {
    id: 'onprem-ledger',
    scope: 'pvt',
    ip: '10.10.4.20',
    domain: 'ledger.corp.internal',
    rttMicros: 2600,
    description: 'on-prem Oracle general ledger',
  },
  {
    id: 'onprem-ldap',
    scope: 'pvt',
    ip: '10.10.8.5',
    domain: 'ldap.corp.internal',
    rttMicros: 2200,
    description: 'corporate LDAP directory',
  },
  { id: 'onprem-dns', scope: 'pvt', ip: '10.10.0.2', rttMicros: 1900, description: 'corporate DNS resolver' },
  { id: 'onprem-gateway', scope: 'pvt', ip: '10.10.0.1', rttMicros: 1500, description: 'VPN gateway to on-prem' },
  { id: 'kube-apiserver', scope: 'pvt', ip: '10.0.0.10', rttMicros: 600, description: 'Kubernetes API server' },
  { id: 'kubelets', scope: 'pvt', ip: '10.0.1.10', rttMicros: 250, description: "the nodes' kubelets" },
];

export const NETWORK_SETS: readonly NetworkSetSpec[] = [
  {
    name: 'known-bad-ips',
    nets: ['192.0.2.0/28', '198.51.100.66/32', '203.0.113.200/32'],
    labels: { feed: 'threat-intel' },
  },
];

export const TIERS: readonly TierSpec[] = [
  { name: 'platform', order: 100 },
  { name: 'security', order: 200 },
  { name: 'default', order: 1000 },
];

function apps(...names: string[]): readonly LabelRequirement[] {
  return [{ key: 'app', values: names }];
}

const FROM_MONITORING: PeerMatcher = { kind: 'pods', namespaces: ['monitoring'] };

export const POLICIES: readonly NetworkPolicySpec[] = [
  // platform tier: DNS always works, whatever later tiers say; everything else passes on.
  {
    tier: 'platform',
    name: 'allow-dns',
    kind: 'global',
    namespace: '',
    staged: false,
    order: 10,
    selector: {},
    ingress: [
      { action: 'allow', protocol: 'udp', ports: [53], local: { labels: [{ key: 'k8s-app', values: ['kube-dns'] }] } },
      { action: 'allow', protocol: 'tcp', ports: [53], local: { labels: [{ key: 'k8s-app', values: ['kube-dns'] }] } },
      { action: 'pass' },
    ],
    egress: [
      {
        action: 'allow',
        protocol: 'udp',
        ports: [53],
        peer: { kind: 'pods', namespaces: ['kube-system'], labels: [{ key: 'k8s-app', values: ['kube-dns'] }] },
      },
      {
        action: 'allow',
        protocol: 'tcp',
        ports: [53],
        peer: { kind: 'pods', namespaces: ['kube-system'], labels: [{ key: 'k8s-app', values: ['kube-dns'] }] },
      },
      { action: 'pass' },
    ],
  },
  // security tier: the threat feed is blocked both ways for every endpoint.
  {
    tier: 'security',
    name: 'block-known-bad',
    kind: 'global',
    namespace: '',
    staged: false,
    order: 10,
    selector: {},
    ingress: [{ action: 'deny', peer: { kind: 'networkSets', names: ['known-bad-ips'] } }, { action: 'pass' }],
    egress: [{ action: 'deny', peer: { kind: 'networkSets', names: ['known-bad-ips'] } }, { action: 'pass' }],
  },
  // ingress
  {
    tier: 'default',
    name: 'allow-public-https',
    kind: 'calico',
    namespace: 'ingress',
    staged: false,
    order: 100,
    selector: { labels: apps('ingress-nginx') },
    ingress: [
      { action: 'allow', protocol: 'tcp', ports: [80, 443], peer: { kind: 'nets', cidrs: ['0.0.0.0/0'] } },
      { action: 'allow', protocol: 'tcp', ports: [10254], peer: FROM_MONITORING },
    ],
    egress: [
      {
        action: 'allow',
        protocol: 'tcp',
        ports: [8080],
        peer: { kind: 'pods', namespaces: ['shop'], labels: apps('frontend') },
      },
      {
        action: 'allow',
        protocol: 'tcp',
        ports: [8080],
        peer: { kind: 'pods', namespaces: ['identity'], labels: apps('auth') },
      },
      { action: 'allow', protocol: 'tcp', ports: [6443], peer: { kind: 'nets', cidrs: ['10.0.0.10/32'] } },
    ],
  },
  // shop
  {
    tier: 'default',
    name: 'allow-frontend',
    kind: 'calico',
    namespace: 'shop',
    staged: false,
    order: 100,
    selector: { labels: apps('frontend') },
    ingress: [{ action: 'allow', protocol: 'tcp', ports: [8080], peer: { kind: 'pods', namespaces: ['ingress'] } }],
  },
  {
    tier: 'default',
    name: 'allow-internal',
    kind: 'calico',
    namespace: 'shop',
    staged: false,
    order: 200,
    selector: { labels: apps('cart', 'catalog', 'checkout', 'recommendations', 'shipping', 'email', 'search') },
    ingress: [{ action: 'allow', protocol: 'tcp', peer: { kind: 'pods', namespaces: ['shop'] } }],
  },
  {
    // Checkout talks to the payment provider only through payments-api; a direct call is a bug to be stopped.
    tier: 'default',
    name: 'checkout-egress',
    kind: 'calico',
    namespace: 'shop',
    staged: false,
    order: 300,
    selector: { labels: apps('checkout') },
    egress: [
      { action: 'allow', protocol: 'tcp', peer: { kind: 'pods', namespaces: ['shop'] } },
      {
        action: 'allow',
        protocol: 'tcp',
        ports: [8443, 7000],
        peer: { kind: 'pods', namespaces: ['payments'], labels: apps('payments-api', 'currency') },
      },
      {
        action: 'allow',
        protocol: 'tcp',
        ports: [9092, 5432],
        peer: { kind: 'pods', namespaces: ['data'], labels: apps('kafka', 'orders-db') },
      },
    ],
  },
  {
    tier: 'default',
    name: 'allow-monitoring',
    kind: 'kubernetes',
    namespace: 'shop',
    staged: false,
    order: 1000,
    selector: {},
    ingress: [{ action: 'allow', protocol: 'tcp', peer: FROM_MONITORING }],
  },
  {
    // Staged lock-down of the frontend's egress: would cut the analytics beacon that is allowed today.
    tier: 'default',
    name: 'frontend-egress',
    kind: 'calico',
    namespace: 'shop',
    staged: true,
    order: 150,
    selector: { labels: apps('frontend') },
    egress: [
      { action: 'allow', protocol: 'tcp', peer: { kind: 'pods', namespaces: ['shop'] } },
      {
        action: 'allow',
        protocol: 'tcp',
        ports: [8080],
        peer: { kind: 'pods', namespaces: ['identity'], labels: apps('auth') },
      },
      {
        action: 'allow',
        protocol: 'tcp',
        ports: [7000],
        peer: { kind: 'pods', namespaces: ['payments'], labels: apps('currency') },
      },
    ],
  },
  // payments
  {
    tier: 'default',
    name: 'allow-checkout',
    kind: 'calico',
    namespace: 'payments',
    staged: false,
    order: 100,
    selector: { labels: apps('payments-api') },
    ingress: [
      {
        action: 'allow',
        protocol: 'tcp',
        ports: [8443],
        peer: { kind: 'pods', namespaces: ['shop'], labels: apps('checkout') },
      },
      { action: 'allow', protocol: 'tcp', ports: [8443], peer: { kind: 'pods', namespaces: ['payments'] } },
    ],
  },
  {
    tier: 'default',
    name: 'allow-currency',
    kind: 'calico',
    namespace: 'payments',
    staged: false,
    order: 100,
    selector: { labels: apps('currency') },
    ingress: [{ action: 'allow', protocol: 'tcp', ports: [7000], peer: { kind: 'pods', namespaces: ['shop'] } }],
  },
  {
    tier: 'default',
    name: 'allow-monitoring',
    kind: 'kubernetes',
    namespace: 'payments',
    staged: false,
    order: 1000,
    selector: { labels: apps('payments-api', 'fraud-detector', 'currency') },
    ingress: [{ action: 'allow', protocol: 'tcp', peer: FROM_MONITORING }],
  },
  {
    tier: 'default',
    name: 'allow-same-namespace',
    kind: 'kubernetes',
    namespace: 'payments',
    staged: false,
    order: 1000,
    selector: { labels: apps('payments-api', 'fraud-detector', 'currency') },
    ingress: [{ action: 'allow', protocol: 'tcp', peer: { kind: 'pods', namespaces: ['payments'] } }],
  },
  {
    // The ledger database was left out of the payments policies; this staged fix would also cut Prometheus's scrape.
    tier: 'default',
    name: 'ledger-db-ingress',
    kind: 'calico',
    namespace: 'payments',
    staged: true,
    order: 100,
    selector: { labels: apps('ledger-db') },
    ingress: [
      {
        action: 'allow',
        protocol: 'tcp',
        ports: [5432],
        peer: { kind: 'pods', namespaces: ['payments'], labels: apps('payments-api', 'payments-reconciler') },
      },
    ],
  },
  // identity
  {
    tier: 'default',
    name: 'allow-auth',
    kind: 'calico',
    namespace: 'identity',
    staged: false,
    order: 100,
    selector: { labels: apps('auth') },
    ingress: [
      {
        action: 'allow',
        protocol: 'tcp',
        ports: [8080],
        peer: { kind: 'pods', namespaces: ['ingress', 'shop', 'payments'] },
      },
    ],
  },
  {
    tier: 'default',
    name: 'allow-auth-stores',
    kind: 'calico',
    namespace: 'identity',
    staged: false,
    order: 200,
    selector: { labels: apps('users-db', 'session-cache') },
    ingress: [
      {
        action: 'allow',
        protocol: 'tcp',
        ports: [5432, 6379],
        peer: { kind: 'pods', namespaces: ['identity'], labels: apps('auth', 'ldap-sync') },
      },
    ],
  },
  {
    tier: 'default',
    name: 'allow-monitoring',
    kind: 'kubernetes',
    namespace: 'identity',
    staged: false,
    order: 1000,
    selector: {},
    ingress: [{ action: 'allow', protocol: 'tcp', peer: FROM_MONITORING }],
  },
  // data: default-deny ingress, then one Kubernetes NetworkPolicy per store.
  {
    tier: 'default',
    name: 'allow-elasticsearch',
    kind: 'kubernetes',
    namespace: 'data',
    staged: false,
    order: 1000,
    selector: { labels: apps('elasticsearch') },
    ingress: [
      {
        action: 'allow',
        protocol: 'tcp',
        ports: [9200],
        peer: { kind: 'pods', namespaces: ['shop'], labels: apps('search') },
      },
      {
        action: 'allow',
        protocol: 'tcp',
        ports: [9300],
        peer: { kind: 'pods', namespaces: ['data'], labels: apps('elasticsearch') },
      },
    ],
  },
  {
    tier: 'default',
    name: 'allow-kafka',
    kind: 'kubernetes',
    namespace: 'data',
    staged: false,
    order: 1000,
    selector: { labels: apps('kafka') },
    ingress: [
      { action: 'allow', protocol: 'tcp', ports: [9092], peer: { kind: 'pods', namespaces: ['shop', 'payments'] } },
      {
        action: 'allow',
        protocol: 'tcp',
        ports: [9092],
        peer: { kind: 'pods', namespaces: ['data'], labels: apps('kafka') },
      },
    ],
  },
  {
    // Kafka's JMX exporter port (9404) is missing here, so Prometheus's scrape of the brokers is denied all day.
    tier: 'default',
    name: 'allow-metrics',
    kind: 'kubernetes',
    namespace: 'data',
    staged: false,
    order: 1000,
    selector: { labels: apps('orders-db', 'redis', 'elasticsearch') },
    ingress: [{ action: 'allow', protocol: 'tcp', ports: [9187, 9121, 9114], peer: FROM_MONITORING }],
  },
  {
    tier: 'default',
    name: 'allow-orders-db',
    kind: 'kubernetes',
    namespace: 'data',
    staged: false,
    order: 1000,
    selector: { labels: apps('orders-db') },
    ingress: [
      {
        action: 'allow',
        protocol: 'tcp',
        ports: [5432],
        peer: { kind: 'pods', namespaces: ['shop'], labels: apps('checkout', 'order-worker') },
      },
    ],
  },
  {
    tier: 'default',
    name: 'allow-redis',
    kind: 'kubernetes',
    namespace: 'data',
    staged: false,
    order: 1000,
    selector: { labels: apps('redis') },
    ingress: [
      {
        action: 'allow',
        protocol: 'tcp',
        ports: [6379],
        peer: { kind: 'pods', namespaces: ['shop'], labels: apps('cart') },
      },
    ],
  },
  {
    tier: 'default',
    name: 'default-deny',
    kind: 'kubernetes',
    namespace: 'data',
    staged: false,
    order: 1000,
    selector: {},
    ingress: [],
  },
];

// ---------------------------------------------------------------------------------------------------------------
// Call graph. DNS lookups and Prometheus scrapes are derived from the workload table (see `derivedEdges`).
// ---------------------------------------------------------------------------------------------------------------

function pooled(
  connectionsPerPod: number,
  requestsPerSecond: number,
  requestBytes: number,
  responseBytes: number,
  shape: LoadSpec['shape'] = 'diurnal',
): LoadSpec {
  return { connections: { kind: 'pooled', connectionsPerPod }, requestsPerSecond, requestBytes, responseBytes, shape };
}

function perRequest(
  requestsPerSecond: number,
  requestBytes: number,
  responseBytes: number,
  shape: LoadSpec['shape'] = 'diurnal',
): LoadSpec {
  return { connections: { kind: 'perRequest' }, requestsPerSecond, requestBytes, responseBytes, shape };
}

/** Ports a scanner tries on every pod it finds: SSH, Postgres, Redis, Elasticsearch. */
const SCANNED_PORTS: readonly number[] = [22, 5432, 6379, 9200];
const SCANNED_WORKLOADS: readonly string[] = ['data/orders-db', 'data/redis', 'data/kafka'];

export const CALL_GRAPH: readonly CallEdgeSpec[] = [
  // internet -> ingress -> storefront
  {
    from: { external: 'internet-clients' },
    to: { service: 'ingress/ingress-nginx-controller', port: 'https' },
    load: perRequest(40, 2600, 42000),
  },
  {
    from: { external: 'internet-clients' },
    to: { service: 'ingress/ingress-nginx-controller', port: 'http' },
    load: perRequest(5, 420, 310),
  },
  {
    // Background noise from the threat feed, dropped by security.block-known-bad all day.
    from: { networkSet: 'known-bad-ips', ip: '192.0.2.5' },
    to: { service: 'ingress/ingress-nginx-controller', port: 'https' },
    load: perRequest(0.4, 180, 0, 'steady'),
  },
  {
    from: 'ingress/ingress-nginx-controller',
    to: { service: 'shop/frontend', port: 'http' },
    load: pooled(8, 110, 1300, 14500),
  },
  {
    from: 'ingress/ingress-nginx-controller',
    to: { service: 'identity/auth', port: 'http' },
    load: pooled(2, 12, 900, 1600),
  },
  {
    from: 'ingress/ingress-nginx-controller',
    to: { external: 'kube-apiserver', port: 6443 },
    load: pooled(1, 0.5, 600, 2400, 'steady'),
  },
  // storefront fan-out
  { from: 'shop/frontend', to: { service: 'shop/cart', port: 'grpc' }, load: pooled(2, 60, 310, 920) },
  { from: 'shop/frontend', to: { service: 'shop/catalog', port: 'grpc' }, load: pooled(2, 150, 260, 4300) },
  { from: 'shop/frontend', to: { service: 'shop/checkout', port: 'grpc' }, load: pooled(1, 4, 1500, 700) },
  { from: 'shop/frontend', to: { service: 'shop/recommendations', port: 'http' }, load: perRequest(20, 460, 2600) },
  { from: 'shop/frontend', to: { service: 'shop/search', port: 'http' }, load: perRequest(12, 350, 3600) },
  { from: 'shop/frontend', to: { service: 'payments/currency', port: 'grpc' }, load: pooled(1, 80, 120, 230) },
  { from: 'shop/frontend', to: { service: 'identity/auth', port: 'http' }, load: pooled(2, 40, 700, 350) },
  { from: 'shop/frontend', to: { external: 'analytics', port: 443 }, load: perRequest(6, 1800, 260) },
  { from: 'shop/cart', to: { service: 'data/redis', port: 'redis' }, load: pooled(4, 200, 160, 420) },
  { from: 'shop/checkout', to: { service: 'shop/cart', port: 'grpc' }, load: pooled(1, 4, 300, 900) },
  { from: 'shop/checkout', to: { service: 'shop/shipping', port: 'grpc' }, load: pooled(1, 4, 400, 300) },
  { from: 'shop/checkout', to: { service: 'shop/email', port: 'grpc' }, load: perRequest(3, 2500, 120) },
  { from: 'shop/checkout', to: { service: 'payments/currency', port: 'grpc' }, load: pooled(1, 8, 120, 230) },
  {
    from: 'shop/checkout',
    to: { service: 'payments/payments-api', port: 'https' },
    load: pooled(2, 4, 1600, 900),
    degradedDuring: 'checkout-payments-degraded',
  },
  { from: 'shop/checkout', to: { workload: 'data/kafka', port: 9092 }, load: pooled(2, 10, 900, 120) },
  { from: 'shop/checkout', to: { service: 'data/orders-db', port: 'postgres' }, load: pooled(4, 20, 450, 700) },
  { from: 'shop/recommendations', to: { service: 'shop/catalog', port: 'grpc' }, load: pooled(2, 40, 250, 5000) },
  { from: 'shop/search', to: { service: 'data/elasticsearch', port: 'http' }, load: pooled(4, 12, 600, 8200) },
  { from: 'shop/email', to: { external: 'mail-relay', port: 587 }, load: perRequest(2.5, 6200, 600) },
  { from: 'shop/shipping', to: { external: 'carrier-api', port: 443 }, load: perRequest(2, 1200, 2600) },
  { from: 'shop/order-worker', to: { workload: 'data/kafka', port: 9092 }, load: pooled(2, 12, 150, 1100) },
  { from: 'shop/order-worker', to: { service: 'data/orders-db', port: 'postgres' }, load: pooled(3, 12, 800, 300) },
  {
    // A legacy price sync nobody removed: denied by data's default-deny day and night.
    from: 'shop/catalog',
    to: { service: 'data/orders-db', port: 'postgres' },
    load: perRequest(0.3, 74, 0, 'steady'),
  },
  {
    from: 'shop/sitemap-generator',
    to: { service: 'shop/catalog', port: 'grpc' },
    load: perRequest(25, 300, 6000, 'steady'),
  },
  {
    from: 'shop/sitemap-generator',
    to: { external: 'object-storage', port: 443 },
    load: perRequest(2, 60000, 500, 'steady'),
  },
  // payments
  {
    from: 'payments/payments-api',
    to: { service: 'payments/ledger-db', port: 'postgres' },
    load: pooled(5, 12, 500, 400),
  },
  {
    from: 'payments/payments-api',
    to: { service: 'payments/fraud-detector', port: 'http' },
    load: pooled(2, 4, 2000, 300),
  },
  { from: 'payments/payments-api', to: { external: 'payment-provider', port: 443 }, load: perRequest(4, 1800, 1200) },
  { from: 'payments/payments-api', to: { service: 'identity/auth', port: 'http' }, load: pooled(2, 4, 600, 900) },
  { from: 'payments/fraud-detector', to: { workload: 'data/kafka', port: 9092 }, load: pooled(2, 4, 700, 100) },
  { from: 'payments/currency', to: { external: 'fx-rates', port: 443 }, load: perRequest(0.05, 500, 9000, 'steady') },
  {
    from: 'payments/payments-reconciler',
    to: { service: 'payments/ledger-db', port: 'postgres' },
    load: pooled(4, 40, 300, 3000, 'steady'),
  },
  {
    from: 'payments/payments-reconciler',
    to: { external: 'onprem-ledger', port: 1521 },
    load: pooled(2, 20, 400, 2500, 'steady'),
  },
  // identity
  { from: 'identity/auth', to: { service: 'identity/users-db', port: 'postgres' }, load: pooled(4, 25, 350, 800) },
  { from: 'identity/auth', to: { service: 'identity/session-cache', port: 'redis' }, load: pooled(4, 60, 150, 400) },
  { from: 'identity/ldap-sync', to: { external: 'onprem-ldap', port: 636 }, load: pooled(1, 30, 200, 4000, 'steady') },
  {
    from: 'identity/ldap-sync',
    to: { service: 'identity/users-db', port: 'postgres' },
    load: pooled(1, 30, 600, 200, 'steady'),
  },
  // data: replication inside the stores
  { from: 'data/kafka', to: { workload: 'data/kafka', port: 9092 }, load: pooled(2, 40, 2000, 120, 'steady') },
  {
    // Every night at 01:00 UTC the day's log indices roll over and are force-merged and relocated to the warm nodes:
    // for 45 minutes the transport connections carry ten times their usual requests (the pool stays the same size,
    // so flows do not change, bytes do). The anomaly detector must learn this daily peak (see evaluation.ts).
    from: 'data/elasticsearch',
    to: { workload: 'data/elasticsearch', port: 9300 },
    load: { ...pooled(2, 20, 1500, 1500, 'steady'), dailyBatch: { startMinute: 60, minutes: 45, factor: 10 } },
  },
  // monitoring and logging
  {
    from: 'monitoring/grafana',
    to: { service: 'monitoring/prometheus', port: 'web' },
    load: perRequest(2, 800, 26000),
  },
  {
    from: 'monitoring/grafana',
    to: { service: 'logging/loki', port: 'http-metrics' },
    load: perRequest(0.5, 700, 60000),
  },
  {
    from: 'monitoring/prometheus',
    to: { service: 'monitoring/alertmanager', port: 'web' },
    load: pooled(1, 0.1, 2000, 200, 'steady'),
  },
  {
    from: 'monitoring/prometheus',
    to: { external: 'kubelets', port: 10250 },
    load: perRequest(0.55, 400, 90000, 'steady'),
  },
  {
    from: 'monitoring/alertmanager',
    to: { external: 'pager', port: 443 },
    load: perRequest(0.02, 1500, 400, 'steady'),
  },
  {
    from: 'monitoring/blackbox-exporter',
    to: { service: 'ingress/ingress-nginx-controller', port: 'https' },
    load: perRequest(0.2, 600, 15000, 'steady'),
  },
  {
    from: 'monitoring/blackbox-exporter',
    to: { external: 'onprem-gateway', port: null, protocol: 'icmp' },
    load: perRequest(0.1, 84, 84, 'steady'),
  },
  {
    from: 'monitoring/kube-state-metrics',
    to: { external: 'kube-apiserver', port: 6443 },
    load: pooled(1, 1, 400, 6000, 'steady'),
  },
  {
    from: 'monitoring/otel-agent',
    to: { service: 'monitoring/otel-collector', port: 'otlp-grpc' },
    load: pooled(1, 40, 3000, 100),
  },
  { from: 'monitoring/otel-collector', to: { external: 'apm-saas', port: 443 }, load: pooled(2, 10, 30000, 200) },
  { from: 'logging/fluent-bit', to: { service: 'logging/loki', port: 'http-metrics' }, load: pooled(1, 10, 8000, 100) },
  {
    from: 'logging/fluent-bit',
    to: { external: 'kube-apiserver', port: 6443 },
    load: pooled(1, 0.2, 500, 3000, 'steady'),
  },
  // kube-system
  {
    from: 'kube-system/coredns',
    to: { external: 'onprem-dns', port: 53, protocol: 'udp' },
    load: perRequest(2, 80, 160),
  },
  {
    from: 'kube-system/coredns',
    to: { external: 'kube-apiserver', port: 6443 },
    load: pooled(1, 0.5, 500, 2000, 'steady'),
  },
  {
    from: 'kube-system/metrics-server',
    to: { external: 'kubelets', port: 10250 },
    load: pooled(1, 0.3, 300, 3000, 'steady'),
  },
  {
    from: 'kube-system/calico-kube-controllers',
    to: { external: 'kube-apiserver', port: 6443 },
    load: pooled(1, 0.3, 400, 1500, 'steady'),
  },
  // Large DNS answers (many A records) fall back to TCP.
  {
    from: 'payments/payments-api',
    to: { service: 'kube-system/kube-dns', port: 'dns-tcp' },
    load: perRequest(0.1, 120, 900),
  },
  {
    from: 'data/kafka',
    to: { service: 'kube-system/kube-dns', port: 'dns-tcp' },
    load: perRequest(0.05, 120, 700, 'steady'),
  },

  // Incident: shop/recommendations is compromised; it sweeps the data namespace and phones home to a known-bad IP.
  ...SCANNED_WORKLOADS.flatMap((workload) =>
    SCANNED_PORTS.map((port): CallEdgeSpec => ({
      from: 'shop/recommendations',
      to: { workload, port },
      load: perRequest(1.5, 74, 0, 'steady'),
      activeDuring: 'recommendations-port-scan',
    })),
  ),
  {
    from: 'shop/recommendations',
    to: { networkSet: 'known-bad-ips', ip: '198.51.100.66', port: 4444 },
    load: perRequest(3, 240, 0, 'steady'),
    activeDuring: 'recommendations-port-scan',
  },
  // Incident: a debug build of the frontend opens connections straight to the payments ledger.
  {
    from: 'shop/frontend',
    to: { service: 'payments/ledger-db', port: 'postgres' },
    load: pooled(1, 5, 400, 1500, 'steady'),
    activeDuring: 'frontend-to-ledger-db',
  },
  // Incident: payments-api is slow; checkout's fallback tries the provider directly and is blocked by checkout-egress.
  {
    from: 'shop/checkout',
    to: { external: 'payment-provider', port: 443 },
    load: perRequest(2, 74, 0, 'steady'),
    activeDuring: 'checkout-payments-degraded',
  },
];

/** Scrape interval of the demo Prometheus, in seconds. */
const SCRAPE_INTERVAL_SECONDS = 30;

// ---------------------------------------------------------------------------------------------------------------
// Resolution: pods, names and edges
// ---------------------------------------------------------------------------------------------------------------

/** Kubernetes' alphabet for generated name suffixes and pod-template hashes (no vowels, no look-alikes). */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function safeString(seedText: string, length: number): string {
  let value = hashString(seedText);
  let text = '';
  for (let index = 0; index < length; index++) {
    if (index > 0 && index % 6 === 0) value = hashString(`${seedText}#${index}`);
    text += SAFE_ALPHABET[value % SAFE_ALPHABET.length];
    value = Math.floor(value / SAFE_ALPHABET.length);
  }
  return text;
}

/** A Deployment's pod-template hash, as in `frontend-<hash>-x7k2p`: stable for the demo's one rollout. */
export function podTemplateHash(workload: WorkloadSpec): string {
  return safeString(`${workload.namespace}/${workload.name}/template`, 10);
}

/** The pod-name prefix Calico reports in `*_name_aggr` at aggregation level 2 for pods of this workload. */
export function podNamePrefix(workload: WorkloadSpec, jobName?: string): string {
  switch (workload.kind) {
    case 'Deployment':
      return `${workload.name}-${podTemplateHash(workload)}-*`;
    case 'CronJob':
      return `${jobName ?? workload.name}-*`;
    default:
      return `${workload.name}-*`;
  }
}

/** Labels shared by every pod of the workload: the ones Calico keeps when it aggregates pods by prefix. */
export function podLabels(workload: WorkloadSpec, jobName?: string): Readonly<Record<string, string>> {
  switch (workload.kind) {
    case 'Deployment':
      return { ...workload.labels, 'pod-template-hash': podTemplateHash(workload) };
    case 'StatefulSet':
    case 'DaemonSet':
      return {
        ...workload.labels,
        'controller-revision-hash': `${workload.name}-${safeString(`${workload.name}/revision`, 10)}`,
      };
    case 'CronJob':
      return { ...workload.labels, 'batch.kubernetes.io/job-name': jobName ?? workload.name };
  }
}

export function workloadKey(workload: { namespace: string; name: string }): string {
  return `${workload.namespace}/${workload.name}`;
}

function ipv4ToNumber(ip: string): number {
  const parts = ip.split('.').map((part) => Number(part));
  if (parts.length !== 4 || parts.some((part) => !Number.isInteger(part) || part < 0 || part > 255)) {
    throw new Error(`demo topology: bad IPv4 address ${ip}`);
  }
  return (((parts[0] ?? 0) << 24) | ((parts[1] ?? 0) << 16) | ((parts[2] ?? 0) << 8) | (parts[3] ?? 0)) >>> 0;
}

function numberToIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

export function ipInCidr(ip: string, cidr: string): boolean {
  const [network, bitsText] = cidr.split('/');
  const bits = Number(bitsText ?? '32');
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (ipv4ToNumber(ip) & mask) >>> 0 === (ipv4ToNumber(network ?? '') & mask) >>> 0;
}

/** Spreads each workload's pods over the nodes from a per-workload starting node, as a scheduler's spreading would. */
function buildPods(workloads: readonly WorkloadSpec[], nodes: readonly NodeSpec[]): PodSpec[] {
  const nextHost = nodes.map(() => 2); // .0 is the network, .1 the node's tunnel address
  const pods: PodSpec[] = [];
  for (const workload of workloads) {
    if (workload.kind === 'CronJob') continue;
    const count = workload.kind === 'DaemonSet' ? nodes.length : workload.replicas;
    const firstNode = hashString(workloadKey(workload)) % nodes.length;
    for (let ordinal = 0; ordinal < count; ordinal++) {
      const nodeIndex = (firstNode + ordinal) % nodes.length;
      const node = nodes[nodeIndex];
      if (node === undefined) throw new Error('demo topology: no nodes');
      const host = nextHost[nodeIndex] ?? 2;
      nextHost[nodeIndex] = host + 1;
      const network = ipv4ToNumber((node.podCidr.split('/')[0] ?? '').trim());
      const suffix = safeString(`${workloadKey(workload)}/${ordinal}`, 5);
      const name =
        workload.kind === 'Deployment'
          ? `${workload.name}-${podTemplateHash(workload)}-${suffix}`
          : workload.kind === 'StatefulSet'
            ? `${workload.name}-${ordinal}`
            : `${workload.name}-${suffix}`;
      pods.push({
        name,
        namespace: workload.namespace,
        workload: workload.name,
        node: node.name,
        ip: numberToIpv4(network + host),
      });
    }
  }
  return pods;
}

export interface CronJobRun {
  jobName: string;
  podName: string;
  node: string;
  ip: string;
  /** Unix seconds. */
  startTime: number;
  endTime: number;
}

/**
 * The Jobs of a CronJob that overlap [from, to). Job names carry the scheduled time in minutes since the epoch, as
 * the CronJob controller names them, so each run has its own pod prefix in the flow logs.
 */
export function cronJobRuns(
  workload: WorkloadSpec,
  nodes: readonly NodeSpec[],
  from: number,
  to: number,
): CronJobRun[] {
  const schedule = workload.schedule;
  if (workload.kind !== 'CronJob' || schedule === undefined) return [];
  const period = schedule.everyMinutes * 60;
  const offset = schedule.offsetMinutes * 60;
  const runs: CronJobRun[] = [];
  const firstStart = Math.floor((from - schedule.runSeconds - offset) / period) * period + offset;
  for (let startTime = firstStart; startTime < to; startTime += period) {
    const endTime = startTime + schedule.runSeconds;
    if (endTime <= from) continue;
    const jobName = `${workload.name}-${Math.floor(startTime / 60)}`;
    const nodeIndex = hashString(jobName) % nodes.length;
    const node = nodes[nodeIndex];
    if (node === undefined) continue;
    const network = ipv4ToNumber((node.podCidr.split('/')[0] ?? '').trim());
    // Job pods get IPs from the top of the node's range, away from the long-lived pods.
    const host = 200 + (hashString(`${jobName}/ip`) % 50);
    runs.push({
      jobName,
      podName: `${jobName}-${safeString(jobName, 5)}`,
      node: node.name,
      ip: numberToIpv4(network + host),
      startTime,
      endTime,
    });
  }
  return runs;
}

function resolveWorkload(key: string, byKey: ReadonlyMap<string, WorkloadSpec>): WorkloadSpec {
  const workload = byKey.get(key);
  if (workload === undefined) throw new Error(`demo topology: unknown workload ${key}`);
  return workload;
}

function resolveExternal(id: string): ExternalPeerSpec {
  const peer = EXTERNAL_PEERS.find((candidate) => candidate.id === id);
  if (peer === undefined) throw new Error(`demo topology: unknown external peer ${id}`);
  return peer;
}

function resolveNetworkSet(name: string, ip: string): EdgePeer {
  const set = NETWORK_SETS.find((candidate) => candidate.name === name);
  if (set === undefined) throw new Error(`demo topology: unknown network set ${name}`);
  if (!set.nets.some((cidr) => ipInCidr(ip, cidr)))
    throw new Error(`demo topology: ${ip} is not in network set ${name}`);
  return { kind: 'networkSet', set, ip };
}

function peerId(peer: EdgePeer): string {
  switch (peer.kind) {
    case 'workload':
      return workloadKey(peer.workload);
    case 'external':
      return `external:${peer.peer.id}`;
    case 'networkSet':
      return `networkset:${peer.set.name}:${peer.ip}`;
  }
}

function resolveEdge(spec: CallEdgeSpec, byKey: ReadonlyMap<string, WorkloadSpec>): CallEdge {
  const from = spec.from;
  const source: EdgePeer =
    typeof from === 'string'
      ? { kind: 'workload', workload: resolveWorkload(from, byKey) }
      : 'external' in from
        ? { kind: 'external', peer: resolveExternal(from.external) }
        : resolveNetworkSet(from.networkSet, from.ip);
  const to = spec.to;
  let destination: EdgePeer;
  let service: ServiceRef | undefined;
  let destPort: number | undefined;
  let protocol: Protocol;
  if ('service' in to) {
    const [namespace, name] = to.service.split('/');
    const serviceSpec = SERVICES.find((candidate) => candidate.namespace === namespace && candidate.name === name);
    const port = serviceSpec?.ports.find((candidate) => candidate.name === to.port);
    if (serviceSpec === undefined || port === undefined)
      throw new Error(`demo topology: unknown service port ${to.service}:${to.port}`);
    destination = {
      kind: 'workload',
      workload: resolveWorkload(`${serviceSpec.namespace}/${serviceSpec.workload}`, byKey),
    };
    service = { namespace: serviceSpec.namespace, name: serviceSpec.name, portName: port.name, port: port.port };
    destPort = port.targetPort;
    protocol = port.protocol;
  } else if ('workload' in to) {
    destination = { kind: 'workload', workload: resolveWorkload(to.workload, byKey) };
    destPort = to.port;
    protocol = to.protocol ?? 'tcp';
  } else if ('external' in to) {
    destination = { kind: 'external', peer: resolveExternal(to.external) };
    destPort = to.port ?? undefined;
    protocol = to.protocol ?? 'tcp';
  } else {
    destination = resolveNetworkSet(to.networkSet, to.ip);
    destPort = to.port;
    protocol = to.protocol ?? 'tcp';
  }
  if ((protocol === 'icmp') !== (destPort === undefined)) {
    throw new Error(
      `demo topology: edge ${peerId(source)} -> ${peerId(destination)} needs a port exactly when not ICMP`,
    );
  }
  return {
    // Scrapes and service calls can share a port (Prometheus -> alertmanager:9093), so the service is part of the id.
    id: `${peerId(source)}->${peerId(destination)}:${destPort ?? '-'}/${protocol}${service ? ` via ${service.name}` : ''}`,
    source,
    destination,
    service,
    destPort,
    protocol,
    load: spec.load,
    activeDuring: spec.activeDuring,
    degradedDuring: spec.degradedDuring,
  };
}

/** Every workload looks names up through kube-dns, and Prometheus scrapes every pod that exposes metrics. */
function derivedEdges(workloads: readonly WorkloadSpec[], nodes: readonly NodeSpec[]): CallEdgeSpec[] {
  const edges: CallEdgeSpec[] = [];
  for (const workload of workloads) {
    if (workload.dnsQueriesPerSecond > 0) {
      edges.push({
        from: workloadKey(workload),
        to: { service: 'kube-system/kube-dns', port: 'dns' },
        // Batch and machine workloads resolve at the same pace day and night.
        load: perRequest(
          workload.dnsQueriesPerSecond,
          78,
          190,
          ['web', 'backend', 'edge'].includes(workload.labels['tier'] ?? '') ? 'diurnal' : 'steady',
        ),
      });
    }
  }
  const prometheus = workloads.find(
    (workload) => workload.namespace === 'monitoring' && workload.name === 'prometheus',
  );
  const scrapers = prometheus?.replicas ?? 0;
  for (const workload of workloads) {
    if (workload.metricsPort === undefined || workload.kind === 'CronJob') continue;
    const pods = workload.kind === 'DaemonSet' ? nodes.length : workload.replicas;
    edges.push({
      from: 'monitoring/prometheus',
      to: { workload: workloadKey(workload), port: workload.metricsPort },
      // Each Prometheus replica scrapes each pod once per interval; every scrape is a short connection here.
      load: perRequest((scrapers * pods) / SCRAPE_INTERVAL_SECONDS, 380, 24000, 'steady'),
    });
  }
  return edges;
}

function validate(topology: DemoTopology): void {
  const namespaces = new Set(topology.namespaces.map((namespace) => namespace.name));
  for (const workload of topology.workloads) {
    if (!namespaces.has(workload.namespace))
      throw new Error(`demo topology: ${workloadKey(workload)} has no namespace`);
    if ((workload.kind === 'CronJob') !== (workload.schedule !== undefined)) {
      throw new Error(`demo topology: ${workloadKey(workload)} needs a schedule exactly when it is a CronJob`);
    }
  }
  for (const service of topology.services) {
    if (
      !topology.workloads.some(
        (workload) => workload.namespace === service.namespace && workload.name === service.workload,
      )
    ) {
      throw new Error(`demo topology: service ${service.namespace}/${service.name} has no workload`);
    }
  }
  const ids = new Set<string>();
  for (const edge of topology.edges) {
    if (ids.has(edge.id)) throw new Error(`demo topology: duplicate edge ${edge.id}`);
    ids.add(edge.id);
  }
}

function buildTopology(): DemoTopology {
  const byKey = new Map(WORKLOADS.map((workload) => [workloadKey(workload), workload]));
  const edgeSpecs = [...CALL_GRAPH, ...derivedEdges(WORKLOADS, NODES)];
  const topology: DemoTopology = {
    nodes: NODES,
    namespaces: NAMESPACES,
    workloads: WORKLOADS,
    pods: buildPods(WORKLOADS, NODES),
    services: SERVICES,
    externalPeers: EXTERNAL_PEERS,
    networkSets: NETWORK_SETS,
    tiers: TIERS,
    policies: POLICIES,
    edges: edgeSpecs.map((spec) => resolveEdge(spec, byKey)),
  };
  validate(topology);
  return topology;
}

export const DEMO_TOPOLOGY: DemoTopology = buildTopology();
