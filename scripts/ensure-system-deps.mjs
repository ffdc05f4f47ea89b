#!/usr/bin/env node
// Makes sure the system tools the integration tests need are installed: promtool (lints the exposition) and
// prometheus (scrapes a running exporter). Both come from Debian's `prometheus` package. As root the package is
// installed; otherwise the script says what to install and fails. Debian may start a prometheus service on :9090
// when the package is installed; the tests never use that port (they pick free loopback ports).
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { spawnSync } from 'node:child_process';

const TOOLS = ['promtool', 'prometheus'];
const PACKAGE = 'prometheus';

/** The full path of an executable found on PATH, or undefined. */
function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

function missingTools() {
  return TOOLS.filter((tool) => onPath(tool) === undefined);
}

function run(command, args) {
  process.stdout.write(`ensure-system-deps: running ${command} ${args.join(' ')}\n`);
  const result = spawnSync(command, args, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.error) {
    process.stderr.write(`ensure-system-deps: cannot run ${command}: ${result.error.message}\n`);
    process.exit(1);
  }
  if (result.status !== 0) {
    process.stderr.write(
      `ensure-system-deps: ${command} ${args.join(' ')} failed (${result.signal ?? `exit ${result.status}`})\n`,
    );
    process.exit(1);
  }
}

const missing = missingTools();
if (missing.length === 0) {
  process.stdout.write(`ensure-system-deps: found ${TOOLS.map((tool) => onPath(tool)).join(', ')}\n`);
  process.exit(0);
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot) {
  process.stderr.write(
    `ensure-system-deps: missing ${missing.join(', ')}; install them with: sudo apt-get install -y ${PACKAGE}\n`,
  );
  process.exit(1);
}

process.stdout.write(`ensure-system-deps: missing ${missing.join(', ')}; installing the ${PACKAGE} package\n`);
run('apt-get', ['update']);
run('apt-get', ['install', '-y', '--no-install-recommends', PACKAGE]);
const stillMissing = missingTools();
if (stillMissing.length > 0) {
  process.stderr.write(
    `ensure-system-deps: ${stillMissing.join(', ')} still not on PATH after installing ${PACKAGE}\n`,
  );
  process.exit(1);
}
process.stdout.write(`ensure-system-deps: installed ${TOOLS.map((tool) => onPath(tool)).join(', ')}\n`);
