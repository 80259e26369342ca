/**
 * Web Agent simulator. Auth: `Authorization: Bearer <key>`; routes and wire shapes follow
 * src/providers/webagent/routes.ts and schemas.ts (most of them assumptions, marked there).
 *
 * DoAnything tasks are driven by a {@link ScriptedRun} picked from the task's instructions
 * (`script:<name>`). Each task keeps its own event log with a dense `seq`, which is the SSE `id:`:
 * the stream replays events after `Last-Event-ID`, then streams live ones, sends `event: heartbeat`
 * about every second (faster with a small tickMs), and ends after a terminal event.
 *
 * DeepResearch builds its own script: progress, an outline gate (`task.input_request` with
 * `kind: 'outline'`; a topic containing `rounds:2` asks twice), more progress, then three artifacts.
 * A topic containing `takes:600s` spends that long researching after the last approval, as a real
 * run (hours) does; without it the research finishes a few ticks after the outline is approved.
 * Web Search is a small state-only simulation; Track (monitors that tick on their own schedule,
 * snapshots, deliveries POSTed to the callback URL, alignment questions) is in ./webagent-track.ts.
 *
 * Triggers for error paths without fault injection: instructions or a topic containing
 * `safety:block` → 403 `safety_boundary_violated`; a query containing `slow` makes `wait=true`
 * time out (202); Track's triggers are listed in ./webagent-track.ts.
 */
import type { ServerResponse } from 'node:http';
import { type RunEvent, ScriptedRun, type ScriptedRunState, type ScriptStep } from '../../agent.js';
import { bearer, HttpError, intParam, newId, type PlatformSim, type Route, type SandboxRequest, type SandboxResponse } from '../../framework.js';
import type { SandboxContext } from '../../server.js';
import { createTrackSim, type TrackMonitor } from './track.js';
import { DEEP_RESEARCH_ROUTES as DR, SESSION_ROUTES as S, WEB_SEARCH_ROUTES as WS } from '../../../providers/webagent/routes.js';

type TaskStatus = 'queued' | 'running' | 'awaiting_input' | 'completed' | 'failed' | 'cancelled';
const TERMINAL_EVENT: ReadonlySet<string> = new Set(['task.completed', 'task.failed', 'task.cancelled']);

interface WaEvent {
  seq: number;
  type: string;
  data: Record<string, unknown>;
  at: string;
}

interface DrState {
  topic: string;
  depth: 'light' | 'standard' | 'deep';
  requireApproval: boolean;
  rounds: number;
  outline: { title: string; sections: string[] };
  edits: unknown[];
  decisions: { requestId: string; response: unknown }[];
  artifacts: { id: string; name: string; content_type: string; content: string; created_at: string }[];
}

