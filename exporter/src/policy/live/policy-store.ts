/**
 * What the live cluster view knows about policy: every parsed policy object the informers hold, by
 * resource and `namespace/name`, and the namespaces' labels (namespace selectors read them). It tells a
 * listener when something the engine's snapshot is built from has changed, and builds that snapshot.
 */
import type { CalicoObject, CalicoPolicy, NetworkSet, StagedKubernetesNetworkPolicy, Tier } from '../calico';
import type { EngineSnapshot } from '../engine';
import type {
  AdminNetworkPolicy,
  BaselineAdminNetworkPolicy,
  Labels,
  NamespaceInfo,
  NetworkPolicy,
} from '../kubernetes';

/** One parsed policy object: a Kubernetes policy kind or any Calico kind. */
export type LivePolicyObject = NetworkPolicy | AdminNetworkPolicy | BaselineAdminNetworkPolicy | CalicoObject;

const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

export class LivePolicyStore {
  private readonly resources = new Map<string, Map<string, LivePolicyObject>>();
  private readonly namespaces = new Map<string, Labels>();
  private listener: (() => void) | undefined;

  /** Called after every change that alters the engine's snapshot (one listener). */
  onChange(listener: () => void): void {
    this.listener = listener;
  }

  upsert(resource: string, key: string, policy: LivePolicyObject): void {
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

  engineSnapshot(): EngineSnapshot {
    const namespaces: NamespaceInfo[] = [];
    // The API server labels every namespace with its name; objects from elsewhere may lack the label.
    for (const [name, labels] of this.namespaces) {
      namespaces.push({ name, labels: { [NAMESPACE_NAME_LABEL]: name, ...labels } });
    }
    const tiers: Tier[] = [];
    const calicoPolicies: CalicoPolicy[] = [];
    const stagedKubernetesPolicies: StagedKubernetesNetworkPolicy[] = [];
    const networkSets: NetworkSet[] = [];
    const networkPolicies: NetworkPolicy[] = [];
    const adminNetworkPolicies: AdminNetworkPolicy[] = [];
    const baselineAdminNetworkPolicies: BaselineAdminNetworkPolicy[] = [];
    for (const objects of this.resources.values()) {
      for (const policy of objects.values()) {
        switch (policy.kind) {
          case 'Tier':
            tiers.push(policy);
            break;
          case 'StagedKubernetesNetworkPolicy':
            stagedKubernetesPolicies.push(policy);
            break;
          case 'NetworkSet':
          case 'GlobalNetworkSet':
            networkSets.push(policy);
            break;
          case 'AdminNetworkPolicy':
            adminNetworkPolicies.push(policy);
            break;
          case 'BaselineAdminNetworkPolicy':
            baselineAdminNetworkPolicies.push(policy);
            break;
          default:
            // Kubernetes' NetworkPolicy and Calico's share the kind name; only Calico's has a tier.
            if ('tier' in policy) calicoPolicies.push(policy);
            else networkPolicies.push(policy);
        }
      }
    }
    return {
      namespaces,
      tiers,
      calicoPolicies,
      stagedKubernetesPolicies,
      networkSets,
      networkPolicies,
      adminNetworkPolicies,
      baselineAdminNetworkPolicies,
    };
  }

  private changed(): void {
    this.listener?.();
  }
}

function sameLabels(a: Labels, b: Labels): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}
