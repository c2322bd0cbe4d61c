import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'dist-web/**',
      'docs/api/**',
      'node_modules/**',
      'scratch/**',
      'native/build/**',
      'tmp-prof/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      // Only the engine layer may import TF.js (docs/architecture.md, layers).
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@tensorflow/*'], message: 'Import TF.js through src/engine only.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/engine/**', 'bench/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // URLs of the wasm backend's binaries for the page's bundler: assets, not TF.js code.
    files: ['web/src/wasmFiles.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // CommonJS tool configs (.dependency-cruiser.cjs).
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { module: 'writable', require: 'readonly' },
    },
  },
  {
    files: ['bin/**', 'scripts/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
