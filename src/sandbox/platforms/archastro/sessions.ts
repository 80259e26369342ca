/**
 * ArchAstro simulator: agent sessions and agent routines under `/api/v1/…`, the paths in
 * src/providers/archastro/wire.ts (which also lists every wire-shape source and assumption).
 *
 * Auth as the published SDKs send it: an app key in `x-archastro-api-key`, a user/bot access token
 * in `Authorization: Bearer` (both resolve through the sandbox key ring). Errors:
 * `{error: {code, message, request_id}}`. Multi-value filters are read the way Phoenix's Plug reads
 * them: `key[]` gives a list, a bare repeated key keeps only its last value. A session exposes its
 * trajectory as an id (`trj_…`), its `result` as an object, and its transcript as harness events
 * (`/events?after=`).
 *
 * Sessions are driven by a {@link ScriptedRun} picked from the instructions (`script:<name>`):
 * `pending` until the agent picks the session up, `running` while it emits, `waiting` when the
 * script asks (the turn ended; an inbox message starts the next turn), then `completed`, `failed`
 * or `cancelled`. A `start_idle` session sits in `waiting` with no agent run until its first
 * message. Routines are pre-seeded (the seed has no create call): see {@link seedRoutines}.
 */
import { ScriptedRun, type RunEvent, type ScriptedRunState } from '../../agent.js';
import { bearer, headerOf, HttpError, intParam, newId, type PlatformSim, type Route, type SandboxRequest, type SandboxResponse } from '../../framework.js';
import type { SandboxContext } from '../../server.js';

type SessionStatus = 'pending' | 'running' | 'waiting' | 'completed' | 'failed' | 'cancelled';
type RunStatus = 'pending' | 'running' | 'completed' | 'failed' | 'skipped';

const TERMINAL: ReadonlySet<SessionStatus> = new Set(['completed', 'failed', 'cancelled']);
const SESSION_STATUSES: readonly SessionStatus[] = ['pending', 'running', 'waiting', 'completed', 'failed', 'cancelled'];
const RUN_STATUSES: readonly RunStatus[] = ['pending', 'running', 'completed', 'failed', 'skipped'];
const HANDLER_TYPES = ['workflow_graph', 'script', 'preset', 'chain'] as const;
const INVOKED = 'agentroutine.invoked';

interface TrajectoryEntry {
  id: string;
  type: 'message' | 'question' | 'result' | 'error' | 'cancelled';
  role: 'assistant' | 'user' | 'tool' | 'system';
  content: string;
  created_at: string;
}

interface InboxMessage {
  id: string;
  role: string;
  content: string;
  metadata: Record<string, unknown>;
  created_at: string;
}

interface SimSession {
  seq: number;
  id: string;
  agent: string;
  instructions: string;
  name: string | null;
  metadata: Record<string, unknown>;
  max_turns: number;
  max_tokens: number;
  max_runs_per_turn: number;
  start_idle: boolean;
  team: string | null;
  thread: string | null;
  user: string | null;
  routine_run: string | null;
  /** Created by a routine invocation rather than directly by the app (`exclude_system`). */
  system: boolean;
  status: SessionStatus;
  turns: number;
  tokens_used: number;
  inbox: InboxMessage[];
  trajectory: TrajectoryEntry[];
  result: string | null;
  error: string | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  completed_at: string | null;
  /** The session's Trajectory id, set when the agent first picks it up. */
  trajectory_id: string | null;
  run?: ScriptedRun;
  pickup?: NodeJS.Timeout;
  /** Why the sim stopped the agent itself (limits): turns the `cancelled` event into `failed`. */
  abortReason?: string;
  /** The routine run whose outcome this session's current turn decides. */
  currentRun?: string;
}

