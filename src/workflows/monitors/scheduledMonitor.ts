/**
 * Cron-scheduled monitors (DESIGN.md "Monitors and notifications"): a monitor whose schedule
 * Switchboard owns.
 *
 * - `scheduledMonitor` is the entity (workflow id `monitor-<key>`): it owns the state (last value,
 *   last change, failures, snooze, digest, dedupe keys, counts), creates its Temporal Schedule
 *   (`monitor-<key>`) once, and maps pause / resume / run-now / backfill / cancel onto it. Overlap,
 *   catch-up, pause and backfill are the Schedule's; nothing here keeps time between ticks.
 * - `scheduledMonitorTick` is the Schedule's action: one local activity that signals `wake` to the
 *   entity, naming its own run, and ends.
 *
 * Trust: a wake carries no data the monitor uses. The entity asks the Schedule itself whether the
 * named run is one of its actions (inside the same local activity that then runs the check), so a
 * forged or repeated wake runs no check and produces no value; it is counted (`wakesRefused`), and
 * a burst of them is dropped without even asking. The check's target comes from the entity's own
 * validated input, never from the wake.
 *
 * Budget: an ordinary tick is 6 events in the tick workflow (started, workflow task ×3, marker,
 * completed) and 5 in the entity (signaled, workflow task ×3, marker): status goes to search
 * attributes only when it changes; the rest is current details, which writes no history.
 *
 * Approval-aware overlap: a `track_run_now` check that meets a Track clarification waits at the one
 * gate (`monitor_clarification`); ticks arriving meanwhile run nothing and are counted
 * (`skippedWhileWaiting`), as are ticks arriving while a check still runs (`skippedOverlap`).
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  isCancellation,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  TemporalFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createMonitorActivities } from '../../activities/monitors.js';
import type { CheckOutcome, createScheduledMonitorActivities } from '../../activities/scheduledMonitors.js';
import { FailureType } from '../../contracts/failures.js';
import {
  CHECK_PLATFORM,
  type CarriedScheduledMonitor,
  carriedScheduledMonitor,
  conditionHolds,
  extract,
  MAX_DEDUPE_KEYS,
  MAX_DIGEST,
  MAX_EVENTS,
  MAX_RECENT_TICKS,
  type MonitorEvent,
  type ScheduledMonitorInput,
  scheduledMonitorId,
  scheduledMonitorInput,
  type ScheduledMonitorResult,
  type ScheduledMonitorState,
  type ScheduleOp,
  type ScheduleView,
  scheduleText,
  type SmonBackfillArgs,
  smonBackfillArgs,
  type SmonCancelArgs,
  smonCancelArgs,
  type SmonPauseArgs,
  smonPauseArgs,
  smonResumeArgs,
  smonRunNowArgs,
  type SmonSnoozeArgs,
  smonSnoozeArgs,
  type SmonStatus,
  type SmonUpdateOutcome,
  type TickInput,
  tickInput,
  type WakeArgs,
  wakeArgs,
  valueText,
} from '../../contracts/scheduledMonitors.js';
import { AwaitingHuman, SwitchboardProvider, SwitchboardStatus } from '../../contracts/searchAttributes.js';
import { ApprovalGate } from '../gate/gate.js';
import { sendThroughOutbox } from '../outbox/send.js';
import {
  parseAccepted,
  parseMessage,
  parseWorkflowInput,
  refuseCronSchedule,
  requireOwnContinuation,
  singleArg,
} from '../validation.js';

type Acts = ReturnType<typeof createScheduledMonitorActivities> & ReturnType<typeof createMonitorActivities>;

/** The tick's one step. */
const wakeActs = proxyLocalActivities<Acts>({
  startToCloseTimeout: '10 s',
  retry: { initialInterval: '200 ms', maximumAttempts: 3 },
});
/**
 * The entity's step per tick: local, so an ordinary tick is one marker in history. Three attempts
 * (a flaky platform is retried, a down one is a failed tick that counts towards the failure alert).
 */
