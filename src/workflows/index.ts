/**
 * Every workflow the worker registers. Workflow code is bundled from this file.
 *
 * Each workflow's module graph is loaded on first use by *that* workflow (eager webpack imports:
 * bundled, but evaluated lazily). In the SDK's reusable V8 context every workflow instance
 * evaluates the modules it loads, so a gate waiting for approval no longer carries the schemas
 * of every other workflow type: less memory per cached workflow, cheaper replays.
 */
import type * as AgentSession from './agentSession/workflow.js';
import type * as DeepResearch from './deepResearch.js';
import type * as Diagnostics from './diagnostics.js';
import type * as JoinRequest from './mycel/joinRequest.js';
import type * as MycelInbox from './mycel/mycelInbox.js';
import type * as RelationshipRequest from './mycel/relationshipRequest.js';
import type * as PlatformProbe from './platformProbe.js';

export async function agentSession(...args: Parameters<typeof AgentSession.agentSession>) {
  return (await import(/* webpackMode: "eager" */ './agentSession/workflow.js')).agentSession(...args);
}
export async function platformProbe(...args: Parameters<typeof PlatformProbe.platformProbe>) {
  return (await import(/* webpackMode: "eager" */ './platformProbe.js')).platformProbe(...args);
}
export async function updateFloor(...args: Parameters<typeof Diagnostics.updateFloor>) {
  return (await import(/* webpackMode: "eager" */ './diagnostics.js')).updateFloor(...args);
}
export async function deepResearch(...args: Parameters<typeof DeepResearch.deepResearch>) {
  return (await import(/* webpackMode: "eager" */ './deepResearch.js')).deepResearch(...args);
}
export async function joinRequest(...args: Parameters<typeof JoinRequest.joinRequest>) {
  return (await import(/* webpackMode: "eager" */ './mycel/joinRequest.js')).joinRequest(...args);
}
export async function relationshipRequest(...args: Parameters<typeof RelationshipRequest.relationshipRequest>) {
  return (await import(/* webpackMode: "eager" */ './mycel/relationshipRequest.js')).relationshipRequest(...args);
}
export async function mycelInbox(...args: Parameters<typeof MycelInbox.mycelInbox>) {
  return (await import(/* webpackMode: "eager" */ './mycel/mycelInbox.js')).mycelInbox(...args);
}
