/**
 * The typed Switchboard client library: start and steer agent sessions, read their state, list
 * them. Every input is validated here with the same zod schemas the workflow's validators use,
 * so bad input fails before a workflow starts or an update is sent.
 */
import { clientInterceptors, setupTracing } from '../telemetry/tracing.js';
import { type KeyObject, randomUUID } from 'node:crypto';
import {
  Client,
  type Connection,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { z } from 'zod';
import { parseEnv } from '../config.js';
import { ScheduledMonitorClient } from './scheduledMonitors.js';
import { signDecision } from '../identity/keys.js';
import { connectClient, temporalTarget } from '../worker/connect.js';
import type { UpdateOutcome } from '../workflows/agentSession/definitions.js';
import * as defs from '../workflows/agentSession/definitions.js';
import {
  type AgentSessionInputRaw,
  type AgentSessionResult,
  type AgentSessionState,
  agentSessionInput,
  answerInputArgs,
  cancelArgs,
  followUpArgs,
  renameArgs,
  rewindArgs,
  SESSION_STATUSES,
  SESSION_PLATFORMS,
  sendMessageArgs,
  setCallbacksArgs,
  type TranscriptEntry,
} from '../contracts/sessions.js';
import { formatZodError } from '../workflows/validation.js';
import type { agentSession } from '../workflows/agentSession/workflow.js';
import { AwaitingHuman, GateDeadline, GateKind, SwitchboardProvider, SwitchboardStatus } from '../contracts/searchAttributes.js';
import { decideUpdate, gateQuery, auditQuery } from '../workflows/gate/gate.js';
import {
  type AuditEntry,
  type DecisionInput,
  decisionInput,
  type ExpiryPolicyInput,
  type GateMemo,
  type GateOutcome,
  type GateView,
} from '../contracts/gates.js';
import { joinStateQuery } from '../workflows/mycel/joinRequest.js';
import { relationshipStateQuery } from '../workflows/mycel/relationshipRequest.js';
import { type MycelInboxInput, mycelInboxInput } from '../workflows/mycel/types.js';
import { type DeepResearchInput, type DeepResearchState, deepResearchInput, researchStateQuery } from '../workflows/deepResearch.js';
import {
  type AttemptRecord,
  DELIVERY_STATUSES,
  type DeliveryMemo,
  type DeliveryView,
  deliveryWorkflowId,
  endpointMarkerId,
  type ReplayInput,
  replayInput,
  type WebhookDeliveryInput,
  webhookDeliveryInput,
} from '../contracts/outbox.js';
import { credentialAlias } from '../contracts/aliases.js';
import { deliveryQuery, enableUpdate, replayUpdate } from '../workflows/outbox/delivery.js';
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

/** Why a client call failed; the CLI maps each to an exit code. */
export type ClientErrorCode = 'invalid_input' | 'not_found' | 'rejected' | 'already_exists' | 'failed';

/** A typed client error with a clear reason. */
export class SwitchboardClientError extends Error {
  constructor(
    readonly code: ClientErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SwitchboardClientError';
  }
}

/** One row of `switchboard inbox`. */
export interface InboxItem {
  workflowId: string;
  workflowType: string;
  kind?: string;
  subject?: string;
  waitingSince?: string;
  deadline?: string;
  approvers: string[];
  requestId?: string;
}

/** Parses `90s`, `30m`, `24h`, `7d` (or plain seconds) into seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)\s*(s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new SwitchboardClientError('invalid_input', `not a duration: "${text}" (use e.g. 90s, 30m, 24h, 7d)`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[(m[2] ?? 's') as 's'];
}

/** Parses `reject`, `approve`, `escalate:alice,bob[@24h]` or `wait[:1h]` into an expiry policy. */
export function parseExpiry(text: string): ExpiryPolicyInput {
  const [policy, arg] = [text.split(':')[0], text.split(':').slice(1).join(':')];
  if (policy === 'reject' || policy === 'approve') return { policy };
  if (policy === 'wait') return arg ? { policy, remindEverySeconds: parseDuration(arg) } : { policy };
  if (policy === 'escalate') {
    const [who, after] = arg.split('@');
    const to = (who ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (to.length === 0) throw new SwitchboardClientError('invalid_input', 'escalate needs someone to escalate to: escalate:<name>[,<name>][@24h]');
    return after ? { policy, to, extendSeconds: parseDuration(after) } : { policy, to };
  }
  throw new SwitchboardClientError('invalid_input', `unknown expiry policy "${text}" (reject, approve, escalate:<who>, wait[:<every>])`);
}

/** One row of `session list`. */
export interface SessionSummary {
  workflowId: string;
  runId: string;
  provider?: string;
  status?: string;
  awaitingHuman?: boolean;
  workflowStatus: string;
  startTime: string;
  title?: string;
}

export interface SwitchboardClientOptions {
  connection: Connection;
  namespace?: string;
  /** @default 'switchboard' */
  taskQueue?: string;
}

export function validate<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: any } }, v: unknown, what: string): T {
  const r = schema.safeParse(v);
  if (!r.success) throw new SwitchboardClientError('invalid_input', `${what}: ${formatZodError(r.error)}`);
  return r.data;
}

