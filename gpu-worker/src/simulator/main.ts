// Runs the ComfyUI simulator on its own: `npm run simulator --workspace gpu-worker`, and what `npm start` uses
// when no ComfyUI address is configured.
//
//   PORT              port to listen on (default 8188)
//   HOST              address to listen on (default 127.0.0.1)
//   SIM_STEP_MS       time per sampler step in ms (default 50)
//   SIM_NODE_MS       time per other node in ms (default 0)
//   SIM_MODELS        JSON object of model lists per folder, replacing those folders' defaults,
//                     e.g. {"checkpoints":["sd_xl_base_1.0.safetensors"],"loras":["comic.safetensors"]}
//   SIM_EXTRA_NODES   comma-separated JSON files of extra node definitions (/object_info format); default:
//                     every workflows/custom-nodes/*.json of this repository
//   SIM_LOG           1 to log every request and prompt
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { MODEL_FOLDERS, type ModelLists, type ObjectInfo } from './catalogue.ts';
import { createComfySimulator } from './server.ts';

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(8188),
  HOST: z.string().min(1).default('127.0.0.1'),
  SIM_STEP_MS: z.coerce.number().min(0).max(60_000).default(50),
  SIM_NODE_MS: z.coerce.number().min(0).max(60_000).default(0),
  SIM_MODELS: z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (!text) return undefined;
      try {
        const parsed = z.partialRecord(z.enum(MODEL_FOLDERS as [string, ...string[]]), z.array(z.string())).parse(JSON.parse(text));
        return parsed as ModelLists;
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `SIM_MODELS must be a JSON object of folder → file names (${err instanceof Error ? err.message : String(err)})` });
        return z.NEVER;
      }
    }),
  SIM_EXTRA_NODES: z.string().optional(),
  SIM_LOG: z.enum(['0', '1', 'true', 'false']).default('0'),
});

const parsed = schema.safeParse(process.env);
if (!parsed.success) {
  for (const issue of parsed.error.issues) console.error(`Invalid ${issue.path.join('.')}: ${issue.message}`);
  process.exit(1);
}
const env = parsed.data;

function extraNodeFiles(): string[] {
  if (env.SIM_EXTRA_NODES) return env.SIM_EXTRA_NODES.split(',').map((s) => s.trim()).filter(Boolean);
  const dir = fileURLToPath(new URL('../../../workflows/custom-nodes/', import.meta.url));
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => join(dir, f));
}

let extraNodes: ObjectInfo = {};
for (const file of extraNodeFiles()) {
  try {
    extraNodes = { ...extraNodes, ...(JSON.parse(readFileSync(file, 'utf8')) as ObjectInfo) };
  } catch (err) {
    console.error(`Cannot read node definitions from ${file}: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}

const sim = await createComfySimulator({
  port: env.PORT,
  host: env.HOST,
  stepMs: env.SIM_STEP_MS,
  nodeMs: env.SIM_NODE_MS,
  models: env.SIM_MODELS,
  extraNodes,
  log: env.SIM_LOG === '1' || env.SIM_LOG === 'true' ? (line) => console.log(line) : undefined,
});
console.log(`ComfyUI simulator (simulated pictures, no GPU) listening on ${sim.url}; ${Object.keys(extraNodes).length} extra node classes; ${env.SIM_STEP_MS} ms per step`);

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: closing the simulator`);
  const force = setTimeout(() => process.exit(1), 5_000);
  force.unref();
  void sim.close().then(() => process.exit(0));
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
