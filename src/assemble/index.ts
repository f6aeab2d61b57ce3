export { assembleInput } from './assemble.ts';
export type { AssembleParts, VerifiedGroups } from './assemble.ts';
export { inputV1Schema } from './schema.ts';
export type * from '../contract/input-v1.ts';
