/** Calico's selector language: tokenizer -> parser (to a canonical AST) -> evaluator. */
export { SelectorSyntaxError } from './errors';
export { Selector, SELECTOR_MEMO_LIMIT, clearSelectorMemo, memoizedSelectorCount, parseSelector } from './selector';
export { parseSelectorNode } from './parser';
export { evaluateNode, labelValue } from './evaluate';
export type { SelectorContext, SelectorLabels } from './evaluate';
export { allNode, andNode, formatSelector, globalNode, hasNode, notNode, orNode, setNode, valueNode } from './ast';
export type {
  AllNode,
  AndNode,
  GlobalNode,
  HasNode,
  NotNode,
  OrNode,
  SelectorNode,
  SetNode,
  ValueNode,
  ValueOperator,
} from './ast';
export { tokenize } from './tokenizer';
export type { Token, TokenKind } from './tokenizer';
