import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetworkSetIndex } from './network-sets';
import { parseCidr, type Cidr } from '../policy/kubernetes/cidr';

const cidrs = (...texts: string[]): Cidr[] => texts.map((text) => parseCidr(text)!);

function index(): NetworkSetIndex {
  const sets = new NetworkSetIndex();
  sets.upsert('corp', { namespace: '', name: 'corp', nets: cidrs('10.0.0.0/8', 'fd00::/8') });
  sets.upsert('shop/partners', { namespace: 'shop', name: 'partners', nets: cidrs('10.20.0.0/16', 'fd00:20::/32') });
  sets.upsert('shop/billing', { namespace: 'shop', name: 'billing', nets: cidrs('10.20.30.0/24', '10.20.30.40/32') });
  return sets;
}

test('the longest prefix over every set wins, IPv4 and IPv6', () => {
  const sets = index();
  assert.deepEqual(sets.networkSetForIp('10.1.2.3'), { namespace: '', name: 'corp' });
  assert.deepEqual(sets.networkSetForIp('10.20.1.1'), { namespace: 'shop', name: 'partners' });
  assert.deepEqual(sets.networkSetForIp('10.20.30.1'), { namespace: 'shop', name: 'billing' });
  assert.deepEqual(sets.networkSetForIp('10.20.30.40'), { namespace: 'shop', name: 'billing' });
  assert.deepEqual(sets.networkSetForIp('fd00:1::1'), { namespace: '', name: 'corp' });
  assert.deepEqual(sets.networkSetForIp('fd00:20::9'), { namespace: 'shop', name: 'partners' });
});

test('addresses in no set, of the other family, or not addresses at all find none', () => {
  const sets = index();
  assert.equal(sets.networkSetForIp('192.168.1.1'), undefined);
  assert.equal(sets.networkSetForIp('2001:db8::1'), undefined);
  assert.equal(sets.networkSetForIp('not-an-ip'), undefined);
  assert.equal(new NetworkSetIndex().networkSetForIp('10.1.2.3'), undefined);
});

test('ties go to the global set, then to the first by namespace and name, whatever the order of arrival', () => {
  const sets = new NetworkSetIndex();
  sets.upsert('b/z', { namespace: 'b', name: 'z', nets: cidrs('172.16.0.0/12') });
  sets.upsert('a/y', { namespace: 'a', name: 'y', nets: cidrs('172.16.0.0/12') });
  assert.deepEqual(sets.networkSetForIp('172.16.0.1'), { namespace: 'a', name: 'y' });
  sets.upsert('global', { namespace: '', name: 'global', nets: cidrs('172.16.0.0/12') });
  assert.deepEqual(sets.networkSetForIp('172.16.0.1'), { namespace: '', name: 'global' });
});

test('changes are seen by the next lookup', () => {
  const sets = index();
  sets.remove('shop/billing');
  assert.deepEqual(sets.networkSetForIp('10.20.30.40'), { namespace: 'shop', name: 'partners' });
  sets.upsert('shop/partners', { namespace: 'shop', name: 'partners', nets: cidrs('10.99.0.0/16') });
  assert.deepEqual(sets.networkSetForIp('10.20.30.40'), { namespace: '', name: 'corp' });
  assert.equal(sets.size, 2);
});
