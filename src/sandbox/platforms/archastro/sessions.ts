/**
 * ArchAstro simulator, agent sessions: create, list (`agent[]`, `status[]`, `routine_run[]`), get,
 * update metadata, delete, cancel, inbox messages, the harness events (`/events?after=`) and the
 * status stream (`/stream`, served by ./streams.ts).
 *
 * Sessions are driven by a {@link ScriptedRun} picked from the instructions (`script:<name>`):
 * `pending` until the agent picks the session up, `running` while it emits, `waiting` when the
 * script asks (the turn ended; an inbox message starts the next turn), then `completed`, `failed`
 * or `cancelled`. A `start_idle` session sits in `waiting` with no agent run until its first
 * message. A session exposes its trajectory as an id (`trj_…`), its `result` as an object, and its
 * transcript as harness events.
 */
import { ScriptedRun, type RunEvent, type ScriptedRunState } from '../../agent.js';
import { intParam, newId, type Route, type SandboxRequest, type SandboxResponse } from '../../framework.js';
import type { SandboxContext } from '../../server.js';
import {
  type AaState,
  fail,
  json,
  multi,
  now,
  optInt,
  optObject,
  optString,
  S,
  SESSION_STATUSES,
  type SessionStatus,
  type SimSession,
  TERMINAL,
  type TrajectoryEntry,
} from './shared.js';

/** What the sessions area needs from the others. */
export interface SessionHooks {
  /** A session changed status (routine runs settle on it; status streams write it). */
  onStatus(s: SimSession): void;
  /** A harness event was added (status streams write it as `session_event`). */
  onEvent(s: SimSession, e: HarnessEvent): void;
  /** The status stream of one session. */
  stream(s: SimSession): SandboxResponse;
}

/** One harness event as the SDK models it (archastro-sdk@0.11.0 `AgentSessionEvent`). */
export interface HarnessEvent {
  id: string;
  event: string;
  harness: string;
  occurred_at: string;
  payload: Record<string, unknown>;
}

/** The `i`-th trajectory entry as a harness event (`cse_<n>`, 1-based, in order). */
export function harnessEvent(e: TrajectoryEntry, i: number): HarnessEvent {
  const id = `cse_${String(i + 1).padStart(8, '0')}`;
  const base = { id, harness: 'archastro', occurred_at: e.created_at };
  switch (e.type) {
    case 'question':
      return { ...base, event: 'needs_input', payload: { prompt: e.content } };
    case 'result':
      return { ...base, event: 'finished', payload: { status: 'completed', result: { text: e.content } } };
    case 'error':
      return { ...base, event: 'error', payload: { message: e.content } };
    case 'cancelled':
      return { ...base, event: 'finished', payload: { status: 'cancelled' } };
    default:
      return { ...base, event: 'message', payload: { role: e.role, content: e.content } };
  }
}

/** Rough token cost of agent output, so `max_tokens` has something to bite on. */
const tokensOf = (text: string) => Math.ceil(text.length / 4);

