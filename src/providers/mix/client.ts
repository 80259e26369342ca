/**
 * Mix sessions client (seed: `mix-python-sdk-sessions.md`): list, create, get, delete, callbacks,
 * export, rewind, cancel processing. Pure HTTP: no Temporal imports, no retries.
 */
import type { PlatformEndpoint } from '../../config.js';
import { BadRequestError } from '../errors.js';
import { type CallOptions, HttpClient, path } from '../http.js';
import { INCLUDE_SUBAGENTS_QUERY, MIX_ROUTES, mixAuthHeaders } from './routes.js';
import {
  cancelProcessingSchema,
  checkCallback,
  checkCreateSession,
  type CreateSessionParams,
  createSessionBody,
  exportSessionSchema,
  type MixCallback,
  type MixCancelResult,
  type MixCheckFailure,
  type MixExport,
  type MixSession,
  sessionDataSchema,
  sessionListSchema,
} from './schemas.js';

export type { CreateSessionParams, MixCallback, MixCancelResult, MixExport, MixSession } from './schemas.js';

/** Typed client for one Mix server and credential. Every method takes {@link CallOptions} last. */
export class MixClient {
  readonly http: HttpClient;

  /** Base URL = `MIX_SERVER_URL`; `Authorization: Bearer` only when the alias has a secret (assumption, see routes.ts). */
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
      path: MIX_ROUTES.listSessions,
      query: { [INCLUDE_SUBAGENTS_QUERY]: params.includeSubagents },
      schema: sessionListSchema,
      ...call,
    });
  }

  /**
   * Creates a `main` session. The seed's checks run first and throw {@link BadRequestError} (code =
   * the seed's example name, no status) without sending anything.
   */
  async create(params: CreateSessionParams, call: CallOptions = {}): Promise<MixSession> {
    this.assertValid(checkCreateSession(params), 'POST', MIX_ROUTES.createSession);
    return this.http.request({
      method: 'POST',
      path: MIX_ROUTES.createSession,
      body: createSessionBody(params),
      schema: sessionDataSchema,
      ...call,
    });
  }

  /** Reads one session. */
  get(id: string, call: CallOptions = {}): Promise<MixSession> {
    return this.http.request({ method: 'GET', path: path(MIX_ROUTES.getSession, { id }), schema: sessionDataSchema, ...call });
  }

  /** Permanently deletes a session and all its data. */
  async delete(id: string, call: CallOptions = {}): Promise<void> {
    await this.http.request({ method: 'DELETE', path: path(MIX_ROUTES.deleteSession, { id }), ...call });
  }

  /** Replaces the session's callbacks; an empty list clears them. */
  async updateSessionCallbacks(id: string, callbacks: MixCallback[], call: CallOptions = {}): Promise<MixSession> {
    const route = MIX_ROUTES.updateSessionCallbacks;
    for (const [i, cb] of callbacks.entries()) this.assertValid(checkCallback(cb, i), 'PATCH', route);
    return this.http.request({ method: 'PATCH', path: path(route, { id }), body: { callbacks }, schema: sessionDataSchema, ...call });
  }

  /** The complete transcript (messages, tool calls, reasoning, metadata). */
  exportSession(id: string, call: CallOptions = {}): Promise<MixExport> {
    return this.http.request({ method: 'GET', path: path(MIX_ROUTES.exportSession, { id }), schema: exportSessionSchema, ...call });
  }

  /**
   * Deletes every message after `messageId` (kept), optionally cleaning up media created after it.
   * `cleanupMedia` is sent only when given, so the platform's own default applies otherwise.
   */
  async rewindSession(id: string, params: { messageId: string; cleanupMedia?: boolean }, call: CallOptions = {}): Promise<MixSession> {
    const route = MIX_ROUTES.rewindSession;
    if (!params.messageId) this.assertValid({ code: 'missing_message_id', field: 'messageId', detail: 'messageId is required' }, 'POST', route);
    const body: Record<string, unknown> = { messageId: params.messageId };
    if (params.cleanupMedia !== undefined) body.cleanupMedia = params.cleanupMedia;
    return this.http.request({ method: 'POST', path: path(route, { id }), body, schema: sessionDataSchema, ...call });
  }

  /** Cancels any ongoing processing; safe to repeat (`cancelled: false` when nothing ran). */
  cancelProcessing(id: string, call: CallOptions = {}): Promise<MixCancelResult> {
    return this.http.request({
      method: 'POST',
      path: path(MIX_ROUTES.cancelSessionProcessing, { id }),
      schema: cancelProcessingSchema,
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
