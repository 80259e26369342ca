/**
 * Web Agent DoAnything: sessions, tasks, in-flight messages, input requests and the SSE event
 * channel (seed: `client.sessions` / `messages` / `events`). Routes and wire shapes follow
 * src/providers/webagent/routes.ts and schemas.ts (most of them assumptions, marked there).
 *
 * Tasks are driven by a {@link ScriptedRun} picked from the task's instructions (`script:<name>`).
 * Each task keeps its own event log with a dense `seq`, which is the SSE `id:`: the stream replays
 * events after `Last-Event-ID`, then streams live ones, sends `event: heartbeat` about every second
 * (faster with a small tickMs), and ends after a terminal event. DeepResearch (./deep-research.ts)
 * runs its tasks here too, on the same channel, and plugs its outline gate in through
 * {@link DeepResearchHooks}.
 *
 * Trigger for an error path without fault injection: instructions containing `safety:block` → 403
 * `safety_boundary_violated`.
 */
import type { ServerResponse } from 'node:http';
import { type RunEvent, ScriptedRun, type ScriptedRunState, type ScriptStep } from '../../agent.js';
import { HttpError, newId, type Route, type SandboxRequest, type SandboxResponse } from '../../framework.js';
import type { SandboxContext } from '../../server.js';
import { SESSION_ROUTES as S } from '../../../providers/webagent/routes.js';
import { checkSafety, cursorPage, now, str } from './common.js';
import type { DrState } from './deep-research.js';

export type TaskStatus = 'queued' | 'running' | 'awaiting_input' | 'completed' | 'failed' | 'cancelled';
const TERMINAL_EVENT: ReadonlySet<string> = new Set(['task.completed', 'task.failed', 'task.cancelled']);

export interface WaEvent {
  seq: number;
  type: string;
  data: Record<string, unknown>;
  at: string;
}

export interface WaTask {
  id: string;
  sessionId: string;
  instructions: string;
  run: ScriptedRun;
  events: WaEvent[];
  listeners: Set<(e: WaEvent) => void>;
  /** Every input request id this task issued: pending until answered, then answered (or void when the task ended). */
  issued: Map<string, 'pending' | 'answered' | 'void'>;
  pendingEventSeq?: number;
  /** In-flight messages that arrived while the agent waited for input: delivered once it resumes. */
  held: string[];
  cancelReason?: string;
  createdAt: string;
  updatedAt: string;
  dr?: DrState;
}

export interface WaSession {
  id: string;
  /** Project it belongs to; undefined for DeepResearch sessions (pidless: the tenant comes from the token). */
  pid?: string;
  metadata: Record<string, unknown>;
  tasks: WaTask[];
  stop?: 'stopping' | 'stopped';
  createdAt: string;
  updatedAt: string;
}

/** A task as JSON: the run as its state, the issued map as entries, no listeners. */
export type WaTaskState = Omit<WaTask, 'run' | 'listeners' | 'issued'> & {
  run: ScriptedRunState;
  issued: [string, 'pending' | 'answered' | 'void'][];
};

/** What DeepResearch adds to a task that carries its state (`t.dr`). */
export interface DeepResearchHooks {
  /** Fields of the outline gate's `task.input_request` event. */
  outlineData(t: WaTask): Record<string, unknown>;
  /** The research finished: build its artifacts. */
  completed(t: WaTask): void;
  /** Answers the outline gate (the request is known to be pending). */
  answer(t: WaTask, requestId: string, response: unknown): void;
}

/** The DoAnything state as JSON (sessions name their tasks by id). */
export interface DoAnythingSnapshot {
  sessions: (Omit<WaSession, 'tasks'> & { tasks: string[] })[];
  tasks: WaTaskState[];
}

export type DoAnything = ReturnType<typeof createDoAnything>;

