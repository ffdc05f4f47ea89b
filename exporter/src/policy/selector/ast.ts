/**
 * The selector AST, its normalising constructors and its canonical printer.
 *
 * Nodes are plain immutable objects. Build them with the functions here rather than by hand: they keep the tree in the
 * canonical shape the parser produces (nested `&&`/`||` flattened, `!!x` collapsed to `x`, set values sorted and
 * de-duplicated), so that equal selectors print equal and the printed form can key a cache.
 */
import { isLabelKey } from './tokenizer';

export type ValueOperator = 'eq' | 'ne' | 'contains' | 'startsWith' | 'endsWith';

export interface AllNode {
  readonly kind: 'all';
}
/** True for resources that are not namespaced (see `SelectorContext.namespaced`). */
export interface GlobalNode {
  readonly kind: 'global';
}
export interface HasNode {
  readonly kind: 'has';
  readonly key: string;
}
export interface ValueNode {
  readonly kind: ValueOperator;
  readonly key: string;
  readonly value: string;
}
export interface SetNode {
  readonly kind: 'in' | 'notIn';
  readonly key: string;
  /** Sorted and unique; printing reads this. */
  readonly values: readonly string[];
  /** The same values, for constant-time membership while evaluating. */
  readonly valueSet: ReadonlySet<string>;
}
export interface NotNode {
  readonly kind: 'not';
  readonly operand: SelectorNode;
}
export interface AndNode {
  readonly kind: 'and';
  /** At least two operands, none of them an `and`. */
  readonly operands: readonly SelectorNode[];
}
export interface OrNode {
  readonly kind: 'or';
  /** At least two operands, none of them an `or`. */
  readonly operands: readonly SelectorNode[];
}

export type SelectorNode = AllNode | GlobalNode | HasNode | ValueNode | SetNode | NotNode | AndNode | OrNode;

const ALL: AllNode = Object.freeze({ kind: 'all' });
const GLOBAL: GlobalNode = Object.freeze({ kind: 'global' });

function checkKey(key: string): void {
  if (!isLabelKey(key)) throw new RangeError(`not a selector label key: ${JSON.stringify(key)}`);
}

/** Selector strings have no escapes, so a value cannot hold both kinds of quote. */
function checkValue(value: string): void {
  if (value.includes('"') && value.includes("'")) {
    throw new RangeError(`a selector value cannot contain both quote characters: ${JSON.stringify(value)}`);
  }
}

export function allNode(): AllNode {
  return ALL;
}

export function globalNode(): GlobalNode {
  return GLOBAL;
}

export function hasNode(key: string): HasNode {
  checkKey(key);
  return { kind: 'has', key };
}

export function valueNode(kind: ValueOperator, key: string, value: string): ValueNode {
  checkKey(key);
  checkValue(value);
  return { kind, key, value };
}

export function setNode(kind: 'in' | 'notIn', key: string, values: Iterable<string>): SetNode {
  checkKey(key);
  const valueSet = new Set(values);
  for (const value of valueSet) checkValue(value);
  return { kind, key, values: [...valueSet].sort(), valueSet };
}

/** `!x`; a double negation collapses, as in Calico's parser. */
export function notNode(operand: SelectorNode): SelectorNode {
  return operand.kind === 'not' ? operand.operand : { kind: 'not', operand };
}

function flatten(kind: 'and' | 'or', operands: readonly SelectorNode[]): SelectorNode[] {
  const flat: SelectorNode[] = [];
  for (const operand of operands) {
    if (operand.kind === kind) flat.push(...operand.operands);
    else flat.push(operand);
  }
  return flat;
}

/** `a && b && ...`; one operand is returned as is. */
export function andNode(first: SelectorNode, ...rest: SelectorNode[]): SelectorNode {
  if (rest.length === 0) return first;
  return { kind: 'and', operands: flatten('and', [first, ...rest]) };
}

/** `a || b || ...`; one operand is returned as is. */
export function orNode(first: SelectorNode, ...rest: SelectorNode[]): SelectorNode {
  if (rest.length === 0) return first;
  return { kind: 'or', operands: flatten('or', [first, ...rest]) };
}

const OPERATOR_TEXT: Readonly<Record<ValueOperator, string>> = {
  eq: '==',
  ne: '!=',
  contains: 'contains',
  startsWith: 'starts with',
  endsWith: 'ends with',
};

/** Double quotes unless the value holds one, as Calico prints. */
function quote(value: string): string {
  return value.includes('"') ? `'${value}'` : `"${value}"`;
}

/** Peels `!!x` pairs so hand-built trees print like parsed ones. */
function withoutDoubleNegation(node: SelectorNode): SelectorNode {
  let current = node;
  while (current.kind === 'not' && current.operand.kind === 'not') current = current.operand.operand;
  return current;
}

/**
 * The canonical text of a selector: single spaces around operators, double quotes where possible, sets sorted, and
 * parentheses only where precedence needs them. Parsing the result gives back the same canonical tree.
 */
export function formatSelector(node: SelectorNode): string {
  const current = withoutDoubleNegation(node);
  switch (current.kind) {
    case 'all':
      return 'all()';
    case 'global':
      return 'global()';
    case 'has':
      return `has(${current.key})`;
    case 'eq':
    case 'ne':
    case 'contains':
    case 'startsWith':
    case 'endsWith':
      return `${current.key} ${OPERATOR_TEXT[current.kind]} ${quote(current.value)}`;
    case 'in':
    case 'notIn': {
      // Hand-built nodes may hold unsorted values; the canonical text never does.
      const values = [...new Set(current.values)].sort();
      return `${current.key} ${current.kind === 'in' ? 'in' : 'not in'} {${values.map(quote).join(', ')}}`;
    }
    case 'not': {
      const operand = withoutDoubleNegation(current.operand);
      const text = formatSelector(operand);
      return operand.kind === 'and' || operand.kind === 'or' ? `!(${text})` : `!${text}`;
    }
    case 'and':
      return current.operands
        .map((operand) => {
          const text = formatSelector(operand);
          return withoutDoubleNegation(operand).kind === 'or' ? `(${text})` : text;
        })
        .join(' && ');
    case 'or':
      return current.operands.map(formatSelector).join(' || ');
  }
}
