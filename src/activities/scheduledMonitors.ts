/**
 * Activities of cron-scheduled monitors (src/workflows/monitors/scheduledMonitor.ts):
 *
 * - the monitor's Temporal Schedule, created idempotently and steered (pause with a note, unpause,
 *   trigger, backfill, delete) with the worker's own Temporal client;
 * - `smonWake`: the tick's one step, a signal naming the tick run to the entity;
 * - `smonTick`: the entity's one step per tick. It first checks the wake against the Schedule
 *   itself (the named run must be one of the Schedule's recent or running actions), then runs the
 *   monitor's check and returns its value. A wake nobody can vouch for runs nothing;
 * - `smonPoll`: a search or research that answered 202, polled through the retry policy.
 *
 * Temporal owns the retries: "not ready yet" is a retryable ApplicationFailure with a
 * `nextRetryDelay`, never a loop in here.
 */
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type ScheduleDescription,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  type MonitorCheck,
  type MonitorScheduleSpecParsed,
  SCHEDULED_MONITOR_TICK_TYPE,
  scheduledMonitorId,
  type ScheduleOp,
  type ScheduleView,
  tickWorkflowIdPrefix,
} from '../contracts/scheduledMonitors.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { mapFailures } from './failures.js';
import { freshSnapshot } from './monitors.js';

/** What one check produced. */
export type CheckOutcome =
  | { kind: 'value'; value: unknown }
  /** A search or research still running (202): the entity polls it with {@link smonPoll}. */
  | { kind: 'pending'; check: PendingCheck; taskId: string }
  /** The Track monitor asks a person first (`pending_clarification`). */
  | { kind: 'needs_person'; requestId: string; prompt?: string; digest: string };

/** Checks whose first answer may be "still running" (polled by {@link smonPoll}). */
export type PendingCheck = 'web_search' | 'deep_research' | 'archastro_routine';

/** A verified tick: when the Schedule meant it to run, and the run after it. */
export interface VerifiedTick {
  scheduledAt: string;
  nextRunAt?: string;
}

/** The failure type of a wake the Schedule does not vouch for. */
export const TICK_UNVERIFIED = 'TickUnverified';
/** Largest value handed back to the workflow (bytes of JSON). */
const MAX_VALUE_BYTES = 8 * 1024;

function bounded(v: unknown): unknown {
  const text = JSON.stringify(v ?? null);
  if (text.length <= MAX_VALUE_BYTES) return v ?? null;
  return { truncated: true, sha256: createHash('sha256').update(text).digest('hex'), bytes: text.length };
}

function view(d: ScheduleDescription): ScheduleView {
  return {
    scheduleId: d.scheduleId,
    paused: d.state.paused,
    note: d.state.note ?? undefined,
    nextRunAt: d.info.nextActionTimes[0]?.toISOString(),
    actionsTaken: d.info.numActionsTaken,
  };
}

const OVERLAP: Record<MonitorScheduleSpecParsed['overlap'], ScheduleOverlapPolicy> = {
  SKIP: ScheduleOverlapPolicy.SKIP,
  BUFFER_ONE: ScheduleOverlapPolicy.BUFFER_ONE,
  BUFFER_ALL: ScheduleOverlapPolicy.BUFFER_ALL,
  CANCEL_OTHER: ScheduleOverlapPolicy.CANCEL_OTHER,
  TERMINATE_OTHER: ScheduleOverlapPolicy.TERMINATE_OTHER,
  ALLOW_ALL: ScheduleOverlapPolicy.ALLOW_ALL,
};

/** A refusal retrying cannot fix (a spec the server refuses, a Schedule id taken by something else). */
const refused = (type: string, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });

/**
 * Scheduled monitors' activities: own the monitor's Temporal Schedule, verify that a tick came from
 * it, and run one check per tick.
 */
