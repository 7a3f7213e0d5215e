// Type-aware lint (typescript-eslint's recommendedTypeChecked): no `any`, no promise left
// floating or passed where a callback's result is ignored. Formatting is prettier's job
// (`make lint` runs `prettier --check`).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'generated/',
      'bench/results/',
      '.tmp/',
      '**/*.cjs',
      'scripts/*.mjs',
      'bench/*.mjs',
      'eslint.config.js',
    ],
  },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // Handlers and test doubles are async to fit their interface, awaited or not.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // The libraries only some requests need reach the server through src/vendor/ alone,
    // loaded at their first use (and embedded compressed in the bundle): a value import of
    // one anywhere else would load it at start again. Types are free.
    files: ['src/**/*.ts'],
    ignores: ['src/vendor/**', 'src/client/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['express', 'openapi-backend', 'ajv', 'ajv/*', 'ajv-formats', '@aws-sdk/*'],
              allowTypeImports: true,
              message: 'load it through src/vendor/ (see src/http/app.ts and src/domain/backup/storage.ts)',
            },
          ],
        },
      ],
    },
  },
  {
    // supertest types every response body as `any`; tests read it against the contract
    // instead (test/helpers/contract.ts), so the no-unsafe-* family is off there only.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
