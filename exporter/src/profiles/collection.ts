/**
 * The profiles the exporter applies live: which data types to collect for which workloads. The live view keeps it
 * current from its watch on ObservabilityProfiles; the pipeline asks it, per record, whether an endpoint's data of a
 * type is collected. A workload is covered by a profile of its namespace that names it or whose selector matches
 * the pod's labels; when any covering profile turns a type off, that type is not collected for it.
 */
import type { Endpoint } from '../model/flow';
import { profileCovers, type DataType, type ObservabilityProfile } from './spec';

export interface CollectionFilter {
  collects(type: DataType, endpoint: Endpoint): boolean;
}

export class ProfileStore implements CollectionFilter {
  private readonly byKey = new Map<string, ObservabilityProfile>();
  /** Only profiles that turn some type off, by namespace: the records of other namespaces cost one lookup. */
  private readonly restricting = new Map<string, ObservabilityProfile[]>();

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
    if (this.restricting.size === 0 || endpoint.kind !== 'pod') return true;
    const profiles = this.restricting.get(endpoint.namespace);
    if (profiles === undefined) return true;
    for (const profile of profiles) {
      if (profile.spec.collect[type]) continue;
      if (profileCovers(profile, endpoint.namespace, endpoint.workload, endpoint.labels?.toRecord())) return false;
    }
    return true;
  }

  private rebuild(): void {
    this.restricting.clear();
    for (const profile of this.byKey.values()) {
      if (Object.values(profile.spec.collect).every(Boolean)) continue;
      const list = this.restricting.get(profile.namespace) ?? [];
      list.push(profile);
      this.restricting.set(profile.namespace, list);
    }
  }
}
