export { JOB_TYPES, WORKFLOWS, findWorkflow, type Binding, type JobType, type WorkflowDefinition } from './catalogue.ts';
export { type ApiGraph, type GraphNode, type InputValue, type Link, isLink } from './graph.ts';
export { COMIC_STYLES, type ComicStyle, type Limits, limitsFor } from './params.ts';
export { renderGraph } from './render.ts';
export { publicCatalogue, type PublicWorkflow } from './public.ts';
export {
  CANCEL_CHANNEL,
  COMIC_EDITS_QUEUE,
  GENERATION_QUEUE,
  INSERT_IMAGE_JOB,
  type ComicEditJobData,
  type GenerationJobData,
  type GenerationProgress,
  type GenerationResult,
  type PanelTarget,
} from './queue.ts';
