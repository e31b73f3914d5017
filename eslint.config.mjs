import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

// Production code (apps/*/src, libs/*/src) never loads a test harness: integration and fault specs
// and their helpers live in apps/<svc>/test, benchmarks in apps/<svc>/bench (issue 20, the room plan).
const productionCode = ['apps/*/src/**/*.ts', 'libs/*/src/**/*.ts'];
const specFiles = ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.fault-spec.ts', '**/*.e2e-spec.ts'];
const testHarnessImports = [
  {
    group: ['@platform/testing', '@platform/*/testing', '@nestjs/testing', '**/test', '**/test/**', '**/testing', '**/testing/**'],
    message:
      'Production code must not import test harnesses; keep them in apps/<svc>/test (or a lib testing entry) and use them from specs, test/, bench/ or tools/.',
  },
];
const ioLibraries = ['pg', 'typeorm', 'kafkajs', '@nestjs/*', 'node:fs', 'node:net', 'node:http', 'fs', 'http', 'net'];

// tools/ is one Nx project per purpose (tools/<dir>/project.json; cross-project imports go through
// the @platform/tools-* paths, since the rule reports relative ones). Layers, bottom up:
//   tool-infra   local Kafka, Postgres, Zipkin (infra): libs, never domain rules, tokens or telemetry
//   tool-ops     npm start/stop, tool credentials, the service registry, the CLIs (ops, cli): infra
//   tool-verify  load generator, audit, drills, benchmarks, scale (loadgen, audit, drill, bench, scale): infra, ops, each other
//   tool-test    the `npm test` runner (test): infra
//   tool-deploy  k8s manifests and the observability checks (k8s, observability): the ops service registry
//   tool         a tool on libs alone (the Nx generators, the docs generator)
// Apps and libs name no type:tool-* tag, so nothing there imports a tool.
const allLibs = [
  'type:contracts',
  'type:messaging',
  'type:persistence',
  'type:telemetry',
  'type:domain',
  'type:util',
  'type:testing',
  'type:auth',
];
const toolOpsMayUse = ['type:tool-infra', 'type:tool-ops', ...allLibs];
const toolConstraints = [
  {
    sourceTag: 'type:tool-infra',
    onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:messaging', 'type:persistence', 'type:testing'],
  },
  { sourceTag: 'type:tool-ops', onlyDependOnLibsWithTags: toolOpsMayUse },
  { sourceTag: 'type:tool-verify', onlyDependOnLibsWithTags: ['type:tool-infra', 'type:tool-ops', 'type:tool-verify', ...allLibs] },
  { sourceTag: 'type:tool-test', onlyDependOnLibsWithTags: ['type:tool-infra', 'type:contracts', 'type:util'] },
  { sourceTag: 'type:tool-deploy', onlyDependOnLibsWithTags: ['type:tool-ops', 'type:contracts', 'type:util'] },
  { sourceTag: 'type:tool', onlyDependOnLibsWithTags: allLibs },
];
// The one upward import in tools/: the ops console's browser spec lives in tools/ops (its README
// points there) and starts its services with the load generator's stack. Allowed for that file
// only (below); the tools-ops <-> tools-loadgen project cycle it makes is ignored for that reason.
const opsConsoleBrowserSpec = 'tools/ops/ops-console.e2e-spec.ts';
const toolCycles = [['tools-ops', 'tools-loadgen']];

/** The module-boundary rule with these constraints (a block that sets it again replaces them, it does not add to them). */
const moduleBoundaries = (depConstraints) => [
  'error',
  { enforceBuildableLibDependency: false, allow: [], ignoredCircularDependencies: toolCycles, depConstraints },
];

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
      '@nx/enforce-module-boundaries': moduleBoundaries([
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
        { sourceTag: 'type:app', onlyDependOnLibsWithTags: allLibs },
        ...toolConstraints,
      ]),
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The file's project is tools-ops (scope:shared, type:tool-ops): only those two constraints apply to it.
    files: [opsConsoleBrowserSpec],
    rules: {
      '@nx/enforce-module-boundaries': moduleBoundaries([
        { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
        { sourceTag: 'type:tool-ops', onlyDependOnLibsWithTags: [...toolOpsMayUse, 'type:tool-verify'] },
      ]),
    },
  },
  {
    // No test harness in production code (libs/testing is the harness itself).
    files: productionCode,
    ignores: [...specFiles, 'libs/testing/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: testHarnessImports }] },
  },
  {
    // Pure rules: no I/O libraries.
    files: ['libs/rules/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ioLibraries }] },
  },
  {
    // The rules' production code: both (a later block replaces the rule's options, it does not merge them).
    files: ['libs/rules/src/**/*.ts'],
    ignores: specFiles,
    rules: { 'no-restricted-imports': ['error', { patterns: [...ioLibraries.map((p) => ({ group: [p] })), ...testHarnessImports] }] },
  },
];
