/**
 * Every workflow the worker registers. Workflow code is bundled from this file.
 */
export { agentSession } from './agentSession/workflow.js';
export { platformProbe } from './platformProbe.js';
export { updateFloor } from './diagnostics.js';
export { deepResearch } from './deepResearch.js';
