/**
 * Kubernetes label selectors written as strings, as `kubectl get -l` takes them: requirements separated by commas,
 * each `key=value`, `key==value`, `key!=value`, `key in (a,b)`, `key notin (a,b)`, `key` (exists) or `!key`
 * (does not exist). Tokenized, then parsed into the same `LabelSelector` that `matchLabels`/`matchExpressions`
 * give, so both forms are evaluated by `selectorMatches`. The empty string selects everything.
 */
import { MATCH_ALL, type LabelRequirement, type LabelSelector } from './label-selector';

export class LabelSelectorSyntaxError extends Error {
  override readonly name = 'LabelSelectorSyntaxError';
}

type Token =
  | { kind: 'word'; text: string; at: number }
  | { kind: 'op'; text: '=' | '==' | '!=' | '!' | ',' | '(' | ')'; at: number };

const WORD = /[A-Za-z0-9_./-]/;
const MAX_SELECTOR_LENGTH = 4096;

function tokenize(text: string, fail: (at: number, problem: string) => never): Token[] {
  const tokens: Token[] = [];
  let position = 0;
  while (position < text.length) {
    const character = text[position]!;
    if (character === ' ' || character === '\t') {
      position++;
      continue;
    }
    const two = text.slice(position, position + 2);
    if (two === '==' || two === '!=') {
      tokens.push({ kind: 'op', text: two, at: position });
      position += 2;
      continue;
    }
    if (character === '=' || character === '!' || character === ',' || character === '(' || character === ')') {
      tokens.push({ kind: 'op', text: character, at: position });
      position++;
      continue;
    }
    if (!WORD.test(character)) fail(position, `unexpected character "${character}"`);
    const start = position;
    while (position < text.length && WORD.test(text[position]!)) position++;
    tokens.push({ kind: 'word', text: text.slice(start, position), at: start });
  }
  return tokens;
}

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

function validKey(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash < 0) return NAME.test(key);
  return DNS_SUBDOMAIN.test(key.slice(0, slash)) && NAME.test(key.slice(slash + 1));
}

function validValue(value: string): boolean {
  return value === '' || NAME.test(value);
}

/** Parses `text`; errors name the flag or field (`what`), the position and the expected syntax. */
export function parseLabelSelectorString(text: string, what: string): LabelSelector {
  const fail = (at: number, problem: string): never => {
    throw new LabelSelectorSyntaxError(
      `${what} "${text}": ${problem} at character ${at + 1}; write requirements like app=web,tier!=db,env in (a,b),!legacy`,
    );
  };
  if (text.length > MAX_SELECTOR_LENGTH) {
    throw new LabelSelectorSyntaxError(`${what} is ${text.length} characters long; at most ${MAX_SELECTOR_LENGTH}`);
  }
  const tokens = tokenize(text, fail);
  if (tokens.length === 0) return MATCH_ALL;
  const requirements: LabelRequirement[] = [];
  let index = 0;
  const peek = (): Token | undefined => tokens[index];
  const end = text.length;
  const word = (expected: string): string => {
    const token = tokens[index];
    if (token?.kind !== 'word') return fail(token?.at ?? end, `expected ${expected}`);
    index++;
    return token.text;
  };
  const key = (): string => {
    const at = peek()?.at ?? end;
    const name = word('a label key');
    if (!validKey(name)) fail(at, `"${name}" is not a valid label key ([prefix/]name, name at most 63 characters)`);
    return name;
  };
  const value = (): string => {
    const token = peek();
    // `key=` selects an empty value.
    if (token === undefined || (token.kind === 'op' && token.text === ',')) return '';
    const at = token.at;
    const text = word('a label value');
    if (!validValue(text)) fail(at, `"${text}" is not a valid label value (at most 63 characters)`);
    return text;
  };
  for (;;) {
    const token = peek();
    if (token === undefined) return fail(end, 'expected a requirement');
    if (token.kind === 'op' && token.text === '!') {
      index++;
      requirements.push({ key: key(), operator: 'DoesNotExist', values: new Set() });
    } else {
      const name = key();
      const next = peek();
      if (next === undefined || (next.kind === 'op' && next.text === ',')) {
        requirements.push({ key: name, operator: 'Exists', values: new Set() });
      } else if (next.kind === 'op' && (next.text === '=' || next.text === '==' || next.text === '!=')) {
        index++;
        requirements.push({ key: name, operator: next.text === '!=' ? 'NotIn' : 'In', values: new Set([value()]) });
      } else if (next.kind === 'word' && (next.text === 'in' || next.text === 'notin')) {
        index++;
        const open = peek();
        if (open?.kind !== 'op' || open.text !== '(') fail(open?.at ?? end, `expected "(" after ${next.text}`);
        index++;
        const values = new Set<string>();
        for (;;) {
          const current = peek();
          if (current?.kind === 'op' && current.text === ')' && values.size === 0) {
            fail(current.at, `${next.text} needs at least one value`);
          }
          values.add(value());
          const separator = peek();
          if (separator?.kind === 'op' && separator.text === ',') {
            index++;
            continue;
          }
          if (separator?.kind === 'op' && separator.text === ')') {
            index++;
            break;
          }
          fail(separator?.at ?? end, 'expected "," or ")"');
        }
        requirements.push({ key: name, operator: next.text === 'in' ? 'In' : 'NotIn', values });
      } else {
        fail(next.at, 'expected =, ==, !=, in, notin or ","');
      }
    }
    const separator = peek();
    if (separator === undefined) break;
    if (separator.kind !== 'op' || separator.text !== ',') fail(separator.at, 'expected ","');
    index++;
  }
  return { requirements };
}
