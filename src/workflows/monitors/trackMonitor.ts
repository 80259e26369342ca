/**
 * `trackMonitor`: one durable entity per Web Agent Track monitor (seed: Track). The workflow id is
 * the business key (`monitor-<key>`); the platform monitor is created once per run chain.
 *
 * create → poll state and newest snapshot every `pollSeconds` → mirror the lifecycle (active,
 * paused, pending_clarification, cancelled) in `SwitchboardStatus` and current details. People
 * steer it with Updates (`pause`, `resume`, `refine`, `runNow`, `message`, `cancel`) whose
 * validators refuse bad or untimely requests before anything is written to history. An alignment
 * question waits at the one approval gate (`monitor_clarification`); no poll runs while a person
 * decides; the answer goes to the platform with `intervene` exactly once (a reject cancels the
 * monitor). Continues as new when the server suggests it, carrying bounded state.
 *
 * Behind `patched('track-monitor-sync')`: each poll is a sync that stores every new snapshot in
 * the artifact store (keyed by workflow id and run chain) with the change from its predecessor,
 * keeping only references, changed field names and a short summary in state; it counts the
 * platform's outbox, and dead deliveries are retried by policy (`retryDeadDeliveries`) or by a
 * person (`retryDelivery`). `runNow` while a clarification waits on a person is skipped and counted
 * (`skippedRuns`), as are the polls that did not run (`skippedPolls`).
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  defineQuery,
  defineUpdate,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  setWorkflowOptions,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createMonitorActivities } from '../../activities/monitors.js';
import {
  type CancelMonitorArgs,
  cancelMonitorArgs,
  type CarriedMonitor,
  carriedMonitor,
  type ListDeliveriesArgs,
  listDeliveriesArgs,
  MAX_ANSWERED,
  type MonitorMessageArgs,
  monitorMessageArgs,
  MONITOR_STATUSES,
  type MonitorStatus,
  type MonitorUpdateOutcome,
  type MonitorView,
  type PauseMonitorArgs,
  pauseMonitorArgs,
  type RefineMonitorArgs,
  refineMonitorArgs,
  resumeMonitorArgs,
  type RetryDeliveryArgs,
  retryDeliveryArgs,
  runNowArgs,
  type TrackMonitorInput,
  trackMonitorInput,
  type TrackMonitorResult,
  type TrackMonitorState,
} from '../../contracts/monitors.js';
import {
  AwaitingHuman,
  MonitorLastChangeAt,
  MonitorLastSnapshotAt,
  SwitchboardProvider,
  SwitchboardStatus,
} from '../../contracts/searchAttributes.js';
import { ApprovalGate } from '../gate/gate.js';
import { recordMonitorPoll } from '../metrics.js';
import { continueOnCurrentVersion, LONG_LIVED } from '../versioning.js';
import {
  parseAccepted,
  parseMessage,
  parseWorkflowInput,
  refuseCronSchedule,
  requireOwnContinuation,
  singleArg,
} from '../validation.js';

type Acts = ReturnType<typeof createMonitorActivities>;
const retry = { initialInterval: '200 ms', backoffCoefficient: 2, maximumInterval: '10 s' };
const acts = proxyActivities<Acts>({ startToCloseTimeout: '30 s', retry });
/** A person waits on each steering update: local activities, as deepResearch and agentSession steer. */
const steer = proxyLocalActivities<Acts>({ startToCloseTimeout: '15 s', scheduleToCloseTimeout: '2 m', retry });

/** Pauses the platform monitor, with a reason; refused before history when it is already paused. */
export const pauseUpdate = defineUpdate<MonitorUpdateOutcome, [PauseMonitorArgs]>('pause');
/** Resumes a paused platform monitor. */
export const resumeUpdate = defineUpdate<MonitorUpdateOutcome, [Record<string, never>]>('resume');
/**
 * Replaces the monitor's trigger on the platform (trigger DSL: `lt`, `gt`, `eq`, `changed`,
 * `contains`).
 */
export const refineUpdate = defineUpdate<MonitorUpdateOutcome, [RefineMonitorArgs]>('refine');
/**
 * Runs the platform monitor once now; accepted but skipped (and counted) while an alignment
 * question waits on a person.
 */