interface SimRoutine {
  id: string;
  name: string;
  description: string | null;
  lookup_key: string | null;
  agent: string;
  status: 'active' | 'paused';
  event_type: string | null;
  event_config: Record<string, unknown> | null;
  handler_type: (typeof HANDLER_TYPES)[number];
  config: string | null;
  script: string | null;
  preset_name: string | null;
  preset_config: Record<string, unknown>;
  steps: unknown[];
  schedule: string | null;
  trigger_context: string | null;
  acl: unknown;
  metadata: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

interface SimRun {
  seq: number;
  id: string;
  routine: string;
  agent_session: string | null;
  status: RunStatus;
  idempotency_key: string | null;
  payload: Record<string, unknown>;
  metadata: Record<string, unknown>;
  result: string | null;
  structured_response: unknown;
  error: string | null;
  duration_ms: number | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
}

/** The simulator's state as JSON: sessions carry their run's state, not the run or its timers. */
interface AaSnapshot {
  sessions: (Omit<SimSession, 'run' | 'pickup'> & { run?: ScriptedRunState })[];
  routines: SimRoutine[];
  runs: SimRun[];
  runsByKey: [string, string][];
  sessionsByKey: [string, string][];
  seq: number;
}

const PRESETS = [
  {
    name: 'agent_chat',
    display_name: 'Agent chat',
    description: 'Sends the invocation message to the routine agent and returns its answer.',
    config_schema: {
      type: 'object',
      properties: { session_mode: { enum: ['stateless', 'session'] }, session_scope: { enum: ['per_user', 'per_key'] } },
    },
  },
  {
    name: 'daily_digest',
    display_name: 'Daily digest',
    description: 'Summarises recent activity on a schedule.',
    config_schema: { type: 'object', properties: { channel: { type: 'string' } } },
  },
];

const now = () => new Date().toISOString();

function fail(status: number, code: string, message: string): never {
  throw new HttpError(status, code, message);
}

function optInt(body: Record<string, unknown>, name: string, def: number): number {
  const v = body[name];
  if (v === undefined || v === null) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(422, 'validation_error', `${name} must be a positive integer`);
  return v;
}

function optString(body: Record<string, unknown>, name: string): string | null {
  const v = body[name];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') fail(422, 'validation_error', `${name} must be a string`);
  return v;
}

function optObject(body: Record<string, unknown>, name: string): Record<string, unknown> | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) fail(422, 'validation_error', `${name} must be an object`);
  return v as Record<string, unknown>;
}

/**
 * A multi-value query parameter as Plug reads it: `name[]` repeated is a list; a bare `name`
 * repeated keeps only its last value (archastro-sdk runtime/http_client.py says as much); a value
 * may itself be comma-separated (the SDK's `list` docs).
 */
