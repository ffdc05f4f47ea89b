// After @grafana/create-plugin's jest config: swc transforms TypeScript, and the ES-module-only packages that
// Grafana's libraries pull in are transformed too (everything else in node_modules is left alone).
const path = require('path');

const grafanaESModules = [
  '@grafana/schema',
  '@wojtekmaj/date-utils',
  'd3',
  'd3-color',
  'd3-force',
  'd3-interpolate',
  'd3-scale-chromatic',
  'get-user-locale',
  'marked',
  'memoize',
  'mimic-function',
  'ol',
  'react-calendar',
  'react-colorful',
  'rxjs',
  'uuid',
];

// react-router-dom 6 (the app's routes, @grafana/scenes) and react-router-dom-v5-compat (@grafana/ui's links) each
// install their own react-router 6; one copy, as in Grafana where react-router is shared, gives them one router
// context.
const reactRouter = require.resolve('react-router', {
  paths: [path.dirname(require.resolve('react-router-dom/package.json'))],
});

module.exports = {
  moduleNameMapper: { '\\.(css|scss|sass)$': 'identity-obj-proxy', '^react-router$': reactRouter },
  modulePaths: ['<rootDir>/src'],
  setupFilesAfterEnv: ['<rootDir>/jest-setup.js'],
  testEnvironment: 'jest-environment-jsdom',
  testMatch: ['<rootDir>/src/**/*.test.{ts,tsx}'],
  transform: {
    '^.+\\.(t|j)sx?$|^.+\\.mjs$': [
      '@swc/jest',
      {
        sourceMaps: 'inline',
        jsc: {
          // Node 20 runs ES2022 as is; older targets slow the layout's loops several times over.
          target: 'es2022',
          parser: { syntax: 'typescript', tsx: true, decorators: false, dynamicImport: true },
          transform: { react: { runtime: 'automatic' } },
        },
      },
    ],
  },
  transformIgnorePatterns: [`node_modules/(?!.*(${grafanaESModules.join('|')})/.*)`],
  watchPathIgnorePatterns: ['<rootDir>/node_modules', '<rootDir>/dist'],
};
