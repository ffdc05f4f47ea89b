import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { catalogueMarkdown } from './catalogue-doc';
import { ALL_FAMILIES } from './catalogue';
import { repoRoot } from '../testing/collect';

test('docs/metrics.md is the catalogue (regenerate with `npx flowlens catalogue > docs/metrics.md`)', () => {
  const page = readFileSync(join(repoRoot(), 'docs/metrics.md'), 'utf8');
  assert.equal(page, catalogueMarkdown());
  for (const family of ALL_FAMILIES) assert.ok(page.includes(`\`${family.name}\``), family.name);
});
