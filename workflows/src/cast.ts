import type { Binding } from './catalogue.ts';
import { type ApiGraph, type Link, cloneGraph } from './graph.ts';

/** At most this many characters of a comic's library are drawn into one panel. */
export const MAX_CAST = 3;

/**
 * A character drawn into a panel, as the API resolved it from the comic's library when the job was created
 * (`params.cast`): what the job used stays recorded even if the library changes later.
 */
export interface CastMember {
  id: string;
  name: string;
  description: string;
  referenceMediaIds: string[];
}

export function castOf(params: Record<string, unknown>): CastMember[] {
  return Array.isArray(params.cast) ? (params.cast as CastMember[]) : [];
}

/** The cast's reference images the worker uploads to ComfyUI: upload name → media id. */
export function castImages(params: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(castOf(params).flatMap((member, m) => member.referenceMediaIds.map((id, i) => [`cast.${m}.${i}`, id])));
}

/** The characters as words for the prompt: a name means nothing to the model, the description does. */
export function castPrompt(cast: readonly CastMember[]): string {
  return cast.map((member) => (member.description ? `${member.name}, ${member.description}` : member.name)).join('; ');
}

/**
 * `base` with one IP-Adapter per character (its reference images batched into one), chained on the model
 * between the checkpoint and the sampler; a loose reference image (`referenceImage`) is one more. Returns
 * the graph and where each uploaded image and the shared `castWeight` go.
 */
export function withCast(
  base: ApiGraph,
  params: Record<string, unknown>,
  at: { checkpoint: string; sampler: string },
): { graph: ApiGraph; bindings: Record<string, readonly Binding[]> } {
  const units = castOf(params).map((member, m) => member.referenceMediaIds.map((_, i) => `cast.${m}.${i}`));
  if (params.referenceImage) units.push(['referenceImage']);
  const graph = cloneGraph(base);
  const bindings: Record<string, Binding[]> = { castWeight: [] };
  let nextId = 100;
  const add = (node: ApiGraph[string]): Link => {
    const id = String(nextId++);
    graph[id] = node;
    return [id, 0];
  };
  const loader = add({ class_type: 'IPAdapterUnifiedLoader', inputs: { model: [at.checkpoint, 0], preset: 'PLUS (high strength)' } });
  let model: Link = loader;
  for (const images of units) {
    let batch: Link | undefined;
    for (const key of images) {
      const image = add({ class_type: 'LoadImage', inputs: { image: `${key}.png` }, _meta: { title: `Reference ${key}` } });
      bindings[key] = [{ node: image[0], input: 'image' }];
      batch = batch ? add({ class_type: 'ImageBatch', inputs: { image1: batch, image2: image } }) : image;
    }
    if (!batch) continue;
    model = add({
      class_type: 'IPAdapterAdvanced',
      inputs: {
        model,
        ipadapter: [loader[0], 1],
        image: batch,
        weight: 0.8,
        weight_type: 'linear',
        combine_embeds: 'concat',
        start_at: 0,
        end_at: 1,
        embeds_scaling: 'V only',
      },
    });
    bindings.castWeight!.push({ node: model[0], input: 'weight' });
  }
  graph[at.sampler]!.inputs.model = model;
  return { graph, bindings };
}
