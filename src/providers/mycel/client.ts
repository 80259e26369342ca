/**
 * Mycel provider client: chats, join requests, relationships, runtime notifications and threads,
 * shaped like the mycel-sdk facade (`client.chats.…`, `client.messages.…`).
 *
 * Identity comes from the bearer token ({@link PlatformEndpoint.secret}); no method takes an
 * "acting as" user id, as the seed insists. Paths live in {@link MYCEL_ROUTES}. No Temporal imports
 * and no retries: callers (activities) own both.
 */
import type { PlatformEndpoint } from '../../config.js';
import WebSocket from 'ws';
import { ConflictError, ConnectionError, errorFromResponse, type ProviderError } from '../errors.js';
import { type CallOptions, HttpClient, path } from '../http.js';
import { CHAT_NOT_CAUGHT_UP, MYCEL_ROUTES as R } from './routes.js';
import {
  chatListSchema,
  chatSchema,
  drainSchema,
  externalUserSchema,
  inboxFrameSchema,
  joinRequestListSchema,
  joinRequestSchema,
  joinTargetSchema,
  messageListSchema,
  messageSchema,
  muteSchema,
  okSchema,
  relationshipListSchema,
  relationshipSchema,
  sessionSchema,
  threadSchema,
  userSchema,
  verifyOtpSchema,
  type MycelChat,
  type MycelDrainResult,
  type MycelExternalUser,
  type MycelInboxFrame,
  type MycelJoinRequest,
  type MycelJoinTarget,
  type MycelMessage,
  type MycelMuteResult,
  type MycelRelationship,
  type MycelSession,
  type MycelThread,
  type MycelUser,
  type MycelVerifyOtpResult,
} from './schemas.js';

export * from './schemas.js';
export { CHAT_NOT_CAUGHT_UP, MYCEL_OPERATIONS, MYCEL_ROUTES } from './routes.js';

/**
 * `messages.send(…, {enforceCaughtUp: true})` was refused because the sender has unread messages
 * in the chat (HTTP 409). The chat moved on since the caller last read it: call
 * {@link MycelClient.messages}`.read(chat)`, reconsider, then send again.
 *
 * A {@link ConflictError} subclass, so generic 409 handling still applies; `code` is always
 * {@link CHAT_NOT_CAUGHT_UP} whatever wording the backend used. Non-retryable as is: retrying the
 * same send cannot succeed until the caller reads.
 */
export class ChatNotCaughtUpError extends ConflictError {}

/** True for the stale-chat refusal of an `enforce_caught_up` send (also across a plain ConflictError). */
export function isChatNotCaughtUp(err: unknown): err is ConflictError {
  if (!(err instanceof ConflictError)) return false;
  if (err instanceof ChatNotCaughtUpError || err.code === CHAT_NOT_CAUGHT_UP) return true;
  // The public backend sends only `{detail: str(ChatNotCaughtUpError)}`: match its wording loosely.
  return /caught[\s_-]*up|unread/i.test(err.detail ?? '');
}

export interface SendMessageOptions extends CallOptions {
  /**
   * Fail with {@link ChatNotCaughtUpError} instead of sending when the caller has unread messages.
   * The seed calls this "the normal write path".
   * @default true
   */
  enforceCaughtUp?: boolean;
  /** User ids to mention. A mention can wake a managed agent; it does not override mute. */
  mentions?: string[];
}

export interface ListMessagesOptions extends CallOptions {
  /** @default 50 (backend maximum 200) */
  limit?: number;
  /** A message `seq`: return only messages older than it (walks history backwards). */
  before?: number;
}

/** Options of {@link MycelClient.notifications}`.stream`: only cancellation (a stream has no overall timeout). */
export type StreamOptions = Pick<CallOptions, 'signal'>;

/** The Mycel platform as one bearer-token identity. */
export class MycelClient {
  readonly http: HttpClient;
  private readonly token?: string;

