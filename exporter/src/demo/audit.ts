/**
 * Turns the demo cluster into Kubernetes API server audit events (audit.k8s.io/v1 `Event`s, as the log backend writes
 * them, one JSON object per line), so the `audit` decoder and the audit families have data in a demo:
 *
 * - the control plane and agents, all day: leader-election leases renewed by the controller manager and the scheduler,
 *   kubelets' node leases and status, and long-running watches by controllers' service accounts (each watch is logged at
 *   `ResponseStarted` and again at `ResponseComplete` minutes later, so the decoder's count-once rule is exercised);
 * - people and CI, following the day's shape: developers reading their namespaces, a deploy job patching deployments,
 *   and a developer occasionally refused (403) in another team's namespace;
 * - failed authentication (401, empty user) from the `sitemap-generator` CronJob's expired token at each of its runs,
 *   and Grafana's dashboard sidecar refused (403) ConfigMaps outside its namespace every few seconds;
 * - events that line up with the demo's incidents, once per incident period: during `recommendations-port-scan` the
 *   compromised pod's service account tries to list secrets across namespaces (403s) and an engineer `kubectl exec`s
 *   into it, then tightens the security tier's global policy; a minute before `frontend-to-ledger-db` the payments
 *   team updates the staged `ledger-db-ingress` policy that would deny that edge; a GitOps sync updates a RoleBinding.
 *
 * Deterministic: steady streams draw from a PRNG seeded by the demo seed and the window; scheduled and periodic
 * requests are placed at fixed times, so they are the same whatever the window boundaries.
 */
import type { JsonObject } from '../sources/json-fields';
import { SeededRandom, hashString, mixSeeds } from './random';
import { cronJobRuns, type DemoTopology, type IncidentName, type NodeSpec, type WorkloadSpec } from './topology';

/** One kind of API request the demo makes. */
export interface DemoRequest {
  user: string;
  groups?: readonly string[];
  userAgent: string;
  verb: string;
  /** Empty for the core group. */
  apiGroup: string;
  resource: string;
  subresource?: string;
  /** Empty for cluster-scoped resources. */
  namespace: string;
  name?: string;
  code: number;
  /** Where the request came from; a pod network address when not given. */
  sourceIP?: string;
}

/** A request repeated at a steady rate (per second at the daily peak when `diurnal`). */
interface RequestStream extends DemoRequest {
  ratePerSecond: number;
  diurnal: boolean;
}

/** A request repeated like clockwork (a lease renewal, a retry loop), at a fixed offset from the demo's seed. */
interface PeriodicRequest extends DemoRequest {
  periodSeconds: number;
}

/** A controller's watch: re-established every `periodSeconds`, so each lasts about that long. */
interface WatchStream extends DemoRequest {
  periodSeconds: number;
}

/** A request at a fixed point of each incident period. */
interface ScheduledRequest extends DemoRequest {
  /** Fraction of the incident period at which the request is received. */
  phase: number;
  /** Long-running requests (exec) last this long: logged at ResponseStarted and at ResponseComplete. */
  durationSeconds?: number;
}

/** A burst of similar requests while an incident lasts (per second, scaled by the window's overlap). */
interface IncidentBurst {
  incident: IncidentName;
  ratePerSecond: number;
  requests: readonly DemoRequest[];
}

const KUBECTL = 'kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46';
const CONTROLLER_MANAGER = 'kube-controller-manager/v1.31.2 (linux/amd64) kubernetes/5864a46/leader-election';
const SCHEDULER = 'kube-scheduler/v1.31.2 (linux/amd64) kubernetes/5864a46/leader-election';
const KUBELET = 'kubelet/v1.31.2 (linux/amd64) kubernetes/5864a46';
const COORDINATION = 'coordination.k8s.io';
const CALICO = 'projectcalico.org';
const RBAC = 'rbac.authorization.k8s.io';

