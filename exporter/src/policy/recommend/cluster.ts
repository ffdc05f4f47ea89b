/**
 * The recommender's view of the cluster from Kubernetes objects (a `--resources` file): namespaces, the pods of
 * each workload (owners resolved as the enrich stage resolves them, so flows and workloads agree on names) and
 * Calico's network sets. Objects that do not parse are reported, as `policy check` reports them.
 */
import { StaticClusterView } from '../../cluster/static-view';
import type { ResourceDocument } from '../../cluster/resources-file';
import { buildPolicySnapshot } from '../snapshot';
import type { PodInfo } from '../kubernetes';
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
  const workloads = new Map<string, { namespace: string; name: string; kind: string; pods: PodInfo[] }>();
  for (const pod of snapshot.pods) {
    const projection = view.podByName(pod.namespace, pod.name);
    const owner = projection === undefined ? { workload: pod.name, kind: 'Pod' } : view.workloadOf(projection);
    const key = workloadKey(pod.namespace, owner.workload);
    const entry = workloads.get(key) ?? { namespace: pod.namespace, name: owner.workload, kind: owner.kind, pods: [] };
    entry.pods.push(pod);
    workloads.set(key, entry);
  }
  const sorted: ClusterWorkload[] = [...workloads.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([, workload]) => workload);
  return {
    cluster: {
      namespaces: snapshot.engine.namespaces,
      workloads: sorted,
      networkSets: snapshot.engine.networkSets ?? [],
    },
    problems,
  };
}