export const runNowUpdate = defineUpdate<MonitorUpdateOutcome, [Record<string, never>]>('runNow');
/** Sends free-text guidance into the platform's alignment queue. */
export const messageUpdate = defineUpdate<MonitorUpdateOutcome, [MonitorMessageArgs]>('message');
/**
 * Cancels the platform monitor and ends the workflow; refused while a person decides an alignment
 * question.
 */
export const cancelMonitorUpdate = defineUpdate<MonitorUpdateOutcome, [CancelMonitorArgs]>('cancel');
/**
 * Lists the platform's webhook deliveries for this monitor; an update because it calls the platform
 * through the worker.
 */
export const deliveriesUpdate = defineUpdate<MonitorUpdateOutcome, [ListDeliveriesArgs]>('deliveries');
/** Retries one dead platform delivery, on a person's request. */
export const retryDeliveryUpdate = defineUpdate<MonitorUpdateOutcome, [RetryDeliveryArgs]>('retryDelivery');
/**
 * The monitor as Switchboard last synced it: status, last snapshot and change, delivery counts,
 * skipped runs and polls.
 */
export const monitorStateQuery = defineQuery<TrackMonitorState>('monitorState');

/**
 * Polls become syncs: snapshots into the artifact store with their change, the outbox counted, dead deliveries retried
 * by policy.
 */
export const SYNC_PATCH = 'track-monitor-sync';
/** Dead deliveries retried by policy in one sync at most (the rest wait for the next). */
const POLICY_RETRIES_PER_SYNC = 5;

const known = (status: string): status is MonitorStatus => (MONITOR_STATUSES as readonly string[]).includes(status);

/**
 * One entity workflow per Web Agent Track monitor (`monitor-<key>`): creates the platform monitor
 * once per run chain, syncs it every `pollSeconds` into the artifact store, and routes alignment
 * questions to a gate. `carriedRaw` is its own state across continue-as-new.
 */
