// One jest config, four projects: fast pure unit tests, and suites that talk to real Kafka and
// Postgres (integration per service, end-to-end across services, fault drills).
const fs = require('node:fs');
const swcrc = JSON.parse(fs.readFileSync(`${__dirname}/.swcrc`, 'utf8'));
const transform = { '^.+\\.ts$': ['@swc/jest', { ...swcrc, swcrc: false }] };
const moduleNameMapper = {
  '^@platform/messaging/testing$': '<rootDir>/libs/messaging/test/index.ts',
  '^@platform/auth/testing$': '<rootDir>/libs/auth/testing/index.ts',
  '^@platform/(contracts|messaging|persistence|telemetry|rules|config|testing|auth)$': '<rootDir>/libs/$1/src/index.ts',
  // tools/* projects that others build on (tsconfig.base.json paths)
  '^@platform/tools-audit/testing$': '<rootDir>/tools/audit/testing/service-schema.ts',
  '^@platform/tools-(infra|ops|audit|loadgen)$': '<rootDir>/tools/$1/index.ts',
};
const base = {
  rootDir: __dirname,
  transform,
  moduleNameMapper,
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/tools'],
  modulePathIgnorePatterns: ['<rootDir>/.local', '<rootDir>/dist'],
};
module.exports = {
  projects: [
    { ...base, displayName: 'unit', testMatch: ['**/*.spec.ts'] },
    { ...base, displayName: 'integration', testMatch: ['**/*.int-spec.ts'], slowTestThreshold: 30 },
    { ...base, displayName: 'e2e', testMatch: ['**/*.e2e-spec.ts'], slowTestThreshold: 120 },
    { ...base, displayName: 'fault', testMatch: ['**/*.fault-spec.ts'], slowTestThreshold: 120 },
  ],
};