/** The innermost failure message (an update's ActivityFailure wraps the platform's answer). */
function rootMessage(err: Error): string {
  let e: Error = err;
  while (e.cause instanceof Error) e = e.cause;
  return e.message;
}

/**
 * The one way the client starts a Switchboard workflow: on its task queue, with its summary for
 * the Web UI and the search attributes lists and the inbox read from the first moment, and a
 * taken workflow id reported as `already_exists` (`running` says what is running).
 */
export async function startWorkflow(
  temporal: Client,
  taskQueue: string,
  type: string,
  o: {
    workflowId: string;
    input: unknown;
    summary: string;
    details?: string;
    provider: string;
    /** The first `SwitchboardStatus`; absent for workflows that set no status (the inbox). */
    status?: string;
    reusePolicy?: WorkflowIdReusePolicy;
    running: string;
  },
): Promise<{ workflowId: string; runId: string }> {
  try {
    const h = await temporal.workflow.start(type, {
      taskQueue,
      workflowId: o.workflowId,
      args: [o.input],
      ...(o.reusePolicy !== undefined ? { workflowIdReusePolicy: o.reusePolicy } : {}),
      staticSummary: o.summary,
      ...(o.details !== undefined ? { staticDetails: o.details } : {}),
      typedSearchAttributes: [
        { key: SwitchboardProvider, value: o.provider },
        ...(o.status !== undefined
          ? [
              { key: SwitchboardStatus, value: o.status },
              { key: AwaitingHuman, value: false },
            ]
          : []),
      ],
    });
    return { workflowId: o.workflowId, runId: h.firstExecutionRunId };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) throw new SwitchboardClientError('already_exists', o.running);
    throw err;
  }
}

/** Wraps Temporal errors in {@link SwitchboardClientError}s with the reason a person needs. */
export async function explain<T>(workflowId: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof SwitchboardClientError) throw err;
    if (err instanceof WorkflowNotFoundError) throw new SwitchboardClientError('not_found', `no workflow with id ${workflowId}`);
    if (err instanceof WorkflowUpdateFailedError) throw new SwitchboardClientError('rejected', rootMessage(err));
    const msg = err instanceof Error ? err.message : String(err);
    if (/not found|NOT_FOUND/i.test(msg)) throw new SwitchboardClientError('not_found', `no workflow with id ${workflowId}`);
    if (/already completed|workflow execution already completed/i.test(msg))
      throw new SwitchboardClientError('rejected', `workflow ${workflowId} has already ended`);
    throw new SwitchboardClientError('failed', msg);
  }
}

const listFilter = z.object({
  provider: z.enum(SESSION_PLATFORMS).optional(),
  status: z.enum(SESSION_STATUSES).optional(),
  awaiting: z.boolean().optional(),
  limit: z.number().int().positive().optional(),
});

/** One row of `switchboard outbox list`. */
export interface OutboxItem extends Partial<DeliveryMemo> {
  workflowId: string;
  status?: string;
  workflowStatus: string;
  startTime: string;
}

/** What `replay` did for one delivery. */
export type ReplayResult = { workflowId: string; ok: true; attempt: AttemptRecord } | { workflowId: string; ok: false; code: ClientErrorCode; message: string };

