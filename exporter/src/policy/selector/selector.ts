/**
 * The selector API the policy engine uses: `parseSelector(text)` returns a memoized, immutable Selector with
 * `matches(labels, context?)` and a canonical `toString()`.
 */
import { formatSelector } from './ast';
import type { SelectorNode } from './ast';
import { evaluateNode } from './evaluate';
import type { SelectorContext, SelectorLabels } from './evaluate';
import { parseSelectorNode } from './parser';

export class Selector {
  /** The canonical text: equal for selectors that differ only in spacing, quoting, redundant parentheses or `!!`. */
  readonly canonical: string;

  constructor(readonly root: SelectorNode) {
    this.canonical = formatSelector(root);
  }

  matches(labels: SelectorLabels, context?: SelectorContext): boolean {
    return evaluateNode(this.root, labels, context?.namespaced === true);
  }

  /** True when this selector is `all()` (including the empty selector). */
  get matchesEverything(): boolean {
    return this.root.kind === 'all';
  }

  toString(): string {
    return this.canonical;
  }
}

/** How many distinct selector texts stay memoized; policies rarely hold more, and the oldest are dropped first. */
export const SELECTOR_MEMO_LIMIT = 4096;

// A Map iterates in insertion order, so re-inserting on a hit and evicting the first key gives an LRU.
const memo = new Map<string, Selector>();

/** Parses selector text (memoized by exact text); throws SelectorSyntaxError on malformed input. */
export function parseSelector(text: string): Selector {
  const cached = memo.get(text);
  if (cached !== undefined) {
    memo.delete(text);
    memo.set(text, cached);
    return cached;
  }
  const selector = new Selector(parseSelectorNode(text));
  if (memo.size >= SELECTOR_MEMO_LIMIT) {
    const oldest = memo.keys().next();
    if (oldest.done !== true) memo.delete(oldest.value);
  }
  memo.set(text, selector);
  return selector;
}

/** Number of memoized selector texts (for tests and diagnostics). */
export function memoizedSelectorCount(): number {
  return memo.size;
}

/** Drops every memoized selector (for tests). */
export function clearSelectorMemo(): void {
  memo.clear();
}
