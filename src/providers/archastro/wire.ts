/**
 * ArchAstro on the wire: every path Switchboard uses and where its shape comes from. The published
 * SDKs are the wire truth — npm `@archastro/sdk` 0.19.0 (`dist/v1/resources/*.js`,
 * `dist/types/common.d.ts`, `dist/runtime/http-client.js`) and PyPI `archastro-sdk` 0.11.0
 * (`archastro/platform/…`); the seed (the TS SDK's 0.5.0 → 0.5.3 diff) agrees on every path.
 * Sources: `sdk <package>@<version> <file>`, `seed`, or `assumption`.
 * The sandbox simulator (`src/sandbox/platforms/archastro/`) serves exactly these paths, and the
 * contract suite (test/contracts/archastro*) drives it with both SDKs.
 */

/** Path templates for {@link path} from `../http.js`. */
export const ROUTES = {
  // ---- agent sessions (sdk @archastro/sdk@0.19.0 v1/resources/agent_sessions.js; the seed's AgentSessionResource
  // agrees) ----
  /** GET: list (query agent, status[], routine_run[], exclude_system, limit); POST: create (201). */
  sessions: '/api/v1/agent_sessions',
  /** GET: retrieve; PATCH: update metadata; DELETE: delete (204; 422 unless terminal). */
  session: '/api/v1/agent_sessions/{session}',
  /** POST: cancel (idempotent on a terminal session). */
  sessionCancel: '/api/v1/agent_sessions/{session}/cancel',
  /** POST: append an inbox message `{content, role?, metadata?}`; resumes a `waiting` session. */
  sessionMessage: '/api/v1/agent_sessions/{session}/message',
  /**
   * GET: the session's harness events, oldest first, `?after=<cse_…>&limit≤1000` → a bare array of
   * `{id, event, harness, occurred_at, payload}`. sdk archastro-sdk@0.11.0
   * v1/resources/agent_sessions.py (`events`), types/common.py (`AgentSessionEvent`); not in the TS SDK.
   */
  sessionEvents: '/api/v1/agent_sessions/{session}/events',
  /**
   * GET: Server-Sent Events, one `session_update` (data: the AgentSession) per status change, the
   * current status replayed on connect, closed on a terminal status; archastro-sdk@0.11.0 adds a
   * `session_event` (data: an AgentSessionEvent) per harness event. No event ids, no resume.
   * sdk @archastro/sdk@0.19.0 v1/resources/agent_sessions.js (`stream`), archastro-sdk@0.11.0
   * v1/resources/agent_sessions.py (`AgentSessionStreamEvent`). The follow activity uses it only to
   * wake early (see "Session stream" below).
   */
  sessionStream: '/api/v1/agent_sessions/{session}/stream',

  // ---- agent routines (sdk @archastro/sdk@0.19.0 v1/resources/agent_routines.js) ----
  /** GET: list (query agent[], event_type); answer `{data: [...]}`, not paginated. */
  routines: '/api/v1/agent_routines',
  /**
   * POST: create a routine on an agent (`AgentAgentRoutinesInput`: `name`, `handler_type` required;
   * `preset_name` required for `preset`; `status` `draft` | `active`, default `draft`). 201.
   * sdk archastro-sdk@0.11.0 v1/resources/agents.py (`agent_routines`).
   */
  agentRoutines: '/api/v1/agents/{agent}/agent_routines',
  /**
   * GET: registered presets, a bare array of `RoutinePreset` (`name, label, description,
   * applicable_events, chainable, sessionable, unique`). Registered before `routine` in the
   * simulator so it is not read as an id.
   */
  routinePresets: '/api/v1/agent_routines/presets',
  /** GET: retrieve; PATCH: update; DELETE: delete (204). */
  routine: '/api/v1/agent_routines/{routine}',
  /** POST: set status `active` (422 without config or with a sub-hourly schedule). */
  routineActivate: '/api/v1/agent_routines/{routine}/activate',
  /** POST: set status `paused`. */
  routinePause: '/api/v1/agent_routines/{routine}/pause',
  /**
   * POST: on-demand invocation `{message (required), idempotency_key, metadata, session_key,
   * thread_id, user, delivery, participants}` → the run (`AgentRoutineInvokeInput`, `message:
   * Required[str]` in archastro-sdk@0.11.0; `message: string` in @archastro/sdk@0.19.0).
   */
  routineInvoke: '/api/v1/agent_routines/{routine}/invoke',
  /** GET: runs, newest first, query status, limit (≤100), before_cursor, after_cursor. */
  routineRuns: '/api/v1/agent_routines/{routine}/runs',

  // ---- routine runs (sdk @archastro/sdk@0.19.0 v1/resources/agent_routine_runs.js, agent_routines.js) ----
  /** GET: one run by id (`arr_…`). */
  routineRun: '/api/v1/agent_routines/runs/{run}',
  /**
   * GET: runs across every routine of the app, newest first; query agent[], status (incl.
   * `cancelled`), limit ≤ 100, before_cursor, after_cursor → `AgentRoutineRunListResponse`.
   */
  allRuns: '/api/v1/agent_routine_runs',
  /**
   * GET: Server-Sent Events, one `run_update` (data: the AgentRoutineRun) per status change, the
   * current status replayed on connect, closed on a terminal run status. Served by the sandbox;
   * Switchboard's clients do not open it (a monitor tick polls the run once per retry instead).
   */
  runStream: '/api/v1/agent_routine_runs/{run}/stream',
} as const;

