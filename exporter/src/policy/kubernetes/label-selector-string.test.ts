import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MATCH_ALL, selectorMatches } from './label-selector';
import { LabelSelectorSyntaxError, parseLabelSelectorString } from './label-selector-string';

const parse = (text: string) => parseLabelSelectorString(text, '--selector');

test('equality, inequality, set and existence requirements, ANDed', () => {
  const selector = parse('app=web, tier!=db,env in (prod, staging),team,!legacy,zone==a');
  const labels = { app: 'web', env: 'prod', team: 'shop', zone: 'a' };
  assert.equal(selectorMatches(selector, labels), true);
  // != matches a pod without the key, as Kubernetes does.
  assert.equal(selectorMatches(selector, { ...labels, tier: 'front' }), true);
  assert.equal(selectorMatches(selector, { ...labels, tier: 'db' }), false);
  assert.equal(selectorMatches(selector, { ...labels, env: 'dev' }), false);
  assert.equal(selectorMatches(selector, { ...labels, legacy: 'yes' }), false);
  assert.equal(selectorMatches(selector, { app: 'web', env: 'prod', zone: 'a' }), false);
  assert.deepEqual(
    parse('app.kubernetes.io/name notin (a,b)').requirements.map((r) => [r.key, r.operator, [...r.values]]),
    [['app.kubernetes.io/name', 'NotIn', ['a', 'b']]],
  );
});

test('the empty string selects everything; key= selects the empty value', () => {
  assert.equal(parse(''), MATCH_ALL);
  assert.equal(parse('   '), MATCH_ALL);
  const empty = parse('app=');
  assert.equal(selectorMatches(empty, { app: '' }), true);
  assert.equal(selectorMatches(empty, { app: 'web' }), false);
});

test('malformed selectors are refused with the position and the syntax', () => {
  const cases: [string, RegExp][] = [
    ['app=web,', /expected a requirement at character 9/],
    ['app=web tier=db', /expected "," at character 9/],
    ['app in web', /expected "\(" after in/],
    ['app in (a,b', /expected "," or "\)"/],
    ['app in ()', /in needs at least one value/],
    ['app>=3', /unexpected character ">"/],
    ['=web', /expected a label key at character 1/],
    ['-app=web', /not a valid label key/],
    [`app=${'x'.repeat(64)}`, /not a valid label value/],
    ['app=web;rm -rf', /unexpected character ";"/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parse(text), LabelSelectorSyntaxError, text);
    assert.throws(() => parse(text), message, text);
    assert.throws(() => parse(text), /--selector .*write requirements like app=web/, text);
  }
  assert.throws(() => parse('a'.repeat(5000)), /at most 4096/);
});
