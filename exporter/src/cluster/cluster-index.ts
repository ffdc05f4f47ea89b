/**
 * The indexes behind both cluster views: pods by IP and by name, the middle links of owner chains,
 * services by cluster IP and (through EndpointSlices) by the pods behind them, nodes by internal IP, Calico's
 * network sets by prefix. Objects come and go one at a time (watch events) or in bulk (a file, a relist), and
 * the indexes stay consistent either way.
 *
 * Pod IPs are reused: when a pod goes, the network hands its IP to a later pod. A flow record that ended
 * before the change belongs to the earlier pod, so the index also keeps a short, bounded history of who
 * held each IP when (see IpHistory), and `podByIp(ip, atSeconds)` answers for a moment in the past.
 */
import { workloadFromPodName } from '../model/workload';
import type {
  EndpointSliceProjection,
  NamespaceProjection,
  NodeProjection,
  OwnerProjection,
  OwnerRef,
  PodProjection,
  ServiceProjection,
  ServiceRef,
  WorkloadRef,
} from './projections';
import { uidTag } from './projections';
import type { ClusterView } from './view';
import { NetworkSetIndex, type NetworkSetRef } from './network-sets';

/**
 * How much of who held which IP the index remembers. With the defaults the history costs one map entry per
 * held IP plus at most 8192 released holdings, each keeping a gone pod's projection alive: a few MiB at
 * worst, and that only while pods go at 14 a second for ten minutes.
 */
export interface IpHistoryLimits {
  /** Holders kept per IP, the current one included: older ones are forgotten first. */
  holdersPerIp: number;
  /** Released holdings are forgotten this many seconds after their release (checked on each change). */
  maxAgeSeconds: number;
  /** Released holdings kept across all IPs, whatever the churn: the oldest are forgotten first. */
  maxReleased: number;
  /**
   * A time just outside every holding goes to the nearest holder within this many seconds: node clocks,
   * the API server's clock and the watch's delay disagree by that much.
   */
  slackSeconds: number;
}

/**
 * Defaults: Calico writes flow logs every few minutes at most and a record is enriched soon after its end,
 * so ten minutes of history covers it; four holders per IP cover a crash-looping Job's pods.
 */
export const DEFAULT_IP_HISTORY_LIMITS: Readonly<IpHistoryLimits> = Object.freeze({
  holdersPerIp: 4,
  maxAgeSeconds: 600,
  maxReleased: 8192,
  slackSeconds: 15,
});

export interface ClusterIndexOptions {
  /** The clock, in unix seconds (tests pass their own). */
  nowSeconds?: () => number;
  /**
   * Limits of the per-IP history; `false` keeps none, and every time gets the current answer: a file of
   * objects is one instant, so two pods listing one IP there say nothing about when the IP changed hands.
   */
  ipHistory?: Partial<IpHistoryLimits> | false;
}

/** One pod's holding of one IP, in whole unix seconds: from when the view dates it, until its release. */
export interface IpHoldingView {
  namespace: string;
  name: string;
  uid: number;
  from: number;
  /** Infinity while the pod still holds the IP. */
  until: number;
}

export class ClusterIndex implements Omit<ClusterView, 'synced'> {
  private readonly nowSeconds: () => number;
  private readonly ipHistory: IpHistory | undefined;
  private readonly podsByIp = new Map<string, PodProjection>();
  private readonly podsByName = new Map<string, PodProjection>();
  /** By uid tag (projections keep 30 bits of `metadata.uid`); a lookup checks nothing more (see podByUid). */
  private readonly podsByUid = new Map<number, PodProjection>();
  /** ReplicaSets and Jobs by `kind/namespace/name`: the middle links of owner chains. */
  private readonly intermediateOwners = new Map<string, OwnerRef | undefined>();
  private readonly services = new Map<string, ServiceProjection>();
  private readonly servicesByClusterIp = new Map<string, ServiceRef>();
  private readonly nodes = new Map<string, NodeProjection>();
  private readonly nodesByIp = new Map<string, string>();
  private readonly namespaces = new Map<string, Record<string, string>>();
  private readonly endpointSlices = new Map<string, EndpointSliceProjection>();
  /** `namespace/pod` to the services whose slices list the pod, each with the number of slices that do. */
  private readonly servicesByPod = new Map<string, Map<string, number>>();
  /** Calico's (Global)NetworkSets, keyed by whoever feeds them (the file, or the informer's resource and key). */
  readonly networkSets = new NetworkSetIndex();

