#!/usr/bin/env node
// Makes sure the system tools the integration tests (and `npm run stack`) need are installed, each from its Debian
// package: promtool (lints the exposition and the rules) and prometheus (scrapes a running exporter) from
// `prometheus`; amtool (checks the Alertmanager configuration) and the Alertmanager itself from
// `prometheus-alertmanager`; nft (makes conntrack track in a test network namespace) from `nftables` and the conntrack
// tool (the conntrack source's fallback) from `conntrack`; chromium (/usr/bin/chromium, the browser test's headless
// browser) from `chromium`; tcpdump (packet capture) from `tcpdump`. As root the missing packages are installed;
// otherwise the script says what to install
// and fails. Debian may start services on :9090 and :9093 when the packages are installed; the tests never use those
// ports (they pick free loopback ports).
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { spawnSync } from 'node:child_process';

/** Each tool and the Debian package that provides it. */
const PACKAGE_OF = {
  promtool: 'prometheus',
  prometheus: 'prometheus',
  amtool: 'prometheus-alertmanager',
  'prometheus-alertmanager': 'prometheus-alertmanager',
  nft: 'nftables',
  conntrack: 'conntrack',
  // The audit webhook's TLS tests make their CA and certificates with it.
  openssl: 'openssl',
  // The sockets and conntrack tests build network namespaces and veth pairs (ip), and run small Python servers.
  ip: 'iproute2',
  python3: 'python3',
  // The browser test (test/browser.test.ts) and `npm run bench -- --only browser` drive Debian's Chromium through
  // playwright-core; Playwright's own browser download is not used.
  chromium: 'chromium',
  // Packet capture runs it, and the capture tests read its files with `tcpdump -r`.
  tcpdump: 'tcpdump',
  // The capture test runs a capture with only the capture component's capabilities.
  setpriv: 'util-linux',
};
const TOOLS = Object.keys(PACKAGE_OF);

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

function packagesOf(tools) {
  return [...new Set(tools.map((tool) => PACKAGE_OF[tool]))];
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
    `ensure-system-deps: missing ${missing.join(', ')}; install them with: sudo apt-get install -y ${packagesOf(missing).join(' ')}\n`,
  );
  process.exit(1);
}

const packages = packagesOf(missing);
process.stdout.write(`ensure-system-deps: missing ${missing.join(', ')}; installing ${packages.join(' ')}\n`);
run('apt-get', ['update']);
run('apt-get', ['install', '-y', '--no-install-recommends', ...packages]);
const stillMissing = missingTools();
if (stillMissing.length > 0) {
  process.stderr.write(
    `ensure-system-deps: ${stillMissing.join(', ')} still not on PATH after installing ${packages.join(' ')}\n`,
  );
  process.exit(1);
}
process.stdout.write(`ensure-system-deps: installed ${TOOLS.map((tool) => onPath(tool)).join(', ')}\n`);