export function createScheduledMonitorActivities(deps: { providers: ProviderRegistry }) {
  const schedules = () => Context.current().client.schedule;
  const call = (idempotencyKey?: string) => ({ signal: Context.current().cancellationSignal, idempotencyKey });

  /** Fires the check once (see {@link CheckOutcome}). */
  async function runCheck(alias: string, check: MonitorCheck, key: string, tick: VerifiedTick): Promise<CheckOutcome> {
    return mapFailures(async (): Promise<CheckOutcome> => {
      switch (check.kind) {
        case 'track_run_now': {
          const track = deps.providers.client('webagent', alias).track;
          try {
            // Track ignores Idempotency-Key: a retry takes the tick an earlier attempt fired.
            const earlier = await freshSnapshot(track, check.monitorId);
            if (earlier) return { kind: 'value', value: bounded(earlier.data ?? null) };
            const out = await track.runNow(check.monitorId, call(`smon/${key}/${tick.scheduledAt}`));
            return { kind: 'value', value: bounded(out.snapshot?.data ?? null) };
          } catch (err) {
            if ((err as { status?: number }).status !== 409) throw err;
            const m = await track.get(check.monitorId, call());
            if (m.status !== 'pending_clarification' || !m.pending_request) throw err;
            const prompt = m.pending_request.prompt?.slice(0, 2_000) ?? undefined;
            const digest = createHash('sha256')
              .update(JSON.stringify({ id: m.pending_request.id, prompt: prompt ?? null }))
              .digest('hex');
            return { kind: 'needs_person', requestId: m.pending_request.id, prompt, digest };
          }
        }
        case 'web_search': {
          const ws = deps.providers.client('webagent', alias).webSearch;
          // residual risk: a search has no tag and no list; a retry after a lost answer runs (and
          // bills) the search again. It changes nothing on the platform, so only the cost repeats.
          const env = await ws.run({ queries: [check.query], engines: check.engines }, call());
          if (env.status !== 'completed') return { kind: 'pending', check: 'web_search', taskId: env.task_id };
          return { kind: 'value', value: searchValue(env) };
        }
        case 'deep_research': {
          const dr = deps.providers.client('webagent', alias).deepResearch;
          // residual risk: DeepResearch `run` has no tag and no list (see research.ts): a retry
          // after a lost answer starts a second light research task; the first runs on unobserved.
          const t = await dr.run({ topic: check.topic, depth: 'light', requireOutlineApproval: false }, call());
          return { kind: 'pending', check: 'deep_research', taskId: t.task_id };
        }
        case 'archastro_routine': {
          const aa = deps.providers.client('archastro', alias);
          // The platform's own dedupe, derived from the monitor and the tick's scheduled time: a retry,
          // or a second wake for the same tick, finds the same run instead of starting another.
          const idem = `smon:${key}:${tick.scheduledAt}`;
          // Both SDKs require `message`: a check configured without one still says what it is for.
          const message = check.message ?? `Scheduled check of monitor ${key} (tick ${tick.scheduledAt})`;
          let run;
          try {
            // The run carries the key in its metadata too: the SDK's run model has no `idempotency_key`,
            // so after a 409 the run is found by this tag (see ROUTINE_RUN_TAG).
            run = await aa.invokeRoutine(
              check.routineId,
              { idempotency_key: idem, message, metadata: { [ROUTINE_RUN_TAG]: idem } },
              call(),
            );
          } catch (err) {
            // 409: the run for this key has completed already; read it back.
            if ((err as { status?: number }).status !== 409) throw err;
            const page = await aa.listRuns(check.routineId, { limit: 50 }, call());
            run = page.data.find((r) => r.metadata?.[ROUTINE_RUN_TAG] === idem || r.idempotency_key === idem);
            if (!run) throw err;
          }
          return routineOutcome(run) ?? { kind: 'pending', check: 'archastro_routine', taskId: run.id };
        }
      }
    });
  }

  return {
    /**
     * Creates the monitor's Schedule, or finds it: a retry after a lost answer, or a continued
     * run, gets the one that exists. An id taken by a Schedule that is not this monitor's is refused.
     */
    async smonEnsureSchedule(args: {
      key: string;
      spec: MonitorScheduleSpecParsed;
      description?: string;
    }): Promise<ScheduleView> {
      const ctx = Context.current();
      const scheduleId = scheduledMonitorId(args.key);
      const s = args.spec;
      try {
        const h = await schedules().create({
          scheduleId,
          spec: {
            cronExpressions: s.cron,
            intervals: s.everySeconds.map((every) => ({ every: `${every}s` })),
            timezone: s.timezone,
            jitter: s.jitterSeconds ? `${s.jitterSeconds}s` : undefined,
            startAt: s.startAt ? new Date(s.startAt) : undefined,
            endAt: s.endAt ? new Date(s.endAt) : undefined,
          },
          action: {
            type: 'startWorkflow',
            workflowType: SCHEDULED_MONITOR_TICK_TYPE,
            args: [{ key: args.key }],
            taskQueue: ctx.info.taskQueue,
            workflowId: tickWorkflowIdPrefix(args.key),
            // A tick is one local activity; a tick that cannot run within a minute is dropped, not queued.
            workflowExecutionTimeout: '1 minute',
            staticSummary: `tick of monitor ${args.key}`,
          },
          policies: { overlap: OVERLAP[s.overlap], catchupWindow: `${s.catchupWindowSeconds}s`, pauseOnFailure: false },
          memo: { switchboardMonitor: args.key },
          state: {
            note: args.description ? `monitor ${args.key}: ${args.description.slice(0, 200)}` : `monitor ${args.key}`,
          },
        });
        return view(await h.describe());
      } catch (err) {
        if (err instanceof ScheduleAlreadyRunning) {
          const d = await schedules().getHandle(scheduleId).describe();
          const ours =
            d.action.type === 'startWorkflow' &&
            d.action.workflowType === SCHEDULED_MONITOR_TICK_TYPE &&
            d.memo?.switchboardMonitor === args.key;
          if (!ours) throw refused('ScheduleConflict', `schedule ${scheduleId} exists and is not this monitor's`);
          return view(d);
        }
        const msg = err instanceof Error ? err.message : String(err);
        if (/invalid|INVALID_ARGUMENT/i.test(msg))
          throw refused('InvalidSchedule', `the Temporal server refused the schedule: ${msg}`);
        throw err;
      }
    },

    /** One operation on the Schedule; answers it as it now stands (a deleted one as `deleted`). */
    async smonSchedule(args: { key: string; op: ScheduleOp }): Promise<ScheduleView & { deleted?: boolean }> {
      const scheduleId = scheduledMonitorId(args.key);
      const h = schedules().getHandle(scheduleId);
      const o = args.op;
      try {
        switch (o.op) {
          case 'pause':
            await h.pause(o.note);
            break;
          case 'unpause':
            await h.unpause(o.note);
            break;
          case 'trigger':
            // ALLOW_ALL: a person asked for this tick; it is not skipped because another runs.
            await h.trigger(ScheduleOverlapPolicy.ALLOW_ALL);
            break;
          case 'backfill':
            await h.backfill({
              start: new Date(o.from),
              end: new Date(o.to),
              overlap: ScheduleOverlapPolicy.ALLOW_ALL,
            });
            break;
          case 'delete':
            await h.delete();
            return { scheduleId, paused: true, deleted: true };
          case 'describe':
            break;
        }
        return view(await h.describe());
      } catch (err) {
        if (err instanceof ScheduleNotFoundError) {
          if (o.op === 'delete') return { scheduleId, paused: true, deleted: true };
          throw refused('ScheduleNotFound', `schedule ${scheduleId} does not exist`);
        }
        throw err;
      }
    },

    /** The tick's step: wakes the entity, naming this tick run (nothing else). */
    async smonWake(args: { key: string; tickWorkflowId: string; tickRunId: string }): Promise<{ woke: boolean }> {
      try {
        await Context.current()
          .client.workflow.getHandle(scheduledMonitorId(args.key))
          .signal('wake', { tickWorkflowId: args.tickWorkflowId, tickRunId: args.tickRunId });
        return { woke: true };
      } catch (err) {
        // The monitor ended (its Schedule is being deleted): nothing to wake.
        if ((err as Error).name === 'WorkflowNotFoundError') return { woke: false };
        throw err;
      }
    },

    /**
     * The entity's step per tick: checks that the named run is one of this monitor's Schedule's
     * actions (recent or running), then runs the check. The Schedule records an action just after
     * starting it, so an unknown run is retried briefly before it is refused.
     */
    async smonTick(args: {
      key: string;
      alias: string;
      check: MonitorCheck;
      tickWorkflowId: string;
      tickRunId: string;
    }): Promise<{ tick: VerifiedTick; outcome: CheckOutcome }> {
      const tick = await verifyTick(args.key, args.tickWorkflowId, args.tickRunId);
      return { tick, outcome: await runCheck(args.alias, args.check, args.key, tick) };
    },

    /**
     * Only the check of a wake against the Schedule (a tick skipped while a person decides is still verified before it
     * is counted).
     */
    async smonVerify(args: { key: string; tickWorkflowId: string; tickRunId: string }): Promise<VerifiedTick> {
      return verifyTick(args.key, args.tickWorkflowId, args.tickRunId);
    },

    /** Polls a search or research that answered 202; "still running" is retried by the retry policy. */
    async smonPoll(args: { alias: string; check: PendingCheck; taskId: string }): Promise<CheckOutcome> {
      return mapFailures(async () => {
        const notYet = (status: string) =>
          ApplicationFailure.create({
            type: 'StillRunning',
            message: `${args.check} ${args.taskId} is ${status}`,
            nextRetryDelay: '1 s',
          });
        if (args.check === 'archastro_routine') {
          const run = await deps.providers.client('archastro', args.alias).getRun(args.taskId, call());
          const out = routineOutcome(run);
          if (!out) throw notYet(run.status);
          return out;
        }
        if (args.check === 'web_search') {
          const env = await deps.providers.client('webagent', args.alias).webSearch.get(args.taskId, call());
          if (env.status === 'failed')
            throw refused('SearchFailed', `web search ${args.taskId} failed${env.error ? `: ${env.error}` : ''}`);
          if (env.status !== 'completed') throw notYet(env.status);
          return { kind: 'value', value: searchValue(env) };
        }
        const t = await deps.providers.client('webagent', args.alias).deepResearch.get(args.taskId, call());
        if (t.status === 'failed' || t.status === 'cancelled')
          throw refused('ResearchFailed', `research ${args.taskId} ${t.status}`);
        if (t.status !== 'completed') throw notYet(t.status);
        return { kind: 'value', value: { status: t.status, topic: t.topic ?? null, depth: t.depth ?? null } };
      });
    },
  };

  async function verifyTick(key: string, workflowId: string, runId: string): Promise<VerifiedTick> {
    let d: ScheduleDescription;
    try {
      d = await schedules().getHandle(scheduledMonitorId(key)).describe();
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) throw refused(TICK_UNVERIFIED, `monitor ${key} has no schedule`);
      throw err;
    }
    const same = (a: { type: string; workflow?: { workflowId: string; firstExecutionRunId: string } }) =>
      a.type === 'startWorkflow' && a.workflow?.workflowId === workflowId && a.workflow.firstExecutionRunId === runId;
    const recent = d.info.recentActions.find((r) => same(r.action as never));
    const running = d.info.runningActions.some((a) => same(a));
    if (!recent && !running) {
      // The Schedule may not have recorded an action it just took: a few short retries, then refused.
      const attempt = Context.current().info.attempt;
      throw ApplicationFailure.create({
        type: TICK_UNVERIFIED,
        message: `${workflowId} (${runId}) is not an action of schedule ${d.scheduleId}`,
        nonRetryable: attempt >= 3,
        nextRetryDelay: '300 ms',
      });
    }
    // A running action carries no time; the Schedule puts it in the workflow id (`<prefix>-<RFC 3339>`).
    const fromId = Date.parse(workflowId.slice(tickWorkflowIdPrefix(key).length + 1));
    const at = recent?.scheduledAt ?? (Number.isFinite(fromId) ? new Date(fromId) : undefined);
    if (!at) throw refused(TICK_UNVERIFIED, `${workflowId} carries no tick time`);
    return { scheduledAt: at.toISOString(), nextRunAt: d.info.nextActionTimes[0]?.toISOString() };
  }
}

