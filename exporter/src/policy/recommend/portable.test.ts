import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { readResourcesFile } from '../../cluster/resources-file';
import { repoRoot } from '../../testing/collect';
import { buildPolicySnapshot } from '../snapshot';
import { UnifiedPolicyEngine, type EngineConnection } from '../engine';
import { Selector } from '../selector';
import { recommendClusterFromDocuments } from './cluster';
import { enforcedManifests, type EnforcedPolicies } from './diff';
import { recommendPolicies } from './recommend';
import { renderRecommendationYaml } from './render';
import { NotPortableError, packPortable, unpackPortable } from './portable';

const documents = readResourcesFile(join(repoRoot(), 'test/fixtures/recommend/resources.yaml'));
const { cluster } = recommendClusterFromDocuments(documents);
const CART = { kind: 'workload', namespace: 'shop', workload: 'cart' } as const;
const PAYMENTS = { kind: 'workload', namespace: 'payments', workload: 'payments-api' } as const;

/** Enforced: the fixture plus a Calico staged recommendation, whose selectors are `Selector` instances. */
function enforcedWithCalico(): EnforcedPolicies {
  const staged = recommendPolicies(cluster, [{ source: CART, destination: PAYMENTS, port: 8443, protocol: 'TCP' }], {
    format: 'calico-staged',
  });
  const objects = [
    ...documents.map((document) => document.object),
    ...parseAllDocuments(renderRecommendationYaml(staged)).map((document) => document.toJS() as unknown),
  ];
  return { snapshot: buildPolicySnapshot(objects).engine, manifests: enforcedManifests(objects) };
}

test('a structured clone alone loses the selectors: the reason for packing', () => {
  const enforced = enforcedWithCalico();
  const policy = enforced.snapshot.calicoPolicies?.[0];
  assert.ok(policy?.selector instanceof Selector, 'the fixture has a Calico policy with a selector');
  const cloned = structuredClone(enforced);
  assert.equal(cloned.snapshot.calicoPolicies?.[0]?.selector instanceof Selector, false);
});

test('packed, cloned and unpacked, the enforced policies are the same objects and the engine the same verdicts', () => {
  const enforced = enforcedWithCalico();
  const inputs = { cluster, flows: [{ source: CART, destination: PAYMENTS, port: 8443, protocol: 'TCP' }], enforced };
  // As postMessage copies it to the worker.
  const arrived = unpackPortable(structuredClone(packPortable(inputs, 'inputs')));
  // deepStrictEqual compares prototypes too: every Selector came back a Selector, Maps and Sets as they were.
  assert.deepStrictEqual(arrived, inputs);
  const cart = cluster.workloads.find((workload) => workload.name === 'cart')?.pods[0];
  const payments = cluster.workloads.find((workload) => workload.name === 'payments-api')?.pods[0];
  assert.ok(cart !== undefined && payments !== undefined);
  for (const port of [8443, 9000]) {
    const connection: EngineConnection = {
      source: { kind: 'pod', pod: cart },
      destination: { kind: 'pod', pod: payments },
      port,
      protocol: 'TCP',
    };
    assert.deepEqual(
      new UnifiedPolicyEngine(arrived.enforced.snapshot).evaluate(connection),
      new UnifiedPolicyEngine(enforced.snapshot).evaluate(connection),
      `port ${port}`,
    );
  }
});

test('what JSON cannot say comes back as it was: Maps, Sets, bigints, undefined, -0 and non-finite numbers', () => {
  const value = {
    map: new Map<string, unknown>([['a', new Set(['x', 'y'])]]),
    nets: [{ network: 0xc0a80000n, mask: 2n ** 128n - 1n }],
    missing: undefined,
    holes: [1, undefined, null],
    numbers: [-0, Number.NaN, Number.POSITIVE_INFINITY, 1.5],
  };
  const arrived = unpackPortable(packPortable(value, 'value'));
  assert.deepStrictEqual(arrived, value);
  assert.ok(Object.hasOwn(arrived, 'missing'), 'an undefined field stays a field');
  assert.ok(Object.is(arrived.numbers[0], -0));
});

test('what would not survive the copy is refused with its path', () => {
  class Opaque {
    readonly value = 1;
  }
  assert.throws(
    () => packPortable({ a: [{ b: new Opaque() }] }, 'inputs'),
    (error: unknown) =>
      error instanceof NotPortableError && /^inputs\.a\[0\]\.b: a Opaque instance/.test(error.message),
  );
  assert.throws(
    () => packPortable({ m: new Map([['k', () => 1]]) }, 'inputs'),
    (error: unknown) => error instanceof NotPortableError && /^inputs\.m\.get\(k\): a function/.test(error.message),
  );
});
