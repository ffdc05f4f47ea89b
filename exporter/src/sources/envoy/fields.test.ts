import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStartTime } from './fields';

test('start times: fractions and zones, within one second and across seconds', () => {
  const base = Date.parse('2024-05-01T10:00:00Z') / 1000;
  assert.equal(parseStartTime('2024-05-01T10:00:00.123Z', 'T'), base + 0.123);
  assert.equal(parseStartTime('2024-05-01T10:00:00.5Z', 'T'), base + 0.5, 'same second, remembered');
  assert.equal(parseStartTime('2024-05-01T10:00:00Z', 'T'), base);
  assert.equal(parseStartTime('2024-05-01T12:00:00.25+0200', 'T'), base + 0.25);
  assert.equal(parseStartTime('2024-05-01T12:00:00.25+02:00', 'T'), base + 0.25);
  assert.equal(parseStartTime('2024-05-01T10:00:00.25-01:00', 'T'), base + 3600.25, 'same second text, other zone');
  assert.equal(parseStartTime('2024-05-01T10:00:01.000000001Z', 'T'), base + 1 + 1e-9);
  assert.equal(
    parseStartTime('2024-05-01T10:00:01.1234567890123456789Z', 'T'),
    base + 1 + Number('0.1234567890123456789'),
  );
});

test('start times that are not ISO 8601 are wrong_type, naming the field', () => {
  const bad = [
    '',
    '2024-05-01T10:00:00',
    '2024-05-01 10:00:00Z',
    '2024-05-01T10:00:00.Z',
    '2024-05-01T10:00:00+2:00',
    '2024-05-01T10:00:00+02:0',
    '2024-05-01T10:00:00Zx',
    '2024-13-01T10:00:00Z',
    '1714557600',
  ];
  for (const text of bad) {
    assert.throws(
      () => parseStartTime(text, 'START_TIME'),
      (error: unknown) =>
        error instanceof Error &&
        'reason' in error &&
        error.reason === 'wrong_type' &&
        error.message === `field START_TIME must be an ISO 8601 time, got ${JSON.stringify(text)}`,
      text,
    );
  }
});
