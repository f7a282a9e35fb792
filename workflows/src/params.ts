import { z } from 'zod';

/** What a role may ask of the GPU: bigger pictures, more steps and longer clips for higher roles. */
export interface Limits {
  maxSide: number;
  maxSteps: number;
  maxFrames: number;
  maxUpscale: number;
}

export function limitsFor(roleLevel: number): Limits {
  if (roleLevel >= 4) return { maxSide: 2048, maxSteps: 80, maxFrames: 48, maxUpscale: 4 };
  if (roleLevel >= 3) return { maxSide: 1536, maxSteps: 50, maxFrames: 32, maxUpscale: 4 };
  return { maxSide: 1024, maxSteps: 30, maxFrames: 16, maxUpscale: 2 };
}

export const prompt = z.string().trim().min(1, 'Describe what to draw').max(2000, 'A prompt has at most 2000 characters');
export const negativePrompt = z.string().trim().max(2000, 'A negative prompt has at most 2000 characters');
/** ComfyUI takes 64-bit seeds; we keep to what JSON numbers carry exactly. */
export const seed = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
export const mediaId = z.uuid({ error: 'Choose an image from your media' });

export function side(limits: Limits, fallback: number) {
  return z
    .number()
    .int()
    .min(256, 'At least 256 pixels')
    .max(limits.maxSide, `At most ${limits.maxSide} pixels for your role`)
    .multipleOf(64, 'Use a multiple of 64 pixels')
    .default(Math.min(fallback, limits.maxSide));
}

export function steps(limits: Limits, fallback: number) {
  return z.number().int().min(1).max(limits.maxSteps, `At most ${limits.maxSteps} steps for your role`).default(Math.min(fallback, limits.maxSteps));
}

export const guidance = (fallback: number) => z.number().min(1).max(20).default(fallback);
export const strength = z.number().min(0.05).max(1).default(0.6);

export function frames(limits: Limits, fallback: number) {
  return z.number().int().min(8).max(limits.maxFrames, `At most ${limits.maxFrames} frames for your role`).default(Math.min(fallback, limits.maxFrames));
}

export const fps = z.number().int().min(1).max(30).default(8);

export const COMIC_STYLES = {
  manga: {
    label: 'Manga',
    positive: 'manga panel, black and white, screentone shading, clean ink lines, dynamic composition',
    negative: 'color, photograph, 3d render',
  },
  western: {
    label: 'Western comic',
    positive: 'american comic book panel, bold ink outlines, flat vivid colours, halftone dots',
    negative: 'photograph, 3d render, blurry',
  },
  noir: {
    label: 'Noir',
    positive: 'noir comic panel, high contrast black and white, heavy shadows, dramatic lighting',
    negative: 'bright colours, photograph',
  },
  watercolor: {
    label: 'Watercolour',
    positive: 'watercolour comic illustration, soft washes, ink outlines, paper texture',
    negative: 'photograph, 3d render, harsh lines',
  },
  'ligne-claire': {
    label: 'Ligne claire',
    positive: 'ligne claire comic panel, uniform clean lines, flat colours, no hatching, detailed backgrounds',
    negative: 'photograph, 3d render, heavy shading',
  },
} as const;
export type ComicStyle = keyof typeof COMIC_STYLES;
export const comicStyle = z.enum(Object.keys(COMIC_STYLES) as [ComicStyle, ...ComicStyle[]]).default('western');