  constructor(endpoint: PlatformEndpoint) {
    this.token = endpoint.secret;
    this.http = new HttpClient({
      platform: 'mycel',
      baseUrl: endpoint.baseUrl,
      alias: endpoint.alias,
      authHeaders: endpoint.secret ? { authorization: `Bearer ${endpoint.secret}` } : {},
      timeoutMs: endpoint.timeoutMs,
      userAgent: endpoint.userAgent,
    });
  }

  /** One cheap authenticated read (whoami) to check that the credential works. */
  async ping(opts: CallOptions = {}): Promise<void> {
    await this.me.whoami(opts);
  }

  /** Owner registration and login. These calls need no token; they return one. */
  readonly auth = {
    /** Registration step 1: emails a one-time code. */
    sendOtp: (email: string, password: string, inviteCode: string, opts: CallOptions = {}) =>
      this.http.request({
        ...opts,
        method: 'POST',
        path: R.auth.sendOtp,
        body: { email, password, invite_code: inviteCode },
        schema: okSchema,
      }),
    /** Registration step 2: exchanges the code for a short-lived `temp_token`. */
    verifyOtp: (email: string, otp: string, opts: CallOptions = {}): Promise<MycelVerifyOtpResult> =>
      this.http.request({
        ...opts,
        method: 'POST',
        path: R.auth.verifyOtp,
        body: { email, token: otp },
        schema: verifyOtpSchema,
      }),
    /** Registration step 3: creates the owner and returns its bearer token. */
    completeRegister: (tempToken: string, inviteCode: string, opts: CallOptions = {}): Promise<MycelSession> =>
      this.http.request({
        ...opts,
        method: 'POST',
        path: R.auth.completeRegister,
        body: { temp_token: tempToken, invite_code: inviteCode },
        schema: sessionSchema,
      }),
    /** Email (or Mycel id) + password → bearer token. Wrong credentials are a 401. */
    login: (identifier: string, password: string, opts: CallOptions = {}): Promise<MycelSession> =>
      this.http.request({
        ...opts,
        method: 'POST',
        path: R.auth.login,
        body: { identifier, password },
        schema: sessionSchema,
      }),
  };

  readonly users = {
    /**
     * Creates an external agent identity owned by the caller. The returned `token` acts as that
     * agent and is shown once: the caller stores it (as a credential alias, never in workflow state).
     */
    createExternal: (
      params: { userId: string; displayName: string },
      opts: CallOptions = {},
    ): Promise<MycelExternalUser> =>
      this.http.request({
        ...opts,
        method: 'POST',
        path: R.users.createExternal,
        body: { user_id: params.userId, display_name: params.displayName },
        schema: externalUserSchema,
      }),
  };

  readonly me = {
    /** The identity behind this client's token. */
    whoami: (opts: CallOptions = {}): Promise<MycelUser> =>
      this.http.request({ ...opts, method: 'GET', path: R.me.whoami, schema: userSchema }),
  };

