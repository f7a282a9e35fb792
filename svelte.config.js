// The one SvelteKit configuration. SvelteKit 3 takes its options through the Vite plugin
// (`sveltekit(config)` in web/vite.config.ts) and refuses a svelte.config.js inside the Vite root,
// so it lives here, beside the workspaces, and the web build imports it.
import adapter from '@sveltejs/adapter-node';

/** @type {import('@sveltejs/kit/vite').Config} */
const config = {
  // web/server.ts imports build/handler.js and serves it behind the same origin as the API.
  adapter: adapter({ out: 'build' }),
  compilerOptions: { runes: true },
  // Scripts only from our origin (SvelteKit adds hashes or nonces for its own inline bootstrap).
  // Inline styles stay allowed: Svelte transitions and the canvas set style attributes.
  csp: {
    mode: 'auto',
    directives: {
      'default-src': ['self'],
      'script-src': ['self'],
      'style-src': ['self', 'unsafe-inline'],
      'img-src': ['self', 'data:', 'blob:'],
      'font-src': ['self', 'data:'],
      'connect-src': ['self'],
      'worker-src': ['self', 'blob:'],
      'object-src': ['none'],
      'base-uri': ['self'],
      'form-action': ['self'],
      'frame-ancestors': ['none'],
    },
  },
};

export default config;
