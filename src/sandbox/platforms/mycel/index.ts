/**
 * Mycel simulator: bearer-token identities, direct and group chats, messages with per-member read
 * cursors and the caught-up rule, join requests, member mute, relationships, per-user runtime
 * notifications (drain + SSE stream with `seq`), and managed-agent threads.
 *
 * Paths and wire shapes follow src/providers/mycel/routes.ts and schemas.ts. Errors use the FastAPI
 * envelope `{detail}` plus a `code` (as a custom exception handler would add) so tests can assert on it.
 *
 * Identities: a token maps to a user id through `ctx.keys` (`POST /_control/keys {platform:'mycel',
 * key, identity}`; `sb_mycel_default` is user `default`) or through the sim's own token table, which
 * holds the seeded tokens below plus tokens issued by login/register/create_external. The sim's
 * table exists because `/_control/reset` resets the KeyRing *after* the sims, so keys a sim added to
 * `ctx.keys` during its reset would be wiped at once. Any identity a token names is a user
 * (created on first sight), so tests can invent users with one control call.
 *
 * Decisions the seed leaves open (documented here because callers rely on them):
 * - Approving an approved join request (or relationship) returns it again (200, idempotent);
 *   approving a rejected one, or rejecting an approved one, is 409 `join_request_already_decided`.
 * - Requesting to join twice while pending returns the pending request; a member asking is 409.
 * - A new member starts caught up (no unread history). Joining writes no message into the chat.
 * - Notifications: a join request notifies the chat owner; approval notifies the requester; a
 *   relationship request notifies the recipient and approval the requester; a message notifies
 *   every other member that has not muted (a mention does not override mute).
 * - Drain returns notifications not yet drained and marks them delivered; the stream replays by
 *   `seq` regardless of drain (the two are independent views of the same inbox).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import { bearer, HttpError, intParam, newId, type PlatformSim, type Route, type SandboxRequest } from '../../framework.js';
import type { SandboxContext } from '../../server.js';

/** Seeded token → user id. Tests and demos use these without any setup. */
export const MYCEL_SEED_TOKENS: Readonly<Record<string, string>> = {
  sb_mycel_owner: 'owner',
  sb_mycel_visitor: 'visitor',
  'sb_mycel_agent-b': 'agent-b',
};

/** A managed agent owned by `owner`, seeded for thread/mute demos. */
export const MYCEL_DEMO_AGENT = 'm_demo_agent';

/** The one-time code the simulated OTP mail always carries (as in the seed's example). */
export const MYCEL_SANDBOX_OTP = '123456';

const HEARTBEAT_MS = 1_000;
/** Frames kept per user for stream replay (the public backend keeps 256). */
const REPLAY_LIMIT = 256;

type UserType = 'human' | 'external' | 'agent';

interface User {
  id: string;
  display_name: string;
  type: UserType;
  owner_user_id?: string;
  email?: string;
  password?: string;
}

interface Member {
  user_id: string;
  /** Seq of the last message this member has read (0 = none). */
  last_read_seq: number;
  muted: boolean;
  joined_at: string;
}

interface Message {
  id: string;
  seq: number;
  chat_id: string;
  sender_id: string;
  content: string;
  message_type: string;
  mentioned_ids: string[];
  created_at: string;
}

interface Chat {
  id: string;
  type: 'direct' | 'group';
  title: string | null;
  owner_user_id: string | null;
  members: Map<string, Member>;
  messages: Message[];
  created_at: string;
  /** Sorted pair for direct chats (find-or-create). */
  direct_key?: string;
}

interface JoinRequest {
  id: string;
  chat_id: string;
  requester_user_id: string;
  message: string | null;
  state: 'pending' | 'approved' | 'rejected';
  decided_by: string | null;
  created_at: string;
  decided_at: string | null;
}

interface Relationship {
  id: string;
  user_low: string;
  user_high: string;
  initiator_user_id: string;
  state: 'pending' | 'visit' | 'rejected';
  created_at: string;
  updated_at: string;
}

interface Frame {
  seq: number;
  ts: number;
  fingerprint: string;
  metadata: Record<string, unknown>;
  delivered: boolean;
}

interface Inbox {
  seq: number;
  frames: Frame[];
  listeners: Set<(f: Frame) => void>;
}

