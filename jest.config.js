/**
 * Two projects. `fast` needs no Temporal dev server: unit, property, LLM-client tests over local fake HTTP
 * servers, time-skipping workflow tests with mocked activities (Temporal's test server) and the replay of
 * recorded histories; it is `npm run test:fast`. `e2e` runs real workers against a real dev server (its
 * global setup starts one) and spawns the CLI. `npm test` runs both.
 * @type {import('jest').Config}
 */
const common = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': ['ts-jest', {}] },
};
const E2E = ['\\.e2e\\.test\\.ts$', '/test/cli\\.test\\.ts$', '/test/connection\\.test\\.ts$'];

module.exports = {
  testTimeout: 180000,
  maxWorkers: 2,
  projects: [
    {
      ...common,
      displayName: 'fast',
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', ...E2E],
      globalSetup: '<rootDir>/test/setup/fast-setup.ts',
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['**/*.e2e.test.ts', '<rootDir>/test/cli.test.ts', '<rootDir>/test/connection.test.ts'],
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
    },
    {
      // not a test: records a release's workflow histories (npm run histories:record), see the file
      ...common,
      displayName: 'record',
      testMatch: ['<rootDir>/test/histories/record.ts'],
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
    },
  ],
};
