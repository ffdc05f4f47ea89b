#!/usr/bin/env node
// Thin launcher: the TypeScript is compiled to dist/ by the root `prepare` script (run by `npm ci`).
'use strict';
try {
  require('../dist/src/cli.js').main(process.argv.slice(2));
} catch (error) {
  if (error && error.code === 'MODULE_NOT_FOUND' && String(error.message).includes('dist/src/cli.js')) {
    process.stderr.write('flowlens: not built yet; run `npm ci` (or `npm run build`) at the repository root\n');
    process.exit(1);
  }
  throw error;
}
