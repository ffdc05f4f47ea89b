import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decidingPolicy, parsePolicyEntry } from './calico-policy';

test('policy entries of every name form', () => {
  assert.deepEqual(parsePolicyEntry('0|platform|platform.allow-dns|pass|0'), {
    index: 0,
    tier: 'platform',
    namespace: '',
    name: 'allow-dns',
    kind: 'global',
    staged: false,
    action: 'pass',
    ruleIndex: 0,
    verdict: { policy: 'allow-dns', tier: 'platform' },
  });
  const calico = parsePolicyEntry('1|default|shop/default.allow-frontend|allow|2');
  assert.equal(calico.namespace, 'shop');
  assert.equal(calico.name, 'allow-frontend');
  assert.equal(calico.kind, 'calico');
  const kubernetes = parsePolicyEntry('2|default|shop/knp.default.allow-cart|deny|-1');
  assert.equal(kubernetes.kind, 'kubernetes');
  assert.equal(kubernetes.name, 'allow-cart');
  assert.equal(kubernetes.ruleIndex, -1);
  const staged = parsePolicyEntry('0|default|shop/staged:default.lockdown|deny|0');
  assert.equal(staged.staged, true);
  assert.equal(staged.name, 'lockdown');
  const stagedGlobal = parsePolicyEntry('0|security|staged:security.quarantine|deny|0');
  assert.deepEqual([stagedGlobal.staged, stagedGlobal.namespace, stagedGlobal.name], [true, '', 'quarantine']);
  assert.equal(parsePolicyEntry('0|adminnetworkpolicy|kanp.adminnetworkpolicy.block-egress|deny|0').kind, 'admin');
  assert.equal(parsePolicyEntry('0|__PROFILE__|__PROFILE__.kns.shop|allow|0').kind, 'profile');
});

test('entries without five parts or with non-numeric indexes are rejected', () => {
  assert.throws(() => parsePolicyEntry('0|default|x|allow'), /expected index\|tier\|name\|action\|rule/);
  assert.throws(() => parsePolicyEntry('a|default|x|allow|0'), /integers/);
});

test('the deciding policy is the last allow or deny entry; pass and log never decide', () => {
  const trace = [
    parsePolicyEntry('0|platform|platform.allow-dns|pass|0'),
    parsePolicyEntry('1|security|security.audit|log|0'),
    parsePolicyEntry('2|default|shop/default.allow-frontend|allow|0'),
  ];
  assert.deepEqual(decidingPolicy(trace), { policy: 'shop/allow-frontend', tier: 'default' });
  assert.deepEqual(decidingPolicy(trace.slice(0, 2)), { policy: 'none', tier: 'none' });
  assert.deepEqual(decidingPolicy([]), { policy: 'none', tier: 'none' });
});
