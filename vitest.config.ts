import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{api,db,collab-server,gpu-worker,workflows,storage}/{src,test}/**/*.test.ts', 'web/{src,test}/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    env: {
      DATABASE_URL: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/inkwell_test',
      REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    },
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