interface WaTask {
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

interface WaSession {
  id: string;
  /** Project it belongs to; undefined for DeepResearch sessions (pidless: the tenant comes from the token). */
  pid?: string;
  metadata: Record<string, unknown>;
  tasks: WaTask[];
  stop?: 'stopping' | 'stopped';
  createdAt: string;
  updatedAt: string;
}

interface WsTask {
  task_id: string;
  pid: string;
  status: 'running' | 'completed';
  queries: string[];
  engines: string[];
  summarize: boolean;
  refinements: string[];
  results?: { results: { title: string; url: string; snippet: string; engine: string }[]; summary?: string };
  created_at: string;
  updated_at: string;
}

/** A task as JSON: the run as its state, the issued map as entries, no listeners. */
type WaTaskState = Omit<WaTask, 'run' | 'listeners' | 'issued'> & { run: ScriptedRunState; issued: [string, 'pending' | 'answered' | 'void'][] };

/** The simulator's state as JSON (sessions name their tasks by id). */
interface WaSnapshot {
  sessions: (Omit<WaSession, 'tasks'> & { tasks: string[] })[];
  tasks: WaTaskState[];
  searches: WsTask[];
  monitors: TrackMonitor[];
}

const now = () => new Date().toISOString();

/** Extra details per error code, like the platform's `extra` (seed: `e.detail, e.extra`). */
function extraFor(code: string): Record<string, unknown> {
  if (code === 'insufficient_credits') return { balance_credits: 0, top_up_url: 'https://webagent.example/billing' };
  if (code === 'budget_exceeded') return { budget_credits: 100, used_credits: 100 };
  if (code === 'rate_limit_exceeded') return { limit_per_minute: 60 };
  return {};
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

/** Opaque cursor pagination (`limit` + `cursor` = the last id of the previous page). */
function cursorPage<T extends { id: string }>(items: T[], q: URLSearchParams, toWire: (t: T) => unknown) {
  const limit = intParam(q, 'limit', 20, { min: 1, max: 100 });
  const cursor = q.get('cursor');
  let start = 0;
  if (cursor) {
    const i = items.findIndex((x) => x.id === cursor);
    if (i < 0) throw new HttpError(422, 'validation_error', 'cursor is not valid for this listing');
    start = i + 1;
  }
  const page = items.slice(start, start + limit);
  const hasMore = start + limit < items.length;
  return { items: page.map(toWire), next_cursor: hasMore ? page[page.length - 1]!.id : null, has_more: hasMore };
}

const DEFAULT_SECTIONS = ['Background', 'Landscape', 'Comparison', 'Outlook'];

export function createWebAgentSim(ctx: SandboxContext): PlatformSim {
  const sessions = new Map<string, WaSession>();
  const tasks = new Map<string, WaTask>();
  const searches = new Map<string, WsTask>();
  const openStreams = new Set<() => void>();
  const timers = new Set<NodeJS.Timeout>();
  const heartbeatMs = () => ctx.heartbeatMs ?? Math.min(1000, Math.max(20, ctx.tickMs * 20));

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    t.unref?.();
    timers.add(t);
  };

  // ---------- DoAnything state ----------

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
      pending_input_request: pending ? { id: pending.id, prompt: pending.prompt, event_id: t.pendingEventSeq ? String(t.pendingEventSeq) : null } : null,
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
        if (t.dr) {
          data.kind = 'outline';
          data.round = t.dr.decisions.length + 1;
          data.rounds = t.dr.rounds;
          data.outline = { title: t.dr.outline.title, sections: [...t.dr.outline.sections] };
        }
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
        if (t.dr) buildArtifacts(t);
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

  function checkSafety(text: string): void {
    if (/safety:block/.test(text)) throw new HttpError(403, 'safety_boundary_violated', 'the request crosses a safety boundary');
  }

  const track = createTrackSim(ctx, { cursorPage, checkSafety });

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
    if (state === undefined) throw new HttpError(404, 'input_request_not_found', `input request ${requestId} not found on task ${t.id}`);
    if (state !== 'pending' || t.run.pendingInput?.id !== requestId) {
      throw new HttpError(409, 'conflict', `input request ${requestId} is no longer pending (task is ${taskStatus(t)})`);
    }
    if (t.dr) return decideOutline(t, requestId, response);
    t.issued.set(requestId, 'answered');
    t.run.answer(requestId, response);
    deliverHeld(t);
  }

  // ---------- DeepResearch ----------

  function parseDecision(response: unknown): { kind: 'approve' } | { kind: 'edits'; edits: unknown[] } | { kind: 'reject'; reason?: string } {
    if (response === 'approve') return { kind: 'approve' };
    if (response && typeof response === 'object') {
      const r = response as Record<string, unknown>;
      if (r.action === 'approve') return { kind: 'approve' };
      if (r.action === 'approve_with_edits') {
        if (!Array.isArray(r.edits) || r.edits.length === 0) throw new HttpError(422, 'validation_error', 'approve_with_edits needs a non-empty edits list');
        return { kind: 'edits', edits: r.edits };
      }
      if (r.action === 'reject') return { kind: 'reject', reason: str(r.reason) };
    }
    throw new HttpError(422, 'validation_error', `response must be "approve", {action:"approve_with_edits", edits:[…]} or {action:"reject", reason}`);
  }

  /** Applies reviewer edits to the outline: strings add a section; `{op:add|remove|rename}` objects edit one. */
  function applyEdits(dr: DrState, edits: unknown[]): void {
    for (const e of edits) {
      dr.edits.push(e);
      if (typeof e === 'string') dr.outline.sections.push(e);
      else if (e && typeof e === 'object') {
        const o = e as Record<string, unknown>;
        const title = str(o.title) ?? str(o.section);
        if ((o.op === 'add' || o.op === undefined) && title) dr.outline.sections.push(title);
        else if (o.op === 'remove' && title) dr.outline.sections = dr.outline.sections.filter((x) => x !== title);
        else if (o.op === 'rename' && str(o.from) && str(o.to)) dr.outline.sections = dr.outline.sections.map((x) => (x === o.from ? String(o.to) : x));
      }
    }
  }

