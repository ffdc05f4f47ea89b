/**
 * Least-privilege policies from observed flows: for each workload, one policy that allows, in each direction,
 * exactly the peers, ports and protocols it was seen using, plus DNS to the cluster's DNS pods, and nothing else.
 *
 * - Workloads are selected by their stable labels: the labels all their pods share, minus the ones controllers
 *   stamp per revision or per pod (pod-template-hash, controller-revision-hash, ...). When another workload's pods
 *   carry those labels too, a key only the other has is excluded (`DoesNotExist`, Calico `!has()`); a workload
 *   that no labels tell apart gets no policy, and a warning says what to label.
 * - Peers are kept apart by the ports each used: peers with the same observed ports share a rule, so no peer is
 *   allowed a port another one used. Outside addresses become /32 (/128) blocks, merged only where two halves of a
 *   block were both observed, so merging never allows an unobserved address. In Calico format an address inside a
 *   NetworkSet is allowed as that set, by its labels.
 * - Every recommended policy allows egress to the DNS pods (label `k8s-app=kube-dns`) on 53/UDP and 53/TCP, and
 *   the DNS pods' own policy admits 53/UDP and 53/TCP from every pod: name resolution must not depend on what a
 *   short observation happened to catch.
 *
 * Output is plain objects, sorted, so the same input always renders the same YAML (see render.ts).
 */
import type { NetworkSet } from '../calico';
import { parseCidr, parseIp, type Cidr, type Labels, type Protocol } from '../kubernetes';
import { NAMESPACE_NAME_LABEL } from '../kubernetes/evaluate';
import {
  flowKey,
  workloadKey,
  type ClusterWorkload,
  type ObservedFlow,
  type ObservedPeer,
  type RecommendCluster,
  type RecommendFormat,
} from './model';

/** Labels controllers set per revision, per pod or per Job run: a selector on them would miss the next rollout. */
export const VOLATILE_LABELS: ReadonlySet<string> = new Set([
  'pod-template-hash',
  'controller-revision-hash',
  'pod-template-generation',
  'statefulset.kubernetes.io/pod-name',
  'apps.kubernetes.io/pod-index',
  'batch.kubernetes.io/job-name',
  'batch.kubernetes.io/controller-uid',
  'batch.kubernetes.io/job-completion-index',
  'job-name',
  'controller-uid',
]);

/** How the cluster's DNS pods are found (kube-dns and CoreDNS both carry it). */
export const DNS_LABEL = { key: 'k8s-app', value: 'kube-dns' } as const;
export const DNS_PORT = 53;
export const RECOMMENDED_PREFIX = 'flowlens-recommended-';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const OBSERVED_ANNOTATION = 'flowlens.io/observed-flows';
export const CALICO_TIER = 'default';
export const CALICO_ORDER = 1000;

export interface RecommendOptions {
  readonly format: RecommendFormat;
  /** Only workloads of this namespace get policies (their peers may be anywhere). */
  readonly namespace?: string | undefined;
}

export interface Recommendation {
  /** Kubernetes objects, sorted by namespace and name, ready to render as YAML. */
  readonly policies: readonly Record<string, unknown>[];
  /** What the recommender could not do, each naming the workload or flow and what to change. */
  readonly warnings: readonly string[];
  /** Distinct observed flows used, and skipped by reason. */
  readonly flowsUsed: number;
  readonly flowsSkipped: Readonly<Record<string, number>>;
}

/** A label selector as both formats write it: these labels equal, these keys absent. */
export interface WorkloadSelector {
  readonly matchLabels: Labels;
  readonly absentKeys: readonly string[];
}

// ---------------------------------------------------------------------------------------------------------------
// Selecting workloads

/** The labels every pod of the workload has with the same value, minus the volatile ones. */
export function stableLabels(workload: ClusterWorkload): Labels {
  const [first, ...rest] = workload.pods;
  if (first === undefined) return {};
  const labels: Record<string, string> = {};
  for (const key of Object.keys(first.labels).sort()) {
    const value = first.labels[key];
    if (value === undefined || VOLATILE_LABELS.has(key)) continue;
    if (rest.every((pod) => pod.labels[key] === value)) labels[key] = value;
  }
  return labels;
}

function selects(selector: WorkloadSelector, labels: Labels): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels)) if (labels[key] !== value) return false;
  return selector.absentKeys.every((key) => labels[key] === undefined);
}

