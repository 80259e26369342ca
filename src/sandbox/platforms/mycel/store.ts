/**
 * The Mycel simulator's state and the rules every product area shares: users and tokens, chats
 * with per-member read cursors, join requests, relationships, per-user runtime inboxes, threads.
 * The routes of each area live beside this file (chats.ts, joinRequests.ts, relationships.ts,
 * inbox.ts, identities.ts); index.ts assembles them into one {@link PlatformSim}.
 *
 * Wire shapes follow src/providers/mycel/routes.ts and schemas.ts. Errors use the FastAPI envelope
 * `{detail}` plus a `code` (as a custom exception handler would add) so tests can assert on it.
 */
import { createHash, randomUUID } from 'node:crypto';
import { HttpError, newId } from '../../framework.js';

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

/** Frames kept per user for stream replay (the public backend keeps 256). */
const REPLAY_LIMIT = 256;

type UserType = 'human' | 'external' | 'agent';

export interface User {
  id: string;
  display_name: string;
  type: UserType;
  owner_user_id?: string;
  email?: string;
  password?: string;
}

export interface Member {
  user_id: string;
  /** Seq of the last message this member has read (0 = none). */
  last_read_seq: number;
  muted: boolean;
  joined_at: string;
}

export interface Message {
  id: string;
  seq: number;
  chat_id: string;
  sender_id: string;
  content: string;
  message_type: string;
  mentioned_ids: string[];
  created_at: string;
}

export interface Chat {
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

export interface JoinRequest {
  id: string;
  chat_id: string;
  requester_user_id: string;
  message: string | null;
  state: 'pending' | 'approved' | 'rejected';
  decided_by: string | null;
  created_at: string;
  decided_at: string | null;
}

export interface Relationship {
  id: string;
  user_low: string;
  user_high: string;
  initiator_user_id: string;
  state: 'pending' | 'visit' | 'rejected';
  created_at: string;
  updated_at: string;
}

export interface Frame {
  seq: number;
  ts: number;
  fingerprint: string;
  metadata: Record<string, unknown>;
  /** Taken by `drain` (the acknowledgement); `wait` and the WebSocket leave it alone. */
  delivered: boolean;
}

export interface Inbox {
  seq: number;
  frames: Frame[];
  /** Open WebSockets and held `wait` calls of this user, told of each new frame. */
  listeners: Set<(f: Frame) => void>;
}

/** The simulator's state as JSON: Maps as entry lists, inboxes without their listeners. */
export interface MycelSnapshot {
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

export const now = () => new Date().toISOString();

/** A string body field; 422 in FastAPI's words when required and missing or not a string. */
export function str(body: Record<string, unknown>, name: string, { required = true } = {}): string | undefined {
  const v = body[name];
  if (v === undefined || v === null) {
    if (required) throw new HttpError(422, 'validation_error', `body.${name}: field required`);
    return undefined;
  }
  if (typeof v !== 'string') throw new HttpError(422, 'validation_error', `body.${name}: must be a string`);
  return v;
}

/** All of the simulator's state, and the rules more than one product area needs. */
export class MycelStore {
  users = new Map<string, User>();
  tokens = new Map<string, string>();
  chats = new Map<string, Chat>();
  joinRequests = new Map<string, JoinRequest>();
  relationships = new Map<string, Relationship>();
  inboxes = new Map<string, Inbox>();
  threads = new Map<string, Record<string, unknown>>();
  pendingOtp = new Map<string, { password: string; invite_code: string }>();
  tempTokens = new Map<string, string>();
  /**
   * What must end on reset (open WebSockets, held `wait` calls), so tests never hang on
   * something left over from a previous case.
   */
  readonly open = new Set<() => void>();

  constructor() {
    this.seed();
  }

  /** Drops everything open and all state, then seeds the demo users again. */
  reset(): void {
    for (const close of [...this.open]) close();
    this.open.clear();
    this.seed();
  }

  private seed(): void {
    this.users = new Map();
    this.tokens = new Map(Object.entries(MYCEL_SEED_TOKENS));
    this.chats = new Map();
    this.joinRequests = new Map();
    this.relationships = new Map();
    this.inboxes = new Map();
    this.threads = new Map();
    this.pendingOtp = new Map();
    this.tempTokens = new Map();
    this.addUser({ id: 'default', display_name: 'Default', type: 'human' });
    this.addUser({
      id: 'owner',
      display_name: 'Owner',
      type: 'human',
      email: 'owner@example.com',
      password: 'owner-pw',
    });
    this.addUser({
      id: 'visitor',
      display_name: 'Visitor',
      type: 'human',
      email: 'visitor@example.com',
      password: 'visitor-pw',
    });
    this.addUser({ id: 'agent-b', display_name: 'Agent B', type: 'external' });
    this.addUser({ id: MYCEL_DEMO_AGENT, display_name: 'Demo Agent', type: 'agent', owner_user_id: 'owner' });
  }

