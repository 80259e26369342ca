/**
 * Mix client (wire truth: mix-python-sdk 0.8.1, see wire.ts): sessions (list, create, get, delete,
 * callbacks, export, rewind, cancel processing), messages (send, list), the session event stream,
 * notification responses and permission grants/denials. Pure HTTP: no Temporal imports, no retries.
 */
import type { PlatformEndpoint } from '../../config.js';
import { BadRequestError } from '../errors.js';
import { type CallOptions, HttpClient, path } from '../http.js';
import { readSse, type SseEvent } from '../sse.js';
import { MIX_OPS, MIX_QUERY, mixAuthHeaders } from './wire.js';
import {
  backendMessageListSchema,
  cancelProcessingSchema,
  checkCallback,
  denyPermissionSchema,
  grantPermissionSchema,
  checkCreateSession,
  type CreateSessionParams,
  createSessionBody,
  exportSessionSchema,
  type MixCallback,
  type MixCancelResult,
  type MixCheckFailure,
  type MixBackendMessage,
  type MixExport,
  type MixResponseType,
  type MixSession,
  sendMessageResponseSchema,
  type SendMessageParams,
  sessionDataSchema,
  sessionListSchema,
} from './schemas.js';

export type {
  CreateSessionParams,
  MixBackendMessage,
  MixCallback,
  MixCancelResult,
  MixExport,
  MixSession,
  SendMessageParams,
} from './schemas.js';

/** Where to resume the stream, and how to stop reading it. */
export interface MixStreamOptions extends Pick<CallOptions, 'signal'> {
  lastEventId?: string;
}

/** Typed client for one Mix server and credential. Every method takes {@link CallOptions} last. */
export class MixClient {
  readonly http: HttpClient;

  /**
   * Base URL = `MIX_SERVER_URL`; `Authorization: Bearer` only when the alias has a secret (assumption, see wire.ts).
   */
  constructor(endpoint: PlatformEndpoint) {
    this.http = new HttpClient({
      platform: 'mix',
      baseUrl: endpoint.baseUrl,
      alias: endpoint.alias,
      authHeaders: mixAuthHeaders(endpoint.secret),
      timeoutMs: endpoint.timeoutMs,
      userAgent: endpoint.userAgent,
    });
  }

  /**
   * One cheap authenticated read, to check that the credential works (`probePlatform`). The seed
   * documents no health route, so this lists sessions and discards them.
   */
  async ping(call: CallOptions = {}): Promise<void> {
    await this.list({}, call);
  }

  /** Lists sessions; subagent sessions are hidden unless `includeSubagents` (seed default: false). */
  list(params: { includeSubagents?: boolean } = {}, call: CallOptions = {}): Promise<MixSession[]> {
    return this.http.request({
      method: 'GET',
      path: MIX_OPS.listSessions.path,
      query: { [MIX_QUERY.includeSubagents]: params.includeSubagents },
      schema: sessionListSchema,
      ...call,
    });
  }

  /**
   * Creates a `main` session. The seed's checks run first and throw {@link BadRequestError} (code =
   * the seed's example name, no status) without sending anything.
   */
  async create(params: CreateSessionParams, call: CallOptions = {}): Promise<MixSession> {
    this.assertValid(checkCreateSession(params), 'POST', MIX_OPS.createSession.path);
    return this.http.request({
      method: 'POST',
      path: MIX_OPS.createSession.path,
      body: createSessionBody(params),
      schema: sessionDataSchema,
      ...call,
    });
  }

  /** Reads one session. */
  get(id: string, call: CallOptions = {}): Promise<MixSession> {
    return this.http.request({
      method: 'GET',
      path: path(MIX_OPS.getSession.path, { id }),
      schema: sessionDataSchema,
      ...call,
    });
  }

  /** Permanently deletes a session and all its data. */
  async delete(id: string, call: CallOptions = {}): Promise<void> {
    await this.http.request({ method: 'DELETE', path: path(MIX_OPS.deleteSession.path, { id }), ...call });
  }

  /** Replaces the session's callbacks; an empty list clears them. */
  async updateSessionCallbacks(id: string, callbacks: MixCallback[], call: CallOptions = {}): Promise<MixSession> {
    const route = MIX_OPS.updateSessionCallbacks.path;
    for (const [i, cb] of callbacks.entries()) this.assertValid(checkCallback(cb, i), 'PATCH', route);
    return this.http.request({
      method: 'PATCH',
      path: path(route, { id }),
      body: { callbacks },
      schema: sessionDataSchema,
      ...call,
    });
  }

  /** The complete transcript (messages, tool calls, reasoning, metadata). */
  exportSession(id: string, call: CallOptions = {}): Promise<MixExport> {
    return this.http.request({
      method: 'GET',
      path: path(MIX_OPS.exportSession.path, { id }),
      schema: exportSessionSchema,
      ...call,
    });
  }

