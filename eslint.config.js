// ESLint with typescript-eslint, typed linting (ADR 0007 says why and which rules). `npm run lint`;
// CI runs it after the typecheck.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** The guards every TypeScript file keeps: no promise left floating, no unused code. */
const guards = {
  // A promise nobody awaits or catches loses its rejection (an unhandled rejection ends the
  // operator; a test's unawaited assertion cannot fail). node:test's test() and describe() return
  // promises the runner itself awaits.
  '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }] }],
  '@typescript-eslint/no-misused-promises': 'error',
  // No unused code: variables, imports, parameters after the last used one, caught errors.
  'no-unused-vars': 'off',
  '@typescript-eslint/no-unused-vars': ['error', { args: 'after-used', argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'all', caughtErrorsIgnorePattern: '^_' }],
};

const typed = { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } };

export default defineConfig([
  globalIgnores(['dist/', 'out/', 'node_modules/', 'bench/.cache/', '.bench-tmp/']),
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  {
    // The product: the recommended sets, typed, and the size budgets of issue 16 (a file one
    // person can hold in mind; long functions and long parameter lists flagged for review).
    files: ['src/**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: typed,
    rules: {
      ...guards,
      // An async method that implements an async interface without awaiting (a dry-run actuator,
      // a simulated clock, a recorded source) is meant: it keeps a throw a rejection.
      '@typescript-eslint/require-await': 'off',
      'max-lines': ['error', { max: 500 }],
      'max-lines-per-function': ['warn', { max: 60, skipBlankLines: true, skipComments: true }],
      '@typescript-eslint/max-params': ['warn', { max: 5 }],
    },
  },
  {
    // Tests and benchmarks: the guards only. They read untyped JSON (API answers, saved results)
    // and fake async interfaces synchronously by design, which the recommended sets would flag
    // by the hundred.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: typed,
    rules: guards,
  },
  {
    files: ['eslint.config.js'],
    extends: [js.configs.recommended],
  },
]);
