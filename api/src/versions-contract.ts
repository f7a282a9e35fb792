/**
 * Shapes of a comic's version history (`/api/v1/comics/:id/versions`), shared by the API (validation,
 * OpenAPI) and the web's history panel.
 */
import { z } from 'zod';
import { VERSION_KINDS, pageQuery, uuid } from './contract.ts';

export const versionParams = z.object({ id: uuid, versionId: uuid }).strict();
export const versionsQuery = z.object({ ...pageQuery }).strict();
export const createVersionBody = z
  .object({ name: z.string().trim().min(1, 'Give the version a name').max(120, 'A name has at most 120 characters') })
  .strict();

const box = { x: z.number(), y: z.number(), w: z.number(), h: z.number() };
const person = z.object({ id: z.string(), username: z.string() });

export const versionSummary = z.object({
  pages: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      bounds: z.object(box).nullable(),
      panels: z.array(
        z.object({
          id: z.string(),
          ...box,
          images: z.array(z.string()),
          text: z.array(z.string()),
          art: z.array(z.object({ mediaId: z.string(), ...box })),
          lettering: z.array(
            z.object({
              id: z.string(),
              kind: z.string(),
              ...box,
              tail: z.object({ x: z.number(), y: z.number() }).nullable(),
              text: z.string(),
              font: z.string(),
              size: z.string(),
              align: z.string(),
              color: z.string(),
            }),
          ),
        }),
      ),
    }),
  ),
});

export const versionItem = z.object({
  id: z.string(),
  kind: z.enum(VERSION_KINDS),
  /** Named versions only. */
  name: z.string().nullable(),
  /** Who saved, published or restored; null for automatic versions. */
  createdBy: person.nullable(),
  /** Who changed the comic since the version before. */
  contributors: z.array(person),
  pages: z.number().int(),
  panels: z.number().int(),
  createdAt: z.string(),
});
export type VersionItem = z.infer<typeof versionItem>;

/** What changed since the version before, panel by panel (ids of the panels). */
export const versionChanges = z.object({
  /** Null for the first version: then every panel counts as added. */
  previousId: z.string().nullable(),
  panelsAdded: z.array(z.string()),
  panelsRemoved: z.array(z.string()),
  /** Their pictures changed. */
  panelsRedrawn: z.array(z.string()),
  textChanged: z.array(z.string()),
});
export type VersionChanges = z.infer<typeof versionChanges>;

export const versionDetail = versionItem.extend({ summary: versionSummary, changes: versionChanges });
export type VersionDetail = z.infer<typeof versionDetail>;

export const restoreResult = z.object({
  /** The version that keeps the comic as it was just before: restoring it undoes this restore. */
  before: versionItem,
});
export type RestoreResult = z.infer<typeof restoreResult>;
