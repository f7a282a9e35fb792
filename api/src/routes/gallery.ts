import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { galleryComic, galleryQuery, okPage, pagination, profile, profileParams, profileQuery } from '../contract.ts';
import type { GalleryService } from '../services/gallery.ts';

const tags = ['gallery'];

/** Finding comics, for anyone (signed out too): the gallery with its search, and authors' profiles. */
export const galleryRoutes: FastifyPluginAsyncZod<{ gallery: GalleryService }> = async (app, { gallery }) => {
  app.get(
    '/gallery',
    {
      config: { permission: 'comics:read' },
      schema: {
        tags,
        summary: 'Public published comics: searched over title, author, description and bubble text, newest or most read first',
        querystring: galleryQuery,
        response: { 200: okPage(galleryComic) },
      },
    },
    async (request) => {
      const { items, total } = await gallery.gallery(request.query);
      return { success: true as const, data: items, pagination: { page: request.query.page, limit: request.query.limit, total } };
    },
  );

  app.get(
    '/profiles/:username',
    {
      config: { permission: 'comics:read' },
      schema: {
        tags,
        summary: "An author's public profile with their public comics, newest first (paginated)",
        params: profileParams,
        querystring: profileQuery,
        response: { 200: z.object({ success: z.literal(true), data: profile, pagination }) },
      },
    },
    async (request) => {
      const { profile: data, total } = await gallery.profile(request.params.username, request.query);
      return { success: true as const, data, pagination: { ...request.query, total } };
    },
  );
};
