import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  castMember,
  character,
  characterParams,
  comicJobParams,
  createCharacterBody,
  styleLock,
  updateCharacterBody,
} from '../characters-contract.ts';
import { ok, uuidParams } from '../contract.ts';
import { requireAuth } from '../plugins/auth.ts';
import type { CharacterService } from '../services/characters.ts';

const tags = ['characters'];

/** A comic's character library and style lock: members see them, editors and the owner change them. */
export const characterRoutes: FastifyPluginAsyncZod<{ characters: CharacterService }> = async (app, { characters }) => {
  app.get(
    '/:id/characters',
    {
      config: { permission: 'comics:create', comicRole: 'viewer' },
      schema: { tags, summary: "The comic's characters, by name", params: uuidParams, response: { 200: ok(z.array(character)) } },
    },
    async (request) => ({ success: true as const, data: await characters.list(requireAuth(request), request.params.id) }),
  );

  app.post(
    '/:id/characters',
    {
      config: { permission: 'comics:create', comicRole: 'editor' },
      schema: {
        tags,
        summary: 'Add a character: a name unique in the comic, a description, 1 to 4 reference images (editors)',
        description: 'The references must be images the caller may use; the caller’s own pictures in no comic become this comic’s, so that every member sees them.',
        params: uuidParams,
        body: createCharacterBody,
        response: { 201: ok(character) },
      },
    },
    async (request, reply) =>
      reply.status(201).send({ success: true as const, data: await characters.create(requireAuth(request), request.params.id, request.body, request.client) }),
  );

  app.patch(
    '/:id/characters/:characterId',
    {
      config: { permission: 'comics:create', comicRole: 'editor' },
      schema: { tags, summary: "Change a character's name, description or references (editors)", params: characterParams, body: updateCharacterBody, response: { 200: ok(character) } },
    },
    async (request) => ({
      success: true as const,
      data: await characters.update(requireAuth(request), request.params.id, request.params.characterId, request.body, request.client),
    }),
  );

  app.delete(
    '/:id/characters/:characterId',
    {
      config: { permission: 'comics:create', comicRole: 'editor' },
      schema: { tags, summary: 'Remove a character (editors); panels already drawn keep their pictures', params: characterParams, response: { 200: ok(z.object({})) } },
    },
    async (request) => {
      await characters.remove(requireAuth(request), request.params.id, request.params.characterId, request.client);
      return { success: true as const, data: {} };
    },
  );

  app.get(
    '/:id/jobs/:jobId/characters',
    {
      config: { permission: 'comics:create', comicRole: 'viewer' },
      schema: { tags, summary: 'The characters a picture drawn for one of the comic’s panels was drawn with', params: comicJobParams, response: { 200: ok(z.array(castMember)) } },
    },
    async (request) => ({ success: true as const, data: await characters.castOfJob(requireAuth(request), request.params.id, request.params.jobId) }),
  );

  app.get(
    '/:id/style-lock',
    {
      config: { permission: 'comics:create', comicRole: 'viewer' },
      schema: { tags, summary: "The comic's style lock: what its panels are drawn with unless a request says otherwise", params: uuidParams, response: { 200: ok(styleLock) } },
    },
    async (request) => ({ success: true as const, data: await characters.styleLock(requireAuth(request), request.params.id) }),
  );

  app.put(
    '/:id/style-lock',
    {
      config: { permission: 'comics:create', comicRole: 'editor' },
      schema: {
        tags,
        summary: "Set the comic's style lock (editors); {} unlocks",
        description: 'stylePreset, negativePrompt and model take the values of the comic-panel workflow’s style, negativePrompt and model.',
        params: uuidParams,
        body: styleLock,
        response: { 200: ok(styleLock) },
      },
    },
    async (request) => ({ success: true as const, data: await characters.setStyleLock(requireAuth(request), request.params.id, request.body, request.client) }),
  );
};
