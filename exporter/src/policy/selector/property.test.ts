/**
 * Property tests over random selector trees from a seeded PRNG: the canonical print re-parses to the same text and
 * tree, a noisily formatted print (random spacing, quotes and extra parentheses) parses to the same canonical text,
 * and the parsed selector agrees with a reference evaluator written here, independently of evaluate.ts. Also checks
 * De Morgan's laws through the parser.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 } from '../../demo/random';
import {
  allNode,
  andNode,
  formatSelector,
  globalNode,
  hasNode,
  notNode,
  orNode,
  parseSelector,
  parseSelectorNode,
  setNode,
  valueNode,
} from './index';
import type { SelectorLabels, SelectorNode, ValueOperator } from './index';

/** The test's own tree, so the reference evaluator shares no code with the one under test. */
type Expr =
  | { op: 'all' }
  | { op: 'global' }
  | { op: 'has'; key: string }
  | { op: ValueOperator; key: string; value: string }
  | { op: 'in' | 'notIn'; key: string; values: string[] }
  | { op: 'not'; operand: Expr }
  | { op: 'and' | 'or'; left: Expr; right: Expr };

const KEYS = ['app', 'tier', 'in', 'all', 'projectcalico.org/namespace', 'app.kubernetes.io/name', 'x-y_z'];
const VALUES = ['', 'a', 'ab', 'ba', 'web', 'web-ui', "it's", 'say "hi"', 'in', '&& ||'];
const VALUE_OPERATORS: readonly ValueOperator[] = ['eq', 'ne', 'contains', 'startsWith', 'endsWith'];

class Random {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  chance(probability: number): boolean {
    return this.next() < probability;
  }
  below(limit: number): number {
    return Math.floor(this.next() * limit);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)] as T;
  }
}

function randomExpr(random: Random, depth: number): Expr {
  if (depth > 0 && random.chance(0.55)) {
    const roll = random.below(5);
    if (roll === 0) return { op: 'not', operand: randomExpr(random, depth - 1) };
    return {
      op: roll % 2 === 0 ? 'and' : 'or',
      left: randomExpr(random, depth - 1),
      right: randomExpr(random, depth - 1),
    };
  }
  const key = random.pick(KEYS);
  const roll = random.below(12);
  if (roll === 0) return { op: 'all' };
  if (roll === 1) return { op: 'global' };
  if (roll <= 3) return { op: 'has', key };
  if (roll <= 5) {
    const values = Array.from({ length: random.below(4) }, () => random.pick(VALUES));
    return { op: roll === 4 ? 'in' : 'notIn', key, values };
  }
  return { op: random.pick(VALUE_OPERATORS), key, value: random.pick(VALUES) };
}

function toNode(expr: Expr): SelectorNode {
  switch (expr.op) {
    case 'all':
      return allNode();
    case 'global':
      return globalNode();
    case 'has':
      return hasNode(expr.key);
    case 'in':
    case 'notIn':
      return setNode(expr.op, expr.key, expr.values);
    case 'not':
      return notNode(toNode(expr.operand));
    case 'and':
      return andNode(toNode(expr.left), toNode(expr.right));
    case 'or':
      return orNode(toNode(expr.left), toNode(expr.right));
    default:
      return valueNode(expr.op, expr.key, expr.value);
  }
}

function referenceMatches(expr: Expr, labels: Readonly<Record<string, string>>, namespaced: boolean): boolean {
  const present = expr.op !== 'all' && expr.op !== 'global' && 'key' in expr && Object.hasOwn(labels, expr.key);
  const value = 'key' in expr && present ? (labels[expr.key] ?? '') : '';
  switch (expr.op) {
    case 'all':
      return true;
    case 'global':
      return !namespaced;
    case 'has':
      return present;
    case 'eq':
      return present && value === expr.value;
    case 'ne':
      return !present || value !== expr.value;
    case 'contains':
      return present && value.indexOf(expr.value) >= 0;
    case 'startsWith':
      return present && value.slice(0, expr.value.length) === expr.value;
    case 'endsWith':
      return present && value.slice(value.length - expr.value.length) === expr.value;
    case 'in':
      return present && expr.values.includes(value);
    case 'notIn':
      return !present || !expr.values.includes(value);
    case 'not':
      return !referenceMatches(expr.operand, labels, namespaced);
    case 'and':
      return referenceMatches(expr.left, labels, namespaced) && referenceMatches(expr.right, labels, namespaced);
    case 'or':
      return referenceMatches(expr.left, labels, namespaced) || referenceMatches(expr.right, labels, namespaced);
  }
}

