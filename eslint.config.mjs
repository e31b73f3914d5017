import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

// Architecture is enforced, not described: apps never import each other, contracts depend on
// nothing, domain rules stay free of I/O libraries (see STYLE.md "Tags in two dimensions").
export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/node_modules', 'dist', '.local', 'deploy', 'bench', 'coverage', '**/*.js', '**/*.mjs'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:claims', onlyDependOnLibsWithTags: ['scope:shared', 'scope:claims'] },
            { sourceTag: 'scope:emoticons', onlyDependOnLibsWithTags: ['scope:shared', 'scope:emoticons'] },
            { sourceTag: 'scope:coupons', onlyDependOnLibsWithTags: ['scope:shared', 'scope:coupons'] },
            { sourceTag: 'scope:passes', onlyDependOnLibsWithTags: ['scope:shared', 'scope:passes'] },
            { sourceTag: 'scope:relief', onlyDependOnLibsWithTags: ['scope:shared', 'scope:relief'] },
            { sourceTag: 'scope:channel', onlyDependOnLibsWithTags: ['scope:shared', 'scope:channel'] },
            { sourceTag: 'scope:ops', onlyDependOnLibsWithTags: ['scope:shared', 'scope:ops'] },
            { sourceTag: 'scope:intake', onlyDependOnLibsWithTags: ['scope:shared', 'scope:intake'] },
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:util'] },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'] },
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:contracts', 'type:util'] },
            { sourceTag: 'type:persistence', onlyDependOnLibsWithTags: ['type:util'] },
            { sourceTag: 'type:telemetry', onlyDependOnLibsWithTags: ['type:util', 'type:auth'] },
            { sourceTag: 'type:auth', onlyDependOnLibsWithTags: ['type:util'] },
            // messaging's own integration tests use the testing helpers (which never import messaging back)
            {
              sourceTag: 'type:messaging',
              onlyDependOnLibsWithTags: ['type:contracts', 'type:persistence', 'type:telemetry', 'type:auth', 'type:util', 'type:testing'],
            },
            {
              sourceTag: 'type:testing',
              onlyDependOnLibsWithTags: ['type:contracts', 'type:persistence', 'type:util'],
            },
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: [
                'type:contracts',
                'type:messaging',
                'type:persistence',
                'type:telemetry',
                'type:domain',
                'type:util',
                'type:testing',
                'type:auth',
              ],
            },
            {
              sourceTag: 'type:tool',
              onlyDependOnLibsWithTags: [
                'type:contracts',
                'type:messaging',
                'type:persistence',
                'type:telemetry',
                'type:domain',
                'type:util',
                'type:testing',
                'type:auth',
              ],
            },
          ],
        },
      ],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Pure rules: no I/O libraries.
    files: ['libs/rules/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['pg', 'typeorm', 'kafkajs', '@nestjs/*', 'node:fs', 'node:net', 'node:http', 'fs', 'http', 'net'] },
      ],
    },
  },
];
