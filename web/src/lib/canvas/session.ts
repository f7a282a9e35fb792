// One open comic, without React: the Yjs document and its Hocuspocus provider, the tldraw store bound to
// them, presence, and the status the page shows. The React island renders the editor on top of it.
import { HocuspocusProvider } from '@hocuspocus/provider';
import {
  type Editor,
  type TLCurrentUser,
  type TLStore,
  type TLUser,
  type TLUserPreferences,
  UserRecordType,
  atom,
  createTLCurrentUser,
  createTLStore,
  createUserId,
} from 'tldraw';
import * as Y from 'yjs';
import type { ComicRole } from '@inkwell/api/contract';
import { COMIC_PANEL, colorFor, createComicSchema } from '@inkwell/collab-server/model';
import { createAssetStore } from './asset-store.ts';
import { addTemplatePage } from './comic-actions.ts';
import { type PanelProgress, PanelGenerations } from './generation.ts';
import { OfflineEdits } from './offline-edits.ts';
import { type PresenceBinding, bindPresence } from './presence.ts';
import type { CanvasOptions, CanvasStatus, PageInfo } from './types.ts';
import { type YjsStoreBinding, bindYjsStore } from './yjs-store.ts';

/** Why the server closed the document, in words for people. */
const CLOSED: Record<string, string> = {
  'comic-deleted': 'This comic was deleted.',
  'access-revoked': 'You no longer have access to this comic.',
  // These two follow an `update-refused` message, which says more.
  'invalid-update': 'The server refused your last change, so it was not saved.',
  'document-too-large': 'This comic is too large to save more changes.',
};
/** The websocket close code for a message over the server's size limit. */
const MESSAGE_TOO_BIG = 1009;
const REFUSED: Record<string, string> = {
  forbidden: 'You don’t have access to this comic any more.',
  unauthorized: 'Your session has ended. Sign in again to keep working.',
};

export class CanvasSession {
  readonly doc = new Y.Doc();
  readonly store: TLStore;
  readonly provider: HocuspocusProvider;
  readonly currentUser: TLCurrentUser;
  readonly generations: PanelGenerations;
  private readonly options: CanvasOptions;
  private readonly mode = atom<'readonly' | 'readwrite'>('collaboration mode', 'readwrite');
  private readonly online = atom<'online' | 'offline'>('collaboration status', 'offline');
  /** Set once the document arrived: the island renders the editor from then on. */
  readonly loaded = atom('document loaded', false);
  private readonly user: ReturnType<typeof atom<TLUser>>;
  private role: ComicRole;
  private binding: YjsStoreBinding | undefined;
  private presence: PresenceBinding | undefined;
  private editor: Editor | undefined;
  private status: CanvasStatus = { connection: 'connecting', loaded: false, unsaved: 0, readonly: false, error: null };
  private everConnected = false;
  /** A problem a reconnection does not solve (a document from a newer version): the canvas only reads. */
  private fatal = false;
  private socketStatus = 'connecting';
  private retry: ReturnType<typeof setTimeout> | undefined;
  private readonly cleanups: (() => void)[] = [];
  /** Local changes the server has not confirmed yet, kept in the browser until it does. */
  private readonly offline: OfflineEdits;
  /** The origin of changes replayed from an earlier visit: already queued, not to be queued again. */
  private readonly replayed = Symbol('offline edits replayed');
  /** Set while the changes of an earlier visit are read back, before the store is bound. */
  private restoring = false;

