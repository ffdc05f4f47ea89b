/**
 * The questions the enrich stage asks about the cluster, answered by the static view (a resources file)
 * and the live view (informers on the API server) alike.
 */
import type { NetworkSetRef } from './network-sets';
import type { PodProjection, ServiceRef, WorkloadRef } from './projections';

export interface ClusterView {
  /**
   * The pod with an IP: now, or with a time (unix seconds; 0 or none means now) the pod that held it then,
   * so that a flow older than an IP's reuse is not credited to the pod that has the IP today. A view
   * without history answers for now at every time.
   */
  podByIp(ip: string, atSeconds?: number): PodProjection | undefined;
  podByName(namespace: string, name: string): PodProjection | undefined;
  /** The pod with a `metadata.uid` (as its cgroup names it), found through the projection's uid tag. */
  podByUid(uid: string): PodProjection | undefined;
  /** The top controller of a pod: Pod -> ReplicaSet -> Deployment, Pod -> Job -> CronJob. */
  workloadOf(pod: PodProjection): WorkloadRef;
  /** The workload behind Calico's aggregated pod prefix (`frontend-7d4b9c8f5-*`), when the view knows it. */
  workloadOfPrefix(namespace: string, prefix: string): WorkloadRef | undefined;
  serviceByClusterIp(ip: string): ServiceRef | undefined;
  /** The service whose EndpointSlices list a pod; with several, the first by name. */
  serviceOfPod(namespace: string, name: string): ServiceRef | undefined;
  nodeByIp(ip: string): string | undefined;
  /**
   * The Calico NetworkSet or GlobalNetworkSet (namespace empty) whose longest prefix contains an IP outside the
   * pod network; see NetworkSetIndex for ties and cost.
   */
  networkSetForIp(ip: string): NetworkSetRef | undefined;
  /** Whether the view has been filled once (a file read, or every watched kind listed). */
  synced(): boolean;
}