const TS = 'sdk @archastro/sdk@0.19.0';
const PY = 'sdk archastro-sdk@0.11.0';

/**
 * Every wire operation: method, route (a key of {@link ROUTES}), the status of a success, and its
 * source. The client's methods of the same name call exactly these; the operation fixtures
 * (test/providers/archastro.fixtures.test.ts) are keyed by these names.
 */
export const OPERATIONS = {
  listSessions: { method: 'GET', route: 'sessions', status: 200, source: `${TS} v1/resources/agent_sessions.js list` },
  createSession: {
    method: 'POST',
    route: 'sessions',
    status: 201,
    source: `${TS} v1/resources/agent_sessions.js create`,
  },
  getSession: { method: 'GET', route: 'session', status: 200, source: `${TS} v1/resources/agent_sessions.js get` },
  updateSession: {
    method: 'PATCH',
    route: 'session',
    status: 200,
    source: `${TS} v1/resources/agent_sessions.js update`,
  },
  deleteSession: {
    method: 'DELETE',
    route: 'session',
    status: 204,
    source: `${TS} v1/resources/agent_sessions.js delete`,
  },
  cancelSession: {
    method: 'POST',
    route: 'sessionCancel',
    status: 200,
    source: `${TS} v1/resources/agent_sessions.js cancel`,
  },
  sendMessage: {
    method: 'POST',
    route: 'sessionMessage',
    status: 200,
    source: `${TS} v1/resources/agent_sessions.js message`,
  },
  listEvents: {
    method: 'GET',
    route: 'sessionEvents',
    status: 200,
    source: `${PY} v1/resources/agent_sessions.py events`,
  },
  streamSession: {
    method: 'GET',
    route: 'sessionStream',
    status: 200,
    source: `${TS} v1/resources/agent_sessions.js stream; ${PY} (session_event)`,
  },
  listRoutines: { method: 'GET', route: 'routines', status: 200, source: `${TS} v1/resources/agent_routines.js list` },
  createRoutine: {
    method: 'POST',
    route: 'agentRoutines',
    status: 201,
    source: `${PY} v1/resources/agents.py agent_routines`,
  },
  listPresets: {
    method: 'GET',
    route: 'routinePresets',
    status: 200,
    source: `${TS} v1/resources/agent_routines.js presets`,
  },
  getRoutine: { method: 'GET', route: 'routine', status: 200, source: `${TS} v1/resources/agent_routines.js get` },
  updateRoutine: {
    method: 'PATCH',
    route: 'routine',
    status: 200,
    source: `${TS} v1/resources/agent_routines.js update`,
  },
  deleteRoutine: {
    method: 'DELETE',
    route: 'routine',
    status: 204,
    source: `${TS} v1/resources/agent_routines.js delete`,
  },
  activateRoutine: {
    method: 'POST',
    route: 'routineActivate',
    status: 200,
    source: `${TS} v1/resources/agent_routines.js activate`,
  },
  pauseRoutine: {
    method: 'POST',
    route: 'routinePause',
    status: 200,
    source: `${TS} v1/resources/agent_routines.js pause`,
  },
  invokeRoutine: {
    method: 'POST',
    route: 'routineInvoke',
    status: 201,
    source: `${TS} v1/resources/agent_routines.js invoke`,
  },
  listRuns: { method: 'GET', route: 'routineRuns', status: 200, source: `${TS} v1/resources/agent_routines.js runs` },
  getRun: {
    method: 'GET',
    route: 'routineRun',
    status: 200,
    source: `${TS} v1/resources/agent_routines.js AgentRoutineRunResource.get`,
  },
  listAllRuns: {
    method: 'GET',
    route: 'allRuns',
    status: 200,
    source: `${TS} v1/resources/agent_routine_runs.js list`,
  },
  streamRun: {
    method: 'GET',
    route: 'runStream',
    status: 200,
    source: `${TS} v1/resources/agent_routine_runs.js stream`,
  },
} as const satisfies Record<
  string,
  { method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; route: keyof typeof ROUTES; status: number; source: string }