/** The people of the demo: one per team that appears in the story. */
export const DEMO_USERS = {
  storefrontDeveloper: 'alice@example.com',
  paymentsEngineer: 'priya@example.com',
  securityEngineer: 'sam@example.com',
} as const;

const serviceAccount = (namespace: string, name: string): string => `system:serviceaccount:${namespace}:${name}`;
const DEPLOYER = serviceAccount('kube-system', 'ci-deployer');
const GITOPS = serviceAccount('kube-system', 'gitops-sync');
const RECOMMENDATIONS = serviceAccount('shop', 'recommendations');

function steadyStreams(nodes: readonly NodeSpec[]): (RequestStream | PeriodicRequest)[] {
  const every = (periodSeconds: number, request: DemoRequest): PeriodicRequest => ({ ...request, periodSeconds });
  const daytime = (request: DemoRequest, ratePerSecond: number): RequestStream => ({
    ...request,
    ratePerSecond,
    diurnal: true,
  });
  const lease = (user: string, userAgent: string, name: string, verb: string): DemoRequest => ({
    user,
    userAgent,
    verb,
    apiGroup: COORDINATION,
    resource: 'leases',
    namespace: 'kube-system',
    name,
    code: 200,
  });
  const developer = (verb: string, resource: string, namespace: string, code = 200, apiGroup = ''): DemoRequest => ({
    user: DEMO_USERS.storefrontDeveloper,
    groups: ['system:authenticated', 'storefront'],
    userAgent: KUBECTL,
    verb,
    apiGroup,
    resource,
    namespace,
    code,
  });
  return [
    // Leader election: the lease renewed every 5 s (a relaxed --leader-elect-retry-period, which keeps the demo light).
    every(5, lease('system:kube-controller-manager', CONTROLLER_MANAGER, 'kube-controller-manager', 'update')),
    every(5, lease('system:kube-scheduler', SCHEDULER, 'kube-scheduler', 'update')),
    // Kubelets renew their node lease every 10 s and patch their status every minute or so.
    ...nodes.flatMap((node) => [
      every(10, {
        user: `system:node:${node.name}`,
        groups: ['system:nodes', 'system:authenticated'],
        userAgent: KUBELET,
        verb: 'update',
        apiGroup: COORDINATION,
        resource: 'leases',
        namespace: 'kube-node-lease',
        name: node.name,
        code: 200,
        sourceIP: node.ip,
      }),
      every(60, {
        user: `system:node:${node.name}`,
        groups: ['system:nodes', 'system:authenticated'],
        userAgent: KUBELET,
        verb: 'patch',
        apiGroup: '',
        resource: 'nodes',
        subresource: 'status',
        namespace: '',
        name: node.name,
        code: 200,
        sourceIP: node.ip,
      }),
    ]),
    // Calico's controllers keep their IPAM and node state in step.
    every(300, {
      user: serviceAccount('kube-system', 'calico-kube-controllers'),
      userAgent: 'calico-kube-controllers/v3.29.1',
      verb: 'list',
      apiGroup: 'crd.projectcalico.org',
      resource: 'ipamblocks',
      namespace: '',
      code: 200,
    }),
    // Grafana's dashboard sidecar looks for dashboard ConfigMaps in every namespace, but its Role covers only its own:
    // a 403 on each retry, every 5 s all day, as a misconfigured agent does in real clusters. (So every demo window of
    // 5 s or more holds a denial, and a dashboard of notable requests moves from the first minute.)
    every(5, {
      user: serviceAccount('monitoring', 'grafana'),
      userAgent: 'k8s-sidecar/1.28.0',
      verb: 'list',
      apiGroup: '',
      resource: 'configmaps',
      namespace: '',
      code: 403,
    }),
    // People, during the working day.
    daytime(developer('get', 'pods', 'shop'), 0.02),
    daytime(developer('list', 'pods', 'shop'), 0.03),
    daytime(developer('get', 'deployments', 'shop', 200, 'apps'), 0.01),
    daytime(developer('list', 'events', 'shop'), 0.005),
    // ... sometimes in another team's namespace, where RBAC refuses them.
    daytime(developer('list', 'pods', 'payments', 403), 0.0015),
    daytime(developer('get', 'secrets', 'shop', 403), 0.0008),
    daytime(
      {
        user: DEMO_USERS.paymentsEngineer,
        groups: ['system:authenticated', 'payments'],
        userAgent: KUBECTL,
        verb: 'list',
        apiGroup: '',
        resource: 'pods',
        namespace: 'payments',
        code: 200,
      },
      0.015,
    ),
    // Continuous delivery rolls out images while people work.
    daytime(
      {
        user: DEPLOYER,
        userAgent: 'argocd-application-controller/v2.13.1',
        verb: 'patch',
        apiGroup: 'apps',
        resource: 'deployments',
        namespace: 'shop',
        code: 200,
      },
      0.002,
    ),
  ];
}

