/**
 * The live cluster view: informers (the client library's ListWatch) on pods, ReplicaSets, Jobs,
 * services, EndpointSlices, nodes, namespaces and service accounts keep a ClusterIndex current (namespaces'
 * and service accounts' labels go to the policy store too); informers on every policy kind (Kubernetes'
 * NetworkPolicy, AdminNetworkPolicy and BaselineAdminNetworkPolicy, Calico's tiers, policies and network
 * sets) keep a LivePolicyStore of parsed policies, from which a LivePolicyContext builds the policy engine.
 * Network sets also go to the index, for enrichment. Flowlens' ObservabilityProfiles go to a ProfileStore, which
 * the pipeline asks what to collect per workload.
 * The library relists on 410 Gone and re-watches when the server ends a watch, but gives up on any other
 * error; here each kind is restarted with exponential backoff, and a watchdog restarts a watch that has
 * been silent (not even a BOOKMARK) for too long. While the API server is away the view keeps serving its
 * last state. A policy object that does not parse is skipped, counted (reason `invalid_object`) and logged once.
 *
 * `@kubernetes/client-node` 1.x is an ES module; this CommonJS build loads it with `require`, which
 * Node supports for ES modules without top-level await from 20.19 on (hence `engines`). The exporter
 * loads this file only when `--kubernetes` is on, so other runs never pay for the library.
 */
import * as k8s from '@kubernetes/client-node';
import type { Logger } from '../log';
import { ClusterIndex } from './cluster-index';
import { PodsByPrefix } from './pod-prefixes';
import { LivePolicyStore, type LivePolicyObject } from '../policy/live/policy-store';
import {
  comparableManifest,
  recommendableKey,
  recommendClusterFromLivePods,
  RECOMMENDED_PREFIX,
  type EnforcedPolicies,
  type RecommendCluster,
} from '../policy/recommend';
import { DEFAULT_POLICY_DEBOUNCE_MS, LivePolicyContext } from '../policy/live/live-policy-context';
import type { PolicyContext } from '../policy/attribution';
import { parseAdminNetworkPolicy, parseBaselineAdminNetworkPolicy, parseNetworkPolicy } from '../policy/kubernetes';
import {
  CALICO_CRD_V1,
  parseCalicoPolicy,
  parseNetworkSet,
  parseStagedKubernetesNetworkPolicy,
  parseTier,
} from '../policy/calico';
import {
  identityOf,
  isRecord,
  projectEndpointSlice,
  projectNamespace,
  projectNode,
  projectOwner,
  projectPod,
  projectService,
  projectServiceAccount,
  type PodProjection,
  type ServiceRef,
  type WorkloadRef,
} from './projections';
import type { ClusterView } from './view';
import type { NetworkSetRef } from './network-sets';
import { ProfileStore } from '../profiles/collection';
import {
  parseObservabilityProfile,
  PROFILE_API_VERSION,
  PROFILE_GROUP,
  PROFILE_PLURAL,
  PROFILE_VERSION,
  type ObservabilityProfile,
} from '../profiles/spec';

export interface LiveViewOptions {
  logger: Logger;
  /** A watch that delivers nothing, not even a BOOKMARK, for this long is restarted. */
  watchdogMs?: number;
  /** How long the server keeps each watch open before ending it (and the informer watching again). */
  watchTimeoutSeconds?: number;
  /** First and longest wait before restarting a failed list or watch; doubles in between. */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** Shortest time between two rebuilds of the policy engine. */
  policyDebounceMs?: number;
}

export const DEFAULT_WATCHDOG_MS = 10 * 60_000;
export const DEFAULT_WATCH_TIMEOUT_SECONDS = 5 * 60;

/** The `reason` label of flowlens_k8s_watch_errors_total: a small fixed set. */
export type WatchErrorReason =
  'connection' | 'expired' | 'stalled' | 'unauthorized' | 'server_error' | 'client_error' | 'invalid_object' | 'other';

export type PolicyChange = 'created' | 'updated' | 'deleted';

/** How often the policy objects of one kind and namespace changed since the view started (lists excluded). */
export interface PolicyChangeCount {
  kind: string;
  /** Empty for cluster-wide kinds. */
  namespace: string;
  change: PolicyChange;
  count: number;
}

export interface ResourceStats {
  resource: string;
  /** Listed at least once. Kinds whose API is absent are not reported. */
  synced: boolean;
  objects: number;
  errors: ReadonlyMap<WatchErrorReason, number>;
}

type ListFunction = () => Promise<k8s.KubernetesListObject<k8s.KubernetesObject>>;

/**
 * What an informer's cache holds in place of the object: its identity and resourceVersion (all ListWatch
 * reads) and its projection. The library keeps every object it has seen; slim ones keep that cheap.
 */
class SlimObject<P> implements k8s.KubernetesObject {
  readonly metadata: k8s.V1ObjectMeta;

