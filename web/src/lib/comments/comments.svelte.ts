// One comic's comments as the page holds them: the threads, the one selected, comment mode and the new
// thread's anchor, which pinned shapes are gone. It talks to the API and, through CommentCanvas, to the pins.
import type { CommentAnchor, CommentThread } from '@inkwell/api/contract';
import { ApiError, api } from '#lib/api.ts';
import { handleError } from '#lib/handle-error.ts';
import { splitThreads } from './threads.ts';
import type { CommentCanvas, CommentHooks } from './types.ts';

export class CommentsState {
  threads = $state<CommentThread[]>([]);
  loaded = $state(false);
  loadError = $state<string | null>(null);
  selected = $state<string | null>(null);
  placing = $state(false);
  /** Where the new thread goes, once comment mode placed it. */
  draft = $state<CommentAnchor | null>(null);
  missingShapes = $state<readonly string[]>([]);
  readonly hooks: CommentHooks;
  private canvas: CommentCanvas | null = null;
  /** A thread to show on the canvas once it is there (a notification's link). */
  private pendingReveal: CommentAnchor | null = null;
  private loading: Promise<void> | null = null;
  /** What the next round of loading fetches: everything, or only these threads. */
  private wanted = { all: false, threads: [] as string[] };
  private readonly comicId: string;
  private readonly onOpen: () => void;

  /** `onOpen`: show the comments panel (a pin was clicked, or a place chosen). */
  constructor(comicId: string, onOpen: () => void) {
    this.comicId = comicId;
    this.onOpen = onOpen;
    this.hooks = {
      attach: (canvas) => {
        this.canvas = canvas;
        this.pushPins();
        if (this.pendingReveal) canvas.reveal(this.pendingReveal);
        this.pendingReveal = null;
      },
      onPinSelect: (threadId) => {
        this.select(threadId, false);
        this.onOpen();
      },
      onPlace: (anchor) => {
        this.placing = false;
        this.draft = anchor;
        this.select(null);
        this.onOpen();
      },
      onPlacingCancelled: () => (this.placing = false),
      onMissingShapes: (ids) => {
        if (ids.length !== this.missingShapes.length || ids.some((id) => !this.missingShapes.includes(id))) this.missingShapes = ids;
      },
      onChanged: (threadId) => void (threadId ? this.refresh(threadId) : this.load()),
    };
  }

  get groups() {
    return splitThreads(this.threads);
  }

  /** Loads all the threads, after whatever load is under way (a change may have come in between). */
  load(): Promise<void> {
    this.wanted.all = true;
    return this.drain();
  }

  /** One thread changed: loads only it (a comic may hold hundreds), or forgets it when it was deleted. */
  private refresh(threadId: string): Promise<void> {
    if (!this.wanted.threads.includes(threadId)) this.wanted.threads.push(threadId);
    return this.drain();
  }

  /**
   * Loads what is wanted, one round at a time, so that an older answer never overwrites a newer one. After a
   * failure the next round loads everything, and only a whole load clears the error.
   */
  private drain(): Promise<void> {
    this.loading ??= (async () => {
      while (this.wanted.all || this.wanted.threads.length > 0) {
        const { all, threads } = this.wanted;
        this.wanted = { all: false, threads: [] };
        try {
          if (all || this.loadError) {
            this.set(await api.comments.list(this.comicId));
            this.loadError = null;
          } else {
            for (const threadId of threads) this.replace(threadId, await this.threadOrGone(threadId));
          }
        } catch (error) {
          this.loadError = 'The comments could not be loaded.';
          console.error('comments', error);
        }
      }
      this.loaded = true;
      this.loading = null;
    })();
    return this.loading;
  }

  private async threadOrGone(threadId: string): Promise<CommentThread | null> {
    try {
      return await api.comments.thread(this.comicId, threadId);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
  }

  select(threadId: string | null, reveal = true) {
    this.selected = threadId;
    this.pushPins();
    const thread = this.threads.find((t) => t.id === threadId);
    if (!thread || !reveal) return;
    if (this.canvas) this.canvas.reveal($state.snapshot(thread.anchor));
    else this.pendingReveal = $state.snapshot(thread.anchor);
  }

  setPlacing(placing: boolean) {
    this.placing = placing;
    if (placing) this.draft = null;
    this.canvas?.setPlacing(placing);
  }

  async start(body: string): Promise<boolean> {
    const anchor = this.draft;
    if (!anchor) return false;
    const thread = await this.run('Post the comment', () => api.comments.start(this.comicId, body, anchor));
    if (!thread) return false;
    this.draft = null;
    this.select(thread.id, false);
    return true;
  }

  reply = (threadId: string, body: string) => this.run('Reply', () => api.comments.reply(this.comicId, threadId, body)).then(Boolean);
  edit = (commentId: string, body: string) => this.run('Edit the comment', () => api.comments.update(this.comicId, commentId, { body })).then(Boolean);
  setResolved = (threadId: string, resolved: boolean) =>
    this.run(resolved ? 'Resolve' : 'Reopen', () => api.comments.update(this.comicId, threadId, { resolved })).then(Boolean);

  async remove(commentId: string): Promise<boolean> {
    try {
      await api.comments.remove(this.comicId, commentId);
    } catch (error) {
      handleError(error, 'Delete the comment');
      return false;
    }
    if (this.selected === commentId) this.selected = null;
    this.set(this.threads.filter((t) => t.id !== commentId).map((t) => ({ ...t, replies: t.replies.filter((r) => r.id !== commentId) })));
    return true;
  }

  /** Runs a change; the thread it answers replaces the one shown at once (everyone else hears of it live). */
  private async run(what: string, change: () => Promise<CommentThread>): Promise<CommentThread | null> {
    try {
      const thread = await change();
      this.replace(thread.id, thread);
      return thread;
    } catch (error) {
      handleError(error, what);
      return null;
    }
  }

  /** Shows the thread as it is now (a new one goes last: threads are oldest first), or drops it (null: deleted). */
  private replace(threadId: string, thread: CommentThread | null) {
    const others = this.threads.filter((t) => t.id !== threadId);
    if (!thread) this.set(others);
    else if (others.length === this.threads.length) this.set([...this.threads, thread]);
    else this.set(this.threads.map((t) => (t.id === threadId ? thread : t)));
  }

  private set(threads: CommentThread[]) {
    this.threads = threads;
    if (this.selected && !threads.some((t) => t.id === this.selected)) this.selected = null;
    this.pushPins();
  }

  private pushPins() {
    const { labels } = this.groups;
    this.canvas?.setPins(
      this.threads.map((thread) => ({
        threadId: thread.id,
        anchor: $state.snapshot(thread.anchor),
        label: labels.get(thread.id) ?? '',
        resolved: thread.resolvedAt !== null,
        selected: thread.id === this.selected,
      })),
    );
  }
}