function multi(q: URLSearchParams, name: string): string[] {
  const list = q.getAll(`${name}[]`);
  const bare = q.getAll(name).at(-1);
  // The SDK's docs also allow one comma-separated value.
  return (list.length > 0 ? list : bare === undefined ? [] : [bare])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

/** Cron more frequent than hourly: the minute field is not one fixed minute. */
function subHourly(cron: string): boolean {
  const fields = cron.trim().split(/\s+/);
  if (fields.length < 5) return true;
  return !/^\d{1,2}$/.test(fields[0]!);
}

/** Rough token cost of agent output, so `max_tokens` has something to bite on. */
const tokensOf = (text: string) => Math.ceil(text.length / 4);

const encodeCursor = (seq: number) => `cur_${Buffer.from(`run:${seq}`).toString('base64url')}`;
function decodeCursor(c: string): number {
  const m = /^cur_(.+)$/.exec(c);
  const raw = m ? Buffer.from(m[1]!, 'base64url').toString('utf8') : '';
  const n = /^run:(\d+)$/.exec(raw);
  if (!n) fail(422, 'invalid_cursor', 'cursor is not valid');
  return Number(n[1]);
}

export function createArchAstroSim(ctx: SandboxContext): PlatformSim {
  const sessions = new Map<string, SimSession>();
  const routines = new Map<string, SimRoutine>();
  const runs = new Map<string, SimRun>();
  /** `${routineId} ${idempotency_key}` → newest run id for that key. */
  const runsByKey = new Map<string, string>();
  /** `${routineId} ${session_key}` → session id (session_mode `session`, scope `per_key`). */
  const sessionsByKey = new Map<string, string>();
  let seq = 0;

  // ------------------------------------------------------------------ sessions

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
      inbox: s.inbox.map((m) => ({ id: m.id, role: m.role, content: m.content, metadata: m.metadata, sender_type: 'app', sent_at: m.created_at })),
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
  function events(s: SimSession): { id: string; event: string; harness: string; occurred_at: string; payload: Record<string, unknown> }[] {
    return s.trajectory.map((e, i) => {
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
    });
  }

  function getSession(id: string): SimSession {
    const s = sessions.get(id);
    if (!s) fail(404, 'not_found', `agent session ${id} not found`);
    return s;
  }

  function push(s: SimSession, type: TrajectoryEntry['type'], role: TrajectoryEntry['role'], content: string): void {
    s.trajectory.push({ id: `ate_${s.trajectory.length + 1}`, type, role, content, created_at: now() });
    s.updated_at = now();
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
    settleRoutineRun(s);
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

  function createSession(body: Record<string, unknown>, opts: { system?: boolean; routineRun?: string } = {}): SimSession {
    const agent = optString(body, 'agent');
    const instructions = optString(body, 'instructions');
    if (!agent) fail(422, 'validation_error', 'agent is required');
    if (!instructions) fail(422, 'validation_error', 'instructions is required');
    if (!/^agi_/.test(agent)) fail(404, 'not_found', `agent ${agent} not found`);
    const startIdle = body.start_idle === true;
    const ts = now();
    const s: SimSession = {
      seq: ++seq,
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
    sessions.set(s.id, s);
    if (!startIdle) startAgent(s, instructions, 'pending');
    return s;
  }

  /** Appends an inbox message; starts the next turn of a waiting session. */
  function deliver(s: SimSession, content: string, role: string, metadata: Record<string, unknown>): void {
    if (TERMINAL.has(s.status)) fail(422, 'session_terminal', `agent session ${s.id} is ${s.status}; it accepts no messages`);
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

  // ------------------------------------------------------------------ routines

  function seedRoutines(): void {
    const ts = now();
    const base = {
      description: null,
      agent: 'agi_sandbox',
      event_config: null,
      config: null,
      script: null,
      steps: [],
      schedule: null,
      trigger_context: 'event',
      acl: null,
      metadata: {},
      created_at: ts,
      updated_at: ts,
    };
    const list: SimRoutine[] = [
      {
        ...base,
        id: 'arn_sbx_invoke',
        name: 'Sandbox on-demand',
        description: 'Answers on-demand invocations.',
        lookup_key: 'sandbox-invoke',
        status: 'active',
        event_type: INVOKED,
        handler_type: 'preset',
        preset_name: 'agent_chat',
        preset_config: { session_mode: 'stateless' },
      },
      {
        ...base,
        id: 'arn_sbx_keyed',
        name: 'Sandbox keyed conversation',
        lookup_key: 'sandbox-keyed',
        status: 'active',
        event_type: INVOKED,
        handler_type: 'preset',
        preset_name: 'agent_chat',
        preset_config: { session_mode: 'session', session_scope: 'per_key' },
      },
      {
        ...base,
        id: 'arn_sbx_draft',
        name: 'Sandbox draft graph',
        lookup_key: 'sandbox-draft',
        status: 'paused',
        event_type: INVOKED,
        handler_type: 'workflow_graph',
        preset_name: null,
        preset_config: {},
      },
      {
        ...base,
        id: 'arn_sbx_digest',
        name: 'Sandbox weekly digest',
        agent: 'agi_digest',
        lookup_key: 'sandbox-digest',
        status: 'paused',
        event_type: 'schedule.tick',
        handler_type: 'preset',
        preset_name: 'daily_digest',
        preset_config: { channel: 'general' },
        schedule: '0 9 * * 1',
      },
    ];
    for (const r of list) routines.set(r.id, r);
  }

  function routineView(r: SimRoutine) {
    return { object: 'agent_routine', ...r };
  }

  function findRoutine(idOrKey: string): SimRoutine {
    const r = routines.get(idOrKey) ?? [...routines.values()].find((x) => x.lookup_key === idOrKey);
    if (!r) fail(404, 'not_found', `routine ${idOrKey} not found`);
    return r;
  }

  function runView(r: SimRun) {
    return { object: 'agent_routine_run', ...r };
  }

  /** A routine run lasts one agent turn: it settles when its session waits again or ends. */
  function settleRoutineRun(s: SimSession): void {
    const run = s.currentRun ? runs.get(s.currentRun) : undefined;
    if (!run) return;
    if (s.status === 'running' && run.status === 'pending') {
      run.status = 'running';
      run.started_at = now();
      return;
    }
    if (s.status === 'waiting' || TERMINAL.has(s.status)) {
      run.status = s.status === 'completed' || s.status === 'waiting' ? 'completed' : 'failed';
      run.result = s.status === 'completed' ? s.result : s.status === 'waiting' ? lastAssistant(s) : null;
      run.error = run.status === 'failed' ? (s.error ?? `session ${s.status}`) : null;
      run.started_at ??= run.created_at;
      run.completed_at = now();
      run.duration_ms = Date.parse(run.completed_at) - Date.parse(run.created_at);
      s.currentRun = undefined;
    }
  }

  function invoke(r: SimRoutine, body: Record<string, unknown>): SandboxResponse {
    if (r.status !== 'active') fail(422, 'routine_not_active', `routine ${r.id} is ${r.status}`);
    if (r.event_type !== INVOKED) fail(422, 'invalid_event_type', `routine ${r.id} does not have event_type "${INVOKED}"`);
    const message = optString(body, 'message') ?? '';
    const key = optString(body, 'idempotency_key');
    const sessionKey = optString(body, 'session_key');
    const user = optString(body, 'user');
    const metadata = optObject(body, 'metadata') ?? {};
    const mode = r.preset_config.session_mode === 'session' ? 'session' : 'stateless';
    const scope = r.preset_config.session_scope;
    if (mode === 'session' && scope === 'per_key' && !sessionKey) fail(422, 'validation_error', 'session_key is required when session_scope is "per_key"');
    if (mode === 'session' && scope === 'per_user' && !user) fail(422, 'validation_error', 'user is required when session_scope is "per_user"');

    if (key) {
      const prior = runs.get(runsByKey.get(`${r.id} ${key}`) ?? '');
      // Seed: a completed run for the key → 409. In flight → the same run (no duplicate).
      if (prior?.status === 'completed') fail(409, 'idempotency_conflict', `a completed run (${prior.id}) already exists for idempotency_key "${key}"`);
      if (prior && (prior.status === 'pending' || prior.status === 'running')) return { status: 200, body: runView(prior) };
    }

    const ts = now();
    const run: SimRun = {
      seq: ++seq,
      id: newId('arr'),
      routine: r.id,
      agent_session: null,
      status: 'pending',
      idempotency_key: key,
      payload: { message, session_key: sessionKey, thread_id: optString(body, 'thread_id'), user },
      metadata,
      result: null,
      structured_response: null,
      error: null,
      duration_ms: null,
      created_at: ts,
      started_at: null,
      completed_at: null,
    };
    runs.set(run.id, run);
    if (key) runsByKey.set(`${r.id} ${key}`, run.id);

    const reuseKey = mode === 'session' ? `${r.id} ${sessionKey ?? user}` : undefined;
    const reuse = reuseKey ? sessions.get(sessionsByKey.get(reuseKey) ?? '') : undefined;
    if (reuse && !TERMINAL.has(reuse.status)) {
      run.agent_session = reuse.id;
      reuse.currentRun = run.id;
      deliver(reuse, message, 'user', metadata);
    } else {
      const s = createSession(
        { agent: r.agent, instructions: `${r.description ?? r.name}\n${message}`, user, metadata: { routine: r.id } },
        { system: true, routineRun: run.id },
      );
      s.currentRun = run.id;
      run.agent_session = s.id;
      if (reuseKey) sessionsByKey.set(reuseKey, s.id);
    }
    return { status: 201, body: runView(run) };
  }

  function listRuns(r: SimRoutine, q: URLSearchParams): SandboxResponse {
    const status = q.get('status');
    if (status !== null && !RUN_STATUSES.includes(status as RunStatus)) fail(422, 'validation_error', `status must be one of ${RUN_STATUSES.join(', ')}`);
    const limit = intParam(q, 'limit', 50, { min: 1, max: 100 });
    const before = q.get('before_cursor');
    const after = q.get('after_cursor');
    if (before && after) fail(422, 'validation_error', 'pass before_cursor or after_cursor, not both');
    // Newest first, as the seed documents.
    const all = [...runs.values()].filter((x) => x.routine === r.id && (!status || x.status === status)).sort((a, b) => b.seq - a.seq);
    let page: SimRun[];
    if (before) {
      const at = decodeCursor(before);
      page = all.filter((x) => x.seq < at).slice(0, limit);
    } else if (after) {
      const at = decodeCursor(after);
      const newer = all.filter((x) => x.seq > at);
      page = newer.slice(Math.max(0, newer.length - limit));
    } else {
      page = all.slice(0, limit);
    }
    const oldest = page[page.length - 1];
    const hasOlder = oldest !== undefined && all.some((x) => x.seq < oldest.seq);
    return {
      status: 200,
      body: {
        data: page.map(runView),
        before_cursor: hasOlder ? encodeCursor(oldest.seq) : null,
        // Always an anchor for "anything newer?" polling, even on the newest page.
        after_cursor: page[0] ? encodeCursor(page[0].seq) : (after ?? null),
      },
    };
  }

  function updateRoutine(r: SimRoutine, body: Record<string, unknown>): void {
    const handler = optString(body, 'handler_type');
    if (handler !== null && !HANDLER_TYPES.includes(handler as SimRoutine['handler_type'])) {
      fail(422, 'validation_error', `handler_type must be one of ${HANDLER_TYPES.join(', ')}`);
    }
    const lookupKey = optString(body, 'lookup_key');
    if (lookupKey !== null && [...routines.values()].some((x) => x.id !== r.id && x.lookup_key === lookupKey)) {
      fail(422, 'validation_error', `lookup_key "${lookupKey}" is already taken`);
    }
    const schedule = optString(body, 'schedule');
    if (schedule !== null && subHourly(schedule)) fail(422, 'schedule_too_frequent', 'schedule must not run more often than once per hour');
    if (body.steps !== undefined && !Array.isArray(body.steps)) fail(422, 'validation_error', 'steps must be an array');
    const next = handler ?? r.handler_type;
    if (next !== 'chain' && Array.isArray(body.steps) && body.steps.length > 0) fail(422, 'validation_error', 'steps is only allowed for handler_type "chain"');
    for (const f of ['name', 'description', 'event_type', 'config', 'script', 'preset_name', 'trigger_context'] as const) {
      const v = optString(body, f);
      if (v !== null) (r as unknown as Record<string, unknown>)[f] = v;
    }
    if (handler !== null) r.handler_type = handler as SimRoutine['handler_type'];
    if (lookupKey !== null) r.lookup_key = lookupKey;
    if (schedule !== null) r.schedule = schedule;
    if (Array.isArray(body.steps)) r.steps = body.steps;
    const md = optObject(body, 'metadata');
    if (md) r.metadata = md;
    const pc = optObject(body, 'preset_config');
    if (pc) r.preset_config = pc;
    const ec = optObject(body, 'event_config');
    if (ec) r.event_config = ec;
    if (body.acl !== undefined) r.acl = body.acl;
    r.updated_at = now();
  }

  function hasConfig(r: SimRoutine): boolean {
    switch (r.handler_type) {
      case 'workflow_graph':
        return Boolean(r.config);
      case 'script':
        return Boolean(r.script);
      case 'preset':
        return Boolean(r.preset_name);
      case 'chain':
        return r.steps.length > 0;
    }
  }

  // ------------------------------------------------------------------ routes

  const json = (status: number, body?: unknown): SandboxResponse => ({ status, body });
  const S = '/api/v1/agent_sessions';
  const R = '/api/v1/agent_routines';

  const routes: Route[] = [
    {
      method: 'GET',
      pattern: S,
      handler: ({ query }) => {
        const agents = multi(query, 'agent');
        const statuses = multi(query, 'status');
        for (const st of statuses) {
          if (!SESSION_STATUSES.includes(st as SessionStatus)) fail(422, 'validation_error', `status must be among ${SESSION_STATUSES.join(', ')}`);
        }
        const routineRuns = multi(query, 'routine_run');
        if (routineRuns.length > 100) fail(422, 'validation_error', 'routine_run accepts at most 100 ids');
        const excludeSystem = query.get('exclude_system') === 'true';
        const limit = intParam(query, 'limit', 25, { min: 1, max: 100 });
        const data = [...sessions.values()]
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
        if (!TERMINAL.has(s.status)) fail(422, 'session_active', `agent session ${s.id} is ${s.status}; cancel it before deleting`);
        s.run?.dispose();
        sessions.delete(s.id);
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
        const b = (body ?? {}) as Record<string, unknown>;
        const content = optString(b, 'content');
        if (!content) fail(422, 'validation_error', 'content is required');
        deliver(s, content, optString(b, 'role') ?? 'user', optObject(b, 'metadata') ?? {});
        return json(200, view(s));
      },
    },

    // Routines. `presets` and `runs/{run}` come before `{routine}` so they are not read as ids.
    { method: 'GET', pattern: `${R}/presets`, handler: () => json(200, PRESETS) },
    {
      method: 'GET',
      pattern: `${R}/runs/{run}`,
      handler: ({ params }) => {
        const run = runs.get(params.run!);
        if (!run) fail(404, 'not_found', `routine run ${params.run} not found`);
        return json(200, runView(run));
      },
    },
    {
      method: 'GET',
      pattern: R,
      handler: ({ query }) => {
        const agents = multi(query, 'agent');
        const eventType = query.get('event_type');
        for (const a of agents) if (!/^agi_/.test(a)) fail(404, 'not_found', `agent ${a} not found`);
        const data = [...routines.values()]
          .filter((r) => (agents.length === 0 || agents.includes(r.agent)) && (!eventType || r.event_type === eventType))
          .map(routineView);
        return json(200, { data });
      },
    },
    { method: 'GET', pattern: `${R}/{routine}`, handler: ({ params }) => json(200, routineView(findRoutine(params.routine!))) },
    {
      method: 'PATCH',
      pattern: `${R}/{routine}`,
      handler: ({ params, body }) => {
        const r = findRoutine(params.routine!);
        updateRoutine(r, body ?? {});
        return json(200, routineView(r));
      },
    },
    {
      method: 'DELETE',
      pattern: `${R}/{routine}`,
      handler: ({ params }) => {
        routines.delete(findRoutine(params.routine!).id);
        return json(204);
      },
    },
    {
      method: 'POST',
      pattern: `${R}/{routine}/activate`,
      handler: ({ params }) => {
        const r = findRoutine(params.routine!);
        if (!hasConfig(r)) fail(422, 'missing_config', `routine ${r.id} has no ${r.handler_type} configuration to run`);
        if (r.schedule && subHourly(r.schedule)) fail(422, 'schedule_too_frequent', 'schedule must not run more often than once per hour');
        r.status = 'active';
        r.updated_at = now();
        return json(200, routineView(r));
      },
    },
    {
      method: 'POST',
      pattern: `${R}/{routine}/pause`,
      handler: ({ params }) => {
        const r = findRoutine(params.routine!);
        r.status = 'paused';
        r.updated_at = now();
        return json(200, routineView(r));
      },
    },
    { method: 'POST', pattern: `${R}/{routine}/invoke`, handler: ({ params, body }) => invoke(findRoutine(params.routine!), body ?? {}) },
    { method: 'GET', pattern: `${R}/{routine}/runs`, handler: ({ params, query }) => listRuns(findRoutine(params.routine!), query) },
  ];

  seedRoutines();

  return {
    platform: 'archastro',
    authenticate(headers) {
      // App key header (SDK withSecretKey) or a bearer access token (SDK withToken / bot tokens).
      const key = headerOf(headers, 'x-archastro-api-key') ?? bearer(headers);
      const identity = ctx.keys.identity('archastro', key);
      return identity && key ? { identity, credential: key } : undefined;
    },
    errorBody: (_status, code, detail, requestId) => ({ error: { code, message: detail, request_id: requestId } }),
    // Neither SDK sends or documents Idempotency-Key (only invoke's body `idempotency_key`): a
    // repeated request is a new one, as on the real service.
    honoursIdempotencyKey: false,
    routes,
    reset,
    snapshot(): AaSnapshot {
      return {
        sessions: [...sessions.values()].map(({ run, pickup: _p, ...s }) => ({ ...s, run: run?.toJSON() })),
        routines: [...routines.values()],
        runs: [...runs.values()],
        runsByKey: [...runsByKey],
        sessionsByKey: [...sessionsByKey],
        seq,
      };
    },
    restore(data: unknown) {
      const snap = structuredClone(data) as AaSnapshot;
      reset();
      routines.clear();
      for (const r of snap.routines) routines.set(r.id, r);
      for (const r of snap.runs) runs.set(r.id, r);
      for (const [k, v] of snap.runsByKey) runsByKey.set(k, v);
      for (const [k, v] of snap.sessionsByKey) sessionsByKey.set(k, v);
      seq = snap.seq;
      for (const { run: state, ...rest } of snap.sessions) {
        const s: SimSession = rest;
        if (state) {
          const run = ScriptedRun.restore(state.steps, state, { tickMs: ctx.tickMs, idPrefix: 'q' });
          s.run = run;
          run.subscribe((e) => onRunEvent(s, run, e));
          if (s.status === 'pending') schedulePickup(s);
        }
        sessions.set(s.id, s);
      }
    },
  };

  function reset(): void {
    for (const s of sessions.values()) {
      clearTimeout(s.pickup);
      s.run?.dispose();
    }
    sessions.clear();
    routines.clear();
    runs.clear();
    runsByKey.clear();
    sessionsByKey.clear();
    seq = 0;
    seedRoutines();
  }
}
