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
      // Off where strings are not wrapped in trans.__() yet (see the block below).
      'jupyter/no-untranslated-string': 'off',
      eqeqeq: 'error',
      'prefer-arrow-callback': 'error'
    }
  },
  {
    // Translated (src/common/i18n.ts): a user-visible literal here must go through trans.__().
    // The other folders join this list as they are translated.
    files: [
      'src/api/errorText.ts',
      'src/commands.ts',
      'src/commands/**',
      'src/common/**',
      'src/dialogs/**',
      'src/index.ts',
      'src/orchestration.ts',
      'src/output/**',
      'src/trends/**'
    ],
    rules: { 'jupyter/no-untranslated-string': 'error' }
  },
  prettierRecommended,
  {
    // After prettier's config, which turns `curly` off although 'all' is compatible.
    rules: { curly: ['error', 'all'] }
  }
]);