  constructor(
    identity: { namespace: string; name: string },
    resourceVersion: string,
    readonly projection: P,
  ) {
    this.metadata = { name: identity.name, namespace: identity.namespace, resourceVersion };
  }
}

/** Where the informers' objects go: the cluster index, pods by name prefix, and the parsed policies. */
export interface LiveStores {
  readonly index: ClusterIndex;
  readonly podPrefixes: PodsByPrefix;
  readonly policies: LivePolicyStore;
  readonly profiles: ProfileStore;
}

/** One watched kind: where it lives and how its objects enter and leave the stores. */
interface WatchedKind {
  resource: string;
  path: string;
  list(config: k8s.KubeConfig): ListFunction;
  /** The object as the informer should cache it. */
  slim(object: unknown): k8s.KubernetesObject;
  upsert(stores: LiveStores, object: k8s.KubernetesObject): void;
  remove(stores: LiveStores, object: k8s.KubernetesObject): void;
  /** Keys (`namespace/name`, or the name of cluster-scoped objects) of what the stores hold. */
  keys(stores: LiveStores): string[];
  removeKey(stores: LiveStores, key: string): void;
  /** Policy kinds: the `kind` label of flowlens_policy_changes_total. */
  changeKind?: string;
  /**
   * A kind the exporter may not list (403 before its first list): `policy-off` skips it and turns live policy
   * attribution off (the engine would be wrong without it), `skip` skips it alone; otherwise it is retried.
   */
  whenForbidden?: 'policy-off' | 'skip';
  /** Why the object was not taken (it does not parse); undefined when it was. */
  problemOf?(object: k8s.KubernetesObject): string | undefined;
}

interface KindSpec<P> extends Pick<
  WatchedKind,
  'resource' | 'path' | 'list' | 'keys' | 'removeKey' | 'changeKind' | 'whenForbidden'
> {
  project(object: unknown): P;
  upsert(stores: LiveStores, projection: P): void;
  remove(stores: LiveStores, projection: P): void;
  problem?(projection: P): string | undefined;
}

function watchedKind<P>(spec: KindSpec<P>): WatchedKind {
  // The informer of this kind only ever holds SlimObjects this kind made, so their projections are P.
  const projectionOf = (object: k8s.KubernetesObject): P =>
    object instanceof SlimObject ? (object.projection as P) : spec.project(object);
  const problem = spec.problem;
  return {
    resource: spec.resource,
    path: spec.path,
    list: spec.list,
    keys: spec.keys,
    removeKey: spec.removeKey,
    changeKind: spec.changeKind,
    whenForbidden: spec.whenForbidden,
    slim: (object) => new SlimObject(identityOf(object), resourceVersionOf(object), spec.project(object)),
    upsert: (stores, object) => spec.upsert(stores, projectionOf(object)),
    remove: (stores, object) => spec.remove(stores, projectionOf(object)),
    problemOf: problem === undefined ? undefined : (object) => problem(projectionOf(object)),
  };
}

function resourceVersionOf(object: unknown): string {
  const metadata = isRecord(object) ? object['metadata'] : undefined;
  const version = isRecord(metadata) ? metadata['resourceVersion'] : undefined;
  return typeof version === 'string' ? version : '';
}

const splitKey = (key: string): [string, string] => {
  const slash = key.indexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)];
};
const keyOf = (object: unknown): string => {
  const { namespace, name } = identityOf(object);
  return namespace === '' ? name : `${namespace}/${name}`;
};

function ownerKind(kind: 'ReplicaSet' | 'Job', resource: string, path: string, list: WatchedKind['list']): WatchedKind {
  return watchedKind({
    resource,
    path,
    list,
    project: (object) => projectOwner(kind, object),
    upsert: ({ index }, owner) => index.upsertOwner(owner),
    remove: ({ index }, owner) => index.removeOwner(kind, owner.namespace, owner.name),
    keys: ({ index }) => index.ownerKeys(kind),
    removeKey: ({ index }, key) => index.removeOwner(kind, ...splitKey(key)),
  });
}

/** A policy object as the informer caches it: parsed, or why it could not be. */
type ParsedPolicy =
  | {
      key: string;
      policy: LivePolicyObject;
      /** Recommended-by-Flowlens objects only: their manifest, for the diff of a new recommendation. */
      manifest?: { key: string; manifest: Record<string, unknown> } | undefined;
      problem?: undefined;
    }
  | { key: string; problem: string };

interface PolicyKindSpec {
  resource: string;
  /** The object's kind, the `kind` label of flowlens_policy_changes_total. */
  kind: string;
  changeKind?: string;
  group: string;
  version: string;
  plural: string;
  parse(object: unknown): LivePolicyObject;
}

/**
 * A policy kind, listed as plain JSON (as the watch delivers it) through the custom-objects API, which serves any
 * group's path. Items of a list carry no kind or apiVersion: both are put back before parsing, since the Calico
 * parsers tell the kinds apart by them.
 */
