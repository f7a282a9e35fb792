import { defineConfig, devices } from '@playwright/test';
import { SUPER_ADMIN } from './e2e/accounts.ts';

// The whole app on its own port and database, started by the same orchestrator as `npm start`.
// The web app must be built first (`npm run build`).
const port = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: 'e2e',
  fullyParallel: true,
  forbidOnly: Boolean(process.env.CI),
  retries: process.env.CI ? 1 : 0,
  reporter: process.env.CI ? 'list' : [['list'], ['html', { open: 'never' }]],
  use: {
    baseURL,
    trace: 'retain-on-failure',
    launchOptions: {
      // Playwright cannot download its own browser here: Debian's chromium (apt-get install chromium).
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
  projects: [
    { name: 'desktop', use: { ...devices['Desktop Chrome'] } },
    { name: 'phone', use: { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true } },
  ],
  webServer: {
    command: 'node scripts/run-all.ts',
    // The front server answers /healthz before the API is up; this answers once the API does.
    url: `${baseURL}/api/v1/status`,
    reuseExistingServer: !process.env.CI,
    timeout: 120_000,
    env: {
      PORT: String(port),
      API_PORT: String(port + 1),
      COLLAB_PORT: String(port + 2),
      SIMULATOR_PORT: String(port + 3),
      WORKER_PORT: String(port + 4),
      // Pictures in a few seconds, so that tests watch a whole generation.
      SIM_STEP_MS: '60',
      PUBLIC_URL: baseURL,
      DATABASE_URL: process.env.E2E_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/inkwell_e2e',
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      // Own queues and channels, so a running `npm start` stack neither takes these jobs nor hears these messages.
      REDIS_PREFIX: process.env.E2E_REDIS_PREFIX ?? 'inkwell-e2e:',
      // Every test registers and signs in from the same address; the API's own tests cover its rate limits.
      RATE_LIMIT_DISABLED: 'true',
      // An administrator who gives test accounts the roles they need (e2e/accounts.ts: grantRole).
      SUPERADMIN_EMAIL: SUPER_ADMIN.email,
      SUPERADMIN_USERNAME: SUPER_ADMIN.username,
      SUPERADMIN_PASSWORD: SUPER_ADMIN.password,
    },
  },
});
