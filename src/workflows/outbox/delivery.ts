/**
 * The webhook outbox: one `webhookDelivery` workflow per (endpoint, message id), started with
 * REJECT_DUPLICATE so a message id is delivered once (workflow id `outbox-<endpoint>-<messageId>`).
 * See "Monitors and notifications" in DESIGN.md.
 *
 * - Attempts follow a Svix-like schedule with jitter: workflow timers between single-attempt
 *   activity calls; a receiver's `Retry-After` pushes the next attempt later, never earlier.
 * - 2xx is delivered. 410 Gone disables the endpoint: the delivery opens the endpoint's marker
 *   workflow (`webhookEndpoint`, open while disabled) and every later delivery to it is a dead
 *   letter without an attempt until a person enables it. Other answers, timeouts and connection
 *   failures are tried again on schedule.
 * - After the last attempt, or at once for a refused target (SSRF guard) or an unknown alias, the
 *   delivery is a dead letter: it stays open with `SwitchboardStatus = dead` and the reason, and a
 *   person can `replay` it (one more attempt, or the whole schedule again) until its retention
 *   deadline; then it completes as `expired`.
 * - Each endpoint's deliveries are separate workflows: one failing receiver never delays another.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  defineQuery,
  defineUpdate,
  log,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  sleep,
  startChild,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import type { createOutboxActivities } from '../../activities/outbox.js';
import {
  type AttemptOutcome,
  type AttemptRecord,
  DEFAULT_RETENTION_SECONDS,
  DEFAULT_RETRY_SCHEDULE_SECONDS,
  type DeliveryMemo,
  type DeliveryStatus,
  type DeliveryView,
  enableInput,
  endpointMarkerId,
  endpointMarkerInput,
  type EndpointMarkerInput,
  MAX_ATTEMPTS_KEPT,
  MAX_REPLAYS,
  replayInput,
  type ReplayInput,
  type WebhookDeliveryInput,
  webhookDeliveryInput,
} from '../../contracts/outbox.js';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { FailureType } from '../../contracts/failures.js';
import { SwitchboardStatus } from '../../contracts/searchAttributes.js';
import { parseAccepted, parseMessage, parseWorkflowInput, refuseCronSchedule, singleArg } from '../validation.js';

/** A person asks a dead letter to try again; answers with the first attempt's outcome. */
export const replayUpdate = defineUpdate<AttemptRecord, [ReplayInput]>('replay');
/**
 * One delivery as `outbox show` prints it: status, attempts, why it is dead and until when it can
 * be replayed.
 */
export const deliveryQuery = defineQuery<DeliveryView>('delivery');
/** A person enables a disabled endpoint (closes its marker). */
export const enableUpdate = defineUpdate<{ enabled: true; disabledSince: string }, [{ by?: string }]>('enable');

/** One attempt, no activity retries: the schedule is the workflow's (see src/activities/outbox.ts). */
const { deliverWebhook } = proxyActivities<ReturnType<typeof createOutboxActivities>>({
  startToCloseTimeout: '60 s',
  retry: { maximumAttempts: 1 },
});

/** ±20 % around `seconds` (workflow `Math.random` is seeded, so replays wait the same). */
function jitter(seconds: number): number {
  return seconds <= 0 ? 0 : seconds * (0.8 + 0.4 * Math.random());
}

