/**
 * Tokenizer for Calico selectors, following libcalico-go's `selector/tokenizer`: whitespace is only space and tab,
 * strings are single or double quoted with no escapes, and the words `in`, `not in`, `contains`, `starts with` and
 * `ends with` are operators only straight after a label (so a label may be called `in` or `all`).
 */
import { SelectorSyntaxError } from './errors';

export type TokenKind =
  | 'label'
  | 'string'
  | 'has'
  | 'all'
  | 'global'
  | 'eq'
  | 'ne'
  | 'in'
  | 'notIn'
  | 'contains'
  | 'startsWith'
  | 'endsWith'
  | 'not'
  | 'and'
  | 'or'
  | 'lparen'
  | 'rparen'
  | 'lbrace'
  | 'rbrace'
  | 'comma'
  | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** The label key for `label` and `has`, the unquoted value for `string`, otherwise empty. */
  readonly value: string;
  /** 0-based offset of the token's first character in the selector. */
  readonly offset: number;
}

export const OPERATOR_LIST = '==, !=, in, not in, contains, starts with or ends with';

const SPACE = 0x20;
const TAB = 0x09;

function isWhitespace(code: number): boolean {
  return code === SPACE || code === TAB;
}

/** Label keys: Calico's `[a-zA-Z0-9_./-]+`, which covers prefixed keys such as `app.kubernetes.io/name`. */
export function isLabelKeyChar(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) || // a-z
    (code >= 0x41 && code <= 0x5a) || // A-Z
    (code >= 0x30 && code <= 0x39) || // 0-9
    code === 0x5f || // _
    code === 0x2e || // .
    code === 0x2f || // /
    code === 0x2d // -
  );
}

export function isLabelKey(text: string): boolean {
  if (text.length === 0) return false;
  for (let index = 0; index < text.length; index++) {
    if (!isLabelKeyChar(text.charCodeAt(index))) return false;
  }
  return true;
}

function describeCharacter(character: string): string {
  return character === "'" ? `"'"` : `'${JSON.stringify(character).slice(1, -1)}'`;
}

/** Splits a selector into tokens, always ending with an `eof` token; throws SelectorSyntaxError on bad input. */
export function tokenize(selector: string): Token[] {
  const tokens: Token[] = [];
  const length = selector.length;
  let position = 0;

  const skipWhitespace = (): void => {
    while (position < length && isWhitespace(selector.charCodeAt(position))) position++;
  };
  const fail = (offset: number, detail: string): never => {
    throw new SelectorSyntaxError(selector, offset, detail);
  };
  const readLabelKey = (): string => {
    const start = position;
    while (position < length && isLabelKeyChar(selector.charCodeAt(position))) position++;
    return selector.slice(start, position);
  };
  const push = (kind: TokenKind, offset: number, value = ''): void => {
    tokens.push({ kind, value, offset });
  };
  // Calico accepts `has(`, `all(` and `global(` only without a space before the parenthesis.
  const readCall = (name: 'all' | 'global'): void => {
    const start = position;
    position += name.length + 1;
    skipWhitespace();
    if (selector[position] !== ')') fail(position, `expected ')' to close ${name}(`);
    position++;
    push(name, start);
  };

  for (;;) {
    skipWhitespace();
    if (position >= length) {
      push('eof', position);
      return tokens;
    }
    const start = position;
    const character = selector[position] as string;
    const previous = tokens.length > 0 ? (tokens[tokens.length - 1] as Token).kind : 'eof';
    switch (character) {
      case '(':
        push('lparen', start);
        position++;
        continue;
      case ')':
        push('rparen', start);
        position++;
        continue;
      case '{':
        push('lbrace', start);
        position++;
        continue;
      case '}':
        push('rbrace', start);
        position++;
        continue;
      case ',':
        push('comma', start);
        position++;
        continue;
      case '"':
      case "'": {
        const close = selector.indexOf(character, start + 1);
        if (close < 0)
          fail(length, `unterminated string opened at column ${start + 1}, expected a closing ${character}`);
        push('string', start, selector.slice(start + 1, close));
        position = close + 1;
        continue;
      }
      case '=':
        if (selector[start + 1] !== '=') fail(start, "expected '=='");
        push('eq', start);
        position += 2;
        continue;
      case '!':
        if (selector[start + 1] === '=') {
          push('ne', start);
          position += 2;
        } else {
          push('not', start);
          position++;
        }
        continue;
      case '&':
        if (selector[start + 1] !== '&') fail(start, "expected '&&'");
        push('and', start);
        position += 2;
        continue;
      case '|':
        if (selector[start + 1] !== '|') fail(start, "expected '||'");
        push('or', start);
        position += 2;
        continue;
    }

    if (previous === 'label') {
      // After a label only a word operator can follow (symbols were handled above).
      if (selector.startsWith('contains', position)) {
        push('contains', start);
        position += 'contains'.length;
      } else if (selector.startsWith('starts', position) || selector.startsWith('ends', position)) {
        const kind = selector.startsWith('starts', position) ? 'startsWith' : 'endsWith';
        position += kind === 'startsWith' ? 'starts'.length : 'ends'.length;
        skipWhitespace();
        if (!selector.startsWith('with', position)) fail(position, "expected 'with'");
        position += 'with'.length;
        push(kind, start);
      } else if (selector.startsWith('not', position)) {
        position += 'not'.length;
        skipWhitespace();
        if (!selector.startsWith('in', position)) fail(position, "expected 'in' after 'not'");
        position += 'in'.length;
        push('notIn', start);
      } else if (selector.startsWith('in', position)) {
        push('in', start);
        position += 'in'.length;
      } else {
        fail(start, `expected an operator (${OPERATOR_LIST})`);
      }
    } else if (selector.startsWith('has(', position)) {
      position += 'has('.length;
      skipWhitespace();
      const key = readLabelKey();
      if (key === '') fail(position, 'expected a label key inside has(');
      skipWhitespace();
      if (selector[position] !== ')') fail(position, "expected ')' to close has(");
      position++;
      push('has', start, key);
    } else if (selector.startsWith('all(', position)) {
      readCall('all');
    } else if (selector.startsWith('global(', position)) {
      readCall('global');
    } else {
      const key = readLabelKey();
      if (key === '') {
        fail(start, `expected a label key, a quoted value or an operator but found ${describeCharacter(character)}`);
      }
      push('label', start, key);
    }
  }
}
