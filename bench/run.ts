// `npm run bench`: each part measures Inkwell beside a baseline taken in the same run, and prints ratios.
//   npm run bench            every part
//   npm run bench -- api     one part
import { benchApi } from './api.ts';
import { benchCollab } from './collab.ts';
import { benchGallery } from './gallery.ts';
import { benchGeneration } from './generation.ts';
import { benchReader } from './reader.ts';

const parts: Record<string, () => Promise<string[]>> = { api: benchApi, collab: benchCollab, generation: benchGeneration, gallery: benchGallery, reader: benchReader };
const chosen = process.argv.slice(2);
for (const name of chosen.length ? chosen : Object.keys(parts)) {
  const part = parts[name];
  if (!part) {
    console.error(`unknown part ${name}; parts: ${Object.keys(parts).join(', ')}`);
    process.exit(2);
  }
  console.log((await part()).join('\n'));
}
process.exit(0);
