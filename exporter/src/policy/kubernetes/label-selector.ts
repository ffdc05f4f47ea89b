/**
 * Kubernetes label selectors (`matchLabels` and `matchExpressions`), parsed once into a list of requirements
 * and evaluated as their conjunction. The empty selector `{}` has no requirements and matches everything.
 */
import {
  type FieldContext,
  optionalArray,
  optionalStringMap,
  rejectUnknownFields,
  requireObject,
  requireString,
} from './fields';

export type Labels = Readonly<Record<string, string>>;

export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface LabelRequirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  readonly values: ReadonlySet<string>;
}

export interface LabelSelector {
  readonly requirements: readonly LabelRequirement[];
}

export const MATCH_ALL: LabelSelector = Object.freeze({ requirements: Object.freeze([]) });

const OPERATORS: readonly SelectorOperator[] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/** Parses a `metav1.LabelSelector`; `value` must be present (callers decide what an absent selector means). */
export function parseLabelSelector(value: unknown, path: string, context: FieldContext): LabelSelector {
  const object = requireObject(value, path, context);
  rejectUnknownFields(object, ['matchLabels', 'matchExpressions'], path, context);
  const requirements: LabelRequirement[] = [];
  const matchLabels = optionalStringMap(object['matchLabels'], `${path}.matchLabels`, context);
  for (const [key, labelValue] of Object.entries(matchLabels)) {
    requirements.push({ key, operator: 'In', values: new Set([labelValue]) });
  }
  const expressions = optionalArray(object['matchExpressions'], `${path}.matchExpressions`, context) ?? [];
  expressions.forEach((entry, i) => {
    requirements.push(parseRequirement(entry, `${path}.matchExpressions[${i}]`, context));
  });
  return requirements.length === 0 ? MATCH_ALL : { requirements };
}

function parseRequirement(value: unknown, path: string, context: FieldContext): LabelRequirement {
  const object = requireObject(value, path, context);
  rejectUnknownFields(object, ['key', 'operator', 'values'], path, context);
  const key = requireString(object['key'], `${path}.key`, context);
  const operatorText = requireString(object['operator'], `${path}.operator`, context);
  const operator = OPERATORS.find((candidate) => candidate === operatorText);
  if (operator === undefined) {
    context.fail(`${path}.operator`, `must be one of ${OPERATORS.join(', ')}, got "${operatorText}"`);
  }
  const rawValues = optionalArray(object['values'], `${path}.values`, context) ?? [];
  const values = rawValues.map((entry, i) => {
    if (typeof entry !== 'string') context.fail(`${path}.values[${i}]`, 'must be a string');
    return entry;
  });
  const needsValues = operator === 'In' || operator === 'NotIn';
  if (needsValues && values.length === 0) context.fail(`${path}.values`, `must not be empty for operator ${operator}`);
  if (!needsValues && values.length > 0) context.fail(`${path}.values`, `must be empty for operator ${operator}`);
  return { key, operator, values: new Set(values) };
}

export function selectorMatches(selector: LabelSelector, labels: Labels): boolean {
  for (const requirement of selector.requirements) {
    const value = Object.hasOwn(labels, requirement.key) ? labels[requirement.key] : undefined;
    switch (requirement.operator) {
      case 'In':
        if (value === undefined || !requirement.values.has(value)) return false;
        break;
      case 'NotIn':
        // A pod without the key is not "in" the excluded values, so it matches (upstream semantics).
        if (value !== undefined && requirement.values.has(value)) return false;
        break;
      case 'Exists':
        if (value === undefined) return false;
        break;
      case 'DoesNotExist':
        if (value !== undefined) return false;
        break;
    }
  }
  return true;
}
