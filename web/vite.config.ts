import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';
import config from '../svelte.config.js';

const api = process.env.API_INTERNAL_URL ?? 'http://127.0.0.1:4000';
const collab = process.env.COLLAB_INTERNAL_URL ?? 'http://127.0.0.1:4100';

export default defineConfig({
  plugins: [sveltekit(config)],
  // `vite dev` stands in for web/server.ts: the same routes to the API and the collab server.
  server: {
    proxy: {
      '/api': { target: api, xfwd: true },
      '/collab': { target: collab, ws: true, xfwd: true },
    },
  },
});
