/**
 * `updateFloor`: a bare workflow whose update handler calls one activity — the same
 * `sessionAct` (as a local activity) the agentSession workflow uses for steering. It measures the floor for
 * update-to-platform
 * latency on a given cluster (`npm run bench:sessions` reports agentSession beside it).
 *
 * Not in the production bundle (src/workflows/index.ts): it runs only in the diagnostics worker on
 * its own task queue (`createDiagnosticsWorker`), since it posts into whatever session it is given.
 */
import { condition, defineUpdate, proxyActivities, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { createSessionActivities } from '../activities/sessions/activities.js';
import type { createDiagnosticActivities } from '../activities/diagnostics.js';
import type { SessionRef } from '../contracts/sessions.js';

// The call path agentSession uses for steering: a local activity. (Its messages run as a regular
// activity since the `send-message-requested-at` patch; the floor stays on the local path, the
// faster of the two, so the ratio is not flattered.)
const { sessionAct } = proxyLocalActivities<ReturnType<typeof createSessionActivities>>({
  startToCloseTimeout: '15 s',
});

/** Benchmarks only: posts one message through `sessionAct`, agentSession's steering call path. */
export const floorSendUpdate = defineUpdate<void, [string]>('floorSend');
/** Benchmarks only: ends the floor workflow. */
export const floorDoneUpdate = defineUpdate<void>('floorDone');

/**
 * The update-latency floor (see the module comment): serves `floorSend` until `floorDone`; returns
 * how many it sent.
 */
export async function updateFloor(ref: SessionRef): Promise<number> {
  let sent = 0;
  let done = false;
  setHandler(floorSendUpdate, async (text: string) => {
    await sessionAct({ ref, operation: { op: 'sendMessage', text }, key: `floor/${++sent}/${text}` });
  });
  setHandler(floorDoneUpdate, () => void (done = true));
  await condition(() => done);
  return sent;
}

const { barePost } = proxyActivities<ReturnType<typeof createDiagnosticActivities>>({
  startToCloseTimeout: '30 s',
  retry: { maximumAttempts: 1 },
});

/**
 * `postFloor`: one activity that POSTs `body` to `url`, nothing else: the floor `bench:monitors`
 * puts beside a `webhookDelivery` (same worker, same receiver, started the same way).
 */
export async function postFloor(url: string, id: string, body: string): Promise<number> {
  return barePost(url, id, body);
}
