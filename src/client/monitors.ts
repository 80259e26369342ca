/**
 * Web Agent Track monitors (`client.monitors`): one `trackMonitor` workflow per monitor, its id
 * `monitor-<key>` (the business key). Every argument is checked with the workflow's own schemas.
 * Cron-scheduled monitors, which share the key space, are `client.scheduledMonitors`.
 */
import { WorkflowIdReusePolicy } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { z } from 'zod';
import {
  type CancelMonitorArgs,
  cancelMonitorArgs,
  MONITOR_STATUSES,
  type ListDeliveriesArgs,
  listDeliveriesArgs,
  monitorKey,
  monitorMessageArgs,
  type MonitorUpdateOutcome,
  monitorWorkflowId,
  type PauseMonitorArgs,
  pauseMonitorArgs,
  type RefineMonitorArgs,
  refineMonitorArgs,
  retryDeliveryArgs,
  type TrackMonitorInput,
  trackMonitorInput,
  type TrackMonitorState,
} from '../contracts/monitors.js';
import {
  cancelMonitorUpdate,
  deliveriesUpdate,
  retryDeliveryUpdate,
  messageUpdate,
  monitorStateQuery,
  pauseUpdate,
  refineUpdate,
  resumeUpdate,
  runNowUpdate,
} from '../workflows/monitors/trackMonitor.js';
import { listVisible, type StatusRow, statusRow, SubClient, SwitchboardClientError, validate } from './shared.js';

/** One row of `switchboard monitor list`. */
export type MonitorSummary = StatusRow;

const monitorFilter = z
  .object({ status: z.enum(MONITOR_STATUSES).optional(), limit: z.number().int().positive().max(10_000).optional() })
  .strict();

/** Client for `trackMonitor` workflows. */
export class MonitorClient extends SubClient {
  /** Starts the monitor's workflow; a key already running is refused (`already_exists`). */
  async create(key: string, input: TrackMonitorInput): Promise<{ workflowId: string; runId: string }> {
    validate(monitorKey(), key, 'invalid monitor key');
    const parsed = validate(trackMonitorInput(), input, 'invalid monitor');
    const workflowId = monitorWorkflowId(key);
    return this.startOnQueue('trackMonitor', {
      workflowId,
      input,
      reusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      summary: `Track monitor: ${parsed.intent.slice(0, 80)}`,
      details: `schedule ${parsed.schedule.kind}; approvers ${parsed.approvers.join(', ')}; polled every ${parsed.pollSeconds}s`,
      provider: 'webagent',
      status: 'creating',
      running: `monitor ${key} is already running (${workflowId})`,
    });
  }

  /** Accepts a key or a workflow id. */
  private id(keyOrId: string): string {
    return keyOrId.startsWith('monitor-') ? keyOrId : monitorWorkflowId(keyOrId);
  }

  /** An update whose `ok: false` answer (a platform refusal) becomes a `rejected` error. */
  private async update<A>(
    keyOrId: string,
    def: UpdateDefinition<MonitorUpdateOutcome, [A]>,
    args: A,
  ): Promise<MonitorUpdateOutcome> {
    const r = await this.runUpdate(this.id(keyOrId), def, args);
    if (!r.ok) throw new SwitchboardClientError('rejected', r.detail ?? 'refused by the platform');
    return r;
  }

  /** The monitor's state (status, last snapshot and change, platform outbox counts). */
  show(keyOrId: string): Promise<TrackMonitorState> {
    return this.runQuery(this.id(keyOrId), monitorStateQuery);
  }

  /** Pauses the monitor on the platform. */
  pause(keyOrId: string, args: PauseMonitorArgs = {}): Promise<MonitorUpdateOutcome> {
    return this.update(keyOrId, pauseUpdate, validate(pauseMonitorArgs(), args, 'invalid pause'));
  }

  /** Resumes a paused monitor. */
  resume(keyOrId: string): Promise<MonitorUpdateOutcome> {
    return this.update(keyOrId, resumeUpdate, {});
  }

  /** Replaces the monitor's trigger. */
  refine(keyOrId: string, args: RefineMonitorArgs): Promise<MonitorUpdateOutcome> {
    return this.update(keyOrId, refineUpdate, validate(refineMonitorArgs(), args, 'invalid refine'));
  }

  /** Runs the monitor once now (skipped, and counted, while a person decides). */
  runNow(keyOrId: string): Promise<MonitorUpdateOutcome> {
    return this.update(keyOrId, runNowUpdate, {});
  }

  /** Sends the monitor's agent a message. */
  message(keyOrId: string, content: string): Promise<MonitorUpdateOutcome> {
    return this.update(keyOrId, messageUpdate, validate(monitorMessageArgs(), { content }, 'invalid message'));
  }

  /** Cancels the monitor on the platform and ends the workflow. */
  cancel(keyOrId: string, args: CancelMonitorArgs = {}): Promise<MonitorUpdateOutcome> {
    return this.update(keyOrId, cancelMonitorUpdate, validate(cancelMonitorArgs(), args, 'invalid cancel'));
  }

  /** The platform's outbox for this monitor (newest first, one page), read through the worker. */
  async deliveries(keyOrId: string, args: ListDeliveriesArgs = {}): Promise<MonitorUpdateOutcome> {
    return this.update(keyOrId, deliveriesUpdate, validate(listDeliveriesArgs(), args, 'invalid deliveries'));
  }

  /** Retries one dead platform delivery; the answer carries the row after the attempt. */
  async retryDelivery(keyOrId: string, deliveryId: string): Promise<MonitorUpdateOutcome> {
    return this.update(keyOrId, retryDeliveryUpdate, validate(retryDeliveryArgs(), { deliveryId }, 'invalid retry'));
  }

  /** Monitors through one visibility query (no scanning). */
  async list(filter: { status?: string; limit?: number } = {}): Promise<MonitorSummary[]> {
    const f = validate(monitorFilter, filter, 'invalid filter');
    const clauses = [`WorkflowType = 'trackMonitor'`];
    if (f.status) clauses.push(`SwitchboardStatus = '${f.status}'`);
    return listVisible(this.temporal, clauses.join(' AND '), f.limit ?? 100, statusRow);
  }
}
