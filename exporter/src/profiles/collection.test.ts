import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyEndpoint, type Endpoint } from '../model/flow';
import { LabelSet } from '../model/labels';
import { ProfileStore } from './collection';
import { parseObservabilityProfile } from './spec';

function pod(namespace: string, workload: string, labels?: Record<string, string>): Endpoint {
  return {
    ...emptyEndpoint(),
    kind: 'pod',
    namespace,
    workload,
    labels: labels === undefined ? undefined : LabelSet.fromRecord(labels),
  };
}

function profile(name: string, spec: unknown) {
  return parseObservabilityProfile({ metadata: { name, namespace: 'shop' }, spec });
}

test('a profile turns data types off for the workloads it covers, by name or by pod labels, in its namespace', () => {
  const store = new ProfileStore();
  assert.equal(store.collects('dns', pod('shop', 'web')), true, 'no profile: everything');
  store.upsert('shop/web', profile('web', { workloads: { names: ['web'] }, collect: { dns: false } }));
  store.upsert(
    'shop/api',
    profile('api', {
      workloads: { selector: { matchLabels: { tier: 'api' } } },
      collect: { l7: false, sockets: false },
    }),
  );
  store.upsert('shop/all-on', profile('all-on', { workloads: { selector: {} } }));
  assert.equal(store.collects('dns', pod('shop', 'web')), false);
  assert.equal(store.collects('flows', pod('shop', 'web')), true);
  assert.equal(store.collects('dns', pod('other', 'web')), true, 'another namespace');
  assert.equal(store.collects('l7', pod('shop', 'orders', { tier: 'api' })), false);
  assert.equal(store.collects('sockets', pod('shop', 'orders', { tier: 'api' })), false);
  assert.equal(store.collects('l7', pod('shop', 'orders', { tier: 'db' })), true);
  assert.equal(store.collects('l7', pod('shop', 'orders')), true, 'no labels known: the selector cannot match');
  assert.equal(store.collects('dns', { ...emptyEndpoint(), kind: 'world', workload: 'world' }), true);
  store.remove('shop/web');
  assert.equal(store.collects('dns', pod('shop', 'web')), true, 'the profile deleted: collected again');
  assert.deepEqual(store.keys().sort(), ['shop/all-on', 'shop/api']);
});

test('a profile with aggregation pod keeps the pods of the workloads it covers, and only while it exists', () => {
  const store = new ProfileStore();
  assert.equal(store.keepsPods(pod('shop', 'web')), false, 'no profile: no pods kept');
  store.upsert('shop/web', profile('web', { workloads: { names: ['web'] }, aggregation: 'pod' }));
  store.upsert(
    'shop/api',
    profile('api', { workloads: { selector: { matchLabels: { tier: 'api' } } }, aggregation: 'pod' }),
  );
  store.upsert('shop/db', profile('db', { workloads: { names: ['db'] }, collect: { dns: false } }));
  assert.equal(store.keepsPods(pod('shop', 'web')), true);
  assert.equal(store.keepsPods(pod('shop', 'orders', { tier: 'api' })), true, 'by the selector');
  assert.equal(store.keepsPods(pod('shop', 'orders', { tier: 'db' })), false);
  assert.equal(store.keepsPods(pod('shop', 'db')), false, 'covered, but aggregated by workload');
  assert.equal(store.keepsPods(pod('other', 'web')), false, 'another namespace');
  assert.equal(store.keepsPods({ ...emptyEndpoint(), kind: 'world', workload: 'web', namespace: 'shop' }), false);
  assert.equal(store.collects('dns', pod('shop', 'web')), true, 'aggregation pod turns no collection off');
  store.upsert('shop/web', profile('web', { workloads: { names: ['web'] }, aggregation: 'workload' }));
  assert.equal(store.keepsPods(pod('shop', 'web')), false, 'changed back to workload');
  store.remove('shop/api');
  assert.equal(store.keepsPods(pod('shop', 'orders', { tier: 'api' })), false, 'deleted');
});
