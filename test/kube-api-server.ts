/**
 * A fake Kubernetes API server on 127.0.0.1 (HTTPS, bearer token) that speaks the list and watch protocol the way the real one
 * does, for driving the real client library in tests:
 *
 * - one global revision counter, like etcd's: every write bumps it and stamps the object's
 *   `metadata.resourceVersion`; lists carry the current revision in `metadata.resourceVersion`;
 * - `?watch=true&resourceVersion=N` answers 200 with a chunked stream of newline-delimited
 *   `{"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR","object":{...}}` events: first every event after N
 *   still in the history, then live ones; without N (or with 0), synthetic ADDED events for every object;
 * - a resourceVersion older than the compacted history gets `410 Gone`: an ERROR event carrying a
 *   `Status` (reason Expired, code 410) and the end of the stream, as the real server does, or an
 *   HTTP 410 with the Status as body (`goneAs`);
 * - `timeoutSeconds` ends the stream; `allowWatchBookmarks=true` lets `bookmark()` send BOOKMARK events
 *   whose object holds only kind, apiVersion and the current resourceVersion;
 * - API groups marked absent (and unknown paths) answer 404 with a NotFound Status, forbidden ones 403.
 *
 * It serves the core kinds the live view watches and every policy kind: Kubernetes' NetworkPolicy, the
 * policy.networking.k8s.io admin kinds, Calico's CRDs under crd.projectcalico.org/v1 and Flowlens' ObservabilityProfile;
 * and Flowlens' PacketCapture (flowlens.io/v1alpha1, not watched by the live view). Namespaced paths (`/api/v1/namespaces/NS/pods?labelSelector=`,
 * `/apis/G/V/namespaces/NS/PLURAL[/NAME]`) list, get, create and delete; `.../NAME/status` takes JSON merge patches
 * (recorded in `statusPatches`). TokenReview answers from `tokens`, SubjectAccessReview from `grants`
 * (`user verb group/resource/subresource namespace`), each question recorded.
 *
 * On demand it drops every watch connection, stalls watches (streams stay open, nothing is written),
 * stops listening (an outage; objects and history are kept) and listens again on the same port.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FIXTURES } from './support';

// A self-signed certificate for 127.0.0.1, valid until 2126, made for these tests only: the client verifies
// the server against it as the cluster's certificate authority, as it would a real API server.
const TLS_CERTIFICATE = readFileSync(join(FIXTURES, 'kube-api-server.crt'));
const TLS_KEY = readFileSync(join(FIXTURES, 'kube-api-server.key'));

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  /** EndpointSlices keep their endpoints at the top level. */
  endpoints?: Record<string, unknown>[];
}

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface HistoryEvent {
  revision: number;
  type: EventType;
  object: KubeObject;
}

/** One resource collection: `/api/v1/pods`, `/apis/apps/v1/replicasets`, ... */
interface Collection {
  readonly path: string;
  readonly listKind: string;
  readonly kind: string;
  readonly apiVersion: string;
  readonly objects: Map<string, KubeObject>;
  readonly history: HistoryEvent[];
}

interface Watcher {
  collection: Collection;
  response: ServerResponse;
  bookmarks: boolean;
  timer: NodeJS.Timeout | undefined;
}

export interface WatchRequest {
  path: string;
  resourceVersion: string;
  bookmarks: boolean;
}

/** Flowlens' ObservabilityProfiles: watched by the live view (collection per workload). */
export const OBSERVABILITY_PROFILES = '/apis/flowlens.io/v1alpha1/observabilityprofiles';