/**
 * Per workload (`namespace/name`), a selector that matches all its pods and no other pod of its namespace, or
 * a warning when there is none.
 */
export function workloadSelectors(cluster: RecommendCluster): {
  selectors: Map<string, WorkloadSelector>;
  /**
   * For workloads without a selector of their own, the broader one their peers' rules use instead (their shared
   * labels, or the whole namespace), so recommending never blocks a flow that was observed.
   */
  broadSelectors: Map<string, WorkloadSelector>;
  warnings: string[];
} {
  const selectors = new Map<string, WorkloadSelector>();
  const broadSelectors = new Map<string, WorkloadSelector>();
  const warnings: string[] = [];
  const byNamespace = new Map<string, ClusterWorkload[]>();
  for (const workload of cluster.workloads) {
    const list = byNamespace.get(workload.namespace) ?? [];
    list.push(workload);
    byNamespace.set(workload.namespace, list);
  }
  for (const workload of cluster.workloads) {
    const key = workloadKey(workload.namespace, workload.name);
    if (workload.pods.length === 0) continue;
    const matchLabels = stableLabels(workload);
    if (Object.keys(matchLabels).length === 0) {
      warnings.push(
        `${key}: its pods share no stable label to select them by, so it gets no policy and its peers allow its whole namespace; label the pod template (e.g. app.kubernetes.io/name) and run again`,
      );
      broadSelectors.set(key, { matchLabels: {}, absentKeys: [] });
      continue;
    }
    const absentKeys: string[] = [];
    let ambiguousWith: string | undefined;
    for (const other of byNamespace.get(workload.namespace) ?? []) {
      if (other === workload) continue;
      for (const pod of other.pods) {
        if (!selects({ matchLabels, absentKeys }, pod.labels)) continue;
        // A key the other pod has and none of ours does tells them apart.
        const distinguishing = Object.keys(pod.labels)
          .filter((label) => !VOLATILE_LABELS.has(label) && matchLabels[label] === undefined)
          .filter((label) => workload.pods.every((own) => own.labels[label] === undefined))
          .sort()[0];
        if (distinguishing === undefined) {
          ambiguousWith = workloadKey(other.namespace, other.name);
          break;
        }
        absentKeys.push(distinguishing);
      }
      if (ambiguousWith !== undefined) break;
    }
    if (ambiguousWith !== undefined) {
      warnings.push(
        `${key}: no labels tell its pods from ${ambiguousWith}'s, so it gets no policy and its peers allow both; give one of them a distinguishing label (e.g. app.kubernetes.io/name) and run again`,
      );
      broadSelectors.set(key, { matchLabels, absentKeys: [] });
      continue;
    }
    selectors.set(key, { matchLabels, absentKeys: [...new Set(absentKeys)].sort() });
  }
  return { selectors, broadSelectors, warnings };
}

function isDnsWorkload(selector: WorkloadSelector): boolean {
  return selector.matchLabels[DNS_LABEL.key] === DNS_LABEL.value;
}

// ---------------------------------------------------------------------------------------------------------------
// Outside addresses

/** Merges /32s (/128s) into the largest blocks whose every address was observed; sorted. */
export function aggregateAddresses(ips: Iterable<string>): string[] {
  const byFamily = new Map<4 | 6, Set<bigint>>();
  for (const ip of ips) {
    const address = parseIp(ip);
    if (address === undefined) continue;
    const set = byFamily.get(address.family) ?? new Set<bigint>();
    set.add(address.value);
    byFamily.set(address.family, set);
  }
  const result: string[] = [];
  for (const family of [4, 6] as const) {
    const values = byFamily.get(family);
    if (values === undefined) continue;
    const bits = family === 4 ? 32 : 128;
    // Blocks as network addresses per prefix length; two buddies make their parent.
    let current = new Set(values);
    const done: [bigint, number][] = [];
    for (let length = bits; length > 0; length--) {
      const size = 1n << BigInt(bits - length);
      const next = new Set<bigint>();
      for (const network of current) {
        const buddy = network ^ size;
        if (current.has(buddy)) next.add(network & ~size);
        else done.push([network, length]);
      }
      if (next.size === 0) {
        current = next;
        break;
      }
      current = next;
    }
    for (const network of current) done.push([network, 0]);
    done.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
    for (const [network, length] of done) result.push(`${formatAddress(family, network)}/${length}`);
  }
  return result;
}

