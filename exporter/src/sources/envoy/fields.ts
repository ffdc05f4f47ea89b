/**
 * Field helpers the Envoy decoders share on top of ../json-fields: integers that may arrive as decimal text,
 * ISO 8601 times, and error messages that name nested fields by their path.
 */
import { optionalCount, type JsonObject } from '../json-fields';
import { DecodeError } from '../types';
import { detached } from '../../model/text';

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
  // Up to 15 digits (always a safe integer), summed in place; longer text takes the general path.
  if (text.length > 0 && text.length <= 15) {
    let value = 0;
    let index = 0;
    for (; index < text.length; index++) {
      const digit = text.charCodeAt(index) - 0x30;
      if (digit < 0 || digit > 9) break;
      value = value * 10 + digit;
    }
    if (index === text.length) return value;
  }
  const parsed = DECIMAL.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(parsed)) {
    throw new DecodeError('wrong_type', `field ${field} must be a non-negative integer, got ${JSON.stringify(text)}`);
  }
  return parsed;
}

/**
 * The whole-second part (`2024-05-01T10:00:00`) and zone of the previous START_TIME, and its unix milliseconds:
 * a proxy logs many requests a second, and `Date.parse` was the dearest step of a line. Detached copies.
 */
let previousSecond = '';
let previousZone = '';
let previousSecondMillis = 0;

const DIGIT_POSITIONS: readonly number[] = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
/** Positions of the separators `-`, `-`, `T`, `:`, `:` and their character codes. */
const SEPARATOR_POSITIONS: readonly number[] = [4, 7, 10, 13, 16];
const SEPARATOR_CODES: readonly number[] = [0x2d, 0x2d, 0x54, 0x3a, 0x3a];
const WHOLE_SECOND_LENGTH = 19;

function isDigitAt(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  return code >= 0x30 && code <= 0x39;
}

function notAnIsoTime(text: string, field: string): DecodeError {
  return new DecodeError('wrong_type', `field ${field} must be an ISO 8601 time, got ${JSON.stringify(text)}`);
}

/** Where the zone starts in a START_TIME whose first 19 characters are a date and time, or -1 if it is not one. */
function zoneStartOf(text: string): number {
  if (text.length < WHOLE_SECOND_LENGTH + 1) return -1;
  for (let i = 0; i < DIGIT_POSITIONS.length; i++) if (!isDigitAt(text, DIGIT_POSITIONS[i]!)) return -1;
  for (let i = 0; i < SEPARATOR_POSITIONS.length; i++) {
    if (text.charCodeAt(SEPARATOR_POSITIONS[i]!) !== SEPARATOR_CODES[i]) return -1;
  }
  let zoneStart = WHOLE_SECOND_LENGTH;
  if (text.charCodeAt(zoneStart) === 0x2e /* . */) {
    zoneStart++;
    while (zoneStart < text.length && isDigitAt(text, zoneStart)) zoneStart++;
    if (zoneStart === WHOLE_SECOND_LENGTH + 1) return -1;
  }
  const zoneLength = text.length - zoneStart;
  const sign = text.charCodeAt(zoneStart);
  if (zoneLength === 1) return sign === 0x5a /* Z */ ? zoneStart : -1;
  const colon = zoneLength === 6;
  const valid =
    (zoneLength === 5 || colon) &&
    (sign === 0x2b /* + */ || sign === 0x2d) /* - */ &&
    isDigitAt(text, zoneStart + 1) &&
    isDigitAt(text, zoneStart + 2) &&
    (!colon || text.charCodeAt(zoneStart + 3) === 0x3a) &&
    isDigitAt(text, text.length - 2) &&
    isDigitAt(text, text.length - 1);
  return valid ? zoneStart : -1;
}

/**
 * Envoy's START_TIME (`2024-05-01T10:00:00.123Z` by default; any fraction length and a numeric offset are
 * accepted too) as unix seconds with fraction: the grammar
 * `^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})$`, read in place.
 */
export function parseStartTime(text: string, field: string): number {
  const zoneStart = zoneStartOf(text);
  if (zoneStart < 0) throw notAnIsoTime(text, field);
  const zoneLength = text.length - zoneStart;
  let whole: number;
  if (
    previousSecond.length === WHOLE_SECOND_LENGTH &&
    text.startsWith(previousSecond) &&
    zoneLength === previousZone.length &&
    text.endsWith(previousZone)
  ) {
    whole = previousSecondMillis;
  } else {
    const second = text.slice(0, WHOLE_SECOND_LENGTH);
    const zone = text.slice(zoneStart);
    const offset = zoneLength === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
    whole = Date.parse(`${second}${offset}`);
    if (Number.isNaN(whole)) throw notAnIsoTime(text, field);
    previousSecond = detached(second);
    previousZone = detached(zone);
    previousSecondMillis = whole;
  }
  return whole / 1000 + fractionOf(text, WHOLE_SECOND_LENGTH, zoneStart);
}

/**
 * The fraction `.123` in `text[start, end)` as `Number('0.123')` reads it. Up to 15 digits, the digits as an
 * integer over a power of ten is the same double (both exact, and the division rounds once, as the parse does).
 */
function fractionOf(text: string, start: number, end: number): number {
  if (end === start) return 0;
  const digits = end - start - 1;
  if (digits > 15) return Number(`0${text.slice(start, end)}`);
  let numerator = 0;
  for (let index = start + 1; index < end; index++) numerator = numerator * 10 + (text.charCodeAt(index) - 0x30);
  return numerator / POWERS_OF_TEN[digits]!;
}

const POWERS_OF_TEN: readonly number[] = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/** Runs a read of a nested object, prefixing the field names in its errors with where that object sits. */
export function within<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    throw new DecodeError(error.reason, error.message.replace(/field "/, `field "${path}.`));
  }
}
