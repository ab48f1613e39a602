/**
 * Projects by folder. `fast` (test/unit, test/workflows) needs no Temporal dev server: unit, property, LLM-client
 * tests over local fake HTTP servers, time-skipping workflow tests with mocked activities (Temporal's test
 * server) and the replay of recorded histories; it is `npm run test:fast`. `e2e` (test/e2e) runs real workers
 * against a real dev server (its global setup starts one) and spawns the CLI. `npm test` runs both.
 * Helpers, fakes and fixtures live in test/helpers, test/fakes and test/fixtures.
 * @type {import('jest').Config}
 */
const common = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', {}] },
};

module.exports = {
  testTimeout: 180000,
  maxWorkers: 2,
  projects: [
    {
      ...common,
      displayName: 'fast',
      roots: ['<rootDir>/test/unit', '<rootDir>/test/workflows'],
      testMatch: ['**/*.test.ts'],
      globalSetup: '<rootDir>/test/setup/fast-setup.ts',
    },
    {
      ...common,
      displayName: 'e2e',
      roots: ['<rootDir>/test/e2e'],
      testMatch: ['**/*.test.ts'],
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
      // no "unknown format" line on stderr in any e2e run (issue 22)
      setupFilesAfterEnv: ['<rootDir>/test/setup/e2e-stderr.ts'],
    },
    {
      // the self-hosted cluster of temporal/cluster/local.sh (PostgreSQL, a Temporal server built from
      // source), not in `npm test`: `npm run test:cluster` starts the cluster, runs this project, stops it
      ...common,
      displayName: 'cluster',
      roots: ['<rootDir>/test/cluster'],
      testMatch: ['**/*.test.ts'],
      globalSetup: '<rootDir>/test/setup/cluster-setup.ts',
      setupFilesAfterEnv: ['<rootDir>/test/setup/e2e-stderr.ts'],
    },
    {
      // not a test: records a release's workflow histories (npm run histories:record), see the file
      ...common,
      displayName: 'record',
      roots: ['<rootDir>/test/histories'],
      testMatch: ['<rootDir>/test/histories/record.ts'],
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
    },
  ],
};
