/**
 * Every workflow the worker registers. Workflow code is bundled from this file.
 */
export { agentSession } from './agentSession/workflow.js';
export { platformProbe } from './platformProbe.js';
export { updateFloor } from './diagnostics.js';
export { deepResearch } from './deepResearch.js';
export { joinRequest } from './mycel/joinRequest.js';
export { relationshipRequest } from './mycel/relationshipRequest.js';
export { mycelInbox } from './mycel/mycelInbox.js';
