/**
 * What the live cluster view knows about policy: every parsed policy object the informers hold, by
 * resource and `namespace/name`, and the labels of namespaces and service accounts (selectors read them). It tells a
 * listener when something the engine's snapshot is built from has changed, and builds that snapshot.
 */
import type { EngineSnapshot, ServiceAccountInfo } from '../engine';
import { NAMESPACE_NAME_LABEL, type Labels, type NamespaceInfo } from '../kubernetes';
import { engineSnapshotOf, type PolicyObject } from '../snapshot';
import type { EnforcedPolicies } from '../recommend/diff';

/** One parsed policy object: a Kubernetes policy kind or any Calico kind. */
export type LivePolicyObject = PolicyObject;

export class LivePolicyStore {
  private readonly resources = new Map<string, Map<string, LivePolicyObject>>();
  /**
   * The manifests of the objects a recommendation would replace (`flowlens-recommended-*`), by resource and key,
   * with their `manifestKey`: the diff to enforced shows their YAML. Only those, so the store still keeps parsed
   * policies, not objects.
   */
  private readonly manifests = new Map<string, { key: string; manifest: Record<string, unknown> }>();
  private readonly namespaces = new Map<string, Labels>();
  /** By `namespace/name`: Calico's serviceAccountSelector reads their labels. */
  private readonly serviceAccounts = new Map<string, ServiceAccountInfo>();
  private listener: (() => void) | undefined;

  /** Called after every change that alters the engine's snapshot (one listener). */
  onChange(listener: () => void): void {
    this.listener = listener;
  }

  upsert(
    resource: string,
    key: string,
    policy: LivePolicyObject,
    manifest?: { key: string; manifest: Record<string, unknown> },
  ): void {
    if (manifest === undefined) this.manifests.delete(`${resource}\u0000${key}`);
    else this.manifests.set(`${resource}\u0000${key}`, manifest);
    let objects = this.resources.get(resource);
    if (objects === undefined) {
      objects = new Map();
      this.resources.set(resource, objects);
    }
    // The informer hands on the listed objects the view has already taken: the same projection is no change.
    if (objects.get(key) === policy) return;
    objects.set(key, policy);
    this.changed();
  }

  remove(resource: string, key: string): void {
    this.manifests.delete(`${resource}\u0000${key}`);
    if (this.resources.get(resource)?.delete(key) === true) this.changed();
  }

  keys(resource: string): string[] {
    return [...(this.resources.get(resource)?.keys() ?? [])];
  }

  /** A namespace whose labels did not change is no change: namespaces are updated for many other reasons. */
  upsertNamespace(name: string, labels: Labels): void {
    const known = this.namespaces.get(name);
    if (known !== undefined && sameLabels(known, labels)) return;
    this.namespaces.set(name, labels);
    this.changed();
  }

  removeNamespace(name: string): void {
    if (this.namespaces.delete(name)) this.changed();
  }

  /** Like namespaces, an account whose labels did not change is no change (its secrets and tokens are not ours). */
  upsertServiceAccount(namespace: string, name: string, labels: Labels): void {
    const key = `${namespace}/${name}`;
    const known = this.serviceAccounts.get(key);
    if (known !== undefined && sameLabels(known.labels, labels)) return;
    this.serviceAccounts.set(key, { namespace, name, labels });
    this.changed();
  }

  removeServiceAccount(namespace: string, name: string): void {
    if (this.serviceAccounts.delete(`${namespace}/${name}`)) this.changed();
  }

  serviceAccountKeys(): string[] {
    return [...this.serviceAccounts.keys()];
  }

  engineSnapshot(): EngineSnapshot {
    const namespaces: NamespaceInfo[] = [];
    // The API server labels every namespace with its name; objects from elsewhere may lack the label.
    for (const [name, labels] of this.namespaces) {
      namespaces.push({ name, labels: { [NAMESPACE_NAME_LABEL]: name, ...labels } });
    }
    return engineSnapshotOf(namespaces, this.allPolicies(), [...this.serviceAccounts.values()]);
  }

  /** What the diff to enforced compares a recommendation with. */
  enforcedPolicies(): EnforcedPolicies {
    return {
      snapshot: this.engineSnapshot(),
      manifests: new Map([...this.manifests.values()].map((entry) => [entry.key, entry.manifest])),
    };
  }

  private *allPolicies(): Iterable<LivePolicyObject> {
    for (const objects of this.resources.values()) yield* objects.values();
  }

  private changed(): void {
    this.listener?.();
  }
}

function sameLabels(a: Labels, b: Labels): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}