  constructor(options: ClusterIndexOptions = {}) {
    this.nowSeconds = options.nowSeconds ?? (() => Date.now() / 1000);
    this.ipHistory =
      options.ipHistory === false ? undefined : new IpHistory({ ...DEFAULT_IP_HISTORY_LIMITS, ...options.ipHistory });
  }

  get podCount(): number {
    return this.podsByName.size;
  }

  upsertPod(pod: PodProjection): void {
    const key = `${pod.namespace}/${pod.name}`;
    const previous = this.podsByName.get(key);
    this.podsByName.set(key, pod);
    if (previous !== undefined && previous.uid !== pod.uid && this.podsByUid.get(previous.uid) === previous) {
      this.podsByUid.delete(previous.uid);
    }
    if (pod.uid !== 0) this.podsByUid.set(pod.uid, pod);
    // Host-network pods share their node's IP: the IP names the node, not the pod.
    const ips = pod.hostNetwork ? [] : pod.ips;
    // IPs the pod kept are not released and taken again: that would cut its holding in two.
    if (previous !== undefined) for (const ip of previous.ips) if (!ips.includes(ip)) this.releaseIp(ip, previous);
    for (const ip of ips) {
      const holder = this.podsByIp.get(ip);
      if (holder === undefined || holder === previous || claimsIpOver(pod, holder)) this.holdIp(ip, pod);
    }
  }

  /** Removes a pod; with a uid, only if the pod of that name is still that one. */
  removePod(namespace: string, name: string, uid = 0): void {
    const key = `${namespace}/${name}`;
    const pod = this.podsByName.get(key);
    if (pod === undefined || (uid !== 0 && pod.uid !== 0 && pod.uid !== uid)) return;
    this.podsByName.delete(key);
    if (this.podsByUid.get(pod.uid) === pod) this.podsByUid.delete(pod.uid);
    for (const ip of pod.ips) this.releaseIp(ip, pod);
  }

  private holdIp(ip: string, pod: PodProjection): void {
    this.ipHistory?.hold(ip, pod, this.podsByIp.get(ip), this.nowSeconds());
    this.podsByIp.set(ip, pod);
  }

  /** An IP entry goes only if it still points at this pod: a newer pod may hold the IP already. */
  private releaseIp(ip: string, pod: PodProjection): void {
    if (this.podsByIp.get(ip) !== pod) return;
    this.podsByIp.delete(ip);
    this.ipHistory?.release(ip, pod, this.nowSeconds());
  }

  upsertOwner(owner: OwnerProjection): void {
    this.intermediateOwners.set(`${owner.kind}/${owner.namespace}/${owner.name}`, owner.owner);
  }

  removeOwner(kind: OwnerProjection['kind'], namespace: string, name: string): void {
    this.intermediateOwners.delete(`${kind}/${namespace}/${name}`);
  }

  upsertService(service: ServiceProjection): void {
    this.removeService(service.namespace, service.name);
    const key = `${service.namespace}/${service.name}`;
    this.services.set(key, service);
    const ref: ServiceRef = { namespace: service.namespace, name: service.name };
    for (const ip of service.clusterIps) this.servicesByClusterIp.set(ip, ref);
  }

  removeService(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const service = this.services.get(key);
    if (service === undefined) return;
    this.services.delete(key);
    for (const ip of service.clusterIps) {
      const holder = this.servicesByClusterIp.get(ip);
      if (holder?.namespace === namespace && holder.name === name) this.servicesByClusterIp.delete(ip);
    }
  }

  upsertEndpointSlice(slice: EndpointSliceProjection): void {
    this.removeEndpointSlice(slice.namespace, slice.name);
    this.endpointSlices.set(`${slice.namespace}/${slice.name}`, slice);
    if (slice.service === '') return;
    for (const pod of slice.pods) {
      const key = `${slice.namespace}/${pod}`;
      let services = this.servicesByPod.get(key);
      if (services === undefined) {
        services = new Map();
        this.servicesByPod.set(key, services);
      }
      services.set(slice.service, (services.get(slice.service) ?? 0) + 1);
    }
  }

  removeEndpointSlice(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const slice = this.endpointSlices.get(key);
    if (slice === undefined) return;
    this.endpointSlices.delete(key);
    if (slice.service === '') return;
    for (const pod of slice.pods) {
      const podKey = `${namespace}/${pod}`;
      const services = this.servicesByPod.get(podKey);
      const count = services?.get(slice.service);
      if (services === undefined || count === undefined) continue;
      if (count > 1) services.set(slice.service, count - 1);
      else services.delete(slice.service);
      if (services.size === 0) this.servicesByPod.delete(podKey);
    }
  }

