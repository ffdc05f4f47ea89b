/**
 * The recommender's view of the cluster from Kubernetes objects (a `--resources` file): namespaces, the pods of
 * each workload (owners resolved as the enrich stage resolves them, so flows and workloads agree on names) and
 * Calico's network sets. Objects that do not parse are reported, as `policy check` reports them.
 */
import { StaticClusterView } from '../../cluster/static-view';
import type { ResourceDocument } from '../../cluster/resources-file';
import { buildPolicySnapshot } from '../snapshot';
import type { NetworkSet } from '../calico';
import type { NamespaceInfo, PodInfo } from '../kubernetes';
import type { PodProjection, WorkloadRef } from '../../cluster/projections';
import { workloadKey, type ClusterWorkload, type RecommendCluster } from './model';

export interface RecommendClusterResult {
  readonly cluster: RecommendCluster;
  /** One line per object skipped, naming it and the field at fault. */
  readonly problems: readonly string[];
}

export function recommendClusterFromDocuments(documents: readonly ResourceDocument[]): RecommendClusterResult {
  const snapshot = buildPolicySnapshot(documents.map((document) => document.object));
  const problems = [...snapshot.problems];
  // Owners come from the enrich stage's own view; a document it cannot read is reported, the rest still count.
  const view = new StaticClusterView();
  for (const document of documents) {
    try {
      view.addObject(document.object, document.where);
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
    }
  }
  const workloads = groupByWorkload(snapshot.pods, (pod) => {
    const projection = view.podByName(pod.namespace, pod.name);
    return projection === undefined ? { workload: pod.name, kind: 'Pod' } : view.workloadOf(projection);
  });
  return {
    cluster: { namespaces: snapshot.engine.namespaces, workloads, networkSets: snapshot.engine.networkSets ?? [] },
    problems,
  };
}

/** What the live view (`--kubernetes`) can tell about its pods. */
export interface LivePodSource {
  /** `namespace/name` of every pod. */
  podKeys(): string[];
  podByName(namespace: string, name: string): PodProjection | undefined;
  workloadOf(pod: PodProjection): WorkloadRef;
}

/** The recommender's cluster from the live view's pods (running or pending) and the live policy snapshot's sets. */
export function recommendClusterFromLivePods(
  source: LivePodSource,
  namespaces: readonly NamespaceInfo[],
  networkSets: readonly NetworkSet[],
): RecommendCluster {
  const pods: PodInfo[] = [];
  const owners = new Map<PodInfo, WorkloadRef>();
  for (const key of source.podKeys().sort()) {
    const slash = key.indexOf('/');
    const projection = source.podByName(key.slice(0, slash), key.slice(slash + 1));
    if (projection === undefined || !projection.active) continue;
    const pod: PodInfo = {
      namespace: projection.namespace,
      name: projection.name,
      labels: projection.labels,
      ips: projection.ips,
      containerPorts: projection.containerPorts,
    };
    pods.push(pod);
    owners.set(pod, source.workloadOf(projection));
  }
  return {
    namespaces,
    workloads: groupByWorkload(pods, (pod) => owners.get(pod) ?? { workload: pod.name, kind: 'Pod' }),
    networkSets,
  };
}

function groupByWorkload(pods: readonly PodInfo[], ownerOf: (pod: PodInfo) => WorkloadRef): ClusterWorkload[] {
  const workloads = new Map<string, { namespace: string; name: string; kind: string; pods: PodInfo[] }>();
  for (const pod of pods) {
    const owner = ownerOf(pod);
    const key = workloadKey(pod.namespace, owner.workload);
    const entry = workloads.get(key) ?? { namespace: pod.namespace, name: owner.workload, kind: owner.kind, pods: [] };
    entry.pods.push(pod);
    workloads.set(key, entry);
  }
  return [...workloads.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, entry]) => entry);
}
