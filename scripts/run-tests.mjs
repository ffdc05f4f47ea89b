#!/usr/bin/env node
// Runs every compiled test file (`*.test.js` under the workspaces' dist/ folders) with Node's test runner.
// Node 20's `--test` takes no globs, so the files are listed here; extra arguments pass through (e.g. a file filter).
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const testRoots = ['exporter/dist', 'test/dist'];
const filter = process.argv[2];

function findTests(dir) {
  let found = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return found;
  }
  for (const entry of entries) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found = found.concat(findTests(path));
    else if (entry.endsWith('.test.js')) found.push(path);
  }
  return found;
}

const files = testRoots
  .flatMap((dir) => findTests(join(root, dir)))
  .filter((file) => !filter || file.includes(filter))
  .sort();
if (files.length === 0) {
  process.stderr.write('run-tests: no compiled test files found; run `npm run build` first\n');
  process.exit(1);
}
process.stdout.write(`run-tests: ${files.length} test files\n`);
const result = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', ...files.map((file) => relative(root, file))],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
