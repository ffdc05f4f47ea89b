import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyUser, isPolicyChange, isRbacChange, isPodAccess, statusClassOf } from './model';

test('user kinds: service accounts, system users and nodes, people, failed authentication', () => {
  assert.equal(classifyUser('system:serviceaccount:kube-system:replicaset-controller'), 'serviceaccount');
  assert.equal(classifyUser('system:node:worker-1'), 'system');
  assert.equal(classifyUser('system:kube-scheduler'), 'system');
  assert.equal(classifyUser('system:anonymous'), 'system');
  assert.equal(classifyUser('alice@example.com'), 'user');
  assert.equal(classifyUser('systemd-user'), 'user', 'only the system: prefix makes a system user');
  assert.equal(classifyUser(''), 'unauthenticated');
});

test('status classes from 1xx to 5xx', () => {
  assert.equal(statusClassOf(101), '1xx');
  assert.equal(statusClassOf(200), '2xx');
  assert.equal(statusClassOf(304), '3xx');
  assert.equal(statusClassOf(403), '4xx');
  assert.equal(statusClassOf(599), '5xx');
  assert.throws(() => statusClassOf(600), RangeError);
  assert.throws(() => statusClassOf(99), RangeError);
});

test('policy changes: mutating verbs on policy kinds of every supported API group, not their status', () => {
  for (const verb of ['create', 'update', 'patch', 'delete', 'deletecollection']) {
    assert.ok(isPolicyChange(verb, 'networking.k8s.io', 'networkpolicies', ''), verb);
  }
  assert.ok(isPolicyChange('create', 'policy.networking.k8s.io', 'adminnetworkpolicies', ''));
  assert.ok(isPolicyChange('patch', 'policy.networking.k8s.io', 'baselineadminnetworkpolicies', ''));
  assert.ok(isPolicyChange('update', 'projectcalico.org', 'globalnetworkpolicies', ''));
  assert.ok(isPolicyChange('create', 'projectcalico.org', 'tiers', ''));
  assert.ok(isPolicyChange('delete', 'crd.projectcalico.org', 'stagednetworkpolicies', ''));
  assert.ok(isPolicyChange('create', 'cilium.io', 'ciliumnetworkpolicies', ''));
  assert.ok(!isPolicyChange('get', 'networking.k8s.io', 'networkpolicies', ''));
  assert.ok(!isPolicyChange('watch', 'projectcalico.org', 'tiers', ''));
  assert.ok(!isPolicyChange('update', 'networking.k8s.io', 'networkpolicies', 'status'));
  assert.ok(!isPolicyChange('create', 'networking.k8s.io', 'ingresses', ''));
  assert.ok(!isPolicyChange('create', 'example.com', 'networkpolicies', ''), 'a look-alike CRD of another group');
});

test('RBAC changes and pod access', () => {
  for (const resource of ['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings']) {
    assert.ok(isRbacChange('create', 'rbac.authorization.k8s.io', resource, ''), resource);
  }
  assert.ok(!isRbacChange('list', 'rbac.authorization.k8s.io', 'roles', ''));
  assert.ok(!isRbacChange('create', '', 'serviceaccounts', ''));
  for (const subresource of ['exec', 'attach', 'portforward']) assert.ok(isPodAccess('', 'pods', subresource));
  assert.ok(!isPodAccess('', 'pods', 'log'));
  assert.ok(!isPodAccess('', 'pods', ''));
});