export async function trackMonitor(raw: TrackMonitorInput, carriedRaw?: CarriedMonitor): Promise<TrackMonitorResult> {
  const input = parseWorkflowInput(trackMonitorInput(), raw);
  refuseCronSchedule('trackMonitor');
  const carried = parseCarry(carriedRaw);
  const info = workflowInfo();
  // Stable across retries, worker crashes and continue-as-new; unique per run chain, so a later
  // chain reusing this workflow id (after a cancel) makes its own monitor.
  const keyBase = `${info.workflowId}/${info.firstExecutionRunId}`;
  const alias = input.credentialAlias;
  const gate = new ApprovalGate(carried?.gate);
  const s: TrackMonitorState = carried?.state ?? {
    status: 'creating',
    intent: input.intent,
    snapshotsSeen: 0,
    polls: 0,
    answered: [],
    opSeq: 0,
  };
  let error: string | undefined;
  let pollNow = false;
  /** One platform call at a time: a poll's answer must not overwrite a newer steering result. */
  let busy = false;
  const exclusive = async <T>(fn: () => Promise<T>): Promise<T> => {
    await condition(() => !busy);
    busy = true;
    try {
      return await fn();
    } finally {
      busy = false;
    }
  };

  const describe = (): string => {
    const mon = s.monitorId ? `Track monitor \`${s.monitorId}\`` : 'Track monitor (creating)';
    const snap =
      (s.lastSnapshotId
        ? `; last snapshot \`${s.lastSnapshotId}\` at ${s.lastSnapshotAt ?? '?'}`
        : '; no snapshot yet') +
      (s.lastChange ? `; last change: ${s.lastChange.summary.slice(0, 160)}` : '') +
      (s.deliveries
        ? `; deliveries ${s.deliveries.delivered} delivered, ${s.deliveries.pending} pending, ${s.deliveries.dead} dead`
        : '') +
      (s.skippedRuns || s.skippedPolls
        ? `; skipped while a person decided: ${s.skippedRuns ?? 0} run(s), ${s.skippedPolls ?? 0} poll(s)`
        : '');
    switch (s.status) {
      case 'paused':
        return `${mon} **paused**${s.pauseReason ? ` (${s.pauseReason})` : ''}: "${input.intent.slice(0, 120)}"${snap}`;
      case 'pending_clarification':
        return `${mon} **waiting for a clarification**: ${s.pendingRequest?.prompt ?? ''}`;
      default:
        return `${mon} ${s.status}: "${input.intent.slice(0, 120)}"${snap}; ${s.polls} poll(s)${error ? `; ${error}` : ''}`;
    }
  };
  /** A platform timestamp as a Date, or undefined when it does not parse. */
  const when = (at: string | undefined) => {
    const d = at ? new Date(at) : undefined;
    return d && !Number.isNaN(d.getTime()) ? d : undefined;
  };
  const publish = () => {
    const snapAt = when(s.lastStored?.at);
    const changedAt = when(s.lastChangedAt);
    // The monitor times exist only on runs that sync (SYNC_PATCH), so older histories upsert as they did.
    upsertSearchAttributes([
      { key: SwitchboardProvider, value: 'webagent' },
      { key: SwitchboardStatus, value: s.status },
      ...(snapAt ? [{ key: MonitorLastSnapshotAt, value: snapAt }] : []),
      ...(changedAt ? [{ key: MonitorLastChangeAt, value: changedAt }] : []),
    ]);
    // An open gate owns the current details (who decides, the deadline).
    if (gate.idle) setCurrentDetails(describe());
  };
  const setStatus = (status: MonitorStatus) => {
    s.status = status;
    publish();
  };
  /** Takes the monitor as the platform answered it. */
  const apply = (v: MonitorView) => {
    s.monitorId = v.monitorId;
    s.pauseReason = v.pauseReason;
    s.pendingRequest = v.pendingRequest;
    // A status we do not know (a newer platform) keeps the last one we did; the details say more.
    setStatus(known(v.status) ? v.status : s.status);
  };
  const nextKey = (op: string) => `${keyBase}/${op}/${++s.opSeq}`;
  const owner = { workflowId: info.workflowId, chain: info.firstExecutionRunId };

  /** One sync (see {@link SYNC_PATCH}): the monitor, new snapshots stored with their change, the outbox counted. */
  const sync = async (via: Pick<Acts, 'monitorSync'>) => {
    const p = await via.monitorSync({ alias, monitorId: s.monitorId!, owner, since: s.lastStored });
    if (p.latest) {
      s.lastStored = p.latest;
      s.lastSnapshotId = p.latest.id;
      s.lastSnapshotAt = p.latest.at;
      s.snapshotsSeen += p.newSnapshots;
    }
    if (p.change) {
      s.lastChange = p.change;
      if (p.change.fields.length > 0) s.lastChangedAt = p.change.at ?? s.lastStored?.at;
    }
    s.deliveries = p.deliveries;
    apply(p);
  };
  const recordRetry = (deliveryId: string, by: string, status: string) => {
    s.retries = [...(s.retries ?? []), { deliveryId, by, at: new Date().toISOString(), status }].slice(-MAX_ANSWERED);
  };
  /** The retry policy: each dead row on the newest outbox page is retried up to `retryDeadDeliveries` times. */
  const retryByPolicy = async (): Promise<boolean> => {
    if (input.retryDeadDeliveries <= 0 || !s.deliveries) return false;
    let budget = POLICY_RETRIES_PER_SYNC;
    for (const row of s.deliveries.deadRows) {
      const done = (s.retries ?? []).filter((r) => r.deliveryId === row.id && r.by === POLICY).length;
      if (done >= input.retryDeadDeliveries || budget-- <= 0) continue;
      try {
        const out = await acts.monitorRetryDelivery({
          alias,
          monitorId: s.monitorId!,
          deliveryId: row.id,
          key: nextKey('retry'),
        });
        recordRetry(row.id, POLICY, out.status);
      } catch (err) {
        // The platform refused (the row is no longer dead, or gone): recorded, never a failed monitor.
        if (!(err instanceof ActivityFailure)) throw err;
        recordRetry(row.id, POLICY, 'refused');
      }
    }
    return budget < POLICY_RETRIES_PER_SYNC;
  };
  const refused = (detail: string): MonitorUpdateOutcome => ({ ok: false, status: s.status, detail });
  const POLICY = 'switchboard:policy';

  setHandler(monitorStateQuery, () => s);

  // ---- validators: synchronous, nothing written to history when they throw ----
  const created = () => {
    if (!s.monitorId) throw new Error('the monitor is not created yet');
    if (s.status === 'cancelled' || s.status === 'failed') throw new Error(`the monitor is ${s.status}`);
  };
  const gateClosed = (what: string) => {
    if (!gate.idle)
      throw new Error(
        `a clarification is waiting for a person: decide it first (reject cancels the monitor), then ${what}`,
      );
  };

  /** Runs one steering operation; a platform refusal (409, 422…) is answered, not a failed workflow. */
  const act = (fn: () => Promise<MonitorUpdateOutcome>) =>
    exclusive(async () => {
      if (s.status === 'cancelled' || s.status === 'failed') return refused(`the monitor is ${s.status}`);
      try {
        return await fn();
      } catch (err) {
        if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable)
          return refused(err.cause.message);
        throw err;
      }
    });

  /** One platform steering call (pause, resume, refine, message, cancel) through {@link act}. */
  const steerOp = (name: string, op: Parameters<typeof steer.monitorSteer>[0]['op'], detail?: string) =>
    act(async () => {
      apply(await steer.monitorSteer({ alias, monitorId: s.monitorId!, key: nextKey(name), op }));
      return { ok: true, status: s.status, ...(detail ? { detail } : {}) };
    });

  setHandler(
    pauseUpdate,
    (a) => {
      const args = parseAccepted(pauseMonitorArgs(), a);
      return steerOp('pause', { op: 'pause', reason: args.reason });
    },
    {
      validator: (...all: unknown[]) => {
        parseMessage(pauseMonitorArgs(), singleArg(all, 'pause'), 'pause');
        created();
        gateClosed('pause');
        if (s.status === 'pending_clarification')
          throw new Error('the monitor waits for a clarification; it cannot be paused now');
        if (s.status === 'paused') throw new Error('the monitor is already paused');
      },
    },
  );
  setHandler(resumeUpdate, () => steerOp('resume', { op: 'resume' }), {
    validator: (...all: unknown[]) => {
      parseMessage(resumeMonitorArgs(), singleArg(all, 'resume'), 'resume');
      created();
      if (s.status !== 'paused') throw new Error(`only a paused monitor is resumed (it is ${s.status})`);
    },
  });
  setHandler(
    refineUpdate,
    (a) => {
      const args = parseAccepted(refineMonitorArgs(), a);
      return steerOp('refine', { op: 'refine', triggerDsl: args.triggerDsl });
    },
    {
      validator: (...all: unknown[]) => {
        parseMessage(refineMonitorArgs(), singleArg(all, 'refine'), 'refine');
        created();
      },
    },
  );
  setHandler(
    runNowUpdate,
    () => {
      // Approval-aware overlap: no tick while a person decides; the request is answered, not run, and counted.
      if (!gate.idle) {
        s.skippedRuns = (s.skippedRuns ?? 0) + 1;
        return Promise.resolve<MonitorUpdateOutcome>({
          ok: false,
          skipped: true,
          status: s.status,
          detail: `skipped: a clarification is waiting for a person (${s.skippedRuns} run(s) skipped so far)`,
        });
      }
      return act(async () => {
        const out = await steer.monitorRunNow({ alias, monitorId: s.monitorId!, key: nextKey('run') });
        if (patched(SYNC_PATCH)) {
          // The tick's snapshot is stored (with its change) before the caller hears of it.
          await sync(steer);
        } else if (out.snapshotId && out.snapshotId !== s.lastSnapshotId) {
          s.lastSnapshotId = out.snapshotId;
          s.lastSnapshotAt = out.snapshotAt;
          s.snapshotsSeen += 1;
          publish();
        }
        return { ok: true, status: s.status, snapshotId: out.snapshotId, notified: out.notified };
      });
    },
    {
      validator: (...all: unknown[]) => {
        parseMessage(runNowArgs(), singleArg(all, 'runNow'), 'runNow');
        created();
        // With the gate open the request is accepted and skipped (counted) by the handler.
        if (gate.idle && s.status !== 'active')
          throw new Error(`only an active monitor runs a tick (it is ${s.status})`);
      },
    },
  );
  setHandler(
    deliveriesUpdate,
    (a) => {
      const args = parseAccepted(listDeliveriesArgs(), a);
      return act(async () => {
        const r = await steer.monitorDeliveries({
          alias,
          monitorId: s.monitorId!,
          status: args.status,
          limit: args.limit,
        });
        s.deliveries = r.summary;
        publish();
        return { ok: true, status: s.status, deliveries: r.rows };
      });
    },
    {
      validator: (...all: unknown[]) => {
        parseMessage(listDeliveriesArgs(), singleArg(all, 'deliveries'), 'deliveries');
        created();
      },
    },
  );
  setHandler(
    retryDeliveryUpdate,
    (a) => {
      const args = parseAccepted(retryDeliveryArgs(), a);
      return act(async () => {
        const row = await steer.monitorRetryDelivery({
          alias,
          monitorId: s.monitorId!,
          deliveryId: args.deliveryId,
          key: nextKey('retry'),
        });
        recordRetry(row.id, 'person', row.status);
        publish();
        const detail =
          row.status === 'dead'
            ? `still dead: ${row.lastError ?? 'the callback failed again'}`
            : `delivery ${row.status}`;
        return { ok: true, status: s.status, delivery: row, detail };
      });
    },
    {
      validator: (...all: unknown[]) => {
        parseMessage(retryDeliveryArgs(), singleArg(all, 'retryDelivery'), 'retryDelivery');
        created();
      },
    },
  );
  setHandler(
    messageUpdate,
    (a) => {
      const args = parseAccepted(monitorMessageArgs(), a);
      return steerOp('message', { op: 'message', content: args.content }, 'guidance queued');
    },
    {
      validator: (...all: unknown[]) => {
        parseMessage(monitorMessageArgs(), singleArg(all, 'message'), 'message');
        created();
      },
    },
  );
  setHandler(cancelMonitorUpdate, () => steerOp('cancel', { op: 'cancel' }), {
    validator: (...all: unknown[]) => {
      parseMessage(cancelMonitorArgs(), singleArg(all, 'cancel'), 'cancel');
      created();
      gateClosed('cancel');
    },
  });

  const finish = (): TrackMonitorResult => {
    const snap = gate.snapshot();
    return { ...s, decisions: snap.decided, audit: snap.audit, error };
  };

  publish();
  if (!carried) upsertSearchAttributes([{ key: AwaitingHuman, value: false }]);
  try {
    if (!s.monitorId) {
      const v = await exclusive(() =>
        acts.monitorCreate({
          alias,
          key: `${keyBase}/create`,
          intent: input.intent,
          schedule: input.schedule,
          notifyChannel: input.notifyChannel,
          triggerDsl: input.triggerDsl,
        }),
      );
      apply(v);
    }
    for (;;) {
      if (s.status === 'cancelled') break;
      const req = s.pendingRequest;
      if (s.status === 'pending_clarification' && req && !s.answered.includes(req.id)) {
        await clarify(req);
        continue;
      }
      if (workflowInfo().continueAsNewSuggested) {
        await condition(() => allHandlersFinished() && !busy);
        const snap = gate.snapshot();
        const carry: CarriedMonitor = {
          state: { ...s, answered: s.answered.slice(-MAX_ANSWERED) },
          gate: { decided: snap.decided.slice(-MAX_ANSWERED), audit: snap.audit.slice(-MAX_ANSWERED * 4) },
        };
        await continueOnCurrentVersion<typeof trackMonitor>()(raw, carry);
      }
      // No history is written between polls; an update's result wakes the loop only when it ends the monitor.
      const dueMs = Date.now() + input.pollSeconds * 1000;
      const woken = await condition(() => s.status === 'cancelled' || pollNow, input.pollSeconds * 1000);
      // A poll on time runs in the task the timer wakes; a late one shows a worker outage or backlog.
      if (!woken) recordMonitorPoll(dueMs, input.pollSeconds * 1000);
      pollNow = false;
      if ((s.status as MonitorStatus) === 'cancelled') break;
      await exclusive(async () => {
        if (s.status === 'cancelled') return;
        if (patched(SYNC_PATCH)) {
          s.polls += 1;
          s.lastPolledAt = new Date().toISOString();
          await sync(acts);
          if (await retryByPolicy()) publish();
          return;
        }
        const p = await acts.monitorPoll({ alias, monitorId: s.monitorId! });
        s.polls += 1;
        s.lastPolledAt = new Date().toISOString();
        if (p.latestSnapshotId && p.latestSnapshotId !== s.lastSnapshotId) {
          s.lastSnapshotId = p.latestSnapshotId;
          s.lastSnapshotAt = p.latestSnapshotAt;
          s.snapshotsSeen += 1;
        }
        apply(p);
      });
    }
    await condition(allHandlersFinished);
    publish();
    return finish();
  } catch (err) {
    if (isCancellation(err)) {
      // handle.cancel(): cancel the platform monitor too, then end as Cancelled.
      await CancellationScope.nonCancellable(async () => {
        if (s.monitorId && s.status !== 'cancelled')
          apply(
            await acts.monitorSteer({
              alias,
              monitorId: s.monitorId,
              key: `${keyBase}/cancel/workflow`,
              op: { op: 'cancel' },
            }),
          );
        setStatus('cancelled');
      });
      throw err;
    }
    error =
      err instanceof ActivityFailure && err.cause
        ? err.cause.message
        : err instanceof Error
          ? err.message
          : String(err);
    setStatus('failed');
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
      throw ApplicationFailure.create({
        type: err.cause.type ?? 'ActivityFailure',
        message: err.cause.message,
        nonRetryable: true,
      });
    }
    throw err;
  }

  /** One alignment question: the gate, then exactly one `intervene` (or a cancel on reject). */
  async function clarify(req: NonNullable<TrackMonitorState['pendingRequest']>): Promise<void> {
    // No poll runs while the gate is open; the polls that would have run are counted when it closes.
    const opened = Date.now();
    const outcome = await gate.wait({
      requestId: req.id,
      kind: 'monitor_clarification',
      subject: `Monitor "${input.intent.slice(0, 80)}": ${req.prompt ?? 'the platform asks for a clarification'}`,
      approvers: input.approvers,
      deadlineSeconds: input.deadlineSeconds,
      onExpiry: input.onExpiry,
      quorum: input.quorum,
      separateDuties: input.separateDuties,
      digest: req.digest ?? '',
      shown: { prompt: req.prompt, monitorId: s.monitorId, intent: input.intent },
      // The answer is the edit ("SKU A"); there is nothing to approve as it stands.
      allowed: ['approve_with_edits', 'reject'],
    });
    s.skippedPolls = (s.skippedPolls ?? 0) + Math.floor((Date.now() - opened) / (input.pollSeconds * 1000));
    await exclusive(async () => {
      try {
        if (outcome.decision === 'reject') {
          apply(
            await steer.monitorSteer({
              alias,
              monitorId: s.monitorId!,
              key: `${keyBase}/cancel/${req.id}`,
              op: { op: 'cancel' },
            }),
          );
          gate.applied(req.id, { ok: true, detail: 'monitor cancelled on the platform' });
        } else {
          const edits = outcome.edits ?? [];
          const response = edits.length === 1 ? edits[0] : edits;
          // One key per request; a retry whose first attempt landed finds it answered (see the activity).
          apply(
            await steer.monitorIntervene({
              alias,
              monitorId: s.monitorId!,
              requestId: req.id,
              response,
              key: `${keyBase}/intervene/${req.id}`,
            }),
          );
          gate.applied(req.id, { ok: true, detail: 'intervene sent' });
        }
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        // The platform refused (the request gone, the monitor cancelled elsewhere): record it, poll again.
        gate.applied(req.id, { ok: false, detail: err.cause?.message ?? err.message });
        pollNow = true;
      }
      s.answered = [...s.answered, req.id].slice(-MAX_ANSWERED);
      publish();
    });
  }
}

/**
 * The continue-as-new carry, accepted only in a run this workflow continued itself (a starter's
 * second argument could point the workflow at another monitor) and only in the shape it writes.
 */
function parseCarry(raw: unknown): CarriedMonitor | undefined {
  if (raw === undefined) return undefined;
  requireOwnContinuation("trackMonitor's second argument (continue-as-new state)");
  // Schema-checked, but not held to the start-input ceiling: it is this workflow's own state.
  return parseWorkflowInput(carriedMonitor(), raw, Number.POSITIVE_INFINITY) as unknown as CarriedMonitor;
}

// Lives for weeks: stays on the build that started it until continue-as-new (src/workflows/versioning.ts).
setWorkflowOptions(LONG_LIVED, trackMonitor);