/**
 * Observed addresses (merged as `aggregateAddresses` does) together with whole blocks (network sets known only by
 * name): addresses and blocks inside another block are left out, as the block allows them already. Sorted as
 * `aggregateAddresses` sorts, so without blocks the result is exactly its result.
 */
export function addressesAndBlocks(ips: Iterable<string>, blocks: readonly Cidr[]): string[] {
  const merged: Cidr[] = [...blocks];
  for (const text of aggregateAddresses(ips)) {
    const cidr = parseCidr(text);
    if (cidr !== undefined) merged.push(cidr);
  }
  const kept = merged.filter(
    (cidr, index) =>
      !merged.some(
        (other, otherIndex) =>
          other.family === cidr.family &&
          other.prefixLength <= cidr.prefixLength &&
          (cidr.network & other.mask) === other.network &&
          // Of two equal blocks the first stays.
          (other.prefixLength < cidr.prefixLength || otherIndex < index),
      ),
  );
  kept.sort(
    (a, b) =>
      a.family - b.family || (a.network < b.network ? -1 : a.network > b.network ? 1 : a.prefixLength - b.prefixLength),
  );
  return kept.map((cidr) => `${formatAddress(cidr.family, cidr.network)}/${cidr.prefixLength}`);
}

function formatAddress(family: 4 | 6, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 255n)).join('.');
  const groups: string[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(((value >> shift) & 0xffffn).toString(16));
  return groups.join(':');
}

/** Global sets first, then by namespace and name: the order `networkSetFor` breaks ties in. */
export function orderNetworkSets(sets: readonly NetworkSet[]): NetworkSet[] {
  return [...sets].sort(
    (a, b) => (a.namespace === '' ? 0 : 1) - (b.namespace === '' ? 0 : 1) || compare(setKey(a), setKey(b)),
  );
}

/** The NetworkSet with the longest prefix containing `ip`; `ordered` as `orderNetworkSets` gives them (first wins ties). */
export function networkSetFor(ordered: readonly NetworkSet[], ip: string): NetworkSet | undefined {
  const address = parseIp(ip);
  if (address === undefined) return undefined;
  let best: { set: NetworkSet; length: number } | undefined;
  for (const set of ordered) {
    for (const net of set.nets) {
      if (net.family !== address.family || (address.value & net.mask) !== net.network) continue;
      if (best === undefined || net.prefixLength > best.length) best = { set, length: net.prefixLength };
    }
  }
  return best?.set;
}