function policyKind(spec: PolicyKindSpec): WatchedKind {
  const apiVersion = `${spec.group}/${spec.version}`;
  return watchedKind<ParsedPolicy>({
    resource: spec.resource,
    path: `/apis/${apiVersion}/${spec.plural}`,
    changeKind: spec.changeKind ?? spec.kind,
    whenForbidden: 'policy-off',
    list: (config) => async () => {
      const api = config.makeApiClient(k8s.CustomObjectsApi);
      const listed: unknown = await api.listClusterCustomObject({
        group: spec.group,
        version: spec.version,
        plural: spec.plural,
      });
      return asList(listed);
    },
    project: (object) => {
      const key = keyOf(object);
      try {
        const typed = isRecord(object) ? { ...object, kind: spec.kind, apiVersion } : object;
        return { key, policy: spec.parse(typed), manifest: isRecord(typed) ? recommendedManifest(typed) : undefined };
      } catch (error) {
        return { key, problem: messageOf(error) };
      }
    },
    upsert: ({ policies, index }, parsed) => {
      // An object that no longer parses no longer applies: what it said before is dropped too.
      if (parsed.problem === undefined) {
        policies.upsert(spec.resource, parsed.key, parsed.policy, parsed.manifest);
        // Network sets also name the peers outside the pod network in enrichment.
        if (parsed.policy.kind === 'NetworkSet' || parsed.policy.kind === 'GlobalNetworkSet') {
          index.networkSets.upsert(`${spec.resource}/${parsed.key}`, parsed.policy);
        }
      } else {
        policies.remove(spec.resource, parsed.key);
        index.networkSets.remove(`${spec.resource}/${parsed.key}`);
      }
    },
    remove: ({ policies, index }, parsed) => {
      policies.remove(spec.resource, parsed.key);
      index.networkSets.remove(`${spec.resource}/${parsed.key}`);
    },
    keys: ({ policies }) => policies.keys(spec.resource),
    removeKey: ({ policies, index }, key) => {
      policies.remove(spec.resource, key);
      index.networkSets.remove(`${spec.resource}/${key}`);
    },
    problem: (parsed) => parsed.problem,
  });
}

/** The manifest of a policy object the recommender may replace (named `flowlens-recommended-*`), else undefined. */
function recommendedManifest(
  object: Record<string, unknown>,
): { key: string; manifest: Record<string, unknown> } | undefined {
  const found = recommendableKey(object);
  if (found === undefined || !found.name.startsWith(RECOMMENDED_PREFIX)) return undefined;
  return { key: found.key, manifest: comparableManifest(object, found.namespace, found.name) };
}

function asList(listed: unknown): k8s.KubernetesListObject<k8s.KubernetesObject> {
  const items = isRecord(listed) && Array.isArray(listed['items']) ? listed['items'] : [];
  const metadata = isRecord(listed) && isRecord(listed['metadata']) ? listed['metadata'] : {};
  return {
    metadata: { resourceVersion: typeof metadata['resourceVersion'] === 'string' ? metadata['resourceVersion'] : '' },
    items: items.filter(isRecord),
  };
}

const CALICO_GROUP = CALICO_CRD_V1.split('/')[0]!;
const calicoKind = (kind: string, plural: string, parse: (object: unknown) => LivePolicyObject): WatchedKind =>
  policyKind({
    resource: `${plural}.${CALICO_GROUP}`,
    kind,
    changeKind: `projectcalico.org/${kind}`,
    group: CALICO_GROUP,
    version: 'v1',
    plural,
    parse,
  });

/** Every policy kind the engine evaluates. Absent APIs (no Calico, no admin policies) are skipped. */
export const POLICY_KINDS: readonly WatchedKind[] = [
  policyKind({
    resource: 'networkpolicies',
    kind: 'NetworkPolicy',
    group: 'networking.k8s.io',
    version: 'v1',
    plural: 'networkpolicies',
    parse: parseNetworkPolicy,
  }),
  policyKind({
    resource: 'adminnetworkpolicies',
    kind: 'AdminNetworkPolicy',
    group: 'policy.networking.k8s.io',
    version: 'v1alpha1',
    plural: 'adminnetworkpolicies',
    parse: parseAdminNetworkPolicy,
  }),
  policyKind({
    resource: 'baselineadminnetworkpolicies',
    kind: 'BaselineAdminNetworkPolicy',
    group: 'policy.networking.k8s.io',
    version: 'v1alpha1',
    plural: 'baselineadminnetworkpolicies',
    parse: parseBaselineAdminNetworkPolicy,
  }),
  calicoKind('Tier', 'tiers', parseTier),
  calicoKind('NetworkPolicy', 'networkpolicies', parseCalicoPolicy),
  calicoKind('GlobalNetworkPolicy', 'globalnetworkpolicies', parseCalicoPolicy),
  calicoKind('StagedNetworkPolicy', 'stagednetworkpolicies', parseCalicoPolicy),
  calicoKind('StagedGlobalNetworkPolicy', 'stagedglobalnetworkpolicies', parseCalicoPolicy),
  calicoKind('StagedKubernetesNetworkPolicy', 'stagedkubernetesnetworkpolicies', parseStagedKubernetesNetworkPolicy),
  calicoKind('NetworkSet', 'networksets', parseNetworkSet),
  calicoKind('GlobalNetworkSet', 'globalnetworksets', parseNetworkSet),
];

