/**
 * Web Agent (DoAnything) session adapter: a session plus its current task, followed over the SSE
 * event channel with `Last-Event-ID` as the cursor.
 *
 * The cursor is the SSE id of the last event consumed *for the current task* (ids are per task);
 * a follow-up task starts a new ref whose cursor begins at undefined.
 */
import { ConflictError, NotFoundError } from '../../providers/errors.js';
import type { CallOptions } from '../../providers/http.js';
import type { WebAgentClient, WebAgentEvent } from '../../providers/webagent/client.js';
import { TERMINAL_TASK_STATUSES, type Task } from '../../providers/webagent/schemas.js';
import type { AdapterFactory, FollowResult, PendingInput, SessionRef, SessionStatus, TranscriptEntry } from './contract.js';
import { readWithinBudget } from './budget.js';

/** Reason sent with `cancel_task` (the seed's example value). */
const CANCEL_REASON = 'user_cancelled';

function requireTask(ref: SessionRef): string {
  if (!ref.taskId) throw new Error(`Web Agent session ref ${ref.sessionId} has no taskId`);
  return ref.taskId;
}

function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return '';
  return JSON.stringify(v);
}

/** Our status for a Web Agent task status. */
export function mapTaskStatus(status: string): SessionStatus {
  switch (status) {
    case 'queued':
      return 'starting';
    case 'awaiting_input':
      return 'awaiting_input';
    case 'completed':
    case 'failed':
    case 'cancelled':
      return status;
    default:
      return 'running';
  }
}

/** One SSE event as a transcript entry. Ids are `<taskId>:<eventId>`: event ids restart per task. */
export function toTranscriptEntry(taskId: string, ev: WebAgentEvent): TranscriptEntry {
  const d = ev.data;
  const id = `${taskId}:${ev.id ?? '?'}`;
  const at = ev.createdAt;
  switch (ev.type) {
    case 'task.started':
      return { id, role: 'system', kind: 'started', text: text(d.instructions) || 'task started', at };
    case 'task.progress':
      return { id, role: 'agent', kind: 'progress', text: text(d.message ?? d.text ?? d), at };
    case 'task.message':
      return { id, role: d.role === 'user' ? 'user' : 'agent', kind: 'message', text: text(d.content ?? d.text), at };
    case 'task.input_request':
      return { id, role: 'agent', kind: 'input_request', text: text(d.prompt) || 'input requested', at };
    case 'task.input_answered':
      return { id, role: 'user', kind: 'input_answer', text: text(d.response), at };
    case 'task.completed':
      return { id, role: 'agent', kind: 'result', text: text(d.result) || 'completed', at };
    case 'task.failed':
      return { id, role: 'system', kind: 'error', text: text(d.error) || 'failed', at };
    case 'task.cancelled':
      return { id, role: 'system', kind: 'cancelled', text: text(d.reason) || 'cancelled', at };
    default:
      return { id, role: 'system', kind: ev.type, text: text(d), at };
  }
}

function pendingFromEvent(ev: WebAgentEvent): PendingInput | undefined {
  const id = ev.data.request_id ?? ev.data.input_request_id;
  if (typeof id !== 'string') return undefined;
  // DeepResearch outline requests carry the outline itself: keep it, a person must see it.
  const data = ev.data.outline !== undefined ? { kind: ev.data.kind, outline: ev.data.outline } : undefined;
  return { requestId: id, prompt: text(ev.data.prompt) || 'input requested', since: ev.createdAt ?? new Date().toISOString(), data };
}

/** Runs `fn`, treating "already gone / already terminal" (404, 409) as done. */
async function tolerateGone(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof ConflictError || err instanceof NotFoundError) return;
    throw err;
  }
}

