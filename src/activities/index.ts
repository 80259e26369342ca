/**
 * The activity factory (DESIGN.md): receives the provider clients and stores, returns every
 * activity the worker registers. Workflows import its return type only.
 */
import type { ArtifactStore } from '../artifacts/store.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { createDecisionActivities, type DecisionDeps } from './decisions.js';
import { createMonitorActivities } from './monitors.js';
import { createScheduledMonitorActivities } from './scheduledMonitors.js';
import { createMycelActivities } from './mycel.js';
import { createNotifyActivities } from './notify.js';
import { createOutboxActivities, type OutboxDeps } from './outbox.js';
import { createProbeActivities } from './probe.js';
import { createResearchActivities } from './research.js';
import { createSessionActivities } from './sessions/activities.js';

export interface ActivityDeps extends DecisionDeps, OutboxDeps {
  providers: ProviderRegistry;
  artifacts: ArtifactStore;
  /**
   * Where reminders and escalations were posted before the outbox (`notifyPeople`, kept for
   * workflows recorded before `gate-notifications-via-outbox`); new ones go through `webhooks`.
   */
  notifyWebhook?: string;
  /** Standard Webhooks secret (`whsec_…`) that signs `notifyPeople` notifications. */
  notifySecret?: string;
}

/**
 * Every Switchboard activity, built from the worker's provider clients, artifact store and
 * settings: the worker and the tests wire them alike.
 */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createSessionActivities(deps),
    ...createProbeActivities(deps),
    ...createNotifyActivities(deps),
    ...createOutboxActivities(deps),
    ...createResearchActivities(deps),
    ...createMycelActivities(deps),
    ...createMonitorActivities(deps),
    ...createScheduledMonitorActivities(deps),
    ...createDecisionActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
