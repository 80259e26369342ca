/**
 * ArchAstro simulator, agent routines and their runs: presets, create (on an agent), list, get,
 * update, delete, activate, pause, invoke, a routine's runs, every run of the app
 * (`/api/v1/agent_routine_runs`), one run, and a run's status stream (./streams.ts).
 *
 * Routines are pre-seeded (see {@link seedRoutines}) and can be created on an agent. A run lasts one
 * agent-session turn: it settles when its session waits again (`completed`) or ends — `completed`,
 * `failed`, or `cancelled` when its session was cancelled (no SDK has a run-cancel call). Its
 * `result` is an object (`{text}`; a failed run's reason as `{error}`, an assumption: the SDK's run
 * has no `error` field). `message` is required on invoke (both SDKs' input models).
 */
import { intParam, newId, type Route, type SandboxResponse } from '../../framework.js';
import {
  type AaState,
  fail,
  HANDLER_TYPES,
  INVOKED,
  json,
  multi,
  now,
  optObject,
  optString,
  PRESET_SESSION_MODES,
  PRESET_SESSION_SCOPES,
  R,
  RUN_STATUSES,
  type RunStatus,
  type SimRoutine,
  type SimRun,
  type SimSession,
  TERMINAL,
} from './shared.js';

/**
 * Registered presets, as the SDK models them (archastro-sdk@0.11.0 `RoutinePreset`: every field
 * required). The names are the sandbox's own; the real catalogue is the platform's.
 */
export const PRESETS = [
  {
    name: 'agent_chat',
    label: 'Agent chat',
    description: 'Sends the invocation message to the routine agent and returns its answer.',
    applicable_events: [INVOKED],
    chainable: true,
    sessionable: false,
    unique: false,
  },
  {
    name: 'daily_digest',
    label: 'Daily digest',
    description: 'Summarises recent activity on a schedule.',
    applicable_events: ['schedule.tick'],
    chainable: true,
    sessionable: false,
    unique: true,
  },
] as const;

/** The keys of `PresetConfig` (sdk types/common.py). */
const PRESET_CONFIG_KEYS = new Set([
  'instructions',
  'llm',
  'session_mode',
  'session_scope',
  'structured_message_template_ids',
]);

/** Cron more frequent than hourly: the minute field is not one fixed minute. */
function subHourly(cron: string): boolean {
  const fields = cron.trim().split(/\s+/);
  if (fields.length < 5) return true;
  return !/^\d{1,2}$/.test(fields[0]!);
}

const encodeCursor = (seq: number) => `cur_${Buffer.from(`run:${seq}`).toString('base64url')}`;
function decodeCursor(c: string): number {
  const m = /^cur_(.+)$/.exec(c);
  const raw = m ? Buffer.from(m[1]!, 'base64url').toString('utf8') : '';
  const n = /^run:(\d+)$/.exec(raw);
  if (!n) fail(422, 'invalid_cursor', 'cursor is not valid');
  return Number(n[1]);
}

/** A `preset_config` the platform would accept (the SDK's `PresetConfig` shape). */
function presetConfig(body: Record<string, unknown>): Record<string, unknown> | undefined {
  const pc = optObject(body, 'preset_config');
  if (!pc) return undefined;
  for (const k of Object.keys(pc))
    if (!PRESET_CONFIG_KEYS.has(k)) fail(422, 'validation_error', `preset_config.${k} is not a preset config field`);
  const str = (k: string, max: number) => {
    const v = pc[k];
    if (v !== undefined && v !== null && (typeof v !== 'string' || v.length > max))
      fail(422, 'validation_error', `preset_config.${k} must be a string of at most ${max} characters`);
  };
  str('instructions', 10_000);
  const mode = pc.session_mode;
  if (mode !== undefined && mode !== null && !PRESET_SESSION_MODES.includes(mode as never))
    fail(422, 'validation_error', `preset_config.session_mode must be one of ${PRESET_SESSION_MODES.join(', ')}`);
  const scope = pc.session_scope;
  if (scope !== undefined && scope !== null && !PRESET_SESSION_SCOPES.includes(scope as never))
    fail(422, 'validation_error', `preset_config.session_scope must be one of ${PRESET_SESSION_SCOPES.join(', ')}`);
  const llm = pc.llm;
  if (llm !== undefined && llm !== null && (typeof llm !== 'object' || Array.isArray(llm)))
    fail(422, 'validation_error', 'preset_config.llm must be an object');
  const ids = pc.structured_message_template_ids;
  if (ids !== undefined && ids !== null && (!Array.isArray(ids) || ids.some((x) => typeof x !== 'string')))
    fail(422, 'validation_error', 'preset_config.structured_message_template_ids must be a list of ids');
  return pc;
}

