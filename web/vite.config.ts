import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';
import config from '../svelte.config.js';

const api = process.env.API_INTERNAL_URL ?? 'http://127.0.0.1:4000';
const collab = process.env.COLLAB_INTERNAL_URL ?? 'http://127.0.0.1:4100';

export default defineConfig({
  plugins: [sveltekit(config)],
  build: {
    // tldraw's fonts, icons and translations (@tldraw/assets, imported by the canvas) are always files of
    // this origin: a translation inlined as a data: URL would be fetched, and the CSP's connect-src is 'self'.
    assetsInlineLimit: (file) => (file.includes('/@tldraw/assets/') ? false : undefined),
    // The canvas chunk (tldraw, React, Yjs: about 2 MB, 0.6 MB gzipped) loads on the comic page only.
    chunkSizeWarningLimit: 2500,
    rolldownOptions: {
      onwarn(warning, warn) {
        // tldraw's UI library marks its modules "use client" for React Server Components; nothing here uses them.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE' && warning.message.includes('"use client"')) return;
        warn(warning);
      },
    },
  },
  // `vite dev` stands in for web/server.ts: the same routes to the API and the collab server.
  server: {
    proxy: {
      '/api': { target: api, xfwd: true },
      '/collab': { target: collab, ws: true, xfwd: true },
    },
  },
});
