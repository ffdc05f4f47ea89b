/**
 * Field helpers the Envoy decoders share on top of ../json-fields: integers that may arrive as decimal text,
 * ISO 8601 times, and error messages that name nested fields by their path.
 */
import { optionalCount, type JsonObject } from '../json-fields';
import { DecodeError } from '../types';

const DECIMAL = /^\d+$/;

/**
 * A non-negative integer given as a JSON number or as its decimal text: Envoy's untyped JSON format and
 * @grpc/proto-loader's `longs: String` both write integers as strings. Undefined when absent, null or `-`.
 */
export function optionalWholeNumber(object: JsonObject, field: string): number | undefined {
  const value = object[field];
  if (typeof value === 'string' && DECIMAL.test(value)) {
    const parsed = Number(value);
    if (Number.isSafeInteger(parsed)) return parsed;
  }
  return optionalCount(object, field);
}

export function requiredWholeNumber(object: JsonObject, field: string): number {
  if (object[field] === undefined) throw new DecodeError('missing_field', `field "${field}" is missing`);
  const value = optionalWholeNumber(object, field);
  if (value === undefined) throw new DecodeError('missing_field', `field "${field}" is empty`);
  return value;
}

/** Decimal text of a field in a text format: `wrong_type` naming the field when it is not a whole number. */
export function parseWholeNumber(text: string, field: string): number {
  const parsed = DECIMAL.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(parsed)) {
    throw new DecodeError('wrong_type', `field ${field} must be a non-negative integer, got ${JSON.stringify(text)}`);
  }
  return parsed;
}

const ISO_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * Envoy's START_TIME (`2024-05-01T10:00:00.123Z` by default; any fraction length and a numeric offset are
 * accepted too) as unix seconds with fraction.
 */
export function parseStartTime(text: string, field: string): number {
  const match = ISO_TIME.exec(text);
  const offset = match?.[3]?.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
  const whole = match === null ? NaN : Date.parse(`${match[1]}${offset}`);
  if (match === null || Number.isNaN(whole)) {
    throw new DecodeError('wrong_type', `field ${field} must be an ISO 8601 time, got ${JSON.stringify(text)}`);
  }
  const fraction = match[2] === undefined ? 0 : Number(`0${match[2]}`);
  return whole / 1000 + fraction;
}

/** Runs a read of a nested object, prefixing the field names in its errors with where that object sits. */
export function within<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    throw new DecodeError(error.reason, error.message.replace(/field "/, `field "${path}.`));
  }
}