const WATCHES: readonly WatchStream[] = [
  ...['pods', 'services', 'endpointslices', 'nodes', 'namespaces'].map((resource): WatchStream => ({
    user: serviceAccount('monitoring', 'kube-state-metrics'),
    userAgent: 'kube-state-metrics/v2.14.0',
    verb: 'watch',
    apiGroup: resource === 'endpointslices' ? 'discovery.k8s.io' : '',
    resource,
    namespace: '',
    code: 200,
    periodSeconds: 420,
  })),
  ...['pods', 'endpoints', 'services'].map((resource): WatchStream => ({
    user: serviceAccount('monitoring', 'prometheus'),
    userAgent: 'prometheus/2.55.1',
    verb: 'watch',
    apiGroup: '',
    resource,
    namespace: '',
    code: 200,
    periodSeconds: 540,
  })),
  {
    user: serviceAccount('ingress', 'ingress-nginx'),
    userAgent: 'nginx-ingress-controller/v1.12.0',
    verb: 'watch',
    apiGroup: 'networking.k8s.io',
    resource: 'ingresses',
    namespace: '',
    code: 200,
    periodSeconds: 360,
  },
  {
    user: serviceAccount('logging', 'fluent-bit'),
    userAgent: 'fluent-bit/3.2.2',
    verb: 'watch',
    apiGroup: '',
    resource: 'pods',
    namespace: '',
    code: 200,
    periodSeconds: 600,
  },
];

/** Secrets the compromised service account goes after. */
const SCAN_TARGETS = ['data', 'payments', 'identity', 'shop'];

function scheduledRequests(podOf: (namespace: string, workload: string) => string): ScheduledRequest[] {
  const security = { user: DEMO_USERS.securityEngineer, groups: ['system:authenticated', 'security'] };
  return [
    // recommendations-port-scan (minutes 10-15): someone looks inside, then the security tier is tightened.
    {
      ...security,
      phase: 12 / 60,
      durationSeconds: 150,
      userAgent: KUBECTL,
      verb: 'create',
      apiGroup: '',
      resource: 'pods',
      subresource: 'exec',
      namespace: 'shop',
      name: podOf('shop', 'recommendations'),
      code: 101,
    },
    {
      ...security,
      phase: 14.5 / 60,
      userAgent: KUBECTL,
      verb: 'patch',
      apiGroup: CALICO,
      resource: 'globalnetworkpolicies',
      namespace: '',
      name: 'security.block-known-bad',
      code: 200,
    },
    // A minute before frontend-to-ledger-db (minute 25): the staged policy that would deny that edge is updated.
    {
      user: DEMO_USERS.paymentsEngineer,
      groups: ['system:authenticated', 'payments'],
      phase: 24 / 60,
      userAgent: KUBECTL,
      verb: 'update',
      apiGroup: CALICO,
      resource: 'stagednetworkpolicies',
      namespace: 'payments',
      name: 'default.ledger-db-ingress',
      code: 200,
    },
    // GitOps reconciles the storefront's RoleBinding every period (an update even when nothing changed).
    {
      user: GITOPS,
      phase: 5 / 60,
      userAgent: 'argocd-application-controller/v2.13.1',
      verb: 'update',
      apiGroup: RBAC,
      resource: 'rolebindings',
      namespace: 'shop',
      name: 'storefront-developers',
      code: 200,
    },
    // On call, a developer port-forwards to Grafana once a period.
    {
      user: DEMO_USERS.storefrontDeveloper,
      groups: ['system:authenticated', 'storefront'],
      phase: 52 / 60,
      durationSeconds: 300,
      userAgent: KUBECTL,
      verb: 'create',
      apiGroup: '',
      resource: 'pods',
      subresource: 'portforward',
      namespace: 'monitoring',
      name: podOf('monitoring', 'grafana'),
      code: 101,
    },
  ];
}

