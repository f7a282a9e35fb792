/** ComfyUI's API format: node id → class and inputs; a link is `[nodeId, outputIndex]`. */
export type Link = [string, number];
export type InputValue = string | number | boolean | Link;

export interface GraphNode {
  class_type: string;
  inputs: Record<string, InputValue>;
  _meta?: { title?: string };
}

export type ApiGraph = Record<string, GraphNode>;

export function isLink(value: InputValue): value is Link {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'number';
}

export function cloneGraph(graph: ApiGraph): ApiGraph {
  return structuredClone(graph);
}