/** Metadata key that tags a routine run with the tick's idempotency key (found again after a 409). */
export const ROUTINE_RUN_TAG = 'switchboard_key';

/** Largest routine result kept whole (bytes of JSON); a larger one is summarised. */
const MAX_RESULT_BYTES = 4 * 1024;

/**
 * A routine run's `result` (an object in the SDKs; a bare string from an older server) as a value
 * small enough for history: whole when it is small, else its text head, its top-level keys, its
 * size and digest — never the whole object.
 */
export function summariseRoutineResult(result: unknown): unknown {
  if (result === null || result === undefined) return null;
  if (typeof result === 'string')
    return result.length <= MAX_RESULT_BYTES
      ? result
      : { text: result.slice(0, 2_000), bytes: result.length, truncated: true };
  const text = JSON.stringify(result);
  if (text.length <= MAX_RESULT_BYTES) return result;
  const obj = typeof result === 'object' && !Array.isArray(result) ? (result as Record<string, unknown>) : {};
  const head = ['text', 'content', 'message', 'summary']
    .map((k) => obj[k])
    .find((v): v is string => typeof v === 'string');
  return {
    ...(head !== undefined ? { text: head.slice(0, 2_000) } : {}),
    keys: Object.keys(obj).slice(0, 20),
    bytes: text.length,
    sha256: createHash('sha256').update(text).digest('hex'),
    truncated: true,
  };
}