const INCIDENT_BURSTS: readonly IncidentBurst[] = [
  {
    incident: 'recommendations-port-scan',
    ratePerSecond: 0.2,
    requests: SCAN_TARGETS.map((namespace) => ({
      user: RECOMMENDATIONS,
      userAgent: 'python-requests/2.32.3',
      verb: 'list',
      apiGroup: '',
      resource: 'secrets',
      namespace,
      code: 403,
    })),
  },
];

/** The CronJob whose token expired: each run tries the API a few times and fails authentication. */
const EXPIRED_TOKEN_CRONJOB = { namespace: 'shop', name: 'sitemap-generator' };
const EXPIRED_TOKEN_ATTEMPTS = 3;

export interface AuditWindow {
  start: number;
  seconds: number;
  /** Multiplier of people's activity at this time of day. */
  userActivity: number;
  /** Seeds the window's steady streams. */
  seed: number;
  /** Fraction of the window each incident is active. */
  incidentOverlap: (incident: IncidentName) => number;
}

/** The demo's audit log, built once from the topology. */
export class DemoAuditLog {
  private readonly streams: RequestStream[];
  private readonly periodic: PeriodicRequest[];
  private readonly scheduled: ScheduledRequest[];
  private readonly expiredTokenJob: WorkloadSpec | undefined;

  constructor(
    private readonly topology: DemoTopology,
    /** The demo's seed: places the watches' renewals, the same whatever the windows. */
    private readonly clusterSeed: number,
    private readonly incidentPeriodSeconds: number,
  ) {
    const steady = steadyStreams(topology.nodes);
    this.streams = steady.filter((stream): stream is RequestStream => 'ratePerSecond' in stream);
    this.periodic = steady.filter((stream): stream is PeriodicRequest => 'periodSeconds' in stream);
    const podOf = (namespace: string, workload: string): string =>
      topology.pods.find((pod) => pod.namespace === namespace && pod.workload === workload)?.name ?? `${workload}-0`;
    this.scheduled = scheduledRequests(podOf);
    this.expiredTokenJob = topology.workloads.find(
      (workload) =>
        workload.namespace === EXPIRED_TOKEN_CRONJOB.namespace && workload.name === EXPIRED_TOKEN_CRONJOB.name,
    );
  }

