/**
 * ArchAstro client: agent sessions, agent routines and routine runs, as `@archastro/sdk` 0.19.0 and
 * `archastro-sdk` 0.11.0 model them (see `./wire.ts` for the paths, their sources and the
 * assumptions). Pure HTTP: no Temporal imports, no retries — a failure is thrown once as a
 * `ProviderError` and Temporal decides. Bodies the SDK would refuse (an invoke without `message`, a
 * malformed `preset_config`) are refused here, before any request, as a `BadRequestError` with code
 * `request_invalid`.
 */
import type { PlatformEndpoint } from '../../config.js';
import { BadRequestError } from '../errors.js';
import { HttpClient, path, type CallOptions } from '../http.js';
import { beforeCursorPages, paginate } from '../pagination.js';
import { readSse, type SseEvent } from '../sse.js';
import { authHeaders, ROUTES, TERMINAL_RUN_STATUSES, TERMINAL_SESSION_STATUSES } from './wire.js';
import {
  presetFieldsSchema,
  presetListSchema,
  routineListSchema,
  routineSchema,
  runPageSchema,
  runSchema,
  sessionEventListSchema,
  sessionListSchema,
  sessionSchema,
  type ArchAstroPreset,
  type ArchAstroPresetConfig,
  type ArchAstroSessionEvent,
  type ArchAstroRoutine,
  type ArchAstroRun,
  type ArchAstroRunPage,
  type ArchAstroSession,
} from './schemas.js';

export type {
  ArchAstroPreset,
  ArchAstroPresetConfig,
  ArchAstroRoutine,
  ArchAstroRun,
  ArchAstroRunPage,
  ArchAstroSession,
  ArchAstroSessionEvent,
};

/** Filters of `GET /api/v1/agent_sessions` (all optional, combinable). */
export interface ListSessionsParams {
  /** Agent id (`agi_…`). */
  agent?: string;
  /** Any of these statuses (sent as a repeated parameter). */
  status?: string[];
  /** Sessions created by these routine runs (≤ 100 ids). */
  routineRun?: string[];
  /** Omit sessions the platform created on its own. @default false */
  excludeSystem?: boolean;
  /** @default 25 (platform), max 100 */
  limit?: number;
}

/** Body of `POST /api/v1/agent_sessions` (sdk archastro-sdk@0.11.0 `AgentSessionCreateInput`). */
export interface CreateSessionInput {
  /** Agent id (`agi_…`) the app owns. */
  agent: string;
  /** The task, the agent's primary objective. */
  instructions: string;
  /** Tool invocations per turn. @default 25 (platform) */
  max_runs_per_turn?: number;
  /** Tokens across all turns. @default 20000 (platform) */
  max_tokens?: number;
  /** Turns before the session is terminated. @default 100 (platform) */
  max_turns?: number;
  metadata?: Record<string, unknown>;
  name?: string;
  /** Start in `waiting` without an opening turn; the first message runs it. @default false */
  start_idle?: boolean;
  team?: string;
  thread?: string;
  user?: string;
}

/** Body of `POST /api/v1/agent_sessions/{id}/message`. */
export interface SessionMessageInput {
  content: string;
  metadata?: Record<string, unknown>;
  /** @default "user" (platform) */
  role?: string;
}

/** Body of `PATCH /api/v1/agent_routines/{id}` (sdk `AgentRoutineUpdateInput`; all optional). */
export interface UpdateRoutineInput {
  acl?: unknown;
  config?: string;
  description?: string;
  event_config?: Record<string, { filters?: Record<string, unknown>; dedupe_key_path?: string }>;
  /** @deprecated by the platform in favour of `event_config`. */
  event_type?: string;
  handler_type?: 'workflow_graph' | 'script' | 'preset' | 'chain';
  lookup_key?: string;
  metadata?: Record<string, unknown>;
  name?: string;
  /** The preset's runtime config (validated against the SDK's `PresetConfig` before sending). */
  preset_config?: ArchAstroPresetConfig;
  /** A registered preset's name (see {@link ArchAstroClient.listPresets}). */
  preset_name?: string;
  /** Cron; no more often than hourly. */
  schedule?: string;
  script?: string;
  steps?: unknown[];
  template?: string;
  trigger_context?: 'chat_session' | 'event';
}

/** Body of `POST /api/v1/agents/{agent}/agent_routines` (sdk `AgentAgentRoutinesInput`). */
export interface CreateRoutineInput extends Omit<UpdateRoutineInput, 'handler_type' | 'name'> {
  name: string;
  handler_type: NonNullable<UpdateRoutineInput['handler_type']>;
  /** @default "draft" (platform) */
  status?: 'draft' | 'active';
  /** Co-owner user (`usr_…`). */
  user?: string;
}