const tickActs = proxyLocalActivities<Acts>({
  startToCloseTimeout: '60 s',
  scheduleToCloseTimeout: '3 m',
  retry: { initialInterval: '500 ms', backoffCoefficient: 2, maximumInterval: '5 s', maximumAttempts: 3 },
});
/** A 202 polled through the retry policy ("still running" is retried after its `nextRetryDelay`). */
const pollActs = proxyLocalActivities<Acts>({
  startToCloseTimeout: '30 s',
  scheduleToCloseTimeout: '15 m',
  retry: { initialInterval: '1 s', backoffCoefficient: 1.5, maximumInterval: '10 s' },
});
/** Schedule operations and the create: a person may be waiting on them. */
const steer = proxyLocalActivities<Acts>({
  startToCloseTimeout: '15 s',
  scheduleToCloseTimeout: '2 m',
  retry: { initialInterval: '200 ms', backoffCoefficient: 2, maximumInterval: '5 s' },
});

/**
 * A tick from the monitor's Schedule; a signal only wakes it: the tick is checked against the
 * Schedule before it runs.
 */
export const wakeSignal = defineSignal<[WakeArgs]>('wake');
/**
 * Status, counts, last value and schedule of a scheduled monitor, for `monitor show` and the Web
 * UI.
 */
export const scheduledMonitorStateQuery = defineQuery<ScheduledMonitorState>('scheduledMonitorState');
/** Pauses the monitor's Schedule, with an optional note shown on it. */
export const smonPauseUpdate = defineUpdate<SmonUpdateOutcome, [SmonPauseArgs]>('pause');
/** Resumes the monitor's paused Schedule. */
export const smonResumeUpdate = defineUpdate<SmonUpdateOutcome, [SmonPauseArgs]>('resume');
/** Has the Schedule trigger one tick now. */
export const smonRunNowUpdate = defineUpdate<SmonUpdateOutcome, [Record<string, never>]>('runNow');
/** Keeps checking, but drops notifications until a time. */
export const smonSnoozeUpdate = defineUpdate<SmonUpdateOutcome, [SmonSnoozeArgs]>('snooze');
/** Asks the Schedule for the ticks between two times (after an outage, or a new condition). */
export const smonBackfillUpdate = defineUpdate<SmonUpdateOutcome, [SmonBackfillArgs]>('backfill');
/** Ends the monitor and removes its Schedule. */
export const smonCancelUpdate = defineUpdate<SmonUpdateOutcome, [SmonCancelArgs]>('cancel');

/** Refused wakes within {@link REFUSAL_WINDOW_MS} after which further wakes are dropped unasked. */
const MAX_REFUSALS_PER_WINDOW = 5;
const REFUSAL_WINDOW_MS = 60_000;

/**
 * The ApplicationFailure an activity failed with. A local activity's failure may reach the
 * workflow wrapped in an ActivityFailure or as the ApplicationFailure itself (seen with SDK 1.24
 * for non-retryable ones), so both are read.
 */
function appFailure(err: unknown): ApplicationFailure | undefined {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) return err.cause;
  return undefined;
}

/** The Schedule's action: wakes the entity, naming this run, and ends. */
export async function scheduledMonitorTick(raw: TickInput): Promise<{ woke: boolean }> {
  refuseCronSchedule('scheduledMonitorTick');
  const input = parseWorkflowInput(tickInput(), raw);
  const info = workflowInfo();
  return wakeActs.smonWake({ key: input.key, tickWorkflowId: info.workflowId, tickRunId: info.firstExecutionRunId });
}

