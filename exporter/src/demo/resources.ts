/**
 * The demo cluster (`flowlens serve --demo`) as the Kubernetes and Calico objects `kubectl get -A -o yaml` would
 * print: namespaces, each workload's pods with their owners (ReplicaSets of Deployments, a Job of each CronJob with
 * one pod standing for its runs), and the GlobalNetworkSets. What `--resources` takes, so `policy recommend` and
 * the recommendations endpoint can be run against the demo; the recommender's tests read it too.
 */
import { DEMO_TOPOLOGY, podLabels, podTemplateHash, type WorkloadSpec } from './topology';

export interface DemoWorkloadPods {
  readonly spec: WorkloadSpec;
  readonly labels: Readonly<Record<string, string>>;
  readonly pods: readonly { readonly name: string; readonly ip: string }[];
}

/** CronJob pods come and go with their Jobs; one pod with an address outside the nodes' ranges stands for them. */
const CRONJOB_RUN = '28000000';

/** Each workload with its pods' labels and pods (names and addresses as the demo's traffic uses them). */
export function demoWorkloadPods(): DemoWorkloadPods[] {
  return DEMO_TOPOLOGY.workloads.map((spec, index) => ({
    spec,
    labels: podLabels(spec, spec.kind === 'CronJob' ? `${spec.name}-${CRONJOB_RUN}` : undefined),
    pods:
      spec.kind === 'CronJob'
        ? [{ name: `${spec.name}-${CRONJOB_RUN}-x1`, ip: `10.244.9.${index + 2}` }]
        : DEMO_TOPOLOGY.pods
            .filter((pod) => pod.namespace === spec.namespace && pod.workload === spec.name)
            .map((pod) => ({ name: pod.name, ip: pod.ip })),
  }));
}

/** The objects of a resources file for the demo cluster. */
export function demoResourceObjects(): unknown[] {
  const objects: unknown[] = DEMO_TOPOLOGY.namespaces.map((namespace) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: namespace.name, labels: { team: namespace.team } },
  }));
  for (const { spec, labels, pods } of demoWorkloadPods()) {
    let owner: { kind: string; name: string };
    if (spec.kind === 'Deployment') {
      owner = { kind: 'ReplicaSet', name: `${spec.name}-${podTemplateHash(spec)}` };
      objects.push({
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: owner.name,
          namespace: spec.namespace,
          ownerReferences: [{ kind: 'Deployment', name: spec.name, controller: true }],
        },
      });
    } else if (spec.kind === 'CronJob') {
      owner = { kind: 'Job', name: `${spec.name}-${CRONJOB_RUN}` };
      objects.push({
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: {
          name: owner.name,
          namespace: spec.namespace,
          ownerReferences: [{ kind: 'CronJob', name: spec.name, controller: true }],
        },
      });
    } else {
      owner = { kind: spec.kind, name: spec.name };
    }
    for (const pod of pods) {
      objects.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: pod.name,
          namespace: spec.namespace,
          labels,
          ownerReferences: [{ ...owner, controller: true }],
        },
        status: { phase: 'Running', podIP: pod.ip },
      });
    }
  }
  for (const set of DEMO_TOPOLOGY.networkSets) {
    objects.push({
      apiVersion: 'projectcalico.org/v3',
      kind: 'GlobalNetworkSet',
      metadata: { name: set.name, labels: set.labels },
      spec: { nets: set.nets },
    });
  }
  return objects;
}