export const CLUSTER_KINDS: readonly WatchedKind[] = [
  watchedKind({
    resource: 'pods',
    path: '/api/v1/pods',
    list: (config) => () => config.makeApiClient(k8s.CoreV1Api).listPodForAllNamespaces(),
    project: projectPod,
    upsert: ({ index, podPrefixes }, pod) => {
      index.upsertPod(pod);
      podPrefixes.upsert(pod);
    },
    remove: ({ index, podPrefixes }, pod) => {
      index.removePod(pod.namespace, pod.name, pod.uid);
      podPrefixes.remove(pod.namespace, pod.name, pod.uid);
    },
    keys: ({ index }) => index.podKeys(),
    removeKey: ({ index, podPrefixes }, key) => {
      index.removePod(...splitKey(key));
      podPrefixes.remove(...splitKey(key));
    },
  }),
  ownerKind(
    'ReplicaSet',
    'replicasets',
    '/apis/apps/v1/replicasets',
    (config) => () => config.makeApiClient(k8s.AppsV1Api).listReplicaSetForAllNamespaces(),
  ),
  ownerKind(
    'Job',
    'jobs',
    '/apis/batch/v1/jobs',
    (config) => () => config.makeApiClient(k8s.BatchV1Api).listJobForAllNamespaces(),
  ),
  watchedKind({
    resource: 'services',
    path: '/api/v1/services',
    list: (config) => () => config.makeApiClient(k8s.CoreV1Api).listServiceForAllNamespaces(),
    project: projectService,
    upsert: ({ index }, service) => index.upsertService(service),
    remove: ({ index }, service) => index.removeService(service.namespace, service.name),
    keys: ({ index }) => index.serviceKeys(),
    removeKey: ({ index }, key) => index.removeService(...splitKey(key)),
  }),
  watchedKind({
    resource: 'serviceaccounts',
    path: '/api/v1/serviceaccounts',
    // Their labels are policy input (Calico's serviceAccountSelector): without them no policy rather than wrong policy.
    whenForbidden: 'policy-off',
    list: (config) => () => config.makeApiClient(k8s.CoreV1Api).listServiceAccountForAllNamespaces(),
    project: projectServiceAccount,
    upsert: ({ policies }, account) => policies.upsertServiceAccount(account.namespace, account.name, account.labels),
    remove: ({ policies }, account) => policies.removeServiceAccount(account.namespace, account.name),
    keys: ({ policies }) => policies.serviceAccountKeys(),
    removeKey: ({ policies }, key) => policies.removeServiceAccount(...splitKey(key)),
  }),
  watchedKind({
    resource: 'endpointslices',
    path: '/apis/discovery.k8s.io/v1/endpointslices',
    // Roles granted before the exporter read EndpointSlices: the view serves without pods' services.
    whenForbidden: 'skip',
    list: (config) => () => config.makeApiClient(k8s.DiscoveryV1Api).listEndpointSliceForAllNamespaces(),
    project: projectEndpointSlice,
    upsert: ({ index }, slice) => index.upsertEndpointSlice(slice),
    remove: ({ index }, slice) => index.removeEndpointSlice(slice.namespace, slice.name),
    keys: ({ index }) => index.endpointSliceKeys(),
    removeKey: ({ index }, key) => index.removeEndpointSlice(...splitKey(key)),
  }),
  watchedKind({
    resource: 'nodes',
    path: '/api/v1/nodes',
    list: (config) => () => config.makeApiClient(k8s.CoreV1Api).listNode(),
    project: projectNode,
    upsert: ({ index }, node) => index.upsertNode(node),
    remove: ({ index }, node) => index.removeNode(node.name),
    keys: ({ index }) => index.nodeNames(),
    removeKey: ({ index }, key) => index.removeNode(key),
  }),
  watchedKind({
    resource: 'namespaces',
    path: '/api/v1/namespaces',
    list: (config) => () => config.makeApiClient(k8s.CoreV1Api).listNamespace(),
    project: projectNamespace,
    upsert: ({ index, policies }, namespace) => {
      index.upsertNamespace(namespace);
      policies.upsertNamespace(namespace.name, namespace.labels);
    },
    remove: ({ index, policies }, namespace) => {
      index.removeNamespace(namespace.name);
      policies.removeNamespace(namespace.name);
    },
    keys: ({ index }) => index.namespaceNames(),
    removeKey: ({ index, policies }, key) => {
      index.removeNamespace(key);
      policies.removeNamespace(key);
    },
  }),
];

