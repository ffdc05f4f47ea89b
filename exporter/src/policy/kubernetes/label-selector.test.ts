import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FieldContext } from './fields';
import { MATCH_ALL, parseLabelSelector, selectorMatches } from './label-selector';

const context = new FieldContext('test');
const selector = (value: unknown) => parseLabelSelector(value, 'selector', context);

test('the empty selector matches everything', () => {
  assert.equal(selector({}), MATCH_ALL);
  assert.equal(selectorMatches(selector({}), {}), true);
  assert.equal(selectorMatches(selector({ matchLabels: {}, matchExpressions: [] }), { a: 'b' }), true);
});

test('matchLabels and matchExpressions are ANDed', () => {
  const web = selector({
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'tier', operator: 'In', values: ['front', 'edge'] },
      { key: 'env', operator: 'NotIn', values: ['dev'] },
      { key: 'team', operator: 'Exists' },
      { key: 'legacy', operator: 'DoesNotExist' },
    ],
  });
  const labels = { app: 'web', tier: 'edge', team: 'shop' };
  assert.equal(selectorMatches(web, labels), true);
  assert.equal(selectorMatches(web, { ...labels, env: 'prod' }), true);
  assert.equal(selectorMatches(web, { ...labels, env: 'dev' }), false);
  assert.equal(selectorMatches(web, { ...labels, app: 'api' }), false);
  assert.equal(selectorMatches(web, { ...labels, tier: 'back' }), false);
  assert.equal(selectorMatches(web, { app: 'web', tier: 'edge' }), false);
  assert.equal(selectorMatches(web, { ...labels, legacy: '' }), false);
});

test('label keys are never read from the prototype', () => {
  const proto = selector(JSON.parse('{"matchLabels": {"__proto__": "x"}}'));
  assert.equal(selectorMatches(proto, JSON.parse('{"__proto__": "x"}') as Record<string, string>), true);
  assert.equal(selectorMatches(proto, {}), false);
  assert.equal(
    selectorMatches(selector({ matchExpressions: [{ key: 'constructor', operator: 'Exists' }] }), {}),
    false,
  );
  assert.equal(
    selectorMatches(selector({ matchExpressions: [{ key: 'toString', operator: 'DoesNotExist' }] }), {}),
    true,
  );
});