/**
 * A finished routine run as a check outcome, or undefined while it runs. `failed` throws (nothing
 * to retry: the platform ran it); `cancelled` and `skipped` are terminal outcomes, not failures —
 * the tick records them as its value and the monitor goes on.
 */
function routineOutcome(run: {
  id: string;
  status: string;
  result?: unknown;
  structured_response?: unknown;
}): CheckOutcome | undefined {
  if (run.status === 'failed') {
    // The SDK's run has no `error` field; a reason, if any, sits in `result`.
    const reason = (run.result as { error?: unknown } | null | undefined)?.error;
    throw refused(
      'RoutineRunFailed',
      `routine run ${run.id} failed${typeof reason === 'string' ? `: ${reason.slice(0, 500)}` : ''}`,
    );
  }
  if (run.status === 'cancelled' || run.status === 'skipped')
    return { kind: 'value', value: { status: run.status, result: null, structured: null } };
  if (run.status !== 'completed') return undefined;
  return {
    kind: 'value',
    value: bounded({
      result: summariseRoutineResult(run.result),
      structured: summariseRoutineResult(run.structured_response),
    }),
  };
}

function searchValue(env: {
  results?: { results: { url: string; title?: string | null }[]; summary?: string | null } | null;
}) {
  const hits = env.results?.results ?? [];
  return bounded({
    count: hits.length,
    urls: hits.slice(0, 10).map((h) => h.url),
    titles: hits.slice(0, 10).map((h) => h.title ?? ''),
    summary: env.results?.summary?.slice(0, 2_000) ?? null,
  });
}
