// Shared by the ComfyUI client tests: a prompt submitted and followed to its end, as a job does it, and a
// wait option that says when a prompt has begun sampling.
import type { ComfyClient, ComfyGraph, PromptResult, SubmitOptions, WaitOptions } from '../src/comfyui/client.ts';

export async function run(client: ComfyClient, graph: ComfyGraph, options: SubmitOptions & WaitOptions = {}): Promise<PromptResult & { number: number }> {
  const { promptId, extraData, front, partialExecutionTargets, ...wait } = options;
  const submitted = await client.submit(graph, { promptId, extraData, front, partialExecutionTargets });
  return { ...(await client.waitForPrompt(submitted.promptId, wait)), number: submitted.number };
}

/** `onProgress` for a wait, and `reached`: resolved at the prompt's first sampler step. */
export function firstStep(): { reached: Promise<void>; onProgress: () => void } {
  let onProgress!: () => void;
  const reached = new Promise<void>((resolve) => (onProgress = resolve));
  return { reached, onProgress };
}
