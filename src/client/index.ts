/**
 * The typed Switchboard client library: start and steer agent sessions, read their state, list
 * them. Every input is validated here with the same zod schemas the workflow's validators use,
 * so bad input fails before a workflow starts or an update is sent.
 */
import { randomUUID } from 'node:crypto';
import {
  Client,
  type Connection,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { z } from 'zod';
import { parseEnv } from '../config.js';
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
} from '../workflows/agentSession/types.js';
import { formatZodError } from '../workflows/validation.js';
import type { agentSession } from '../workflows/agentSession/workflow.js';
import { AwaitingHuman, SwitchboardProvider, SwitchboardStatus } from '../workflows/searchAttributes.js';

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

function validate<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: any } }, v: unknown, what: string): T {
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

/** Wraps Temporal errors in {@link SwitchboardClientError}s with the reason a person needs. */
async function explain<T>(workflowId: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof SwitchboardClientError) throw err;
    if (err instanceof WorkflowNotFoundError) throw new SwitchboardClientError('not_found', `no workflow with id ${workflowId}`);
    if (err instanceof WorkflowUpdateFailedError) throw new SwitchboardClientError('rejected', rootMessage(err));
    const msg = err instanceof Error ? err.message : String(err);
    if (/not found|NOT_FOUND/i.test(msg)) throw new SwitchboardClientError('not_found', `no workflow with id ${workflowId}`);
    if (/already completed|workflow execution already completed/i.test(msg)) throw new SwitchboardClientError('rejected', `workflow ${workflowId} has already ended`);
    throw new SwitchboardClientError('failed', msg);
  }
}

const listFilter = z.object({
  provider: z.enum(SESSION_PLATFORMS).optional(),
  status: z.enum(SESSION_STATUSES).optional(),
  awaiting: z.boolean().optional(),
  limit: z.number().int().positive().optional(),
});

/** Client for Switchboard's agent sessions. */
export class SwitchboardClient {
  readonly temporal: Client;
  readonly taskQueue: string;

  constructor(opts: SwitchboardClientOptions) {
    this.temporal = new Client({ connection: opts.connection, namespace: opts.namespace ?? 'default' });
    this.taskQueue = opts.taskQueue ?? 'switchboard';
  }

  /** Connects from the environment (TEMPORAL_ADDRESS etc., else the embedded dev server). */
  static async fromEnv(raw: NodeJS.ProcessEnv = process.env): Promise<SwitchboardClient> {
    const env = parseEnv(raw);
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
  async startSession(input: AgentSessionInputRaw, opts: { workflowId?: string } = {}): Promise<{ workflowId: string; runId: string }> {
    const parsed = validate(agentSessionInput, input, 'invalid session input');
    const workflowId = opts.workflowId ?? `session-${parsed.platform}-${randomUUID().slice(0, 8)}`;
    try {
      const h = await this.temporal.workflow.start('agentSession', {
        taskQueue: this.taskQueue,
        workflowId,
        args: [input],
        staticSummary: parsed.title ?? parsed.task.slice(0, 80),
        staticDetails: `${parsed.platform} agent session (credential alias \`${parsed.credentialAlias}\`)`,
        typedSearchAttributes: [
          { key: SwitchboardProvider, value: parsed.platform },
          { key: SwitchboardStatus, value: 'starting' },
          { key: AwaitingHuman, value: false },
        ],
      });
      return { workflowId, runId: h.firstExecutionRunId };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) throw new SwitchboardClientError('already_exists', `a workflow with id ${workflowId} is already running`);
      throw err;
    }
  }

  private async update<A>(workflowId: string, def: UpdateDefinition<UpdateOutcome, [A]>, args: A): Promise<UpdateOutcome> {
    return explain(workflowId, () => this.handle(workflowId).executeUpdate(def, { args: [args] }));
  }

  /** Sends a human message to the running agent. */
  sendMessage(workflowId: string, text: string): Promise<UpdateOutcome> {
    return this.update(workflowId, defs.sendMessageUpdate, validate(sendMessageArgs, { text }, 'invalid message'));
  }

  /** Answers the pending input request (Web Agent `intervene`). */
  answerInput(workflowId: string, requestId: string, response: unknown): Promise<UpdateOutcome> {
    return this.update(workflowId, defs.answerInputUpdate, validate(answerInputArgs, { requestId, response }, 'invalid answer'));
  }

  /** Starts a follow-up task in the same session once the current task has ended. */
  followUp(workflowId: string, task: string): Promise<UpdateOutcome> {
    return this.update(workflowId, defs.followUpUpdate, validate(followUpArgs, { task }, 'invalid follow-up'));
  }

  rename(workflowId: string, name: string): Promise<UpdateOutcome> {
    return this.update(workflowId, defs.renameUpdate, validate(renameArgs, { name }, 'invalid name'));
  }

  setCallbacks(workflowId: string, callbacks: Record<string, unknown>[]): Promise<UpdateOutcome> {
    return this.update(workflowId, defs.setCallbacksUpdate, validate(setCallbacksArgs, { callbacks }, 'invalid callbacks'));
  }

  rewind(workflowId: string, messageId: string, cleanMedia = false): Promise<UpdateOutcome> {
    return this.update(workflowId, defs.rewindUpdate, validate(rewindArgs, { messageId, cleanMedia }, 'invalid rewind'));
  }

  /** Cancels the session on the platform and ends the workflow with status `cancelled`. */
  cancel(workflowId: string, reason?: string): Promise<UpdateOutcome> {
    return this.update(workflowId, defs.cancelUpdate, validate(cancelArgs, { reason }, 'invalid cancel'));
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
