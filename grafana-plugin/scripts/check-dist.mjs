#!/usr/bin/env node
// Loads each built module (dist/**/module.js) the way Grafana's AMD loader does, with stand-ins for the modules
// Grafana provides, and checks that it defines only those as dependencies and exports `plugin`; that every
// plugin.json under src/ was copied with its version filled in; and that the dashboards the app includes are there.
// Run by `npm test` after the build; skipped, saying so, when dist/ has not been built.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const dist = join(root, 'dist');
// What Grafana's loader provides (the externals of webpack.config.mjs) plus AMD's `module`. @grafana/scenes, bundled,
// brings @emotion/react, i18next and react-router (react-router-dom itself is bundled, as create-plugin does for
// react-router 6): Grafana shares all three with plugins.
const provided =
  /^(module|react|react-dom|react\/jsx-runtime|@emotion\/(css|react)|@grafana\/(data|ui|runtime)|rxjs|lodash|i18next|react-router)$/;

function find(dir, name, found = []) {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) find(path, name, found);
    else if (entry === name) found.push(path);
  }
  return found;
}

if (!existsSync(join(dist, 'module.js'))) {
  process.stdout.write('check-dist: grafana-plugin/dist is not built; skipped (npm run build builds it)\n');
  process.exit(0);
}

const failures = [];
globalThis.window ??= globalThis;
globalThis.self ??= globalThis;
// A stand-in for any export of a provided module: callable, constructible, chainable.
function StandIn() {
  if (!new.target) return {};
}
StandIn.prototype.setRootPage = function () {
  return this;
};
StandIn.prototype.setPanelOptions = function () {
  return this;
};
StandIn.prototype.addConfigPage = function () {
  return this;
};
const standInModule = new Proxy({}, { get: (_, key) => (key === '__esModule' ? true : StandIn) });

for (const pluginJson of find(join(root, 'src'), 'plugin.json')) {
  const folder = relative(join(root, 'src'), dirname(pluginJson));
  const built = join(dist, folder, 'plugin.json');
  if (!existsSync(built)) {
    failures.push(`${relative(root, built)} is missing`);
    continue;
  }
  if (readFileSync(built, 'utf8').includes('%VERSION%')) failures.push(`${relative(root, built)}: %VERSION% left`);
  const modulePath = join(dist, folder, 'module.js');
  if (!existsSync(modulePath)) {
    failures.push(`${relative(root, modulePath)} is missing`);
    continue;
  }
  let exported;
  const define = (dependencies, factory) => {
    for (const dependency of dependencies) {
      if (!provided.test(dependency)) failures.push(`${relative(root, modulePath)} depends on ${dependency}`);
    }
    exported = factory(
      ...dependencies.map((dependency) =>
        dependency === 'module' ? { uri: `public/plugins/x/${folder}/module.js` } : standInModule,
      ),
    );
  };
  new Function('define', readFileSync(modulePath, 'utf8'))(define);
  if (!exported || !(exported.plugin instanceof StandIn)) {
    failures.push(`${relative(root, modulePath)} does not export a plugin`);
  }
}

// Every file the app's includes name (its bundled dashboards) is in dist, and each dashboard is the one named: its
// uid is its file name and its title the include's name.
const appJson = JSON.parse(readFileSync(join(dist, 'plugin.json'), 'utf8'));
for (const include of appJson.includes) {
  if (include.type !== 'dashboard') continue;
  const path = join(dist, include.path);
  if (!existsSync(path)) {
    failures.push(`${relative(root, path)} (included as ${include.name}) is missing`);
    continue;
  }
  const dashboard = JSON.parse(readFileSync(path, 'utf8'));
  const uid = include.path.replace(/^dashboards\/(.*)\.json$/, '$1');
  if (dashboard.uid !== uid || dashboard.title !== include.name) {
    failures.push(
      `${relative(root, path)}: uid ${dashboard.uid}, title ${dashboard.title}; included as ${uid}, ${include.name}`,
    );
  }
}

if (failures.length > 0) {
  process.stderr.write(`check-dist:\n  ${failures.join('\n  ')}\n`);
  process.exit(1);
}
process.stdout.write('check-dist: every plugin.json, module.js and included dashboard in dist is in order\n');
