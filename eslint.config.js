// Lint rules, including the layer rule of docs/architecture.md ("Layers"): arrows point inward only.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
const noNpm = { group: ['^[^.]'], regex: '^(?!\\.)', message: 'src/core is pure: relative imports only.' };
const cli = { group: ['**/cli/*'], message: 'Nothing imports the composition root (src/cli).' };
const clientNode = {
  group: ['@kubernetes/client-node'],
  message: 'Only src/kube talks to the API server.',
};
const express = {
  group: ['express'],
  message: 'Only HTTP adapters (extender, webhook, server) use express.',
};

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'benchmarks/results/**',
      '**/*.tmp.ts',
      '.cluster/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: noNpm.regex, message: noNpm.message }] }],
      'no-restricted-globals': ['error', 'process', 'setTimeout', 'setInterval'],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Inject a Clock.' },
        { object: 'Math', property: 'random', message: 'Inject an Rng.' },
      ],
    },
  },
  { files: ['src/app/**/*.ts'], rules: restrict([cli, clientNode, express]) },
  {
    files: [
      'src/extender/**/*.ts',
      'src/webhook/**/*.ts',
      'src/metrics/**/*.ts',
      'src/config/**/*.ts',
      'src/logging/**/*.ts',
      'src/server/**/*.ts',
    ],
    rules: restrict([cli, clientNode]),
  },
  { files: ['src/kube/**/*.ts'], rules: restrict([cli, express]) },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
);
