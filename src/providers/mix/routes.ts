/**
 * Every Mix HTTP path and wire-name decision in one place.
 *
 * The seed (`mix-python-sdk-sessions.md`) spells out the eight session paths below, so they are
 * followed exactly. What the seed does NOT show — the JSON field names on the wire, the error
 * envelope, the auth header, the processing-state field — is marked `// assumption` with the reason.
 */

/** Paths the seed documents (UsageSnippet `path=` attributes). Followed exactly. */
export const MIX_ROUTES = {
  /** GET — listSessions. */
  listSessions: '/api/sessions',
  /** POST — createSession. */
  createSession: '/api/sessions',
  /** GET — getSession. */
  getSession: '/api/sessions/{id}',
  /** DELETE — deleteSession. */
  deleteSession: '/api/sessions/{id}',
  /** PATCH — updateSessionCallbacks. */
  updateSessionCallbacks: '/api/sessions/{id}/callbacks',
  /** GET — exportSession. */
  exportSession: '/api/sessions/{id}/export',
  /** POST — rewindSession. */
  rewindSession: '/api/sessions/{id}/rewind',
  /** POST — cancelSessionProcessing. */
  cancelSessionProcessing: '/api/sessions/{id}/cancel',
} as const;

/**
 * Query parameter of listSessions. The seed names the Python argument `include_subagents` only.
 */
// assumption: camelCase on the wire, like the body fields the seed's own descriptions name
// (`browserMode`, `customSystemPrompt`, `promptMode`); the public Mix SDK uses `includeSubagents`.
export const INCLUDE_SUBAGENTS_QUERY = 'includeSubagents';

/**
 * How the client authenticates. The seed constructs `Mix(server_url=...)` with no credential at all,
 * so a local Mix server may need none.
 */
// assumption: when a secret is configured for the alias, send `Authorization: Bearer <secret>`;
// send no auth header otherwise.
export function mixAuthHeaders(secret: string | undefined): Record<string, string> {
  return secret ? { authorization: `Bearer ${secret}` } : {};
}

/*
 * Wire-shape assumptions (the seed documents Python argument names, not JSON):
 *
 * - assumption: request and response bodies use camelCase (`browserMode`, `cdpUrl`,
 *   `customSystemPrompt`, `promptMode`, `sessionType`, `subagentType`, `messageId`, `cleanupMedia`,
 *   callback `toolName`/`messageContent`…). The seed's descriptions already say "browserMode" and
 *   "customSystemPrompt", and the public Mix SDK aliases every field this way.
 * - assumption: the error body (`errors.ErrorResponse`) is `{ error: { code: <http status>, type, message } }`
 *   as in the public SDK's RESTError; the seed's example names (`invalid_prompt_mode`,
 *   `missing_title`, …) travel in `error.type`, which is what `parseErrorEnvelope` reads as the code.
 * - assumption: the seed never shows SessionData. We read `id`, `title`, `createdAt`, message/tool
 *   counts (public SDK names) and two fields the seed implies but does not name: `callbacks`
 *   (update_session_callbacks returns SessionData) and `status` (processing state:
 *   `processing` | `idle` | `cancelled` | `failed`). When `status` is absent the adapter derives
 *   progress from the exported transcript instead.
 * - assumption: export returns `{ id, title, messages: [{ id, role, content, createdAt, finishReason?,
 *   toolCalls? }] }` (the public SDK's ExportSession; the Python `ExportSessionResponse` wraps it).
 * - assumption: cancel_processing returns `{ cancelled: boolean }` (public SDK); a second call answers
 *   `cancelled: false`.
 * - assumption (biggest one): the seed documents no way to send a user message to a session. The
 *   task text travels in the create body as `firstUserMessage` (the name SessionData uses for the
 *   first user message in the public SDK). A real Mix server may ignore it; the public SDK's
 *   `POST /api/sessions/{id}/messages` is not in the seed, so it is not used here.
 */
