/**
 * Mix on the wire: every operation Switchboard uses, with its method, path and where that comes
 * from. The published SDK (PyPI `mix-python-sdk` 0.8.1) is the wire truth; the seed
 * (`mix-python-sdk-sessions.md`) is its Sessions page and agrees with it where both speak. Where the
 * two disagree the SDK wins and the entry says so. Request/response schemas are in schemas.ts.
 *
 * Sources: `sdk mix-python-sdk@0.8.1 <file>` (paths below `mix_python_sdk/`), `seed <file>`, or
 * `assumption` (nothing published covers it).
 */

/** One Mix operation. */
export interface MixOperation {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  readonly path: string;
  /** Where method, path and body shape come from. */
  readonly source: string;
}

/** Every Mix operation Switchboard calls. */
export const MIX_OPS = {
  listSessions: {
    method: 'GET',
    path: '/api/sessions',
    source: 'sdk mix-python-sdk@0.8.1 sessions.py (list_sessions); seed',
  },
  /** 201 SessionData. The SDK's CreateSessionRequest has no `firstUserMessage`: the task is a message. */
  createSession: {
    method: 'POST',
    path: '/api/sessions',
    source: 'sdk mix-python-sdk@0.8.1 sessions.py, models/createsessionop.py; seed',
  },
  getSession: {
    method: 'GET',
    path: '/api/sessions/{id}',
    source: 'sdk mix-python-sdk@0.8.1 sessions.py (get_session); seed',
  },
  deleteSession: {
    method: 'DELETE',
    path: '/api/sessions/{id}',
    source: 'sdk mix-python-sdk@0.8.1 sessions.py (delete_session, 204); seed',
  },
  updateSessionCallbacks: {
    method: 'PATCH',
    path: '/api/sessions/{id}/callbacks',
    source: 'sdk mix-python-sdk@0.8.1 sessions.py; seed',
  },
  exportSession: {
    method: 'GET',
    path: '/api/sessions/{id}/export',
    source: 'sdk mix-python-sdk@0.8.1 models/exportsession.py; seed',
  },
  rewindSession: {
    method: 'POST',
    path: '/api/sessions/{id}/rewind',
    source: 'sdk mix-python-sdk@0.8.1 models/rewindsessionop.py; seed',
  },
  cancelSessionProcessing: {
    method: 'POST',
    path: '/api/sessions/{id}/cancel',
    source: 'sdk mix-python-sdk@0.8.1 models/cancelsessionprocessingop.py; seed',
  },
  /**
   * 202 `{sessionId, status}`; snake_case body `text, max_steps, plan_mode, thinking_level` (no aliases in the SDK).
   * Not in the seed.
   */
  sendMessage: {
    method: 'POST',
    path: '/api/sessions/{id}/messages',
    source: 'sdk mix-python-sdk@0.8.1 messages.py, models/sendmessageop.py',
  },
  /** `List[BackendMessage]`. Not in the seed. */
  listMessages: {
    method: 'GET',
    path: '/api/sessions/{id}/messages',
    source: 'sdk mix-python-sdk@0.8.1 messages.py, models/backendmessage.py',
  },
  /** Persistent SSE; resume with `Last-Event-ID`. Not in the seed. */
  stream: {
    method: 'GET',
    path: '/stream',
    source: 'sdk mix-python-sdk@0.8.1 streaming.py, models/streameventsop.py, models/sseeventstream.py',
  },
  /** 204; body `{type: acknowledge|text|choice, value?}`. Not in the seed. */
  respondToNotification: {
    method: 'POST',
    path: '/api/notifications/{id}/respond',
    source: 'sdk mix-python-sdk@0.8.1 notifications.py, models/respondtonotificationop.py',
  },
  /** 200 `{granted}`; no body. Answers a `permission` frame. Not in the seed. */
  grantPermission: {
    method: 'POST',
    path: '/api/permissions/{id}/grant',
    source: 'sdk mix-python-sdk@0.8.1 permissions.py (grant), models/grantpermissionop.py',
  },
  /** 200 `{denied}`; no body. Not in the seed. */
  denyPermission: {
    method: 'POST',
    path: '/api/permissions/{id}/deny',
    source: 'sdk mix-python-sdk@0.8.1 permissions.py (deny), models/denypermissionop.py',
  },
} as const satisfies Record<string, MixOperation>;