/** Any text the grammar accepts for `expr`: random blanks, either quote where possible, optional extra parentheses. */
function printNoisily(expr: Expr, random: Random): string {
  const blank = (): string => random.pick(['', '', ' ', '  ', '\t']);
  const gap = (): string => random.pick([' ', ' ', '  ', '\t ']);
  const quote = (value: string): string => {
    if (value.includes('"')) return `'${value}'`;
    if (value.includes("'")) return `"${value}"`;
    return random.chance(0.5) ? `'${value}'` : `"${value}"`;
  };
  const operatorText: Record<ValueOperator, () => string> = {
    eq: () => '==',
    ne: () => '!=',
    contains: () => 'contains',
    startsWith: () => `starts${random.pick(['', ' ', '  '])}with`,
    endsWith: () => `ends${random.pick(['', ' ', '  '])}with`,
  };
  // Compound operands of `!`, and `||` inside `&&`, need their parentheses; anything may have extra ones.
  const wrapped = (inner: Expr, needed: boolean): string => {
    const text = printNoisily(inner, random);
    return needed || random.chance(0.15) ? `(${blank()}${text}${blank()})` : text;
  };
  switch (expr.op) {
    case 'all':
      return `all(${blank()})`;
    case 'global':
      return `global(${blank()})`;
    case 'has':
      return `has(${blank()}${expr.key}${blank()})`;
    case 'in':
    case 'notIn': {
      const operator = expr.op === 'in' ? 'in' : `not${random.pick([' ', '  ', ''])}in`;
      const items = expr.values.map((value) => `${blank()}${quote(value)}${blank()}`).join(',');
      const trailing = expr.values.length > 0 && random.chance(0.3) ? ',' : '';
      return `${expr.key}${gap()}${operator}${blank()}{${items}${trailing}${blank()}}`;
    }
    case 'not':
      return `!${blank()}${wrapped(expr.operand, expr.operand.op === 'and' || expr.operand.op === 'or')}`;
    case 'and':
      return [expr.left, expr.right].map((side) => wrapped(side, side.op === 'or')).join(`${blank()}&&${blank()}`);
    case 'or':
      return [expr.left, expr.right].map((side) => wrapped(side, false)).join(`${blank()}||${blank()}`);
    default: {
      const operator = operatorText[expr.op]();
      const before = expr.op === 'eq' || expr.op === 'ne' ? blank() : gap();
      return `${expr.key}${before}${operator}${blank()}${quote(expr.value)}`;
    }
  }
}

function randomLabels(random: Random): Readonly<Record<string, string>> {
  const labels: Record<string, string> = {};
  for (const key of KEYS) {
    if (random.chance(0.5)) labels[key] = random.pick(VALUES);
  }
  return labels;
}

function asEither(labels: Readonly<Record<string, string>>, random: Random): SelectorLabels {
  return random.chance(0.5) ? labels : new Map(Object.entries(labels));
}

test('random trees: canonical print re-parses to itself, noisy prints agree, evaluation matches the reference', () => {
  const random = new Random(0x5eed);
  for (let round = 0; round < 600; round++) {
    const expr = randomExpr(random, 4);
    const node = toNode(expr);
    const canonical = formatSelector(node);
    const parsed = parseSelector(canonical);
    assert.equal(parsed.toString(), canonical, `round ${round}`);
    assert.deepEqual(parseSelectorNode(canonical), node, `tree of ${canonical}`);
    const noisy = printNoisily(expr, random);
    assert.equal(parseSelector(noisy).toString(), canonical, `noisy ${JSON.stringify(noisy)}`);
    for (let sample = 0; sample < 12; sample++) {
      const labels = randomLabels(random);
      const namespaced = random.chance(0.5);
      const expected = referenceMatches(expr, labels, namespaced);
      assert.equal(
        parsed.matches(asEither(labels, random), { namespaced }),
        expected,
        `${canonical} on ${JSON.stringify(labels)} namespaced=${namespaced}`,
      );
    }
  }
});

test("De Morgan's laws hold through the parser", () => {
  const random = new Random(0xde4095);
  for (let round = 0; round < 300; round++) {
    const left = formatSelector(toNode(randomExpr(random, 3)));
    const right = formatSelector(toNode(randomExpr(random, 3)));
    const pairs: ReadonlyArray<readonly [string, string]> = [
      [`!((${left}) && (${right}))`, `!(${left}) || !(${right})`],
      [`!((${left}) || (${right}))`, `!(${left}) && !(${right})`],
      [`!!(${left})`, left],
    ];
    for (let sample = 0; sample < 8; sample++) {
      const labels = asEither(randomLabels(random), random);
      const context = { namespaced: random.chance(0.5) };
      for (const [one, other] of pairs) {
        assert.equal(parseSelector(one).matches(labels, context), parseSelector(other).matches(labels, context), one);
      }
    }
  }
});
