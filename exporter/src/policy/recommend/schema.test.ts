/**
 * The recommended NetworkPolicies against the Kubernetes API schema as the client library's models (generated from
 * the API server's OpenAPI document) describe it: every field exists at its place and has the model's type. Kubernetes
 * would reject what fails here on `kubectl apply`; the demo cluster's recommendations are checked whole.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { DEMO_TOPOLOGY, podLabels } from '../../demo/topology';
import { recommendPolicies, renderRecommendationYaml, type ObservedFlow, type RecommendCluster } from '.';

type Model = { getAttributeTypeMap(): { baseName: string; type: string }[] };

function model(name: string): Model {
  const candidate = (k8s as unknown as Record<string, unknown>)[name];
  assert.ok(typeof candidate === 'function' && 'getAttributeTypeMap' in candidate, `no model ${name}`);
  return candidate as unknown as Model;
}

/** Checks `value` against the library's type name (`V1NetworkPolicy`, `Array<...>`, maps, scalars). */
function checkAgainstSchema(value: unknown, type: string, path: string): void {
  if (type.startsWith('Array<')) {
    assert.ok(Array.isArray(value), `${path} must be a list (${type})`);
    value.forEach((item: unknown, index) => checkAgainstSchema(item, type.slice(6, -1), `${path}[${index}]`));
    return;
  }
  switch (type) {
    case 'string':
      assert.equal(typeof value, 'string', `${path} must be a string`);
      return;
    case 'number':
      assert.ok(Number.isInteger(value), `${path} must be an integer`);
      return;
    case 'IntOrString':
      assert.ok(Number.isInteger(value) || typeof value === 'string', `${path} must be an integer or a string`);
      return;
    case '{ [key: string]: string; }':
      assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value), `${path} must be a map`);
      for (const [key, item] of Object.entries(value)) assert.equal(typeof item, 'string', `${path}.${key}`);
      return;
  }
  assert.ok(
    typeof value === 'object' && value !== null && !Array.isArray(value),
    `${path} must be an object (${type})`,
  );
  const fields = new Map(
    model(type)
      .getAttributeTypeMap()
      .map((field) => [field.baseName, field.type]),
  );
  for (const [key, item] of Object.entries(value)) {
    const fieldType = fields.get(key);
    assert.ok(fieldType !== undefined, `${path}.${key} is not a field of ${type}`);
    checkAgainstSchema(item, fieldType, `${path}.${key}`);
  }
}

function demoCluster(): { cluster: RecommendCluster; flows: ObservedFlow[] } {
  const workloads = DEMO_TOPOLOGY.workloads
    .filter((spec) => spec.kind !== 'CronJob')
    .map((spec) => ({
      namespace: spec.namespace,
      name: spec.name,
      kind: spec.kind,
      pods: DEMO_TOPOLOGY.pods
        .filter((pod) => pod.namespace === spec.namespace && pod.workload === spec.name)
        .map((pod) => ({
          namespace: pod.namespace,
          name: pod.name,
          labels: podLabels(spec),
          ips: [pod.ip],
          containerPorts: [],
        })),
    }));
  const flows: ObservedFlow[] = [];
  for (const edge of DEMO_TOPOLOGY.edges) {
    if (edge.destPort === undefined || edge.protocol === 'icmp') continue;
    const peer = (end: (typeof edge)['source']): ObservedFlow['source'] =>
      end.kind === 'workload'
        ? { kind: 'workload', namespace: end.workload.namespace, workload: end.workload.name }
        : { kind: 'external', ip: end.kind === 'external' ? end.peer.ip : end.ip };
    flows.push({
      source: peer(edge.source),
      destination: peer(edge.destination),
      port: edge.destPort,
      protocol: edge.protocol === 'udp' ? 'UDP' : 'TCP',
    });
  }
  return { cluster: { namespaces: [], workloads, networkSets: [] }, flows };
}

test("the demo cluster's recommended NetworkPolicies fit the Kubernetes API schema, field by field", () => {
  const { cluster, flows } = demoCluster();
  const yaml = renderRecommendationYaml(recommendPolicies(cluster, flows, { format: 'kubernetes' }));
  const documents = parseAllDocuments(yaml);
  assert.ok(documents.length > 25);
  for (const document of documents) {
    assert.deepEqual(document.errors, []);
    const policy = document.toJS() as { metadata: { name: string; namespace: string } };
    checkAgainstSchema(policy, 'V1NetworkPolicy', `${policy.metadata.namespace}/${policy.metadata.name}`);
  }
});

test('the schema check itself refuses misplaced and mistyped fields', () => {
  const good = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'x', namespace: 'y' },
    spec: {
      podSelector: {},
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'a' } } }], ports: [{ port: 80 }] }],
    },
  };
  checkAgainstSchema(good, 'V1NetworkPolicy', 'good');
  const cases: [unknown, RegExp][] = [
    [{ ...good, spec: { ...good.spec, selector: {} } }, /spec\.selector is not a field of V1NetworkPolicySpec/],
    [{ ...good, spec: { ...good.spec, ingress: [{ from: [{ nets: ['10.0.0.0/8'] }] }] } }, /nets is not a field/],
    [
      { ...good, spec: { ...good.spec, ingress: [{ ports: [{ port: true }] }] } },
      /port must be an integer or a string/,
    ],
    [{ ...good, metadata: { name: 7 } }, /metadata\.name must be a string/],
    [{ ...good, spec: { ...good.spec, policyTypes: 'Ingress' } }, /policyTypes must be a list/],
  ];
  for (const [policy, message] of cases) {
    assert.throws(() => checkAgainstSchema(policy, 'V1NetworkPolicy', 'bad'), message);
  }
});
