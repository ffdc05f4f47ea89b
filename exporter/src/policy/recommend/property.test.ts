/**
 * Property test: for random clusters and random observed flows (seeded, so a failure replays), the recommended
 * policies, added to the same resources and evaluated by the policy engine, allow every observed flow and deny
 * every unobserved (source workload, destination workload, port, protocol) among the cluster's workloads. DNS to
 * the DNS pods on 53 is allowed by design and exempt. Kubernetes format is checked as enforced policy, Calico
 * format as staged policy (the engine's pending verdict), whose enforced verdict must stay unchanged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { SeededRandom } from '../../demo/random';
import { DEMO_TOPOLOGY, type EdgePeer } from '../../demo/topology';
import { demoResourceObjects, demoWorkloadPods } from '../../demo/resources';
import { buildPolicySnapshot } from '../snapshot';
import { UnifiedPolicyEngine, type EngineEndpoint } from '../engine';
import type { PodInfo, Protocol } from '../kubernetes';
import {
  recommendClusterFromDocuments,
  recommendPolicies,
  renderRecommendationYaml,
  unobservedPairs,
  workloadKey,
  type ObservedFlow,
  type RecommendFormat,
} from '.';

interface GeneratedWorkload {
  namespace: string;
  name: string;
  pods: { name: string; ip: string; labels: Record<string, string> }[];
  dns: boolean;
}

interface GeneratedCluster {
  objects: unknown[];
  workloads: GeneratedWorkload[];
  flows: ObservedFlow[];
}

const PORTS: readonly { port: number; protocol: Protocol }[] = [
  { port: 80, protocol: 'TCP' },
  { port: 443, protocol: 'TCP' },
  { port: 5432, protocol: 'TCP' },
  { port: 8125, protocol: 'UDP' },
  { port: 53, protocol: 'UDP' },
];
const NETWORK_SET_CIDR = '203.0.113.0/24';

function pick<T>(random: SeededRandom, items: readonly T[]): T {
  return items[random.int(items.length)] as T;
}

function generate(seed: number): GeneratedCluster {
  const random = new SeededRandom(seed);
  const objects: unknown[] = [];
  const workloads: GeneratedWorkload[] = [];
  let nextIp = 10;
  const addWorkload = (namespace: string, name: string, labels: Record<string, string>, replicas: number): void => {
    const hash = `h${seed.toString(36)}${workloads.length}`;
    const replicaSet = `${name}-${hash}`;
    objects.push({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: replicaSet, namespace, ownerReferences: [{ kind: 'Deployment', name, controller: true }] },
    });
    const pods: GeneratedWorkload['pods'] = [];
    for (let i = 0; i < replicas; i++) {
      const pod = { name: `${replicaSet}-p${i}`, ip: `10.244.${Math.floor(nextIp / 250)}.${nextIp % 250}`, labels };
      nextIp++;
      pods.push({ ...pod, labels: { ...labels, 'pod-template-hash': hash } });
      objects.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: pod.name,
          namespace,
          labels: { ...labels, 'pod-template-hash': hash },
          ownerReferences: [{ kind: 'ReplicaSet', name: replicaSet, controller: true }],
        },
        status: { phase: 'Running', podIP: pod.ip },
      });
    }
    workloads.push({ namespace, name, pods, dns: labels['k8s-app'] === 'kube-dns' });
  };
  const namespaces = ['alpha', 'beta', 'gamma'].slice(0, 2 + random.int(2));
  for (const namespace of [...namespaces, 'kube-system']) {
    objects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { team: namespace } } });
  }
  addWorkload('kube-system', 'coredns', { 'k8s-app': 'kube-dns' }, 2);
  for (const namespace of namespaces) {
    const count = 2 + random.int(3);
    for (let i = 0; i < count; i++) {
      const name = `svc${i}`;
      // Shared labels across workloads (tier) and, sometimes, a canary whose labels are a superset of another's.
      addWorkload(namespace, name, { app: name, tier: pick(random, ['web', 'data']) }, 1 + random.int(3));
      if (random.next() < 0.3) {
        addWorkload(namespace, `${name}-canary`, { app: name, tier: 'web', track: 'canary' }, 1);
      }
    }
  }
  objects.push({
    apiVersion: 'projectcalico.org/v3',
    kind: 'GlobalNetworkSet',
    metadata: { name: 'partners', labels: { 'flowlens.io/network': 'partners' } },
    spec: { nets: [NETWORK_SET_CIDR] },
  });

  const flows: ObservedFlow[] = [];
  const applications = workloads.filter((workload) => !workload.dns);
  const dns = workloads.find((workload) => workload.dns)!;
  const flowCount = 5 + random.int(20);
  for (let i = 0; i < flowCount; i++) {
    const source = pick(random, applications);
    const roll = random.next();
    const { port, protocol } = pick(random, PORTS);
    if (roll < 0.6) {
      const destination = pick(random, workloads);
      flows.push({
        source: { kind: 'workload', namespace: source.namespace, workload: source.name },
        destination: { kind: 'workload', namespace: destination.namespace, workload: destination.name },
        port: destination === dns ? 53 : port,
        protocol: destination === dns ? 'UDP' : protocol,
      });
    } else if (roll < 0.8) {
      // Out to the internet or to the partner network set.
      const ip = random.next() < 0.5 ? `198.51.100.${random.int(8)}` : `203.0.113.${random.int(250)}`;
      flows.push({
        source: { kind: 'workload', namespace: source.namespace, workload: source.name },
        destination: { kind: 'external', ip },
        port,
        protocol,
      });
    } else {
      flows.push({
        source: { kind: 'external', ip: `192.0.2.${random.int(4)}` },
        destination: { kind: 'workload', namespace: source.namespace, workload: source.name },
        port,
        protocol,
      });
    }
  }
  return { objects, workloads, flows };
}

function podEndpoint(pod: PodInfo): EngineEndpoint {
  return { kind: 'pod', pod, ip: pod.ips[0]! };
}

function checkProperty(seed: number, format: RecommendFormat): { allowed: number; denied: number } {
  return checkCluster(generate(seed), format, `seed ${seed}`, PORTS);
}

/**
 * The property on one cluster. `label` names it in failures; `extraPorts` are tried, besides the observed ones,
 * for unobserved pairs. One pod per workload is enough for unobserved pairs when `onePodPerWorkload` (the pods of
 * a workload share their labels, so the engine gives them the same verdicts).
 */