/** A delivery: see the module comment. Returns when delivered, skipped, or expired as a dead letter. */
export async function webhookDelivery(raw: WebhookDeliveryInput): Promise<DeliveryView> {
  refuseCronSchedule('webhookDelivery');
  const input = parseWorkflowInput(webhookDeliveryInput(), raw);
  const schedule = input.retrySchedule ?? DEFAULT_RETRY_SCHEDULE_SECONDS;
  const started = workflowInfo().startTime;
  const retainUntil = new Date(started.getTime() + (input.retentionSeconds ?? DEFAULT_RETENTION_SECONDS) * 1000);

  const attempts: AttemptRecord[] = [];
  let attemptCount = 0;
  let status: DeliveryStatus = 'delivering';
  let nextAttemptAt: Date | undefined;
  let deadReason: string | undefined;
  let replays = 0;
  let replay: { by?: string; fullSchedule: boolean } | undefined;

  const view = (): DeliveryView => ({
    endpoint: input.endpoint,
    messageId: input.messageId,
    eventType: input.eventType,
    status,
    attempts,
    attemptCount,
    nextAttemptAt: nextAttemptAt?.toISOString(),
    deadReason,
    retainUntil: retainUntil.toISOString(),
    replays,
  });
  const publish = () => {
    const last = attempts.at(-1);
    const memo: DeliveryMemo = {
      endpoint: input.endpoint,
      messageId: input.messageId,
      eventType: input.eventType,
      attempts: attemptCount,
      lastError: last && last.outcome !== 'delivered' ? last.reason : undefined,
      deadReason,
    };
    upsertSearchAttributes([{ key: SwitchboardStatus, value: status }]);
    upsertMemo({ outbox: memo });
  };

  setHandler(deliveryQuery, view);
  setHandler(
    replayUpdate,
    async (rawReplay) => {
      const r = parseAccepted(replayInput(), rawReplay);
      const from = attemptCount;
      if (!replay && status === 'dead') {
        replay = { by: r.by, fullSchedule: r.fullSchedule ?? false };
        replays += 1;
      }
      // A second replay sent while the first is being tried gets the same attempt.
      await condition(() => attemptCount > from);
      return attempts.at(-1)!;
    },
    {
      validator: (...all: unknown[]) => {
        parseMessage(replayInput(), singleArg(all, 'replay'), 'replay');
        if (status !== 'dead')
          throw new Error(
            `delivery ${input.messageId} is ${status}, not a dead letter; only dead letters are replayed`,
          );
        if (replays >= MAX_REPLAYS && !replay)
          throw new Error(
            `delivery ${input.messageId} was replayed ${replays} times already (at most ${MAX_REPLAYS}); send it as a new message`,
          );
      },
    },
  );

  const attempt = async (n: number, replayBy?: string): Promise<AttemptRecord> => {
    let out: AttemptOutcome;
    try {
      out = await deliverWebhook({
        endpoint: input.endpoint,
        messageId: input.messageId,
        eventType: input.eventType,
        payload: input.payload,
        createdAt: started.toISOString(),
        attempt: attemptCount + 1,
      });
    } catch (err) {
      // The activity returns every answer it understood; a throw is a timeout or a worker fault.
      out = {
        outcome: 'failed',
        reason: `attempt failed: ${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)}`,
      };
    }
    const rec: AttemptRecord = { ...out, n, at: new Date().toISOString(), ...(replayBy ? { replayBy } : {}) };
    attempts.push(rec);
    if (attempts.length > MAX_ATTEMPTS_KEPT) attempts.shift();
    attemptCount += 1;
    return rec;
  };

  /** Runs `waits` (seconds before each attempt); returns the final record of the round. */
  const round = async (waits: readonly number[], replayBy?: string): Promise<AttemptRecord> => {
    let last: AttemptRecord | undefined;
    for (let i = 0; i < waits.length; i++) {
      let wait = jitter(waits[i]!);
      if (last?.outcome === 'failed' && last.retryAfterSeconds !== undefined)
        wait = Math.max(wait, last.retryAfterSeconds);
      if (wait > 0) {
        nextAttemptAt = new Date(Date.now() + wait * 1000);
        await sleep(Math.round(wait * 1000));
      }
      nextAttemptAt = undefined;
      last = await attempt(attemptCount + 1, replayBy);
      if (last.outcome !== 'failed') return last;
      status = 'retrying';
      publish();
    }
    return last!;
  };

  // A replay's caller waits for its attempt: answer it before the workflow completes.
  const finish = async () => {
    await condition(allHandlersFinished);
    return view();
  };

  publish();
  let waits: readonly number[] = schedule;
  let replayBy: string | undefined;
  for (;;) {
    const last = await round(waits, replayBy);
    if (last.outcome === 'delivered') {
      status = 'delivered';
      deadReason = undefined;
      publish();
      return finish();
    }
    if (last.outcome === 'unconfigured') {
      status = 'skipped';
      deadReason = last.reason;
      publish();
      return finish();
    }
    if (last.outcome === 'gone') await disableEndpoint(input.endpoint, input.messageId);
    status = 'dead';
    deadReason =
      last.outcome === 'failed'
        ? `${last.reason} after ${attemptCount} attempt(s)`
        : last.outcome === 'gone'
          ? `${last.reason}; endpoint disabled`
          : last.reason;
    publish();
    log.warn('webhook dead letter', { endpoint: input.endpoint, messageId: input.messageId, reason: deadReason });
    const asked = await condition(() => replay !== undefined, Math.max(1, retainUntil.getTime() - Date.now()));
    if (!asked) {
      status = 'expired';
      publish();
      return finish();
    }
    const r = replay!;
    waits = r.fullSchedule ? schedule : [0];
    replayBy = r.by ?? 'someone';
    status = 'delivering';
    publish();
    replay = undefined;
  }
}

/** Opens the endpoint's marker (it outlives this delivery); an open one stays as it is. */
async function disableEndpoint(endpoint: string, messageId: string): Promise<void> {
  try {
    await startChild(webhookEndpoint, {
      workflowId: endpointMarkerId(endpoint),
      args: [{ endpoint, reason: `410 Gone for message ${messageId}` }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      staticSummary: `Webhook endpoint ${endpoint} disabled`,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

/**
 * An endpoint's "disabled" marker: open while the endpoint is disabled, so the outbox activity
 * sees it with one describe call and the Web UI lists it. The `enable` update closes it. Durable
 * and simple: no state but the reason; nothing to continue as new (it waits without timers).
 */
export async function webhookEndpoint(
  input: EndpointMarkerInput,
): Promise<{ enabledBy?: string; disabledSince: string }> {
  refuseCronSchedule('webhookEndpoint');
  const raw = parseWorkflowInput(endpointMarkerInput(), input);
  const info = workflowInfo();
  // A marker counts only under its endpoint's id (that is where deliveries look).
  if (info.workflowId !== endpointMarkerId(raw.endpoint)) {
    throw ApplicationFailure.create({
      type: FailureType.InvalidInput,
      message: `the marker of ${raw.endpoint} must run as ${endpointMarkerId(raw.endpoint)}`,
      nonRetryable: true,
    });
  }
  upsertSearchAttributes([{ key: SwitchboardStatus, value: 'disabled' }]);
  upsertMemo({ outboxEndpoint: { endpoint: raw.endpoint, reason: raw.reason } });
  const since = info.startTime.toISOString();
  let enabledBy: string | undefined;
  let enabled = false;
  setHandler(
    enableUpdate,
    (a) => {
      enabledBy = parseAccepted(enableInput(), a).by;
      enabled = true;
      return { enabled: true as const, disabledSince: since };
    },
    { validator: (...all: unknown[]) => void parseMessage(enableInput(), singleArg(all, 'enable'), 'enable') },
  );
  await condition(() => enabled);
  upsertSearchAttributes([{ key: SwitchboardStatus, value: 'enabled' }]);
  return { enabledBy, disabledSince: since };
}