  endpointSliceKeys(): string[] {
    return [...this.endpointSlices.keys()];
  }

  /**
   * The service an EndpointSlice puts a pod behind; with several, the first by name (a stable choice: a pod
   * behind `api` and `api-headless` is always `api`).
   */
  serviceOfPod(namespace: string, name: string): ServiceRef | undefined {
    const services = this.servicesByPod.get(`${namespace}/${name}`);
    if (services === undefined) return undefined;
    let first: string | undefined;
    for (const service of services.keys()) if (first === undefined || service < first) first = service;
    return first === undefined ? undefined : { namespace, name: first };
  }

  upsertNode(node: NodeProjection): void {
    this.removeNode(node.name);
    this.nodes.set(node.name, node);
    for (const ip of node.internalIps) this.nodesByIp.set(ip, node.name);
  }

  removeNode(name: string): void {
    const node = this.nodes.get(name);
    if (node === undefined) return;
    this.nodes.delete(name);
    for (const ip of node.internalIps) if (this.nodesByIp.get(ip) === name) this.nodesByIp.delete(ip);
  }

  upsertNamespace(namespace: NamespaceProjection): void {
    this.namespaces.set(namespace.name, namespace.labels);
  }

  removeNamespace(name: string): void {
    this.namespaces.delete(name);
  }

  /** A namespace's labels, for namespace selectors; undefined when the namespace is not known. */
  namespaceLabels(name: string): Readonly<Record<string, string>> | undefined {
    return this.namespaces.get(name);
  }

  namespaceNames(): string[] {
    return [...this.namespaces.keys()];
  }

  /** `namespace/name` of every pod, service and intermediate owner: what a relist compares against. */
  podKeys(): string[] {
    return [...this.podsByName.keys()];
  }

  ownerKeys(kind: OwnerProjection['kind']): string[] {
    const prefix = `${kind}/`;
    return [...this.intermediateOwners.keys()]
      .filter((key) => key.startsWith(prefix))
      .map((key) => key.slice(prefix.length));
  }

  serviceKeys(): string[] {
    return [...this.services.keys()];
  }

  nodeNames(): string[] {
    return [...this.nodes.keys()];
  }

  /**
   * The pod that holds an IP now or, with a time (unix seconds; 0 means none), the pod that held it then.
   * See IpHistory.holderAt for times the history does not cover.
   */
  podByIp(ip: string, atSeconds?: number): PodProjection | undefined {
    const current = this.podsByIp.get(ip);
    if (atSeconds === undefined || !(atSeconds > 0) || this.ipHistory === undefined) return current;
    return this.ipHistory.holderAt(ip, atSeconds, current);
  }

  /** Who held an IP when, oldest first, as far as the history remembers. */
  ipHoldings(ip: string): IpHoldingView[] {
    return this.ipHistory?.holdingsOf(ip, this.podsByIp.get(ip)) ?? [];
  }

  /** Holdings the history keeps over all IPs, current ones included. */
  get ipHistorySize(): number {
    return this.ipHistory?.size ?? 0;
  }

  podByName(namespace: string, name: string): PodProjection | undefined {
    return this.podsByName.get(`${namespace}/${name}`);
  }

  /**
   * The pod whose uid has this uid's tag. Two live pods whose uids share a 30-bit tag (odds about one in a
   * billion per pair) would answer for each other: the newer one wins.
   */
  podByUid(uid: string): PodProjection | undefined {
    const tag = uidTag(uid);
    return tag === 0 ? undefined : this.podsByUid.get(tag);
  }

  nodeByIp(ip: string): string | undefined {
    return this.nodesByIp.get(ip);
  }

  serviceByClusterIp(ip: string): ServiceRef | undefined {
    return this.servicesByClusterIp.get(ip);
  }

  networkSetForIp(ip: string): NetworkSetRef | undefined {
    return this.networkSets.networkSetForIp(ip);
  }

  workloadOf(pod: PodProjection): WorkloadRef {
    if (pod.owner === undefined) return { workload: pod.name, kind: 'Pod' };
    return this.resolveOwner(pod.namespace, pod.owner);
  }

  /** The prefix is the ReplicaSet or Job that generated the pods' names. */
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
      // The ReplicaSet or Job is unknown (not in the file, not listed yet): its name still tells
      // (`cart-5f6d7c8b9d` is Deployment `cart`).
      const derived = workloadFromPodName(`${owner.name}-*`);
      if (derived.kind !== '') return derived;
    }
    return { workload: owner.name, kind: owner.kind };
  }
}

