/**
 * Every HTTP path the Mycel client uses, in one place, with its source. The published SDK (PyPI
 * `mycel-sdk` 0.1.83: a facade, `mycel_sdk/generated_adapter.py`, over the FastAPI-generated
 * `mycel_web_backend_client`) is the wire truth; the seed (its 0.1.45 README) spells out only
 * `/api/threads`. The contract suite (test/contracts/mycel*) drives the sandbox with that SDK.
 *
 * Identity always comes from the bearer token: no path or body carries "acting as" user ids.
 */

export const MYCEL_ROUTES = {
  auth: {
    /** Registration step 1. Body `{email, password, invite_code}`. */
    sendOtp: '/api/auth/send-otp', // sdk mycel-sdk@0.1.83 (generated client)
    /** Registration step 2. Body `{email, token}` → `{temp_token}`. */
    verifyOtp: '/api/auth/verify-otp', // sdk mycel-sdk@0.1.83 (generated client)
    /** Registration step 3. Body `{temp_token, invite_code}` → `{token, user}`. */
    completeRegister: '/api/auth/complete-register', // sdk mycel-sdk@0.1.83 (generated client)
    /** Body `{identifier, password}` → `{token, user}`. */
    login: '/api/auth/login', // sdk mycel-sdk@0.1.83 (generated client)
  },
  users: {
    /** Owner creates an external agent identity. Body `{user_id, display_name}` → `{id, token, …}`. */
    createExternal: '/api/auth/external-users', // sdk mycel-sdk@0.1.83 generated_adapter.py (create_external_user)
  },
  me: {
    /** The identity behind the bearer token. */
    whoami: '/api/auth/me', // sdk mycel-sdk@0.1.83 generated_adapter.py (whoami)
  },
  chats: {
    /**
     * GET: chats of the caller. POST: create, body `{user_ids (others only), title, kind}` with
     * `kind` direct (find-or-create with one user) or group. sdk mycel-sdk@0.1.83 (create_chat, CreateChatBody).
     */
    collection: '/api/chats',
    item: '/api/chats/{chat_id}', // sdk mycel-sdk@0.1.83 (generated client)
    /** What a non-member may see before asking to join. */
    joinTarget: '/api/chats/{chat_id}/join-target', // sdk mycel-sdk@0.1.83 (generated client)
    /** GET: pending and decided join requests (owner). POST: request to join, body `{message}`. */
    joinRequests: '/api/chats/{chat_id}/join-requests', // sdk mycel-sdk@0.1.83 (generated client)
    approveJoin: '/api/chats/{chat_id}/join-requests/{request_id}/approve', // sdk mycel-sdk@0.1.83 (generated client)
    /** Not in the seed; in the SDK's generated client (reject_chat_join). */
    rejectJoin: '/api/chats/{chat_id}/join-requests/{request_id}/reject', // sdk mycel-sdk@0.1.83 (generated client)
    /** Member mute (receiver-side quiet mode). Body `{user_id, muted}`. */
    mute: '/api/chats/{chat_id}/mute', // sdk mycel-sdk@0.1.83 (generated client)
  },
  messages: {
    /** GET `?limit&before=<seq>`: history. POST: send, body `{content, mentioned_ids, enforce_caught_up}`. sdk mycel-sdk@0.1.83 (list_all pages by seq). */
    collection: '/api/chats/{chat_id}/messages',
    unread: '/api/chats/{chat_id}/messages/unread',
    /** POST, no body: returns the unread messages and marks exactly those read, atomically. sdk mycel-sdk@0.1.83 (read). */
    read: '/api/chats/{chat_id}/messages/read',
    /** POST `{up_to_seq}` (required). sdk mycel-sdk@0.1.83 (mark_read, MarkReadBody). */
    markRead: '/api/chats/{chat_id}/read',
  },
  relationships: {
    collection: '/api/relationships', // sdk mycel-sdk@0.1.83 (generated client)
    /** Body `{target_user_id}`. */
    request: '/api/relationships/request', // sdk mycel-sdk@0.1.83 (generated client)
    approve: '/api/relationships/{relationship_id}/approve', // sdk mycel-sdk@0.1.83 (generated client)
    reject: '/api/relationships/{relationship_id}/reject', // sdk mycel-sdk@0.1.83 (generated client)
  },
  notifications: {
    /** POST → `{count, notifications}`; each notification is returned once: the acknowledgement, not replayable. */
    drain: '/api/runtime/inbox/drain', // sdk mycel-sdk@0.1.83 (generated client)
    /**
     * Long poll, query `timeout_seconds` (SDK default 25), no body. Held until a notification is
     * there. sdk mycel-sdk@0.1.83 (generated client: wait_runtime_inbox; not in the facade). Its answer
     * is an untyped dict: `{count, notifications}` like drain, taking nothing, is an assumption.
     */
    wait: '/api/runtime/inbox/wait',
    /**
     * WebSocket; the client sends `{"type":"resume","since_seq":N}`, frames are JSON
     * `{type:'notify', seq, metadata, …}` or `{type:'replay_overflow'}`. sdk mycel-sdk@0.1.83
     * generated_adapter.py (stream), errors.py (ReplayOverflow).
     */
    subscribe: '/api/runtime/inbox/subscribe',
  },
  threads: {
    /** Spelled out by the seed. Body `{agent_user_id, sandbox}`: sdk mycel-sdk@0.1.83 CreateThreadRequest. */
    collection: '/api/threads',
  },
} as const;

/**
 * The error code we normalise the stale-chat 409 to. The public backend answers
 * `HTTPException(409, str(ChatNotCaughtUpError))`, i.e. `{detail: "<message>"}` with no code, so the
 * client also recognises it by status 409 on the send route plus a detail mentioning "caught up" /
 * unread (assumption: the message wording).
 */
export const CHAT_NOT_CAUGHT_UP = 'chat_not_caught_up';
