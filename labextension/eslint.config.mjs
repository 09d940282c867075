import js from '@eslint/js';
import jupyterPlugin from '@jupyter/eslint-plugin';
import prettierRecommended from 'eslint-plugin-prettier/recommended';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig([
  {
    ignores: ['node_modules', 'lib', '.yarn', '**/*.js', '**/*.d.ts']
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  jupyterPlugin.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      globals: {
        ...globals.browser,
        ...globals.es2015
      },
      parserOptions: {
        project: 'tsconfig.test.json',
        sourceType: 'module'
      }
    },
    rules: {
      '@typescript-eslint/naming-convention': [
        'error',
        {
          selector: 'interface',
          format: ['PascalCase'],
          custom: { regex: '^I[A-Z]', match: true }
        }
      ],
      '@typescript-eslint/no-unused-vars': ['warn', { args: 'none' }],
      '@typescript-eslint/no-namespace': 'off',
      '@typescript-eslint/no-use-before-define': 'off',
      // On for src/ below; off for the tests, whose strings are not shown to anyone.
      'jupyter/no-untranslated-string': 'off',
      eqeqeq: 'error',
      'prefer-arrow-callback': 'error'
    }
  },
  {
    // Every user-visible literal goes through trans.__() (src/common/i18n.ts).
    files: ['src/**'],
    rules: { 'jupyter/no-untranslated-string': 'error' }
  },
  prettierRecommended,
  {
    // After prettier's config, which turns `curly` off although 'all' is compatible.
    rules: { curly: ['error', 'all'] }
  }
]);
