export { createUi, UI_CSP, type Ui, type UiDeps } from './router.ts';
export { DecisionRing, toRecord, withRecording, type DecisionRecord } from './ring.ts';
export { standaloneReport } from './views/decision.ts';