export function createDoAnything(ctx: SandboxContext) {
  const sessions = new Map<string, WaSession>();
  const tasks = new Map<string, WaTask>();
  const openStreams = new Set<() => void>();
  const heartbeatMs = () => ctx.heartbeatMs ?? Math.min(1000, Math.max(20, ctx.tickMs * 20));
  let drHooks: DeepResearchHooks | undefined;
  const deepResearch = (): DeepResearchHooks => {
    if (!drHooks) throw new Error('DeepResearch hooks are not installed');
    return drHooks;
  };

  // ---------- state ----------

  function taskStatus(t: WaTask): TaskStatus {
    // A run that has not produced its first event has not been picked up yet.
    if (t.run.status === 'running' && t.events.length === 0) return 'queued';
    return t.run.status;
  }

  function sessionStatus(s: WaSession): string {
    if (s.stop === 'stopped') return 'stopped';
    if (s.stop === 'stopping') return 'stopping';
    const cur = s.tasks[s.tasks.length - 1];
    return cur && !cur.run.terminal ? 'running' : 'idle';
  }

  function taskWire(t: WaTask) {
    const pending = t.run.pendingInput;
    return {
      id: t.id,
      session_id: t.sessionId,
      status: taskStatus(t),
      instructions: t.instructions,
      result: t.run.result ?? null,
      error: t.run.error ?? null,
      pending_input_request: pending
        ? { id: pending.id, prompt: pending.prompt, event_id: t.pendingEventSeq ? String(t.pendingEventSeq) : null }
        : null,
      last_event_id: t.events.length ? String(t.events.length) : null,
      cancel_reason: t.cancelReason ?? null,
      created_at: t.createdAt,
      updated_at: t.updatedAt,
    };
  }

  function sessionWire(s: WaSession) {
    return {
      id: s.id,
      project_id: s.pid ?? null,
      status: sessionStatus(s),
      metadata: s.metadata,
      tasks: s.tasks.map(taskWire),
      created_at: s.createdAt,
      updated_at: s.updatedAt,
    };
  }

  function pushEvent(t: WaTask, type: string, data: Record<string, unknown>): WaEvent {
    const e: WaEvent = { seq: t.events.length + 1, type, data, at: now() };
    t.events.push(e);
    t.updatedAt = e.at;
    for (const l of t.listeners) l(e);
    return e;
  }

  /** Maps the generic scripted run's events onto Web Agent event types. */
  function onRunEvent(t: WaTask, e: RunEvent): void {
    if (t.events.length === 0) pushEvent(t, 'task.started', { instructions: t.instructions });
    switch (e.type) {
      case 'progress':
        pushEvent(t, 'task.progress', { message: e.text });
        // A progress step is the agent's ReAct boundary: it peeks the chat queue. Deliver after the
        // run has advanced past this step, so a following `await_message` sees the message.
        if (t.held.length > 0) queueMicrotask(() => deliverHeld(t));
        break;
      case 'input_request': {
        const id = String(e.data?.request_id);
        t.issued.set(id, 'pending');
        const data: Record<string, unknown> = { request_id: id, input_request_id: id, prompt: e.text };
        if (t.dr) Object.assign(data, deepResearch().outlineData(t));
        t.pendingEventSeq = pushEvent(t, 'task.input_request', data).seq;
        break;
      }
      case 'input_answered':
        pushEvent(t, 'task.input_answered', { request_id: e.data?.request_id, response: e.data?.response });
        break;
      case 'message_received':
        pushEvent(t, 'task.message', { role: 'user', content: e.text });
        break;
      case 'completed':
        if (t.dr) deepResearch().completed(t);
        pushEvent(t, 'task.completed', { result: t.run.result ?? e.text });
        break;
      case 'failed':
        pushEvent(t, 'task.failed', { error: t.run.error ?? e.text });
        break;
      case 'cancelled':
        pushEvent(t, 'task.cancelled', { reason: t.cancelReason ?? 'user_cancelled' });
        break;
    }
    if (t.run.terminal) {
      for (const [id, st] of t.issued) if (st === 'pending') t.issued.set(id, 'void');
      const s = sessions.get(t.sessionId);
      // A soft stop waits for the current task; it completes the stop when the task ends.
      if (s?.stop === 'stopping') {
        s.stop = 'stopped';
        s.updatedAt = now();
      }
    }
  }

  function startTask(s: WaSession, instructions: string, steps: ScriptStep[], dr?: DrState): WaTask {
    const t: WaTask = {
      id: newId('task'),
      sessionId: s.id,
      instructions,
      run: new ScriptedRun(steps, { tickMs: ctx.tickMs, idPrefix: 'ir' }),
      events: [],
      listeners: new Set(),
      issued: new Map(),
      held: [],
      createdAt: now(),
      updatedAt: now(),
      dr,
    };
    // The run's first step fires after one tick, so subscribing now misses nothing.
    t.run.subscribe((e) => onRunEvent(t, e));
    s.tasks.push(t);
    s.updatedAt = t.createdAt;
    tasks.set(t.id, t);
    return t;
  }

  function newSession(pid: string | undefined, metadata: Record<string, unknown>): WaSession {
    const s: WaSession = { id: newId('sess'), pid, metadata, tasks: [], createdAt: now(), updatedAt: now() };
    sessions.set(s.id, s);
    return s;
  }

  function getSession(req: SandboxRequest): WaSession {
    const s = sessions.get(req.params.session_id!);
    // DeepResearch sessions are pidless: any project of the tenant may read them.
    if (!s || (s.pid !== undefined && s.pid !== req.params.project_id))
      throw new HttpError(404, 'session_not_found', `session ${req.params.session_id} not found`);
    return s;
  }

  function getTask(req: SandboxRequest): { s: WaSession; t: WaTask } {
    const s = getSession(req);
    const t = tasks.get(req.params.task_id!);
    if (!t || t.sessionId !== s.id) throw new HttpError(404, 'task_not_found', `task ${req.params.task_id} not found`);
    return { s, t };
  }

  function deliverHeld(t: WaTask): void {
    while (t.held.length > 0 && t.run.status === 'running' && tasks.get(t.id) === t) t.run.message(t.held.shift()!);
  }

  /**
   * Answers a pending input request: 404 when this task never issued the id, 409 when it is no
   * longer pending (already answered, or the task moved on).
   */
  function answerInput(t: WaTask, requestId: string, response: unknown): void {
    const state = t.issued.get(requestId);
    if (state === undefined)
      throw new HttpError(404, 'input_request_not_found', `input request ${requestId} not found on task ${t.id}`);
    if (state !== 'pending' || t.run.pendingInput?.id !== requestId) {
      throw new HttpError(
        409,
        'conflict',
        `input request ${requestId} is no longer pending (task is ${taskStatus(t)})`,
      );
    }
    if (t.dr) return deepResearch().answer(t, requestId, response);
    t.issued.set(requestId, 'answered');
    t.run.answer(requestId, response);
    deliverHeld(t);
  }

  // ---------- SSE ----------

  function eventStream(t: WaTask, after: number): SandboxResponse {
    return {
      status: 200,
      stream: (res: ServerResponse) => {
        let last = after;
        let closed = false;
        const close = () => {
          if (closed) return;
          closed = true;
          t.listeners.delete(write);
          clearInterval(hb);
          openStreams.delete(close);
          if (!res.writableEnded) res.end();
        };
        const write = (e: WaEvent) => {
          if (closed || e.seq <= last) return;
          const body = {
            id: String(e.seq),
            type: e.type,
            task_id: t.id,
            session_id: t.sessionId,
            created_at: e.at,
            data: e.data,
          };
          res.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(body)}\n\n`);
          last = e.seq;
          if (TERMINAL_EVENT.has(e.type)) close();
        };
        // Heartbeats carry no id, so they never move the client's Last-Event-ID.
        const hb = setInterval(() => {
          if (!closed) res.write(`event: heartbeat\ndata: {"type":"heartbeat","at":"${now()}"}\n\n`);
        }, heartbeatMs());
        hb.unref?.();
        t.listeners.add(write);
        openStreams.add(close);
        res.on('close', close);
        for (const e of t.events) write(e);
        // Nothing left to send on a finished task whose terminal event the client already has.
        if (!closed && t.run.terminal && last >= t.events.length) close();
      },
    };
  }

  // ---------- routes ----------

  const routes: Route[] = [
    // DoAnything
    {
      method: 'POST',
      pattern: S.sessions,
      handler: (req) => {
        const instructions = str(req.body.instructions);
        if (!instructions) throw new HttpError(422, 'validation_error', 'instructions is required');
        checkSafety(instructions);
        const meta =
          req.body.metadata && typeof req.body.metadata === 'object'
            ? (req.body.metadata as Record<string, unknown>)
            : {};
        const s = newSession(req.params.project_id, meta);
        startTask(s, instructions, ctx.scripts.forText(instructions));
        return { status: 201, body: sessionWire(s) };
      },
    },
    {
      method: 'GET',
      pattern: S.sessions,
      handler: (req) => {
        const status = req.query.get('status');
        const mine = [...sessions.values()].filter(
          (s) => s.pid === req.params.project_id && (!status || sessionStatus(s) === status),
        );
        return { status: 200, body: cursorPage(mine, req.query, sessionWire) };
      },
    },
    { method: 'GET', pattern: S.session, handler: (req) => ({ status: 200, body: sessionWire(getSession(req)) }) },
    {
      method: 'POST',
      pattern: S.stop,
      handler: (req) => {
        const s = getSession(req);
        if (s.stop === 'stopped') throw new HttpError(409, 'conflict', `session ${s.id} is already stopped`);
        const cur = s.tasks[s.tasks.length - 1];
        if (cur && !cur.run.terminal) {
          if (req.body.force === true) {
            cur.cancelReason = 'session_stopped';
            s.stop = 'stopped';
            cur.run.cancel();
          } else s.stop = 'stopping';
        } else s.stop = 'stopped';
        s.updatedAt = now();
        return { status: 200, body: sessionWire(s) };
      },
    },
    {
      method: 'POST',
      pattern: S.tasks,
      handler: (req) => {
        const s = getSession(req);
        const instructions = str(req.body.instructions);
        if (!instructions) throw new HttpError(422, 'validation_error', 'instructions is required');
        if (s.stop) throw new HttpError(409, 'conflict', `session ${s.id} is ${s.stop}`);
        const cur = s.tasks[s.tasks.length - 1];
        if (cur && !cur.run.terminal)
          throw new HttpError(409, 'conflict', `previous task ${cur.id} is still ${taskStatus(cur)}`);
        checkSafety(instructions);
        return { status: 201, body: taskWire(startTask(s, instructions, ctx.scripts.forText(instructions))) };
      },
    },
    { method: 'GET', pattern: S.task, handler: (req) => ({ status: 200, body: taskWire(getTask(req).t) }) },
    {
      method: 'POST',
      pattern: S.cancelTask,
      handler: (req) => {
        const { t } = getTask(req);
        if (t.run.terminal) throw new HttpError(409, 'conflict', `task ${t.id} is already ${taskStatus(t)}`);
        t.cancelReason = str(req.body.reason) ?? 'user_cancelled';
        t.run.cancel();
        return { status: 200, body: taskWire(t) };
      },
    },
    {
      method: 'POST',
      pattern: S.messages,
      handler: (req) => {
        const { t } = getTask(req);
        const content = str(req.body.content);
        if (!content) throw new HttpError(422, 'validation_error', 'content is required');
        if (t.run.terminal)
          throw new HttpError(409, 'conflict', `task ${t.id} is ${taskStatus(t)}; start a follow-up task instead`);
        // Messages go to the chat queue, not to a pending question: hold them while the agent waits
        // for input, and while the task is still queued (the agent reads the queue at its next step).
        const held = t.run.status === 'awaiting_input' || t.events.length === 0;
        if (held) t.held.push(content);
        else t.run.message(content);
        return {
          status: 201,
          body: { id: newId('msg'), task_id: t.id, content, status: held ? 'queued' : 'delivered', created_at: now() },
        };
      },
    },
    {
      method: 'POST',
      pattern: S.intervene,
      handler: (req) => {
        const { t } = getTask(req);
        const id = str(req.body.input_request_id);
        if (!id) throw new HttpError(422, 'validation_error', 'input_request_id is required');
        if (req.body.response === undefined) throw new HttpError(422, 'validation_error', 'response is required');
        answerInput(t, id, req.body.response);
        return { status: 200, body: { task_id: t.id, input_request_id: id, status: taskStatus(t), accepted: true } };
      },
    },
    {
      method: 'GET',
      pattern: S.events,
      handler: (req) => {
        const { t } = getTask(req);
        const raw = (req.headers['last-event-id'] as string | undefined) ?? req.query.get('last_event_id') ?? '0';
        const after = Number(raw);
        if (!Number.isInteger(after) || after < 0)
          throw new HttpError(422, 'validation_error', 'Last-Event-ID must be a non-negative integer');
        return eventStream(t, after);
      },
    },
  ];

  return {
    sessions,
    tasks,
    routes,
    taskStatus,
    startTask,
    newSession,
    pushEvent,
    answerInput,
    /** Installs DeepResearch's part of a task's life (./deep-research.ts). */
    setDeepResearch(h: DeepResearchHooks): void {
      drHooks = h;
    },
    snapshot(): DoAnythingSnapshot {
      return {
        sessions: [...sessions.values()].map((s) => ({ ...s, tasks: s.tasks.map((t) => t.id) })),
        tasks: [...tasks.values()].map(({ run, listeners: _l, issued, ...t }) => ({
          ...t,
          run: run.toJSON(),
          issued: [...issued],
        })),
      };
    },
    /** Restores a {@link snapshot} into an empty state (after {@link reset}). */
    restore(snap: DoAnythingSnapshot): void {
      const byId = new Map<string, WaTask>();
      for (const st of snap.tasks) {
        const t: WaTask = {
          ...st,
          run: ScriptedRun.restore(st.run.steps, st.run, { tickMs: ctx.tickMs, idPrefix: 'ir' }),
          listeners: new Set(),
          issued: new Map(st.issued),
        };
        t.run.subscribe((e) => onRunEvent(t, e));
        byId.set(t.id, t);
      }
      for (const ss of snap.sessions) {
        const s: WaSession = {
          ...ss,
          tasks: ss.tasks.map((id) => byId.get(id)).filter((t): t is WaTask => t !== undefined),
        };
        sessions.set(s.id, s);
      }
      for (const t of byId.values()) tasks.set(t.id, t);
    },
    reset(): void {
      for (const close of [...openStreams]) close();
      for (const t of tasks.values()) t.run.dispose();
      sessions.clear();
      tasks.clear();
    },
  };
}