  function decideOutline(t: WaTask, requestId: string, response: unknown): void {
    const dr = t.dr!;
    const d = parseDecision(response);
    t.issued.set(requestId, 'answered');
    dr.decisions.push({ requestId, response });
    if (d.kind === 'reject') {
      // The run itself knows no "reject": record the answer, then cancel the task.
      pushEvent(t, 'task.input_answered', { request_id: requestId, response });
      t.cancelReason = d.reason ? `outline_rejected: ${d.reason}` : 'outline_rejected';
      t.run.cancel();
      return;
    }
    if (d.kind === 'edits') applyEdits(dr, d.edits);
    t.run.answer(requestId, response);
  }

  function buildArtifacts(t: WaTask): void {
    const dr = t.dr!;
    const at = now();
    const sections = dr.outline.sections;
    const final = [
      `# ${dr.outline.title}`,
      '',
      `Depth: ${dr.depth}. Outline rounds: ${dr.decisions.length}.`,
      '',
      ...sections.flatMap((s, i) => [`## ${i + 1}. ${s}`, '', `Findings on ${s.toLowerCase()} for "${dr.topic}" [${i + 1}].`, '']),
      ...(dr.edits.length ? ['## Reviewer edits', '', ...dr.edits.map((e) => `- ${typeof e === 'string' ? e : JSON.stringify(e)}`), ''] : []),
    ].join('\n');
    const citations = sections.map((s, i) => ({ id: i + 1, title: `Source on ${s}`, url: `https://example.org/sources/${i + 1}` }));
    const confidence = {
      overall: dr.depth === 'deep' ? 0.86 : dr.depth === 'standard' ? 0.78 : 0.65,
      sections: Object.fromEntries(sections.map((s) => [s, 0.8])),
    };
    dr.artifacts = [
      { id: newId('art'), name: 'final.md', content_type: 'text/markdown', content: final, created_at: at },
      { id: newId('art'), name: 'citations.json', content_type: 'application/json', content: JSON.stringify(citations, null, 2), created_at: at },
      { id: newId('art'), name: 'confidence.json', content_type: 'application/json', content: JSON.stringify(confidence, null, 2), created_at: at },
    ];
  }

  function drTask(req: SandboxRequest): WaTask {
    const t = tasks.get(req.params.task_id!);
    if (!t?.dr) throw new HttpError(404, 'task_not_found', `deep research task ${req.params.task_id} not found`);
    return t;
  }

  function drWire(t: WaTask) {
    return { task_id: t.id, session_id: t.sessionId, status: taskStatus(t), topic: t.dr!.topic, depth: t.dr!.depth, created_at: t.createdAt };
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
          const body = { id: String(e.seq), type: e.type, task_id: t.id, session_id: t.sessionId, created_at: e.at, data: e.data };
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

  // ---------- Web Search ----------

  function hits(queries: string[], engines: string[], refinements: string[]) {
    const engine = engines[0] ?? 'tavily';
    const suffix = refinements.length ? ` (${refinements.join('; ')})` : '';
    return queries.flatMap((q) =>
      [1, 2, 3].map((i) => ({
        title: `${q}${suffix} — result ${i}`,
        url: `https://example.com/${encodeURIComponent(q.replace(/\s+/g, '-'))}/${i}${refinements.length ? `?r=${refinements.length}` : ''}`,
        snippet: `Result ${i} for "${q}"${suffix}.`,
        engine,
      })),
    );
  }

  function completeSearch(w: WsTask): void {
    const results = hits(w.queries, w.engines, w.refinements);
    w.results = { results, ...(w.summarize ? { summary: `${results.length} results for ${w.queries.join(', ')}` } : {}) };
    w.status = 'completed';
    w.updated_at = now();
  }

  function wsWire(w: WsTask) {
    return { task_id: w.task_id, status: w.status, queries: w.queries, results: w.results ?? null, created_at: w.created_at, updated_at: w.updated_at };
  }

  function getSearch(req: SandboxRequest): WsTask {
    const w = searches.get(req.params.task_id!);
    if (!w || w.pid !== req.params.project_id) throw new HttpError(404, 'task_not_found', `web search task ${req.params.task_id} not found`);
    return w;
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
        const meta = req.body.metadata && typeof req.body.metadata === 'object' ? (req.body.metadata as Record<string, unknown>) : {};
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
        const mine = [...sessions.values()].filter((s) => s.pid === req.params.project_id && (!status || sessionStatus(s) === status));
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
        if (cur && !cur.run.terminal) throw new HttpError(409, 'conflict', `previous task ${cur.id} is still ${taskStatus(cur)}`);
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
        if (t.run.terminal) throw new HttpError(409, 'conflict', `task ${t.id} is ${taskStatus(t)}; start a follow-up task instead`);
        // Messages go to the chat queue, not to a pending question: hold them while the agent waits
        // for input, and while the task is still queued (the agent reads the queue at its next step).
        const held = t.run.status === 'awaiting_input' || t.events.length === 0;
        if (held) t.held.push(content);
        else t.run.message(content);
        return { status: 201, body: { id: newId('msg'), task_id: t.id, content, status: held ? 'queued' : 'delivered', created_at: now() } };
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
        if (!Number.isInteger(after) || after < 0) throw new HttpError(422, 'validation_error', 'Last-Event-ID must be a non-negative integer');
        return eventStream(t, after);
      },
    },

