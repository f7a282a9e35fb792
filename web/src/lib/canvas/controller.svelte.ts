// The page's view of a mounted canvas: its status and who is here, as Svelte state, and what the page
// may ask of it. Filled by <ComicCanvas>, read by the header, the people list and the page menu.
import type { CanvasHandle, CanvasStatus, Collaborator, PageInfo, TemplateInfo } from './types.ts';

export class CanvasController {
  status = $state<CanvasStatus>({ connection: 'connecting', loaded: false, unsaved: 0, readonly: false, error: null });
  people = $state<Collaborator[]>([]);
  templates = $state<TemplateInfo[]>([]);
  /** Why the canvas itself could not be loaded (its code, not the document). */
  loadError = $state<string | null>(null);
  private handle: CanvasHandle | null = null;

  /** Someone else (not this browser) is being followed. */
  get following(): Collaborator | undefined {
    return this.people.find((person) => person.followed && !person.isSelf);
  }

  attach(handle: CanvasHandle) {
    this.handle = handle;
    this.templates = handle.templates;
  }

  detach() {
    this.handle = null;
  }

  addPage(template: string) {
    this.handle?.addPage(template);
  }

  /** The page being looked at, with its number of panels. */
  currentPage(): PageInfo | null {
    return this.handle?.currentPage() ?? null;
  }

  /** Follows someone's view; following them again (or yourself) stops. */
  toggleFollow(person: Collaborator) {
    this.handle?.follow(person.followed || person.isSelf ? null : person.userId);
  }
}