const COLLECTIONS: readonly [string, string, string][] = [
  ['/api/v1/pods', 'Pod', 'v1'],
  ['/api/v1/services', 'Service', 'v1'],
  ['/api/v1/nodes', 'Node', 'v1'],
  ['/api/v1/namespaces', 'Namespace', 'v1'],
  ['/api/v1/serviceaccounts', 'ServiceAccount', 'v1'],
  ['/apis/apps/v1/replicasets', 'ReplicaSet', 'apps/v1'],
  ['/apis/batch/v1/jobs', 'Job', 'batch/v1'],
  ['/apis/discovery.k8s.io/v1/endpointslices', 'EndpointSlice', 'discovery.k8s.io/v1'],
  ['/apis/networking.k8s.io/v1/networkpolicies', 'NetworkPolicy', 'networking.k8s.io/v1'],
  [OBSERVABILITY_PROFILES, 'ObservabilityProfile', 'flowlens.io/v1alpha1'],
  [
    '/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies',
    'AdminNetworkPolicy',
    'policy.networking.k8s.io/v1alpha1',
  ],
  [
    '/apis/policy.networking.k8s.io/v1alpha1/baselineadminnetworkpolicies',
    'BaselineAdminNetworkPolicy',
    'policy.networking.k8s.io/v1alpha1',
  ],
  ...(
    [
      ['tiers', 'Tier'],
      ['networkpolicies', 'NetworkPolicy'],
      ['globalnetworkpolicies', 'GlobalNetworkPolicy'],
      ['stagednetworkpolicies', 'StagedNetworkPolicy'],
      ['stagedglobalnetworkpolicies', 'StagedGlobalNetworkPolicy'],
      ['stagedkubernetesnetworkpolicies', 'StagedKubernetesNetworkPolicy'],
      ['networksets', 'NetworkSet'],
      ['globalnetworksets', 'GlobalNetworkSet'],
    ] as const
  ).map(([plural, kind]): [string, string, string] => [
    `/apis/crd.projectcalico.org/v1/${plural}`,
    kind,
    'crd.projectcalico.org/v1',
  ]),
];

/** The number of collections, each watched by the live view. */
export const COLLECTION_COUNT = COLLECTIONS.length;

/** Custom resources served besides (not watched by the live view): Flowlens' PacketCapture, with its status subresource. */
export const PACKET_CAPTURES = '/apis/flowlens.io/v1alpha1/packetcaptures';
const CUSTOM_COLLECTIONS: readonly [string, string, string][] = [
  [PACKET_CAPTURES, 'PacketCapture', 'flowlens.io/v1alpha1'],
];

/** A user the fake TokenReview knows. */
export interface FakeUser {
  username: string;
  groups: string[];
}

/** A SubjectAccessReview's question, as recorded. */
export interface AccessQuestion {
  user: string;
  verb: string;
  group: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

/** A namespaced object path: `/api/v1/namespaces/NS/pods`, `/apis/G/V/namespaces/NS/PLURAL/NAME/status`. */
const NAMESPACED_PATH = /^(\/api\/v1|\/apis\/[^/]+\/[^/]+)\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+)(?:\/(status))?)?$/;

export class FakeKubeApiServer {
  private readonly collections = new Map<string, Collection>();
  private readonly watchers = new Set<Watcher>();
  private readonly sockets = new Set<Socket>();
  private readonly absentGroups = new Set<string>();
  private readonly forbiddenGroups = new Set<string>();
  private server: Server | undefined;
  private revision = 1000;
  /** Events at or before this revision are gone: watches from older versions get 410. */
  private compactedRevision = 0;
  private uids = 0;
  private stalled = false;
  /** While holding, watch requests wait unanswered (no headers yet): `holdWatches(false)` answers them. */
  private heldWatches: (() => void)[] | undefined;
  port = 0;
  goneAs: 'event' | 'http' = 'event';
  /** Every list (path) and watch (path and parameters) request, in order. */
  readonly lists: string[] = [];
  readonly watches: WatchRequest[] = [];
  /** Bearer tokens TokenReview accepts, and whose they are. */
  readonly tokens = new Map<string, FakeUser>();
  /** What SubjectAccessReview allows: `user verb group/resource/subresource namespace` strings. */
  readonly grants = new Set<string>();
  /** Every TokenReview's token and SubjectAccessReview's question, in order. */
  readonly tokenReviews: string[] = [];
  readonly accessReviews: AccessQuestion[] = [];
  /** Every PATCH of a status subresource: path and body. */
  readonly statusPatches: { path: string; body: unknown }[] = [];

