import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detached } from './text';

test('detached copies are equal to the text, whatever its length', () => {
  for (const text of ['', 'a', 'kube-system', 'cart.shop.svc.cluster.local', 'é\u2028\ud800'.repeat(20)]) {
    assert.equal(detached(text), text);
  }
  const line = `${'x'.repeat(100_000)} payments.svc.cluster.local`;
  assert.equal(detached(line.slice(100_001)), 'payments.svc.cluster.local');
});