>;
export type ArchAstroOperation = keyof typeof OPERATIONS;

/**
 * Authentication per credential kind (sdk @archastro/sdk@0.19.0 client.js `withSecretKey` /
 * `withToken`, runtime/http-client.js): an app key travels in `x-archastro-api-key`; a user or bot
 * access token in `Authorization: Bearer`. Both may be set (a publishable key plus a token).
 */
export function authHeaders(cred: { apiKey?: string; accessToken?: string }): Record<string, string> {
  return {
    ...(cred.apiKey ? { 'x-archastro-api-key': cred.apiKey } : {}),
    ...(cred.accessToken ? { authorization: `Bearer ${cred.accessToken}` } : {}),
  };
}

/**
 * Harness event names (sdk archastro-sdk@0.11.0 types/common.py `AgentSessionEvent.event`): the
 * transcript is built from these.
 */
export const SESSION_EVENTS = [
  'session_started',
  'message',
  'tool_use',
  'needs_input',
  'activity',
  'error',
  'turn_complete',
  'finished',
  'adopted',
  'harness_raw',
] as const;

/**
 * Session statuses (sdk @archastro/sdk@0.19.0 agent_sessions `list` filter docs; the seed agrees).
 * `waiting` = the agent ended its turn and reads its inbox next; a start_idle session begins there.
 */
export const SESSION_STATUSES = ['pending', 'running', 'waiting', 'completed', 'failed', 'cancelled'] as const;
export type ArchAstroSessionStatus = (typeof SESSION_STATUSES)[number];

/** Terminal session statuses (sdk agent_sessions `cancel`/`delete`/`stream` docs). */
export const TERMINAL_SESSION_STATUSES: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);

/**
 * Routine run statuses (sdk archastro-sdk@0.11.0 types/common.py `AgentRoutineRun.status`,
 * @archastro/sdk@0.19.0 agent_routine_runs `list`): the seed's five plus `cancelled`.
 */
export const RUN_STATUSES = ['pending', 'running', 'completed', 'failed', 'skipped', 'cancelled'] as const;
export type ArchAstroRunStatus = (typeof RUN_STATUSES)[number];

/**
 * Terminal run statuses (sdk: the run stream "closes when the run reaches a terminal status
 * (`completed`, `failed`, `skipped`, `cancelled`)"). `cancelled` and `skipped` are outcomes, not
 * failures: nothing retries them.
 */
export const TERMINAL_RUN_STATUSES: ReadonlySet<string> = new Set(['completed', 'failed', 'skipped', 'cancelled']);

/** Preset session modes and scopes (sdk types/common.py `PresetConfig.session_mode` / `session_scope`). */
export const PRESET_SESSION_MODES = ['stateless', 'session'] as const;
export const PRESET_SESSION_SCOPES = ['per_user', 'per_key', 'per_org', 'global'] as const;
/** Routine handler types (sdk `AgentRoutine.handler_type`). */
export const HANDLER_TYPES = ['workflow_graph', 'script', 'preset', 'chain'] as const;

/** Event type a routine must have to be invocable on demand (sdk agent_routines `invoke` docs). */
export const INVOKED_EVENT_TYPE = 'agentroutine.invoked';