  readonly chats = {
    /** Finds or creates the direct chat between the caller and `targetUserId`. */
    ensureDirect: (targetUserId: string, opts: CallOptions = {}): Promise<MycelChat> =>
      this.http.request({
        ...opts,
        method: 'POST',
        path: R.chats.collection,
        body: { user_ids: [targetUserId], title: null, kind: 'direct' },
        schema: chatSchema,
      }),
    /**
     * Creates a group chat owned by the caller. `participants` are the *other* members: the backend
     * adds the caller from the token. Humans need at least a `visit` relationship with the caller.
     */
    create: (participants: string[], title?: string, opts: CallOptions = {}): Promise<MycelChat> =>
      // `kind: group` said outright: the backend's default `auto` may make a direct chat of one participant.
      this.http.request({
        ...opts,
        method: 'POST',
        path: R.chats.collection,
        body: { user_ids: participants, title, kind: 'group' },
        schema: chatSchema,
      }),
    get: (chatId: string, opts: CallOptions = {}): Promise<MycelChat> =>
      this.http.request({ ...opts, method: 'GET', path: path(R.chats.item, { chat_id: chatId }), schema: chatSchema }),
    /** The caller's chats. */
    list: (opts: CallOptions = {}): Promise<MycelChat[]> =>
      this.http.request({ ...opts, method: 'GET', path: R.chats.collection, schema: chatListSchema }),
    /** What a non-member may see of a group (and their own pending request) before asking to join. */
    joinTarget: (chatId: string, opts: CallOptions = {}): Promise<MycelJoinTarget> =>
      this.http.request({
        ...opts,
        method: 'GET',
        path: path(R.chats.joinTarget, { chat_id: chatId }),
        schema: joinTargetSchema,
      }),
    /** Asks the group's owner to let the caller in; the owner is notified. */
    requestJoin: (chatId: string, message?: string, opts: CallOptions = {}): Promise<MycelJoinRequest> =>
      this.http.request({
        ...opts,
        method: 'POST',
        path: path(R.chats.joinRequests, { chat_id: chatId }),
        body: { message },
        schema: joinRequestSchema,
      }),
    /** Join requests of a chat the caller owns (403 otherwise). */
    listJoinRequests: (chatId: string, opts: CallOptions = {}): Promise<MycelJoinRequest[]> =>
      this.http.request({
        ...opts,
        method: 'GET',
        path: path(R.chats.joinRequests, { chat_id: chatId }),
        schema: joinRequestListSchema,
      }),
    /**
     * Owner approves; the requester becomes a member. Approving an already approved request returns
     * it again (idempotent); approving a rejected one is a 409.
     */
    approveJoin: (chatId: string, requestId: string, opts: CallOptions = {}): Promise<MycelJoinRequest> =>
      this.http.request({
        ...opts,
        method: 'POST',
        path: path(R.chats.approveJoin, { chat_id: chatId, request_id: requestId }),
        body: {},
        schema: joinRequestSchema,
      }),
    /** Owner rejects (not in the seed; in mycel-sdk 0.1.83 as reject_join). Rejecting an approved request is a 409. */
    rejectJoin: (chatId: string, requestId: string, opts: CallOptions = {}): Promise<MycelJoinRequest> =>
      this.http.request({
        ...opts,
        method: 'POST',
        path: path(R.chats.rejectJoin, { chat_id: chatId, request_id: requestId }),
        body: {},
        schema: joinRequestSchema,
      }),
    /** Receiver-side quiet mode: messages are stored for the member, but its runtime is not woken. */
    muteMember: (chatId: string, userId: string, opts: CallOptions = {}): Promise<MycelMuteResult> =>
      this.http.request({
        ...opts,
        method: 'POST',
        path: path(R.chats.mute, { chat_id: chatId }),
        body: { user_id: userId, muted: true },
        schema: muteSchema,
      }),
    unmuteMember: (chatId: string, userId: string, opts: CallOptions = {}): Promise<MycelMuteResult> =>
      this.http.request({
        ...opts,
        method: 'POST',
        path: path(R.chats.mute, { chat_id: chatId }),
        body: { user_id: userId, muted: false },
        schema: muteSchema,
      }),
  };

