import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { buildPolicySnapshot } from './snapshot';
import { UnifiedPolicyEngine } from './engine';
import { PolicyAttribution, type PolicyContext } from './attribution';
import { parsePolicyEntry } from '../sources/calico-policy';
import { repoRoot } from '../testing/collect';
import { testFlowRecord } from '../testing/records';
import { emptyEndpoint, UNKNOWN_POLICY, type Endpoint, type FlowRecord } from '../model/flow';

const snapshot = buildPolicySnapshot(
  parseAllDocuments(readFileSync(join(repoRoot(), 'test/fixtures/policies.yaml'), 'utf8')).map(
    (document) => document.toJS() as unknown,
  ),
);
const context: PolicyContext = {
  engine: new UnifiedPolicyEngine(snapshot.engine),
  podFor: (endpoint) =>
    snapshot.pods.find(
      (pod) =>
        (endpoint.ip !== '' && pod.ips.includes(endpoint.ip)) ||
        (pod.namespace === endpoint.namespace && pod.name === endpoint.pod),
    ),
};

const pod = (namespace: string, name: string): Endpoint => ({ ...emptyEndpoint(), kind: 'pod', namespace, pod: name });
const frontend = pod('shop', 'frontend-7d4b9c8f5-x2x7k');
const recommendations = pod('shop', 'recommendations-6c9f8d7b5-h7j9k');
const paymentsApi = pod('payments', 'payments-api-7b8c9d6f5-q4w8z');

function flow(overrides: Partial<FlowRecord>): FlowRecord {
  return testFlowRecord({ source: frontend, destination: paymentsApi, destPort: 8443, ...overrides });
}

test('a flow without policy information takes the engine’s answer for the reporting end', () => {
  const stage = new PolicyAttribution(() => context);
  const ingress = flow({});
  stage.enrich(ingress);
  assert.deepEqual(ingress.verdict, { policy: 'payments/allow-frontend', tier: 'default' });
  const denied = flow({ source: recommendations, action: 'deny' });
  stage.enrich(denied);
  assert.deepEqual(denied.verdict, { policy: 'payments/allow-frontend', tier: 'default' });
  const egress = flow({ reporter: 'src' });
  stage.enrich(egress);
  assert.deepEqual(egress.verdict, { policy: 'none', tier: 'none' }, 'no policy selects frontend for egress');
  assert.equal(stage.counters.attributed, 3);
});

test('the dataplane’s trace wins, and a disagreement is counted', () => {
  const stage = new PolicyAttribution(() => context);
  const trace = [parsePolicyEntry('0|default|payments/knp.default.allow-frontend|allow|0')];
  const agreeing = flow({ enforcedPolicies: trace, verdict: trace[0]!.verdict });
  stage.enrich(agreeing);
  assert.equal(stage.counters.mismatches, 0);
  const stale = [parsePolicyEntry('0|default|payments/knp.default.old-policy|allow|0')];
  const disagreeing = flow({ enforcedPolicies: stale, verdict: stale[0]!.verdict });
  stage.enrich(disagreeing);
  assert.equal(stage.counters.mismatches, 1);
  assert.deepEqual(disagreeing.verdict, { policy: 'payments/old-policy', tier: 'default' }, 'kept as reported');
});

test('staged outcomes: from the dataplane’s pending trace, else from the engine', () => {
  const stage = new PolicyAttribution(() => context);
  const pending = [
    parsePolicyEntry('0|default|payments/staged:default.lockdown|deny|-1'),
    parsePolicyEntry('1|default|payments/knp.default.allow-frontend|allow|0'),
  ];
  const fromTrace = flow({ pendingPolicies: pending.slice(0, 1) });
  stage.enrich(fromTrace);
  assert.deepEqual(fromTrace.staged, { policy: 'payments/lockdown', tier: 'default', action: 'deny' });
  const enforcedDecides = flow({ pendingPolicies: pending.slice(1) });
  stage.enrich(enforcedDecides);
  assert.equal(enforcedDecides.staged, undefined, 'a pending trace decided by an enforced policy changes nothing');

  const internet: Endpoint = { ...emptyEndpoint(), kind: 'world', ip: '198.51.100.7', workload: 'world' };
  const toInternet = flow({ destination: internet, reporter: 'src', destPort: 443 });
  stage.enrich(toInternet);
  assert.deepEqual(toInternet.staged, { policy: 'shop/frontend-egress', tier: 'default', action: 'deny' });
});

test('endpoints the view does not know are left alone', () => {
  const stage = new PolicyAttribution(() => context);
  const stranger = flow({ source: pod('elsewhere', 'ghost-0') });
  stage.enrich(stranger);
  assert.deepEqual(stranger.verdict, UNKNOWN_POLICY);
  const noView = new PolicyAttribution(() => undefined);
  const record = flow({});
  noView.enrich(record);
  assert.deepEqual(record.verdict, UNKNOWN_POLICY);
});

test('IP-only flows (conntrack) take the engine’s answer, before or after the cluster enricher named their pods', () => {
  const stage = new PolicyAttribution(() => context);
  const byIp = (ip: string): Endpoint => ({ ...emptyEndpoint(), ip });
  const ipOnly = flow({ source: byIp('10.244.1.10'), destination: byIp('10.244.2.20') });
  stage.enrich(ipOnly);
  assert.deepEqual(ipOnly.verdict, { policy: 'payments/allow-frontend', tier: 'default' });
  assert.equal(stage.counters.attributed, 1);
  const unknownIp = flow({ source: byIp('10.244.9.9'), destination: byIp('10.244.2.20') });
  stage.enrich(unknownIp);
  assert.deepEqual(unknownIp.verdict, UNKNOWN_POLICY, 'an IP that is no known pod and not marked outside');
});