/** Body of `POST /api/v1/agent_routines/{id}/invoke` (sdk `AgentRoutineInvokeInput`). */
export interface InvokeRoutineInput {
  /**
   * Deduplicates invocations: the same key while its run is in flight returns that run; once it has
   * completed the platform answers 409 (`ConflictError`).
   */
  idempotency_key?: string;
  /** The user message for this invocation. Required by both SDKs; refused here when missing. */
  message: string;
  metadata?: Record<string, unknown>;
  /** Required when the routine's `session_scope` is `per_key`. */
  session_key?: string;
  thread_id?: string;
  user?: string;
}

/** Query of `GET /api/v1/agent_routines/{id}/runs` (and, with `agent`, `/api/v1/agent_routine_runs`). */
export interface ListRunsParams {
  status?: string;
  /** @default 50 (platform), max 100 */
  limit?: number;
  /** Page of runs older than this cursor. */
  beforeCursor?: string;
  /** Page of runs newer than this cursor. */
  afterCursor?: string;
}

/** Query of `GET /api/v1/agent_routine_runs`: {@link ListRunsParams} plus agents. */
export interface ListAllRunsParams extends ListRunsParams {
  /** Agent ids or lookup keys, OR'd (sent as `agent[]`). */
  agent?: string[];
}

/** Typed ArchAstro client for one credential. */
export class ArchAstroClient {
  readonly http: HttpClient;

  constructor(endpoint: PlatformEndpoint) {
    this.http = new HttpClient({
      platform: 'archastro',
      baseUrl: endpoint.baseUrl,
      alias: endpoint.alias,
      authHeaders: authHeaders({ apiKey: endpoint.secret, accessToken: endpoint.accessToken }),
      timeoutMs: endpoint.timeoutMs,
      userAgent: endpoint.userAgent,
      arrayQuery: 'brackets',
    });
  }

  /** Refuses a body the SDK's input model would refuse, before anything is sent. */
  private refuse(op: string, detail: string): never {
    throw new BadRequestError({
      platform: 'archastro',
      alias: this.http.alias,
      method: 'POST',
      path: op,
      code: 'request_invalid',
      detail,
    });
  }