function setKey(set: NetworkSet): string {
  return set.namespace === '' ? set.name : `${set.namespace}/${set.name}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Observed peers per workload and direction

type RulePeer =
  | { readonly kind: 'workload'; readonly key: string; readonly namespace: string; readonly selector: WorkloadSelector }
  | { readonly kind: 'address'; readonly key: string; readonly ip: string }
  | { readonly kind: 'networkSet'; readonly key: string; readonly set: NetworkSet }
  /** A network set allowed by its CIDRs: Kubernetes format, or a set without labels to select it by. */
  | { readonly kind: 'nets'; readonly key: string; readonly set: NetworkSet };

interface PortKey {
  readonly protocol: Protocol;
  readonly port: number;
}

/** Per peer key: the peer and the ports it used. */
type PeerPorts = Map<string, { peer: RulePeer; ports: Set<string> }>;

interface WorkloadTraffic {
  readonly workload: ClusterWorkload;
  readonly selector: WorkloadSelector;
  readonly ingress: PeerPorts;
  readonly egress: PeerPorts;
  flows: number;
}

function portText(port: PortKey): string {
  return `${port.protocol}/${port.port}`;
}

function parsePortText(text: string): PortKey {
  const [protocol, port] = text.split('/');
  return { protocol: protocol as Protocol, port: Number(port) };
}

function comparePorts(a: PortKey, b: PortKey): number {
  return a.port - b.port || compare(a.protocol, b.protocol);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function addPort(map: PeerPorts, peer: RulePeer, port: PortKey): void {
  const entry = map.get(peer.key) ?? { peer, ports: new Set<string>() };
  entry.ports.add(portText(port));
  map.set(peer.key, entry);
}

export function recommendPolicies(
  cluster: RecommendCluster,
  flows: Iterable<ObservedFlow>,
  options: RecommendOptions,
): Recommendation {
  const { selectors, broadSelectors, warnings } = workloadSelectors(cluster);
  const traffic = new Map<string, WorkloadTraffic>();
  for (const workload of cluster.workloads) {
    const key = workloadKey(workload.namespace, workload.name);
    const selector = selectors.get(key);
    if (selector === undefined) continue;
    if (options.namespace !== undefined && workload.namespace !== options.namespace) continue;
    traffic.set(key, { workload, selector, ingress: new Map(), egress: new Map(), flows: 0 });
  }
  const dnsPeers: RulePeer[] = [];
  for (const workload of cluster.workloads) {
    const key = workloadKey(workload.namespace, workload.name);
    const selector = selectors.get(key);
    if (selector !== undefined && isDnsWorkload(selector)) {
      dnsPeers.push({ kind: 'workload', key, namespace: workload.namespace, selector });
    }
  }
  dnsPeers.sort((a, b) => compare(a.key, b.key));
  if (dnsPeers.length === 0) {
    warnings.push(
      `no DNS pods (label ${DNS_LABEL.key}=${DNS_LABEL.value}) in the resources: the policies allow no DNS; add the kube-system pods to the resources file`,
    );
  }
  const networkSets = options.format === 'calico-staged' ? orderNetworkSets(cluster.networkSets) : [];
  const skipped: Record<string, number> = {};
  const skip = (reason: string): void => {
    skipped[reason] = (skipped[reason] ?? 0) + 1;
  };
  const unknownWorkloads = new Set<string>();
  const unknownSets = new Set<string>();
  const rulePeer = (peer: ObservedPeer): RulePeer | undefined => {
    if (peer.kind === 'networkSet') {
      const set = cluster.networkSets.find(
        (candidate) => candidate.namespace === peer.namespace && candidate.name === peer.name,
      );
      if (set === undefined) {
        unknownSets.add(workloadKey(peer.namespace, peer.name));
        return undefined;
      }
      return options.format === 'calico-staged' && Object.keys(set.labels).length > 0
        ? { kind: 'networkSet', key: `s:${setKey(set)}`, set }
        : { kind: 'nets', key: `n:${setKey(set)}`, set };
    }
    if (peer.kind === 'external') {
      const set = networkSetFor(networkSets, peer.ip);
      if (set !== undefined && Object.keys(set.labels).length > 0) {
        return { kind: 'networkSet', key: `s:${setKey(set)}`, set };
      }
      return { kind: 'address', key: `a:${peer.ip}`, ip: peer.ip };
    }
    const key = workloadKey(peer.namespace, peer.workload);
    const selector = selectors.get(key) ?? broadSelectors.get(key);
    if (selector === undefined) {
      unknownWorkloads.add(key);
      return undefined;
    }
    return { kind: 'workload', key: `w:${key}`, namespace: peer.namespace, selector };
  };
  let used = 0;
  const seen = new Set<string>();
  for (const flow of flows) {
    const key = flowKey(flow);
    if (seen.has(key)) continue;
    seen.add(key);
    if (flow.source.kind !== 'workload' && flow.destination.kind !== 'workload') {
      skip('no workload at either end');
      continue;
    }
    const source = rulePeer(flow.source);
    const destination = rulePeer(flow.destination);
    if (source === undefined || destination === undefined) {
      const unknownSet = [flow.source, flow.destination].some(
        (peer) => peer.kind === 'networkSet' && unknownSets.has(workloadKey(peer.namespace, peer.name)),
      );
      skip(unknownSet ? 'network set not in the resources' : 'workload not in the resources');
      continue;
    }
    const port = { protocol: flow.protocol, port: flow.port };
    // The DNS rules cover these already.
    const toDns =
      destination.kind === 'workload' &&
      isDnsWorkload(destination.selector) &&
      flow.port === DNS_PORT &&
      flow.protocol !== 'SCTP';
    let counted = false;
    if (flow.destination.kind === 'workload') {
      const target = traffic.get(workloadKey(flow.destination.namespace, flow.destination.workload));
      if (target !== undefined) {
        if (!toDns) addPort(target.ingress, source, port);
        target.flows++;
        counted = true;
      }
    }
    if (flow.source.kind === 'workload') {
      const origin = traffic.get(workloadKey(flow.source.namespace, flow.source.workload));
      if (origin !== undefined) {
        if (!toDns) addPort(origin.egress, destination, port);
        origin.flows++;
        counted = true;
      }
    }
    if (counted) used++;
    else skip('no policy recommended for either end');
  }
  for (const key of [...unknownWorkloads].sort()) {
    warnings.push(
      `${key}: flows name this workload but the resources have no pods of it; its flows are skipped (and blocked by the other end's policy): add its pods to the resources file`,
    );
  }
  for (const key of [...unknownSets].sort()) {
    warnings.push(
      `network set ${key.startsWith('/') ? key.slice(1) : key}: flows name this Calico network set but the resources do not hold it; its flows are skipped: add the (Global)NetworkSet to the resources`,
    );
  }

  const policies = [...traffic.values()]
    .sort((a, b) =>
      compare(workloadKey(a.workload.namespace, a.workload.name), workloadKey(b.workload.namespace, b.workload.name)),
    )
    .map((entry) =>
      options.format === 'kubernetes'
        ? kubernetesPolicy(entry, policyName(entry), dnsPeers)
        : calicoPolicy(entry, policyName(entry), dnsPeers),
    );
  return { policies, warnings, flowsUsed: used, flowsSkipped: skipped };
}

