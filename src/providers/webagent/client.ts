/**
 * Web Agent provider client: DoAnything sessions/tasks/messages/events, DeepResearch, WebSearch and
 * Track, mirroring the Python SDK's `Client` surface (web-agent-python-sdk.txt).
 *
 * Pure HTTP over {@link HttpClient}: no Temporal imports, no retries (Temporal owns them). Every
 * method takes {@link CallOptions} last so activities can pass their cancellation signal and a
 * stable idempotency key. Paths live in ./routes.ts; response shapes in ./schemas.ts.
 */
import { ConfigError, type PlatformEndpoint } from '../../config.js';
import { ConnectionError, ResponseValidationError } from '../errors.js';
import { type CallOptions, HttpClient, path } from '../http.js';
import { collect, limitPages, paginate } from '../pagination.js';
import { readSse } from '../sse.js';
import { DEEP_RESEARCH_ROUTES, SESSION_ROUTES, TRACK_ROUTES, WEB_SEARCH_ROUTES } from './routes.js';
import {
  type Ack,
  ackSchema,
  type Artifact,
  type ArtifactContent,
  artifactContentSchema,
  artifactListSchema,
  type DeepResearchTask,
  deepResearchTaskSchema,
  type DeliveryList,
  deliveryListSchema,
  type Delivery,
  deliverySchema,
  eventPayloadSchema,
  type InterveneResult,
  interveneResultSchema,
  type Message,
  messageSchema,
  type Monitor,
  type MonitorPage,
  monitorPageSchema,
  monitorSchema,
  type Session,
  type SessionPage,
  sessionPageSchema,
  sessionSchema,
  type Snapshot,
  type SnapshotList,
  snapshotListSchema,
  snapshotSchema,
  type Task,
  taskSchema,
  type TickOutcome,
  tickOutcomeSchema,
  type WebSearchEnvelope,
  webSearchEnvelopeSchema,
} from './schemas.js';

export type * from './schemas.js';

/** One event from the DoAnything SSE channel (the SDK's `Event`). */
export interface WebAgentEvent {
  /** The SSE `id:` (a per-task sequence number); pass it back as `lastEventId` to resume. Absent on heartbeats. */
  id?: string;
  /** `task.progress`, `task.input_request`, `task.completed`, … or `heartbeat`. */
  type: string;
  data: Record<string, unknown>;
  createdAt?: string;
}

/** `CreateSessionRequest`. */
export interface CreateSessionRequest {
  instructions: string;
  metadata?: Record<string, string>;
}

/** `CreateTaskRequest`. */
export interface CreateTaskRequest {
  instructions: string;
}

export interface ListSessionsParams {
  status?: string;
  /** Page size. */
  limit?: number;
  cursor?: string;
}

export interface StreamOptions extends Pick<CallOptions, 'signal'> {
  /** Resume after this event id (sent as `Last-Event-ID`). */
  lastEventId?: string;
  /** Yield heartbeats too (connection-health UIs). @default false */
  includeHeartbeats?: boolean;
}

/** Research depth. */
export type ResearchDepth = 'light' | 'standard' | 'deep';

export interface DeepResearchRunParams {
  topic: string;
  /** @default 'standard' */
  depth?: ResearchDepth;
  /** Outline HITL gate. @default true */
  requireOutlineApproval?: boolean;
}

/** Answer to the outline gate. */
export type OutlineDecision =
  'approve' | { action: 'approve_with_edits'; edits: unknown[] } | { action: 'reject'; reason?: string };

export interface WebSearchParams {
  queries: string[];
  engines?: string[];
  summarize?: boolean;
}

export interface CreateMonitorParams {
  intent: string;
  schedule: Record<string, unknown>;
  notifyChannel: Record<string, unknown>;
  triggerDsl?: unknown;
}

export interface RefineMonitorParams {
  intent?: string;
  schedule?: Record<string, unknown>;
  notifyChannel?: Record<string, unknown>;
  triggerDsl?: unknown;
}

/** How long {@link WebAgentClient.taskEvents} may read before giving up (retryable). */
const TASK_EVENTS_MAX_MS = 10_000;

/** How long the server may block a `wait=true` search (seed: ≤30 s), plus slack for the network. */
const WEB_SEARCH_WAIT_TIMEOUT_MS = 35_000;

