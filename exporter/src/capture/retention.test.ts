import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyRetention, listCaptureFolders } from './retention';

const root = mkdtempSync(join(tmpdir(), 'flowlens-retention-'));
const outside = mkdtempSync(join(tmpdir(), 'flowlens-retention-outside-'));
after(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

const NOW = Date.parse('2026-11-26T12:00:00Z');
const HOUR = 3_600_000;

function capture(key: string, bytes: number, ageMs: number): void {
  const folder = join(root, key);
  mkdirSync(folder, { recursive: true });
  const file = join(folder, 'web-1.0000.pcap');
  writeFileSync(file, Buffer.alloc(bytes));
  const when = new Date(NOW - ageMs);
  utimesSync(file, when, when);
  utimesSync(folder, when, when);
}

test('retention removes expired captures, then the oldest until the total fits; active ones stay', async () => {
  capture('shop/old', 1000, 30 * HOUR);
  capture('shop/running-old', 1000, 40 * HOUR);
  capture('shop/mid', 4000, 3 * HOUR);
  capture('team/new', 3000, 1 * HOUR);
  capture('team/newest', 2000, 0);
  // Retention never follows a link out of the root.
  writeFileSync(join(outside, 'keep.pcap'), 'x');
  symlinkSync(outside, join(root, 'team', 'link'));
  assert.equal((await listCaptureFolders(root)).length, 5);
  const removed = await applyRetention(
    root,
    { maxAgeMs: 24 * HOUR, maxTotalBytes: 6500 },
    new Set(['shop/running-old']),
    NOW,
  );
  // old: expired. mid: oldest while 10,000 > 6,500 bytes. Then 6,000 fits.
  assert.deepEqual(removed, ['shop/old', 'shop/mid']);
  assert.ok(existsSync(join(root, 'shop', 'running-old')));
  assert.ok(existsSync(join(root, 'team', 'new')));
  assert.ok(existsSync(join(outside, 'keep.pcap')));
  assert.deepEqual(await applyRetention(root, { maxAgeMs: 24 * HOUR, maxTotalBytes: 6500 }, new Set(), NOW), [
    'shop/running-old',
  ]);
});