/*
 * Wire facts, and what is still assumed:
 *
 * - sdk: multi-value query filters are `key[]=a&key[]=b` (runtime/http-client.js; archastro-sdk
 *   runtime/http_client.py: bare repeated keys → "Plug's query parser keeps only the last value").
 *   The client sends every array that way (`arrayQuery: 'brackets'`) and `agent` as a list.
 * - sdk: a session's `trajectory` is the id (`trj_…`) of its Trajectory, null until it starts, and
 *   `result` is an object (types/common.d.ts `AgentSession`); the transcript is read from the
 *   session's events (`sessionEvents`, cursor `after`), which the activity heartbeats.
 * - sdk: error envelope `{error: {code|type, message, fields?}}` or `{error: "<code>", message}`
 *   (runtime/http-client.js); parsed by `parseErrorEnvelope` in ../errors.ts.
 * - sdk: `AgentSessionListResponse` is `{data: AgentSession[]}`; limit ≤ 100.
 * - sdk: the runs page is `{data, before_cursor, after_cursor}`; presets answer a bare array.
 * - assumption: a `needs_input` event's payload carries the agent's question as `prompt`; a
 *   `message` event's payload `{role, content}`; `finished` `{status, result?}`; `error` `{message}`
 *   (the SDKs type `payload` as a free object: "harness-specific event data").
 * - sdk (agent_routines `invoke` docs): an `idempotency_key` whose run already completed → 409.
 *   assumption: the same
 *   key while that run is still pending/running returns that run (no second run), and a key whose
 *   run failed or was skipped may start a new run.
 * - assumption: posting a message to a terminal session → 422.
 * - sdk: a run (`AgentRoutineRun`) has `result` and `structured_response` as objects and statuses
 *   pending, running, completed, failed, skipped, cancelled; it has no `idempotency_key`, `error` or
 *   `agent_session` field. So a run is tagged through invoke's `metadata` (kept on the run) to be
 *   found again after a 409, its sessions are found with the sessions list's `routine_run[]`, and
 *   assumption: a failed run's reason, if any, is `result.error`.
 * - sdk: no SDK has a run-cancel call. A run lasts one agent-session turn, so the client cancels a
 *   run by cancelling its sessions (`cancelRun`); assumption: the run then ends `cancelled` (the
 *   sandbox does so). `cancelled` and `skipped` are terminal outcomes, never retried as failures.
 * - sdk: `message` is required on invoke (a string in both SDKs); the client refuses a missing or
 *   blank one before sending (`BadRequestError`, code `request_invalid`).
 * - sdk: preset fields. A routine has `preset_name` (a registered `RoutinePreset.name`) and
 *   `preset_config` (`PresetConfig`: instructions ≤ 10,000 chars, llm.model, session_mode
 *   stateless|session, session_scope per_user|per_key|per_org|global, structured_message_template_ids);
 *   a preset has `name, label, description, applicable_events, chainable, sessionable, unique`.
 *   Sessions carry no preset fields in either SDK. The client checks preset fields on create/update
 *   (`presetFieldsSchema`); the platform checks the preset exists, fits the trigger and is unique.
 * - Session stream ("where it helps"): the follow activity opens `sessionStream` once per follow call
 *   when its first read finds nothing new, and wakes on any stream event to re-read status and events
 *   from the heartbeated cursor (the stream has no ids or resume, so it is never the source). Measured
 *   in the sandbox (pollMs 100, a 1 s quiet wait then a question, 6 runs each): the wait was reported
 *   a median 8.5 ms after the status change with the stream vs 569 ms by back-off polling, with 5.5
 *   vs 7 session reads; history events are unchanged (the session activity completes only at a
 *   boundary or its budget, however often follow wakes). A
 *   cut or missing stream (404) falls back to polling. The run stream (`runStream`) is served but not
 *   used: a monitor tick reads its run once per activity retry, and a stream would hold a
 *   connection across retries for no history saving.
 * - not built: a run's journal (`GET /api/v1/agent_routines/runs/{run}/journal`), invoke's
 *   `delivery` and `participants`, routine `message_policy` and `acl` editing beyond pass-through.
 * - sdk: no metadata filter on the sessions list (filters: agent, status, routine_run,
 *   exclude_system, limit), so exactly-once create looks up its tag client-side among the agent's
 *   newest sessions (see src/activities/sessions/archastro.ts). No operation takes an
 *   `Idempotency-Key` header.
 */
