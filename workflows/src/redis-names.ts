import { z } from 'zod';

/**
 * The Redis names the services share, under one deployment's prefix (REDIS_PREFIX): the one place where
 * producers and consumers learn them. Queue names themselves are in `queue.ts`; their keys live under `bull`.
 */
export function redisNames(prefix: string) {
  return {
    /** BullMQ's key prefix, for every queue. */
    bull: `${prefix}bull`,
    /** Hocuspocus' Redis extension: the collab-servers share document updates and presence under it. */
    collab: `${prefix}collab`,
    /** Pub/sub, API to collab-servers: a member's role on a comic changed, or the comic was deleted. */
    comicAccess: `${prefix}comic-access`,
    /** Pub/sub, API to API instances and collab-servers: a session ended, or a user's account changed. */
    sessionInvalidations: `${prefix}session-invalidations`,
    /** Pub/sub, API to collab-servers: a comic's comments changed (a `CommentChange`), for everyone on it to hear. */
    comments: `${prefix}comments`,
    /** Pub/sub, API to gpu-workers: the id of a job someone cancelled. */
    generationCancel: `${prefix}generation-cancel`,
    /**
     * Pub/sub, gpu-workers to API instances: one job's progress and preview frames (a GenerationProgress),
     * heard only by an instance with an event stream of that job open (subscribed while it is).
     */
    jobProgress: (jobId: string) => `${prefix}job-progress:${jobId}`,
    /**
     * Pub/sub, gpu-workers to collab-servers: the progress and preview frames of the panel jobs of one comic,
     * heard only by a collab-server that has the comic's document loaded (subscribed while it has).
     */
    comicProgress: (comicId: string) => `${prefix}comic-progress:${comicId}`,
  } as const;
}

/** A message on `jobProgress` and `comicProgress`: a running job's progress, with a preview frame now and then. */
export const generationProgress = z.object({
  jobId: z.string().min(1),
  percent: z.number(),
  step: z.number().optional(),
  steps: z.number().optional(),
  /** A small JPEG of the picture developing, as a data: URL. */
  preview: z.string().optional(),
  target: z.object({ comicId: z.string(), panelId: z.string() }).nullable(),
});
export type GenerationProgress = z.infer<typeof generationProgress>;

/**
 * A message on `sessionInvalidations`. `session`: that session ended (sign-out, revocation, password
 * change, deactivation, role change); its open connections close. `user`: what was read about the user
 * is stale (their sessions go on).
 */
export const sessionInvalidation = z.object({ kind: z.enum(['user', 'session']), id: z.string().min(1) });
export type SessionInvalidation = z.infer<typeof sessionInvalidation>;

/** A message on `comments`: which comment of which comic changed, and how. Never its text. */
export const commentChange = z.object({
  comicId: z.uuid(),
  event: z.enum(['created', 'updated', 'deleted']),
  threadId: z.uuid(),
  commentId: z.uuid(),
});
export type CommentChange = z.infer<typeof commentChange>;

/** A pub/sub message read with its schema; undefined when it is not JSON or not one. */
export function parseMessage<T>(schema: z.ZodType<T>, raw: string): T | undefined {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}