  snapshot(): MycelSnapshot {
    return {
      users: [...this.users.values()],
      tokens: [...this.tokens],
      chats: [...this.chats.values()].map((c) => ({ ...c, members: [...c.members.values()] })),
      joinRequests: [...this.joinRequests.values()],
      relationships: [...this.relationships.values()],
      inboxes: [...this.inboxes].map(([id, { seq, frames }]) => [id, { seq, frames }]),
      threads: [...this.threads.values()],
      pendingOtp: [...this.pendingOtp],
      tempTokens: [...this.tempTokens],
    };
  }

  restore(data: unknown): void {
    const snap = structuredClone(data) as MycelSnapshot;
    this.reset();
    this.users = new Map(snap.users.map((u) => [u.id, u]));
    this.tokens = new Map(snap.tokens);
    this.chats = new Map(
      snap.chats.map((c) => [c.id, { ...c, members: new Map(c.members.map((m) => [m.user_id, m])) }]),
    );
    this.joinRequests = new Map(snap.joinRequests.map((j) => [j.id, j]));
    this.relationships = new Map(snap.relationships.map((r) => [r.id, r]));
    this.inboxes = new Map(snap.inboxes.map(([id, { seq, frames }]) => [id, { seq, frames, listeners: new Set() }]));
    this.threads = new Map(snap.threads.map((t) => [String(t.thread_id), t]));
    this.pendingOtp = new Map(snap.pendingOtp);
    this.tempTokens = new Map(snap.tempTokens);
  }

  // ---- users ---------------------------------------------------------------------------------

  addUser(u: User): User {
    this.users.set(u.id, u);
    return u;
  }

  /** Any identity a token names is a user, created on first sight. */
  ensureUser(id: string): User {
    return this.users.get(id) ?? this.addUser({ id, display_name: id, type: 'human' });
  }

  issueToken(userId: string): string {
    const token = `mycel_tok_${randomUUID().replace(/-/g, '')}`;
    this.tokens.set(token, userId);
    return token;
  }

  userView(u: User) {
    return {
      id: u.id,
      display_name: u.display_name,
      type: u.type,
      owner_user_id: u.owner_user_id ?? null,
      email: u.email ?? null,
    };
  }

  // ---- notifications -------------------------------------------------------------------------

  inboxOf(userId: string): Inbox {
    let inbox = this.inboxes.get(userId);
    if (!inbox) {
      inbox = { seq: 0, frames: [], listeners: new Set() };
      this.inboxes.set(userId, inbox);
    }
    return inbox;
  }

  notify(userId: string, metadata: Record<string, unknown>): void {
    const inbox = this.inboxOf(userId);
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
    for (const l of [...inbox.listeners]) l(frame);
  }

  // ---- chats ---------------------------------------------------------------------------------

  chatOr404(id: string): Chat {
    const chat = this.chats.get(id);
    if (!chat) throw new HttpError(404, 'chat_not_found', 'Chat not found');
    return chat;
  }

  memberOr403(chat: Chat, userId: string): Member {
    const m = chat.members.get(userId);
    if (!m) throw new HttpError(403, 'not_a_participant', 'Not a participant of this chat');
    return m;
  }

  lastSeq(chat: Chat): number {
    return chat.messages.at(-1)?.seq ?? 0;
  }

  addMember(chat: Chat, userId: string): Member {
    // A new member starts caught up: history from before joining is not "unread" for them.
    const m: Member = { user_id: userId, last_read_seq: this.lastSeq(chat), muted: false, joined_at: now() };
    chat.members.set(userId, m);
    return m;
  }

  newChat(type: Chat['type'], ownerId: string | null, title: string | null, memberIds: string[]): Chat {
    const chat: Chat = {
      id: newId('chat'),
      type,
      title,
      owner_user_id: ownerId,
      members: new Map(),
      messages: [],
      created_at: now(),
    };
    for (const id of memberIds) this.addMember(chat, id);
    this.chats.set(chat.id, chat);
    return chat;
  }

  unreadFor(chat: Chat, userId: string): Message[] {
    const m = chat.members.get(userId);
    if (!m) return [];
    return chat.messages.filter((msg) => msg.seq > m.last_read_seq && msg.sender_id !== userId);
  }

  messageView(msg: Message) {
    return { ...msg, sender_name: this.users.get(msg.sender_id)?.display_name ?? 'unknown' };
  }

  chatView(chat: Chat, viewer: string) {
    return {
      id: chat.id,
      title: chat.title,
      type: chat.type,
      status: 'active',
      owner_user_id: chat.owner_user_id,
      created_at: chat.created_at,
      unread_count: this.unreadFor(chat, viewer).length,
      members: [...chat.members.values()].map((m) => {
        const u = this.users.get(m.user_id);
        return {
          user_id: m.user_id,
          display_name: u?.display_name ?? m.user_id,
          type: u?.type ?? 'human',
          muted: m.muted,
        };
      }),
    };
  }

  // ---- relationships -------------------------------------------------------------------------

  pairKey(a: string, b: string): [string, string] {
    return a < b ? [a, b] : [b, a];
  }

  relationshipBetween(a: string, b: string): Relationship | undefined {
    const [low, high] = this.pairKey(a, b);
    for (const r of this.relationships.values()) if (r.user_low === low && r.user_high === high) return r;
    return undefined;
  }
}
