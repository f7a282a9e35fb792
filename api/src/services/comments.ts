// Comments on a comic's canvas: threads pinned to a shape or a point, replies, resolving and reopening,
// edits by their author, deletion by their author or the comic's owner. Every member may comment, viewers
// included. Mentions of members and replies notify people; every change is announced for the live relay.
import { and, asc, count, eq, getTableColumns, inArray, isNull, or, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Database } from '@inkwell/db';
import { schema } from '@inkwell/db';
import type { CommentChange } from '@inkwell/workflows';
import { type CommentAnchor, type CommentItem, type CommentThread, MAX_COMMENT_REPLIES, MAX_COMMENT_THREADS } from '../contract.ts';
import { badRequest, conflict, forbidden, notFound } from '../errors.ts';
import type { ComicService } from './comics.ts';
import type { Notify } from './notifications.ts';
import type { Auth } from './sessions.ts';

const { comicMembers, comics, comments, users } = schema;

/** `@name` at the start or after a space or punctuation (not inside an address like a@b.c). */
const MENTION = /(?:^|[^\w@.-])@([A-Za-z0-9_-]{3,32})\b/g;
/** How much of a comment a notification quotes. */
const EXCERPT_LENGTH = 140;

export function mentionedNames(body: string): string[] {
  return [...new Set([...body.matchAll(MENTION)].map((match) => match[1]!.toLowerCase()))];
}

const excerpt = (body: string) => (body.length > EXCERPT_LENGTH ? `${body.slice(0, EXCERPT_LENGTH - 1)}…` : body);

type Row = typeof comments.$inferSelect & { authorName: string | null; resolverName: string | null };

