/** Test support for the Envoy decoders: a decode outcome as a record, a skip, or the DecodeError raised. */
import assert from 'node:assert/strict';
import { DecodeError, type IngestErrorReason } from '../types';
import { isSkip, type HttpDecodeResult, type HttpRecord } from './model';

export function expectRecord(result: HttpDecodeResult): HttpRecord {
  if (isSkip(result)) assert.fail(`expected a record, got a skip: ${result.skip}`);
  return result;
}

export function expectSkip(result: HttpDecodeResult): string {
  if (!isSkip(result)) assert.fail(`expected a skip, got a ${result.method} ${result.path} record`);
  return result.skip;
}

/** Asserts that `decode` rejects its input for `reason`, with a message matching `names` (the field). */
export function expectDecodeError(decode: () => unknown, reason: IngestErrorReason, names: RegExp, label = ''): void {
  let caught: unknown;
  try {
    decode();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof DecodeError, `${label}: expected a DecodeError, got ${String(caught)}`);
  assert.equal(caught.reason, reason, `${label}: ${caught.message}`);
  assert.match(caught.message, names, label);
}
