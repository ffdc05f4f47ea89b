/**
 * `npm run dashboards`: writes every dashboard to dashboards/json/<uid>.json (the folder Grafana's provisioning
 * reads), removing files of dashboards that no longer exist. `--check` writes nothing and exits 1 when a committed
 * file differs from the generator's output.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ALL_DASHBOARDS, dashboardFileName, dashboardJson } from './index';

const OUTPUT = resolve(__dirname, '..', '..', 'json');

function main(): void {
  const check = process.argv.includes('--check');
  mkdirSync(OUTPUT, { recursive: true });
  const expected = new Map<string, string>();
  for (const build of ALL_DASHBOARDS) {
    const built = build();
    expected.set(dashboardFileName(built), dashboardJson(built));
  }
  const stale: string[] = [];
  for (const name of readdirSync(OUTPUT).filter((file) => file.endsWith('.json'))) {
    if (!expected.has(name)) stale.push(name);
  }
  const differing: string[] = [];
  for (const [name, text] of expected) {
    let current: string | undefined;
    try {
      current = readFileSync(join(OUTPUT, name), 'utf8');
    } catch {
      current = undefined;
    }
    if (current === text) continue;
    differing.push(name);
    if (!check) writeFileSync(join(OUTPUT, name), text);
  }
  if (!check) for (const name of stale) rmSync(join(OUTPUT, name));
  const changed = [...differing, ...stale.map((name) => `${name} (stale)`)];
  if (check && changed.length > 0) {
    process.stderr.write(`dashboards/json differs from the generator: ${changed.join(', ')}; run npm run dashboards\n`);
    process.exit(1);
  }
  process.stdout.write(
    `${expected.size} dashboards in ${OUTPUT}${check ? ' match the generator' : `, ${changed.length} written or removed`}\n`,
  );
}

main();
