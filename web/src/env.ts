import { defineEnvVars } from '@sveltejs/kit/env';

export const variables = defineEnvVars({
  API_INTERNAL_URL: {
    description: 'Where the server reaches the API (the browser always goes through /api on this origin)',
    schema: (value) => (value || 'http://127.0.0.1:4000').replace(/\/$/, ''),
  },
  PUBLIC_URL: {
    description: "The site's address as people reach it, for absolute links in link previews (else the request's origin); every page's data carries it",
    schema: (value) => value?.trim().replace(/\/$/, '') ?? '',
  },
  PUBLIC_TLDRAW_LICENSE_KEY: {
    public: true,
    description:
      'The tldraw license key for the comic canvas. Without one tldraw runs unlicensed: on an https site it hides the editor after 5 seconds.',
    schema: (value) => value?.trim() ?? '',
  },
});
