// Build of the app plugin and its nested panels, after @grafana/create-plugin's webpack config (swc-loader, AMD
// output, Grafana's shared modules as externals, plugin.json files copied). Plain JavaScript rather than the
// template's TypeScript config, which needs Node 22's type stripping; the project supports Node 20.
import CopyWebpackPlugin from 'copy-webpack-plugin';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import VirtualModulesPlugin from 'webpack-virtual-modules';

const root = path.dirname(new URL(import.meta.url).pathname);
const sourceDir = path.join(root, 'src');
const distDir = path.join(root, 'dist');
const pluginJson = JSON.parse(readFileSync(path.join(sourceDir, 'plugin.json'), 'utf8'));
const packageJson = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

// Grafana provides these at runtime (create-plugin's bundler/externals.ts).
const externals = [
  { 'amd-module': 'module' },
  'lodash',
  'jquery',
  'moment',
  'slate',
  'emotion',
  '@emotion/react',
  '@emotion/css',
  'prismjs',
  'slate-plain-serializer',
  '@grafana/slate-react',
  'react',
  'react/jsx-runtime',
  'react/jsx-dev-runtime',
  'react-dom',
  'react-redux',
  'redux',
  'rxjs',
  'i18next',
  'react-router',
  'd3',
  'angular',
  /^@grafana\/ui/i,
  /^@grafana\/runtime/i,
  /^@grafana\/data/i,
];

// Every folder under src/ with a plugin.json and a module.ts(x) is an entry: the app is `module`, a nested panel in
// src/panels/service-graph is `panels/service-graph/module` (create-plugin's getEntries).
function findEntries(dir, entries = {}) {
  const names = readdirSync(dir);
  if (names.includes('plugin.json')) {
    const moduleFile = names.find((name) => /^module\.[jt]sx?$/.test(name));
    if (moduleFile) {
      const relative = path.relative(sourceDir, dir);
      entries[relative === '' ? 'module' : `${relative}/module`] = path.join(dir, moduleFile);
    }
  }
  for (const name of names) {
    const child = path.join(dir, name);
    if (statSync(child).isDirectory()) findEntries(child, entries);
  }
  return entries;
}

// Grafana serves a plugin under public/plugins/<id>/ (or a CDN); the AMD loader's module uri tells where, so lazy
// chunks load from the right place.
const publicPath = new VirtualModulesPlugin({
  'node_modules/grafana-public-path.js': `
import amdMetaModule from 'amd-module';

__webpack_public_path__ =
  amdMetaModule && amdMetaModule.uri
    ? amdMetaModule.uri.slice(0, amdMetaModule.uri.lastIndexOf('/') + 1)
    : 'public/plugins/${pluginJson.id}/';
`,
});

const today = new Date().toISOString().substring(0, 10);
const fillTemplate = (content) =>
  content
    .toString()
    .replace(/%VERSION%/g, packageJson.version)
    .replace(/%TODAY%/g, today)
    .replace(/%PLUGIN_ID%/g, pluginJson.id);

export default (env) => ({
  cache: { type: 'filesystem', buildDependencies: { config: [new URL(import.meta.url).pathname] } },
  context: sourceDir,
  devtool: env.production ? 'source-map' : 'eval-source-map',
  entry: findEntries(sourceDir),
  externals,
  mode: env.production ? 'production' : 'development',
  module: {
    rules: [
      // First, or source maps break: each module file sets the public path before anything else runs.
      {
        test: /src\/(?:.*\/)?module\.tsx?$/,
        use: [{ loader: 'imports-loader', options: { imports: 'side-effects grafana-public-path' } }],
      },
      {
        exclude: /node_modules/,
        test: /\.[tj]sx?$/,
        use: {
          loader: 'swc-loader',
          options: {
            jsc: {
              baseUrl: sourceDir,
              target: 'es2015',
              loose: false,
              parser: { syntax: 'typescript', tsx: true, decorators: false, dynamicImport: true },
              transform: { react: { runtime: 'automatic' } },
            },
          },
        },
      },
      {
        test: /\.(png|jpe?g|gif|svg)$/,
        type: 'asset/resource',
        generator: { filename: env.production ? '[hash][ext]' : '[file]' },
      },
    ],
  },
  optimization: { minimize: Boolean(env.production) },
  output: {
    clean: true,
    filename: '[name].js',
    chunkFilename: env.production ? '[name].js?_cache=[contenthash]' : '[name].js',
    library: { type: 'amd' },
    path: distDir,
    publicPath: `public/plugins/${pluginJson.id}/`,
    uniqueName: pluginJson.id,
    crossOriginLoading: 'anonymous',
  },
  performance: { hints: false },
  plugins: [
    publicPath,
    new CopyWebpackPlugin({
      patterns: [
        { from: '../README.md', to: '.', transform: fillTemplate },
        // plugin.json of the app and of every nested panel, with %VERSION% and %TODAY% filled in.
        { from: '**/plugin.json', to: '.', transform: fillTemplate },
        { from: 'img/**/*', to: '.' },
        { from: 'panels/*/img/**/*', to: '.', noErrorOnMissing: true },
        // The generated dashboards, listed in plugin.json's includes; dashboards/json stays their one copy in git.
        { from: '*.json', context: path.join(root, '../dashboards/json'), to: 'dashboards' },
      ],
    }),
  ],
  resolve: {
    extensions: ['.js', '.jsx', '.ts', '.tsx'],
    modules: [sourceDir, 'node_modules'],
    unsafeCache: true,
  },
});