/**
 * Which of two pods an IP belongs to when both list it: an active pod over a finished one (whose IP
 * the network may have handed on), then the newer pod, by creation time and then resource version.
 */
export function claimsIpOver(candidate: PodProjection, holder: PodProjection): boolean {
  if (candidate.active !== holder.active) return candidate.active;
  if (candidate.createdAt !== holder.createdAt) return candidate.createdAt > holder.createdAt;
  return candidate.resourceVersion >= holder.resourceVersion;
}

/** A pod's holding of an IP, in whole unix seconds; `until` is Infinity while the pod holds it. */
interface Holding {
  pod: PodProjection;
  from: number;
  until: number;
}

/** A holding that ended. */
interface ReleasedHolding extends Holding {
  /** Its place in the release queue, emptied when the per-IP bound drops the holding first. */
  queued: QueuedRelease;
}

/** The queue keeps no dropped holding, so no pod projection, alive. */
interface QueuedRelease {
  ip: string;
  holding: ReleasedHolding | undefined;
}

interface PastHoldings {
  /** Oldest first, not overlapping, all before the current holder's. */
  holdings: ReleasedHolding[];
  /** Holdings that ended before this were forgotten: the history cannot vouch for earlier times. */
  forgottenBefore: number;
}

/**
 * Who held each pod IP when. The holder changes exactly when the index's current answer changes, so the
 * IP-reuse rules (claimsIpOver) decide the past as they decide the present. Times are whole seconds, which
 * V8 keeps unboxed: the history adds a map entry per held IP and nothing more until an IP is released.
 *
 * Bound: an IP keeps at most `holdersPerIp` holdings, the current one included; released holdings are
 * forgotten `maxAgeSeconds` after their release (checked on each change), and beyond `maxReleased` of them
 * across all IPs, oldest first. So the history holds one entry per held pod IP plus at most `maxReleased`
 * released holdings, each keeping its pod's projection (under 1 KiB) alive, however fast pods churn.
 */
class IpHistory {
  /** When the current holder of each held IP got it. */
  private readonly heldSince = new Map<string, number>();
  /** Released holdings, for IPs that have some. */
  private readonly past = new Map<string, PastHoldings>();
  /** Released holdings in release order (times only grow), with places left empty by the per-IP bound. */
  private released: QueuedRelease[] = [];
  private releasedHead = 0;
  private releasedKept = 0;
  /** The latest release forgotten with the rest of its IP's past: an IP's history since cannot vouch for before it. */
  private horizon = -Infinity;

  constructor(private readonly limits: IpHistoryLimits) {
    if (!(limits.holdersPerIp >= 1) || !(limits.maxReleased >= 0) || !(limits.maxAgeSeconds >= 0)) {
      throw new RangeError('IP history limits: at least one holder per IP, and no negative bounds');
    }
  }

  /** Holdings kept over all IPs, current ones included. */
  get size(): number {
    return this.heldSince.size + this.releasedKept;
  }

  /** `pod` holds `ip` from now on; `holder` held it until now, if anybody did. */
  hold(ip: string, pod: PodProjection, holder: PodProjection | undefined, nowSeconds: number): void {
    // An update of the holder continues its holding.
    if (holder !== undefined && isSamePod(holder, pod)) return;
    const now = Math.floor(nowSeconds);
    const since = this.heldSince.get(ip);
    let from: number;
    if (holder !== undefined && since !== undefined) {
      // Taken over from a pod that still lists the IP (a terminating pod whose delete has not arrived, a
      // finished one): since the view saw it. The pod's creation would be too early: a replacement is
      // created while the old pod still drains its connections.
      from = Math.max(now, since);
      this.keepReleased(ip, holder, since, from);
    } else {
      // The first holder the view knows: since its creation. After a release: not before the release.
      const created = pod.createdAt > 0 ? Math.min(pod.createdAt, now) : now;
      from = Math.max(created, this.past.get(ip)?.holdings.at(-1)?.until ?? -Infinity);
    }
    this.heldSince.set(ip, from);
    this.enforceHoldersPerIp(ip);
    this.prune(now);
  }

  release(ip: string, pod: PodProjection, nowSeconds: number): void {
    const now = Math.floor(nowSeconds);
    const since = this.heldSince.get(ip);
    if (since === undefined) return;
    this.heldSince.delete(ip);
    this.keepReleased(ip, pod, since, Math.max(now, since));
    this.prune(now);
  }