export const createWebAgentAdapter: AdapterFactory = (providers) => {
  const client = (ref: { alias: string }): WebAgentClient => providers.client('webagent', ref.alias);

  /**
   * When a follow read nothing new, the stream cannot tell us the state (the boundary event was
   * consumed by an earlier attempt, e.g. one that heartbeated its cursor then died): ask the task.
   */
  async function reconcile(ref: SessionRef, taskId: string, base: FollowResult, signal?: AbortSignal): Promise<FollowResult> {
    const task: Task = await client(ref).sessions.getTask(ref.sessionId, taskId, { signal });
    const status = mapTaskStatus(task.status);
    if (status === 'awaiting_input' && task.pending_input_request) {
      const p = task.pending_input_request;
      return {
        ...base,
        status,
        platformStatus: task.status,
        pendingInput: { requestId: p.id, prompt: p.prompt ?? 'input requested', since: task.updated_at ?? new Date().toISOString() },
      };
    }
    if (TERMINAL_TASK_STATUSES.has(task.status)) {
      return { ...base, status, platformStatus: task.status, result: task.result ?? undefined, error: task.error ?? undefined };
    }
    return { ...base, status: status === 'awaiting_input' ? 'running' : status, platformStatus: task.status };
  }

  return {
    platform: 'webagent',

    async create(input, call) {
      if (input.platform !== 'webagent') throw new Error(`Web Agent adapter got a ${input.platform} input`);
      // The Idempotency-Key (stable across activity retries) makes the platform answer a retry
      // with the session the first attempt created.
      const session = await client({ alias: input.credentialAlias }).sessions.create({ instructions: input.task, metadata: input.webagent.metadata }, call);
      const task = session.tasks[0];
      return {
        ref: { platform: 'webagent', alias: input.credentialAlias, sessionId: session.id, taskId: task.id },
        status: mapTaskStatus(task.status),
        platformStatus: task.status,
      };
    },

    async follow(ref, cursor, budget, hooks) {
      const taskId = requireTask(ref);
      const started = Date.now();
      const entries: TranscriptEntry[] = [];
      let last = cursor;
      let count = 0;
      let boundary: Partial<FollowResult> | undefined;
      let platformStatus = 'running';

      await readWithinBudget(hooks, budget.maxMs, async (signal) => {
        for await (const ev of client(ref).events.stream(ref.sessionId, taskId, { lastEventId: cursor, signal })) {
          count += 1;
          if (ev.id !== undefined) last = ev.id;
          const entry = toTranscriptEntry(taskId, ev);
          entries.push(entry);
          await hooks.entry?.(entry);
          hooks.progress(last);
          if (ev.type === 'task.started' || ev.type === 'task.progress' || ev.type === 'task.input_answered') platformStatus = 'running';
          if (ev.type === 'task.input_request') {
            boundary = { status: 'awaiting_input', platformStatus: 'awaiting_input', pendingInput: pendingFromEvent(ev) };
            break;
          }
          if (ev.type === 'task.completed') {
            boundary = { status: 'completed', platformStatus: 'completed', result: text(ev.data.result) || undefined };
            break;
          }
          if (ev.type === 'task.failed') {
            boundary = { status: 'failed', platformStatus: 'failed', error: text(ev.data.error) || 'task failed' };
            break;
          }
          if (ev.type === 'task.cancelled') {
            boundary = { status: 'cancelled', platformStatus: 'cancelled', error: text(ev.data.reason) || undefined };
            break;
          }
          if (count >= budget.maxEvents || Date.now() - started >= budget.maxMs) break;
        }
      });

      const base: FollowResult = { entries, cursor: last, status: 'running', platformStatus, platformEvents: count };
      if (boundary) return { ...base, ...boundary };
      if (count === 0) return reconcile(ref, taskId, base, hooks.signal);
      // A clean end or an exhausted budget without a boundary: the caller follows again from `last`.
      return base;
    },

    async sendMessage(ref, message, call) {
      await client(ref).messages.send(ref.sessionId, requireTask(ref), { content: message }, call);
    },

    async answerInput(ref, requestId, response, call) {
      // A stale or unknown request id surfaces as ConflictError / NotFoundError (non-retryable).
      await client(ref).messages.intervene(ref.sessionId, requireTask(ref), { inputRequestId: requestId, response }, call);
    },

    async followUp(ref, task, call) {
      const created = await client(ref).sessions.createTask(ref.sessionId, { instructions: task }, call);
      return { ...ref, taskId: created.id };
    },

    async cancel(ref, call: CallOptions) {
      // Already terminal (409) or gone (404) means there is nothing left to cancel.
      await tolerateGone(() => client(ref).sessions.cancelTask(ref.sessionId, requireTask(ref), { reason: CANCEL_REASON }, call));
    },

    async cleanup(ref, _opts, call) {
      // Soft stop: the task has ended (or was cancelled) by the time we clean up. Web Agent has no
      // session delete, so `deleteOnPlatform` is ignored; an already-stopped session is fine.
      await tolerateGone(() => client(ref).sessions.stop(ref.sessionId, { force: false }, call));
      return {};
    },
  };
};
