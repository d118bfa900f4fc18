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

/** Behaviour tests that hold for every transport: run against RabbitMQ (integration) and memory://. */
const CONFORMANCE = [
  'packages/core/test/integration/producer.test.ts',
  'packages/worker/test/integration/worker.test.ts',
  'packages/worker/test/integration/retries.test.ts',
  'packages/worker/test/integration/dead-letters.test.ts',
  'packages/worker/test/integration/prefetch-and-acks.test.ts',
  'packages/worker/test/integration/routing.test.ts',
  'packages/worker/test/integration/result-backends.test.ts',
  'packages/worker/test/integration/failure-paths.test.ts',
  'packages/worker/test/integration/signing.test.ts',
  'packages/worker/test/integration/time-limits.test.ts',
  'packages/worker/test/integration/quorum-redeliveries.test.ts',
];

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
      // The conformance run: the behaviour tests of producer, worker, results, retries, delays and
      // dead letters again, against the in-memory transport (memory://) instead of RabbitMQ.
      displayName: 'memory',
      setupFiles: ['<rootDir>/test/support/memory-transport.js'],
      testMatch: CONFORMANCE.map((path) => `<rootDir>/${path}`),
    },
    {
      ...shared,
      displayName: 'integration',
      // test/readme: the README's tutorial, run as written (pnpm worker, pnpm send in examples/quickstart).
      testMatch: ['<rootDir>/{packages,apps}/*/test/integration/**/*.test.ts', '<rootDir>/test/readme/**/*.test.ts'],
    },
  ],
};
