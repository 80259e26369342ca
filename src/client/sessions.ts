/**
 * Agent sessions (`client.sessions`): start an `agentSession`, steer it with its updates, read its
 * state and transcript, follow it to the end, list sessions. Every argument is checked with the
 * workflow's own schemas before anything is sent.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowIdReusePolicy } from '@temporalio/client';
import { z } from 'zod';
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
import { SwitchboardProvider } from '../contracts/searchAttributes.js';
import type { agentSession } from '../workflows/agentSession/workflow.js';
import { explain, listVisible, statusRow, SubClient, validate } from './shared.js';

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

/** How a start treats a workflow id that is taken (shared by the session and research starts). */
export interface StartIdOptions {
  /** The caller's business key (e.g. `ticket-4711`); one is generated when omitted. */
  workflowId?: string;
  /**
   * `REJECT_DUPLICATE` makes a retried start with the same id start nothing, even after the first run ended (the
   * gateway's idempotent starts).
   */
  reusePolicy?: WorkflowIdReusePolicy;
}

const listFilter = z.object({
  provider: z.enum(SESSION_PLATFORMS).optional(),
  status: z.enum(SESSION_STATUSES).optional(),
  awaiting: z.boolean().optional(),
  limit: z.number().int().positive().optional(),
});

/** Client for `agentSession` workflows. */
export class SessionClient extends SubClient {
  /**
   * Starts an agent session. `workflowId` is the caller's business key (e.g. `ticket-4711`);
   * one is generated when omitted. Invalid input is refused before anything starts.
   */
  async start(input: AgentSessionInputRaw, opts: StartIdOptions = {}): Promise<{ workflowId: string; runId: string }> {
    const parsed = validate(agentSessionInput(), input, 'invalid session input');
    const workflowId = opts.workflowId ?? `session-${parsed.platform}-${randomUUID().slice(0, 8)}`;
    return this.startOnQueue('agentSession', {
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

  /** Sends a human message to the running agent. */
  sendMessage(workflowId: string, text: string): Promise<UpdateOutcome> {
    return this.runUpdate(workflowId, defs.sendMessageUpdate, validate(sendMessageArgs(), { text }, 'invalid message'));
  }

  /** Answers the pending input request (Web Agent `intervene`). */
  answerInput(workflowId: string, requestId: string, response: unknown): Promise<UpdateOutcome> {
    return this.runUpdate(
      workflowId,
      defs.answerInputUpdate,
      validate(answerInputArgs(), { requestId, response }, 'invalid answer'),
    );
  }

  /** Starts a follow-up task in the same session once the current task has ended. */
  followUp(workflowId: string, task: string): Promise<UpdateOutcome> {
    return this.runUpdate(workflowId, defs.followUpUpdate, validate(followUpArgs(), { task }, 'invalid follow-up'));
  }

  /** Renames the session on its platform. */
  rename(workflowId: string, name: string): Promise<UpdateOutcome> {
    return this.runUpdate(workflowId, defs.renameUpdate, validate(renameArgs(), { name }, 'invalid name'));
  }

  /** Replaces the session's platform callbacks. */
  setCallbacks(workflowId: string, callbacks: Record<string, unknown>[]): Promise<UpdateOutcome> {
    return this.runUpdate(
      workflowId,
      defs.setCallbacksUpdate,
      validate(setCallbacksArgs(), { callbacks }, 'invalid callbacks'),
    );
  }

  /** Rewinds the conversation to a message (optionally cleaning media made after it). */
  rewind(workflowId: string, messageId: string, cleanMedia = false): Promise<UpdateOutcome> {
    return this.runUpdate(
      workflowId,
      defs.rewindUpdate,
      validate(rewindArgs(), { messageId, cleanMedia }, 'invalid rewind'),
    );
  }

  /** Cancels the session on the platform and ends the workflow with status `cancelled`. */
  cancel(workflowId: string, reason?: string): Promise<UpdateOutcome> {
    return this.runUpdate(workflowId, defs.cancelUpdate, validate(cancelArgs(), { reason }, 'invalid cancel'));
  }

  /** Current state (status, platform ids, pending input, counts). */
  state(workflowId: string): Promise<AgentSessionState> {
    return this.runQuery(workflowId, defs.stateQuery);
  }

  /** The newest `n` transcript entries. */
  transcriptTail(workflowId: string, n = 20): Promise<TranscriptEntry[]> {
    return this.runQuery(workflowId, defs.transcriptTailQuery, n);
  }

  /** Waits for the session to end and returns its result. */
  result(workflowId: string): Promise<AgentSessionResult> {
    return explain(workflowId, () => this.temporal.workflow.getHandle<typeof agentSession>(workflowId).result());
  }

  /**
   * Calls `onEntry` for each new transcript entry until the session ends (polls the workflow's
   * queries: nothing is written to history). Returns the final state.
   */
  async follow(
    workflowId: string,
    onEntry: (e: TranscriptEntry) => void,
    { intervalMs = 500 } = {},
  ): Promise<AgentSessionState> {
    const seen = new Set<string>();
    const poll = async () => {
      const [st, tail] = await Promise.all([this.state(workflowId), this.transcriptTail(workflowId, 50)]);
      for (const e of tail) {
        if (seen.has(e.id)) continue;
        seen.add(e.id);
        onEntry(e);
      }
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
  list(
    filter: { provider?: string; status?: string; awaiting?: boolean; limit?: number } = {},
  ): Promise<SessionSummary[]> {
    const clauses = [`WorkflowType = 'agentSession'`];
    const f = validate(listFilter, filter, 'invalid filter');
    if (f.provider) clauses.push(`SwitchboardProvider = '${f.provider}'`);
    if (f.status) clauses.push(`SwitchboardStatus = '${f.status}'`);
    if (filter.awaiting !== undefined) clauses.push(`AwaitingHuman = ${filter.awaiting}`);
    return listVisible(this.temporal, clauses.join(' AND '), filter.limit ?? 100, (wf) => {
      const { workflowId, ...row } = statusRow(wf);
      return { workflowId, runId: wf.runId, provider: wf.typedSearchAttributes.get(SwitchboardProvider), ...row };
    });
  }
}