function checkCluster(
  generated: GeneratedCluster,
  format: RecommendFormat,
  label: string,
  extraPorts: readonly { port: number; protocol: Protocol }[],
  onePodPerWorkload = false,
): { allowed: number; denied: number } {
  const seed = label;
  const documents = generated.objects.map((object, index) => ({ object, where: `generated: object ${index + 1}` }));
  const { cluster, problems } = recommendClusterFromDocuments(documents);
  assert.deepEqual(problems, []);
  const recommendation = recommendPolicies(cluster, generated.flows, { format });
  assert.deepEqual(recommendation.warnings, [], `${seed}`);
  // Through YAML and back, as kubectl would read it.
  const policies = parseAllDocuments(renderRecommendationYaml(recommendation)).map(
    (document) => document.toJS() as unknown,
  );
  assert.equal(policies.length, generated.workloads.length, `${seed}: one policy per workload`);
  const snapshot = buildPolicySnapshot([...generated.objects, ...policies]);
  assert.deepEqual(snapshot.problems, [], `${seed}`);
  const engine = new UnifiedPolicyEngine(snapshot.engine);
  const podsOf = new Map<string, PodInfo[]>();
  for (const pod of snapshot.pods) {
    const workload = generated.workloads.find((candidate) =>
      candidate.pods.some((generatedPod) => generatedPod.name === pod.name),
    )!;
    const key = workloadKey(workload.namespace, workload.name);
    podsOf.set(key, [...(podsOf.get(key) ?? []), pod]);
  }
  const verdictOf = (source: EngineEndpoint, destination: EngineEndpoint, port: number, protocol: Protocol) => {
    const verdict = engine.evaluate({ source, destination, port, protocol });
    if (format === 'kubernetes') return verdict.verdict;
    // Staged: nothing is enforced, so the enforced verdict is the profile's allow; the pending one is the policies'.
    assert.equal(verdict.verdict, 'allow');
    return verdict.pendingVerdict;
  };
  const endpointsOf = (peer: ObservedFlow['source']): EngineEndpoint[] => {
    if (peer.kind === 'external') return [{ kind: 'external', ip: peer.ip }];
    if (peer.kind === 'networkSet') throw new Error('generated flows name addresses, not network sets');
    return (podsOf.get(workloadKey(peer.namespace, peer.workload)) ?? []).map(podEndpoint);
  };
  let allowed = 0;
  let denied = 0;
  for (const flow of generated.flows) {
    for (const source of endpointsOf(flow.source)) {
      for (const destination of endpointsOf(flow.destination)) {
        assert.equal(
          verdictOf(source, destination, flow.port, flow.protocol),
          'allow',
          `${seed} ${format}: observed ${JSON.stringify(flow)} must be allowed`,
        );
        allowed++;
      }
    }
  }
  const pods = (key: string): PodInfo[] => {
    const all = podsOf.get(key) ?? [];
    return onePodPerWorkload ? all.slice(0, 1) : all;
  };
  for (const pair of unobservedPairs(generated.workloads, generated.flows, {
    extraPorts,
    exempt: (destination, { port }) => destination.dns && port === 53,
  })) {
    const { source, destination, port, protocol } = pair;
    for (const sourcePod of pods(workloadKey(source.namespace, source.name))) {
      for (const destinationPod of pods(workloadKey(destination.namespace, destination.name))) {
        if (sourcePod === destinationPod) continue;
        if (onePodPerWorkload && source === destination) continue;
        assert.equal(
          verdictOf(podEndpoint(sourcePod), podEndpoint(destinationPod), port, protocol),
          'deny',
          `${seed} ${format}: unobserved ${pair.key} must be denied`,
        );
        denied++;
      }
    }
  }
  // An address nobody talked to, outside the network set, is denied both ways.
  const stranger: EngineEndpoint = { kind: 'external', ip: '192.0.2.200' };
  for (const pod of snapshot.pods) {
    if (generated.workloads.some((workload) => workload.dns && workload.pods.some((p) => p.name === pod.name)))
      continue;
    assert.equal(verdictOf(podEndpoint(pod), stranger, 443, 'TCP'), 'deny', `${seed}: egress to a stranger`);
    assert.equal(verdictOf(stranger, podEndpoint(pod), 80, 'TCP'), 'deny', `${seed}: ingress from a stranger`);
    denied += 2;
  }
  return { allowed, denied };
}

