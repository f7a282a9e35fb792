// Starts the gpu-worker: validates configuration, checks each ComfyUI, takes jobs, and on SIGTERM/SIGINT
// stops taking new ones and finishes (or hands back) the running ones.
import { ConfigError, loadConfig } from './config.ts';
import { createGpuWorker } from './worker.ts';

async function main() {
  const config = loadConfig();
  const worker = createGpuWorker(config);
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      console.log(`${signal}: finishing running jobs, taking no new ones`);
      void worker.close().then(() => process.exit(0));
    });
  }
  const port = await worker.start();
  console.log(`gpu-worker on http://${config.host}:${port} (health, metrics), ComfyUI at ${config.comfyUrls.join(', ')}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError || error instanceof Error ? error.message : error);
  process.exit(1);
});