  /**
   * Deletes every message after `messageId` (kept), optionally cleaning up media created after it.
   * `cleanupMedia` is sent only when given, so the platform's own default applies otherwise.
   */
  async rewindSession(
    id: string,
    params: { messageId: string; cleanupMedia?: boolean },
    call: CallOptions = {},
  ): Promise<MixSession> {
    const route = MIX_OPS.rewindSession.path;
    if (!params.messageId)
      this.assertValid(
        { code: 'missing_message_id', field: 'messageId', detail: 'messageId is required' },
        'POST',
        route,
      );
    const body: Record<string, unknown> = { messageId: params.messageId };
    if (params.cleanupMedia !== undefined) body.cleanupMedia = params.cleanupMedia;
    return this.http.request({ method: 'POST', path: path(route, { id }), body, schema: sessionDataSchema, ...call });
  }

  /** Cancels any ongoing processing; safe to repeat (`cancelled: false` when nothing ran). */
  cancelProcessing(id: string, call: CallOptions = {}): Promise<MixCancelResult> {
    return this.http.request({
      method: 'POST',
      path: path(MIX_OPS.cancelSessionProcessing.path, { id }),
      schema: cancelProcessingSchema,
      ...call,
    });
  }

  /**
   * Sends a user message: the task that starts a session's work, or a later message (202). The body
   * is snake_case on the wire, unlike every other Mix body (SDK `SendMessageRequest`).
   */
  async sendMessage(id: string, params: SendMessageParams, call: CallOptions = {}): Promise<void> {
    const route = MIX_OPS.sendMessage.path;
    if (!params.text?.trim())
      this.assertValid({ code: 'missing_text', field: 'text', detail: 'text is required' }, 'POST', route);
    const body: Record<string, unknown> = { text: params.text };
    if (params.maxSteps !== undefined) body.max_steps = params.maxSteps;
    if (params.planMode !== undefined) body.plan_mode = params.planMode;
    if (params.thinkingLevel !== undefined) body.thinking_level = params.thinkingLevel;
    await this.http.request({
      method: 'POST',
      path: path(route, { id }),
      body,
      schema: sendMessageResponseSchema,
      ...call,
    });
  }

  /** A session's messages, oldest first (SDK `BackendMessage`). */
  listMessages(id: string, call: CallOptions = {}): Promise<MixBackendMessage[]> {
    return this.http.request({
      method: 'GET',
      path: path(MIX_OPS.listMessages.path, { id }),
      schema: backendMessageListSchema,
      ...call,
    });
  }

  /**
   * Reads the session's event stream (`GET /stream?sessionId=`) from `lastEventId`. The stream is
   * persistent: it does not end when a turn does, so the caller stops reading at its boundary; a
   * cut throws a retryable ConnectionError (resume with the last id seen).
   */
  stream(sessionId: string, opts: MixStreamOptions = {}): AsyncGenerator<SseEvent> {
    return readSse(this.http, {
      path: MIX_OPS.stream.path,
      query: { [MIX_QUERY.sessionId]: sessionId },
      lastEventId: opts.lastEventId,
      signal: opts.signal,
    });
  }

  /** Answers an agent's question (`notification` of type question): `acknowledge`, `text` or `choice`. 204. */
  async respondToNotification(
    id: string,
    response: { type: MixResponseType; value?: string },
    call: CallOptions = {},
  ): Promise<void> {
    const body: Record<string, unknown> = { type: response.type };
    if (response.value !== undefined) body.value = response.value;
    await this.http.request({ method: 'POST', path: path(MIX_OPS.respondToNotification.path, { id }), body, ...call });
  }

  /** Lets the tool a `permission` frame names run (200 `{granted}`); a second answer is refused (404). */
  grantPermission(id: string, call: CallOptions = {}): Promise<{ granted?: boolean | null }> {
    return this.http.request({
      method: 'POST',
      path: path(MIX_OPS.grantPermission.path, { id }),
      schema: grantPermissionSchema,
      ...call,
    });
  }

  /** Refuses the tool a `permission` frame names (200 `{denied}`); a second answer is refused (404). */
  denyPermission(id: string, call: CallOptions = {}): Promise<{ denied?: boolean | null }> {
    return this.http.request({
      method: 'POST',
      path: path(MIX_OPS.denyPermission.path, { id }),
      schema: denyPermissionSchema,
      ...call,
    });
  }

  private assertValid(failure: MixCheckFailure | undefined, method: string, route: string): void {
    if (!failure) return;
    throw new BadRequestError({
      platform: 'mix',
      alias: this.http.alias,
      method,
      path: route,
      code: failure.code,
      detail: failure.detail,
      // No status: the request never left the process.
      extra: { field: failure.field, clientSide: true },
    });
  }
}