  readonly messages = {
    /**
     * Returns the caller's unread messages and marks exactly those read, in one atomic call (a
     * message that lands meanwhile stays unread, so the caught-up rule still catches it). Reading
     * again is harmless: the messages are already read, so nothing is lost by a retry.
     */
    read: (chatId: string, opts: CallOptions = {}): Promise<MycelMessage[]> =>
      this.http.request({
        ...opts,
        method: 'POST',
        path: path(R.messages.read, { chat_id: chatId }),
        schema: messageListSchema,
      }),
    /** The caller's unread messages, without marking them read. */
    unread: (chatId: string, opts: CallOptions = {}): Promise<MycelMessage[]> =>
      this.http.request({
        ...opts,
        method: 'GET',
        path: path(R.messages.unread, { chat_id: chatId }),
        schema: messageListSchema,
      }),
    /** Marks every message up to `seq` read (`mark_read`). */
    markRead: (chatId: string, upToSeq: number, opts: CallOptions = {}): Promise<void> =>
      this.http
        .request({
          ...opts,
          method: 'POST',
          path: path(R.messages.markRead, { chat_id: chatId }),
          body: { up_to_seq: upToSeq },
          schema: okSchema,
        })
        .then(() => undefined),
    /**
     * Sends `text` as the caller. With `enforceCaughtUp` (the default) a stale chat fails with
     * {@link ChatNotCaughtUpError}: read, then send again.
     */
    send: async (chatId: string, text: string, opts: SendMessageOptions = {}): Promise<MycelMessage> => {
      const { enforceCaughtUp = true, mentions, ...call } = opts;
      try {
        return await this.http.request({
          ...call,
          method: 'POST',
          path: path(R.messages.collection, { chat_id: chatId }),
          body: { content: text, mentioned_ids: mentions, enforce_caught_up: enforceCaughtUp },
          schema: messageSchema,
        });
      } catch (err) {
        if (enforceCaughtUp && isChatNotCaughtUp(err)) throw asNotCaughtUp(err);
        throw err;
      }
    },
    /** History, oldest first within the page. Page backwards with `before` = the first message's `seq`. */
    list: (chatId: string, opts: ListMessagesOptions = {}): Promise<MycelMessage[]> => {
      const { limit, before, ...call } = opts;
      return this.http.request({
        ...call,
        method: 'GET',
        path: path(R.messages.collection, { chat_id: chatId }),
        query: { limit, before },
        schema: messageListSchema,
      });
    },
  };

  readonly notifications = {
    /**
     * Returns every notification not yet drained, and marks them delivered. Metadata only. Not
     * replayable: an answer lost on the way is gone (the platform ignores Idempotency-Key), so use
     * it to acknowledge what was already recorded, not to read.
     */
    drain: (opts: CallOptions = {}): Promise<MycelDrainResult> =>
      this.http.request({ ...opts, method: 'POST', path: R.notifications.drain, schema: drainSchema }),
    /**
     * Long poll: answers once the caller has notifications not yet drained (with them, taking
     * nothing), or after `timeoutSeconds` with none. Acknowledge with {@link drain}. The HTTP
     * timeout is stretched past the hold unless `opts.timeoutMs` says otherwise.
     */
    wait: (timeoutSeconds = 25, opts: CallOptions = {}): Promise<MycelDrainResult> =>
      this.http.request({
        timeoutMs: timeoutSeconds * 1000 + 10_000,
        ...opts,
        method: 'POST',
        path: R.notifications.wait,
        query: { timeout_seconds: timeoutSeconds },
        schema: drainSchema,
      }),
    /**
     * Streams inbox frames with `seq > sinceSeq`, replayed first, then live; heartbeats are
     * dropped. The generator never reconnects: on a cut it throws ConnectionError and the caller
     * resumes with the last `seq` it saw (heartbeat that as the cursor).
     */
    stream: (sinceSeq = 0, opts: StreamOptions = {}): AsyncGenerator<MycelInboxFrame> =>
      this.streamFrames(sinceSeq, opts),
  };

  readonly relationships = {
    /** Asks `userId` for a relationship; they are notified. Starts `pending`. */
    request: (userId: string, opts: CallOptions = {}): Promise<MycelRelationship> =>
      this.http.request({
        ...opts,
        method: 'POST',
        path: R.relationships.request,
        body: { target_user_id: userId },
        schema: relationshipSchema,
      }),
    list: (opts: CallOptions = {}): Promise<MycelRelationship[]> =>
      this.http.request({ ...opts, method: 'GET', path: R.relationships.collection, schema: relationshipListSchema }),
    /** The recipient approves: `pending` → `visit`. Approving your own request is a 409. */
    approve: (relationshipId: string, opts: CallOptions = {}): Promise<MycelRelationship> =>
      this.http.request({
        ...opts,
        method: 'POST',
        path: path(R.relationships.approve, { relationship_id: relationshipId }),
        body: {},
        schema: relationshipSchema,
      }),
    reject: (relationshipId: string, opts: CallOptions = {}): Promise<MycelRelationship> =>
      this.http.request({
        ...opts,
        method: 'POST',
        path: path(R.relationships.reject, { relationship_id: relationshipId }),
        body: {},
        schema: relationshipSchema,
      }),
  };