    // DeepResearch (pidless)
    {
      method: 'POST',
      pattern: DR.run,
      handler: (req) => {
        const topic = str(req.body.topic);
        if (!topic) throw new HttpError(422, 'validation_error', 'topic is required');
        const depth = req.body.depth ?? 'standard';
        if (!['light', 'standard', 'deep'].includes(depth)) throw new HttpError(422, 'validation_error', 'depth must be light, standard or deep');
        checkSafety(topic);
        const requireApproval = req.body.require_outline_approval !== false;
        const rounds = Math.min(5, Math.max(1, Number(/rounds:(\d+)/.exec(topic)?.[1] ?? 1)));
        const takesMs = Number(/takes:(\d+)s/.exec(topic)?.[1] ?? 0) * 1000;
        const title = topic.replace(/\s*(rounds|takes):\d+s?\s*/g, ' ').trim() || topic;
        const sections = depth === 'deep' ? [...DEFAULT_SECTIONS, 'Methodology'] : depth === 'light' ? DEFAULT_SECTIONS.slice(0, 2) : [...DEFAULT_SECTIONS];
        const dr: DrState = { topic, depth, requireApproval, rounds, outline: { title, sections }, edits: [], decisions: [], artifacts: [] };
        const steps: ScriptStep[] = [{ type: 'emit', count: 1, text: 'collecting sources' }];
        if (requireApproval) {
          for (let r = 1; r <= rounds; r++) {
            steps.push({ type: 'ask', prompt: `Approve the research outline (round ${r} of ${rounds})` });
            steps.push({ type: 'emit', count: 1, text: `outline round ${r} accepted` });
          }
        }
        if (takesMs > 0) steps.push({ type: 'wait', ms: takesMs });
        steps.push({ type: 'emit', count: { light: 1, standard: 2, deep: 3 }[depth as DrState['depth']], text: 'researching' });
        steps.push({ type: 'finish', result: `report ready: ${title}` });
        const s = newSession(undefined, { product: 'deep_research' });
        const t = startTask(s, `Deep research: ${topic}`, steps, dr);
        return { status: 201, body: drWire(t) };
      },
    },
    { method: 'GET', pattern: DR.task, handler: (req) => ({ status: 200, body: drWire(drTask(req)) }) },
    {
      method: 'POST',
      pattern: DR.intervene,
      handler: (req) => {
        const t = drTask(req);
        const id = str(req.body.request_id);
        if (!id) throw new HttpError(422, 'validation_error', 'request_id is required');
        if (req.body.response === undefined) throw new HttpError(422, 'validation_error', 'response is required');
        answerInput(t, id, req.body.response);
        return { status: 200, body: { task_id: t.id, input_request_id: id, status: taskStatus(t), accepted: true } };
      },
    },
    {
      method: 'POST',
      pattern: DR.cancel,
      handler: (req) => {
        const t = drTask(req);
        if (t.run.terminal) throw new HttpError(409, 'conflict', `task ${t.id} is already ${taskStatus(t)}`);
        t.cancelReason = str(req.body.reason) ?? 'user_cancelled';
        t.run.cancel();
        return { status: 200, body: drWire(t) };
      },
    },
    {
      method: 'GET',
      pattern: DR.artifacts,
      handler: (req) => ({
        status: 200,
        body: { items: drTask(req).dr!.artifacts.map(({ content, ...a }) => ({ ...a, size_bytes: Buffer.byteLength(content) })) },
      }),
    },
    {
      method: 'GET',
      pattern: DR.artifact,
      handler: (req) => {
        const a = drTask(req).dr!.artifacts.find((x) => x.id === req.params.artifact_id);
        if (!a) throw new HttpError(404, 'artifact_not_found', `artifact ${req.params.artifact_id} not found`);
        return { status: 200, body: { ...a, size_bytes: Buffer.byteLength(a.content) } };
      },
    },