  constructor() {
    for (const [path, kind, apiVersion] of [...COLLECTIONS, ...CUSTOM_COLLECTIONS]) {
      this.collections.set(path, {
        path,
        kind,
        apiVersion,
        listKind: `${kind}List`,
        objects: new Map(),
        history: [],
      });
    }
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** Listens on `port` (0: any free one; again the same one after stop()). */
  async start(port = this.port): Promise<void> {
    const server = createServer({ cert: TLS_CERTIFICATE, key: TLS_KEY }, (request, response) =>
      this.handle(request, response),
    );
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address !== null && typeof address === 'object') this.port = address.port;
    this.server = server;
  }

  /** An outage: stops listening and cuts every connection. Objects and history stay. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const watcher of this.watchers) clearTimeout(watcher.timer);
    this.watchers.clear();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /** Writes a kubeconfig that points at this server, as `kubectl config view --raw` would show it. */
  async writeKubeconfig(file: string): Promise<void> {
    const kubeconfig = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'fake',
          cluster: { server: this.url, 'certificate-authority-data': TLS_CERTIFICATE.toString('base64') },
        },
      ],
      users: [{ name: 'tester', user: { token: 'fake-token' } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'tester' } }],
      'current-context': 'fake',
    };
    await writeFile(file, JSON.stringify(kubeconfig, null, 2));
  }

  /** Makes an API group (`batch/v1`, `apps/v1`) answer 404, as if it were not installed. */
  removeApiGroup(groupVersion: string): void {
    this.absentGroups.add(groupVersion);
  }

  /** Makes an API group answer 403, as RBAC does to a service account whose role does not grant it. */
  forbidApiGroup(groupVersion: string): void {
    this.forbiddenGroups.add(groupVersion);
  }

  /** Creates or replaces an object in the collection at `path`: ADDED or MODIFIED. */
  apply(path: string, object: KubeObject): KubeObject {
    const collection = this.collection(path);
    const key = keyOf(object);
    const existing = collection.objects.get(key);
    const stored: KubeObject = structuredClone(object);
    stored.apiVersion = collection.apiVersion;
    stored.kind = collection.kind;
    stored.metadata.uid ??= existing?.metadata.uid ?? `uid-${++this.uids}`;
    stored.metadata.creationTimestamp ??= existing?.metadata.creationTimestamp ?? new Date().toISOString();
    stored.metadata.resourceVersion = String(++this.revision);
    collection.objects.set(key, stored);
    this.record(collection, existing === undefined ? 'ADDED' : 'MODIFIED', stored);
    return stored;
  }

  /** Deletes an object: DELETED, carrying the object at a new resourceVersion. */
  delete(path: string, namespace: string, name: string): void {
    const collection = this.collection(path);
    const key = namespace === '' ? name : `${namespace}/${name}`;
    const existing = collection.objects.get(key);
    if (existing === undefined) throw new Error(`${path}: no ${key} to delete`);
    collection.objects.delete(key);
    const deleted: KubeObject = structuredClone(existing);
    deleted.metadata.resourceVersion = String(++this.revision);
    this.record(collection, 'DELETED', deleted);
  }

  get(path: string, namespace: string, name: string): KubeObject | undefined {
    return this.collection(path).objects.get(namespace === '' ? name : `${namespace}/${name}`);
  }

  /** Forgets the history up to now: a watch from any earlier resourceVersion is answered 410 Gone. */
  compact(): void {
    this.compactedRevision = this.revision;
    for (const collection of this.collections.values()) collection.history.length = 0;
  }

  /** Cuts every open watch stream (the TCP connection, without a final chunk). */
  dropWatches(): void {
    for (const watcher of this.watchers) {
      clearTimeout(watcher.timer);
      watcher.response.socket?.destroy();
    }
    this.watchers.clear();
  }

  /** Ends every open watch stream cleanly, as the server does when a watch's timeoutSeconds is up. */
  endWatches(): void {
    for (const watcher of [...this.watchers]) this.endWatch(watcher);
  }

  /**
   * Ends every open watch with an ERROR event of 410 Gone, as the real server does when a watcher falls
   * behind its watch cache.
   */
  expireWatches(): void {
    for (const watcher of [...this.watchers]) {
      this.writeEvent(watcher, { type: 'ERROR', object: goneStatus('watcher fell too far behind') });
      this.endWatch(watcher);
    }
  }

  /**
   * Holds new watch requests unanswered, as a slow API server does, until `holdWatches(false)` answers them; a client
   * that gave up meanwhile (aborted) gets nothing. `heldWatchCount()` says how many wait.
   */
  holdWatches(hold = true): void {
    if (hold) {
      this.heldWatches ??= [];
      return;
    }
    const held = this.heldWatches ?? [];
    this.heldWatches = undefined;
    for (const answer of held) answer();
  }

  heldWatchCount(): number {
    return this.heldWatches?.length ?? 0;
  }

  /** While stalled, watch streams stay open and silent (lists still answer). */
  stall(stalled = true): void {
    this.stalled = stalled;
  }

  /** Sends a BOOKMARK to every watcher that allowed them. */
  bookmark(): void {
    for (const watcher of this.watchers) {
      if (!watcher.bookmarks) continue;
      const { kind, apiVersion } = watcher.collection;
      this.writeEvent(watcher, {
        type: 'BOOKMARK',
        object: { kind, apiVersion, metadata: { resourceVersion: String(this.revision) } },
      });
    }
  }

  openWatches(path?: string): number {
    return [...this.watchers].filter((watcher) => path === undefined || watcher.collection.path === path).length;
  }

  private collection(path: string): Collection {
    const collection = this.collections.get(path);
    if (collection === undefined) throw new Error(`the fake API server has no collection ${path}`);
    return collection;
  }

  private record(collection: Collection, type: EventType, object: KubeObject): void {
    const event: HistoryEvent = { revision: this.revision, type, object };
    collection.history.push(event);
    for (const watcher of this.watchers) {
      if (watcher.collection === collection) this.writeEvent(watcher, { type, object });
    }
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://fake');
    if (request.headers.authorization !== 'Bearer fake-token') {
      sendStatus(response, 401, 'Unauthorized', 'Unauthorized');
      return;
    }
    if (request.method === 'POST' && url.pathname === '/apis/authentication.k8s.io/v1/tokenreviews') {
      void readJson(request).then((body) => this.tokenReview(body, response));
      return;
    }
    if (request.method === 'POST' && url.pathname === '/apis/authorization.k8s.io/v1/subjectaccessreviews') {
      void readJson(request).then((body) => this.accessReview(body, response));
      return;
    }
    const namespaced = NAMESPACED_PATH.exec(url.pathname);
    if (namespaced !== null) {
      const [, prefix, namespace, plural, name, subresource] = namespaced as unknown as [
        string,
        string,
        string,
        string,
        string | undefined,
        string | undefined,
      ];
      const namespacedCollection = this.collections.get(`${prefix}/${plural}`);
      if (namespacedCollection !== undefined && !this.absentGroups.has(prefix.replace(/^\/apis?\//, ''))) {
        void readJson(request).then((body) =>
          this.namespacedRequest(
            namespacedCollection,
            request.method ?? 'GET',
            namespace,
            name,
            subresource,
            url,
            body,
            response,
          ),
        );
        return;
      }
    }
    const groupVersion = /^\/apis?\/(.+)\/[^/]+$/.exec(url.pathname)?.[1] ?? '';
    const collection = this.collections.get(url.pathname);
    if (request.method !== 'GET' || collection === undefined || this.absentGroups.has(groupVersion)) {
      sendStatus(response, 404, 'NotFound', 'the server could not find the requested resource');
      return;
    }
    if (this.forbiddenGroups.has(groupVersion)) {
      const plural = url.pathname.slice(url.pathname.lastIndexOf('/') + 1);
      const group = groupVersion.split('/')[0] ?? '';
      sendStatus(
        response,
        403,
        'Forbidden',
        `${plural}.${group} is forbidden: User "system:serviceaccount:flowlens:flowlens" cannot list resource "${plural}" in API group "${group}" at the cluster scope`,
      );
      return;
    }
    if (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1') {
      this.watch(collection, url.searchParams, response);
      return;
    }
    this.lists.push(collection.path);
    const body = {
      kind: collection.listKind,
      apiVersion: collection.apiVersion,
      metadata: { resourceVersion: String(this.revision) },
      // Items of a list carry no kind or apiVersion, as the real server sends them.
      items: [...collection.objects.values()].map(({ metadata, spec, status, endpoints }) => ({
        metadata,
        spec,
        status,
        endpoints,
      })),
    };
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  }

  /** GET, POST, DELETE of namespaced objects; PATCH (JSON merge patch) of their status subresource. */
  private namespacedRequest(
    collection: Collection,
    method: string,
    namespace: string,
    name: string | undefined,
    subresource: string | undefined,
    url: URL,
    body: unknown,
    response: ServerResponse,
  ): void {
    const send = (code: number, object: unknown): void => {
      response.writeHead(code, { 'content-type': 'application/json' });
      response.end(JSON.stringify(object));
    };
    const notFound = (): void =>
      sendStatus(response, 404, 'NotFound', `${collection.kind.toLowerCase()}s "${name ?? ''}" not found`);
    if (name === undefined) {
      if (method === 'GET') {
        const selector = url.searchParams.get('labelSelector') ?? '';
        const wanted = selector === '' ? [] : selector.split(',').map((pair) => pair.split('=') as [string, string]);
        const items = [...collection.objects.values()].filter(
          (object) =>
            object.metadata.namespace === namespace &&
            wanted.every(([key, value]) => object.metadata.labels?.[key] === value),
        );
        send(200, {
          kind: collection.listKind,
          apiVersion: collection.apiVersion,
          metadata: { resourceVersion: String(this.revision) },
          items,
        });
        return;
      }
      if (method === 'POST') {
        const object = body as KubeObject;
        if (typeof object?.metadata?.name !== 'string') {
          sendStatus(response, 422, 'Invalid', 'metadata.name: Required value');
          return;
        }
        if (collection.objects.has(`${namespace}/${object.metadata.name}`)) {
          sendStatus(response, 409, 'AlreadyExists', `${collection.kind} "${object.metadata.name}" already exists`);
          return;
        }
        // The status subresource is not set by a create.
        const created = structuredClone(object);
        delete created.status;
        send(201, this.apply(collection.path, { ...created, metadata: { ...object.metadata, namespace } }));
        return;
      }
      sendStatus(response, 405, 'MethodNotAllowed', `${method} is not supported here`);
      return;
    }
    const existing = collection.objects.get(`${namespace}/${name}`);
    if (existing === undefined) return notFound();
    if (subresource === 'status') {
      if (method !== 'PATCH') {
        sendStatus(response, 405, 'MethodNotAllowed', 'the fake server patches status only');
        return;
      }
      this.statusPatches.push({ path: url.pathname, body });
      const patch = (body as { status?: unknown } | undefined)?.status;
      const updated = structuredClone(existing);
      updated.status = mergePatch(updated.status ?? {}, patch) as Record<string, unknown>;
      send(200, this.apply(collection.path, updated));
      return;
    }
    if (method === 'GET') return send(200, existing);
    if (method === 'DELETE') {
      this.delete(collection.path, namespace, name);
      send(200, { kind: 'Status', apiVersion: 'v1', status: 'Success', details: { name } });
      return;
    }
    sendStatus(response, 405, 'MethodNotAllowed', `${method} is not supported here`);
  }

  private tokenReview(body: unknown, response: ServerResponse): void {
    const token = (body as { spec?: { token?: unknown } } | undefined)?.spec?.token;
    const text = typeof token === 'string' ? token : '';
    this.tokenReviews.push(text);
    const user = this.tokens.get(text);
    response.writeHead(201, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        status:
          user === undefined ? { authenticated: false, error: 'invalid bearer token' } : { authenticated: true, user },
      }),
    );
  }

  private accessReview(body: unknown, response: ServerResponse): void {
    const spec = (body as { spec?: { user?: string; resourceAttributes?: Record<string, string> } } | undefined)?.spec;
    const attributes = spec?.resourceAttributes ?? {};
    const question: AccessQuestion = {
      user: spec?.user ?? '',
      verb: attributes['verb'] ?? '',
      group: attributes['group'] ?? '',
      resource: attributes['resource'] ?? '',
      subresource: attributes['subresource'] ?? '',
      namespace: attributes['namespace'] ?? '',
      name: attributes['name'] ?? '',
    };
    this.accessReviews.push(question);
    const allowed = this.grants.has(
      `${question.user} ${question.verb} ${question.group}/${question.resource}/${question.subresource} ${question.namespace}`,
    );
    response.writeHead(201, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        status: allowed ? { allowed: true } : { allowed: false, reason: 'no RBAC rule allows it' },
      }),
    );
  }

  private watch(collection: Collection, parameters: URLSearchParams, response: ServerResponse): void {
    if (this.heldWatches !== undefined) {
      this.heldWatches.push(() => {
        if (!response.destroyed) this.watch(collection, parameters, response);
      });
      return;
    }
    const resourceVersion = parameters.get('resourceVersion') ?? '';
    const bookmarks = parameters.get('allowWatchBookmarks') === 'true';
    this.watches.push({ path: collection.path, resourceVersion, bookmarks });
    const since = Number(resourceVersion || '0');
    const expired = since !== 0 && since < this.compactedRevision;
    if (expired && this.goneAs === 'http') {
      sendStatus(response, 410, 'Expired', `too old resource version: ${since} (${this.compactedRevision})`, 'Gone');
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    response.flushHeaders();
    const watcher: Watcher = { collection, response, bookmarks, timer: undefined };
    if (expired) {
      this.writeEvent(watcher, {
        type: 'ERROR',
        object: goneStatus(`too old resource version: ${since} (${this.compactedRevision})`),
      });
      response.end();
      return;
    }
    this.watchers.add(watcher);
    response.once('close', () => {
      clearTimeout(watcher.timer);
      this.watchers.delete(watcher);
    });
    const timeoutSeconds = Number(parameters.get('timeoutSeconds') ?? '0');
    if (timeoutSeconds > 0) {
      watcher.timer = setTimeout(() => this.endWatch(watcher), timeoutSeconds * 1000);
      watcher.timer.unref();
    }
    if (since === 0) {
      for (const object of collection.objects.values()) this.writeEvent(watcher, { type: 'ADDED', object });
    } else {
      for (const event of collection.history) {
        if (event.revision > since) this.writeEvent(watcher, { type: event.type, object: event.object });
      }
    }
  }

  private writeEvent(watcher: Watcher, event: { type: string; object: unknown }): void {
    if (this.stalled || watcher.response.writableEnded) return;
    watcher.response.write(`${JSON.stringify(event)}\n`);
  }

  private endWatch(watcher: Watcher): void {
    clearTimeout(watcher.timer);
    this.watchers.delete(watcher);
    watcher.response.end();
  }
}

/** RFC 7386 JSON merge patch: objects merge key by key, null removes, anything else replaces. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const result: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function keyOf(object: KubeObject): string {
  const namespace = object.metadata.namespace ?? '';
  return namespace === '' ? object.metadata.name : `${namespace}/${object.metadata.name}`;
}

function goneStatus(message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Expired', code: 410 };
}

function sendStatus(
  response: ServerResponse,
  code: number,
  reason: string,
  message: string,
  statusText?: string,
): void {
  const body = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  response.writeHead(code, statusText ?? STATUS_CODES[code] ?? '', { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
