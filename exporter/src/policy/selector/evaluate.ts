/**
 * Evaluates a selector AST against one set of labels. This runs per endpoint pair in policy evaluation, so it walks
 * the tree with a switch and index loops and allocates nothing.
 */
import type { SelectorNode } from './ast';

/** Labels as the cluster view holds them: a Map, or a plain record (only own properties count). */
export type SelectorLabels = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

export interface SelectorContext {
  /**
   * Whether the thing being selected lives in a namespace. `global()` matches only when this is not true; left
   * unset, `global()` matches, as Calico's own evaluator (which always returns true for it) does.
   */
  readonly namespaced?: boolean;
}

function isLabelMap(labels: SelectorLabels): labels is ReadonlyMap<string, string> {
  return labels instanceof Map;
}

/** The label's value, or undefined when absent. */
export function labelValue(labels: SelectorLabels, key: string): string | undefined {
  if (isLabelMap(labels)) return labels.get(key);
  return Object.hasOwn(labels, key) ? labels[key] : undefined;
}

export function evaluateNode(node: SelectorNode, labels: SelectorLabels, namespaced: boolean): boolean {
  switch (node.kind) {
    case 'all':
      return true;
    case 'global':
      return !namespaced;
    case 'has':
      return labelValue(labels, node.key) !== undefined;
    case 'eq':
      return labelValue(labels, node.key) === node.value;
    case 'ne':
      return labelValue(labels, node.key) !== node.value;
    case 'contains': {
      const value = labelValue(labels, node.key);
      return value !== undefined && value.includes(node.value);
    }
    case 'startsWith': {
      const value = labelValue(labels, node.key);
      return value !== undefined && value.startsWith(node.value);
    }
    case 'endsWith': {
      const value = labelValue(labels, node.key);
      return value !== undefined && value.endsWith(node.value);
    }
    case 'in': {
      const value = labelValue(labels, node.key);
      return value !== undefined && node.valueSet.has(value);
    }
    case 'notIn': {
      const value = labelValue(labels, node.key);
      return value === undefined || !node.valueSet.has(value);
    }
    case 'not':
      return !evaluateNode(node.operand, labels, namespaced);
    case 'and': {
      const operands = node.operands;
      for (let index = 0; index < operands.length; index++) {
        if (!evaluateNode(operands[index] as SelectorNode, labels, namespaced)) return false;
      }
      return true;
    }
    case 'or': {
      const operands = node.operands;
      for (let index = 0; index < operands.length; index++) {
        if (evaluateNode(operands[index] as SelectorNode, labels, namespaced)) return true;
      }
      return false;
    }
  }
}
