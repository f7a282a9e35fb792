// Pictures drawn for panels: asking for one (POST /jobs aimed at the panel), and what this browser knows
// beyond the document. The document holds each panel's `generation` state (written by the collab-server);
// progress and preview frames arrive as stateless messages to everyone on the comic, and only the latest per
// panel is kept. The panel's shape util and the island's generate form read these atoms.
import { atom } from 'tldraw';
import { pictureSize } from '@inkwell/api/contract';
import type { ComicPanelShape } from '@inkwell/collab-server/model';
import { studioApi } from '#lib/studio/api.ts';

export const COMIC_STYLES = ['manga', 'western', 'noir', 'watercolor', 'ligne-claire'] as const;
export type ComicStyle = (typeof COMIC_STYLES)[number];

/** What a person asks for; the size comes from the panel. */
export interface PanelRequest {
  prompt: string;
  /** Unset: the comic's style lock, or the workflow's default. */
  style?: ComicStyle;
  /** Up to three ids of the comic's character library. */
  characters?: string[];
  /** A media id. */
  referenceImage?: string;
  seed?: number;
}

/** `{type:'generation-progress'}`, relayed by the collab-server from the job's progress. */
export interface PanelProgress {
  jobId: string;
  panelId: string;
  percent: number;
  /** A data:image/jpeg URL of the picture so far. */
  preview?: string;
}

export class PanelGenerations {
  /** The latest progress report of each panel. */
  readonly progress = atom<Record<string, PanelProgress>>('panel progress', {});
  /** The jobs this browser asked for: only their requester may cancel them. */
  readonly mine = atom<ReadonlySet<string>>('my panel jobs', new Set());
  /** The panel whose generate form is open. */
  readonly formFor = atom<string | null>('generate form', null);
  /** The last request per panel, to start the form from when trying again. */
  private readonly last = new Map<string, PanelRequest>();

  readonly comicId: string;
  private readonly onProblem: (context: string, error: unknown) => void;

  constructor(comicId: string, onProblem: (context: string, error: unknown) => void) {
    this.comicId = comicId;
    this.onProblem = onProblem;
  }

  onProgress(message: PanelProgress) {
    this.progress.update((all) => ({ ...all, [message.panelId]: message }));
  }

  lastRequest(panelId: string): PanelRequest | undefined {
    return this.last.get(panelId);
  }

  async request(panel: ComicPanelShape, request: PanelRequest) {
    this.last.set(panel.id, request);
    const body = {
      workflow: 'comic-panel',
      params: { ...request, ...pictureSize(panel.props.w, panel.props.h) },
      target: { comicId: this.comicId, panelId: panel.id },
    };
    const job = await studioApi.jobs.create(body);
    this.mine.update((jobs) => new Set(jobs).add(job.id));
  }

  async cancel(jobId: string) {
    try {
      await studioApi.jobs.cancel(jobId);
    } catch (error) {
      this.onProblem('Cancel the drawing', error);
    }
  }
}
