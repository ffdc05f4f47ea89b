/**
 * The pods a capture selects: in its namespace, matching its selector, with an IP, running or pending, and not on
 * the host network (their "interface" would be the node's own). From a resources file (`capture run`) or any list
 * of pod projections (the controller's live view).
 */
import { projectPod, stringField, unpackLists, type PodProjection } from '../cluster/projections';
import type { ResourceDocument } from '../cluster/resources-file';
import { selectorMatches, type LabelSelector } from '../policy/kubernetes/label-selector';

export interface SelectedPod {
  readonly namespace: string;
  readonly name: string;
  readonly address: string;
}

/** Every Pod in the documents, `kind: List` (and `PodList`) expanded. */
export function podsOfDocuments(documents: readonly ResourceDocument[]): PodProjection[] {
  const objects = unpackLists(documents.map((document) => document.object));
  return [...objects].filter((object) => stringField(object, 'kind') === 'Pod').map(projectPod);
}

export function selectPods(
  pods: Iterable<PodProjection>,
  namespace: string,
  selector: LabelSelector,
): { selected: SelectedPod[]; skipped: string[] } {
  const selected: SelectedPod[] = [];
  const skipped: string[] = [];
  for (const pod of pods) {
    if (pod.namespace !== namespace || !selectorMatches(selector, pod.labels)) continue;
    const id = `${pod.namespace}/${pod.name}`;
    if (pod.hostNetwork) skipped.push(`${id}: on the host network (its packets are the node's; not captured)`);
    else if (!pod.active) skipped.push(`${id}: not running`);
    else if (pod.ips[0] === undefined) skipped.push(`${id}: has no IP yet`);
    else selected.push({ namespace: pod.namespace, name: pod.name, address: pod.ips[0] });
  }
  selected.sort((a, b) => a.name.localeCompare(b.name));
  return { selected, skipped };
}