/** What the routines area needs from the sessions area and the streams. */
export interface RoutineHooks {
  createSession(body: Record<string, unknown>, opts: { system?: boolean; routineRun?: string }): SimSession;
  deliver(s: SimSession, content: string, role: string, metadata: Record<string, unknown>): void;
  lastAssistant(s: SimSession): string | null;
  /** A run changed status (run streams write it). */
  onRunChange(r: SimRun): void;
  /** The `run_update` stream of one run. */
  stream(r: SimRun): SandboxResponse;
}

export function createRoutineArea(st: AaState, hooks: RoutineHooks) {
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
        preset_config: { instructions: 'Post to #general' },
        schedule: '0 9 * * 1',
      },
    ];
    for (const r of list) st.routines.set(r.id, r);
  }

  function routineView(r: SimRoutine) {
    return { object: 'agent_routine', ...r, preset_config: r.handler_type === 'preset' ? r.preset_config : null };
  }

  function findRoutine(idOrKey: string): SimRoutine {
    const r = st.routines.get(idOrKey) ?? [...st.routines.values()].find((x) => x.lookup_key === idOrKey);
    if (!r) fail(404, 'not_found', `routine ${idOrKey} not found`);
    return r;
  }

  /** A run as the SDK models it (`AgentRoutineRun`): no session, key or error fields. */
  function runView(r: SimRun) {
    return {
      object: 'agent_routine_run',
      id: r.id,
      routine: r.routine,
      agent: r.agent,
      status: r.status,
      event_id: null,
      payload: r.payload,
      metadata: r.metadata,
      participants: null,
      result: r.result,
      structured_response: r.structured_response,
      duration_ms: r.duration_ms,
      created_at: r.created_at,
      updated_at: r.updated_at,
    };
  }

  function setRun(run: SimRun, status: RunStatus): void {
    if (run.status === status) return;
    run.status = status;
    run.updated_at = now();
    hooks.onRunChange(run);
  }

  /** A routine run lasts one agent turn: it settles when its session waits again or ends. */
  function settle(s: SimSession): void {
    const run = s.currentRun ? st.runs.get(s.currentRun) : undefined;
    if (!run) return;
    if (s.status === 'running' && run.status === 'pending') {
      run.started_at = now();
      setRun(run, 'running');
      return;
    }
    if (s.status === 'waiting' || TERMINAL.has(s.status)) {
      const status: RunStatus =
        s.status === 'completed' || s.status === 'waiting'
          ? 'completed'
          : s.status === 'cancelled'
            ? 'cancelled'
            : 'failed';
      const text = s.status === 'completed' ? s.result : s.status === 'waiting' ? hooks.lastAssistant(s) : null;
      run.result =
        status === 'completed' ? { text } : status === 'failed' ? { error: s.error ?? `session ${s.status}` } : null;
      run.started_at ??= run.created_at;
      run.completed_at = now();
      run.duration_ms = Date.parse(run.completed_at) - Date.parse(run.created_at);
      s.currentRun = undefined;
      setRun(run, status);
    }
  }

  function invoke(r: SimRoutine, body: Record<string, unknown>): SandboxResponse {
    // Both SDKs: `message` is required (AgentRoutineInvokeInput `message: Required[str]`).
    const message = optString(body, 'message');
    if (message === null) fail(422, 'validation_error', 'message is required');
    if (r.status !== 'active') fail(422, 'routine_not_active', `routine ${r.id} is ${r.status}`);
    if (r.event_type !== INVOKED)
      fail(422, 'invalid_event_type', `routine ${r.id} does not have event_type "${INVOKED}"`);
    const key = optString(body, 'idempotency_key');
    const sessionKey = optString(body, 'session_key');
    const user = optString(body, 'user');
    const metadata = optObject(body, 'metadata') ?? {};
    const mode = r.preset_config.session_mode === 'session' ? 'session' : 'stateless';
    const scope = r.preset_config.session_scope;
    if (mode === 'session' && scope === 'per_key' && !sessionKey)
      fail(422, 'validation_error', 'session_key is required when session_scope is "per_key"');
    if (mode === 'session' && scope === 'per_user' && !user)
      fail(422, 'validation_error', 'user is required when session_scope is "per_user"');

    if (key) {
      const prior = st.runs.get(st.runsByKey.get(`${r.id} ${key}`) ?? '');
      // Seed: a completed run for the key → 409. In flight → the same run (no duplicate).
      if (prior?.status === 'completed')
        fail(409, 'idempotency_conflict', `a completed run (${prior.id}) already exists for idempotency_key "${key}"`);
      if (prior && (prior.status === 'pending' || prior.status === 'running'))
        return { status: 200, body: runView(prior) };
    }

    const ts = now();
    const run: SimRun = {
      seq: ++st.seq,
      id: newId('arr'),
      routine: r.id,
      agent: r.agent,
      agent_session: null,
      status: 'pending',
      idempotency_key: key,
      payload: { message, session_key: sessionKey, thread_id: optString(body, 'thread_id'), user },
      metadata,
      result: null,
      structured_response: null,
      duration_ms: null,
      created_at: ts,
      updated_at: ts,
      started_at: null,
      completed_at: null,
    };
    st.runs.set(run.id, run);
    if (key) st.runsByKey.set(`${r.id} ${key}`, run.id);

    const reuseKey = mode === 'session' ? `${r.id} ${sessionKey ?? user}` : undefined;
    const reuse = reuseKey ? st.sessions.get(st.sessionsByKey.get(reuseKey) ?? '') : undefined;
    if (reuse && !TERMINAL.has(reuse.status)) {
      run.agent_session = reuse.id;
      reuse.currentRun = run.id;
      hooks.deliver(reuse, message, 'user', metadata);
    } else {
      const s = hooks.createSession(
        { agent: r.agent, instructions: `${r.description ?? r.name}\n${message}`, user, metadata: { routine: r.id } },
        { system: true, routineRun: run.id },
      );
      s.currentRun = run.id;
      run.agent_session = s.id;
      if (reuseKey) st.sessionsByKey.set(reuseKey, s.id);
    }
    return { status: 201, body: runView(run) };
  }

  /** One newest-first page of `all`, cursors over the shared seq. */
  function page(all: SimRun[], q: URLSearchParams): SandboxResponse {
    const limit = intParam(q, 'limit', 50, { min: 1, max: 100 });
    const before = q.get('before_cursor');
    const after = q.get('after_cursor');
    if (before && after) fail(422, 'validation_error', 'pass before_cursor or after_cursor, not both');
    all.sort((a, b) => b.seq - a.seq);
    let out: SimRun[];
    if (before) {
      const at = decodeCursor(before);
      out = all.filter((x) => x.seq < at).slice(0, limit);
    } else if (after) {
      const at = decodeCursor(after);
      const newer = all.filter((x) => x.seq > at);
      out = newer.slice(Math.max(0, newer.length - limit));
    } else {
      out = all.slice(0, limit);
    }
    const oldest = out[out.length - 1];
    const hasOlder = oldest !== undefined && all.some((x) => x.seq < oldest.seq);
    return json(200, {
      data: out.map(runView),
      before_cursor: hasOlder ? encodeCursor(oldest.seq) : null,
      // Always an anchor for "anything newer?" polling, even on the newest page.
      after_cursor: out[0] ? encodeCursor(out[0].seq) : (after ?? null),
    });
  }

  function statusFilter(q: URLSearchParams): string | null {
    const status = q.get('status');
    if (status !== null && !RUN_STATUSES.includes(status as RunStatus))
      fail(422, 'validation_error', `status must be one of ${RUN_STATUSES.join(', ')}`);
    return status;
  }

  function listRuns(r: SimRoutine, q: URLSearchParams): SandboxResponse {
    const status = statusFilter(q);
    return page(
      [...st.runs.values()].filter((x) => x.routine === r.id && (!status || x.status === status)),
      q,
    );
  }

  function listAllRuns(q: URLSearchParams): SandboxResponse {
    const status = statusFilter(q);
    // Agent ids (the SDK also takes agents' lookup keys; the sandbox's agents have none).
    const agents = multi(q, 'agent');
    return page(
      [...st.runs.values()].filter(
        (x) => (agents.length === 0 || agents.includes(x.agent)) && (!status || x.status === status),
      ),
      q,
    );
  }

  /** The preset a routine names must be registered, fit its trigger, and (if unique) be the agent's only one. */
  function checkPreset(r: Pick<SimRoutine, 'id' | 'agent' | 'handler_type' | 'preset_name' | 'event_type'>): void {
    if (r.handler_type !== 'preset') return;
    if (!r.preset_name) fail(422, 'validation_error', 'preset_name is required when handler_type is "preset"');
    const preset = PRESETS.find((p) => p.name === r.preset_name);
    if (!preset) fail(422, 'unknown_preset', `preset "${r.preset_name}" is not registered`);
    const events: readonly string[] = preset.applicable_events;
    if (r.event_type && !events.includes('*') && !events.includes(r.event_type)) {
      fail(422, 'validation_error', `preset "${preset.name}" does not accept event_type "${r.event_type}"`);
    }
    if (
      preset.unique &&
      [...st.routines.values()].some((x) => x.id !== r.id && x.agent === r.agent && x.preset_name === preset.name)
    ) {
      fail(422, 'preset_not_unique', `agent ${r.agent} already has a "${preset.name}" routine`);
    }
  }

  function applyFields(r: SimRoutine, body: Record<string, unknown>): void {
    const handler = optString(body, 'handler_type');
    if (handler !== null && !HANDLER_TYPES.includes(handler as SimRoutine['handler_type'])) {
      fail(422, 'validation_error', `handler_type must be one of ${HANDLER_TYPES.join(', ')}`);
    }
    const lookupKey = optString(body, 'lookup_key');
    if (lookupKey !== null && [...st.routines.values()].some((x) => x.id !== r.id && x.lookup_key === lookupKey)) {
      fail(422, 'validation_error', `lookup_key "${lookupKey}" is already taken`);
    }
    const schedule = optString(body, 'schedule');
    if (schedule !== null && subHourly(schedule))
      fail(422, 'schedule_too_frequent', 'schedule must not run more often than once per hour');
    if (body.steps !== undefined && !Array.isArray(body.steps)) fail(422, 'validation_error', 'steps must be an array');
    const next = handler ?? r.handler_type;
    if (next !== 'chain' && Array.isArray(body.steps) && body.steps.length > 0)
      fail(422, 'validation_error', 'steps is only allowed for handler_type "chain"');
    const pc = presetConfig(body);
    const presetName = optString(body, 'preset_name');
    const eventType = optString(body, 'event_type');
    checkPreset({
      id: r.id,
      agent: r.agent,
      handler_type: next as SimRoutine['handler_type'],
      preset_name: presetName ?? r.preset_name,
      event_type: eventType ?? r.event_type,
    });
    for (const f of [
      'name',
      'description',
      'event_type',
      'config',
      'script',
      'preset_name',
      'trigger_context',
    ] as const) {
      const v = optString(body, f);
      if (v !== null) (r as unknown as Record<string, unknown>)[f] = v;
    }
    if (handler !== null) r.handler_type = handler as SimRoutine['handler_type'];
    if (lookupKey !== null) r.lookup_key = lookupKey;
    if (schedule !== null) r.schedule = schedule;
    if (Array.isArray(body.steps)) r.steps = body.steps;
    const md = optObject(body, 'metadata');
    if (md) r.metadata = md;
    if (pc) r.preset_config = pc;
    const ec = optObject(body, 'event_config');
    if (ec) r.event_config = ec;
    if (body.acl !== undefined) r.acl = body.acl;
    if (body.user !== undefined) r.user = optString(body, 'user') || null;
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

  function activate(r: SimRoutine): void {
    if (!hasConfig(r)) fail(422, 'missing_config', `routine ${r.id} has no ${r.handler_type} configuration to run`);
    if (r.schedule && subHourly(r.schedule))
      fail(422, 'schedule_too_frequent', 'schedule must not run more often than once per hour');
    r.status = 'active';
    r.updated_at = now();
  }

  /** `POST /api/v1/agents/{agent}/agent_routines` (sdk `AgentAgentRoutinesInput`). */
  function createRoutine(agent: string, body: Record<string, unknown>): SimRoutine {
    if (!/^agi_/.test(agent)) fail(404, 'not_found', `agent ${agent} not found`);
    const name = optString(body, 'name');
    if (!name) fail(422, 'validation_error', 'name is required');
    const handler = optString(body, 'handler_type');
    if (!handler) fail(422, 'validation_error', 'handler_type is required');
    const status = optString(body, 'status') ?? 'draft';
    if (status !== 'draft' && status !== 'active') fail(422, 'validation_error', 'status must be "draft" or "active"');
    const ts = now();
    const r: SimRoutine = {
      id: newId('arn'),
      name,
      description: null,
      lookup_key: null,
      agent,
      status: 'draft',
      event_type: null,
      event_config: null,
      handler_type: 'preset',
      config: null,
      script: null,
      preset_name: null,
      preset_config: {},
      steps: [],
      schedule: null,
      trigger_context: 'event',
      acl: null,
      metadata: {},
      user: null,
      created_at: ts,
      updated_at: ts,
    };
    applyFields(r, body);
    if (status === 'active') activate(r);
    st.routines.set(r.id, r);
    return r;
  }

  const routes: Route[] = [
    // `presets` and `runs/{run}` come before `{routine}` so they are not read as ids.
    { method: 'GET', pattern: `${R}/presets`, handler: () => json(200, PRESETS) },
    { method: 'GET', pattern: `${R}/runs/{run}`, handler: ({ params }) => json(200, runView(findRun(params.run!))) },
    { method: 'GET', pattern: '/api/v1/agent_routine_runs', handler: ({ query }) => listAllRuns(query) },
    {
      method: 'GET',
      pattern: '/api/v1/agent_routine_runs/{run}/stream',
      handler: ({ params }) => hooks.stream(findRun(params.run!)),
    },
    {
      method: 'POST',
      pattern: '/api/v1/agents/{agent}/agent_routines',
      handler: ({ params, body }) => json(201, routineView(createRoutine(params.agent!, body ?? {}))),
    },
    {
      method: 'GET',
      pattern: R,
      handler: ({ query }) => {
        const agents = multi(query, 'agent');
        const eventType = query.get('event_type');
        for (const a of agents) if (!/^agi_/.test(a)) fail(404, 'not_found', `agent ${a} not found`);
        const data = [...st.routines.values()]
          .filter(
            (r) => (agents.length === 0 || agents.includes(r.agent)) && (!eventType || r.event_type === eventType),
          )
          .map(routineView);
        return json(200, { data });
      },
    },
    {
      method: 'GET',
      pattern: `${R}/{routine}`,
      handler: ({ params }) => json(200, routineView(findRoutine(params.routine!))),
    },
    {
      method: 'PATCH',
      pattern: `${R}/{routine}`,
      handler: ({ params, body }) => {
        const r = findRoutine(params.routine!);
        applyFields(r, body ?? {});
        return json(200, routineView(r));
      },
    },
    {
      method: 'DELETE',
      pattern: `${R}/{routine}`,
      handler: ({ params }) => {
        st.routines.delete(findRoutine(params.routine!).id);
        return json(204);
      },
    },
    {
      method: 'POST',
      pattern: `${R}/{routine}/activate`,
      handler: ({ params }) => {
        const r = findRoutine(params.routine!);
        activate(r);
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
    {
      method: 'POST',
      pattern: `${R}/{routine}/invoke`,
      handler: ({ params, body }) => invoke(findRoutine(params.routine!), body ?? {}),
    },
    {
      method: 'GET',
      pattern: `${R}/{routine}/runs`,
      handler: ({ params, query }) => listRuns(findRoutine(params.routine!), query),
    },
  ];

  function findRun(id: string): SimRun {
    const run = st.runs.get(id);
    if (!run) fail(404, 'not_found', `routine run ${id} not found`);
    return run;
  }

  return { routes, seedRoutines, settle, runView };
}
