import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenize } from './tokenizer';
import { SelectorSyntaxError } from './errors';

function kinds(selector: string): string[] {
  return tokenize(selector).map((token) => (token.value === '' ? token.kind : `${token.kind}:${token.value}`));
}

test('tokens of every operator, with their offsets', () => {
  assert.deepEqual(kinds(`a == 'x' && b != "y" || !has(c)`), [
    'label:a',
    'eq',
    'string:x',
    'and',
    'label:b',
    'ne',
    'string:y',
    'or',
    'not',
    'has:c',
    'eof',
  ]);
  assert.deepEqual(kinds(`k in {'a', "b",} && k not in {} && k contains 'c'`), [
    'label:k',
    'in',
    'lbrace',
    'string:a',
    'comma',
    'string:b',
    'comma',
    'rbrace',
    'and',
    'label:k',
    'notIn',
    'lbrace',
    'rbrace',
    'and',
    'label:k',
    'contains',
    'string:c',
    'eof',
  ]);
  assert.deepEqual(kinds("k starts with 'a' || k ends  with 'b' || k startswith 'c'"), [
    'label:k',
    'startsWith',
    'string:a',
    'or',
    'label:k',
    'endsWith',
    'string:b',
    'or',
    'label:k',
    'startsWith',
    'string:c',
    'eof',
  ]);
  assert.deepEqual(
    tokenize('  a==\t"x"').map((token) => token.offset),
    [2, 3, 6, 9],
  );
});

test('keywords are context-sensitive, as in Calico: labels may be named in, all, has or not', () => {
  assert.deepEqual(kinds("in in {'x'}"), ['label:in', 'in', 'lbrace', 'string:x', 'rbrace', 'eof']);
  assert.deepEqual(kinds("all == 'x' && has == 'y'"), [
    'label:all',
    'eq',
    'string:x',
    'and',
    'label:has',
    'eq',
    'string:y',
    'eof',
  ]);
  assert.deepEqual(kinds('all( ) && global() && has( app.kubernetes.io/name )'), [
    'all',
    'and',
    'global',
    'and',
    'has:app.kubernetes.io/name',
    'eof',
  ]);
});

test('label keys take letters, digits, _ . / and -', () => {
  assert.deepEqual(kinds("projectcalico.org/namespace == 'x'").slice(0, 1), ['label:projectcalico.org/namespace']);
  assert.deepEqual(kinds("A-b_c.d/E9 == 'x'").slice(0, 1), ['label:A-b_c.d/E9']);
});

test('strings keep everything up to the matching quote, without escapes', () => {
  assert.deepEqual(
    kinds(`a == "it's" || a == 'say "hi"' || a == ''`),
    ['label:a', 'eq', "string:it's", 'or', 'label:a', 'eq', 'string:say "hi"', 'or', 'label:a', 'eq', 'eof'].flatMap(
      (kind) => (kind === 'eof' ? ['string', 'eof'] : [kind]),
    ),
  );
});

test('lexical errors name the column', () => {
  assert.throws(
    () => tokenize("a == 'x"),
    (error: unknown) => {
      assert.ok(error instanceof SelectorSyntaxError);
      assert.equal(error.column, 8);
      assert.equal(error.detail, "unterminated string opened at column 6, expected a closing '");
      return true;
    },
  );
  assert.throws(() => tokenize('has(a) &&\nhas(b)'), /found '\\n' at column 10$/);
});