type ParsedProfile =
  { key: string; profile: ObservabilityProfile; problem?: undefined } | { key: string; problem: string };

/** Flowlens' own ObservabilityProfiles: which data types to collect per workload (docs/profiles.md). */
export const PROFILE_KINDS: readonly WatchedKind[] = [
  watchedKind<ParsedProfile>({
    resource: PROFILE_PLURAL,
    path: `/apis/${PROFILE_API_VERSION}/${PROFILE_PLURAL}`,
    // A role granted before profiles existed: the view serves without them, collecting everything.
    whenForbidden: 'skip',
    list: (config) => async () => {
      const api = config.makeApiClient(k8s.CustomObjectsApi);
      const listed: unknown = await api.listClusterCustomObject({
        group: PROFILE_GROUP,
        version: PROFILE_VERSION,
        plural: PROFILE_PLURAL,
      });
      return asList(listed);
    },
    project: (object) => {
      const key = keyOf(object);
      try {
        return { key, profile: parseObservabilityProfile(object) };
      } catch (error) {
        return { key, problem: messageOf(error) };
      }
    },
    // A profile that no longer parses no longer applies: what it said before is dropped too.
    upsert: ({ profiles }, parsed) =>
      parsed.problem === undefined ? profiles.upsert(parsed.key, parsed.profile) : profiles.remove(parsed.key),
    remove: ({ profiles }, parsed) => profiles.remove(parsed.key),
    problem: (parsed) => parsed.problem,
    keys: ({ profiles }) => profiles.keys(),
    removeKey: ({ profiles }, key) => profiles.remove(key),
  }),
];

export const WATCHED_KINDS: readonly WatchedKind[] = [...CLUSTER_KINDS, ...POLICY_KINDS, ...PROFILE_KINDS];

/** What the view knows about one kind's informer. */
interface ResourceState {
  readonly kind: WatchedKind;
  /** Each (re)start is a new generation; callbacks of older ones are ignored. */
  generation: number;
  informer: k8s.ListWatch<k8s.KubernetesObject> | undefined;
  synced: boolean;
  absent: boolean;
  /** A kind the view may not list (see WatchedKind.whenForbidden): not watched. */
  forbidden: boolean;
  lastActivity: number;
  backoffMs: number;
  restartTimer: NodeJS.Timeout | undefined;
  /** Failed since its last successful list: repeats are logged at debug, so an outage is not a flood. */
  failing: boolean;
  readonly errors: Map<WatchErrorReason, number>;
  /** Policy kinds: the resourceVersion of every object seen, valid or not, to tell created from updated. */
  readonly versions: Map<string, string>;
  /** Objects that did not parse, by key, at the version last counted: each is logged once. */
  readonly invalid: Map<string, string>;
}

export class LiveClusterView implements ClusterView {
  private readonly index = new ClusterIndex();
  private readonly stores: LiveStores;
  private readonly policyContext: LivePolicyContext;
  /** `kind`, `namespace` and `change`, joined by NUL, to a count. */
  private readonly policyChangeCounts = new Map<string, number>();
  private readonly states: ResourceState[];
  private readonly watchdogMs: number;
  private readonly watchTimeoutSeconds: number;
  private readonly backoffMinMs: number;
  private readonly backoffMaxMs: number;
  private readonly logger: Logger;
  private watchdog: NodeJS.Timeout | undefined;
  private stopped = true;

  constructor(
    private readonly config: k8s.KubeConfig,
    options: LiveViewOptions,
    kinds: readonly WatchedKind[] = WATCHED_KINDS,
  ) {
    this.logger = options.logger;
    this.watchdogMs = options.watchdogMs ?? DEFAULT_WATCHDOG_MS;
    this.watchTimeoutSeconds = options.watchTimeoutSeconds ?? DEFAULT_WATCH_TIMEOUT_SECONDS;
    this.backoffMinMs = options.backoffMinMs ?? 500;
    this.backoffMaxMs = options.backoffMaxMs ?? 30_000;
    this.states = kinds.map((kind) => ({
      kind,
      generation: 0,
      informer: undefined,
      synced: false,
      absent: false,
      forbidden: false,
      lastActivity: 0,
      backoffMs: this.backoffMinMs,
      restartTimer: undefined,
      failing: false,
      errors: new Map(),
      versions: new Map(),
      invalid: new Map(),
    }));
    this.stores = {
      index: this.index,
      podPrefixes: new PodsByPrefix(),
      policies: new LivePolicyStore(),
      profiles: new ProfileStore(),
    };
    this.policyContext = new LivePolicyContext(
      this.stores.policies,
      {
        podByIp: (ip, atSeconds) => this.index.podByIp(ip, atSeconds),
        podByName: (namespace, name) => this.index.podByName(namespace, name),
        podByPrefix: (namespace, prefix) => this.stores.podPrefixes.podFor(namespace, prefix),
      },
      {
        logger: this.logger,
        debounceMs: options.policyDebounceMs ?? DEFAULT_POLICY_DEBOUNCE_MS,
        ready: () =>
          this.synced() && !this.states.some((state) => state.forbidden && state.kind.whenForbidden === 'policy-off'),
      },
    );
  }

