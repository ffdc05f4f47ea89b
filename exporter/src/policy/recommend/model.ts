/**
 * What the recommender reads: the cluster's workloads (with their pods' labels) and the flows observed between
 * workloads and addresses outside the cluster. Pure data; `cluster.ts` builds it from a resources file and
 * `observed.ts` from the pipeline's flow records.
 */
import type { NetworkSet } from '../calico';
import type { NamespaceInfo, PodInfo, Protocol } from '../kubernetes';

export interface ClusterWorkload {
  readonly namespace: string;
  /** The top controller's name (Deployment, StatefulSet, DaemonSet, CronJob), or the pod's own name. */
  readonly name: string;
  readonly kind: string;
  readonly pods: readonly PodInfo[];
}

export interface RecommendCluster {
  readonly namespaces: readonly NamespaceInfo[];
  readonly workloads: readonly ClusterWorkload[];
  /** Calico NetworkSets and GlobalNetworkSets: external peers in one are allowed by the set (Calico format). */
  readonly networkSets: readonly NetworkSet[];
}

/**
 * A workload by name; an address outside the pod network; or a Calico (Global)NetworkSet by name, when only the
 * set is known (Prometheus' labels name the set, not the address): `namespace` is empty for a GlobalNetworkSet.
 */
export type ObservedPeer =
  | { readonly kind: 'workload'; readonly namespace: string; readonly workload: string }
  | { readonly kind: 'external'; readonly ip: string }
  | { readonly kind: 'networkSet'; readonly namespace: string; readonly name: string };

/** One observed connection, as the destination saw it: its port and protocol. */
export interface ObservedFlow {
  readonly source: ObservedPeer;
  readonly destination: ObservedPeer;
  readonly port: number;
  readonly protocol: Protocol;
}

export const RECOMMEND_FORMATS = ['kubernetes', 'calico-staged'] as const;
export type RecommendFormat = (typeof RECOMMEND_FORMATS)[number];

export function workloadKey(namespace: string, workload: string): string {
  return `${namespace}/${workload}`;
}

export function peerKey(peer: ObservedPeer): string {
  switch (peer.kind) {
    case 'workload':
      return `w:${workloadKey(peer.namespace, peer.workload)}`;
    case 'external':
      return `x:${peer.ip}`;
    case 'networkSet':
      return `s:${workloadKey(peer.namespace, peer.name)}`;
  }
}

export function flowKey(flow: ObservedFlow): string {
  return `${peerKey(flow.source)}>${peerKey(flow.destination)}:${flow.protocol}/${flow.port}`;
}