  constructor(options: CanvasOptions) {
    this.options = options;
    this.role = options.role;
    this.generations = new PanelGenerations(options.comicId, options.onProblem);
    this.mode.set(options.role === 'viewer' ? 'readonly' : 'readwrite');
    const color = colorFor(options.user.id);
    this.user = atom<TLUser>('current user', UserRecordType.create({ id: createUserId(options.user.id), name: options.user.username, color }));

    // tldraw's user preferences, with the identity fixed to the signed-in user (the rest stays adjustable).
    const identity = { id: options.user.id, name: options.user.username, color };
    const preferences = atom<TLUserPreferences>('user preferences', { ...identity, colorScheme: 'system' });
    this.currentUser = createTLCurrentUser({
      userPreferences: preferences,
      setUserPreferences: (next) => preferences.set({ ...next, ...identity }),
    });

    this.store = createTLStore({
      schema: createComicSchema(),
      assets: createAssetStore(options.comicId),
      users: { currentUser: this.user },
      collaboration: { status: this.online, mode: this.mode },
    });

    this.provider = new HocuspocusProvider({
      url: options.collabUrl,
      name: `comic:${options.comicId}`,
      document: this.doc,
      // The session cookie authenticates the websocket (same origin); no token.
      token: null,
    });
    const on = <T>(event: string, handler: (data: T) => void) => {
      this.provider.on(event, handler);
      this.cleanups.push(() => this.provider.off(event, handler));
    };
    on<{ status: string }>('status', ({ status }) => this.onSocketStatus(status));
    on<{ scope: string }>('authenticated', ({ scope }) => {
      this.setReadonly(scope === 'readonly');
      if (!this.fatal) this.update({ error: null });
    });
    on<{ reason: string }>('authenticationFailed', ({ reason }) => this.onRefused(reason));
    on<{ state: boolean }>('synced', ({ state }) => {
      if (state) this.onSynced();
    });
    this.offline = new OfflineEdits(options.user.id, options.comicId);
    const onUpdate = (update: Uint8Array, origin: unknown) => {
      if (origin === this.provider || origin === this.replayed) return;
      this.offline.add(update);
      this.update({ unsaved: this.offline.count });
    };
    this.doc.on('update', onUpdate);
    this.cleanups.push(() => this.doc.off('update', onUpdate));
    // The server acknowledges a change only once it is stored: when none is left unacknowledged, every
    // change queued so far is safe.
    on<{ number: number }>('unsyncedChanges', ({ number }) => {
      if (number === 0) void this.confirmOffline();
    });
    on<{ event: { code?: number; reason?: string } }>('close', ({ event }) => {
      if (event.reason === 'session-ended') return this.onSessionEnded();
      if (event.code === MESSAGE_TOO_BIG) return this.onChangeRefused('Your last change is too large to send, so it was not saved.');
      const message = event.reason ? CLOSED[event.reason] : undefined;
      // The first word stands: a refusal's own message says more than the close that follows it.
      if (message && !this.fatal) this.failForGood(message);
    });
    on<{ payload: string }>('stateless', ({ payload }) => this.onStateless(payload));

    const onNetwork = () => this.onSocketStatus(this.socketStatus);
    window.addEventListener('online', onNetwork);
    window.addEventListener('offline', onNetwork);
    this.cleanups.push(() => {
      window.removeEventListener('online', onNetwork);
      window.removeEventListener('offline', onNetwork);
    });
    this.update({ readonly: this.mode.get() === 'readonly' });
  }

  /** Called by the island once tldraw has mounted. */
  attachEditor(editor: Editor): () => void {
    this.editor = editor;
    // Everyone arrives looking at the whole page, not at wherever the canvas's origin happens to be.
    if (editor.getCurrentPageShapeIds().size > 0) editor.zoomToFit();
    const stop = editor.store.listen(() => this.presence?.refresh(), { scope: 'session' });
    return () => {
      stop();
      if (this.editor === editor) this.editor = undefined;
    };
  }

  addPage(template: string) {
    if (!this.editor || this.mode.get() === 'readonly') return;
    addTemplatePage(this.editor, template);
  }

  currentPage(): PageInfo | null {
    const editor = this.editor;
    if (!editor) return null;
    const page = editor.getCurrentPage();
    const panels = editor.getSortedChildIdsForParent(page.id).filter((id) => editor.getShape(id)?.type === COMIC_PANEL).length;
    return { id: page.id, name: page.name, panels };
  }

  follow(userId: string | null) {
    const editor = this.editor;
    if (!editor) return;
    if (userId === null || userId === this.options.user.id) editor.stopFollowingUser();
    else editor.startFollowingUser(createUserId(userId));
    this.presence?.refresh();
  }

  /** The user id (ours) whose view the editor follows. */
  private followed(): string | null {
    const id = this.editor?.getInstanceState().followingUserId;
    return id ? id.replace(/^user:/, '') : null;
  }

  private onSynced() {
    if (this.binding || this.restoring) return;
    this.restoring = true;
    void this.replayOffline().finally(() => this.bind());
  }

  /** Changes an earlier visit could not send (the tab was closed offline) go out now, if this person may still edit. */
  private async replayOffline() {
    const update = await this.offline.restore().catch(() => null);
    if (!update) return;
    if (this.mode.get() === 'readonly') {
      this.options.onProblem('Send your offline changes', new Error('You may no longer edit this comic, so the changes you made offline were dropped.'));
      await this.offline.confirmAll();
      return;
    }
    Y.applyUpdate(this.doc, update, this.replayed);
    // Nothing was new to the server (it had them all): nothing will be acknowledged either.
    if (!this.provider.hasUnsyncedChanges) await this.confirmOffline();
    else this.update({ unsaved: this.offline.count });
  }

  private async confirmOffline() {
    await this.offline.confirmAll();
    this.update({ unsaved: this.offline.count });
  }

