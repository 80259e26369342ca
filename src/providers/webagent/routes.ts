/**
 * Every Web Agent HTTP path, in one place (DESIGN.md: "put ALL paths in routes.ts").
 *
 * The seed (web-agent-python-sdk.txt) documents the Python SDK's methods, not its wire format. It
 * spells out exactly one path — DeepResearch is the pidless Standalone API under `/v1/deep_research`
 * — and says DoAnything, WebSearch and Track are project-scoped. Everything marked `// assumption`
 * below is the most plausible REST form for a method the seed names; the sandbox simulator
 * (src/sandbox/platforms/webagent/) serves exactly these templates.
 *
 * Parameters use `{name}` and are filled with {@link path} from `../http.js`.
 */

/** Auth: `Authorization: Bearer <api key>` (seed: "the project tenant resolves from the Bearer token"). */
export const AUTH_HEADER = 'authorization';

/** Project prefix for project-scoped APIs. */
const P = '/v1/projects/{project_id}'; // assumption: the seed says "project-scoped" but not how the project is addressed

/** DoAnything: sessions, tasks, in-flight messages, input requests and the SSE event channel. */
export const SESSION_ROUTES = {
  /** POST CreateSessionRequest → Session (with `tasks[0]` queued); GET ?status&limit&cursor → page. */
  sessions: `${P}/sessions`, // assumption
  session: `${P}/sessions/{session_id}`, // assumption
  /** POST `{force}` → Session. Soft stop lets the current task finish; force cancels it. */
  stop: `${P}/sessions/{session_id}/stop`, // assumption
  /** POST CreateTaskRequest → Task (previous task must be terminal, else 409 conflict). */
  tasks: `${P}/sessions/{session_id}/tasks`, // assumption
  task: `${P}/sessions/{session_id}/tasks/{task_id}`, // assumption
  /** POST `{reason}` → Task. */
  cancelTask: `${P}/sessions/{session_id}/tasks/{task_id}/cancel`, // assumption
  /** POST `{content}`: pushes into the current task's chat queue (agent peeks at its next ReAct boundary). */
  messages: `${P}/sessions/{session_id}/tasks/{task_id}/messages`, // assumption
  /** POST `{input_request_id, response}`: answers a pending `task.input_request`. */
  intervene: `${P}/sessions/{session_id}/tasks/{task_id}/intervene`, // assumption
  /** GET text/event-stream; resume with the `Last-Event-ID` header (header name per the seed). */
  events: `${P}/sessions/{session_id}/tasks/{task_id}/events`, // assumption
} as const;

/** DeepResearch: the Standalone API, pidless (seed: "/v1/deep_research"). */
export const DEEP_RESEARCH_ROUTES = {
  /** POST `{topic, depth, require_outline_approval}` → `{task_id, session_id, status}`. Path from the seed. */
  run: '/v1/deep_research',
  task: '/v1/deep_research/{task_id}', // assumption: a GET for polling; the seed shows none
  /** POST `{request_id, response}` answers the outline gate. */
  intervene: '/v1/deep_research/{task_id}/intervene', // assumption
  cancel: '/v1/deep_research/{task_id}/cancel', // assumption
  /** GET → the three-piece set (final.md / citations.json / confidence.json). */
  artifacts: '/v1/deep_research/{task_id}/artifacts', // assumption
  artifact: '/v1/deep_research/{task_id}/artifacts/{artifact_id}', // assumption
} as const;

/** WebSearch: project-scoped; `run` blocks ≤30 s (`wait=true`) or answers 202 for polling. */
export const WEB_SEARCH_ROUTES = {
  /** POST `{queries, engines?, summarize?, wait}` → 200 done envelope or 202 `{task_id, status}`. */
  run: `${P}/web_search`, // assumption
  task: `${P}/web_search/{task_id}`, // assumption
  /** POST `{text}`: re-run within the same task. */
  refine: `${P}/web_search/{task_id}/refine`, // assumption
} as const;

/** Track: project-scoped long-lived monitors. */
export const TRACK_ROUTES = {
  /** POST `{intent, schedule, notify_channel, trigger_dsl?}` → Monitor; GET ?status&limit&cursor → page. */
  monitors: `${P}/track/monitors`, // assumption
  /**
   * GET → Monitor; PATCH → Monitor (the seed: "pause / resume / refine via patch");
   * DELETE → Monitor (the seed: `delete` is equivalent to `cancel`).
   */
  monitor: `${P}/track/monitors/{monitor_id}`, // assumption
  /** POST → Monitor in a terminal `cancelled` state. */
  cancel: `${P}/track/monitors/{monitor_id}/cancel`, // assumption
  /** POST → the per-tick outcome (bypasses the schedule). */
  runNow: `${P}/track/monitors/{monitor_id}/run`, // assumption
  /** GET → `{items}` newest first. */
  snapshots: `${P}/track/monitors/{monitor_id}/snapshots`, // assumption
  snapshot: `${P}/track/monitors/{monitor_id}/snapshots/{snapshot_id}`, // assumption
  /**
   * GET ?include_payload&status&limit&cursor → `{items}` newest first (the webhook outbox; `status` is an assumption).
   */
  deliveries: `${P}/track/monitors/{monitor_id}/deliveries`, // assumption
  retryDelivery: `${P}/track/monitors/{monitor_id}/deliveries/{delivery_id}/retry`, // assumption
  /** POST `{request_id, response}` answers an `alignment.input_request`. */
  intervene: `${P}/track/monitors/{monitor_id}/intervene`, // assumption
  /** POST `{content}`: free-text guidance into the alignment queue. */
  messages: `${P}/track/monitors/{monitor_id}/messages`, // assumption
} as const;

/**
 * Pagination of list endpoints: `limit` + opaque `cursor` in, `{items, next_cursor, has_more}` out
 * (assumption: the seed shows `list(status=…, limit=…)` returning `.items` only).
 */
export const PAGE_QUERY = { limit: 'limit', cursor: 'cursor' } as const;

/** Web Agent error codes the seed lists, by HTTP status. */
export const ERROR_CODES = {
  401: ['unauthorized'],
  402: ['insufficient_credits', 'budget_exceeded'],
  403: ['forbidden', 'safety_boundary_violated'],
  404: ['*_not_found'],
  409: ['conflict'],
  422: ['validation_error'],
  429: ['rate_limit_exceeded'],
} as const;
