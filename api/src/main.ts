// Starts the API: validates configuration, migrates the database, serves, and shuts down cleanly.
import { migrateDatabase } from '@inkwell/db';
import { buildApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { describeConnectionError } from './lib/connection-errors.ts';

async function main() {
  const config = loadConfig();
  try {
    await migrateDatabase(config.databaseUrl);
  } catch (error) {
    throw new Error(describeConnectionError('Postgres', config.databaseUrl, error), { cause: error });
  }
  const app = await buildApp(config);
  if (config.superAdmin) {
    const result = await app.admin.ensureSuperAdmin(config.superAdmin);
    if (result === 'created') app.log.info(`super admin ${config.superAdmin.username} created`);
  }

  let closing = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      if (closing) return;
      closing = true;
      app.log.info(`${signal}: closing`);
      const force = setTimeout(() => process.exit(1), 10_000);
      force.unref();
      void app.close().then(() => process.exit(0));
    });
  }
  await app.listen({ host: config.host, port: config.port });
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError || error instanceof Error ? error.message : error);
  process.exit(1);
});
