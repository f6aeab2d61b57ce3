export { createPipelineWiring } from './pipeline-wiring.ts';
export type { PipelineWiringOptions } from './pipeline-wiring.ts';
