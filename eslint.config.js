// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'tools/', 'data/', 'artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', {
        // node:test tracks the promises its test() and describe() return.
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }],
      }],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: Node built-ins (fs, crypto, timers…)
    // would either fail to bundle or break replay. Only type imports from activities are allowed.
    files: ['src/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: builtinModules.flatMap((m) => [m, `node:${m}`]).map((name) => ({
          name, message: 'Node built-ins break workflow determinism; do this in an activity.',
        })),
        patterns: [{ group: ['**/activities/**'], allowTypeImports: true,
          message: 'Workflows may only import activity types (import type …).' }],
      }],
    },
  },
  {
    // The contract is shared by the server, the workflow sandbox and the browser bundle: types and
    // constants only, so it may import nothing but its own files.
    files: ['src/contract/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [{ regex: '^(?!\\./)', message: 'src/contract imports only its own files: it runs on the server, in workflows and in browsers.' }],
      }],
    },
  },
  {
    // The web page runs in browsers (bundled by scripts/build-web.mjs; typed by src/web/tsconfig.json).
    files: ['src/web/**/*.ts'],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ['eslint.config.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: globals.node },
  },
);
