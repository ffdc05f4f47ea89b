import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SELECTOR_MEMO_LIMIT,
  SelectorSyntaxError,
  clearSelectorMemo,
  memoizedSelectorCount,
  parseSelector,
  parseSelectorNode,
} from './index';
import type { SelectorContext } from './index';

type Labels = Readonly<Record<string, string>>;

const WEB: Labels = {
  app: 'web',
  tier: 'frontend',
  'projectcalico.org/namespace': 'shop',
  'app.kubernetes.io/name': 'web-ui',
  empty: '',
};
const NONE: Labels = {};

/** (selector, labels, expected): each operator on a match, a mismatch and an absent key. */
const CASES: ReadonlyArray<readonly [string, Labels, boolean]> = [
  ['', NONE, true],
  ['', WEB, true],
  ['all()', NONE, true],
  ['all()', WEB, true],
  // ==
  ["app == 'web'", WEB, true],
  ["app == 'db'", WEB, false],
  ["app == 'web'", NONE, false],
  ["empty == ''", WEB, true],
  ["empty == ''", NONE, false],
  // !=
  ["app != 'db'", WEB, true],
  ["app != 'web'", WEB, false],
  ["app != 'web'", NONE, true],
  // in
  ["app in {'db', 'web'}", WEB, true],
  ["app in {'db'}", WEB, false],
  ["app in {'web'}", NONE, false],
  ['app in {}', WEB, false],
  ['app in {}', NONE, false],
  // not in
  ["app not in {'db'}", WEB, true],
  ["app not in {'db', 'web'}", WEB, false],
  ["app not in {'web'}", NONE, true],
  ['app not in {}', WEB, true],
  ['app not in {}', NONE, true],
  // has / !has
  ['has(app)', WEB, true],
  ['has(app)', NONE, false],
  ['has(empty)', WEB, true],
  ['!has(app)', WEB, false],
  ['!has(app)', NONE, true],
  // contains / starts with / ends with
  ["app contains 'e'", WEB, true],
  ["app contains 'x'", WEB, false],
  ["app contains ''", WEB, true],
  ["app contains ''", NONE, false],
  ["app starts with 'we'", WEB, true],
  ["app starts with 'eb'", WEB, false],
  ["app starts with 'we'", NONE, false],
  ["app ends with 'eb'", WEB, true],
  ["app ends with 'we'", WEB, false],
  ["app ends with 'eb'", NONE, false],
  // negation of any expression
  ["!app == 'web'", WEB, false],
  ["!app == 'web'", NONE, true],
  ["!app in {'web'}", NONE, true],
  ["!app contains 'x'", WEB, true],
  ["!(app == 'web' && tier == 'frontend')", WEB, false],
  ["!!app == 'web'", WEB, true],
  ['!all()', WEB, false],
  // && and ||
  ["app == 'web' && tier == 'frontend'", WEB, true],
  ["app == 'web' && tier == 'backend'", WEB, false],
  ["app == 'db' || tier == 'frontend'", WEB, true],
  ["app == 'db' || tier == 'backend'", WEB, false],
  // precedence: ! then && then ||
  ["app == 'db' && tier == 'x' || has(app)", WEB, true],
  ["app == 'db' && (tier == 'x' || has(app))", WEB, false],
  ["has(app) || app == 'db' && tier == 'x'", WEB, true],
  ["(has(app) || app == 'db') && tier == 'x'", WEB, false],
  ['!has(app) || has(tier)', WEB, true],
  ['!(has(app) || has(tier))', WEB, false],
  ['!has(nope) && has(app)', WEB, true],
  ['((((has(app)))))', WEB, true],
  // quoting and whitespace
  ['app=="web"', WEB, true],
  ["app\t==\t'web'&&tier!='x'", WEB, true],
  ["  app   in{'web'  ,  'db',}  ", WEB, true],
  ['has( app )&&!has(x)', WEB, true],
  ["app starts   with'w'", WEB, true],
  ["app endswith 'b'", WEB, true],
  // prefixed keys
  ["projectcalico.org/namespace == 'shop'", WEB, true],
  ["projectcalico.org/namespace == 'shop'", NONE, false],
  ["app.kubernetes.io/name starts with 'web-'", WEB, true],
  ['has(projectcalico.org/namespace) && !has(projectcalico.org/name)', WEB, true],
  // own properties only: the record prototype is not a label
  ['has(constructor)', NONE, false],
  ["toString != 'x'", NONE, true],
];