function itemOf(row: Row): CommentItem {
  return {
    id: row.id,
    author: row.userId && row.authorName ? { id: row.userId, username: row.authorName } : null,
    body: row.body,
    editedAt: row.editedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

export function createCommentService(deps: {
  db: Database;
  comics: Pick<ComicService, 'requireRole'>;
  notify: Notify;
  /** Tells the collab-servers, which tell everyone on the comic; a failure is logged, never the request's. */
  announce(change: CommentChange): Promise<void>;
}) {
  const { db, notify, announce } = deps;
  const resolver = alias(users, 'resolver');

  /** The comic's comments (or one thread's) with their authors' and resolvers' names, oldest first. */
  function rowsOf(comicId: string, threadId?: string): Promise<Row[]> {
    return db
      .select({ ...getTableColumns(comments), authorName: users.username, resolverName: resolver.username })
      .from(comments)
      .leftJoin(users, eq(users.id, comments.userId))
      .leftJoin(resolver, eq(resolver.id, comments.resolvedBy))
      .where(and(eq(comments.comicId, comicId), threadId ? or(eq(comments.id, threadId), eq(comments.parentId, threadId)) : undefined))
      .orderBy(asc(comments.createdAt), asc(comments.id));
  }

  function threadsOf(rows: Row[]): CommentThread[] {
    const threads = new Map<string, CommentThread>();
    for (const row of rows) {
      if (row.parentId === null) {
        threads.set(row.id, {
          ...itemOf(row),
          anchor: row.anchor as CommentAnchor,
          resolvedAt: row.resolvedAt?.toISOString() ?? null,
          resolvedBy: row.resolvedAt ? row.resolverName : null,
          replies: [],
        });
      }
    }
    for (const row of rows) if (row.parentId) threads.get(row.parentId)?.replies.push(itemOf(row));
    return [...threads.values()];
  }

  async function thread(comicId: string, threadId: string): Promise<CommentThread> {
    const [found] = threadsOf(await rowsOf(comicId, threadId));
    if (!found) throw notFound('Comment');
    return found;
  }

  /** The comment, if it belongs to this comic; 404 otherwise (another comic's ids are not told apart from none). */
  async function commentOf(comicId: string, commentId: string) {
    const [row] = await db.select().from(comments).where(and(eq(comments.id, commentId), eq(comments.comicId, comicId)));
    if (!row) throw notFound('Comment');
    return row;
  }

  /** The members among these (lower-cased) usernames. */
  async function membersNamed(comicId: string, names: string[]): Promise<string[]> {
    if (names.length === 0) return [];
    const rows = await db
      .select({ id: users.id })
      .from(comicMembers)
      .innerJoin(users, and(eq(users.id, comicMembers.userId), eq(users.isActive, true)))
      .where(and(eq(comicMembers.comicId, comicId), inArray(sql`lower(${users.username})`, names)));
    return rows.map((row) => row.id);
  }

  /**
   * Mentioned members hear of it as a mention; on a reply, the thread's author and everyone who replied
   * before (still members) as a reply. Never the writer, never twice, never someone outside the comic.
   */
  async function notifyAbout(actor: Auth, comicId: string, comment: { id: string; threadId: string; body: string }, options: { reply: boolean; alreadyMentioned?: string[] }) {
    const skip = new Set([actor.user.id]);
    const mentioned = (await membersNamed(comicId, mentionedNames(comment.body).filter((name) => !options.alreadyMentioned?.includes(name)))).filter((id) => !skip.has(id));
    for (const id of mentioned) skip.add(id);
    let participants: string[] = [];
    if (options.reply) {
      const rows = await db
        .selectDistinct({ userId: comments.userId })
        .from(comments)
        .innerJoin(comicMembers, and(eq(comicMembers.comicId, comicId), eq(comicMembers.userId, comments.userId)))
        .where(or(eq(comments.id, comment.threadId), eq(comments.parentId, comment.threadId)));
      participants = rows.flatMap((row) => (row.userId && !skip.has(row.userId) ? [row.userId] : []));
    }
    if (mentioned.length === 0 && participants.length === 0) return;
    const [comic] = await db.select({ title: comics.title }).from(comics).where(eq(comics.id, comicId));
    const payload = { comicId, comicTitle: comic?.title ?? null, threadId: comment.threadId, commentId: comment.id, by: actor.user.username, excerpt: excerpt(comment.body) };
    await notify(mentioned, 'mention', payload);
    await notify(participants, 'reply', payload);
  }

  return {
    async list(actor: Auth, comicId: string): Promise<CommentThread[]> {
      await deps.comics.requireRole(actor, comicId, 'viewer');
      return threadsOf(await rowsOf(comicId));
    },

    /** One thread, by its first comment's id: a canvas told of a change to it loads only it. */
    async thread(actor: Auth, comicId: string, threadId: string): Promise<CommentThread> {
      await deps.comics.requireRole(actor, comicId, 'viewer');
      return thread(comicId, threadId);
    },

    /**
     * A new thread at an anchor, or a reply (a reply to a reply joins the same thread). Returns the thread.
     * A comic holds at most MAX_COMMENT_THREADS threads and a thread MAX_COMMENT_REPLIES replies: the count
     * is taken under a lock on the comic's row (on the thread's, for a reply), so two posts at the limit at
     * once cannot both pass. A refused post changes nothing and tells no one.
     */
    async create(actor: Auth, comicId: string, input: { body: string; anchor?: CommentAnchor | undefined; parentId?: string | undefined }): Promise<CommentThread> {
      await deps.comics.requireRole(actor, comicId, 'viewer');
      const created = await db.transaction(async (tx) => {
        let threadId: string | null = null;
        if (input.parentId) {
          const parent = await tx.select({ parentId: comments.parentId }).from(comments).where(and(eq(comments.id, input.parentId), eq(comments.comicId, comicId)));
          if (!parent[0]) throw badRequest('invalid_parent', 'The comment you reply to does not exist (any more)');
          threadId = parent[0].parentId ?? input.parentId;
          // The thread may have gone since (deleted with its replies): then there is nothing to reply to.
          const [locked] = await tx.select({ id: comments.id }).from(comments).where(eq(comments.id, threadId)).for('no key update');
          if (!locked) throw badRequest('invalid_parent', 'The comment you reply to does not exist (any more)');
          const [replies] = await tx.select({ n: count() }).from(comments).where(eq(comments.parentId, threadId));
          if (replies!.n >= MAX_COMMENT_REPLIES) {
            throw conflict('too_many_replies', `This thread has ${MAX_COMMENT_REPLIES} replies, the most it can hold: start a new thread to go on, or delete replies no longer needed`);
          }
        } else {
          await tx.select({ id: comics.id }).from(comics).where(eq(comics.id, comicId)).for('no key update');
          const [threads] = await tx
            .select({ n: count() })
            .from(comments)
            .where(and(eq(comments.comicId, comicId), isNull(comments.parentId)));
          if (threads!.n >= MAX_COMMENT_THREADS) {
            throw conflict('too_many_comments', `This comic has ${MAX_COMMENT_THREADS} comment threads, the most it can hold: delete old threads (resolved ones first), then comment again`);
          }
        }
        const [row] = await tx
          .insert(comments)
          .values({ comicId, userId: actor.user.id, parentId: threadId, body: input.body, anchor: threadId ? null : (input.anchor ?? null) })
          .returning({ id: comments.id });
        return { id: row!.id, threadId: threadId ?? row!.id, body: input.body };
      });
      await notifyAbout(actor, comicId, created, { reply: created.threadId !== created.id });
      await announce({ comicId, event: 'created', threadId: created.threadId, commentId: created.id });
      return thread(comicId, created.threadId);
    },

    /** `body`: its author edits it (new mentions are notified). `resolved`: any member resolves or reopens its thread. */
    async update(actor: Auth, comicId: string, commentId: string, change: { body?: string | undefined; resolved?: boolean | undefined }): Promise<CommentThread> {
      await deps.comics.requireRole(actor, comicId, 'viewer');
      const comment = await commentOf(comicId, commentId);
      const threadId = comment.parentId ?? comment.id;
      if (change.body !== undefined) {
        if (comment.userId !== actor.user.id) throw forbidden('Only its author can edit a comment');
        if (change.body !== comment.body) {
          await db.update(comments).set({ body: change.body, editedAt: new Date() }).where(eq(comments.id, commentId));
          await notifyAbout(actor, comicId, { id: commentId, threadId, body: change.body }, { reply: false, alreadyMentioned: mentionedNames(comment.body) });
        }
      } else if (change.resolved !== undefined) {
        const resolved = change.resolved;
        await db
          .update(comments)
          .set(resolved ? { resolvedAt: new Date(), resolvedBy: actor.user.id } : { resolvedAt: null, resolvedBy: null })
          // Resolving a resolved thread keeps who resolved it first.
          .where(and(eq(comments.id, threadId), resolved ? isNull(comments.resolvedAt) : undefined));
      }
      await announce({ comicId, event: 'updated', threadId, commentId });
      return thread(comicId, threadId);
    },

    /** By its author or the comic's owner; deleting a thread's first comment deletes its replies. */
    async remove(actor: Auth, comicId: string, commentId: string): Promise<void> {
      const role = await deps.comics.requireRole(actor, comicId, 'viewer');
      const comment = await commentOf(comicId, commentId);
      if (comment.userId !== actor.user.id && role !== 'owner') throw forbidden('Only its author or the comic’s owner can delete a comment');
      await db.delete(comments).where(eq(comments.id, commentId));
      await announce({ comicId, event: 'deleted', threadId: comment.parentId ?? comment.id, commentId });
    },
  };
}

export type CommentService = ReturnType<typeof createCommentService>;