  private checkPresetFields(
    op: string,
    input: { handler_type?: string; preset_name?: string; preset_config?: unknown },
  ): void {
    const r = presetFieldsSchema.safeParse({
      handler_type: input.handler_type,
      preset_name: input.preset_name,
      preset_config: input.preset_config,
    });
    if (!r.success)
      this.refuse(op, r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  }

  /** One cheap authenticated read (`switchboard doctor`): the newest session, if any. */
  async ping(call: CallOptions = {}): Promise<void> {
    await this.listSessions({ limit: 1 }, call);
  }

  // ---------------------------------------------------------------- agent sessions

  /** Lists sessions, newest first. */
  listSessions(params: ListSessionsParams = {}, call: CallOptions = {}): Promise<ArchAstroSession[]> {
    return this.http
      .request({
        ...call,
        method: 'GET',
        path: ROUTES.sessions,
        query: {
          // A list in the SDK (`agent[]`); one id is a one-element list.
          agent: params.agent === undefined ? undefined : [params.agent],
          status: params.status,
          routine_run: params.routineRun,
          exclude_system: params.excludeSystem,
          limit: params.limit,
        },
        schema: sessionListSchema,
      })
      .then((r) => r.data);
  }

  /** Creates a session (status `pending`, or `waiting` with `start_idle`). Send a stable idempotency key. */
  createSession(input: CreateSessionInput, call: CallOptions = {}): Promise<ArchAstroSession> {
    return this.http.request({ ...call, method: 'POST', path: ROUTES.sessions, body: input, schema: sessionSchema });
  }

  getSession(sessionId: string, call: CallOptions = {}): Promise<ArchAstroSession> {
    return this.http.request({
      ...call,
      method: 'GET',
      path: path(ROUTES.session, { session: sessionId }),
      schema: sessionSchema,
    });
  }

  /** Replaces the session's metadata (the only mutable field); allowed in any status. */
  updateSession(
    sessionId: string,
    input: { metadata?: Record<string, unknown> },
    call: CallOptions = {},
  ): Promise<ArchAstroSession> {
    return this.http.request({
      ...call,
      method: 'PATCH',
      path: path(ROUTES.session, { session: sessionId }),
      body: input,
      schema: sessionSchema,
    });
  }

  /** Cancels; on a terminal session the platform answers the session unchanged, so this is safe to repeat. */
  cancelSession(sessionId: string, call: CallOptions = {}): Promise<ArchAstroSession> {
    return this.http.request({
      ...call,
      method: 'POST',
      path: path(ROUTES.sessionCancel, { session: sessionId }),
      schema: sessionSchema,
    });
  }

  /** Appends an inbox message; a `waiting` session resumes. */
  sendMessage(sessionId: string, input: SessionMessageInput, call: CallOptions = {}): Promise<ArchAstroSession> {
    return this.http.request({
      ...call,
      method: 'POST',
      path: path(ROUTES.sessionMessage, { session: sessionId }),
      body: input,
      schema: sessionSchema,
    });
  }

  /**
   * The session's harness events after the event id `after` (`cse_…`), oldest first; `limit` ≤ 1000
   * (platform default 200). The transcript's durable cursor.
   */
  listEvents(
    sessionId: string,
    params: { after?: string; limit?: number } = {},
    call: CallOptions = {},
  ): Promise<ArchAstroSessionEvent[]> {
    return this.http.request({
      ...call,
      method: 'GET',
      path: path(ROUTES.sessionEvents, { session: sessionId }),
      query: { after: params.after, limit: params.limit },
      schema: sessionEventListSchema,
    });
  }

  /**
   * The session's status stream: `session_update` (data: the session) on connect and on every status
   * change, `session_event` (data: a harness event) as events happen; ends after a terminal status.
   * It has no event ids and no resume: the events cursor (`listEvents`) stays the durable source.
   */
  streamSession(sessionId: string, call: Pick<CallOptions, 'signal'> = {}): AsyncGenerator<SseEvent> {
    return readSse(this.http, { path: path(ROUTES.sessionStream, { session: sessionId }), signal: call.signal });
  }

  /** Deletes a terminal session (204). An active one → `UnprocessableError` (422). */
  async deleteSession(sessionId: string, call: CallOptions = {}): Promise<void> {
    await this.http.request({ ...call, method: 'DELETE', path: path(ROUTES.session, { session: sessionId }) });
  }

  // ---------------------------------------------------------------- agent routines

  /** Lists routines (not paginated). An unknown `agent` is a 404, not an empty list. */
  listRoutines(
    params: { agent?: string; eventType?: string } = {},
    call: CallOptions = {},
  ): Promise<ArchAstroRoutine[]> {
    return this.http
      .request({
        ...call,
        method: 'GET',
        path: ROUTES.routines,
        query: { agent: params.agent === undefined ? undefined : [params.agent], event_type: params.eventType },
        schema: routineListSchema,
      })
      .then((r) => r.data);
  }

  listPresets(call: CallOptions = {}): Promise<ArchAstroPreset[]> {
    return this.http.request({ ...call, method: 'GET', path: ROUTES.routinePresets, schema: presetListSchema });
  }

  getRoutine(routineId: string, call: CallOptions = {}): Promise<ArchAstroRoutine> {
    return this.http.request({
      ...call,
      method: 'GET',
      path: path(ROUTES.routine, { routine: routineId }),
      schema: routineSchema,
    });
  }

  /**
   * Creates a routine on an agent (status `draft` unless `status: "active"`). `preset_name` and
   * `preset_config` are checked against the SDK's models first; the platform checks the preset exists.
   */
  async createRoutine(agentId: string, input: CreateRoutineInput, call: CallOptions = {}): Promise<ArchAstroRoutine> {
    if (!input.name) this.refuse(ROUTES.agentRoutines, 'name is required');
    this.checkPresetFields(ROUTES.agentRoutines, input);
    return this.http.request({
      ...call,
      method: 'POST',
      path: path(ROUTES.agentRoutines, { agent: agentId }),
      body: input,
      schema: routineSchema,
    });
  }

  /** Changes only the fields given (`steps` and `metadata` replace the whole value). */
  async updateRoutine(routineId: string, input: UpdateRoutineInput, call: CallOptions = {}): Promise<ArchAstroRoutine> {
    this.checkPresetFields(ROUTES.routine, input);
    return this.http.request({
      ...call,
      method: 'PATCH',
      path: path(ROUTES.routine, { routine: routineId }),
      body: input,
      schema: routineSchema,
    });
  }

  async deleteRoutine(routineId: string, call: CallOptions = {}): Promise<void> {
    await this.http.request({ ...call, method: 'DELETE', path: path(ROUTES.routine, { routine: routineId }) });
  }

  /** Sets status `active`; 422 without a config or with a schedule more frequent than hourly. */
  activateRoutine(routineId: string, call: CallOptions = {}): Promise<ArchAstroRoutine> {
    return this.http.request({
      ...call,
      method: 'POST',
      path: path(ROUTES.routineActivate, { routine: routineId }),
      schema: routineSchema,
    });
  }

  pauseRoutine(routineId: string, call: CallOptions = {}): Promise<ArchAstroRoutine> {
    return this.http.request({
      ...call,
      method: 'POST',
      path: path(ROUTES.routinePause, { routine: routineId }),
      schema: routineSchema,
    });
  }

  /**
   * Invokes an active `agentroutine.invoked` routine (id or lookup key) and returns its run at once.
   * `input.idempotency_key` is the platform's own dedupe; `call.idempotencyKey` is the transport's.
   */
  async invokeRoutine(routineId: string, input: InvokeRoutineInput, call: CallOptions = {}): Promise<ArchAstroRun> {
    // Both SDKs require `message` (a string); an empty one tells the agent nothing.
    if (typeof input.message !== 'string' || input.message.trim() === '')
      this.refuse(ROUTES.routineInvoke, 'message is required');
    return this.http.request({
      ...call,
      method: 'POST',
      path: path(ROUTES.routineInvoke, { routine: routineId }),
      body: input,
      schema: runSchema,
    });
  }

  /** One page of a routine's runs, newest first. */
  listRuns(routineId: string, params: ListRunsParams = {}, call: CallOptions = {}): Promise<ArchAstroRunPage> {
    return this.http.request({
      ...call,
      method: 'GET',
      path: path(ROUTES.routineRuns, { routine: routineId }),
      query: {
        status: params.status,
        limit: params.limit,
        before_cursor: params.beforeCursor,
        after_cursor: params.afterCursor,
      },
      schema: runPageSchema,
    });
  }

  /** Every run of a routine, newest to oldest, following `before_cursor` page by page. */
  iterateRuns(
    routineId: string,
    params: Omit<ListRunsParams, 'beforeCursor' | 'afterCursor'> = {},
    call: CallOptions = {},
  ): AsyncGenerator<ArchAstroRun> {
    return paginate(beforeCursorPages((beforeCursor) => this.listRuns(routineId, { ...params, beforeCursor }, call)));
  }

  getRun(runId: string, call: CallOptions = {}): Promise<ArchAstroRun> {
    return this.http.request({
      ...call,
      method: 'GET',
      path: path(ROUTES.routineRun, { run: runId }),
      schema: runSchema,
    });
  }

  /** One page of runs across every routine of the app (optionally some agents'), newest first. */
  listAllRuns(params: ListAllRunsParams = {}, call: CallOptions = {}): Promise<ArchAstroRunPage> {
    return this.http.request({
      ...call,
      method: 'GET',
      path: ROUTES.allRuns,
      query: {
        agent: params.agent,
        status: params.status,
        limit: params.limit,
        before_cursor: params.beforeCursor,
        after_cursor: params.afterCursor,
      },
      schema: runPageSchema,
    });
  }

  /** A run's status stream: `run_update` (data: the run) on connect and per change; ends on a terminal status. */
  streamRun(runId: string, call: Pick<CallOptions, 'signal'> = {}): AsyncGenerator<SseEvent> {
    return readSse(this.http, { path: path(ROUTES.runStream, { run: runId }), signal: call.signal });
  }

  /**
   * Cancels a routine run. Neither SDK has a run-cancel call: a run lasts one agent-session turn, so
   * it is cancelled by cancelling the sessions it runs in (found with `routine_run[]`); the run then
   * ends `cancelled`. Safe to repeat (cancelling a terminal session answers it unchanged). Answers
   * the run as read afterwards. Limit: `routine_run[]` finds the sessions a run *created*; a run of a
   * `session_mode: "session"` routine that reused an earlier run's session is not found this way and
   * comes back unchanged.
   */
  async cancelRun(runId: string, call: CallOptions = {}): Promise<ArchAstroRun> {
    const run = await this.getRun(runId, call);
    if (TERMINAL_RUN_STATUSES.has(run.status)) return run;
    for (const s of await this.listSessions({ routineRun: [runId], limit: 100 }, call)) {
      if (!TERMINAL_SESSION_STATUSES.has(s.status)) await this.cancelSession(s.id, call);
    }
    return this.getRun(runId, call);
  }
}