/**
 * `flowlens-recommended-<workload>`: one per workload, since workloads are told apart by namespace and name (as
 * flows name them). Within the 253 characters of a DNS subdomain; workload names already are DNS names.
 */
function policyName(entry: WorkloadTraffic): string {
  const name = `${RECOMMENDED_PREFIX}${entry.workload.name}`;
  return name.length <= 253 ? name : name.slice(0, 253).replace(/[-.]+$/, '');
}

/** Groups peers by the exact set of ports each used: `[ports signature, peers]`, sorted. */
function groupByPorts(map: PeerPorts): { ports: PortKey[]; peers: RulePeer[] }[] {
  const groups = new Map<string, { ports: PortKey[]; peers: RulePeer[] }>();
  for (const { peer, ports } of map.values()) {
    const sorted = [...ports].map(parsePortText).sort(comparePorts);
    const signature = sorted.map(portText).join(',');
    const group = groups.get(signature) ?? { ports: sorted, peers: [] };
    group.peers.push(peer);
    groups.set(signature, group);
  }
  return [...groups.entries()]
    .sort((a, b) => compare(a[0], b[0]))
    .map(([, group]) => ({ ports: group.ports, peers: group.peers.sort((a, b) => compare(a.key, b.key)) }));
}

function metadata(entry: WorkloadTraffic, name: string): Record<string, unknown> {
  return {
    name,
    namespace: entry.workload.namespace,
    labels: { [MANAGED_BY_LABEL]: 'flowlens' },
    annotations: { [OBSERVED_ANNOTATION]: String(entry.flows) },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Kubernetes NetworkPolicy

function kubernetesSelector(selector: WorkloadSelector): Record<string, unknown> {
  const result: Record<string, unknown> = { matchLabels: { ...selector.matchLabels } };
  if (selector.absentKeys.length > 0) {
    result['matchExpressions'] = selector.absentKeys.map((key) => ({ key, operator: 'DoesNotExist' }));
  }
  return result;
}

function kubernetesPeers(peers: readonly RulePeer[]): Record<string, unknown>[] {
  const result: Record<string, unknown>[] = [];
  const addresses: string[] = [];
  const blocks: Cidr[] = [];
  for (const peer of peers) {
    if (peer.kind === 'workload') {
      result.push({
        namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: peer.namespace } },
        podSelector: kubernetesSelector(peer.selector),
      });
    } else if (peer.kind === 'address') {
      addresses.push(peer.ip);
    } else {
      // Network sets are Calico's: Kubernetes policies allow the set's CIDRs.
      blocks.push(...peer.set.nets);
    }
  }
  for (const cidr of addressesAndBlocks(addresses, blocks)) result.push({ ipBlock: { cidr } });
  return result;
}

function kubernetesPorts(ports: readonly PortKey[]): Record<string, unknown>[] {
  return ports.map((port) => ({ protocol: port.protocol, port: port.port }));
}

const DNS_PORTS: readonly PortKey[] = [
  { protocol: 'UDP', port: DNS_PORT },
  { protocol: 'TCP', port: DNS_PORT },
];

