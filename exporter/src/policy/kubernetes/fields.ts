/**
 * Typed access to the fields of a Kubernetes object as kubectl prints it (`-o json`). Every accessor takes the
 * field's path so that a rejected object's error says which object and which field, e.g.
 * `NetworkPolicy shop/allow-web: spec.ingress[0].ports[1].port must be a number or a port name`.
 */

export type JsonObject = { readonly [key: string]: unknown };

/** A policy object that does not have the shape of its Kubernetes kind. */
export class PolicyParseError extends Error {
  override readonly name = 'PolicyParseError';
}

/** Names the object being parsed (`NetworkPolicy shop/allow-web`) in every error. */
export class FieldContext {
  constructor(public subject: string) {}

  fail(path: string, problem: string): never {
    throw new PolicyParseError(`${this.subject}: ${path} ${problem}`);
  }
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function describeType(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

/** Go's JSON decoding treats `null` like an absent field; so do we. */
export function isAbsent(value: unknown): value is undefined | null {
  return value === undefined || value === null;
}

export function requireObject(value: unknown, path: string, context: FieldContext): JsonObject {
  if (!isObject(value)) context.fail(path, `must be an object, got ${describeType(value)}`);
  return value;
}

export function optionalObject(value: unknown, path: string, context: FieldContext): JsonObject | undefined {
  return isAbsent(value) ? undefined : requireObject(value, path, context);
}

export function requireArray(value: unknown, path: string, context: FieldContext): readonly unknown[] {
  if (!Array.isArray(value)) context.fail(path, `must be an array, got ${describeType(value)}`);
  return value;
}

export function optionalArray(value: unknown, path: string, context: FieldContext): readonly unknown[] | undefined {
  return isAbsent(value) ? undefined : requireArray(value, path, context);
}

export function requireString(value: unknown, path: string, context: FieldContext): string {
  if (typeof value !== 'string' || value === '') {
    context.fail(path, `must be a non-empty string, got ${describeType(value)}`);
  }
  return value;
}

export function requireInteger(value: unknown, path: string, context: FieldContext, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    context.fail(path, `must be an integer from ${min} to ${max}, got ${describeType(value)}`);
  }
  return value;
}

/** A `map[string]string` such as `matchLabels` or `metadata.labels`. */
export function optionalStringMap(
  value: unknown,
  path: string,
  context: FieldContext,
): Readonly<Record<string, string>> {
  const object = optionalObject(value, path, context);
  if (object === undefined) return {};
  const result: Record<string, string> = {};
  for (const [key, entry] of Object.entries(object)) {
    if (typeof entry !== 'string') context.fail(`${path}.${key}`, `must be a string, got ${describeType(entry)}`);
    // Assigning `__proto__` would set the prototype instead of a label.
    if (key === '__proto__') Object.defineProperty(result, key, { value: entry, enumerable: true, writable: true });
    else result[key] = entry;
  }
  return result;
}

/** Rejects fields the parser does not know, so a typo (`podSelectr`) is an error rather than a silent allow-all. */
export function rejectUnknownFields(
  object: JsonObject,
  known: readonly string[],
  path: string,
  context: FieldContext,
): void {
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) context.fail(path === '' ? key : `${path}.${key}`, 'is not a known field');
  }
}