test('every operator, absent keys, precedence, quoting, whitespace and prefixed keys', () => {
  for (const [selectorText, labels, expected] of CASES) {
    const selector = parseSelector(selectorText);
    assert.equal(selector.matches(labels), expected, `${JSON.stringify(selectorText)} on ${JSON.stringify(labels)}`);
    assert.equal(
      selector.matches(new Map(Object.entries(labels))),
      expected,
      `${JSON.stringify(selectorText)} on a Map of ${JSON.stringify(labels)}`,
    );
  }
});

test('global() matches what is not namespaced; unset counts as not namespaced, as in Calico', () => {
  const global = parseSelector('global()');
  const namespaced: SelectorContext = { namespaced: true };
  assert.equal(global.matches(NONE), true);
  assert.equal(global.matches(WEB, { namespaced: false }), true);
  assert.equal(global.matches(WEB, namespaced), false);
  assert.equal(parseSelector('!global()').matches(WEB, namespaced), true);
  assert.equal(parseSelector("global() && has(app) || app == 'web'").matches(WEB, namespaced), true);
  assert.equal(parseSelector('all()').matches(WEB, namespaced), true);
});

test('toString is canonical: spacing, quotes, sets, redundant parentheses and !! normalise away', () => {
  const canonical: ReadonlyArray<readonly [string, string]> = [
    ['', 'all()'],
    ['  ', 'all()'],
    ['all( )', 'all()'],
    ["app=='web'", 'app == "web"'],
    [`app == 'say "hi"'`, `app == 'say "hi"'`],
    [`app == "it's"`, `app == "it's"`],
    ["app   !=   'x'", 'app != "x"'],
    ["k in {'b','a','b',}", 'k in {"a", "b"}'],
    ['k not in{}', 'k not in {}'],
    ["k startswith 'a'", 'k starts with "a"'],
    ["k ends   with 'a'", 'k ends with "a"'],
    ["k contains'a'", 'k contains "a"'],
    ['has( a )', 'has(a)'],
    ['!!has(a)', 'has(a)'],
    ['!(!has(a))', 'has(a)'],
    ['!!!has(a)', '!has(a)'],
    ["!(a == 'x')", '!a == "x"'],
    ['(has(a) && has(b)) && (has(c))', 'has(a) && has(b) && has(c)'],
    ['has(a) || (has(b) || has(c))', 'has(a) || has(b) || has(c)'],
    ['(has(a) && has(b)) || has(c)', 'has(a) && has(b) || has(c)'],
    ['has(a) && (has(b) || has(c))', 'has(a) && (has(b) || has(c))'],
    ['!(has(a) || has(b)) && !(has(c) && has(d))', '!(has(a) || has(b)) && !(has(c) && has(d))'],
    ['global()&&all()', 'global() && all()'],
  ];
  for (const [input, expected] of canonical) {
    const selector = parseSelector(input);
    assert.equal(selector.toString(), expected, JSON.stringify(input));
    assert.equal(`${selector}`, expected);
    // parse(toString(x)) equals x, as text and as a tree.
    const reparsed = parseSelectorNode(selector.toString());
    assert.deepEqual(reparsed, selector.root, JSON.stringify(input));
    assert.equal(parseSelector(selector.toString()).toString(), expected);
  }
  assert.equal(
    parseSelector("app == 'web'&&(tier=='a'||tier=='b')").toString(),
    parseSelector('app=="web" && ( tier == "a" || tier == "b" )').toString(),
  );
  assert.equal(parseSelector('').matchesEverything, true);
  assert.equal(parseSelector('has(a)').matchesEverything, false);
});

