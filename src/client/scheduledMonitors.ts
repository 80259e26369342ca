/**
 * Cron-scheduled monitors (`client.scheduledMonitors`): one `scheduledMonitor` workflow per
 * monitor (`monitor-<key>`, the key space Track monitors share) and its Temporal Schedule
 * (`monitor-<key>`). Every argument is checked with the workflow's own schemas before anything is
 * sent, so a bad cron, an unknown condition or a URL where an endpoint alias belongs fails here.
 */
import { ScheduleNotFoundError, WorkflowIdReusePolicy, WorkflowNotFoundError } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { z } from 'zod';
import { monitorKey } from '../contracts/monitors.js';
import {
  CHECK_PLATFORM,
  SCHEDULED_MONITOR_TYPE,
  scheduledMonitorId,
  type ScheduledMonitorInput,
  scheduledMonitorInput,
  type ScheduledMonitorState,
  scheduleText,
  type SmonBackfillArgs,
  smonBackfillArgs,
  type SmonCancelArgs,
  smonCancelArgs,
  type SmonPauseArgs,
  smonPauseArgs,
  type SmonSnoozeArgs,
  smonSnoozeArgs,
  SMON_STATUSES,
  type SmonUpdateOutcome,
} from '../contracts/scheduledMonitors.js';
import {
  scheduledMonitorStateQuery,
  smonBackfillUpdate,
  smonCancelUpdate,
  smonPauseUpdate,
  smonResumeUpdate,
  smonRunNowUpdate,
  smonSnoozeUpdate,
} from '../workflows/monitors/scheduledMonitor.js';
import {
  explain,
  listVisible,
  type StatusRow,
  statusRow,
  SubClient,
  SwitchboardClientError,
  validate,
} from './shared.js';

/** The Schedule as the Temporal server has it now. */
export interface ScheduleNow {
  paused: boolean;
  note?: string;
  nextRunAt?: string;
  recentTicks: string[];
  actionsTaken: number;
}

/** `show`: the entity's state beside its Schedule. */
export interface ScheduledMonitorView extends ScheduledMonitorState {
  key: string;
  workflowId: string;
  workflowStatus: string;
  schedule?: ScheduleNow;
  /** Why the Schedule could not be read (it exists, but the server did not answer). */
  scheduleError?: string;
}

/** One row of `monitor list` for a scheduled monitor. */
export interface ScheduledMonitorSummary extends StatusRow {
  kind: 'scheduled';
}

const filter = z
  .object({ status: z.enum(SMON_STATUSES).optional(), limit: z.number().int().positive().max(10_000).optional() })
  .strict();

/** Client for `scheduledMonitor` workflows and their Schedules. */
export class ScheduledMonitorClient extends SubClient {
  /** Starts the monitor's entity (it creates its Schedule); a key already running is refused (`already_exists`). */
  async create(input: ScheduledMonitorInput): Promise<{ workflowId: string; runId: string; scheduleId: string }> {
    const parsed = validate(scheduledMonitorInput(), input, 'invalid monitor');
    const workflowId = scheduledMonitorId(parsed.key);
    const started = await this.startOnQueue(SCHEDULED_MONITOR_TYPE, {
      workflowId,
      input,
      reusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      summary: `Scheduled monitor ${parsed.key}: ${parsed.check.kind}${parsed.description ? ` — ${parsed.description.slice(0, 60)}` : ''}`,
      details: `schedule ${scheduleText(parsed.schedule)}; alerts to outbox endpoint ${parsed.notify.endpoint}`,
      provider: CHECK_PLATFORM[parsed.check.kind],
      status: 'starting',
      running: `monitor ${parsed.key} is already running (${workflowId})`,
    });
    return { ...started, scheduleId: workflowId };
  }

  /** Accepts a key or a workflow id. */
  id(keyOrId: string): string {
    if (keyOrId.startsWith('monitor-')) return keyOrId;
    validate(monitorKey(), keyOrId, 'invalid monitor key');
    return scheduledMonitorId(keyOrId);
  }

