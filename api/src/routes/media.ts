import multipart from '@fastify/multipart';
import type { FastifyError, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { mediaItem, mediaQuery, mediaUsage, ok, okPage, panelTarget, placedMedia, updateMediaBody, uploadMediaQuery, uuidParams } from '../contract.ts';
import { AppError, badRequest } from '../errors.ts';
import { formatBytes } from '../lib/format-bytes.ts';
import { PRIVATE_CACHE, PUBLIC_CACHE, RESTRICTED_CACHE } from '../lib/moderation.ts';
import { requireAuth } from '../plugins/auth.ts';
import type { MediaService } from '../services/media.ts';

const tags = ['media'];

/**
 * The uploaded file. The multipart parser's own errors (no boundary, a broken part) carry no status: they are
 * the client's. A file over the limit is cut off as it streams in, and the answer names the limit.
 */
async function readUpload(request: FastifyRequest, maxUploadBytes: number): Promise<{ bytes: Buffer; filename: string }> {
  try {
    const file = await request.file();
    if (!file || file.fieldname !== 'file') throw badRequest('missing_file', 'Send the image in a field named file');
    return { bytes: await file.toBuffer(), filename: file.filename };
  } catch (err) {
    if ((err as Partial<FastifyError>).code === 'FST_REQ_FILE_TOO_LARGE') {
      const limit = formatBytes(maxUploadBytes);
      throw new AppError(413, 'payload_too_large', `The file is over the ${limit} limit`, { limit });
    }
    if (err instanceof AppError || (err as Partial<FastifyError>).statusCode) throw err;
    throw badRequest('malformed_multipart', 'The multipart body is malformed');
  }
}

export const mediaRoutes: FastifyPluginAsyncZod<{ media: MediaService; maxUploadBytes: number }> = async (app, { media, maxUploadBytes }) => {
  await app.register(multipart, { limits: { fileSize: maxUploadBytes, files: 1, fields: 0, parts: 1 } });

  app.post(
    '/',
    {
      config: { permission: 'media:upload' },
      schema: {
        tags,
        summary: 'Upload an image (multipart field `file`); its type is decided from its bytes and it is re-encoded without metadata',
        querystring: uploadMediaQuery,
        response: { 201: ok(mediaItem) },
      },
    },
    async (request, reply) => {
      const auth = requireAuth(request);
      if (!request.isMultipart()) throw badRequest('not_multipart', 'Send the image as multipart/form-data in a field named file');
      const { bytes, filename } = await readUpload(request, maxUploadBytes);
      if (bytes.length === 0) throw badRequest('empty_file', 'The file is empty');
      const item = await media.upload(auth, { bytes, filename, ...request.query }, request.client);
      return reply.status(201).send({ success: true as const, data: item });
    },
  );

  app.get(
    '/',
    {
      config: { permission: 'media:upload' },
      schema: { tags, summary: 'My media (uploads and generations): search by name or prompt, filter by kind, comic and privacy, sort', querystring: mediaQuery, response: { 200: okPage(mediaItem) } },
    },
    async (request) => {
      const { items, total } = await media.list(requireAuth(request), request.query);
      return { success: true as const, data: items, pagination: { page: request.query.page, limit: request.query.limit, total } };
    },
  );

  app.get(
    '/:id/usage',
    { config: { permission: 'media:upload' }, schema: { tags, summary: 'The comics that show this picture (owner): what deleting it would break', params: uuidParams, response: { 200: ok(mediaUsage) } } },
    async (request) => ({ success: true as const, data: await media.usage(requireAuth(request), request.params.id) }),
  );

  app.post(
    '/:id/place',
    {
      config: { permission: 'media:upload' },
      schema: {
        tags,
        summary: 'Use in a comic (owner, and an editor of the comic): fit the picture into a panel, under its lettering, for every collaborator',
        params: uuidParams,
        body: panelTarget,
        response: { 202: ok(placedMedia) },
      },
    },
    async (request, reply) => reply.status(202).send({ success: true as const, data: await media.place(requireAuth(request), request.params.id, request.body) }),
  );

  app.get(
    '/:id',
    { config: { permission: 'comics:read' }, schema: { tags, summary: 'One media item the caller may see', params: uuidParams, response: { 200: ok(mediaItem) } } },
    async (request) => ({ success: true as const, data: await media.get(request.auth, request.params.id) }),
  );

  for (const variant of ['file', 'thumbnail'] as const) {
    app.get(
      `/:id/${variant}`,
      { config: { permission: 'comics:read' }, schema: { tags, summary: variant === 'file' ? 'The image' : 'A small WebP preview, made when first asked for (the picture itself when none can be made, as for a clip)', params: uuidParams } },
      async (request, reply) => {
        const object = await media.open(request.auth, request.params.id, variant);
        // Bytes never change once stored, but moderators may hide a public picture: shared caches revalidate
        // within a minute (see PUBLIC_CACHE); what is not public is cached by the browser only. Neither keeps a
        // picture standing in for its thumbnail, or hidden by moderators.
        const cache = object.restricted || object.standIn ? RESTRICTED_CACHE : object.privacy === 'public' ? PUBLIC_CACHE : PRIVATE_CACHE;
        return reply
          .type(object.mimeType)
          .header('content-length', object.size)
          .header('cache-control', cache)
          .header('content-disposition', `inline; filename="${encodeURIComponent(object.filename)}"`)
          .send(object.body);
      },
    );
  }

  app.patch(
    '/:id',
    { config: { permission: 'media:upload' }, schema: { tags, summary: 'Rename or change privacy (owner)', params: uuidParams, body: updateMediaBody, response: { 200: ok(mediaItem) } } },
    async (request) => ({ success: true as const, data: await media.update(requireAuth(request), request.params.id, request.body, request.client) }),
  );

  app.delete(
    '/:id',
    { config: { permission: 'media:upload' }, schema: { tags, summary: 'Delete (owner)', params: uuidParams, response: { 200: ok(z.object({})) } } },
    async (request) => {
      await media.remove(requireAuth(request), request.params.id, request.client);
      return { success: true as const, data: {} };
    },
  );
};
