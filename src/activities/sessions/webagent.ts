/**
 * Web Agent (DoAnything) session adapter: a session plus its current task, followed over the SSE
 * event channel with `Last-Event-ID` as the cursor.
 *
 * The cursor is the SSE id of the last event consumed *for the current task* (ids are per task);
 * a follow-up task starts a new ref whose cursor begins at undefined.
 *
 * Exactly once without `Idempotency-Key` (the seed documents none; the sandbox ignores it as the
 * real service would), by reads the platform offers:
 * - create (a regular activity): the session carries `metadata.switchboard_key` = the activity's
 *   key; a retry (attempt > 1) lists the project's sessions and takes the tagged one.
 * - follow-up task: the session's task list shows a task after the current one with the same
 *   instructions: that is ours.
 * - in-flight message (a regular activity since the `send-message-requested-at` patch): on a retry,
 *   when the task's newest user message (its event log) already is this text, created since the
 *   workflow accepted it (`requestedAt`, less {@link WEBAGENT_SEND_SKEW_MS}), it is not pushed
 *   again; a first attempt always sends, so a deliberate repeat is sent. Residual risk: a message
 *   still held in the chat queue (sent while the task was queued or waiting for input) is not an
 *   event yet, so a retry in that window pushes it twice. (Runs recorded before the patch check on
 *   every run, and send the same text twice in a row on purpose once.)
 * - answer: a 409 whose task log shows `task.input_answered` for the request with this response
 *   is our earlier answer; another answer to it stays a conflict.
 * - cancel / stop: idempotent by nature (409/404 = already done).
 * The other steering calls run as local activities, which a new worker re-runs from attempt 1 after
 * a crash, so their look-ups run on every call, not only when `attempt > 1`.
 */
import { ConflictError, NotFoundError } from '../../providers/errors.js';
import type { CallOptions } from '../../providers/http.js';
import type { WebAgentClient, WebAgentEvent } from '../../providers/webagent/client.js';
import { type Session, TERMINAL_TASK_STATUSES, type Task } from '../../providers/webagent/schemas.js';
import type {
  AdapterFactory,
  FollowResult,
  PendingInput,
  SessionRef,
  SessionStatus,
  TranscriptEntry,
} from './contract.js';
import { readWithinBudget } from './budget.js';

/** Reason sent with `cancel_task` (the seed's example value). */
const CANCEL_REASON = 'user_cancelled';

/** Session metadata key that tags a session with the create call's idempotency key. */
export const SWITCHBOARD_KEY = 'switchboard_key';

/**
 * How many of the project's sessions a retried create scans for its tag (100 a page). The list has
 * no metadata filter; past this bound the tagged session is not found and a second one is made
 * (residual risk, README "Exactly once").
 */
const LOOKUP_MAX_SESSIONS = 5_000;

function isRetry(call: CallOptions): boolean {
  return (call.attempt ?? 1) > 1;
}

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
  return {
    requestId: id,
    prompt: text(ev.data.prompt) || 'input requested',
    since: ev.createdAt ?? new Date().toISOString(),
    data,
  };
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

/** The project's session tagged with `key`, scanning at most {@link LOOKUP_MAX_SESSIONS}. */
async function findTagged(c: WebAgentClient, key: string, signal?: AbortSignal): Promise<Session | undefined> {
  let seen = 0;
  for await (const s of c.sessions.iterate({ limit: 100 }, { signal })) {
    if (s.metadata?.[SWITCHBOARD_KEY] === key) return s;
    if (++seen >= LOOKUP_MAX_SESSIONS) return undefined;
  }
  return undefined;
}

/**
 * How far before the workflow's `requestedAt` a message may be stamped and still count as an
 * earlier attempt's: the event's time is the platform's clock, `requestedAt` the Temporal server's.
 */
export const WEBAGENT_SEND_SKEW_MS = 1_000;

/**
 * The task's newest user message from its event log, when it is `message` and (given `since`, epoch
 * ms) was created at or after `since`: an earlier run's copy of this message.
 */
async function newestUserMessageIs(
  c: WebAgentClient,
  sessionId: string,
  taskId: string,
  message: string,
  signal?: AbortSignal,
  since?: number,
): Promise<boolean> {
  const events = await c.taskEvents(sessionId, taskId, { signal });
  const m = events.filter((e) => e.type === 'task.message' && e.data.role === 'user').at(-1);
  if (!m || text(m.data.content) !== message) return false;
  const at = m.createdAt ? Date.parse(m.createdAt) : Number.NaN;
  // An event without a readable time cannot be placed: the text alone decides, as before.
  return since === undefined || Number.isNaN(at) || at >= since;
}

/**
 * Whether the task's event log shows `requestId` answered with `response` (`task.input_answered`):
 * our own earlier answer. Another answer to the same request is not ours.
 */
export async function inputAnswered(
  c: WebAgentClient,
  sessionId: string,
  taskId: string,
  requestId: string,
  response: unknown,
  signal?: AbortSignal,
): Promise<boolean> {
  const events = await c.taskEvents(sessionId, taskId, { signal });
  const same = JSON.stringify(response);
  return events.some(
    (e) =>
      e.type === 'task.input_answered' && e.data.request_id === requestId && JSON.stringify(e.data.response) === same,
  );
}

