import { defineConfig } from 'vitest/config';
import { createRequire } from 'node:module';

const require = createRequire(new URL('./server/package.json', import.meta.url));

// One vitest run covers every test: unit specs beside the code, integration and e2e under test/.
// Tests talk to the real Postgres and Redis named by DATABASE_URL / REDIS_URL (see test/setup).
export default defineConfig({
  // Vite prefers graphql's ESM build while type-graphql and Apollo (loaded by Node) get its CJS build:
  // two copies of graphql cannot share a schema, so every import goes to the one Node resolves.
  resolve: { alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }] },
  test: {
    include: ['server/src/**/*.spec.ts', 'test/**/*.test.ts', 'web/src/**/*.spec.ts', 'test/meta-simulator/src/**/*.spec.ts'],
    exclude: ['**/node_modules/**', 'test/bench/**'],
    globalSetup: ['test/setup/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // 2-core machines: a few files at a time keeps timing-sensitive tests honest.
    maxWorkers: 2,
  },
});