const outboxFilter = z
  .object({
    status: z.enum(DELIVERY_STATUSES).optional(),
    endpoint: credentialAlias().optional(),
    limit: z.number().int().positive().optional(),
  })
  .strict();

/**
 * The webhook outbox (`client.outbox`): send a message through it, list deliveries (dead letters
 * first of all), replay them, enable an endpoint a 410 disabled.
 */
export class OutboxClient {
  constructor(
    private readonly temporal: Client,
    private readonly taskQueue: string,
  ) {}

  /**
   * Queues one message for an endpoint alias. The workflow id is `outbox-<endpoint>-<messageId>`
   * and the start refuses a duplicate: sending the same message id again returns
   * `duplicate: true` and posts nothing more.
   */
  async send(input: WebhookDeliveryInput): Promise<{ workflowId: string; duplicate: boolean }> {
    const parsed = validate(webhookDeliveryInput(), input, 'invalid webhook message');
    const workflowId = deliveryWorkflowId(parsed.endpoint, parsed.messageId);
    try {
      await this.temporal.workflow.start('webhookDelivery', {
        taskQueue: this.taskQueue,
        workflowId,
        args: [input],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        staticSummary: `${parsed.eventType} to ${parsed.endpoint}`,
        typedSearchAttributes: [{ key: SwitchboardStatus, value: 'delivering' }],
      });
      return { workflowId, duplicate: false };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, duplicate: true };
      throw err;
    }
  }

  /** Deliveries, newest first, through one visibility query (`--status dead`: the dead letters). */
  async list(filter: { status?: string; endpoint?: string; limit?: number } = {}): Promise<OutboxItem[]> {
    const f = validate(outboxFilter, filter, 'invalid filter');
    const clauses = [`WorkflowType = 'webhookDelivery'`];
    if (f.status) clauses.push(`SwitchboardStatus = '${f.status}'`);
    const out: OutboxItem[] = [];
    for await (const wf of this.temporal.workflow.list({ query: clauses.join(' AND ') })) {
      const memo = (wf.memo as { outbox?: DeliveryMemo } | undefined)?.outbox;
      // Filtered here, not in the query: prefix matching on ids is not in every visibility store.
      if (f.endpoint && !wf.workflowId.startsWith(`outbox-${f.endpoint}-`)) continue;
      out.push({
        workflowId: wf.workflowId,
        ...memo,
        status: wf.typedSearchAttributes.get(SwitchboardStatus),
        workflowStatus: wf.status.name,
        startTime: wf.startTime.toISOString(),
      });
      if (out.length >= (f.limit ?? 100)) break;
    }
    return out;
  }

  /** One delivery: status, attempts, why it is dead, until when it can be replayed. */
  show(workflowId: string): Promise<DeliveryView> {
    return explain(workflowId, () => this.temporal.workflow.getHandle(workflowId).query(deliveryQuery));
  }

  /**
   * Replays dead letters: each tries once more (or the whole schedule again with `fullSchedule`)
   * and answers with that attempt. One result per id; a refused or unknown id does not stop the rest.
   */
  async replay(workflowIds: string[], opts: ReplayInput = {}): Promise<ReplayResult[]> {
    const args = validate(replayInput(), opts, 'invalid replay');
    if (workflowIds.length === 0) throw new SwitchboardClientError('invalid_input', 'name at least one delivery to replay');
    return Promise.all(
      workflowIds.map(async (workflowId): Promise<ReplayResult> => {
        try {
          const attempt = await explain(workflowId, () => this.temporal.workflow.getHandle(workflowId).executeUpdate(replayUpdate, { args: [args] }));
          return { workflowId, ok: true, attempt };
        } catch (err) {
          const e = err instanceof SwitchboardClientError ? err : new SwitchboardClientError('failed', String(err));
          if (e.code === 'not_found') {
            // An update to a closed workflow is answered "not found": say what it ended as.
            const ended = await this.temporal.workflow
              .getHandle(workflowId)
              .describe()
              .catch(() => undefined);
            if (ended) {
              const status = ended.typedSearchAttributes.get(SwitchboardStatus) ?? ended.status.name.toLowerCase();
              return {
                workflowId,
                ok: false,
                code: 'rejected',
                message: `delivery ${workflowId} has ended (${status}), not a dead letter; only dead letters are replayed`,
              };
            }
          }
          return { workflowId, ok: false, code: e.code, message: e.message };
        }
      }),
    );
  }

  /** Enables an endpoint a 410 disabled; later deliveries to it are attempted again. */
  async enable(endpoint: string, by?: string): Promise<{ endpoint: string; disabledSince: string }> {
    validate(credentialAlias(), endpoint, 'invalid endpoint');
    const id = endpointMarkerId(endpoint);
    try {
      const r = await explain(id, () => this.temporal.workflow.getHandle(id).executeUpdate(enableUpdate, { args: [by ? { by } : {}] }));
      return { endpoint, disabledSince: r.disabledSince };
    } catch (err) {
      if (err instanceof SwitchboardClientError && (err.code === 'not_found' || /already ended|already completed/i.test(err.message)))
        throw new SwitchboardClientError('rejected', `endpoint ${endpoint} is not disabled`);
      throw err;
    }
  }

  /** Endpoints disabled now (their markers are open). */
  async disabled(): Promise<{ endpoint: string; since: string; reason?: string }[]> {
    const out = [];
    for await (const wf of this.temporal.workflow.list({ query: `WorkflowType = 'webhookEndpoint' AND ExecutionStatus = 'Running'` })) {
      const memo = (wf.memo as { outboxEndpoint?: { endpoint: string; reason?: string } } | undefined)?.outboxEndpoint;
      out.push({ endpoint: memo?.endpoint ?? wf.workflowId.replace(/^webhook-endpoint-/, ''), since: wf.startTime.toISOString(), reason: memo?.reason });
    }
    return out;
  }
}