/** Query parameters (camelCase aliases in the SDK's models). */
export const MIX_QUERY = {
  /** listSessions; `sdk mix-python-sdk@0.8.1 models/listsessionsop.py`. */
  includeSubagents: 'includeSubagents',
  /** stream; `sdk mix-python-sdk@0.8.1 models/streameventsop.py`. */
  sessionId: 'sessionId',
} as const;

/**
 * How the client authenticates. The SDK has no security scheme at all (`sdk.py`: `Mix(server_url, …)`
 * takes no credential), so nothing is sent when the alias has no secret.
 */
// assumption: a deployment that fronts Mix with an auth proxy takes `Authorization: Bearer <secret>`;
// we send it only when a secret is configured for the alias.
export function mixAuthHeaders(secret: string | undefined): Record<string, string> {
  return secret ? { authorization: `Bearer ${secret}` } : {};
}

/**
 * Event names of the stream (`models/sseeventstream.py`) that Switchboard reads; the others
 * (`thinking`, `tool_use_parameter_delta`, …) are skipped.
 */
export const MIX_EVENTS = {
  userMessage: 'user_message_created',
  content: 'content',
  toolStart: 'tool_use_start',
  toolDone: 'tool_execution_complete',
  permission: 'permission',
  notification: 'notification',
  complete: 'complete',
  error: 'error',
} as const;

/*
 * Wire facts and what is still assumed:
 * - bodies are camelCase (`browserMode`, `cdpUrl`, callbacks' `toolName`…) except the message-send
 *   body, which is snake_case: `sdk models/sendmessageop.py` (confirmed).
 * - errors are `{error: {code, type, message}}` with `type` one of `bad_request | not_found |
 *   internal_error | unauthorized | validation_error` (`sdk models/resterror.py`). The seed's example
 *   names (`missing_title`, …) are OpenAPI example keys, not wire values.
 * - SessionData has no processing `status` (`sdk models/sessiondata.py`): status comes from the
 *   stream (`complete`, `error` with `attempt`/`maxAttempts`).
 * - every frame has an `id` and its data a `type` (SDK SSEEventStream). `content` names its message
 *   `assistantMessageId`, `tool_use_start` its call `id`, the execution frames `toolCallId`.
 * - assumption: a turn ended by cancel_processing ends with an `error` frame of type `cancelled` (the
 *   SDK types `error.type` as a free string and documents no cancel frame).
 * - assumption: `connected` and `heartbeat` repeat the newest frame id, so they move no client's
 *   `Last-Event-ID` (the SDK requires an id on them but does not say which).
 * - assumption: the stream replays frames after `Last-Event-ID` from the start of the session (the SDK
 *   says "proper reconnection support" without defining the window).
 * - `permission` frames (`SSEPermissionEventData`): `{id, sessionId, toolName, action, description,
 *   type, params?, path?, parentToolCallId?}`, no timeout. `notification` frames
 *   (`SSENotificationEventData`): `{id, sessionId, title, message, notificationType: info|warning|
 *   error|question, responseType: acknowledge|text|choice, choices? (required for choice), timeout
 *   (seconds for the user's response), createdAt (unix seconds), parentToolCallId?}`.
 * - grant, deny and respond document 200/204, 401 and 404 only: no conflict status. A second answer
 *   to the same id is refused as 404 (assumption: the id is no longer open; the SDK names no other
 *   refusal), which is what makes a retried answer safe (src/activities/sessions/mix.ts).
 * - assumption: an unanswered question expires `timeout` seconds after `createdAt` (the SDK says
 *   only "Timeout in seconds for user response"); after that the id is gone (404) and the agent
 *   goes on without the answer.
 * - No operation takes or documents an idempotency key. Exactly-once comes from lookups (see
 *   src/activities/sessions/mix.ts): a marker in the title found by listSessions before a create, and
 *   the session's user-message count before the task is sent.
 */