  /** A view of the cluster that KUBECONFIG, ~/.kube/config or the pod's service account names. */
  static fromDefaultKubeconfig(options: LiveViewOptions): LiveClusterView {
    const config = new k8s.KubeConfig();
    config.loadFromDefault();
    return new LiveClusterView(config, options);
  }

  /** Starts every informer; returns at once (see synced()). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    for (const state of this.states) this.startInformer(state);
    this.watchdog = setInterval(() => this.checkWatches(), Math.max(10, Math.min(1000, this.watchdogMs / 4)));
    this.watchdog.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.watchdog);
    this.policyContext.stop();
    await Promise.all(this.states.map((state) => this.retire(state)));
  }

  synced(): boolean {
    return this.states.every((state) => state.synced || state.absent || state.forbidden);
  }

  /** Why the view is not synced yet, for /readyz; undefined once it is. */
  notSyncedReason(): string | undefined {
    const waiting = this.states
      .filter((state) => !state.synced && !state.absent && !state.forbidden)
      .map((state) => state.kind.resource);
    return waiting.length === 0 ? undefined : `kubernetes ${waiting.join(', ')} not listed yet`;
  }

  stats(): ResourceStats[] {
    return this.states
      .filter((state) => !state.absent)
      .map((state) => ({
        resource: state.kind.resource,
        // In sync now: listed, and not failing since. Readiness only needs the first list (synced()), so an
        // outage does not pull the exporter out of its Service while it serves its last view.
        synced: state.synced && !state.failing,
        objects: state.kind.keys(this.stores).length,
        errors: state.errors,
      }));
  }

  /**
   * The policy engine over the live policies and the pods behind flow endpoints; undefined until every kind is
   * listed. Read it per flow: the engine behind it is rebuilt when policies or namespaces' labels change.
   */
  /** The ObservabilityProfiles in force: what the pipeline collects for which workloads. */
  get profiles(): ProfileStore {
    return this.stores.profiles;
  }

  livePolicyContext(): PolicyContext | undefined {
    return this.policyContext.current();
  }

  /** The enforced policies the diff to a recommendation reads; undefined until listed or while policy is off. */
  enforcedPolicies(): EnforcedPolicies | undefined {
    if (this.livePolicyContext() === undefined) return undefined;
    return this.stores.policies.enforcedPolicies();
  }

  /** The pods by workload, namespaces and network sets the policy recommender reads; undefined until listed. */
  recommendCluster(): RecommendCluster | undefined {
    if (!this.synced()) return undefined;
    const snapshot = this.stores.policies.engineSnapshot();
    return recommendClusterFromLivePods(this.index, snapshot.namespaces, snapshot.networkSets ?? []);
  }

  /** Engines built so far (the first included). */
  get policyEngineBuilds(): number {
    return this.policyContext.builds;
  }

  policyChanges(): PolicyChangeCount[] {
    return [...this.policyChangeCounts].map(([key, count]) => {
      const [kind, namespace, change] = key.split('\u0000') as [string, string, PolicyChange];
      return { kind, namespace, change, count };
    });
  }

  podByIp(ip: string, atSeconds?: number): PodProjection | undefined {
    return this.index.podByIp(ip, atSeconds);
  }

  /** The pods of a namespace (the capture controller selects among them). */
  podsInNamespace(namespace: string): PodProjection[] {
    const prefix = `${namespace}/`;
    const pods: PodProjection[] = [];
    for (const key of this.index.podKeys()) {
      if (!key.startsWith(prefix)) continue;
      const pod = this.index.podByName(namespace, key.slice(prefix.length));
      if (pod !== undefined) pods.push(pod);
    }
    return pods;
  }

  podByName(namespace: string, name: string): PodProjection | undefined {
    return this.index.podByName(namespace, name);
  }

  podByUid(uid: string): PodProjection | undefined {
    return this.index.podByUid(uid);
  }

  workloadOf(pod: PodProjection): WorkloadRef {
    return this.index.workloadOf(pod);
  }

  workloadOfPrefix(namespace: string, prefix: string): WorkloadRef | undefined {
    return this.index.workloadOfPrefix(namespace, prefix);
  }

  serviceByClusterIp(ip: string): ServiceRef | undefined {
    return this.index.serviceByClusterIp(ip);
  }

  nodeByIp(ip: string): string | undefined {
    return this.index.nodeByIp(ip);
  }

  serviceOfPod(namespace: string, name: string): ServiceRef | undefined {
    return this.index.serviceOfPod(namespace, name);
  }

  networkSetForIp(ip: string): NetworkSetRef | undefined {
    return this.index.networkSetForIp(ip);
  }