    // Web Search
    {
      method: 'POST',
      pattern: WS.run,
      handler: (req) => {
        const q = req.body.queries;
        if (!Array.isArray(q) || q.length === 0 || !q.every((x) => typeof x === 'string' && x.trim() !== '')) {
          throw new HttpError(422, 'validation_error', 'queries must be a non-empty list of strings');
        }
        q.forEach((x: string) => checkSafety(x));
        const engines = Array.isArray(req.body.engines) ? (req.body.engines as string[]) : ['tavily'];
        const w: WsTask = {
          task_id: newId('ws'),
          pid: req.params.project_id!,
          status: 'running',
          queries: q,
          engines,
          summarize: req.body.summarize === true,
          refinements: [],
          created_at: now(),
          updated_at: now(),
        };
        searches.set(w.task_id, w);
        const wait = req.body.wait !== false;
        // `slow` stands for a search that outlives the server's ≤30 s wait: it answers 202.
        if (wait && !q.some((x: string) => /slow/.test(x))) {
          completeSearch(w);
          return { status: 200, body: wsWire(w) };
        }
        later(ctx.tickMs * 3, () => completeSearch(w));
        return { status: 202, body: wsWire(w) };
      },
    },
    { method: 'GET', pattern: WS.task, handler: (req) => ({ status: 200, body: wsWire(getSearch(req)) }) },
    {
      method: 'POST',
      pattern: WS.refine,
      handler: (req) => {
        const w = getSearch(req);
        const text = str(req.body.text);
        if (!text) throw new HttpError(422, 'validation_error', 'text is required');
        if (w.status !== 'completed') throw new HttpError(409, 'conflict', `web search ${w.task_id} is still running`);
        w.refinements.push(text);
        w.status = 'running';
        w.results = undefined;
        w.updated_at = now();
        later(ctx.tickMs * 2, () => completeSearch(w));
        return { status: 202, body: wsWire(w) };
      },
    },

    // Track (its own product file)
    ...track.routes,
  ];

  return {
    platform: 'webagent',
    authenticate(headers) {
      const key = bearer(headers);
      const identity = ctx.keys.identity('webagent', key);
      return identity && key ? { identity, credential: key } : undefined;
    },
    // The seed's envelope: `{code, detail, extra}` (request id beside it).
    errorBody: (_status, code, detail, requestId) => ({ code, detail, extra: extraFor(code), request_id: requestId }),
    // The seed documents no Idempotency-Key: a repeated request is a new one, as on the real service.
    honoursIdempotencyKey: false,
    routes,
    reset,
    snapshot(): WaSnapshot {
      return {
        sessions: [...sessions.values()].map((s) => ({ ...s, tasks: s.tasks.map((t) => t.id) })),
        tasks: [...tasks.values()].map(({ run, listeners: _l, issued, ...t }) => ({ ...t, run: run.toJSON(), issued: [...issued] })),
        searches: [...searches.values()],
        monitors: track.snapshot(),
      };
    },
    restore(data: unknown) {
      const snap = structuredClone(data) as WaSnapshot;
      reset();
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
        const s: WaSession = { ...ss, tasks: ss.tasks.map((id) => byId.get(id)).filter((t): t is WaTask => t !== undefined) };
        sessions.set(s.id, s);
      }
      for (const t of byId.values()) tasks.set(t.id, t);
      for (const w of snap.searches) {
        searches.set(w.task_id, w);
        // The completion timer did not survive: a search still running finishes shortly after the restart.
        if (w.status === 'running') later(ctx.tickMs * 2, () => completeSearch(w));
      }
      track.restore(snap.monitors);
    },
  };

  function reset(): void {
    for (const close of [...openStreams]) close();
    for (const t of tasks.values()) t.run.dispose();
    for (const t of timers) clearTimeout(t);
    timers.clear();
    sessions.clear();
    tasks.clear();
    searches.clear();
    track.reset();
  }
}