/** One row of `switchboard monitor list`. */
export interface MonitorSummary {
  workflowId: string;
  status?: string;
  awaitingHuman?: boolean;
  workflowStatus: string;
  startTime: string;
}

const monitorFilter = z.object({ status: z.enum(MONITOR_STATUSES).optional(), limit: z.number().int().positive().max(10_000).optional() }).strict();

/**
 * Web Agent Track monitors (`client.monitors`): one `trackMonitor` workflow per monitor, its id
 * `monitor-<key>` (the business key). Every argument is checked with the workflow's own schemas.
 */
export class MonitorClient {
  constructor(
    private readonly temporal: Client,
    private readonly taskQueue: string,
  ) {}

  /** Starts the monitor's workflow; a key already running is refused (`already_exists`). */
  async create(key: string, input: TrackMonitorInput): Promise<{ workflowId: string; runId: string }> {
    validate(monitorKey(), key, 'invalid monitor key');
    const parsed = validate(trackMonitorInput(), input, 'invalid monitor');
    const workflowId = monitorWorkflowId(key);
    return startWorkflow(this.temporal, this.taskQueue, 'trackMonitor', {
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

  private update<A>(keyOrId: string, def: UpdateDefinition<MonitorUpdateOutcome, [A]>, args: A): Promise<MonitorUpdateOutcome> {
    const workflowId = this.id(keyOrId);
    return explain(workflowId, async () => {
      const r = await this.temporal.workflow.getHandle(workflowId).executeUpdate(def, { args: [args] });
      if (!r.ok) throw new SwitchboardClientError('rejected', r.detail ?? 'refused by the platform');
      return r;
    });
  }

  show(keyOrId: string): Promise<TrackMonitorState> {
    const workflowId = this.id(keyOrId);
    return explain(workflowId, () => this.temporal.workflow.getHandle(workflowId).query(monitorStateQuery));
  }

  pause(keyOrId: string, args: PauseMonitorArgs = {}): Promise<MonitorUpdateOutcome> {
    return this.update(keyOrId, pauseUpdate, validate(pauseMonitorArgs(), args, 'invalid pause'));
  }

  resume(keyOrId: string): Promise<MonitorUpdateOutcome> {
    return this.update(keyOrId, resumeUpdate, {});
  }

  refine(keyOrId: string, args: RefineMonitorArgs): Promise<MonitorUpdateOutcome> {
    return this.update(keyOrId, refineUpdate, validate(refineMonitorArgs(), args, 'invalid refine'));
  }

  runNow(keyOrId: string): Promise<MonitorUpdateOutcome> {
    return this.update(keyOrId, runNowUpdate, {});
  }

  message(keyOrId: string, content: string): Promise<MonitorUpdateOutcome> {
    return this.update(keyOrId, messageUpdate, validate(monitorMessageArgs(), { content }, 'invalid message'));
  }

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
    const out: MonitorSummary[] = [];
    for await (const wf of this.temporal.workflow.list({ query: clauses.join(' AND ') })) {
      out.push({
        workflowId: wf.workflowId,
        status: wf.typedSearchAttributes.get(SwitchboardStatus),
        awaitingHuman: wf.typedSearchAttributes.get(AwaitingHuman),
        workflowStatus: wf.status.name,
        startTime: wf.startTime.toISOString(),
      });
      if (out.length >= (f.limit ?? 100)) break;
    }
    return out;
  }
}

/** Client for Switchboard's agent sessions. */
export class SwitchboardClient {
  readonly temporal: Client;
  readonly taskQueue: string;
  /** The webhook outbox. */
  readonly outbox: OutboxClient;
  /** Web Agent Track monitors. */
  readonly monitors: MonitorClient;
  /** Cron-scheduled monitors (Switchboard owns the schedule). */
  readonly scheduledMonitors: ScheduledMonitorClient;

  constructor(opts: SwitchboardClientOptions) {
    // With tracing on (setupTracing), every start, signal, update and query opens a span the workflow continues.
    this.temporal = new Client({ connection: opts.connection, namespace: opts.namespace ?? 'default', interceptors: clientInterceptors() });
    this.taskQueue = opts.taskQueue ?? 'switchboard';
    this.outbox = new OutboxClient(this.temporal, this.taskQueue);
    this.monitors = new MonitorClient(this.temporal, this.taskQueue);
    this.scheduledMonitors = new ScheduledMonitorClient(this.temporal, this.taskQueue);
  }

  /** Connects from the environment (TEMPORAL_ADDRESS etc., else the embedded dev server). */
  static async fromEnv(raw: NodeJS.ProcessEnv = process.env): Promise<SwitchboardClient> {
    const env = parseEnv(raw);
    await setupTracing({ endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: 'switchboard-client' });
    const target = temporalTarget(env);
    const connection = await connectClient(target);
    return new SwitchboardClient({ connection, namespace: target.namespace, taskQueue: env.SWITCHBOARD_TASK_QUEUE });
  }

  async close(): Promise<void> {
    await this.temporal.connection.close();
  }

  private handle(workflowId: string): WorkflowHandle<typeof agentSession> {
    return this.temporal.workflow.getHandle<typeof agentSession>(workflowId);
  }

  /**
   * Starts an agent session. `workflowId` is the caller's business key (e.g. `ticket-4711`);
   * one is generated when omitted. Invalid input is refused before anything starts.
   */
  async startSession(
    input: AgentSessionInputRaw,
    opts: {
      workflowId?: string;
      /** `REJECT_DUPLICATE` makes a retried start with the same id start nothing, even after the first run ended (the gateway's idempotent starts). */
      reusePolicy?: WorkflowIdReusePolicy;
    } = {},
  ): Promise<{ workflowId: string; runId: string }> {
    const parsed = validate(agentSessionInput(), input, 'invalid session input');
    const workflowId = opts.workflowId ?? `session-${parsed.platform}-${randomUUID().slice(0, 8)}`;
    return startWorkflow(this.temporal, this.taskQueue, 'agentSession', {
      workflowId,
      input,
      summary: parsed.title ?? parsed.task.slice(0, 80),
      details: `${parsed.platform} agent session (credential alias \`${parsed.credentialAlias}\`)`,
      provider: parsed.platform,
      status: 'starting',
      reusePolicy: opts.reusePolicy,
      running: `a workflow with id ${workflowId} is already running`,
    });
  }

  private async update<A>(workflowId: string, def: UpdateDefinition<UpdateOutcome, [A]>, args: A): Promise<UpdateOutcome> {
    return explain(workflowId, () => this.handle(workflowId).executeUpdate(def, { args: [args] }));
  }

  /** Sends a human message to the running agent. */
  sendMessage(workflowId: string, text: string): Promise<UpdateOutcome> {
    return this.update(workflowId, defs.sendMessageUpdate, validate(sendMessageArgs(), { text }, 'invalid message'));
  }

  /** Answers the pending input request (Web Agent `intervene`). */
  answerInput(workflowId: string, requestId: string, response: unknown): Promise<UpdateOutcome> {
    return this.update(workflowId, defs.answerInputUpdate, validate(answerInputArgs(), { requestId, response }, 'invalid answer'));
  }

  /** Starts a follow-up task in the same session once the current task has ended. */
  followUp(workflowId: string, task: string): Promise<UpdateOutcome> {
    return this.update(workflowId, defs.followUpUpdate, validate(followUpArgs(), { task }, 'invalid follow-up'));
  }

  rename(workflowId: string, name: string): Promise<UpdateOutcome> {
    return this.update(workflowId, defs.renameUpdate, validate(renameArgs(), { name }, 'invalid name'));
  }

  setCallbacks(workflowId: string, callbacks: Record<string, unknown>[]): Promise<UpdateOutcome> {
    return this.update(workflowId, defs.setCallbacksUpdate, validate(setCallbacksArgs(), { callbacks }, 'invalid callbacks'));
  }

  rewind(workflowId: string, messageId: string, cleanMedia = false): Promise<UpdateOutcome> {
    return this.update(workflowId, defs.rewindUpdate, validate(rewindArgs(), { messageId, cleanMedia }, 'invalid rewind'));
  }

  /** Cancels the session on the platform and ends the workflow with status `cancelled`. */
  cancel(workflowId: string, reason?: string): Promise<UpdateOutcome> {
    return this.update(workflowId, defs.cancelUpdate, validate(cancelArgs(), { reason }, 'invalid cancel'));
  }

  /** Current state (status, platform ids, pending input, counts). */
  state(workflowId: string): Promise<AgentSessionState> {
    return explain(workflowId, () => this.handle(workflowId).query(defs.stateQuery));
  }

  transcriptTail(workflowId: string, n = 20): Promise<TranscriptEntry[]> {
    return explain(workflowId, () => this.handle(workflowId).query(defs.transcriptTailQuery, n));
  }

  /** Waits for the session to end and returns its result. */
  result(workflowId: string): Promise<AgentSessionResult> {
    return explain(workflowId, () => this.handle(workflowId).result());
  }

  /**
   * Calls `onEntry` for each new transcript entry until the session ends (polls the workflow's
   * queries: nothing is written to history). Returns the final state.
   */
  async follow(workflowId: string, onEntry: (e: TranscriptEntry) => void, { intervalMs = 500 } = {}): Promise<AgentSessionState> {
    const seen = new Set<string>();
    const poll = async () => {
      const [st, tail] = await Promise.all([this.state(workflowId), this.transcriptTail(workflowId, 50)]);
      for (const e of tail) if (!seen.has(e.id)) (seen.add(e.id), onEntry(e));
      return st;
    };
    for (;;) {
      const st = await poll();
      if (['completed', 'failed', 'cancelled'].includes(st.status) && st.cleanupDone) return st;
      const desc = await explain(workflowId, () => this.temporal.workflow.getHandle(workflowId).describe());
      // Closed between the two calls: queries still answer on a closed workflow, read the end state.
      if (desc.status.name !== 'RUNNING') return poll();
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }

  // ---------------- approvals ----------------

  /** Starts a deep-research run whose outline waits for approval. */
  async startResearch(
    input: DeepResearchInput,
    opts: { workflowId?: string; /** See {@link SwitchboardClient.startSession}. */ reusePolicy?: WorkflowIdReusePolicy } = {},
  ): Promise<{ workflowId: string; runId: string }> {
    const parsed = validate(deepResearchInput(), input, 'invalid research input');
    const workflowId = opts.workflowId ?? `research-${randomUUID().slice(0, 8)}`;
    return startWorkflow(this.temporal, this.taskQueue, 'deepResearch', {
      workflowId,
      input,
      summary: `Deep research: ${parsed.topic.slice(0, 80)}`,
      details: `depth ${parsed.depth}; approvers ${parsed.approvers.join(', ')}; on expiry ${parsed.onExpiry.policy}`,
      provider: 'webagent',
      status: 'starting',
      reusePolicy: opts.reusePolicy,
      running: `a workflow with id ${workflowId} is already running`,
    });
  }

  researchState(workflowId: string): Promise<DeepResearchState> {
    return explain(workflowId, () => this.temporal.workflow.getHandle(workflowId).query(researchStateQuery));
  }

  /** The workflow's approval gate: what is open (and shown), or what was decided. */
  async gate(workflowId: string): Promise<GateView> {
    try {
      return await explain(workflowId, () => this.temporal.workflow.getHandle(workflowId).query(gateQuery));
    } catch (err) {
      if (err instanceof SwitchboardClientError && /query|handler/i.test(err.message) && err.code !== 'not_found') {
        throw new SwitchboardClientError('rejected', await this.noGateHere(workflowId));
      }
      throw err;
    }
  }

  /**
   * Why a workflow has no gate to decide on. A Mycel requester side hands its request to an
   * approval workflow: name it (or say it is not started yet).
   */
  private async noGateHere(workflowId: string): Promise<string> {
    const handle = this.temporal.workflow.getHandle(workflowId);
    const type = (await explain(workflowId, () => handle.describe())).type;
    const st =
      type === 'joinRequest'
        ? await explain(workflowId, () => handle.query(joinStateQuery))
        : type === 'relationshipRequest'
          ? await explain(workflowId, () => handle.query(relationshipStateQuery))
          : undefined;
    if (st?.gateWorkflowId) return `workflow ${workflowId} made the request; its approval gate is workflow ${st.gateWorkflowId} (decide there)`;
    if (st?.status === 'requesting') return `workflow ${workflowId} is still making the request; its approval workflow is not started yet (try again)`;
    return `workflow ${workflowId} has no approval gate`;
  }

  audit(workflowId: string): Promise<AuditEntry[]> {
    return explain(workflowId, () => this.temporal.workflow.getHandle(workflowId).query(auditQuery));
  }

  /**
   * Sends a decision to the open gate (or repeats one: the first outcome is returned). Without
   * `requestId`, the open request is used; `expectKind` refuses a gate of another kind.
   */
  async decide(
    workflowId: string,
    d: Omit<DecisionInput, 'requestId'> & { requestId?: string },
    opts: {
      expectKind?: GateView['kind'];
      /**
       * The decider's private key (see `src/identity/keys.ts`): the decision is signed over the
       * workflow, request, decision and the digest of what is open, so the worker can prove who
       * decided. Needed where the worker requires proof (`SWITCHBOARD_DECISION_PROOF=required`).
       */
      signWith?: KeyObject;
    } = {},
  ): Promise<GateOutcome> {
    validate(decisionInput(), { ...d, requestId: d.requestId ?? 'pending' }, 'invalid decision');
    // With a request id and no kind to check (and nothing to sign), go straight to the update (one
    // round trip): the validator refuses anything stale or wrong.
    const view = d.requestId && !opts.expectKind && !opts.signWith ? undefined : await this.gate(workflowId);
    if (opts.expectKind && view?.kind && view.kind !== opts.expectKind) {
      throw new SwitchboardClientError('rejected', `workflow ${workflowId} waits on a ${view.kind} gate, not ${opts.expectKind}`);
    }
    const requestId = d.requestId ?? view?.requestId ?? view?.decided.at(-1)?.requestId;
    if (!requestId) throw new SwitchboardClientError('rejected', `workflow ${workflowId} has no open gate and no decision to repeat`);
    // A proof is signed over the digest open now: never over another than the decider was shown
    // (unsigned, the gate's validator refuses the mismatch itself, in the same words).
    if (opts.signWith && d.digest && view?.open && view.digest && view.requestId === requestId && d.digest !== view.digest) {
      throw new SwitchboardClientError(
        'rejected',
        `what you were shown (digest ${d.digest.slice(0, 12)}…) is not what is open now (${view.digest.slice(0, 12)}…); look again`,
      );
    }
    let payload = validate(decisionInput(), { ...d, requestId }, 'invalid decision');
    if (opts.signWith && view?.open && view.digest && view.chain && view.requestId === requestId) {
      // Sign what the workflow will check: the parsed (trimmed) fields and the digest now open.
      const proof = signDecision(opts.signWith, {
        workflowId,
        chain: view.chain,
        requestId,
        decider: payload.decider,
        decision: payload.decision,
        digest: view.digest,
        edits: payload.edits,
        reason: payload.reason,
      });
      payload = { ...payload, digest: view.digest, proof };
    }
    const signed = payload;
    return explain(workflowId, () => this.temporal.workflow.getHandle(workflowId).executeUpdate(decideUpdate, { args: [signed] }));
  }

  /** Everything waiting on a person, across workflow types: one visibility query. */
  async inbox({ limit = 1000 }: { limit?: number } = {}): Promise<InboxItem[]> {
    const out: InboxItem[] = [];
    for await (const wf of this.temporal.workflow.list({ query: 'AwaitingHuman = true AND ExecutionStatus = "Running"' })) {
      const gate = (wf.memo as { gate?: GateMemo } | undefined)?.gate;
      out.push({
        workflowId: wf.workflowId,
        workflowType: wf.type,
        kind: gate?.kind ?? wf.typedSearchAttributes.get(GateKind),
        subject: gate?.subject,
        waitingSince: gate?.since,
        deadline: gate?.deadline ?? wf.typedSearchAttributes.get(GateDeadline)?.toISOString(),
        approvers: gate?.approvers ?? [],
        requestId: gate?.requestId,
      });
      if (out.length >= limit) break;
    }
    return out.sort((a, b) => (a.deadline ?? '').localeCompare(b.deadline ?? ''));
  }

  /**
   * Starts (or finds) the Mycel inbox of an identity: it follows the identity's notifications and
   * starts one approval workflow per join or relationship request. One per alias: the workflow id
   * is `mycel-inbox-<alias>`, so a second start reports `already_exists`.
   */
  async startMycelInbox(input: MycelInboxInput): Promise<{ workflowId: string; runId: string }> {
    const parsed = validate(mycelInboxInput(), input, 'invalid inbox input');
    const workflowId = `mycel-inbox-${parsed.alias}`;
    return startWorkflow(this.temporal, this.taskQueue, 'mycelInbox', {
      workflowId,
      input,
      summary: `Mycel inbox of ${parsed.alias}`,
      provider: 'mycel',
      running: `the inbox of ${parsed.alias} is already running (${workflowId})`,
    });
  }

  /** Join-request workflows (open first). */
  async listWorkflows(
    type: string,
    { limit = 100 }: { limit?: number } = {},
  ): Promise<{ workflowId: string; status: string; switchboardStatus?: string; awaitingHuman?: boolean; startTime: string }[]> {
    const out = [];
    for await (const wf of this.temporal.workflow.list({ query: `WorkflowType = '${type.replace(/'/g, '')}'` })) {
      out.push({
        workflowId: wf.workflowId,
        status: wf.status.name,
        switchboardStatus: wf.typedSearchAttributes.get(SwitchboardStatus),
        awaitingHuman: wf.typedSearchAttributes.get(AwaitingHuman),
        startTime: wf.startTime.toISOString(),
      });
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Lists sessions through a visibility query (no scanning). */
  async listSessions(filter: { provider?: string; status?: string; awaiting?: boolean; limit?: number } = {}): Promise<SessionSummary[]> {
    const clauses = [`WorkflowType = 'agentSession'`];
    const f = validate(listFilter, filter, 'invalid filter');
    if (f.provider) clauses.push(`SwitchboardProvider = '${f.provider}'`);
    if (f.status) clauses.push(`SwitchboardStatus = '${f.status}'`);
    if (filter.awaiting !== undefined) clauses.push(`AwaitingHuman = ${filter.awaiting}`);
    const out: SessionSummary[] = [];
    for await (const wf of this.temporal.workflow.list({ query: clauses.join(' AND ') })) {
      const sa = wf.typedSearchAttributes;
      out.push({
        workflowId: wf.workflowId,
        runId: wf.runId,
        provider: sa.get(SwitchboardProvider),
        status: sa.get(SwitchboardStatus),
        awaitingHuman: sa.get(AwaitingHuman),
        workflowStatus: wf.status.name,
        startTime: wf.startTime.toISOString(),
      });
      if (out.length >= (filter.limit ?? 100)) break;
    }
    return out;
  }
}