/** Common plumbing for the resource groups. */
class Resource {
  constructor(
    protected readonly http: HttpClient,
    private readonly projectId: string | undefined,
  ) {}

  /** Project id for project-scoped routes; a missing one is a configuration error, not a platform one. */
  protected get pid(): string {
    if (!this.projectId)
      throw new ConfigError('WEBAGENT_PROJECT_ID', 'not set (DoAnything, WebSearch and Track are project-scoped)');
    return this.projectId;
  }
}

/** `client.sessions`: DoAnything sessions and their tasks. */
export class SessionsResource extends Resource {
  /** Creates a session; the platform implicitly queues its first task (`tasks[0]`). */
  async create(req: CreateSessionRequest, opts: CallOptions = {}): Promise<Session & { tasks: [Task, ...Task[]] }> {
    const p = path(SESSION_ROUTES.sessions, { project_id: this.pid });
    const session = await this.http.request({ method: 'POST', path: p, body: req, schema: sessionSchema, ...opts });
    const first = session.tasks[0];
    // Everything downstream needs the first task id; a session without one is not what the seed promises.
    if (!first) {
      throw new ResponseValidationError({
        platform: 'webagent',
        alias: this.http.alias,
        method: 'POST',
        path: p,
        code: 'schema_mismatch',
        detail: 'session has no tasks[0]',
      });
    }
    return session as Session & { tasks: [Task, ...Task[]] };
  }

  /** Starts a new task in the same session; the previous task must be terminal (else 409). */
  createTask(sessionId: string, req: CreateTaskRequest, opts: CallOptions = {}): Promise<Task> {
    return this.http.request({
      method: 'POST',
      path: path(SESSION_ROUTES.tasks, { project_id: this.pid, session_id: sessionId }),
      body: req,
      schema: taskSchema,
      ...opts,
    });
  }

  /** One page of sessions. */
  list(params: ListSessionsParams = {}, opts: CallOptions = {}): Promise<SessionPage> {
    return this.http.request({
      method: 'GET',
      path: path(SESSION_ROUTES.sessions, { project_id: this.pid }),
      query: { status: params.status, limit: params.limit, cursor: params.cursor },
      schema: sessionPageSchema,
      ...opts,
    });
  }

  /** Every session, walking the cursor (`limit` is the page size). */
  iterate(params: Omit<ListSessionsParams, 'cursor'> = {}, opts: CallOptions = {}): AsyncGenerator<Session> {
    return paginate(limitPages((cursor) => this.list({ ...params, cursor }, opts)));
  }

  /** Collects {@link iterate} into an array. */
  listAll(params: Omit<ListSessionsParams, 'cursor'> = {}, opts: CallOptions = {}): Promise<Session[]> {
    return collect(this.iterate(params, opts));
  }

  get(sessionId: string, opts: CallOptions = {}): Promise<Session> {
    return this.http.request({
      method: 'GET',
      path: path(SESSION_ROUTES.session, { project_id: this.pid, session_id: sessionId }),
      schema: sessionSchema,
      ...opts,
    });
  }

  getTask(sessionId: string, taskId: string, opts: CallOptions = {}): Promise<Task> {
    return this.http.request({
      method: 'GET',
      path: path(SESSION_ROUTES.task, { project_id: this.pid, session_id: sessionId, task_id: taskId }),
      schema: taskSchema,
      ...opts,
    });
  }

  /**
   * Stops the session. Soft (`force=false`, the seed's default) lets the current task finish;
   * `force=true` cancels it.
   */
  stop(sessionId: string, params: { force?: boolean } = {}, opts: CallOptions = {}): Promise<Session> {
    return this.http.request({
      method: 'POST',
      path: path(SESSION_ROUTES.stop, { project_id: this.pid, session_id: sessionId }),
      body: { force: params.force ?? false },
      schema: sessionSchema,
      ...opts,
    });
  }

  /** Cancels one task (409 when it is already terminal). */
  cancelTask(
    sessionId: string,
    taskId: string,
    params: { reason?: string } = {},
    opts: CallOptions = {},
  ): Promise<Task> {
    return this.http.request({
      method: 'POST',
      path: path(SESSION_ROUTES.cancelTask, { project_id: this.pid, session_id: sessionId, task_id: taskId }),
      body: { reason: params.reason },
      schema: taskSchema,
      ...opts,
    });
  }
}

