/**
 * Every ArchAstro HTTP path Switchboard uses, and the wire facts the seed
 * (`@archastro/sdk` 0.5.0 → 0.5.3, `dist/v1/resources/agent_sessions.js`, `agent_routines.js`,
 * `agent_routine_runs.js`) does not spell out.
 *
 * Paths below are copied from the SDK source in the seed unless marked `// assumption`.
 * The sandbox simulator (`src/sandbox/platforms/archastro.ts`) serves exactly these paths.
 */

/** Path templates for {@link path} from `../http.js`. */
export const ROUTES = {
  // ---- agent sessions (seed: AgentSessionResource) ----
  /** GET: list (query agent, status[], routine_run[], exclude_system, limit); POST: create (201). */
  sessions: '/api/v1/agent_sessions',
  /** GET: retrieve; PATCH: update metadata; DELETE: delete (204; 422 unless terminal). */
  session: '/api/v1/agent_sessions/{session}',
  /** POST: cancel (idempotent on a terminal session). */
  sessionCancel: '/api/v1/agent_sessions/{session}/cancel',
  /** POST: append an inbox message `{content, role?, metadata?}`; resumes a `waiting` session. */
  sessionMessage: '/api/v1/agent_sessions/{session}/message',

  // ---- agent routines (seed: AgentRoutineResource) ----
  /** GET: list (query agent, event_type); answer `{data: [...]}`, not paginated. */
  routines: '/api/v1/agent_routines',
  /** GET: registered presets. Registered before `routine` in the simulator so it is not read as an id. */
  routinePresets: '/api/v1/agent_routines/presets',
  /** GET: retrieve; PATCH: update; DELETE: delete (204). */
  routine: '/api/v1/agent_routines/{routine}',
  /** POST: set status `active` (422 without config or with a sub-hourly schedule). */
  routineActivate: '/api/v1/agent_routines/{routine}/activate',
  /** POST: set status `paused`. */
  routinePause: '/api/v1/agent_routines/{routine}/pause',
  /** POST: on-demand invocation `{message, idempotency_key, metadata, session_key, thread_id, user}`. */
  routineInvoke: '/api/v1/agent_routines/{routine}/invoke',
  /** GET: runs, newest first, query status, limit (≤100), before_cursor, after_cursor. */
  routineRuns: '/api/v1/agent_routines/{routine}/runs',

  // ---- routine runs (seed: AgentRoutineRunResource) ----
  /** GET: one run by id (`arr_…`). */
  routineRun: '/api/v1/agent_routines/runs/{run}',
} as const;

/**
 * Authentication. The seed only says "requires an app-scoped API key"; the header is not shown.
 * assumption: `Authorization: Bearer <api key>`, the common form for such keys.
 */
export function authHeaders(secret: string | undefined): Record<string, string> {
  return secret ? { authorization: `Bearer ${secret}` } : {};
}

/**
 * Session statuses, as listed in the seed's `list` filter documentation.
 * `waiting` = the agent ended its turn and reads its inbox next; a start_idle session begins there.
 */
export const SESSION_STATUSES = ['pending', 'running', 'waiting', 'completed', 'failed', 'cancelled'] as const;
export type ArchAstroSessionStatus = (typeof SESSION_STATUSES)[number];

/** Terminal session statuses (seed: cancel/delete docs). */
export const TERMINAL_SESSION_STATUSES: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);

/** Routine run statuses (seed: `runs` filter documentation). */
export const RUN_STATUSES = ['pending', 'running', 'completed', 'failed', 'skipped'] as const;
export type ArchAstroRunStatus = (typeof RUN_STATUSES)[number];

/** Event type a routine must have to be invocable on demand (seed: `invoke` docs). */
export const INVOKED_EVENT_TYPE = 'agentroutine.invoked';

/*
 * Wire facts the seed leaves open (all assumptions, mirrored by the simulator):
 *
 * - assumption: error envelope `{error: {code, message, request_id}}` (parsed by
 *   `parseErrorEnvelope` in ../errors.ts); status codes are the seed's (404, 409, 422, 402, 403).
 * - assumption: `AgentSessionListResponse` is `{data: AgentSession[]}` like the routines list the
 *   seed documents as "Object containing a `data` array".
 * - assumption: the session's transcript is `trajectory` (the seed's delete docs name "its
 *   trajectory" and "all inbox messages"): `[{id, type, role, content, created_at}]`, oldest first;
 *   user messages posted to the inbox appear in both `inbox` and `trajectory`. `turns` counts
 *   agent turns started; `result` / `error` hold the final answer / failure text.
 * - assumption: the runs page is `{data, before_cursor, after_cursor}` (cursor names from the seed's
 *   query parameters); `before_cursor` is null on the oldest page.
 * - assumption: `presets` answers a bare array (seed: "Array of available routine preset
 *   objects"); the client also accepts `{data: [...]}`.
 * - seed: invoke with an `idempotency_key` whose run already completed → 409. assumption: the same
 *   key while that run is still pending/running returns that run (no second run), and a key whose
 *   run failed or was skipped may start a new run.
 * - assumption: posting a message to a terminal session → 422.
 * - no metadata filter on the sessions list (seed filters: agent, status, routine_run,
 *   exclude_system, limit), so exactly-once create looks up its tag client-side among the agent's
 *   newest sessions (see src/activities/sessions/archastro.ts).
 */