export function createSessionArea(ctx: SandboxContext, st: AaState, hooks: SessionHooks) {
  function view(s: SimSession) {
    return {
      id: s.id,
      object: 'agent_session',
      agent: s.agent,
      name: s.name,
      instructions: s.instructions,
      status: s.status,
      metadata: s.metadata,
      max_turns: s.max_turns,
      max_tokens: s.max_tokens,
      max_runs_per_turn: s.max_runs_per_turn,
      start_idle: s.start_idle,
      team: s.team,
      thread: s.thread,
      user: s.user,
      routine_run: s.routine_run,
      is_system_session: s.system,
      inbox: s.inbox.map((m) => ({
        id: m.id,
        role: m.role,
        content: m.content,
        metadata: m.metadata,
        sender_type: 'app',
        sent_at: m.created_at,
      })),
      // SDK AgentSession: the Trajectory's id, null until the session starts; `result` an object.
      trajectory: s.trajectory_id,
      result: s.result === null ? null : { text: s.result },
      error: s.error,
      created_at: s.created_at,
      started_at: s.started_at,
      updated_at: s.updated_at,
      completed_at: s.completed_at,
    };
  }

  /** The session's trajectory as SDK harness events (`AgentSessionEvent`); ids `cse_<n>` in order. */
  function events(s: SimSession): HarnessEvent[] {
    return s.trajectory.map(harnessEvent);
  }

  function getSession(id: string): SimSession {
    const s = st.sessions.get(id);
    if (!s) fail(404, 'not_found', `agent session ${id} not found`);
    return s;
  }

  function push(s: SimSession, type: TrajectoryEntry['type'], role: TrajectoryEntry['role'], content: string): void {
    const entry: TrajectoryEntry = { id: `ate_${s.trajectory.length + 1}`, type, role, content, created_at: now() };
    s.trajectory.push(entry);
    s.updated_at = now();
    hooks.onEvent(s, harnessEvent(entry, s.trajectory.length - 1));
  }

  function setStatus(s: SimSession, status: SessionStatus): void {
    if (s.status === status) return;
    s.status = status;
    s.updated_at = now();
    if (status === 'running' && !s.started_at) {
      s.started_at = now();
      s.trajectory_id = newId('trj');
    }
    if (TERMINAL.has(status)) {
      s.completed_at = now();
      clearTimeout(s.pickup);
    }
    hooks.onStatus(s);
  }

  function lastAssistant(s: SimSession): string | null {
    for (let i = s.trajectory.length - 1; i >= 0; i--) {
      const e = s.trajectory[i]!;
      if (e.role === 'assistant') return e.content;
    }
    return null;
  }

  /** Maps the scripted agent's generic events onto this session's trajectory and status. */
  function onRunEvent(s: SimSession, run: ScriptedRun, e: RunEvent): void {
    switch (e.type) {
      case 'progress':
        if (s.status === 'pending') setStatus(s, 'running');
        push(s, 'message', 'assistant', e.text);
        s.tokens_used += tokensOf(e.text);
        if (s.tokens_used > s.max_tokens) {
          s.abortReason = `max_tokens (${s.max_tokens}) exceeded`;
          run.cancel();
        }
        return;
      case 'input_request':
        // The agent ended its turn with a question: ArchAstro calls that `waiting`.
        push(s, 'question', 'assistant', e.text);
        setStatus(s, 'waiting');
        return;
      case 'input_answered':
      case 'message_received':
        // The message endpoint already recorded the user's message in inbox and trajectory.
        return;
      case 'completed':
        s.result = run.result ?? lastAssistant(s) ?? 'completed';
        push(s, 'result', 'assistant', s.result);
        setStatus(s, 'completed');
        return;
      case 'failed':
        s.error = run.error ?? 'failed';
        push(s, 'error', 'system', s.error);
        setStatus(s, 'failed');
        return;
      case 'cancelled':
        if (s.abortReason) {
          s.error = s.abortReason;
          push(s, 'error', 'system', s.abortReason);
          setStatus(s, 'failed');
        } else {
          push(s, 'cancelled', 'system', 'session cancelled');
          setStatus(s, 'cancelled');
        }
        return;
    }
  }

  /** Starts the agent on this session: the first turn. */
  function startAgent(s: SimSession, text: string, initial: SessionStatus): void {
    const run = new ScriptedRun(ctx.scripts.forText(text), { tickMs: ctx.tickMs, idPrefix: 'q' });
    s.run = run;
    s.turns = 1;
    setStatus(s, initial);
    run.subscribe((e) => onRunEvent(s, run, e));
    schedulePickup(s);
  }

  /** The platform "picks the session up" after a tick even if the script's first step emits nothing. */
  function schedulePickup(s: SimSession): void {
    s.pickup = setTimeout(() => {
      if (s.status === 'pending') setStatus(s, 'running');
    }, ctx.tickMs);
    s.pickup.unref?.();
  }

  function createSession(
    body: Record<string, unknown>,
    opts: { system?: boolean; routineRun?: string } = {},
  ): SimSession {
    const agent = optString(body, 'agent');
    const instructions = optString(body, 'instructions');
    if (!agent) fail(422, 'validation_error', 'agent is required');
    if (!instructions) fail(422, 'validation_error', 'instructions is required');
    if (!/^agi_/.test(agent)) fail(404, 'not_found', `agent ${agent} not found`);
    const startIdle = body.start_idle === true;
    const ts = now();
    const s: SimSession = {
      seq: ++st.seq,
      id: newId('ase'),
      agent,
      instructions,
      name: optString(body, 'name'),
      metadata: optObject(body, 'metadata') ?? {},
      max_turns: optInt(body, 'max_turns', 100),
      max_tokens: optInt(body, 'max_tokens', 20_000),
      max_runs_per_turn: optInt(body, 'max_runs_per_turn', 25),
      start_idle: startIdle,
      team: optString(body, 'team'),
      thread: optString(body, 'thread'),
      user: optString(body, 'user'),
      routine_run: opts.routineRun ?? null,
      system: opts.system ?? false,
      status: startIdle ? 'waiting' : 'pending',
      turns: 0,
      tokens_used: 0,
      inbox: [],
      trajectory: [],
      result: null,
      error: null,
      created_at: ts,
      updated_at: ts,
      started_at: null,
      completed_at: null,
      trajectory_id: null,
    };
    st.sessions.set(s.id, s);
    if (!startIdle) startAgent(s, instructions, 'pending');
    return s;
  }

  /** Appends an inbox message; starts the next turn of a waiting session. */
  function deliver(s: SimSession, content: string, role: string, metadata: Record<string, unknown>): void {
    if (TERMINAL.has(s.status))
      fail(422, 'session_terminal', `agent session ${s.id} is ${s.status}; it accepts no messages`);
    s.inbox.push({ id: newId('msg'), role, content, metadata, created_at: now() });
    push(s, 'message', role === 'tool' ? 'tool' : role === 'system' ? 'system' : 'user', content);
    if (!s.run) {
      // start_idle: the first message runs the opening turn (its text may pick the script too).
      startAgent(s, `${s.instructions}\n${content}`, 'running');
      return;
    }
    if (s.status === 'waiting') {
      if (s.turns >= s.max_turns) {
        s.abortReason = `max_turns (${s.max_turns}) reached`;
        s.run.cancel();
        return;
      }
      s.turns += 1;
      setStatus(s, 'running');
    }
    s.run.message(content);
  }

  function cancelSession(s: SimSession): void {
    if (TERMINAL.has(s.status)) return;
    if (s.run && !s.run.terminal) {
      s.run.cancel();
      return;
    }
    push(s, 'cancelled', 'system', 'session cancelled');
    setStatus(s, 'cancelled');
  }

  // ------------------------------------------------------------------ routes

  const routes: Route[] = [
    {
      method: 'GET',
      pattern: S,
      handler: ({ query }) => {
        const agents = multi(query, 'agent');
        const statuses = multi(query, 'status');
        for (const st of statuses) {
          if (!SESSION_STATUSES.includes(st as SessionStatus))
            fail(422, 'validation_error', `status must be among ${SESSION_STATUSES.join(', ')}`);
        }
        const routineRuns = multi(query, 'routine_run');
        if (routineRuns.length > 100) fail(422, 'validation_error', 'routine_run accepts at most 100 ids');
        const excludeSystem = query.get('exclude_system') === 'true';
        const limit = intParam(query, 'limit', 25, { min: 1, max: 100 });
        const data = [...st.sessions.values()]
          .filter(
            (s) =>
              (agents.length === 0 || agents.includes(s.agent)) &&
              (statuses.length === 0 || statuses.includes(s.status)) &&
              (routineRuns.length === 0 || (s.routine_run !== null && routineRuns.includes(s.routine_run))) &&
              (!excludeSystem || !s.system),
          )
          .sort((a, b) => b.seq - a.seq)
          .slice(0, limit)
          .map(view);
        return json(200, { data });
      },
    },
    { method: 'POST', pattern: S, handler: ({ body }) => json(201, view(createSession(body ?? {}))) },
    { method: 'GET', pattern: `${S}/{session}`, handler: ({ params }) => json(200, view(getSession(params.session!))) },
    {
      method: 'GET',
      pattern: `${S}/{session}/events`,
      handler: ({ params, query }) => {
        const all = events(getSession(params.session!));
        const after = query.get('after');
        const limit = intParam(query, 'limit', 200, { min: 1, max: 1000 });
        let from = 0;
        if (after) {
          const i = all.findIndex((e) => e.id === after);
          if (i < 0) fail(422, 'validation_error', `after: unknown event ${after}`);
          from = i + 1;
        }
        return json(200, all.slice(from, from + limit));
      },
    },
    {
      method: 'GET',
      pattern: `${S}/{session}/stream`,
      handler: ({ params }) => hooks.stream(getSession(params.session!)),
    },
    {
      method: 'PATCH',
      pattern: `${S}/{session}`,
      handler: ({ params, body }) => {
        const s = getSession(params.session!);
        const md = optObject(body ?? {}, 'metadata');
        if (md) {
          s.metadata = md;
          s.updated_at = now();
        }
        return json(200, view(s));
      },
    },
    {
      method: 'DELETE',
      pattern: `${S}/{session}`,
      handler: ({ params }) => {
        const s = getSession(params.session!);
        if (!TERMINAL.has(s.status))
          fail(422, 'session_active', `agent session ${s.id} is ${s.status}; cancel it before deleting`);
        s.run?.dispose();
        st.sessions.delete(s.id);
        return json(204);
      },
    },
    {
      method: 'POST',
      pattern: `${S}/{session}/cancel`,
      handler: ({ params }) => {
        const s = getSession(params.session!);
        cancelSession(s);
        return json(200, view(s));
      },
    },
    {
      method: 'POST',
      pattern: `${S}/{session}/message`,
      handler: ({ params, body }: SandboxRequest) => {
        const s = getSession(params.session!);
        const b = body ?? {};
        const content = optString(b, 'content');
        if (!content) fail(422, 'validation_error', 'content is required');
        deliver(s, content, optString(b, 'role') ?? 'user', optObject(b, 'metadata') ?? {});
        return json(200, view(s));
      },
    },
  ];

  /** Re-attaches a restored session's agent run and timers (see `restore` in ./index.ts). */
  function revive(s: SimSession, state: ScriptedRunState): void {
    const run = ScriptedRun.restore(state.steps, state, { tickMs: ctx.tickMs, idPrefix: 'q' });
    s.run = run;
    run.subscribe((e) => onRunEvent(s, run, e));
    if (s.status === 'pending') schedulePickup(s);
  }

  /** Stops every agent run and timer (reset). */
  function disposeAll(): void {
    for (const s of st.sessions.values()) {
      clearTimeout(s.pickup);
      s.run?.dispose();
    }
  }

  return { routes, view, createSession, deliver, cancelSession, lastAssistant, revive, disposeAll };
}