/** `client.messages`: in-flight messages and answers to input requests. */
export class MessagesResource extends Resource {
  /** Pushes a message into the current task's chat queue (the agent reads it at its next step). */
  send(sessionId: string, taskId: string, params: { content: string }, opts: CallOptions = {}): Promise<Message> {
    return this.http.request({
      method: 'POST',
      path: path(SESSION_ROUTES.messages, { project_id: this.pid, session_id: sessionId, task_id: taskId }),
      body: { content: params.content },
      schema: messageSchema,
      ...opts,
    });
  }

  /**
   * Answers a pending `task.input_request`. A request id that is not the pending one is refused
   * (404 `input_request_not_found` / 409 `conflict`).
   */
  intervene(
    sessionId: string,
    taskId: string,
    params: { inputRequestId: string; response: unknown },
    opts: CallOptions = {},
  ): Promise<InterveneResult> {
    return this.http.request({
      method: 'POST',
      path: path(SESSION_ROUTES.intervene, { project_id: this.pid, session_id: sessionId, task_id: taskId }),
      body: { input_request_id: params.inputRequestId, response: params.response },
      schema: interveneResultSchema,
      ...opts,
    });
  }
}

/** `client.events`: the DoAnything (and DeepResearch) SSE channel. */
export class EventsResource extends Resource {
  /**
   * Streams a task's events in order. Heartbeats are dropped unless `includeHeartbeats`. Ends when
   * the server closes the stream (after a terminal event); a cut connection throws a retryable
   * ConnectionError — reopen with the last `id` seen as `lastEventId`.
   */
  async *stream(sessionId: string, taskId: string, opts: StreamOptions = {}): AsyncGenerator<WebAgentEvent> {
    const p = path(SESSION_ROUTES.events, { project_id: this.pid, session_id: sessionId, task_id: taskId });
    for await (const ev of readSse(this.http, {
      path: p,
      lastEventId: opts.lastEventId,
      includeHeartbeats: opts.includeHeartbeats,
      signal: opts.signal,
    })) {
      const parsed = eventPayloadSchema.safeParse(ev.data);
      // Heartbeats may carry an empty or non-JSON body; anything else must match the Event shape.
      if (!parsed.success && ev.event !== 'heartbeat') {
        throw new ResponseValidationError({
          platform: 'webagent',
          alias: this.http.alias,
          method: 'GET',
          path: p,
          code: 'schema_mismatch',
          detail: `event ${ev.id ?? '?'} (${ev.event}): ${parsed.error.issues[0]?.message ?? 'bad payload'}`,
        });
      }
      const payload = parsed.success ? parsed.data : undefined;
      yield {
        id: ev.id ?? (payload?.id != null ? String(payload.id) : undefined),
        // The SSE `event:` field names the type; the JSON `type` is the fallback for `message` events.
        type: ev.event !== 'message' ? ev.event : (payload?.type ?? 'message'),
        data: payload?.data ?? {},
        createdAt: payload?.created_at ?? undefined,
      };
    }
  }
}

/** `client.deepResearch`: the pidless DeepResearch Standalone API. */
export class DeepResearchResource extends Resource {
  /** Starts research; follow it on the DoAnything SSE channel with the returned session/task ids. */
  run(params: DeepResearchRunParams, opts: CallOptions = {}): Promise<DeepResearchTask> {
    return this.http.request({
      method: 'POST',
      path: DEEP_RESEARCH_ROUTES.run,
      body: {
        topic: params.topic,
        depth: params.depth ?? 'standard',
        require_outline_approval: params.requireOutlineApproval ?? true,
      },
      schema: deepResearchTaskSchema,
      ...opts,
    });
  }

  get(taskId: string, opts: CallOptions = {}): Promise<DeepResearchTask> {
    return this.http.request({
      method: 'GET',
      path: path(DEEP_RESEARCH_ROUTES.task, { task_id: taskId }),
      schema: deepResearchTaskSchema,
      ...opts,
    });
  }

  /** Answers the outline gate: approve, approve with edits, or reject (which cancels the task). */
  intervene(
    taskId: string,
    params: { requestId: string; response: OutlineDecision },
    opts: CallOptions = {},
  ): Promise<InterveneResult> {
    return this.http.request({
      method: 'POST',
      path: path(DEEP_RESEARCH_ROUTES.intervene, { task_id: taskId }),
      body: { request_id: params.requestId, response: params.response },
      schema: interveneResultSchema,
      ...opts,
    });
  }

