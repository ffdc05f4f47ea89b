// The browser test's harness page (test/browser.test.ts): one bundle holding the real react, react-dom and
// @grafana/{data,ui,runtime} that Grafana would provide, and a minimal AMD loader that hands them to the plugin's
// BUILT panel modules (grafana-plugin/dist), which the page loads as Grafana does. A second, Node.js build of
// src/queries.ts lets the test run the panels' queries against a real Prometheus. Built into harness/dist/
// (gitignored) by the test set-up, never into grafana-plugin/dist: `node harness/build.mjs` from grafana-plugin/.
import { createRequire } from 'node:module';
import path from 'node:path';

const harnessDir = path.dirname(new URL(import.meta.url).pathname);
const pluginDir = path.join(harnessDir, '..');
const outDir = path.join(harnessDir, 'dist');
const configFile = new URL(import.meta.url).pathname;
// The react-router Grafana shares with plugins as `react-router` (v6, which its react-router-dom-v5-compat re-exports):
// the one instance @grafana/ui's links (react-router-dom-v5-compat) use, so a plugin's <Routes> and @grafana/ui's
// <Link> find the same router, as in Grafana. `shared-react-router` names it for the harness.
const requireFromCompat = createRequire(
  createRequire(path.join(pluginDir, 'package.json')).resolve('react-router-dom-v5-compat/package.json'),
);
const sharedReactRouter = path.dirname(requireFromCompat.resolve('react-router/package.json'));

const swc = {
  loader: 'swc-loader',
  options: {
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', tsx: true, decorators: false, dynamicImport: true },
      transform: { react: { runtime: 'automatic' } },
    },
  },
};

const common = {
  // Development mode without eval: readable stack traces in the test's console output, no minifying wait.
  mode: 'development',
  devtool: 'source-map',
  performance: { hints: false },
  resolve: {
    extensions: ['.js', '.jsx', '.ts', '.tsx', '.mjs'],
    // Node's lookup, nearest node_modules first: the app pages' react-router-dom 6 (grafana-plugin/node_modules) must
    // not shadow the react-router-dom 5 that @grafana/ui's react-router-dom-v5-compat imports (the root's), as it
    // did when grafana-plugin/node_modules came first for every module.
    modules: ['node_modules'],
    alias: { 'shared-react-router$': sharedReactRouter },
  },
};

export default [
  {
    ...common,
    name: 'page',
    target: 'web',
    cache: { type: 'filesystem', name: 'flowlens-harness-page', buildDependencies: { config: [configFile] } },
    entry: { harness: path.join(harnessDir, 'src', 'harness.tsx') },
    module: {
      rules: [
        { exclude: /node_modules/, test: /\.[tj]sx?$/, use: swc },
        // Some of @grafana/ui's ES-module dependencies (OpenLayers) import files without their extension.
        { test: /\.m?js$/, resolve: { fullySpecified: false } },
        // @grafana/ui imports three stylesheets (uPlot, a slider, the data grid) the panels do not use; Grafana's
        // own bundle carries them, here they are dropped.
        { test: /\.css$/, type: 'asset/source' },
        { test: /\.(svg|png|woff2?)$/, type: 'asset/resource' },
      ],
    },
    output: { path: outDir, filename: '[name].js', chunkFilename: 'chunks/[name].js', publicPath: '/harness/' },
  },
  {
    ...common,
    name: 'queries',
    target: 'node',
    cache: { type: 'filesystem', name: 'flowlens-harness-queries', buildDependencies: { config: [configFile] } },
    entry: { queries: path.join(pluginDir, 'src', 'queries.ts') },
    module: { rules: [{ exclude: /node_modules/, test: /\.ts$/, use: swc }] },
    output: { path: outDir, filename: '[name].cjs', library: { type: 'commonjs2' } },
  },
];
