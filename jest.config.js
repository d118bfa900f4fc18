// Two projects: `unit` (pure logic, no broker) and `integration` (real RabbitMQ on 127.0.0.1:5672).
// ts-jest only transpiles (isolatedModules); `tsc -b` in `pnpm test` does the type checking.
const shared = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }] },
  moduleNameMapper: {
    '^@taskq/core/internal$': '<rootDir>/packages/core/src/internal',
    '^@taskq/(core|worker)$': '<rootDir>/packages/$1/src',
  },
};

module.exports = {
  // Broker round trips are quick, but fault and delay tests wait for real time to pass.
  testTimeout: 60_000,
  reporters: ['default', '<rootDir>/scripts/jest-summary-reporter.js'],
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{packages,apps}/*/test/unit/**/*.test.ts'] },
    {
      ...shared,
      // Restarts RabbitMQ: run alone with `pnpm fault`, never beside the other projects.
      displayName: 'fault',
      testMatch: ['<rootDir>/test/fault/**/*.test.ts'],
    },
    {
      ...shared,
      displayName: 'integration',
      // test/readme: the README's tutorial, run as written (pnpm worker, pnpm send in examples/quickstart).
      testMatch: ['<rootDir>/{packages,apps}/*/test/integration/**/*.test.ts', '<rootDir>/test/readme/**/*.test.ts'],
    },
  ],
};