export const createWebAgentAdapter: AdapterFactory = (providers) => {
  const client = (ref: { alias: string }): WebAgentClient => providers.client('webagent', ref.alias);

  /**
   * When a follow read nothing new, the stream cannot tell us the state (the boundary event was
   * consumed by an earlier attempt, e.g. one that heartbeated its cursor then died): ask the task.
   */
  async function reconcile(
    ref: SessionRef,
    taskId: string,
    base: FollowResult,
    signal?: AbortSignal,
  ): Promise<FollowResult> {
    const task: Task = await client(ref).sessions.getTask(ref.sessionId, taskId, { signal });
    const status = mapTaskStatus(task.status);
    if (status === 'awaiting_input' && task.pending_input_request) {
      const p = task.pending_input_request;
      return {
        ...base,
        status,
        platformStatus: task.status,
        pendingInput: {
          requestId: p.id,
          prompt: p.prompt ?? 'input requested',
          since: task.updated_at ?? new Date().toISOString(),
        },
      };
    }
    if (TERMINAL_TASK_STATUSES.has(task.status)) {
      return {
        ...base,
        status,
        platformStatus: task.status,
        result: task.result ?? undefined,
        error: task.error ?? undefined,
      };
    }
    return { ...base, status: status === 'awaiting_input' ? 'running' : status, platformStatus: task.status };
  }

  return {
    platform: 'webagent',

    async create(input, call) {
      if (input.platform !== 'webagent') throw new Error(`Web Agent adapter got a ${input.platform} input`);
      const c = client({ alias: input.credentialAlias });
      const key = call.idempotencyKey;
      // The platform ignores Idempotency-Key: a retry finds the session its earlier attempt made by the tag.
      let session = key && isRetry(call) ? await findTagged(c, key, call.signal) : undefined;
      session ??= await c.sessions.create(
        {
          instructions: input.task,
          metadata: key ? { ...input.webagent.metadata, [SWITCHBOARD_KEY]: key } : input.webagent.metadata,
        },
        call,
      );
      const task = session.tasks[0];
      if (!task) throw new Error(`Web Agent session ${session.id} has no task`);
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
          if (ev.type === 'task.started' || ev.type === 'task.progress' || ev.type === 'task.input_answered')
            platformStatus = 'running';
          if (ev.type === 'task.input_request') {
            boundary = {
              status: 'awaiting_input',
              platformStatus: 'awaiting_input',
              pendingInput: pendingFromEvent(ev),
            };
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

    async sendMessage(ref, message, call, opts = {}) {
      const taskId = requireTask(ref);
      const c = client(ref);
      if (opts.requestedAt !== undefined) {
        // Since the `send-message-requested-at` patch a message is a regular activity, whose attempt
        // count survives a crash: only a retry can follow an earlier run of this send, and its copy
        // is no older than the moment the workflow accepted it. On attempt 1 a person's deliberate
        // repeat of the newest message is a new message and is sent.
        if (
          isRetry(call) &&
          (await newestUserMessageIs(
            c,
            ref.sessionId,
            taskId,
            message,
            call.signal,
            opts.requestedAt - WEBAGENT_SEND_SKEW_MS,
          ))
        )
          return;
        // Runs recorded before `requestedAt` send through a local activity, which a new worker re-runs
        // from attempt 1 after a crash: checked on every run (a deliberate repeat is then sent once).
      } else if (await newestUserMessageIs(c, ref.sessionId, taskId, message, call.signal)) return;
      await c.messages.send(ref.sessionId, taskId, { content: message }, call);
    },

    async answerInput(ref, requestId, response, call) {
      const taskId = requireTask(ref);
      try {
        await client(ref).messages.intervene(ref.sessionId, taskId, { inputRequestId: requestId, response }, call);
      } catch (err) {
        // "No longer pending" after our own earlier run answered it (its answer lost to a crash or
        // a cut): the task's log shows the answer. A stale or unknown id stays an error (409/404).
        if (
          err instanceof ConflictError &&
          (await inputAnswered(client(ref), ref.sessionId, taskId, requestId, response, call.signal))
        )
          return;
        throw err;
      }
    },

    async followUp(ref, task, call) {
      const c = client(ref);
      // Only this workflow starts tasks in its session, one at a time: a task after the current one
      // with these instructions is the one an earlier run created (every run looks: see sendMessage).
      const s = await c.sessions.get(ref.sessionId, { signal: call.signal });
      const at = s.tasks.findIndex((t) => t.id === ref.taskId);
      const mine = at >= 0 ? s.tasks.slice(at + 1).find((t) => t.instructions === task) : undefined;
      if (mine) return { ...ref, taskId: mine.id };
      const created = await c.sessions.createTask(ref.sessionId, { instructions: task }, call);
      return { ...ref, taskId: created.id };
    },

    async cancel(ref, call: CallOptions) {
      // Already terminal (409) or gone (404) means there is nothing left to cancel.
      await tolerateGone(() =>
        client(ref).sessions.cancelTask(ref.sessionId, requireTask(ref), { reason: CANCEL_REASON }, call),
      );
    },

    async cleanup(ref, _opts, call) {
      // Soft stop: the task has ended (or was cancelled) by the time we clean up. Web Agent has no
      // session delete, so `deleteOnPlatform` is ignored; an already-stopped session is fine.
      await tolerateGone(() => client(ref).sessions.stop(ref.sessionId, { force: false }, call));
      return {};
    },
  };
};
