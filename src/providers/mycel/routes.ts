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
     * `kind` direct (find-or-create with one user) or group. sdk mycel-sdk@0.1.83 (chats.create / ensure_direct,
     * CreateChatBody).
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
    /**
     * GET `?limit&before=<seq>`: history. POST: send, body `{content, mentioned_ids, enforce_caught_up}`. sdk
     * mycel-sdk@0.1.83 (list_all pages by seq).
     */
    collection: '/api/chats/{chat_id}/messages',
    unread: '/api/chats/{chat_id}/messages/unread',
    /**
     * POST, no body: returns the unread messages and marks exactly those read, atomically. sdk mycel-sdk@0.1.83 (read).
     */
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

/** Where one operation's wire shape comes from. */
const SDK = 'sdk mycel-sdk@0.1.83';

/**
 * Every HTTP operation the Mycel client makes: method, route (from {@link MYCEL_ROUTES}) and the
 * source of its shape (`sdk …` / `seed …` / `assumption …`). The operation fixtures
 * (test/providers/mycel.fixtures.test.ts) and the README's Mycel table follow it. The notification
 * WebSocket (`MYCEL_ROUTES.notifications.subscribe`) is not an HTTP exchange and is not listed: the
 * provider tests and the contract suite cover it.
 */
export const MYCEL_OPERATIONS = {
  sendOtp: { method: 'POST', path: MYCEL_ROUTES.auth.sendOtp, source: `${SDK} (auth.send_otp)` },
  verifyOtp: { method: 'POST', path: MYCEL_ROUTES.auth.verifyOtp, source: `${SDK} (auth.verify_otp)` },
  completeRegister: {
    method: 'POST',
    path: MYCEL_ROUTES.auth.completeRegister,
    source: `${SDK} (auth.complete_register)`,
  },
  login: { method: 'POST', path: MYCEL_ROUTES.auth.login, source: `${SDK} (auth.login)` },
  createExternalUser: {
    method: 'POST',
    path: MYCEL_ROUTES.users.createExternal,
    source: `${SDK} generated_adapter.py (create_external_user)`,
  },
  whoami: { method: 'GET', path: MYCEL_ROUTES.me.whoami, source: `${SDK} generated_adapter.py (whoami)` },
  listChats: { method: 'GET', path: MYCEL_ROUTES.chats.collection, source: `${SDK} (chats.list)` },
  /** `chats.ensureDirect` (kind direct, find-or-create) and `chats.create` (kind group). */
  createChat: {
    method: 'POST',
    path: MYCEL_ROUTES.chats.collection,
    source: `${SDK} (chats.create / ensure_direct, CreateChatBody)`,
  },
  getChat: { method: 'GET', path: MYCEL_ROUTES.chats.item, source: `${SDK} (chats.get)` },
  joinTarget: { method: 'GET', path: MYCEL_ROUTES.chats.joinTarget, source: `${SDK} (chats.join_target)` },
  requestJoin: {
    method: 'POST',
    path: MYCEL_ROUTES.chats.joinRequests,
    source: `${SDK} (request_join, ChatJoinRequestBody)`,
  },
  listJoinRequests: { method: 'GET', path: MYCEL_ROUTES.chats.joinRequests, source: `${SDK} (list_join_requests)` },
  approveJoin: {
    method: 'POST',
    path: MYCEL_ROUTES.chats.approveJoin,
    source: `${SDK} (approve_join, ChatJoinRequestActionBody)`,
  },
  rejectJoin: {
    method: 'POST',
    path: MYCEL_ROUTES.chats.rejectJoin,
    source: `${SDK} (reject_join, ChatJoinRequestActionBody)`,
  },
  /** `chats.muteMember` / `unmuteMember`. */
  mute: { method: 'POST', path: MYCEL_ROUTES.chats.mute, source: `${SDK} (mute_member, MuteChatBody)` },
  listMessages: {
    method: 'GET',
    path: MYCEL_ROUTES.messages.collection,
    source: `${SDK} (messages.list / list_all, before=<seq>)`,
  },
  sendMessage: {
    method: 'POST',
    path: MYCEL_ROUTES.messages.collection,
    source: `${SDK} (messages.send, SendMessageBody)`,
  },
  unreadMessages: { method: 'GET', path: MYCEL_ROUTES.messages.unread, source: `${SDK} (messages.unread)` },
  readMessages: { method: 'POST', path: MYCEL_ROUTES.messages.read, source: `${SDK} (messages.read)` },
  markRead: { method: 'POST', path: MYCEL_ROUTES.messages.markRead, source: `${SDK} (mark_read, MarkReadBody)` },
  listRelationships: {
    method: 'GET',
    path: MYCEL_ROUTES.relationships.collection,
    source: `${SDK} (relationships.list)`,
  },
  requestRelationship: {
    method: 'POST',
    path: MYCEL_ROUTES.relationships.request,
    source: `${SDK} (relationships.request, RelationshipRequestBody)`,
  },
  approveRelationship: {
    method: 'POST',
    path: MYCEL_ROUTES.relationships.approve,
    source: `${SDK} (relationships.approve, RelationshipActionBody)`,
  },
  rejectRelationship: {
    method: 'POST',
    path: MYCEL_ROUTES.relationships.reject,
    source: `${SDK} (relationships.reject, RelationshipActionBody)`,
  },
  drainNotifications: {
    method: 'POST',
    path: MYCEL_ROUTES.notifications.drain,
    source: `${SDK} (notifications.drain; answer an untyped dict, README reads notifications)`,
  },
  waitNotifications: {
    method: 'POST',
    path: MYCEL_ROUTES.notifications.wait,
    source: `${SDK} (generated client wait_runtime_inbox, timeout_seconds); assumption: the answer ({count, notifications} like drain, taking nothing)`,
  },
  createThread: {
    method: 'POST',
    path: MYCEL_ROUTES.threads.collection,
    source: `seed README (0.1.45) /api/threads; ${SDK} CreateThreadRequest`,
  },
} as const satisfies Record<string, { method: 'GET' | 'POST'; path: string; source: string }>;
