import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptsEncoding } from './http';

test('gzip only when the scraper accepts it with a non-zero quality', () => {
  assert.equal(acceptsEncoding(undefined, 'gzip'), false);
  assert.equal(acceptsEncoding('gzip', 'gzip'), true);
  assert.equal(acceptsEncoding('deflate, gzip;q=0.8', 'gzip'), true);
  assert.equal(acceptsEncoding('gzip;q=0', 'gzip'), false);
  assert.equal(acceptsEncoding('identity', 'gzip'), false);
  assert.equal(acceptsEncoding('*', 'gzip'), true);
  assert.equal(acceptsEncoding('*;q=0.5, gzip;q=0', 'gzip'), false);
  assert.equal(acceptsEncoding('x-gzip-ish', 'gzip'), false);
});