  /**
   * The holder at a time. A time no holding covers goes to the nearest holder within the slack (clocks
   * disagree a little). Failing that: nobody if the time is older than what the history forgot; the
   * current holder if the view has never seen the IP with another pod (today's answer, which then names
   * no pod the view knows to be wrong); else nobody, since a pod known to have taken the IP later must
   * not be credited with an earlier flow.
   */
  holderAt(ip: string, seconds: number, current: PodProjection | undefined): PodProjection | undefined {
    const since = this.heldSince.get(ip);
    if (current !== undefined && since !== undefined && seconds >= since) return current;
    const past = this.past.get(ip);
    const holdings = past?.holdings ?? [];
    for (let index = holdings.length - 1; index >= 0; index--) {
      const holding = holdings[index];
      if (holding === undefined || holding.from > seconds) continue;
      if (seconds < holding.until) return holding.pod;
      break;
    }
    if (seconds < (past?.forgottenBefore ?? this.horizon)) return undefined;
    const candidates: Holding[] = [...holdings];
    if (current !== undefined && since !== undefined) candidates.push({ pod: current, from: since, until: Infinity });
    let nearest: Holding | undefined;
    let nearestDistance = Infinity;
    for (const holding of candidates) {
      const distance = seconds < holding.from ? holding.from - seconds : seconds - holding.until;
      if (distance <= this.limits.slackSeconds && distance < nearestDistance) {
        nearest = holding;
        nearestDistance = distance;
      }
    }
    if (nearest !== undefined) return nearest.pod;
    return holdings.length === 0 ? current : undefined;
  }

  holdingsOf(ip: string, current: PodProjection | undefined): IpHoldingView[] {
    const holdings: Holding[] = [...(this.past.get(ip)?.holdings ?? [])];
    const since = this.heldSince.get(ip);
    if (current !== undefined && since !== undefined) holdings.push({ pod: current, from: since, until: Infinity });
    return holdings.map(({ pod, from, until }) => ({
      namespace: pod.namespace,
      name: pod.name,
      uid: pod.uid,
      from,
      until,
    }));
  }

  private keepReleased(ip: string, pod: PodProjection, from: number, until: number): void {
    let past = this.past.get(ip);
    if (past === undefined) {
      past = { holdings: [], forgottenBefore: this.horizon };
      this.past.set(ip, past);
    }
    const queued: QueuedRelease = { ip, holding: undefined };
    queued.holding = { pod, from, until, queued };
    past.holdings.push(queued.holding);
    this.released.push(queued);
    this.releasedKept++;
    this.enforceHoldersPerIp(ip);
  }

  private enforceHoldersPerIp(ip: string): void {
    const past = this.past.get(ip);
    if (past === undefined) return;
    const room = this.limits.holdersPerIp - (this.heldSince.has(ip) ? 1 : 0);
    while (past.holdings.length > room) {
      const dropped = past.holdings.shift();
      if (dropped === undefined) break;
      dropped.queued.holding = undefined;
      past.forgottenBefore = Math.max(past.forgottenBefore, dropped.until);
      this.releasedKept--;
    }
  }

  /** Forgets released holdings past the age or count bound, oldest first. */
  private prune(now: number): void {
    const cutoff = now - this.limits.maxAgeSeconds;
    while (this.releasedHead < this.released.length) {
      const oldest = this.released[this.releasedHead];
      if (oldest === undefined) break;
      const queued = this.released.length - this.releasedHead;
      if (queued <= this.limits.maxReleased && (oldest.holding?.until ?? -Infinity) >= cutoff) break;
      this.releasedHead++;
      this.forget(oldest.ip, oldest.holding);
    }
    if (this.releasedHead > 1024 && this.releasedHead * 2 > this.released.length) {
      this.released = this.released.slice(this.releasedHead);
      this.releasedHead = 0;
    }
  }

  /** `holding` is undefined when the per-IP bound dropped it already. */
  private forget(ip: string, holding: ReleasedHolding | undefined): void {
    const past = this.past.get(ip);
    if (past === undefined) return;
    const index = holding === undefined ? -1 : past.holdings.indexOf(holding);
    if (holding !== undefined && index >= 0) {
      past.holdings.splice(index, 1);
      past.forgottenBefore = Math.max(past.forgottenBefore, holding.until);
      this.releasedKept--;
    }
    if (past.holdings.length === 0) {
      this.past.delete(ip);
      this.horizon = Math.max(this.horizon, past.forgottenBefore);
    }
  }
}

function isSamePod(a: PodProjection, b: PodProjection): boolean {
  return a.namespace === b.namespace && a.name === b.name && a.uid === b.uid;
}