  /** The events whose stage time falls in the window, ordered by it. */
  eventsFor(window: AuditWindow): JsonObject[] {
    const { start, seconds } = window;
    const end = start + seconds;
    const events: { at: number; event: JsonObject }[] = [];
    const add = (request: DemoRequest, id: string, stage: Stage, received: number, at: number): void => {
      events.push({ at, event: auditEvent(request, auditId(id), stage, received, at) });
    };
    const random = new SeededRandom(mixSeeds(window.seed, 0xa0d1));
    const latency = (): number => random.between(0.002, 0.04);

    this.streams.forEach((stream, index) => {
      const rate = stream.ratePerSecond * (stream.diurnal ? window.userActivity : 1);
      const count = random.poisson(rate * seconds);
      for (let n = 0; n < count; n++) {
        const at = start + random.next() * seconds;
        add(stream, `${window.seed}:${index}:${n}`, 'ResponseComplete', at - latency(), at);
      }
    });

    this.periodic.forEach((request, index) => {
      // Millisecond offsets, so renewals of different leases do not all land on the same instant.
      const offset = (hashString(`${this.clusterSeed}:periodic:${index}`) % (request.periodSeconds * 1000)) / 1000;
      for (let cycle = Math.ceil((start - offset) / request.periodSeconds); ; cycle++) {
        const at = cycle * request.periodSeconds + offset;
        if (at >= end) break;
        if (at >= start)
          add(request, `${this.clusterSeed}:periodic:${index}:${cycle}`, 'ResponseComplete', at - 0.01, at);
      }
    });

    for (const burst of INCIDENT_BURSTS) {
      const overlap = window.incidentOverlap(burst.incident);
      const count = random.poisson(burst.ratePerSecond * seconds * overlap);
      for (let n = 0; n < count; n++) {
        const request = burst.requests[random.int(burst.requests.length)]!;
        const at = start + random.next() * seconds;
        add(request, `${window.seed}:${burst.incident}:${n}`, 'ResponseComplete', at - latency(), at);
      }
    }

    // Watches: periodic, so a watch started in one window completes in a later one with the same auditID.
    WATCHES.forEach((watch, index) => {
      const offset = hashString(`${this.clusterSeed}:${index}`) % watch.periodSeconds;
      const first = Math.floor((start - offset) / watch.periodSeconds);
      for (let cycle = first - 1; cycle * watch.periodSeconds + offset < end; cycle++) {
        const opened = cycle * watch.periodSeconds + offset;
        const closed = opened + watch.periodSeconds - 1;
        const id = `${this.clusterSeed}:watch:${index}:${cycle}`;
        if (opened >= start && opened < end) add(watch, id, 'ResponseStarted', opened, opened + 0.003);
        if (closed >= start && closed < end) add(watch, id, 'ResponseComplete', opened, closed);
      }
    });

    // Requests at fixed points of each incident period.
    const period = this.incidentPeriodSeconds;
    for (let cycle = Math.floor(start / period) - 1; cycle * period < end; cycle++) {
      this.scheduled.forEach((request, index) => {
        const received = cycle * period + request.phase * period;
        const id = `${this.clusterSeed}:scheduled:${index}:${cycle}`;
        if (request.durationSeconds === undefined) {
          const at = received + 0.03;
          if (at >= start && at < end) add(request, id, 'ResponseComplete', received, at);
          return;
        }
        const started = received + 0.05;
        // Shorter than the period, so a short incident period (demo:incident-period=60) still closes each session.
        const completed = received + Math.min(request.durationSeconds, period / 4);
        if (started >= start && started < end) add(request, id, 'ResponseStarted', received, started);
        if (completed >= start && completed < end) add(request, id, 'ResponseComplete', received, completed);
      });
    }

    // Failed authentication has no later stage: the API server logs it at ResponseStarted with an empty user.
    if (this.expiredTokenJob !== undefined) {
      for (const run of cronJobRuns(this.expiredTokenJob, this.topology.nodes, start, end)) {
        for (let attempt = 0; attempt < EXPIRED_TOKEN_ATTEMPTS; attempt++) {
          const at = run.startTime + 2 + attempt * 5;
          if (at < start || at >= end) continue;
          const request: DemoRequest = {
            user: '',
            userAgent: 'python-kubernetes/31.0.0',
            verb: 'list',
            apiGroup: '',
            resource: 'configmaps',
            namespace: EXPIRED_TOKEN_CRONJOB.namespace,
            code: 401,
            sourceIP: run.ip,
          };
          add(request, `${this.clusterSeed}:expired:${run.jobName}:${attempt}`, 'ResponseStarted', at, at + 0.001);
        }
      }
    }
    return events.sort((left, right) => left.at - right.at).map(({ event }) => event);
  }
}

