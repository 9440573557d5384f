import { defineConfig } from 'vitest/config';
import { createRequire } from 'node:module';

const require = createRequire(new URL('./server/package.json', import.meta.url));

// One vitest run covers every test: unit specs beside the code, integration and e2e under test/,
// then the fault tests, alone, because they kill processes and restart the shared Redis.
// Tests talk to the real Postgres and Redis named by TEST_DATABASE_URL / REDIS_URL (test/setup).
export default defineConfig({
  // Vite prefers graphql's ESM build while type-graphql and Apollo (loaded by Node) get its CJS build:
  // two copies of graphql cannot share a schema, so every import goes to the one Node resolves.
  resolve: { alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }] },
  test: {
    globalSetup: ['test/setup/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // 2-core machines: a few files at a time keeps timing-sensitive tests honest.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['server/src/**/*.spec.ts', 'test/**/*.test.ts', 'web/src/**/*.spec.ts', 'test/meta-simulator/src/**/*.spec.ts'],
          exclude: ['**/node_modules/**', 'test/bench/**', 'test/faults/**'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 240_000,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