  namespaceLabels(name: string): Readonly<Record<string, string>> | undefined {
    return this.index.namespaceLabels(name);
  }

  private startInformer(state: ResourceState): void {
    const generation = ++state.generation;
    const current = (): boolean => !this.stopped && state.generation === generation;
    const touch = (): void => {
      if (current()) state.lastActivity = Date.now();
    };
    const { kind } = state;
    const list = kind.list(this.config);
    const listAndReconcile: ListFunction = async () => {
      const listed = await list();
      if (!current()) throw new SupersededError();
      const result = { metadata: listed.metadata, items: listed.items.map((item) => kind.slim(item)) };
      this.reconcile(state, result.items);
      state.synced = true;
      state.backoffMs = this.backoffMinMs;
      if (state.failing) this.logger.log('info', 'kubernetes list succeeded again', { resource: kind.resource });
      state.failing = false;
      touch();
      return result;
    };
    const watch = new ObservedWatch(this.config, {
      timeoutSeconds: this.watchTimeoutSeconds,
      current,
      slim: (object) => kind.slim(object),
      onActivity: touch,
      onExpired: () => {
        if (current()) this.countError(state, 'expired');
      },
    });
    const informer = new k8s.ListWatch<k8s.KubernetesObject>(kind.path, watch, listAndReconcile, false);
    const apply = (object: k8s.KubernetesObject): void => {
      if (current()) this.applyObject(state, object);
    };
    informer.on(k8s.ADD, apply);
    informer.on(k8s.UPDATE, apply);
    informer.on(k8s.DELETE, (object) => {
      if (!current()) return;
      kind.remove(this.stores, object);
      this.forget(state, keyOf(object));
    });
    informer.on(k8s.CONNECT, touch);
    informer.on(k8s.ERROR, (error: unknown) => {
      if (current()) this.failed(state, error);
    });
    state.informer = informer;
    state.lastActivity = Date.now();
    informer.start().catch((error: unknown) => {
      if (current()) this.failed(state, error);
    });
  }

  /** A (re)list replaces what the stores hold for the kind: objects deleted meanwhile go too. */
  private reconcile(state: ResourceState, items: readonly k8s.KubernetesObject[]): void {
    const listed = new Set(items.map(keyOf));
    for (const key of state.kind.keys(this.stores)) if (!listed.has(key)) state.kind.removeKey(this.stores, key);
    for (const key of [...state.versions.keys()]) if (!listed.has(key)) this.forget(state, key);
    for (const item of items) this.applyObject(state, item);
  }

  private applyObject(state: ResourceState, object: k8s.KubernetesObject): void {
    const { kind } = state;
    kind.upsert(this.stores, object);
    if (kind.changeKind === undefined && kind.problemOf === undefined) return;
    const key = keyOf(object);
    const version = object.metadata?.resourceVersion ?? '';
    if (kind.changeKind !== undefined) {
      const known = state.versions.get(key);
      state.versions.set(key, version);
      // The first list is the state the view starts from, not a change; relists after it count what changed meanwhile.
      if (state.synced && known !== version) {
        const namespace = object.metadata?.namespace ?? '';
        this.countPolicyChange(kind.changeKind, namespace, known === undefined ? 'created' : 'updated');
      }
    }
    const problem = kind.problemOf?.(object);
    if (problem === undefined) {
      state.invalid.delete(key);
      return;
    }
    // Each version of an invalid object is counted once (a relist sees it again); the object is logged once, until
    // it parses or goes.
    const counted = state.invalid.get(key);
    if (counted === version) return;
    state.invalid.set(key, version);
    this.countError(state, 'invalid_object');
    if (counted === undefined) {
      this.logger.log(
        'warn',
        kind.changeKind === undefined ? 'kubernetes object skipped' : 'kubernetes policy object skipped',
        {
          resource: kind.resource,
          object: key,
          error: problem,
        },
      );
    }
  }

  /** An object is gone (deleted, or missing from a relist). */
  private forget(state: ResourceState, key: string): void {
    state.invalid.delete(key);
    if (state.kind.changeKind === undefined || !state.versions.delete(key)) return;
    const namespace = key.includes('/') ? splitKey(key)[0] : '';
    this.countPolicyChange(state.kind.changeKind, namespace, 'deleted');
  }

  private countPolicyChange(kind: string, namespace: string, change: PolicyChange): void {
    const key = `${kind}\u0000${namespace}\u0000${change}`;
    this.policyChangeCounts.set(key, (this.policyChangeCounts.get(key) ?? 0) + 1);
  }