  cancel(taskId: string, params: { reason?: string } = {}, opts: CallOptions = {}): Promise<DeepResearchTask> {
    return this.http.request({
      method: 'POST',
      path: path(DEEP_RESEARCH_ROUTES.cancel, { task_id: taskId }),
      body: { reason: params.reason },
      schema: deepResearchTaskSchema,
      ...opts,
    });
  }

  /** The artifact set (final.md / citations.json / confidence.json once completed). */
  listArtifacts(taskId: string, opts: CallOptions = {}): Promise<Artifact[]> {
    return this.http.request({
      method: 'GET',
      path: path(DEEP_RESEARCH_ROUTES.artifacts, { task_id: taskId }),
      schema: artifactListSchema,
      ...opts,
    });
  }

  getArtifact(taskId: string, artifactId: string, opts: CallOptions = {}): Promise<ArtifactContent> {
    return this.http.request({
      method: 'GET',
      path: path(DEEP_RESEARCH_ROUTES.artifact, { task_id: taskId, artifact_id: artifactId }),
      schema: artifactContentSchema,
      ...opts,
    });
  }
}

/** `client.webSearch`: project-scoped WebSearch. */
export class WebSearchResource extends Resource {
  /**
   * Runs a search and waits (server blocks ≤30 s). Returns the done envelope, or — when the server
   * timed out and answered 202 — a pending one (`status` not `completed`): poll {@link get}.
   */
  run(params: WebSearchParams, opts: CallOptions = {}): Promise<WebSearchEnvelope> {
    return this.http.request({
      method: 'POST',
      path: path(WEB_SEARCH_ROUTES.run, { project_id: this.pid }),
      body: { queries: params.queries, engines: params.engines, summarize: params.summarize, wait: true },
      schema: webSearchEnvelopeSchema,
      ...opts,
      timeoutMs: opts.timeoutMs ?? WEB_SEARCH_WAIT_TIMEOUT_MS,
    });
  }

  /** Starts a search without waiting (202 `{task_id, status}`). */
  runAsync(params: WebSearchParams, opts: CallOptions = {}): Promise<WebSearchEnvelope> {
    return this.http.request({
      method: 'POST',
      path: path(WEB_SEARCH_ROUTES.run, { project_id: this.pid }),
      body: { queries: params.queries, engines: params.engines, summarize: params.summarize, wait: false },
      schema: webSearchEnvelopeSchema,
      ...opts,
    });
  }

  get(taskId: string, opts: CallOptions = {}): Promise<WebSearchEnvelope> {
    return this.http.request({
      method: 'GET',
      path: path(WEB_SEARCH_ROUTES.task, { project_id: this.pid, task_id: taskId }),
      schema: webSearchEnvelopeSchema,
      ...opts,
    });
  }

  /** Re-runs within the same task with extra guidance. */
  refine(taskId: string, params: { text: string }, opts: CallOptions = {}): Promise<WebSearchEnvelope> {
    return this.http.request({
      method: 'POST',
      path: path(WEB_SEARCH_ROUTES.refine, { project_id: this.pid, task_id: taskId }),
      body: { text: params.text },
      schema: webSearchEnvelopeSchema,
      ...opts,
    });
  }
}

/** `client.track`: project-scoped long-lived monitors. */
export class TrackResource extends Resource {
  private monitorPath(template: string, monitorId: string, extra: Record<string, string> = {}): string {
    return path(template, { project_id: this.pid, monitor_id: monitorId, ...extra });
  }

  create(params: CreateMonitorParams, opts: CallOptions = {}): Promise<Monitor> {
    return this.http.request({
      method: 'POST',
      path: path(TRACK_ROUTES.monitors, { project_id: this.pid }),
      body: {
        intent: params.intent,
        schedule: params.schedule,
        notify_channel: params.notifyChannel,
        trigger_dsl: params.triggerDsl,
      },
      schema: monitorSchema,
      ...opts,
    });
  }

  get(monitorId: string, opts: CallOptions = {}): Promise<Monitor> {
    return this.http.request({
      method: 'GET',
      path: this.monitorPath(TRACK_ROUTES.monitor, monitorId),
      schema: monitorSchema,
      ...opts,
    });
  }