for (const format of ['kubernetes', 'calico-staged'] as const) {
  test(`${format}: on 40 random clusters, exactly the observed flows are allowed`, () => {
    let allowed = 0;
    let denied = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const counts = checkProperty(seed, format);
      allowed += counts.allowed;
      denied += counts.denied;
    }
    // Not vacuous: both sides of the property were exercised many times.
    assert.ok(allowed > 400, `allowed ${allowed}`);
    assert.ok(denied > 4000, `denied ${denied}`);
  });
}

/**
 * The demo cluster (`flowlens serve --demo`) as a resources file and its call graph as the observed flows: every
 * edge the traffic generator draws flows along, with ports after service NAT. ICMP edges have no port to allow.
 */
function demoCluster(): GeneratedCluster {
  const objects = demoResourceObjects();
  const workloads: GeneratedWorkload[] = demoWorkloadPods().map(({ spec, labels, pods }) => ({
    namespace: spec.namespace,
    name: spec.name,
    pods: pods.map((pod) => ({ name: pod.name, ip: pod.ip, labels })),
    dns: labels['k8s-app'] === 'kube-dns',
  }));
  const peer = (end: EdgePeer): ObservedFlow['source'] =>
    end.kind === 'workload'
      ? { kind: 'workload', namespace: end.workload.namespace, workload: end.workload.name }
      : { kind: 'external', ip: end.kind === 'external' ? end.peer.ip : end.ip };
  const flows: ObservedFlow[] = [];
  for (const edge of DEMO_TOPOLOGY.edges) {
    if (edge.destPort === undefined || edge.protocol === 'icmp') continue;
    flows.push({
      source: peer(edge.source),
      destination: peer(edge.destination),
      port: edge.destPort,
      protocol: edge.protocol === 'udp' ? 'UDP' : 'TCP',
    });
  }
  return { objects, workloads, flows };
}

for (const format of ['kubernetes', 'calico-staged'] as const) {
  test(`${format}: on the demo cluster's call graph, exactly its flows are allowed`, () => {
    const demo = demoCluster();
    assert.ok(demo.workloads.length > 25 && demo.flows.length > 50, 'the whole demo');
    const { allowed, denied } = checkCluster(demo, format, 'demo', [], true);
    assert.ok(allowed > 100, `allowed ${allowed}`);
    assert.ok(denied > 10_000, `denied ${denied}`);
  });
}