  /** Whether the monitor under this key is a scheduled one (`undefined` when there is none). */
  async isScheduled(keyOrId: string): Promise<boolean | undefined> {
    try {
      const d = await this.temporal.workflow.getHandle(this.id(keyOrId)).describe();
      return d.type === SCHEDULED_MONITOR_TYPE;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }

  /** The entity's state and its Schedule as they stand. */
  async show(keyOrId: string): Promise<ScheduledMonitorView> {
    const workflowId = this.id(keyOrId);
    return explain(workflowId, async () => {
      const h = this.temporal.workflow.getHandle(workflowId);
      const [d, state] = await Promise.all([h.describe(), h.query(scheduledMonitorStateQuery)]);
      if (d.type !== SCHEDULED_MONITOR_TYPE)
        throw new SwitchboardClientError('invalid_input', `${workflowId} is a ${d.type}, not a scheduled monitor`);
      let schedule: ScheduleNow | undefined;
      let scheduleError: string | undefined;
      try {
        const sd = await this.temporal.schedule.getHandle(workflowId).describe();
        schedule = {
          paused: sd.state.paused,
          note: sd.state.note ?? undefined,
          nextRunAt: sd.info.nextActionTimes[0]?.toISOString(),
          recentTicks: sd.info.recentActions.map((a) => a.scheduledAt.toISOString()),
          actionsTaken: sd.info.numActionsTaken,
        };
      } catch (err) {
        // The entity's own state still answers when the Schedule cannot be read (gone, or a busy server).
        if (!(err instanceof ScheduleNotFoundError)) scheduleError = err instanceof Error ? err.message : String(err);
      }
      return {
        ...state,
        key: workflowId.slice('monitor-'.length),
        workflowId,
        workflowStatus: d.status.name,
        schedule,
        scheduleError,
      };
    });
  }

  private update<A>(
    keyOrId: string,
    def: UpdateDefinition<SmonUpdateOutcome, [A]>,
    args: A,
  ): Promise<SmonUpdateOutcome> {
    const workflowId = this.id(keyOrId);
    return explain(workflowId, async () => {
      const h = this.temporal.workflow.getHandle(workflowId);
      let r: SmonUpdateOutcome;
      try {
        r = await h.executeUpdate(def, { args: [args] });
      } catch (err) {
        // An update to a monitor that has ended reads as "not found" from the server: say what it is.
        const d = await h.describe().catch(() => undefined);
        if (d && d.status.name !== 'RUNNING')
          throw new SwitchboardClientError(
            'rejected',
            `monitor ${workflowId} has ended (${d.status.name.toLowerCase()})`,
          );
        throw err;
      }
      if (!r.ok) throw new SwitchboardClientError('rejected', r.detail ?? 'refused');
      return r;
    });
  }

  /** Pauses the Schedule with a note (ticks stop; the entity stays). */
  pause(keyOrId: string, args: SmonPauseArgs = {}): Promise<SmonUpdateOutcome> {
    return this.update(keyOrId, smonPauseUpdate, validate(smonPauseArgs(), args, 'invalid pause'));
  }

  resume(keyOrId: string, args: SmonPauseArgs = {}): Promise<SmonUpdateOutcome> {
    return this.update(keyOrId, smonResumeUpdate, validate(smonPauseArgs(), args, 'invalid resume'));
  }

  /** Triggers one tick on the Schedule now (it wakes the entity like any other tick). */
  runNow(keyOrId: string): Promise<SmonUpdateOutcome> {
    return this.update(keyOrId, smonRunNowUpdate, {});
  }

  /** Drops notifications until `until` (checks keep running); a past time ends the snooze. */
  snooze(keyOrId: string, args: SmonSnoozeArgs): Promise<SmonUpdateOutcome> {
    return this.update(keyOrId, smonSnoozeUpdate, validate(smonSnoozeArgs(), args, 'invalid snooze'));
  }

  /** Asks the Schedule for the ticks it would have fired between `from` and `to`. */
  backfill(keyOrId: string, args: SmonBackfillArgs): Promise<SmonUpdateOutcome> {
    return this.update(keyOrId, smonBackfillUpdate, validate(smonBackfillArgs(), args, 'invalid backfill'));
  }

  /** Deletes the Schedule and ends the monitor. */
  cancel(keyOrId: string, args: SmonCancelArgs = {}): Promise<SmonUpdateOutcome> {
    return this.update(keyOrId, smonCancelUpdate, validate(smonCancelArgs(), args, 'invalid cancel'));
  }

  /** Scheduled monitors through one visibility query. */
  async list(f: { status?: string; limit?: number } = {}): Promise<ScheduledMonitorSummary[]> {
    const q = validate(filter, f, 'invalid filter');
    const clauses = [`WorkflowType = '${SCHEDULED_MONITOR_TYPE}'`];
    if (q.status) clauses.push(`SwitchboardStatus = '${q.status}'`);
    return listVisible(this.temporal, clauses.join(' AND '), q.limit ?? 100, (wf): ScheduledMonitorSummary => ({
      kind: 'scheduled',
      ...statusRow(wf),
    }));
  }
}