type Stage = 'ResponseStarted' | 'ResponseComplete';

/**
 * A UUID-shaped auditID, stable for the same key. Four differently seeded 32-bit hashes: one would collide within a
 * demo day (a birthday bound of ~77,000 IDs), and the decoder would take a collision for a request's second stage.
 */
function auditId(key: string): string {
  const words = AUDIT_ID_BASES.map((basis) => mixSeeds(hashString(key, basis)).toString(16).padStart(8, '0'));
  const hex = words.join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const AUDIT_ID_BASES = [0x811c9dc5, 0x050c5d1f, 0x9e3779b9, 0x7f4a7c15];

/** The groups the API server gives a user the request does not list them for. */
function groupsOf(user: string): string[] {
  const serviceAccount = /^system:serviceaccount:([^:]+):/.exec(user);
  if (serviceAccount === null) return ['system:authenticated'];
  return ['system:serviceaccounts', `system:serviceaccounts:${serviceAccount[1]}`, 'system:authenticated'];
}

/** Control-plane components talk to the API server on their own host; everyone else from the pod network. */
function sourceIpOf(user: string): string {
  return user.startsWith('system:') && !user.startsWith('system:serviceaccount:') ? '127.0.0.1' : '10.244.0.1';
}

function requestUri(request: DemoRequest): string {
  const base = request.apiGroup === '' ? '/api/v1' : `/apis/${request.apiGroup}/v1`;
  const namespace = request.namespace === '' ? '' : `/namespaces/${request.namespace}`;
  const name = request.name === undefined ? '' : `/${request.name}`;
  const subresource = request.subresource === undefined ? '' : `/${request.subresource}`;
  const query = request.verb === 'watch' ? '?watch=true' : '';
  return `${base}${namespace}/${request.resource}${name}${subresource}${query}`;
}

function timestamp(unixSeconds: number): string {
  // Kubernetes MicroTime: microseconds, UTC.
  const iso = new Date(Math.floor(unixSeconds * 1000)).toISOString();
  const micros = String(Math.floor((unixSeconds * 1e6) % 1e6)).padStart(6, '0');
  return `${iso.slice(0, 19)}.${micros}Z`;
}

function auditEvent(request: DemoRequest, id: string, stage: Stage, received: number, at: number): JsonObject {
  const objectRef: JsonObject = {
    resource: request.resource,
    ...(request.namespace === '' ? {} : { namespace: request.namespace }),
    ...(request.name === undefined ? {} : { name: request.name }),
    ...(request.apiGroup === '' ? {} : { apiGroup: request.apiGroup }),
    apiVersion: 'v1',
    ...(request.subresource === undefined ? {} : { subresource: request.subresource }),
  };
  const denied = request.code === 401 || request.code === 403;
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: id,
    stage,
    requestURI: requestUri(request),
    verb: request.verb,
    user:
      request.user === '' ? {} : { username: request.user, groups: [...(request.groups ?? groupsOf(request.user))] },
    sourceIPs: [request.sourceIP ?? sourceIpOf(request.user)],
    userAgent: request.userAgent,
    objectRef,
    responseStatus: denied
      ? {
          metadata: {},
          status: 'Failure',
          reason: request.code === 401 ? 'Unauthorized' : 'Forbidden',
          code: request.code,
        }
      : { metadata: {}, code: request.code },
    requestReceivedTimestamp: timestamp(received),
    stageTimestamp: timestamp(at),
    annotations:
      request.code === 401
        ? {}
        : {
            'authorization.k8s.io/decision': request.code === 403 ? 'forbid' : 'allow',
            'authorization.k8s.io/reason': '',
          },
  };
}