  list(
    params: { status?: string; limit?: number; cursor?: string } = {},
    opts: CallOptions = {},
  ): Promise<MonitorPage> {
    return this.http.request({
      method: 'GET',
      path: path(TRACK_ROUTES.monitors, { project_id: this.pid }),
      query: { status: params.status, limit: params.limit, cursor: params.cursor },
      schema: monitorPageSchema,
      ...opts,
    });
  }

  /** Every monitor, walking the cursor. */
  listAll(params: { status?: string; limit?: number } = {}, opts: CallOptions = {}): Promise<Monitor[]> {
    return collect(paginate(limitPages((cursor) => this.list({ ...params, cursor }, opts))));
  }

  /** Pauses via PATCH (seed: "pause / resume / refine via patch"). */
  pause(monitorId: string, params: { reason?: string } = {}, opts: CallOptions = {}): Promise<Monitor> {
    return this.patch(monitorId, { status: 'paused', pause_reason: params.reason }, opts);
  }

  resume(monitorId: string, opts: CallOptions = {}): Promise<Monitor> {
    return this.patch(monitorId, { status: 'active' }, opts);
  }

  /** Changes the goal, schedule, channel or trigger DSL. */
  refine(monitorId: string, params: RefineMonitorParams, opts: CallOptions = {}): Promise<Monitor> {
    return this.patch(
      monitorId,
      {
        intent: params.intent,
        schedule: params.schedule,
        notify_channel: params.notifyChannel,
        trigger_dsl: params.triggerDsl,
      },
      opts,
    );
  }

  private patch(monitorId: string, body: Record<string, unknown>, opts: CallOptions): Promise<Monitor> {
    // Undefined fields are dropped by JSON.stringify, so a PATCH only carries what the caller set.
    return this.http.request({
      method: 'PATCH',
      path: this.monitorPath(TRACK_ROUTES.monitor, monitorId),
      body,
      schema: monitorSchema,
      ...opts,
    });
  }

  /** Fires one tick now (bypasses the schedule) and returns its outcome. */
  runNow(monitorId: string, opts: CallOptions = {}): Promise<TickOutcome> {
    return this.http.request({
      method: 'POST',
      path: this.monitorPath(TRACK_ROUTES.runNow, monitorId),
      body: {},
      schema: tickOutcomeSchema,
      ...opts,
    });
  }

  /** Snapshot history, newest first. */
  listSnapshots(
    monitorId: string,
    params: { limit?: number; cursor?: string } = {},
    opts: CallOptions = {},
  ): Promise<SnapshotList> {
    return this.http.request({
      method: 'GET',
      path: this.monitorPath(TRACK_ROUTES.snapshots, monitorId),
      query: { limit: params.limit, cursor: params.cursor },
      schema: snapshotListSchema,
      ...opts,
    });
  }

  getSnapshot(monitorId: string, snapshotId: string, opts: CallOptions = {}): Promise<Snapshot> {
    return this.http.request({
      method: 'GET',
      path: this.monitorPath(TRACK_ROUTES.snapshot, monitorId, { snapshot_id: snapshotId }),
      schema: snapshotSchema,
      ...opts,
    });
  }

  /** The webhook outbox for this monitor, newest first (`status` filters: an assumption, see routes.ts). */
  listDeliveries(
    monitorId: string,
    params: { includePayload?: boolean; status?: string; limit?: number; cursor?: string } = {},
    opts: CallOptions = {},
  ): Promise<DeliveryList> {
    return this.http.request({
      method: 'GET',
      path: this.monitorPath(TRACK_ROUTES.deliveries, monitorId),
      query: {
        include_payload: params.includePayload,
        status: params.status,
        limit: params.limit,
        cursor: params.cursor,
      },
      schema: deliveryListSchema,
      ...opts,
    });
  }

  /** Re-queues a dead delivery. */
  retryDelivery(monitorId: string, deliveryId: string, opts: CallOptions = {}): Promise<Delivery> {
    return this.http.request({
      method: 'POST',
      path: this.monitorPath(TRACK_ROUTES.retryDelivery, monitorId, { delivery_id: deliveryId }),
      body: {},
      schema: deliverySchema,
      ...opts,
    });
  }

  /** Terminates the monitor (terminal state). */
  cancel(monitorId: string, opts: CallOptions = {}): Promise<Monitor> {
    return this.http.request({
      method: 'POST',
      path: this.monitorPath(TRACK_ROUTES.cancel, monitorId),
      body: {},
      schema: monitorSchema,
      ...opts,
    });
  }

