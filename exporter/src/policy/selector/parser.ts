/**
 * Recursive-descent parser from tokens to the canonical AST, with Calico's precedence: `!` binds tightest and applies
 * to one operation or parenthesised group, then `&&`, then `||`. The empty selector is `all()`.
 *
 *   selector  := <empty> | or EOF
 *   or        := and ('||' and)*
 *   and       := operation ('&&' operation)*
 *   operation := '!'* ( has(k) | all() | global() | '(' or ')' | k op 'v' | k (in | not in) '{' values? '}' )
 *   values    := 'v' (',' 'v')* ','?
 */
import { allNode, andNode, globalNode, hasNode, notNode, orNode, setNode, valueNode } from './ast';
import type { SelectorNode, ValueOperator } from './ast';
import { SelectorSyntaxError } from './errors';
import { OPERATOR_LIST, tokenize } from './tokenizer';
import type { Token } from './tokenizer';

const TOKEN_TEXT: Readonly<Record<Token['kind'], string>> = {
  label: 'label',
  string: 'string',
  has: 'has()',
  all: 'all()',
  global: 'global()',
  eq: '==',
  ne: '!=',
  in: 'in',
  notIn: 'not in',
  contains: 'contains',
  startsWith: 'starts with',
  endsWith: 'ends with',
  not: '!',
  and: '&&',
  or: '||',
  lparen: '(',
  rparen: ')',
  lbrace: '{',
  rbrace: '}',
  comma: ',',
  eof: 'end of selector',
};

function describe(token: Token): string {
  switch (token.kind) {
    case 'eof':
      return 'end of selector';
    case 'label':
      return `label ${token.value}`;
    case 'string':
      return `string ${JSON.stringify(token.value)}`;
    case 'has':
      return `has(${token.value})`;
    case 'all':
      return 'all()';
    case 'global':
      return 'global()';
    default:
      return `'${TOKEN_TEXT[token.kind]}'`;
  }
}

const VALUE_OPERATORS: ReadonlySet<Token['kind']> = new Set<Token['kind']>([
  'eq',
  'ne',
  'contains',
  'startsWith',
  'endsWith',
]);

class Parser {
  private index = 0;

  constructor(
    private readonly selector: string,
    private readonly tokens: readonly Token[],
  ) {}

  parseRoot(): SelectorNode {
    if (this.peek().kind === 'eof') return allNode();
    const node = this.parseOr();
    const next = this.peek();
    if (next.kind !== 'eof') {
      const detail =
        next.kind === 'rparen'
          ? "unbalanced ')', expected '&&', '||' or end of selector"
          : `expected '&&', '||' or end of selector but found ${describe(next)}`;
      this.fail(next, detail);
    }
    return node;
  }

  private peek(): Token {
    // The tokenizer always ends with `eof`, and nothing advances past it.
    return this.tokens[this.index] as Token;
  }

  private take(): Token {
    const token = this.peek();
    if (token.kind !== 'eof') this.index++;
    return token;
  }

  private fail(token: Token, detail: string): never {
    throw new SelectorSyntaxError(this.selector, token.offset, detail);
  }

  private expected(token: Token, what: string): never {
    return this.fail(
      token,
      token.kind === 'eof' ? `expected ${what}` : `expected ${what} but found ${describe(token)}`,
    );
  }

  private parseOr(): SelectorNode {
    const first = this.parseAnd();
    if (this.peek().kind !== 'or') return first;
    const rest: SelectorNode[] = [];
    while (this.peek().kind === 'or') {
      this.take();
      rest.push(this.parseAnd());
    }
    return orNode(first, ...rest);
  }

  private parseAnd(): SelectorNode {
    const first = this.parseOperation();
    if (this.peek().kind !== 'and') return first;
    const rest: SelectorNode[] = [];
    while (this.peek().kind === 'and') {
      this.take();
      rest.push(this.parseOperation());
    }
    return andNode(first, ...rest);
  }

  private parseOperation(): SelectorNode {
    let negated = false;
    while (this.peek().kind === 'not') {
      this.take();
      negated = !negated;
    }
    const operation = this.parseUnnegated();
    return negated ? notNode(operation) : operation;
  }

  private parseUnnegated(): SelectorNode {
    const token = this.take();
    switch (token.kind) {
      case 'all':
        return allNode();
      case 'global':
        return globalNode();
      case 'has':
        return hasNode(token.value);
      case 'lparen': {
        const inner = this.parseOr();
        const close = this.peek();
        if (close.kind !== 'rparen') {
          this.fail(close, `unbalanced '(' opened at column ${token.offset + 1}, expected ')'`);
        }
        this.take();
        return inner;
      }
      case 'label':
        return this.parseComparison(token);
      default:
        return this.expected(token, "a label, has(), all(), global(), '!' or '('");
    }
  }

  private parseComparison(label: Token): SelectorNode {
    const operator = this.take();
    if (VALUE_OPERATORS.has(operator.kind)) {
      const value = this.take();
      if (value.kind !== 'string') this.expected(value, 'a quoted value');
      return valueNode(operator.kind as ValueOperator, label.value, value.value);
    }
    if (operator.kind === 'in' || operator.kind === 'notIn') {
      const open = this.take();
      if (open.kind !== 'lbrace') this.expected(open, "'{' to start a set of values");
      const values: string[] = [];
      // Calico accepts an empty set and a trailing comma; `k in {}` matches nothing, `k not in {}` everything.
      for (;;) {
        const next = this.take();
        if (next.kind === 'rbrace') break;
        if (next.kind !== 'string') this.expected(next, "a quoted value or '}'");
        values.push(next.value);
        const separator = this.take();
        if (separator.kind === 'rbrace') break;
        if (separator.kind !== 'comma') this.expected(separator, "',' or '}'");
      }
      return setNode(operator.kind, label.value, values);
    }
    return this.expected(operator, `an operator (${OPERATOR_LIST}) after label ${label.value}`);
  }
}

/** Parses selector text to its canonical AST; throws SelectorSyntaxError. Not memoized: see `parseSelector`. */
export function parseSelectorNode(selector: string): SelectorNode {
  return new Parser(selector, tokenize(selector)).parseRoot();
}