  readonly threads = {
    /** Creates a runtime thread for a managed agent the caller owns (`/api/threads`, per the seed). */
    create: (agentUserId: string, sandbox = 'local', opts: CallOptions = {}): Promise<MycelThread> =>
      this.http.request({
        ...opts,
        method: 'POST',
        path: R.threads.collection,
        body: { agent_user_id: agentUserId, sandbox },
        schema: threadSchema,
      }),
  };

  /**
   * The notification stream over a WebSocket, as mycel-sdk 0.1.83 reads it
   * (`/api/runtime/inbox/subscribe`, `{"type":"resume","since_seq":N}`). A refused handshake throws
   * the platform's error for its status (404 when the backend has no such route); a cut throws a
   * retryable ConnectionError; a clean close ends the generator. Never reconnects by itself.
   */
  private async *streamFrames(sinceSeq: number, opts: StreamOptions): AsyncGenerator<MycelInboxFrame> {
    const route = R.notifications.subscribe;
    const ctx = { platform: 'mycel' as const, alias: this.http.alias, method: 'GET', path: route };
    const ws = new WebSocket(this.http.url(route).replace(/^http/, 'ws'), {
      headers: this.token ? { authorization: `Bearer ${this.token}` } : {},
      handshakeTimeout: 10_000,
    });
    const queue: unknown[] = [];
    let ended = false;
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    const poke = () => {
      wake?.();
      wake = undefined;
    };
    ws.on('open', () => ws.send(JSON.stringify({ type: 'resume', since_seq: sinceSeq })));
    ws.on('message', (raw: Buffer) => {
      try {
        queue.push(JSON.parse(String(raw)));
      } catch {
        // Not JSON: nothing this reader understands.
      }
      poke();
    });
    ws.on('unexpected-response', (_req, res) => {
      failure = errorFromResponse(ctx, res.statusCode ?? 502, {
        detail: `WebSocket handshake refused (${res.statusCode})`,
      });
      ws.terminate();
    });
    ws.on('error', (err) => {
      failure ??= new ConnectionError({ ...ctx, detail: err.message, cause: err });
      poke();
    });
    ws.on('close', (code) => {
      ended = true;
      // 1000/1001 are clean ends; anything else (1006: the connection dropped) is a cut.
      if (code !== 1000 && code !== 1001)
        failure ??= new ConnectionError({ ...ctx, detail: `notification stream closed (${code})` });
      poke();
    });
    const onAbort = () => ws.terminate();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let last = sinceSeq;
    try {
      for (;;) {
        while (queue.length > 0) {
          const parsed = inboxFrameSchema.safeParse(queue.shift());
          // Heartbeats and unknown kinds (a newer backend) are skipped rather than failing the stream.
          if (!parsed.success) continue;
          const frame = parsed.data;
          if (frame.type === 'notify') {
            // Resume must never hand the caller a frame twice, even if the server replays generously.
            if (frame.seq <= last) continue;
            last = frame.seq;
          }
          yield frame;
        }
        if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
        if (failure) throw failure;
        if (ended) return;
        await new Promise<void>((r) => (wake = r));
      }
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
    }
  }
}

function asNotCaughtUp(err: ProviderError): ChatNotCaughtUpError {
  return new ChatNotCaughtUpError({
    platform: err.platform,
    alias: err.alias,
    method: err.method,
    path: err.path,
    status: err.status,
    code: CHAT_NOT_CAUGHT_UP,
    detail: err.detail,
    requestId: err.requestId,
    retryAfterSeconds: err.retryAfterSeconds,
    extra: err.extra,
    cause: err,
  });
}