  /** Equivalent to {@link cancel} (seed), as `DELETE`. */
  delete(monitorId: string, opts: CallOptions = {}): Promise<Monitor> {
    return this.http.request({
      method: 'DELETE',
      path: this.monitorPath(TRACK_ROUTES.monitor, monitorId),
      schema: monitorSchema,
      ...opts,
    });
  }

  /** Answers an `alignment.input_request` while the monitor is `pending_clarification`. */
  intervene(
    monitorId: string,
    params: { requestId: string; response: unknown },
    opts: CallOptions = {},
  ): Promise<Monitor> {
    return this.http.request({
      method: 'POST',
      path: this.monitorPath(TRACK_ROUTES.intervene, monitorId),
      body: { request_id: params.requestId, response: params.response },
      schema: monitorSchema,
      ...opts,
    });
  }

  /** Pushes free-text guidance into the alignment queue. */
  message(monitorId: string, params: { content: string }, opts: CallOptions = {}): Promise<Ack> {
    return this.http.request({
      method: 'POST',
      path: this.monitorPath(TRACK_ROUTES.messages, monitorId),
      body: { content: params.content },
      schema: ackSchema,
      ...opts,
    });
  }
}

/**
 * The Web Agent client: one per (endpoint, credential alias). Auth is `Authorization: Bearer
 * <secret>`; project-scoped APIs use `endpoint.projectId` (`WEBAGENT_PROJECT_ID`).
 */
export class WebAgentClient {
  readonly http: HttpClient;
  readonly projectId?: string;
  readonly sessions: SessionsResource;
  readonly messages: MessagesResource;
  readonly events: EventsResource;
  readonly deepResearch: DeepResearchResource;
  readonly webSearch: WebSearchResource;
  readonly track: TrackResource;

  constructor(endpoint: PlatformEndpoint) {
    this.http = new HttpClient({
      platform: 'webagent',
      baseUrl: endpoint.baseUrl,
      alias: endpoint.alias,
      authHeaders: endpoint.secret ? { authorization: `Bearer ${endpoint.secret}` } : {},
      timeoutMs: endpoint.timeoutMs,
      userAgent: endpoint.userAgent,
    });
    this.projectId = endpoint.projectId;
    this.sessions = new SessionsResource(this.http, endpoint.projectId);
    this.messages = new MessagesResource(this.http, endpoint.projectId);
    this.events = new EventsResource(this.http, endpoint.projectId);
    this.deepResearch = new DeepResearchResource(this.http, endpoint.projectId);
    this.webSearch = new WebSearchResource(this.http, endpoint.projectId);
    this.track = new TrackResource(this.http, endpoint.projectId);
  }

  /**
   * The task's events so far, oldest first: reads its stream from the start up to the task's
   * `last_event_id` (a live task's stream stays open, so the read stops there). How a caller finds
   * what an earlier attempt did (a message pushed, an input answered) without `Idempotency-Key`.
   * Throws a retryable error when the read takes longer than `maxMs`.
   */
  async taskEvents(
    sessionId: string,
    taskId: string,
    opts: { signal?: AbortSignal; maxMs?: number } = {},
  ): Promise<WebAgentEvent[]> {
    const maxMs = opts.maxMs ?? TASK_EVENTS_MAX_MS;
    const t = await this.sessions.getTask(sessionId, taskId, { signal: opts.signal });
    const last = Number(t.last_event_id ?? 0);
    if (!Number.isFinite(last) || last <= 0) return [];
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => ac.abort(), maxMs);
    const out: WebAgentEvent[] = [];
    try {
      for await (const ev of this.events.stream(sessionId, taskId, { signal: ac.signal })) {
        out.push(ev);
        if (Number(ev.id) >= last || out.length >= last) break;
      }
    } catch (err) {
      if (ac.signal.aborted && !opts.signal?.aborted)
        throw new ConnectionError({
          platform: 'webagent',
          alias: this.http.alias,
          method: 'GET',
          path: SESSION_ROUTES.events,
          detail: `reading task ${taskId}'s events took over ${maxMs} ms`,
        });
      throw err;
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    }
    return out;
  }

  /**
   * One cheap authenticated read (`switchboard doctor`): lists one session of the project, so it
   * checks the key and the project id together.
   */
  async ping(opts: CallOptions = {}): Promise<void> {
    await this.sessions.list({ limit: 1 }, opts);
  }
}
