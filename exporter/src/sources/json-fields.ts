/**
 * Typed access to the fields of one JSON line. Every accessor names the field in its error, so a rejected
 * line's log entry says exactly what was wrong. Shared by the JSON-lines sources.
 */
import { DecodeError } from './types';

export type JsonObject = { readonly [key: string]: unknown };

/** Parses a line that must hold one JSON object; distinguishes a line cut short from one that is malformed. */
export function parseJsonObject(line: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const cutShort = /end of JSON|Unterminated/i.test(message);
    throw new DecodeError(cutShort ? 'truncated' : 'malformed', `invalid JSON: ${message}`);
  }
  if (!isObject(value)) {
    throw new DecodeError('malformed', `expected a JSON object, got ${describeType(value)}`);
  }
  return value;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

/** Calico and friends write `-` (or null) for fields aggregated away. */
function isAbsent(value: unknown): boolean {
  return value === undefined || value === null || value === '-';
}

/** A counter: a non-negative safe integer. Anything else rejects the whole record. */
export function requiredCount(object: JsonObject, field: string): number {
  const value = object[field];
  if (value === undefined) throw new DecodeError('missing_field', `field "${field}" is missing`);
  return checkCount(value, field);
}

/** A counter that may be absent (or aggregated away): undefined then. */
export function optionalCount(object: JsonObject, field: string): number | undefined {
  const value = object[field];
  return isAbsent(value) ? undefined : checkCount(value, field);
}

function checkCount(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new DecodeError('wrong_type', `field "${field}" must be a non-negative integer, got ${describeType(value)}`);
  }
  return value;
}

/** A finite number (times, statistics), or undefined when absent. */
export function optionalNumber(object: JsonObject, field: string): number | undefined {
  const value = object[field];
  if (isAbsent(value)) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new DecodeError('wrong_type', `field "${field}" must be a number, got ${describeType(value)}`);
  }
  return value;
}

/** A string, or '' when absent or aggregated away (`-`). Numbers are accepted as their decimal text. */
export function optionalString(object: JsonObject, field: string): string {
  const value = object[field];
  if (isAbsent(value)) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new DecodeError('wrong_type', `field "${field}" must be a string, got ${describeType(value)}`);
}

export function requiredString(object: JsonObject, field: string): string {
  if (object[field] === undefined) throw new DecodeError('missing_field', `field "${field}" is missing`);
  return optionalString(object, field);
}

/** A field that must be one of a fixed set of (lower-case) values. */
export function requiredEnum<T extends string>(object: JsonObject, field: string, allowed: readonly T[]): T {
  const value = object[field];
  if (value === undefined) throw new DecodeError('missing_field', `field "${field}" is missing`);
  const text = typeof value === 'string' ? value.toLowerCase() : undefined;
  const match = allowed.find((candidate) => candidate === text);
  if (match === undefined) {
    throw new DecodeError(
      'wrong_type',
      `field "${field}" must be one of ${allowed.join(', ')}, got ${describeType(value)}`,
    );
  }
  return match;
}

export function optionalObject(object: JsonObject, field: string): JsonObject | undefined {
  const value = object[field];
  if (isAbsent(value)) return undefined;
  if (!isObject(value))
    throw new DecodeError('wrong_type', `field "${field}" must be an object, got ${describeType(value)}`);
  return value;
}

export function optionalStringArray(object: JsonObject, field: string): string[] {
  const value = object[field];
  if (isAbsent(value)) return [];
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) {
    throw new DecodeError('wrong_type', `field "${field}" must be an array of strings, got ${describeType(value)}`);
  }
  return value;
}