/** The monitor entity: see the module comment. */
export async function scheduledMonitor(
  raw: ScheduledMonitorInput,
  carriedRaw?: CarriedScheduledMonitor,
): Promise<ScheduledMonitorResult> {
  const input = parseWorkflowInput(scheduledMonitorInput(), raw);
  refuseCronSchedule('scheduledMonitor');
  const info = workflowInfo();
  // The Schedule wakes `monitor-<key>`: an entity under any other id would never be woken.
  if (info.workflowId !== scheduledMonitorId(input.key)) {
    throw ApplicationFailure.create({
      type: FailureType.InvalidInput,
      message: `monitor ${input.key} must run as ${scheduledMonitorId(input.key)}`,
      nonRetryable: true,
    });
  }
  let carried: CarriedScheduledMonitor | undefined;
  if (carriedRaw !== undefined) {
    requireOwnContinuation('scheduledMonitor state');
    carried = parseWorkflowInput(carriedScheduledMonitor(), carriedRaw) as unknown as CarriedScheduledMonitor;
  }
  const key = input.key;
  const rules = input.alerts;
  const gate = new ApprovalGate(carried?.gate);
  const s: ScheduledMonitorState = carried?.state ?? {
    status: 'starting',
    scheduleId: scheduledMonitorId(key),
    scheduleText: scheduleText(input.schedule),
    consecutiveFailures: 0,
    digest: [],
    digestDropped: 0,
    dedupe: {},
    failureAlerted: false,
    recentTicks: [],
    counts: {
      ticks: 0,
      checksFailed: 0,
      skippedWhileWaiting: 0,
      skippedOverlap: 0,
      wakesRefused: 0,
      hits: 0,
      alertsSent: 0,
      alertsDropped: 0,
      alertsDeduped: 0,
      digestsSent: 0,
    },
    seq: 0,
    events: [],
    quietSince: info.startTime.toISOString(),
  };
  // The carry's schema does not insist on `quietSince`: without it, silence counts from the last change.
  s.quietSince ??= s.lastChangeAt ?? info.startTime.toISOString();
  let wake: WakeArgs | undefined;
  let busy = false;
  let cancelled = false;
  let refusals = { from: 0, n: 0 };
  let published: SmonStatus | undefined;

  const nowIso = () => new Date().toISOString();
  const describe = (): string => {
    const c = s.counts;
    const lines = [
      `**${s.status}** monitor \`${key}\`${input.description ? `: ${input.description}` : ''} — ${input.check.kind}`,
      `schedule ${s.scheduleText}${s.pausedNote ? `; paused: ${s.pausedNote}` : ''}`,
      `last tick ${s.lastTickAt ?? '-'}; last change ${s.lastChangeAt ?? '-'}; next run ${s.nextRunAt ?? '-'}`,
      `ticks ${c.ticks}, failed ${c.checksFailed}, skipped while waiting ${c.skippedWhileWaiting}, skipped overlapping ${c.skippedOverlap}, wakes refused ${c.wakesRefused}`,
      `alerts sent ${c.alertsSent}, dropped (snoozed) ${c.alertsDropped}, de-duplicated ${c.alertsDeduped}, digests ${c.digestsSent}` +
        (s.snoozedUntil ? `; snoozed until ${s.snoozedUntil}` : ''),
    ];
    if (s.lastError) lines.push(`last error: ${s.lastError.slice(0, 200)}`);
    return lines.join('\n\n');
  };
  /** Search attributes only when the status changes (each upsert is a history event); details always. */
  const publish = () => {
    if (published !== s.status) {
      upsertSearchAttributes([
        { key: SwitchboardProvider, value: CHECK_PLATFORM[input.check.kind] },
        { key: SwitchboardStatus, value: s.status },
      ]);
      published = s.status;
    }
    // An open gate owns the current details (who decides, the deadline).
    if (gate.idle) setCurrentDetails(describe());
  };
  const setStatus = (status: SmonStatus) => {
    s.status = status;
    publish();
  };
  const remember = (e: MonitorEvent) => {
    s.events.push(e);
    if (s.events.length > MAX_EVENTS) s.events.shift();
  };

  setHandler(scheduledMonitorStateQuery, () => s);

  const rememberTick = (runId: string) => {
    s.recentTicks.push(runId);
    if (s.recentTicks.length > MAX_RECENT_TICKS) s.recentTicks.shift();
  };
  /**
   * A wake that cannot run now (a person decides, or a check still runs) is verified before it is
   * counted as a skipped tick, so forged wakes cannot inflate the counts either.
   */
  const skip = async (w: WakeArgs, counter: 'skippedWhileWaiting' | 'skippedOverlap') => {
    try {
      await tickActs.smonVerify({ key, tickWorkflowId: w.tickWorkflowId, tickRunId: w.tickRunId });
    } catch (err) {
      if (!(err instanceof TemporalFailure) || isCancellation(err)) throw err;
      s.counts.wakesRefused += 1;
      refusals.n += 1;
      return;
    }
    if (s.recentTicks.includes(w.tickRunId)) return;
    rememberTick(w.tickRunId);
    s.counts[counter] += 1;
    publish();
  };

  // A signal handler never throws: a wake that does not parse, repeats, or arrives in a burst of
  // refusals is counted and dropped; one that arrives while a person decides, or while a check
  // runs, is a skipped tick once the Schedule vouches for it.
  setHandler(wakeSignal, async (...all: unknown[]) => {
    let w: WakeArgs;
    try {
      w = parseMessage(wakeArgs(), singleArg(all, 'wake'), 'wake');
    } catch {
      s.counts.wakesRefused += 1;
      return;
    }
    if (s.status === 'cancelled' || cancelled) return;
    const now = Date.now();
    if (now - refusals.from > REFUSAL_WINDOW_MS) refusals = { from: now, n: 0 };
    if (refusals.n >= MAX_REFUSALS_PER_WINDOW || s.recentTicks.includes(w.tickRunId)) {
      s.counts.wakesRefused += 1;
      return;
    }
    if (!gate.idle || s.pendingRequest) return skip(w, 'skippedWhileWaiting');
    if (busy || wake) return skip(w, 'skippedOverlap');
    wake = w;
  });

  // ---- updates: validators refuse before history; handlers steer the Schedule ----
  const live = () => {
    if (cancelled || s.status === 'cancelled') throw new Error(`monitor ${key} is cancelled`);
    if (s.status === 'starting') throw new Error(`monitor ${key} is still creating its schedule`);
  };
  const onSchedule = async (
    op: ScheduleOp,
    after: (v: ScheduleView) => void,
    detail?: string,
  ): Promise<SmonUpdateOutcome> => {
    try {
      const v = await steer.smonSchedule({ key, op });
      after(v);
      s.nextRunAt = v.nextRunAt ?? s.nextRunAt;
      publish();
      return { ok: true, status: s.status, schedule: v, ...(detail ? { detail } : {}) };
    } catch (err) {
      const cause = appFailure(err);
      if (cause?.nonRetryable) return { ok: false, status: s.status, detail: cause.message };
      throw err;
    }
  };

  setHandler(
    smonPauseUpdate,
    (a) => {
      const note = parseAccepted(smonPauseArgs(), a).note ?? 'paused';
      return onSchedule({ op: 'pause', note }, () => {
        s.pausedNote = note;
        s.status = 'paused';
      });
    },
    {
      validator: (...all: unknown[]) => {
        parseMessage(smonPauseArgs(), singleArg(all, 'pause'), 'pause');
        live();
        if (s.status === 'paused') throw new Error('the monitor is already paused');
      },
    },
  );
  setHandler(
    smonResumeUpdate,
    (a) => {
      const note = parseAccepted(smonResumeArgs(), a).note ?? 'resumed';
      return onSchedule({ op: 'unpause', note }, () => {
        s.pausedNote = undefined;
        s.status = s.pendingRequest ? 'waiting' : 'active';
      });
    },
    {
      validator: (...all: unknown[]) => {
        parseMessage(smonResumeArgs(), singleArg(all, 'resume'), 'resume');
        live();
        if (s.status !== 'paused') throw new Error(`only a paused monitor is resumed (it is ${s.status})`);
      },
    },
  );
  setHandler(smonRunNowUpdate, () => onSchedule({ op: 'trigger' }, () => undefined, 'tick triggered on the schedule'), {
    validator: (...all: unknown[]) => {
      parseMessage(smonRunNowArgs(), singleArg(all, 'runNow'), 'runNow');
      live();
      if (!gate.idle || s.pendingRequest)
        throw new Error('the monitor waits for a person (a clarification is open): decide it first, then run it');
    },
  });
  setHandler(
    smonBackfillUpdate,
    (a) => {
      const b = parseAccepted(smonBackfillArgs(), a);
      return onSchedule(
        { op: 'backfill', from: b.from, to: b.to },
        () => undefined,
        `backfill ${b.from} .. ${b.to} asked of the schedule`,
      );
    },
    {
      validator: (...all: unknown[]) => {
        parseMessage(smonBackfillArgs(), singleArg(all, 'backfill'), 'backfill');
        live();
      },
    },
  );
  setHandler(
    smonSnoozeUpdate,
    (a) => {
      const until = parseAccepted(smonSnoozeArgs(), a).until;
      s.snoozedUntil = Date.parse(until) > Date.now() ? new Date(until).toISOString() : undefined;
      publish();
      return {
        ok: true,
        status: s.status,
        detail: s.snoozedUntil ? `notifications dropped until ${s.snoozedUntil}` : 'snooze ended',
      };
    },
    {
      validator: (...all: unknown[]) => {
        parseMessage(smonSnoozeArgs(), singleArg(all, 'snooze'), 'snooze');
        live();
      },
    },
  );
  setHandler(
    smonCancelUpdate,
    async () => {
      const out = await onSchedule({ op: 'delete' }, () => undefined, 'schedule deleted; monitor ended');
      if (out.ok) {
        cancelled = true;
        setStatus('cancelled');
      }
      return { ...out, status: s.status };
    },
    {
      validator: (...all: unknown[]) => {
        parseMessage(smonCancelArgs(), singleArg(all, 'cancel'), 'cancel');
        if (cancelled || s.status === 'cancelled') throw new Error(`monitor ${key} is cancelled`);
        if (!gate.idle) throw new Error('a clarification is waiting for a person: decide it first, then cancel');
      },
    },
  );

  // ---- alerts ----
  const snoozed = () => s.snoozedUntil !== undefined && Date.parse(s.snoozedUntil) > Date.now();
  const send = async (eventType: string, payload: Record<string, unknown>) => {
    s.seq += 1;
    // Stable across workflow task retries and continue-as-new (seq is carried), unique per run chain.
    const messageId = `smon.${key}.${info.firstExecutionRunId.slice(0, 12)}.${s.seq}`;
    await sendThroughOutbox(
      {
        endpoint: input.notify.endpoint,
        messageId,
        eventType,
        payload: { monitor: key, workflowId: info.workflowId, ...payload },
      },
      `${eventType} for monitor ${key}`,
    );
    s.counts.alertsSent += 1;
  };
  /** One alert through snooze, dedupe and (for condition hits) the digest. */
  const alert = async (e: MonitorEvent, alertKey: string) => {
    remember(e);
    if (snoozed()) {
      s.counts.alertsDropped += 1;
      return;
    }
    const now = Date.now();
    if (rules.dedupeSeconds !== undefined) {
      for (const [k, at] of Object.entries(s.dedupe))
        if (now - Date.parse(at) >= rules.dedupeSeconds * 1000) delete s.dedupe[k];
      if (s.dedupe[alertKey] !== undefined) {
        s.counts.alertsDeduped += 1;
        return;
      }
      const keys = Object.keys(s.dedupe);
      if (keys.length >= MAX_DEDUPE_KEYS) delete s.dedupe[keys[0]!];
      s.dedupe[alertKey] = nowIso();
    }
    if (e.kind === 'condition' && rules.digestSeconds !== undefined) {
      if (s.digest.length >= MAX_DIGEST) s.digestDropped += 1;
      else s.digest.push(e);
      s.digestDueAt ??= new Date(now + rules.digestSeconds * 1000).toISOString();
      return;
    }
    await send('monitor.alert', { kind: e.kind, at: e.at, value: e.value, detail: e.detail, alertKey });
  };
  const flushDigest = async () => {
    if (!s.digestDueAt || Date.parse(s.digestDueAt) > Date.now()) return;
    const items = s.digest;
    const dropped = s.digestDropped;
    s.digest = [];
    s.digestDropped = 0;
    s.digestDueAt = undefined;
    if (items.length === 0) return;
    await send('monitor.digest', { kind: 'digest', count: items.length + dropped, items, dropped });
    s.counts.digestsSent += 1;
  };
  const checkSilence = async () => {
    if (rules.silenceSeconds === undefined) return;
    if (Date.now() - Date.parse(s.quietSince) < rules.silenceSeconds * 1000 || s.silenceAlertedFor === s.quietSince)
      return;
    const quietSince = s.quietSince;
    s.silenceAlertedFor = quietSince;
    await alert(
      {
        at: nowIso(),
        kind: 'silence',
        detail: `no change since ${quietSince} (${rules.silenceSeconds}s)`,
        value: s.lastValue,
      },
      `silence:${quietSince}`,
    );
  };

  const onValue = async (value: unknown) => {
    const at = nowIso();
    const hadPrevious = s.lastValueAt !== undefined;
    const previous = s.lastValue;
    s.counts.ticks += 1;
    s.consecutiveFailures = 0;
    s.failureAlerted = false;
    s.lastError = undefined;
    const changed = !hadPrevious || valueText(value) !== valueText(previous);
    s.lastValue = value;
    s.lastValueAt = at;
    if (changed) {
      s.lastChangeAt = at;
      s.quietSince = at;
    }
    // A hit is a change worth a message: the condition holds and what it looks at is new.
    const field = input.condition?.field;
    const watchedChanged = !hadPrevious || valueText(extract(value, field)) !== valueText(extract(previous, field));
    if (watchedChanged && conditionHolds(input.condition, value, previous, hadPrevious)) {
      s.counts.hits += 1;
      await alert(
        { at, kind: 'condition', value: extract(value, field) },
        `condition:${valueText(extract(value, field)).slice(0, 80)}`,
      );
    }
  };
  const onFailure = async (message: string) => {
    s.counts.checksFailed += 1;
    s.consecutiveFailures += 1;
    s.lastError = message.slice(0, 1_000);
    if (rules.afterFailures !== undefined && s.consecutiveFailures >= rules.afterFailures && !s.failureAlerted) {
      s.failureAlerted = true;
      await alert(
        { at: nowIso(), kind: 'failure', detail: `${s.consecutiveFailures} failed ticks in a row: ${s.lastError}` },
        'failure',
      );
    }
  };

  /** One verified tick: the check, then what its value means. */
  const runTick = async (w: WakeArgs) => {
    busy = true;
    try {
      let out: CheckOutcome;
      try {
        const r = await tickActs.smonTick({
          key,
          alias: input.credentialAlias,
          check: input.check,
          tickWorkflowId: w.tickWorkflowId,
          tickRunId: w.tickRunId,
        });
        rememberTick(w.tickRunId);
        s.lastScheduledAt = r.tick.scheduledAt;
        s.nextRunAt = r.tick.nextRunAt;
        s.lastTickAt = nowIso();
        out = r.outcome;
        if (out.kind === 'pending')
          out = await pollActs.smonPoll({ alias: input.credentialAlias, check: out.check, taskId: out.taskId });
      } catch (err) {
        const cause = appFailure(err);
        if (cause?.type === 'TickUnverified') {
          // Not a tick of this monitor's Schedule: nothing ran, nothing is believed.
          s.counts.wakesRefused += 1;
          refusals.n += 1;
          return;
        }
        if (!(err instanceof TemporalFailure) || isCancellation(err)) throw err;
        s.lastTickAt = nowIso();
        await onFailure(cause?.message ?? err.cause?.message ?? err.message);
        return;
      }
      if (out.kind === 'needs_person') {
        s.pendingRequest = { id: out.requestId, prompt: out.prompt, digest: out.digest };
        setStatus('waiting');
        return;
      }
      if (out.kind === 'value') await onValue(out.value);
    } finally {
      busy = false;
    }
  };

  /** A Track clarification: the gate, then exactly one `intervene`; a reject pauses the Schedule. */
  const clarify = async (req: NonNullable<ScheduledMonitorState['pendingRequest']>) => {
    if (input.check.kind !== 'track_run_now') {
      s.pendingRequest = undefined; // only Track asks (see the activity); never loop on anything else
      return;
    }
    const monitorId = input.check.monitorId;
    const outcome = await gate.wait({
      requestId: req.id,
      kind: 'monitor_clarification',
      subject: `Monitor ${key} (Track ${monitorId}): ${req.prompt ?? 'the platform asks for a clarification'}`,
      approvers: input.approvers,
      deadlineSeconds: input.deadlineSeconds,
      onExpiry: input.onExpiry,
      quorum: input.quorum,
      separateDuties: input.separateDuties,
      digest: req.digest,
      shown: { prompt: req.prompt, monitorId, monitor: key },
      allowed: ['approve_with_edits', 'reject'],
    });
    try {
      if (outcome.decision === 'reject') {
        const note = `clarification ${req.id} rejected by ${outcome.decider}`;
        await onSchedule({ op: 'pause', note }, () => {
          s.pausedNote = note;
        });
        gate.applied(req.id, { ok: true, detail: 'schedule paused' });
        s.pendingRequest = undefined;
        setStatus('paused');
        return;
      }
      const edits = outcome.edits ?? [];
      await steer.monitorIntervene({
        alias: input.credentialAlias,
        monitorId,
        requestId: req.id,
        response: edits.length === 1 ? edits[0] : edits,
        key: `${info.workflowId}/${info.firstExecutionRunId}/intervene/${req.id}`,
      });
      gate.applied(req.id, { ok: true, detail: 'intervene sent' });
    } catch (err) {
      if (!(err instanceof TemporalFailure) || isCancellation(err)) throw err;
      gate.applied(req.id, { ok: false, detail: appFailure(err)?.message ?? err.message });
    }
    s.pendingRequest = undefined;
    setStatus(s.status === 'waiting' ? 'active' : s.status);
  };

  const finish = (): ScheduledMonitorResult => {
    const snap = gate.snapshot();
    return { ...s, decisions: snap.decided, audit: snap.audit };
  };

  if (!carried) upsertSearchAttributes([{ key: AwaitingHuman, value: false }]);
  publish();
  try {
    if (s.status === 'starting') {
      const v = await steer.smonEnsureSchedule({ key, spec: input.schedule, description: input.description });
      s.nextRunAt = v.nextRunAt;
      setStatus(v.paused ? 'paused' : 'active');
    }
    for (;;) {
      if (cancelled) break;
      if (s.pendingRequest && gate.idle) {
        await clarify(s.pendingRequest);
        continue;
      }
      if (workflowInfo().continueAsNewSuggested && wake === undefined) {
        await condition(() => allHandlersFinished() && !busy);
        // A tick that arrived meanwhile runs here first; the next pass continues as new.
        if (wake !== undefined) continue;
        const snap = gate.snapshot();
        const carry: CarriedScheduledMonitor = {
          state: s,
          gate: { decided: snap.decided.slice(-50), audit: snap.audit.slice(-200) },
        };
        await continueAsNew<typeof scheduledMonitor>(raw, carry);
      }
      // No timer: the Schedule keeps time. A wake, a cancel or a continue-as-new hint moves on.
      await condition(() => wake !== undefined || cancelled || workflowInfo().continueAsNewSuggested);
      if (cancelled) break;
      const w = wake;
      wake = undefined;
      if (!w) continue;
      await runTick(w);
      await checkSilence();
      await flushDigest();
      publish();
    }
    await condition(allHandlersFinished);
    publish();
    return finish();
  } catch (err) {
    if (isCancellation(err)) {
      // handle.cancel(): the Schedule goes too, or it would keep firing ticks at nothing.
      await CancellationScope.nonCancellable(async () => {
        await steer.smonSchedule({ key, op: { op: 'delete' } });
        setStatus('cancelled');
      });
    }
    throw err;
  }
}