/** The simulator's state as JSON: Maps as entry lists, inboxes without their listeners. */
interface MycelSnapshot {
  users: User[];
  tokens: [string, string][];
  chats: (Omit<Chat, 'members'> & { members: Member[] })[];
  joinRequests: JoinRequest[];
  relationships: Relationship[];
  inboxes: [string, { seq: number; frames: Frame[] }][];
  threads: Record<string, unknown>[];
  pendingOtp: [string, { password: string; invite_code: string }][];
  tempTokens: [string, string][];
}

const now = () => new Date().toISOString();

function str(body: Record<string, unknown>, name: string, { required = true } = {}): string | undefined {
  const v = body[name];
  if (v === undefined || v === null) {
    if (required) throw new HttpError(422, 'validation_error', `body.${name}: field required`);
    return undefined;
  }
  if (typeof v !== 'string') throw new HttpError(422, 'validation_error', `body.${name}: must be a string`);
  return v;
}

export function createMycelSim(ctx: SandboxContext): PlatformSim {
  let users = new Map<string, User>();
  let tokens = new Map<string, string>();
  let chats = new Map<string, Chat>();
  let joinRequests = new Map<string, JoinRequest>();
  let relationships = new Map<string, Relationship>();
  let inboxes = new Map<string, Inbox>();
  let threads = new Map<string, Record<string, unknown>>();
  let pendingOtp = new Map<string, { password: string; invite_code: string }>();
  let tempTokens = new Map<string, string>();
  /** Open SSE responses, ended on reset so tests never hang on a stream from a previous case. */
  const openSockets = new Set<WebSocket>();

  /**
   * The notification stream as mycel-sdk 0.1.83 reads it: a WebSocket at
   * `/api/runtime/inbox/subscribe` (bearer token in the handshake); the client sends
   * `{"type":"resume","since_seq":N}` and gets every frame after N, replayed then live, as JSON
   * `{type:"notify", seq, metadata, …}`; `replay_overflow` when N is older than the replay buffer.
   * Replay and subscription happen together, synchronously: a frame produced meanwhile is neither
   * lost nor doubled.
   */
  function subscribe(ws: WebSocket, req: { identity: string }): void {
    const inbox = inboxOf(req.identity);
    let sent = -1;
    const write = (f: Frame) => {
      if (sent < 0 || f.seq <= sent || ws.readyState !== ws.OPEN) return;
      sent = f.seq;
      ws.send(JSON.stringify(frameJson(f)));
    };
    openSockets.add(ws);
    const beat = setInterval(() => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'heartbeat' }));
    }, HEARTBEAT_MS);
    ws.on('message', (raw: Buffer) => {
      let msg: { type?: unknown; since_seq?: unknown };
      try {
        msg = JSON.parse(String(raw)) as typeof msg;
      } catch {
        return ws.close(1003, 'frames are JSON');
      }
      if (msg.type !== 'resume' || sent >= 0) return;
      const since = Number.isInteger(msg.since_seq) && (msg.since_seq as number) >= 0 ? (msg.since_seq as number) : 0;
      sent = since;
      const oldest = inbox.frames[0];
      if (oldest && since < oldest.seq - 1) ws.send(JSON.stringify({ type: 'replay_overflow', since_seq: since, oldest_seq: oldest.seq }));
      for (const f of inbox.frames) write(f);
      inbox.listeners.add(write);
    });
    ws.on('close', () => {
      clearInterval(beat);
      inbox.listeners.delete(write);
      openSockets.delete(ws);
    });
  }

  function seed(): void {
    users = new Map();
    tokens = new Map(Object.entries(MYCEL_SEED_TOKENS));
    chats = new Map();
    joinRequests = new Map();
    relationships = new Map();
    inboxes = new Map();
    threads = new Map();
    pendingOtp = new Map();
    tempTokens = new Map();
    addUser({ id: 'default', display_name: 'Default', type: 'human' });
    addUser({ id: 'owner', display_name: 'Owner', type: 'human', email: 'owner@example.com', password: 'owner-pw' });
    addUser({ id: 'visitor', display_name: 'Visitor', type: 'human', email: 'visitor@example.com', password: 'visitor-pw' });
    addUser({ id: 'agent-b', display_name: 'Agent B', type: 'external' });
    addUser({ id: MYCEL_DEMO_AGENT, display_name: 'Demo Agent', type: 'agent', owner_user_id: 'owner' });
  }

  function addUser(u: User): User {
    users.set(u.id, u);
    return u;
  }

  /** Any identity a token names is a user, created on first sight. */
  function ensureUser(id: string): User {
    return users.get(id) ?? addUser({ id, display_name: id, type: 'human' });
  }

  function issueToken(userId: string): string {
    const token = `mycel_tok_${randomUUID().replace(/-/g, '')}`;
    tokens.set(token, userId);
    return token;
  }

  function userView(u: User) {
    return { id: u.id, display_name: u.display_name, type: u.type, owner_user_id: u.owner_user_id ?? null, email: u.email ?? null };
  }

  // ---- notifications -------------------------------------------------------------------------

  function inboxOf(userId: string): Inbox {
    let inbox = inboxes.get(userId);
    if (!inbox) {
      inbox = { seq: 0, frames: [], listeners: new Set() };
      inboxes.set(userId, inbox);
    }
    return inbox;
  }

  function notify(userId: string, metadata: Record<string, unknown>): void {
    const inbox = inboxOf(userId);
    const frame: Frame = {
      seq: ++inbox.seq,
      ts: Date.now() / 1000,
      fingerprint: createHash('sha256').update(JSON.stringify(metadata)).digest('hex'),
      metadata,
      delivered: false,
    };
    inbox.frames.push(frame);
    // Bounded like the real replay buffer: a soak must not grow memory without limit.
    if (inbox.frames.length > REPLAY_LIMIT) inbox.frames.splice(0, inbox.frames.length - REPLAY_LIMIT);
    for (const l of inbox.listeners) l(frame);
  }

  function frameJson(f: Frame) {
    return { type: 'notify', seq: f.seq, fingerprint: f.fingerprint, ts: f.ts, metadata: f.metadata };
  }

  // ---- chats ---------------------------------------------------------------------------------

  function chatOr404(id: string): Chat {
    const chat = chats.get(id);
    if (!chat) throw new HttpError(404, 'chat_not_found', 'Chat not found');
    return chat;
  }

  function memberOr403(chat: Chat, userId: string): Member {
    const m = chat.members.get(userId);
    if (!m) throw new HttpError(403, 'not_a_participant', 'Not a participant of this chat');
    return m;
  }

  function groupOr400(chat: Chat): void {
    if (chat.type !== 'group') throw new HttpError(400, 'not_a_group_chat', 'Join requests exist only for group chats');
  }

  function ownerOr403(chat: Chat, userId: string): void {
    if (chat.owner_user_id !== userId) throw new HttpError(403, 'not_chat_owner', 'Only the chat owner can manage join requests');
  }

  function lastSeq(chat: Chat): number {
    return chat.messages.at(-1)?.seq ?? 0;
  }

  function addMember(chat: Chat, userId: string): Member {
    // A new member starts caught up: history from before joining is not "unread" for them.
    const m: Member = { user_id: userId, last_read_seq: lastSeq(chat), muted: false, joined_at: now() };
    chat.members.set(userId, m);
    return m;
  }

  function newChat(type: Chat['type'], ownerId: string | null, title: string | null, memberIds: string[]): Chat {
    const chat: Chat = { id: newId('chat'), type, title, owner_user_id: ownerId, members: new Map(), messages: [], created_at: now() };
    for (const id of memberIds) addMember(chat, id);
    chats.set(chat.id, chat);
    return chat;
  }

  function unreadFor(chat: Chat, userId: string): Message[] {
    const m = chat.members.get(userId);
    if (!m) return [];
    return chat.messages.filter((msg) => msg.seq > m.last_read_seq && msg.sender_id !== userId);
  }

  function messageView(msg: Message) {
    return { ...msg, sender_name: users.get(msg.sender_id)?.display_name ?? 'unknown' };
  }

  function chatView(chat: Chat, viewer: string) {
    return {
      id: chat.id,
      title: chat.title,
      type: chat.type,
      status: 'active',
      owner_user_id: chat.owner_user_id,
      created_at: chat.created_at,
      unread_count: unreadFor(chat, viewer).length,
      members: [...chat.members.values()].map((m) => {
        const u = users.get(m.user_id);
        return { user_id: m.user_id, display_name: u?.display_name ?? m.user_id, type: u?.type ?? 'human', muted: m.muted };
      }),
    };
  }

  // ---- relationships -------------------------------------------------------------------------

  function pairKey(a: string, b: string): [string, string] {
    return a < b ? [a, b] : [b, a];
  }

  function relationshipBetween(a: string, b: string): Relationship | undefined {
    const [low, high] = pairKey(a, b);
    for (const r of relationships.values()) if (r.user_low === low && r.user_high === high) return r;
    return undefined;
  }

  function relView(r: Relationship, viewer: string) {
    return {
      id: r.id,
      other_user_id: viewer === r.user_low ? r.user_high : r.user_low,
      state: r.state,
      is_requester: r.state === 'pending' && viewer === r.initiator_user_id,
      created_at: r.created_at,
      updated_at: r.updated_at,
    };
  }

  function relOr404(id: string, viewer: string): Relationship {
    const r = relationships.get(id);
    if (!r) throw new HttpError(404, 'relationship_not_found', 'Relationship not found');
    if (viewer !== r.user_low && viewer !== r.user_high) throw new HttpError(403, 'not_a_party', 'Not a party of this relationship');
    return r;
  }

  function decideJoin(req: SandboxRequest, decision: 'approved' | 'rejected') {
    const chat = chatOr404(req.params.chat_id!);
    ownerOr403(chat, req.identity);
    const jr = joinRequests.get(req.params.request_id!);
    if (!jr || jr.chat_id !== chat.id) throw new HttpError(404, 'join_request_not_found', 'Join request not found');
    if (jr.state === decision) return { status: 200, body: jr };
    if (jr.state !== 'pending') {
      throw new HttpError(409, 'join_request_already_decided', `Join request was already ${jr.state}`);
    }
    jr.state = decision;
    jr.decided_by = req.identity;
    jr.decided_at = now();
    if (decision === 'approved' && !chat.members.has(jr.requester_user_id)) addMember(chat, jr.requester_user_id);
    notify(jr.requester_user_id, {
      event_type: decision === 'approved' ? 'chat.join_approved' : 'chat.join_rejected',
      notification_type: 'chat_join_request',
      chat_id: chat.id,
      request_id: jr.id,
      sender_id: req.identity,
    });
    return { status: 200, body: jr };
  }

  function decideRelationship(req: SandboxRequest, decision: 'visit' | 'rejected') {
    const r = relOr404(req.params.relationship_id!, req.identity);
    if (r.state === decision) return { status: 200, body: relView(r, req.identity) };
    if (r.state !== 'pending') throw new HttpError(409, 'invalid_transition', `Relationship is ${r.state}, not pending`);
    if (r.initiator_user_id === req.identity) {
      throw new HttpError(409, 'own_request', `Cannot ${decision === 'visit' ? 'approve' : 'reject'} your own request`);
    }
    r.state = decision;
    r.updated_at = now();
    notify(r.initiator_user_id, {
      event_type: decision === 'visit' ? 'relationship.approved' : 'relationship.rejected',
      notification_type: 'relationship',
      relationship_id: r.id,
      sender_id: req.identity,
    });
    return { status: 200, body: relView(r, req.identity) };
  }

  // ---- routes --------------------------------------------------------------------------------

  const routes: Route[] = [
    // auth (no token needed)
    {
      method: 'POST',
      pattern: '/api/auth/send-otp',
      auth: false,
      handler: (req) => {
        const email = str(req.body, 'email')!;
        const password = str(req.body, 'password')!;
        const invite_code = str(req.body, 'invite_code')!;
        if (!email.includes('@')) throw new HttpError(400, 'invalid_email', 'Invalid email');
        if ([...users.values()].some((u) => u.email === email)) throw new HttpError(400, 'email_taken', 'Email already registered');
        pendingOtp.set(email, { password, invite_code });
        return { status: 200, body: { ok: true } };
      },
    },
    {
      method: 'POST',
      pattern: '/api/auth/verify-otp',
      auth: false,
      handler: (req) => {
        const email = str(req.body, 'email')!;
        const token = str(req.body, 'token')!;
        if (!pendingOtp.has(email) || token !== MYCEL_SANDBOX_OTP) throw new HttpError(400, 'invalid_otp', 'Invalid or expired code');
        const temp = `tmp_${randomUUID().replace(/-/g, '')}`;
        tempTokens.set(temp, email);
        return { status: 200, body: { temp_token: temp } };
      },
    },
    {
      method: 'POST',
      pattern: '/api/auth/complete-register',
      auth: false,
      handler: (req) => {
        const temp = str(req.body, 'temp_token')!;
        const invite = str(req.body, 'invite_code')!;
        const email = tempTokens.get(temp);
        const pending = email ? pendingOtp.get(email) : undefined;
        if (!email || !pending) throw new HttpError(400, 'invalid_temp_token', 'Invalid or expired registration token');
        if (pending.invite_code !== invite) throw new HttpError(400, 'invalid_invite_code', 'Invite code does not match');
        tempTokens.delete(temp);
        pendingOtp.delete(email);
        const user = addUser({ id: newId('u'), display_name: email.split('@')[0]!, type: 'human', email, password: pending.password });
        return { status: 200, body: { token: issueToken(user.id), user: userView(user) } };
      },
    },
    {
      method: 'POST',
      pattern: '/api/auth/login',
      auth: false,
      handler: (req) => {
        const identifier = str(req.body, 'identifier')!;
        const password = str(req.body, 'password')!;
        const user = [...users.values()].find((u) => (u.email === identifier || u.id === identifier) && u.password !== undefined);
        if (!user || user.password !== password) throw new HttpError(401, 'invalid_credentials', 'Invalid email or password');
        return { status: 200, body: { token: issueToken(user.id), user: userView(user) } };
      },
    },

    // identities
    {
      method: 'POST',
      // mycel-sdk 0.1.83: create_external_user → POST /api/auth/external-users
      pattern: '/api/auth/external-users',
      handler: (req) => {
        const caller = ensureUser(req.identity);
        if (caller.type === 'agent') throw new HttpError(403, 'forbidden', 'Agents cannot create identities');
        const id = str(req.body, 'user_id')!;
        const display_name = str(req.body, 'display_name')!;
        if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(id)) throw new HttpError(422, 'validation_error', 'body.user_id: invalid id');
        if (users.has(id)) throw new HttpError(409, 'user_exists', `User ${id} already exists`);
        const user = addUser({ id, display_name, type: 'external', owner_user_id: caller.id });
        return { status: 200, body: { ...userView(user), user_id: user.id, token: issueToken(user.id) } };
      },
    },
    // mycel-sdk 0.1.83: whoami → GET /api/auth/me
    { method: 'GET', pattern: '/api/auth/me', handler: (req) => ({ status: 200, body: userView(ensureUser(req.identity)) }) },

    // chats
    {
      method: 'GET',
      pattern: '/api/chats',
      handler: (req) => ({
        status: 200,
        body: [...chats.values()].filter((c) => c.members.has(req.identity)).map((c) => chatView(c, req.identity)),
      }),
    },
    {
      method: 'POST',
      pattern: '/api/chats',
      handler: (req) => {
        const ids: unknown = req.body.user_ids;
        if (!Array.isArray(ids) || ids.some((x) => typeof x !== 'string')) {
          throw new HttpError(422, 'validation_error', 'body.user_ids: must be a list of strings');
        }
        const title = str(req.body, 'title', { required: false }) ?? null;
        const others = [...new Set(ids as string[])].filter((id) => id !== req.identity);
        // mycel-sdk 0.1.83 CreateChatBody.kind: auto (default) | direct | group; `auto` makes a direct
        // chat for one other participant, as a real backend may.
        const kind = req.body.kind ?? 'auto';
        if (kind !== 'auto' && kind !== 'direct' && kind !== 'group') throw new HttpError(422, 'validation_error', 'body.kind: must be auto, direct or group');
        if (kind === 'direct' || (kind === 'auto' && others.length === 1 && !title)) {
          if (others.length !== 1) throw new HttpError(400, 'invalid_target', 'A direct chat has exactly one other participant');
          const target = others[0]!;
          if (!users.has(target)) throw new HttpError(404, 'user_not_found', `User ${target} not found`);
          const key = pairKey(req.identity, target).join(' ');
          let chat = [...chats.values()].find((c) => c.direct_key === key);
          if (!chat) {
            chat = newChat('direct', null, null, [req.identity, target]);
            chat.direct_key = key;
          }
          return { status: 200, body: chatView(chat, req.identity) };
        }
        for (const id of others) {
          const u = users.get(id);
          if (!u) throw new HttpError(400, 'unknown_participant', `Unknown chat participant id: ${id}`);
          // Seed: "visit is enough for ordinary group chat creation". Agents follow backend policy: allowed.
          if (u.type === 'agent' || u.owner_user_id === req.identity) continue;
          const r = relationshipBetween(req.identity, id);
          if (r?.state !== 'visit') {
            throw new HttpError(400, 'relationship_required', `Active relationship required for group chat participant: ${id}`);
          }
        }
        const chat = newChat('group', req.identity, title, [req.identity, ...others]);
        return { status: 200, body: chatView(chat, req.identity) };
      },
    },
    {
      method: 'GET',
      pattern: '/api/chats/{chat_id}',
      handler: (req) => {
        const chat = chatOr404(req.params.chat_id!);
        memberOr403(chat, req.identity);
        return { status: 200, body: chatView(chat, req.identity) };
      },
    },
    {
      method: 'GET',
      pattern: '/api/chats/{chat_id}/join-target',
      handler: (req) => {
        const chat = chatOr404(req.params.chat_id!);
        groupOr400(chat);
        const pending = [...joinRequests.values()].find((j) => j.chat_id === chat.id && j.requester_user_id === req.identity && j.state === 'pending');
        return {
          status: 200,
          body: {
            chat_id: chat.id,
            title: chat.title,
            owner_user_id: chat.owner_user_id,
            member_count: chat.members.size,
            is_member: chat.members.has(req.identity),
            pending_request_id: pending?.id ?? null,
          },
        };
      },
    },
    {
      method: 'POST',
      pattern: '/api/chats/{chat_id}/join-requests',
      handler: (req) => {
        const chat = chatOr404(req.params.chat_id!);
        groupOr400(chat);
        if (chat.members.has(req.identity)) throw new HttpError(409, 'already_member', 'Already a member of this chat');
        const existing = [...joinRequests.values()].find((j) => j.chat_id === chat.id && j.requester_user_id === req.identity && j.state === 'pending');
        if (existing) return { status: 200, body: existing };
        const jr: JoinRequest = {
          id: newId('jr'),
          chat_id: chat.id,
          requester_user_id: req.identity,
          message: str(req.body, 'message', { required: false }) ?? null,
          state: 'pending',
          decided_by: null,
          created_at: now(),
          decided_at: null,
        };
        joinRequests.set(jr.id, jr);
        if (chat.owner_user_id) {
          notify(chat.owner_user_id, {
            event_type: 'chat.join_request',
            notification_type: 'chat_join_request',
            chat_id: chat.id,
            request_id: jr.id,
            sender_id: req.identity,
            sender_name: ensureUser(req.identity).display_name,
          });
        }
        return { status: 200, body: jr };
      },
    },
    {
      method: 'GET',
      pattern: '/api/chats/{chat_id}/join-requests',
      handler: (req) => {
        const chat = chatOr404(req.params.chat_id!);
        groupOr400(chat);
        ownerOr403(chat, req.identity);
        const state = req.query.get('state');
        const rows = [...joinRequests.values()].filter((j) => j.chat_id === chat.id && (!state || j.state === state));
        return { status: 200, body: rows };
      },
    },
    { method: 'POST', pattern: '/api/chats/{chat_id}/join-requests/{request_id}/approve', handler: (req) => decideJoin(req, 'approved') },
    { method: 'POST', pattern: '/api/chats/{chat_id}/join-requests/{request_id}/reject', handler: (req) => decideJoin(req, 'rejected') },
    {
      method: 'POST',
      pattern: '/api/chats/{chat_id}/mute',
      handler: (req) => {
        const chat = chatOr404(req.params.chat_id!);
        const userId = str(req.body, 'user_id')!;
        if (typeof req.body.muted !== 'boolean') throw new HttpError(422, 'validation_error', 'body.muted: must be a boolean');
        const member = chat.members.get(userId);
        if (!member) throw new HttpError(404, 'member_not_found', `${userId} is not a member of this chat`);
        // Backend policy (the SDK decides nothing): yourself, an identity you own, or anyone in a chat you own.
        const allowed = userId === req.identity || users.get(userId)?.owner_user_id === req.identity || chat.owner_user_id === req.identity;
        if (!allowed) throw new HttpError(403, 'forbidden', 'User does not belong to you');
        member.muted = req.body.muted;
        return { status: 200, body: { status: 'ok', user_id: userId, muted: member.muted } };
      },
    },

    // messages
    {
      method: 'GET',
      pattern: '/api/chats/{chat_id}/messages',
      handler: (req) => {
        const chat = chatOr404(req.params.chat_id!);
        memberOr403(chat, req.identity);
        const limit = intParam(req.query, 'limit', 50, { max: 200 });
        // mycel-sdk 0.1.83 list_all pages with before = str(oldest seq).
        const before = req.query.get('before');
        let msgs = chat.messages;
        if (before) {
          const seq = Number(before);
          if (!Number.isInteger(seq) || seq < 0) throw new HttpError(422, 'validation_error', 'query.before: must be a message seq');
          msgs = msgs.filter((m) => m.seq < seq);
        }
        return { status: 200, body: msgs.slice(-limit).map(messageView) };
      },
    },
    {
      method: 'POST',
      pattern: '/api/chats/{chat_id}/messages',
      handler: (req) => {
        const chat = chatOr404(req.params.chat_id!);
        const content = str(req.body, 'content')!;
        if (!content.trim()) throw new HttpError(400, 'empty_content', 'Content cannot be empty');
        memberOr403(chat, req.identity);
        const mentions: unknown = req.body.mentioned_ids ?? [];
        if (!Array.isArray(mentions) || mentions.some((x) => typeof x !== 'string')) {
          throw new HttpError(422, 'validation_error', 'body.mentioned_ids: must be a list of strings');
        }
        if (req.body.enforce_caught_up === true) {
          const unread = unreadFor(chat, req.identity).length;
          if (unread > 0) {
            throw new HttpError(
              409,
              'chat_not_caught_up',
              `Chat not caught up: ${unread} unread message${unread === 1 ? '' : 's'}; read the chat before sending`,
            );
          }
        }
        const msg: Message = {
          id: newId('msg'),
          seq: lastSeq(chat) + 1,
          chat_id: chat.id,
          sender_id: req.identity,
          content,
          message_type: 'human',
          mentioned_ids: mentions as string[],
          created_at: now(),
        };
        chat.messages.push(msg);
        const sender = ensureUser(req.identity);
        for (const m of chat.members.values()) {
          // Mute is receiver-side quiet mode: stored, but no wake — and mentions do not override it.
          if (m.user_id === req.identity || m.muted) continue;
          notify(m.user_id, {
            event_type: 'chat.message',
            notification_type: 'chat',
            chat_id: chat.id,
            message_id: msg.id,
            sender_id: sender.id,
            sender_name: sender.display_name,
            mentioned: msg.mentioned_ids.includes(m.user_id),
            unread_count: unreadFor(chat, m.user_id).length,
          });
        }
        return { status: 200, body: messageView(msg) };
      },
    },
    {
      method: 'GET',
      pattern: '/api/chats/{chat_id}/messages/unread',
      handler: (req) => {
        const chat = chatOr404(req.params.chat_id!);
        memberOr403(chat, req.identity);
        return { status: 200, body: unreadFor(chat, req.identity).map(messageView) };
      },
    },
    {
      // mycel-sdk 0.1.83 read(): one atomic call that returns the unread messages and marks exactly those.
      method: 'POST',
      pattern: '/api/chats/{chat_id}/messages/read',
      handler: (req) => {
        const chat = chatOr404(req.params.chat_id!);
        const member = memberOr403(chat, req.identity);
        const unread = unreadFor(chat, req.identity);
        member.last_read_seq = Math.max(member.last_read_seq, unread.at(-1)?.seq ?? member.last_read_seq);
        return { status: 200, body: unread.map(messageView) };
      },
    },
    {
      // mycel-sdk 0.1.83 mark_read(up_to_seq): body `{up_to_seq: int}` required.
      method: 'POST',
      pattern: '/api/chats/{chat_id}/read',
      handler: (req) => {
        const chat = chatOr404(req.params.chat_id!);
        const member = memberOr403(chat, req.identity);
        const upTo = req.body.up_to_seq;
        if (!Number.isInteger(upTo) || (upTo as number) < 0)
          throw new HttpError(422, 'validation_error', 'body.up_to_seq: field required (a non-negative integer)');
        member.last_read_seq = Math.max(member.last_read_seq, Math.min(upTo as number, lastSeq(chat)));
        return { status: 200, body: { status: 'ok', last_read_seq: member.last_read_seq } };
      },
    },

    // relationships
    {
      method: 'GET',
      pattern: '/api/relationships',
      handler: (req) => ({
        status: 200,
        body: [...relationships.values()].filter((r) => r.user_low === req.identity || r.user_high === req.identity).map((r) => relView(r, req.identity)),
      }),
    },
    {
      method: 'POST',
      pattern: '/api/relationships/request',
      handler: (req) => {
        const target = str(req.body, 'target_user_id')!;
        if (target === req.identity) throw new HttpError(400, 'invalid_target', 'Cannot request relationship with yourself');
        if (!users.has(target)) throw new HttpError(404, 'user_not_found', `User ${target} not found`);
        let r = relationshipBetween(req.identity, target);
        if (r?.state === 'pending' && r.initiator_user_id === req.identity) return { status: 200, body: relView(r, req.identity) };
        if (r?.state === 'pending') throw new HttpError(409, 'invalid_transition', 'The other user already asked you: approve their request');
        if (r?.state === 'visit') throw new HttpError(409, 'invalid_transition', 'Relationship already active');
        const [low, high] = pairKey(req.identity, target);
        if (r) {
          r.state = 'pending';
          r.initiator_user_id = req.identity;
          r.updated_at = now();
        } else {
          r = { id: newId('rel'), user_low: low, user_high: high, initiator_user_id: req.identity, state: 'pending', created_at: now(), updated_at: now() };
          relationships.set(r.id, r);
        }
        notify(target, {
          event_type: 'relationship.request',
          notification_type: 'relationship',
          relationship_id: r.id,
          sender_id: req.identity,
          sender_name: ensureUser(req.identity).display_name,
        });
        return { status: 200, body: relView(r, req.identity) };
      },
    },
    { method: 'POST', pattern: '/api/relationships/{relationship_id}/approve', handler: (req) => decideRelationship(req, 'visit') },
    { method: 'POST', pattern: '/api/relationships/{relationship_id}/reject', handler: (req) => decideRelationship(req, 'rejected') },

    // runtime notifications
    {
      method: 'POST',
      pattern: '/api/runtime/inbox/drain',
      handler: (req) => {
        const fresh = inboxOf(req.identity).frames.filter((f) => !f.delivered);
        for (const f of fresh) f.delivered = true;
        const notifications = fresh.map((f) => ({ seq: f.seq, ...f.metadata }));
        return { status: 200, body: { count: notifications.length, notifications } };
      },
    },
    // threads (path spelled out by the seed)
    {
      method: 'POST',
      pattern: '/api/threads',
      handler: (req) => {
        const agentId = str(req.body, 'agent_user_id')!;
        const sandbox = str(req.body, 'sandbox', { required: false }) ?? 'local';
        const agent = users.get(agentId);
        if (!agent) throw new HttpError(404, 'user_not_found', `Agent user ${agentId} not found`);
        if (agent.type !== 'agent') throw new HttpError(400, 'not_a_managed_agent', `${agentId} is not a managed agent`);
        if (agent.owner_user_id !== req.identity) throw new HttpError(403, 'forbidden', 'Agent does not belong to you');
        const thread = { thread_id: newId('thread'), agent_user_id: agentId, sandbox, status: 'idle', created_at: now() };
        threads.set(thread.thread_id, thread);
        return { status: 200, body: thread };
      },
    },
  ];

  seed();
  return {
    platform: 'mycel',
    authenticate(headers) {
      const key = bearer(headers);
      if (!key) return undefined;
      // ctx.keys first, so a test can point any token (even a seeded one) at another user.
      const identity = ctx.keys.identity('mycel', key) ?? tokens.get(key);
      if (!identity) return undefined;
      ensureUser(identity);
      return { identity, credential: key };
    },
    // FastAPI's `{detail}`, plus a machine code and the request id (what a custom handler adds).
    errorBody: (_status, code, detail, requestId) => ({ detail, code, request_id: requestId }),
    routes,
    sockets: [{ pattern: '/api/runtime/inbox/subscribe', handler: subscribe }],
    reset,
    snapshot(): MycelSnapshot {
      return {
        users: [...users.values()],
        tokens: [...tokens],
        chats: [...chats.values()].map((c) => ({ ...c, members: [...c.members.values()] })),
        joinRequests: [...joinRequests.values()],
        relationships: [...relationships.values()],
        inboxes: [...inboxes].map(([id, { seq, frames }]) => [id, { seq, frames }]),
        threads: [...threads.values()],
        pendingOtp: [...pendingOtp],
        tempTokens: [...tempTokens],
      };
    },
    restore(data: unknown) {
      const snap = structuredClone(data) as MycelSnapshot;
      reset();
      users = new Map(snap.users.map((u) => [u.id, u]));
      tokens = new Map(snap.tokens);
      chats = new Map(snap.chats.map((c) => [c.id, { ...c, members: new Map(c.members.map((m) => [m.user_id, m])) }]));
      joinRequests = new Map(snap.joinRequests.map((j) => [j.id, j]));
      relationships = new Map(snap.relationships.map((r) => [r.id, r]));
      inboxes = new Map(snap.inboxes.map(([id, { seq, frames }]) => [id, { seq, frames, listeners: new Set() }]));
      threads = new Map(snap.threads.map((t) => [String(t.thread_id), t]));
      pendingOtp = new Map(snap.pendingOtp);
      tempTokens = new Map(snap.tempTokens);
    },
  };

  function reset(): void {
    for (const ws of openSockets) ws.terminate();
    openSockets.clear();
    seed();
  }
}
