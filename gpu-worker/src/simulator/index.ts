// The ComfyUI simulator: ComfyUI's HTTP and websocket protocol, graph validation against a node catalogue,
// real progress messages and plainly labelled placeholder pictures, for development, tests and CI.
export { createComfySimulator, type ComfySimulator, type ComfySimulatorOptions, type SimulatorEvent } from './server.ts';
export type { FailRule } from './executor.ts';
export { bundledObjectInfo, DEFAULT_MODELS, MODEL_FOLDERS, type ModelFolder, type ModelLists, type NodeDef, type ObjectInfo } from './catalogue.ts';
export { SIMULATED_DEVICE_NAME } from './recorded.ts';
