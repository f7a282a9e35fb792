import { type ApiGraph, cloneGraph } from './graph.ts';
import type { WorkflowDefinition } from './catalogue.ts';

/**
 * The graph to submit: the workflow's graph with every parameter written where its bindings say.
 * `uploads` maps image parameters to the names ComfyUI gave the uploaded files.
 */
export function renderGraph(workflow: WorkflowDefinition, params: Record<string, unknown>, uploads: Record<string, string> = {}): ApiGraph {
  const values: Record<string, unknown> = { ...params, ...workflow.derive?.(params), ...uploads };
  const graph = cloneGraph(workflow.graph(params));
  for (const [name, places] of Object.entries(workflow.bindings(params))) {
    const value = values[name];
    if (value === undefined) continue;
    for (const { node, input } of places) {
      const target = graph[node];
      if (!target || !(input in target.inputs)) {
        throw new Error(`workflow ${workflow.id}: binding ${name} points at ${node}.${input}, which its graph does not have`);
      }
      target.inputs[input] = value as string | number | boolean;
    }
  }
  return graph;
}