  private failed(state: ResourceState, error: unknown): void {
    const status = statusOf(error);
    void this.retire(state);
    if (status === 404 && !state.synced) {
      state.absent = true;
      this.logger.log('warn', 'kubernetes API absent; not watching it', {
        resource: state.kind.resource,
        path: state.kind.path,
      });
      return;
    }
    // Clusters whose role for the exporter predates policy support: the view serves without policy rather than
    // never becoming ready. Without every policy kind the engine's answers would be wrong, so there are none.
    if (status === 403 && !state.synced && state.kind.whenForbidden !== undefined) {
      state.forbidden = true;
      this.countError(state, 'unauthorized');
      this.logger.log(
        'warn',
        state.kind.whenForbidden === 'policy-off'
          ? 'kubernetes policy API forbidden; not watching it, and no policy attribution from the cluster'
          : 'kubernetes API forbidden; not watching it',
        {
          resource: state.kind.resource,
          path: state.kind.path,
          error: messageOf(error),
        },
      );
      return;
    }
    const reason = reasonOf(error, status);
    this.countError(state, reason);
    this.logger.log(state.failing ? 'debug' : 'warn', 'kubernetes list or watch failed; restarting', {
      resource: state.kind.resource,
      reason,
      error: messageOf(error),
      retryInMs: state.backoffMs,
    });
    state.failing = true;
    this.scheduleRestart(state);
  }

  private scheduleRestart(state: ResourceState): void {
    if (this.stopped) return;
    clearTimeout(state.restartTimer);
    const wait = state.backoffMs;
    state.backoffMs = Math.min(this.backoffMaxMs, state.backoffMs * 2);
    state.restartTimer = setTimeout(() => {
      state.restartTimer = undefined;
      if (!this.stopped) this.startInformer(state);
    }, wait);
    state.restartTimer.unref();
  }

  private checkWatches(): void {
    const now = Date.now();
    for (const state of this.states) {
      if (state.informer === undefined || state.absent || now - state.lastActivity <= this.watchdogMs) continue;
      this.countError(state, 'stalled');
      this.logger.log('warn', 'kubernetes watch silent for too long; restarting', {
        resource: state.kind.resource,
        silentMs: now - state.lastActivity,
      });
      void this.retire(state);
      this.scheduleRestart(state);
    }
  }

  /** Stops a kind's informer; its late callbacks are ignored from here on. */
  private async retire(state: ResourceState): Promise<void> {
    state.generation++;
    clearTimeout(state.restartTimer);
    state.restartTimer = undefined;
    const informer = state.informer;
    state.informer = undefined;
    await informer?.stop();
  }

  private countError(state: ResourceState, reason: WatchErrorReason): void {
    state.errors.set(reason, (state.errors.get(reason) ?? 0) + 1);
  }
}

class SupersededError extends Error {
  constructor() {
    super('superseded by a newer list and watch');
  }
}

interface WatchHooks {
  timeoutSeconds: number;
  current(): boolean;
  slim(object: unknown): k8s.KubernetesObject;
  onActivity(): void;
  onExpired(): void;
}

/**
 * The library's Watch, handing the informer slim objects, asking for bookmarks and a server-side timeout (so a quiet kind still hears
 * from the server), and telling the view about every event for its watchdog. A superseded informer
 * gets no new watch.
 */
class ObservedWatch extends k8s.Watch {
  constructor(
    config: k8s.KubeConfig,
    private readonly hooks: WatchHooks,
  ) {
    super(config);
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    if (!this.hooks.current()) {
      const controller = new AbortController();
      controller.abort();
      done(null);
      return controller;
    }
    this.hooks.onActivity();
    const query = { ...queryParams, allowWatchBookmarks: true, timeoutSeconds: this.hooks.timeoutSeconds };
    const controller = await super.watch(
      path,
      query,
      (phase, object, event) => {
        this.hooks.onActivity();
        if (phase === 'ERROR' && statusOf(object) === 410) this.hooks.onExpired();
        const isObjectEvent = phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED';
        callback(phase, isObjectEvent ? this.hooks.slim(object) : object, event);
      },
      (error: unknown) => {
        if (statusOf(error) === 410) this.hooks.onExpired();
        done(error);
      },
    );
    // Stopped while the request was on its way: ListWatch keeps the controller only once this returns, so its stop()
    // had nothing to abort, and the open watch would hold the process (a `replay` would not exit) until the server
    // ends it. End it here.
    if (!this.hooks.current()) controller.abort();
    return controller;
  }
}

/** The HTTP status in an error of the client (ApiException `code`, Watch `statusCode`) or a Status object. */
function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const record = error as Record<string, unknown>;
  for (const key of ['statusCode', 'code']) {
    const value = record[key];
    if (typeof value === 'number') return value;
  }
  return undefined;
}

function reasonOf(error: unknown, status: number | undefined): WatchErrorReason {
  if (status === undefined) {
    return error instanceof Error && (error.name === 'FetchError' || 'errno' in error || 'code' in error)
      ? 'connection'
      : 'other';
  }
  if (status === 410) return 'expired';
  if (status === 401 || status === 403) return 'unauthorized';
  if (status >= 500) return 'server_error';
  if (status >= 400) return 'client_error';
  return 'other';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}
