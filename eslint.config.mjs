// Flat config: the recommended JS and TypeScript rules, strict about `any`; React hooks rules for the Grafana plugin.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    files: ['grafana-plugin/src/**/*.ts', 'grafana-plugin/src/**/*.tsx'],
    ...reactHooks.configs.flat.recommended,
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: { process: 'readonly', require: 'readonly', console: 'readonly', URL: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The plugin's jest configuration runs as CommonJS in jest's jsdom environment.
    files: ['grafana-plugin/jest.config.js', 'grafana-plugin/jest-setup.js'],
    languageOptions: {
      globals: { module: 'readonly', global: 'readonly', jest: 'readonly', HTMLCanvasElement: 'readonly' },
    },
  },
);