function kubernetesPolicy(
  entry: WorkloadTraffic,
  name: string,
  dnsPeers: readonly RulePeer[],
): Record<string, unknown> {
  const ingress: Record<string, unknown>[] = [];
  if (isDnsWorkload(entry.selector))
    ingress.push({ from: [{ namespaceSelector: {} }], ports: kubernetesPorts(DNS_PORTS) });
  for (const group of groupByPorts(entry.ingress)) {
    ingress.push({ from: kubernetesPeers(group.peers), ports: kubernetesPorts(group.ports) });
  }
  const egress: Record<string, unknown>[] = [];
  if (dnsPeers.length > 0) egress.push({ to: kubernetesPeers(dnsPeers), ports: kubernetesPorts(DNS_PORTS) });
  for (const group of groupByPorts(entry.egress)) {
    egress.push({ to: kubernetesPeers(group.peers), ports: kubernetesPorts(group.ports) });
  }
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: metadata(entry, name),
    spec: {
      podSelector: kubernetesSelector(entry.selector),
      policyTypes: ['Ingress', 'Egress'],
      ingress,
      egress,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Calico StagedNetworkPolicy

/** Label values are DNS-label-like (no quotes); keys may hold `/` and `.`, which Calico's selectors accept. */
export function calicoSelector(selector: WorkloadSelector): string {
  return [
    ...Object.entries(selector.matchLabels)
      .sort((a, b) => compare(a[0], b[0]))
      .map(([key, value]) => `${key} == '${value}'`),
    ...selector.absentKeys.map((key) => `!has(${key})`),
  ].join(' && ');
}

function calicoNamespaceSelector(namespace: string): string {
  return `projectcalico.org/name == '${namespace}'`;
}

/** The entity a rule's peer side names; `ports` go on the destination side. */
function calicoEntities(peers: readonly RulePeer[]): Record<string, unknown>[] {
  const result: Record<string, unknown>[] = [];
  const addresses: string[] = [];
  const blocks: Cidr[] = [];
  for (const peer of peers) {
    if (peer.kind === 'workload') {
      result.push({
        namespaceSelector: calicoNamespaceSelector(peer.namespace),
        selector: calicoSelector(peer.selector),
      });
    } else if (peer.kind === 'address') {
      addresses.push(peer.ip);
    } else if (peer.kind === 'nets') {
      blocks.push(...peer.set.nets);
    } else {
      result.push({
        namespaceSelector: peer.set.namespace === '' ? 'global()' : calicoNamespaceSelector(peer.set.namespace),
        selector: calicoSelector({ matchLabels: peer.set.labels, absentKeys: [] }),
      });
    }
  }
  const nets = addressesAndBlocks(addresses, blocks);
  if (nets.length > 0) result.push({ nets });
  return result;
}

/** One rule per peer entity and protocol: Calico rules name one protocol and one entity per side. */
function calicoRules(
  groups: readonly { ports: readonly PortKey[]; peers: readonly RulePeer[] }[],
  direction: 'ingress' | 'egress',
): Record<string, unknown>[] {
  const rules: Record<string, unknown>[] = [];
  for (const group of groups) {
    const protocols = [...new Set(group.ports.map((port) => port.protocol))].sort();
    for (const entity of calicoEntities(group.peers)) {
      for (const protocol of protocols) {
        const ports = group.ports.filter((port) => port.protocol === protocol).map((port) => port.port);
        rules.push(
          direction === 'ingress'
            ? { action: 'Allow', protocol, source: entity, destination: { ports } }
            : { action: 'Allow', protocol, destination: { ...entity, ports } },
        );
      }
    }
  }
  return rules;
}

function calicoPolicy(entry: WorkloadTraffic, name: string, dnsPeers: readonly RulePeer[]): Record<string, unknown> {
  const ingress: Record<string, unknown>[] = isDnsWorkload(entry.selector)
    ? DNS_PORTS.map((port) => ({
        action: 'Allow',
        protocol: port.protocol,
        source: { namespaceSelector: 'all()' },
        destination: { ports: [port.port] },
      }))
    : [];
  ingress.push(...calicoRules(groupByPorts(entry.ingress), 'ingress'));
  const egress = [
    ...(dnsPeers.length > 0 ? calicoRules([{ ports: DNS_PORTS, peers: dnsPeers }], 'egress') : []),
    ...calicoRules(groupByPorts(entry.egress), 'egress'),
  ];
  return {
    apiVersion: 'projectcalico.org/v3',
    kind: 'StagedNetworkPolicy',
    metadata: metadata(entry, name),
    spec: {
      stagedAction: 'Set',
      tier: CALICO_TIER,
      order: CALICO_ORDER,
      selector: calicoSelector(entry.selector),
      types: ['Ingress', 'Egress'],
      ingress,
      egress,
    },
  };
}
