export { JOB_TYPES, WORKFLOWS, findWorkflow, type Binding, type JobType, type WorkflowDefinition } from './catalogue.ts';
export { type CastMember, MAX_CAST, castOf } from './cast.ts';
export { type ApiGraph, type GraphNode, type InputValue, type Link, isLink } from './graph.ts';
export { COMIC_STYLES, type ComicStyle, type Limits, limitsFor } from './params.ts';
export { renderGraph } from './render.ts';
export { publicCatalogue, type PublicWorkflow } from './public.ts';
export {
  COMIC_EDITS_QUEUE,
  COMIC_EDIT_APPLIED,
  COMIC_EDIT_OPTIONS,
  GENERATION_QUEUE,
  type ComicEditJobData,
  comicEditJobId,
  isComicEditApplied,
  type PanelJobStatus,
  type PanelProgressMessage,
  type PanelScriptLine,
  type GenerationJobData,
  type GenerationResult,
  type PanelTarget,
  type ReportedComicEdit,
  reportsApplied,
} from './queue.ts';
export {
  type CommentChange,
  type GenerationProgress,
  type SessionInvalidation,
  commentChange,
  generationProgress,
  parseMessage,
  redisNames,
  sessionInvalidation,
} from './redis-names.ts';
export { closeUnlessAway, quitOrDrop, whenReady } from './redis-connection.ts';
export { checkRequirements, describeRequirements, inspectRequirements, type RequirementsReport, unrunnableWorkflows } from './requirements.ts';
