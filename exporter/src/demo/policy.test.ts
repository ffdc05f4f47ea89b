import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluatePolicies, formatTrace, policyTraceName, type PolicyEndpoint, type PolicyQuery } from './policy';
import { POLICIES, TIERS } from './topology';

function pod(namespace: string, app: string, ip = '10.244.1.9'): PolicyEndpoint {
  return { kind: 'pod', namespace, labels: { app }, ip };
}

function trace(query: Omit<PolicyQuery, 'policies' | 'tiers' | 'includeStaged'>, includeStaged = false): string[] {
  return formatTrace(evaluatePolicies({ ...query, policies: POLICIES, tiers: TIERS, includeStaged }).entries);
}

test('policy names take the forms flow logs carry', () => {
  const names = POLICIES.map(policyTraceName);
  assert.ok(names.includes('platform.allow-dns'));
  assert.ok(names.includes('security.block-known-bad'));
  assert.ok(names.includes('shop/default.allow-frontend'));
  assert.ok(names.includes('data/knp.default.default-deny'));
  assert.ok(names.includes('shop/staged:default.frontend-egress'));
});

test('a data store denies unknown clients at the end of the default tier, charged to default-deny', () => {
  const query = {
    direction: 'ingress' as const,
    local: pod('data', 'orders-db'),
    peer: pod('shop', 'catalog'),
    protocol: 'tcp' as const,
    port: 5432,
  };
  assert.deepEqual(trace(query), [
    '0|platform|platform.allow-dns|pass|2',
    '1|security|security.block-known-bad|pass|1',
    '2|default|data/knp.default.default-deny|deny|-1',
  ]);
  assert.deepEqual(
    trace({ ...query, peer: pod('shop', 'checkout') }).at(-1),
    '2|default|data/knp.default.allow-orders-db|allow|0',
  );
});

test('staged policies change only the pending trace', () => {
  const query = {
    direction: 'egress' as const,
    local: pod('shop', 'frontend'),
    peer: { kind: 'external' as const, namespace: '', labels: {}, ip: '198.51.100.20' },
    protocol: 'tcp' as const,
    port: 443,
  };
  assert.equal(trace(query).at(-1), '2|__PROFILE__|__PROFILE__.kns.shop|allow|0');
  assert.equal(trace(query, true).at(-1), '2|default|shop/staged:default.frontend-egress|deny|-1');
});

test('DNS is allowed by the platform tier, and known-bad addresses are denied by the security tier', () => {
  assert.deepEqual(
    trace({
      direction: 'egress',
      local: pod('shop', 'cart'),
      peer: { kind: 'pod', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' }, ip: '10.244.0.3' },
      protocol: 'udp',
      port: 53,
    }),
    ['0|platform|platform.allow-dns|allow|0'],
  );
  assert.deepEqual(
    trace({
      direction: 'egress',
      local: pod('shop', 'recommendations'),
      peer: { kind: 'networkSet', namespace: '', labels: {}, ip: '198.51.100.66', networkSet: 'known-bad-ips' },
      protocol: 'tcp',
      port: 4444,
    }),
    ['0|platform|platform.allow-dns|pass|2', '1|security|security.block-known-bad|deny|0'],
  );
});
