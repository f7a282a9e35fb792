/**
 * Shapes of a comic's character library and style lock (`/api/v1/comics/:id/characters`, `/style-lock`):
 * shared by the API (validation, OpenAPI) and the web's Characters panel.
 */
import { z } from 'zod';

const uuid = z.uuid({ error: 'Must be a UUID' });

export const characterName = z.string().trim().min(1, 'Give the character a name').max(80, 'A name has at most 80 characters');
export const characterDescription = z.string().trim().max(1000, 'A description has at most 1000 characters');
export const MAX_REFERENCES = 4;
export const referenceMediaIds = z
  .array(z.uuid({ error: 'Choose an image from your media' }))
  .min(1, 'Give the character at least one reference image')
  .max(MAX_REFERENCES, `At most ${MAX_REFERENCES} reference images`)
  .refine((ids) => new Set(ids).size === ids.length, 'Each image once');

export const characterParams = z.object({ id: uuid, characterId: uuid }).strict();
export const comicJobParams = z.object({ id: uuid, jobId: uuid }).strict();

export const createCharacterBody = z
  .object({ name: characterName, description: characterDescription.default(''), referenceMediaIds })
  .strict();
export const updateCharacterBody = z
  .object({ name: characterName.optional(), description: characterDescription.optional(), referenceMediaIds: referenceMediaIds.optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'Nothing to change');
export type CreateCharacterBody = z.input<typeof createCharacterBody>;
export type UpdateCharacterBody = z.input<typeof updateCharacterBody>;

export const characterReference = z.object({ id: z.string(), url: z.string(), thumbnailUrl: z.string().nullable() });
export const character = z.object({
  id: z.string(),
  comicId: z.string(),
  name: z.string(),
  description: z.string(),
  /** In order, the first is the main one; an image deleted since is left out. */
  references: z.array(characterReference),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Character = z.infer<typeof character>;

/** The characters a panel's picture was drawn with, as its job recorded them. */
export const castMember = z.object({ id: z.string(), name: z.string() });
export type CastMember = z.infer<typeof castMember>;

/**
 * What every panel of the comic is drawn with unless its request says otherwise: a style preset, words to keep
 * out, a model (values of the comic-panel workflow's `style`, `negativePrompt` and `model`). `{}` locks nothing.
 */
export const styleLock = z
  .object({
    stylePreset: z.string().min(1).max(64).optional(),
    negativePrompt: z.string().trim().max(2000, 'A negative prompt has at most 2000 characters').optional(),
    model: z.string().min(1).max(64).optional(),
  })
  .strict();
export type StyleLock = z.infer<typeof styleLock>;
