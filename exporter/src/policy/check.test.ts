import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { buildPolicySnapshot } from './snapshot';
import { CheckInputError, checkConnection } from './check';
import { repoRoot } from '../testing/collect';

const objects = parseAllDocuments(readFileSync(join(repoRoot(), 'test/fixtures/policies.yaml'), 'utf8')).map(
  (document) => document.toJS() as unknown,
);
const snapshot = buildPolicySnapshot(objects);

test('the snapshot holds every kind of the fixture and no problems', () => {
  assert.deepEqual(snapshot.problems, []);
  assert.equal(snapshot.pods.length, 3);
  assert.equal(snapshot.engine.networkPolicies?.length, 1);
  assert.equal(snapshot.engine.calicoPolicies?.length, 2);
  assert.equal(snapshot.engine.tiers?.length, 1);
  assert.equal(snapshot.engine.networkSets?.length, 1);
});

test('frontend may reach payments-api on its named port; the NetworkPolicy decides ingress', () => {
  const report = checkConnection(
    snapshot,
    'shop/frontend-7d4b9c8f5-x2x7k',
    'payments/payments-api-7b8c9d6f5-q4w8z',
    8443,
    'TCP',
  );
  assert.equal(report.verdict, 'allow');
  assert.deepEqual(report.ingress, { verdict: 'allow', policy: 'payments/allow-frontend', tier: 'default', rule: 0 });
  assert.equal(report.egress?.verdict, 'allow');
});

test('another shop pod is denied at the isolated destination', () => {
  const report = checkConnection(snapshot, '10.244.1.11', '10.244.2.20', 8443, 'TCP');
  assert.equal(report.verdict, 'deny');
  assert.equal(report.ingress?.policy, 'payments/allow-frontend');
  assert.equal(report.ingress?.rule, -1);
});

test('egress to a known-bad address is denied by the security tier; the staged policy would deny the internet', () => {
  const bad = checkConnection(snapshot, 'shop/frontend-7d4b9c8f5-x2x7k', '203.0.113.9', 443, 'TCP');
  assert.equal(bad.verdict, 'deny');
  assert.deepEqual(bad.egress, { verdict: 'deny', policy: 'block-known-bad', tier: 'security', rule: 0 });
  assert.equal(bad.ingress, null, 'an address outside the cluster has no ingress policy');
  const internet = checkConnection(snapshot, 'shop/frontend-7d4b9c8f5-x2x7k', '198.51.100.7', 443, 'TCP');
  assert.equal(internet.verdict, 'allow');
  assert.equal(internet.staged.length, 1);
  assert.deepEqual(internet.staged[0], {
    direction: 'egress',
    verdict: 'deny',
    policy: 'shop/frontend-egress',
    tier: 'default',
    rule: -1,
  });
});

test('unknown pods and malformed endpoints are errors that name them', () => {
  assert.throws(
    () => checkConnection(snapshot, 'shop/nope', '10.244.2.20', 80, 'TCP'),
    (error: unknown) =>
      error instanceof CheckInputError && /--from "shop\/nope": no pod nope in namespace shop/.test(error.message),
  );
  assert.throws(
    () => checkConnection(snapshot, '10.244.1.10', 'payments', 80, 'TCP'),
    /--to "payments" must be namespace\/pod or an IP/,
  );
});

test('a policy that does not parse is reported by name and the rest still load', () => {
  const broken = buildPolicySnapshot([
    ...objects,
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'broken', namespace: 'shop' },
      spec: { podSelector: {}, ingress: [{ ports: [{ port: true }] }] },
    },
  ]);
  assert.equal(broken.problems.length, 1);
  assert.match(broken.problems[0] ?? '', /NetworkPolicy shop\/broken: spec.ingress\[0\].ports\[0\].port/);
  assert.equal(broken.engine.networkPolicies?.length, 1);
});
