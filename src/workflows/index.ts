/**
 * Every workflow the worker registers. Workflow code is bundled from this file, and the worker
 * preloads it (see `preloadModules` in src/worker/create.ts): the modules below are evaluated once
 * per V8 context and shared by every cached workflow, so a gate waiting for a person carries its
 * own state and nothing else. That is why workflow modules keep no mutable state at module scope
 * (lint enforces it) and export schemas only through `lazy` (see ./lazy.ts).
 *
 * Benchmark and diagnostic workflows (./diagnostics.ts) are not here: they run only in a
 * diagnostics worker on its own task queue (`diagnosticsWorkerOptions` in src/worker/create.ts).
 */
export { agentSession } from './agentSession/workflow.js';
export { deepResearch } from './deepResearch.js';
export { joinRequest } from './mycel/joinRequest.js';
export { mycelInbox } from './mycel/mycelInbox.js';
export { trackMonitor } from './monitors/trackMonitor.js';
export { scheduledMonitor, scheduledMonitorTick } from './monitors/scheduledMonitor.js';
export { relationshipRequest } from './mycel/relationshipRequest.js';
export { platformProbe } from './platformProbe.js';
export { webhookDelivery, webhookEndpoint } from './outbox/delivery.js';
