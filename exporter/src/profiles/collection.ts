/**
 * The profiles the exporter applies live: which data types to collect for which workloads, and which workloads keep
 * their pods in the per-pod families. The live view keeps it current from its watch on ObservabilityProfiles; the
 * pipeline asks it, per record, whether an endpoint's data of a type is collected and whether its pod is kept. A
 * workload is covered by a profile of its namespace that names it or whose selector matches the pod's labels; when
 * any covering profile turns a type off, that type is not collected for it, and when any covering profile has
 * `aggregation: pod`, its pods are kept.
 */
import type { Endpoint } from '../model/flow';
import { profileCovers, type DataType, type ObservabilityProfile } from './spec';

/** What the pipeline asks of the profiles in force. */
export interface LiveProfiles {
  collects(type: DataType, endpoint: Endpoint): boolean;
  /** Whether a profile with `aggregation: pod` covers the endpoint: the per-pod families keep its pod. */
  keepsPods(endpoint: Endpoint): boolean;
}

export class ProfileStore implements LiveProfiles {
  private readonly byKey = new Map<string, ObservabilityProfile>();
  /** Only profiles that turn some type off, by namespace: the records of other namespaces cost one lookup. */
  private readonly restricting = new Map<string, ObservabilityProfile[]>();
  /** Only profiles with `aggregation: pod`, by namespace, for the same reason. */
  private readonly podLevel = new Map<string, ObservabilityProfile[]>();

  upsert(key: string, profile: ObservabilityProfile): void {
    this.byKey.set(key, profile);
    this.rebuild();
  }

  remove(key: string): void {
    if (this.byKey.delete(key)) this.rebuild();
  }

  keys(): string[] {
    return [...this.byKey.keys()];
  }

  get size(): number {
    return this.byKey.size;
  }

  collects(type: DataType, endpoint: Endpoint): boolean {
    return !anyCovers(this.restricting, endpoint, (profile) => !profile.spec.collect[type]);
  }

  keepsPods(endpoint: Endpoint): boolean {
    return anyCovers(this.podLevel, endpoint, () => true);
  }

  private rebuild(): void {
    this.restricting.clear();
    this.podLevel.clear();
    for (const profile of this.byKey.values()) {
      if (!Object.values(profile.spec.collect).every(Boolean)) addTo(this.restricting, profile);
      if (profile.spec.aggregation === 'pod') addTo(this.podLevel, profile);
    }
  }
}

function addTo(byNamespace: Map<string, ObservabilityProfile[]>, profile: ObservabilityProfile): void {
  const list = byNamespace.get(profile.namespace) ?? [];
  list.push(profile);
  byNamespace.set(profile.namespace, list);
}

/** Whether a profile of the endpoint's namespace for which `applies` holds covers the endpoint. */
function anyCovers(
  byNamespace: ReadonlyMap<string, readonly ObservabilityProfile[]>,
  endpoint: Endpoint,
  applies: (profile: ObservabilityProfile) => boolean,
): boolean {
  if (byNamespace.size === 0 || endpoint.kind !== 'pod') return false;
  const profiles = byNamespace.get(endpoint.namespace);
  if (profiles === undefined) return false;
  for (const profile of profiles) {
    if (!applies(profile)) continue;
    if (profileCovers(profile, endpoint.namespace, endpoint.workload, endpoint.labels?.toRecord())) return true;
  }
  return false;
}
