/**
 * From Kubernetes objects (as kubectl or calicoctl print them) to what the policy engine evaluates: the
 * namespaces, pods, service accounts and every policy kind it knows. An object that does not parse is
 * skipped and reported with its own error, so one bad policy does not hide the rest.
 */
import {
  NAMESPACE_NAME_LABEL,
  parseAdminNetworkPolicy,
  parseBaselineAdminNetworkPolicy,
  parseNamespaceInfo,
  parseNetworkPolicy,
  parsePodInfo,
  type AdminNetworkPolicy,
  type BaselineAdminNetworkPolicy,
  type NamespaceInfo,
  type NetworkPolicy,
  type PodInfo,
} from './kubernetes';
import {
  parseCalicoObject,
  type CalicoObject,
  type CalicoPolicy,
  type NetworkSet,
  type StagedKubernetesNetworkPolicy,
  type Tier,
} from './calico';
import type { EngineSnapshot, ServiceAccountInfo } from './engine';
import { isRecord, unpackLists } from '../cluster/projections';

/** One parsed policy object: a Kubernetes policy kind or any Calico kind. */
export type PolicyObject = NetworkPolicy | AdminNetworkPolicy | BaselineAdminNetworkPolicy | CalicoObject;

/** Sorts parsed policy objects into the engine's snapshot, for the static file and the live view alike. */
export function engineSnapshotOf(
  namespaces: readonly NamespaceInfo[],
  policies: Iterable<PolicyObject>,
  serviceAccounts: readonly ServiceAccountInfo[] = [],
): EngineSnapshot {
  const tiers: Tier[] = [];
  const calicoPolicies: CalicoPolicy[] = [];
  const stagedKubernetesPolicies: StagedKubernetesNetworkPolicy[] = [];
  const networkSets: NetworkSet[] = [];
  const networkPolicies: NetworkPolicy[] = [];
  const adminNetworkPolicies: AdminNetworkPolicy[] = [];
  const baselineAdminNetworkPolicies: BaselineAdminNetworkPolicy[] = [];
  for (const policy of policies) {
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
  return {
    namespaces,
    serviceAccounts,
    tiers,
    calicoPolicies,
    stagedKubernetesPolicies,
    networkSets,
    networkPolicies,
    adminNetworkPolicies,
    baselineAdminNetworkPolicies,
  };
}

export interface PolicySnapshot {
  readonly engine: EngineSnapshot;
  readonly pods: readonly PodInfo[];
  /** One line per object that was skipped, naming it and the field at fault. */
  readonly problems: readonly string[];
}

const CALICO_KINDS = new Set([
  'Tier',
  'NetworkPolicy',
  'GlobalNetworkPolicy',
  'StagedNetworkPolicy',
  'StagedGlobalNetworkPolicy',
  'StagedKubernetesNetworkPolicy',
  'NetworkSet',
  'GlobalNetworkSet',
]);

/** Calico's NetworkPolicy shares its kind name with Kubernetes'; the API group tells them apart. */
function isCalicoObject(object: Record<string, unknown>): boolean {
  const apiVersion = typeof object['apiVersion'] === 'string' ? object['apiVersion'] : '';
  return CALICO_KINDS.has(String(object['kind'])) && apiVersion.includes('projectcalico.org');
}

export function buildPolicySnapshot(objects: readonly unknown[]): PolicySnapshot {
  const namespaces: NamespaceInfo[] = [];
  const pods: PodInfo[] = [];
  const serviceAccounts: ServiceAccountInfo[] = [];
  const policies: PolicyObject[] = [];
  const problems: string[] = [];

  const add = (object: Record<string, unknown>): void => {
    const kind = String(object['kind']);
    try {
      if (isCalicoObject(object)) {
        policies.push(parseCalicoObject(object));
        return;
      }
      switch (kind) {
        case 'Namespace':
          namespaces.push(parseNamespaceInfo(object));
          break;
        case 'Pod':
          pods.push(parsePodInfo(object));
          break;
        case 'ServiceAccount': {
          const metadata = isRecord(object['metadata']) ? object['metadata'] : {};
          const labels = isRecord(metadata['labels']) ? metadata['labels'] : {};
          serviceAccounts.push({
            namespace: String(metadata['namespace'] ?? 'default'),
            name: String(metadata['name'] ?? ''),
            labels: Object.fromEntries(
              Object.entries(labels).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
            ),
          });
          break;
        }
        case 'NetworkPolicy':
          policies.push(parseNetworkPolicy(object));
          break;
        case 'AdminNetworkPolicy':
          policies.push(parseAdminNetworkPolicy(object));
          break;
        case 'BaselineAdminNetworkPolicy':
          policies.push(parseBaselineAdminNetworkPolicy(object));
          break;
      }
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
    }
  };
  for (const object of unpackLists(objects)) add(object);

  // Pods in namespaces the file does not list still need their namespace (with its name label) to be evaluated.
  const known = new Set(namespaces.map((namespace) => namespace.name));
  for (const pod of pods) {
    if (known.has(pod.namespace)) continue;
    known.add(pod.namespace);
    namespaces.push({ name: pod.namespace, labels: { [NAMESPACE_NAME_LABEL]: pod.namespace } });
  }
  return { engine: engineSnapshotOf(namespaces, policies, serviceAccounts), pods, problems };
}