  private bind() {
    if (this.binding) return;
    try {
      this.binding = bindYjsStore({
        store: this.store,
        doc: this.doc,
        canWrite: () => this.mode.get() === 'readwrite',
        onError: (error) => this.failForGood(error.message),
      });
    } catch (error) {
      this.failForGood(error instanceof Error ? error.message : 'This comic could not be opened.');
      return;
    }
    const awareness = this.provider.awareness;
    if (awareness) {
      this.presence = bindPresence({
        store: this.store,
        awareness,
        user: this.user,
        self: { id: this.options.user.id, name: this.options.user.username, color: colorFor(this.options.user.id), role: this.role },
        followed: () => this.followed(),
        onPeople: (people) => this.options.onPeople(people),
      });
    }
    this.loaded.set(true);
    this.update({ loaded: true });
  }

  private onSocketStatus(status: string) {
    // Back after a drop: comment changes told meanwhile were missed, so all comments load again.
    if (status === 'connected' && this.everConnected && this.socketStatus !== 'connected') this.options.comments?.onChanged();
    this.socketStatus = status;
    if (status === 'connected') this.everConnected = true;
    // A socket can look open for a while after the network is gone: the browser's word counts first.
    const connected = status === 'connected' && navigator.onLine;
    this.online.set(connected ? 'online' : 'offline');
    const connection = !navigator.onLine ? 'offline' : connected ? 'connected' : this.everConnected ? 'reconnecting' : 'connecting';
    this.update({ connection });
  }

  private onRefused(reason: string) {
    const message = REFUSED[reason];
    if (message) {
      this.failForGood(message);
      return;
    }
    // The server could not check our access right now: ask again shortly.
    this.reconnectSoon();
  }

  /**
   * The session this connection was opened with ended. Either this browser is signed out (the server then
   * refuses the reconnection as unauthorized, and the canvas says so and stops), or it already holds a new
   * session (a password change here gives one) and carries on. Nothing is written meanwhile.
   */
  private onSessionEnded() {
    this.setReadonly(true);
    this.reconnectSoon();
  }

  /** Connects again after a pause (long enough for a new session cookie to have arrived). */
  private reconnectSoon() {
    this.update({ connection: 'reconnecting' });
    clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      this.provider.disconnect();
      void this.provider.connect();
    }, 3000);
  }

  /**
   * The server refused a change of ours and closed the document (or the socket). Every later change of
   * this browser builds on the refused one, so this copy can no longer be saved: stop sending it, and start
   * again from the server's state on reload.
   */
  private onChangeRefused(message: string) {
    this.failForGood(`${message} Reload the page to continue from the saved comic.`);
    // What builds on a refused change can never be stored: keeping it would only replay the refusal.
    void this.confirmOffline();
    clearTimeout(this.retry);
    this.provider.disconnect();
  }

  /**
   * The server says our role changed (`{"type":"access","role":"viewer"}`), how a panel's picture is
   * coming along (`{"type":"generation-progress",…}`), or why it refused a change of ours
   * (`{"type":"update-refused","reason","message"}`).
   */
  private onStateless(payload: string) {
    let message: { type?: unknown; role?: unknown };
    try {
      message = JSON.parse(payload) as typeof message;
    } catch {
      return;
    }
    if (message.type === 'generation-progress') this.generations.onProgress(message as PanelProgress);
    if (message.type === 'comments') {
      const { threadId } = message as { threadId?: unknown };
      this.options.comments?.onChanged(typeof threadId === 'string' ? threadId : undefined);
    }
    if (message.type === 'update-refused') this.onChangeRefused(`Your last change was not saved: ${String((message as { message?: unknown }).message)}.`);
    if (message.type !== 'access' || typeof message.role !== 'string') return;
    this.role = message.role as ComicRole;
    this.setReadonly(message.role === 'viewer');
    this.provider.awareness?.setLocalStateField('user', {
      id: this.options.user.id,
      name: this.options.user.username,
      color: colorFor(this.options.user.id),
      role: this.role,
    });
  }

  private setReadonly(readonly: boolean) {
    const effective = readonly || this.fatal;
    this.mode.set(effective ? 'readonly' : 'readwrite');
    this.update({ readonly: effective });
  }

  private fail(message: string) {
    this.update({ error: message });
  }

  /** Stops editing for good: what this browser would write could damage the document. */
  private failForGood(message: string) {
    this.fatal = true;
    this.setReadonly(true);
    this.fail(message);
  }

  private update(change: Partial<CanvasStatus>) {
    const next = { ...this.status, ...change };
    if (JSON.stringify(next) === JSON.stringify(this.status)) return;
    this.status = next;
    this.options.onStatus(next);
  }

  destroy() {
    clearTimeout(this.retry);
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.presence?.dispose();
    this.binding?.dispose();
    this.provider.destroy();
    this.doc.destroy();
    void this.offline.close();
  }
}