const MALFORMED: ReadonlyArray<readonly [string, string]> = [
  ['app == ', 'selector "app == ": expected a quoted value at column 8'],
  ["app == 'web", `selector "app == 'web": unterminated string opened at column 8, expected a closing ' at column 12`],
  ["app = 'web'", `selector "app = 'web'": expected '==' at column 5`],
  ["app === 'web'", `selector "app === 'web'": expected '==' at column 7`],
  [
    "app is 'web'",
    `selector "app is 'web'": expected an operator (==, !=, in, not in, contains, starts with or ends with) at column 5`,
  ],
  [
    "app == 'web' tier",
    `selector "app == 'web' tier": expected '&&', '||' or end of selector but found label tier at column 14`,
  ],
  ["(app == 'web'", `selector "(app == 'web'": unbalanced '(' opened at column 1, expected ')' at column 14`],
  ["app == 'web')", `selector "app == 'web')": unbalanced ')', expected '&&', '||' or end of selector at column 13`],
  ["app in 'web'", `selector "app in 'web'": expected '{' to start a set of values but found string "web" at column 8`],
  ["app in {'a' 'b'}", `selector "app in {'a' 'b'}": expected ',' or '}' but found string "b" at column 13`],
  ["app in {'a',,}", `selector "app in {'a',,}": expected a quoted value or '}' but found ',' at column 13`],
  ["app in {'a'", `selector "app in {'a'": expected ',' or '}' at column 12`],
  ['has(app', 'selector "has(app": expected \')\' to close has( at column 8'],
  ['has()', 'selector "has()": expected a label key inside has( at column 5'],
  ['has(app) & has(b)', `selector "has(app) & has(b)": expected '&&' at column 10`],
  ['has(app) | has(b)', `selector "has(app) | has(b)": expected '||' at column 10`],
  ['has(app) && ', `selector "has(app) && ": expected a label, has(), all(), global(), '!' or '(' at column 13`],
  ['!', `selector "!": expected a label, has(), all(), global(), '!' or '(' at column 2`],
  ['()', `selector "()": expected a label, has(), all(), global(), '!' or '(' but found ')' at column 2`],
  ['all(x)', `selector "all(x)": expected ')' to close all( at column 5`],
  ["app starts 'w'", `selector "app starts 'w'": expected 'with' at column 12`],
  ["app not 'w'", `selector "app not 'w'": expected 'in' after 'not' at column 9`],
  [
    "app == 'web' # note",
    `selector "app == 'web' # note": expected a label key, a quoted value or an operator but found '#' at column 14`,
  ],
  [
    'app',
    'selector "app": expected an operator (==, !=, in, not in, contains, starts with or ends with) after label app at column 4',
  ],
];

test('malformed selectors throw SelectorSyntaxError naming what was expected and the column', () => {
  for (const [input, message] of MALFORMED) {
    assert.throws(
      () => parseSelector(input),
      (error: unknown) => {
        assert.ok(error instanceof SelectorSyntaxError, JSON.stringify(input));
        assert.equal(error.message, message);
        assert.equal(error.selector, input);
        assert.match(error.message, new RegExp(` at column ${error.column}$`));
        return true;
      },
    );
  }
});

test('parsing is memoized by text and the memo is bounded', () => {
  clearSelectorMemo();
  const first = parseSelector("app == 'web'");
  assert.equal(parseSelector("app == 'web'"), first);
  assert.notEqual(parseSelector('app=="web"'), first, 'memo keys on the text as written');
  assert.equal(memoizedSelectorCount(), 2);
  for (let index = 0; index < SELECTOR_MEMO_LIMIT + 10; index++) parseSelector(`n == '${index}'`);
  assert.equal(memoizedSelectorCount(), SELECTOR_MEMO_LIMIT);
  // The most recently used survive; the first ones were evicted and parse afresh (still equal as text).
  const again = parseSelector("app == 'web'");
  assert.notEqual(again, first);
  assert.equal(again.toString(), first.toString());
  assert.throws(() => parseSelector('app =='), SelectorSyntaxError);
  assert.equal(memoizedSelectorCount(), SELECTOR_MEMO_LIMIT, 'errors are not memoized');
  clearSelectorMemo();
});
