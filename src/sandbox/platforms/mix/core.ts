/**
 * The Mix simulator's shared state: sessions, their stream frames and the open streams, the error
 * body, and the helpers every product area (sessions + messages, stream, notifications +
 * permissions) uses. Wire truth: mix-python-sdk 0.8.1 (see src/providers/mix/wire.ts).
 */
import type { ScriptedRun, ScriptedRunState } from '../../agent.js';
import { HttpError, newId, type SandboxRequest, type SandboxResponse } from '../../framework.js';
import type { SandboxContext } from '../../server.js';

export type Status = 'processing' | 'idle' | 'cancelled' | 'failed';

/** The SDK's closed `RESTError.type` enum (mix_python_sdk/models/resterror.py). */
const ERROR_TYPES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  404: 'not_found',
  422: 'validation_error',
};

/** One frame of the session's stream (SDK `SSEEventStream`): dense `seq` is the SSE id. */
export interface StreamFrame {
  seq: number;
  event: string;
  data: Record<string, unknown>;
}

export interface SimMessage {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  createdAt: string;
  updatedAt: string;
  finishReason?: string;
  /** SDK `ExportToolCall`: `input` is a string, `type` a string, `finished` a boolean. */
  toolCalls?: { id: string; name: string; type: string; input: string; result: string; finished: boolean }[];
}

export interface SimCallback {
  toolName: string;
  type: string;
  name?: string;
  messageContent?: string;
  subAgentPrompt?: string;
  subAgentType?: string;
  [k: string]: unknown;
}

/**
 * What the agent waits on: a `permission` (grant/deny) or a `notification` question (respond), and
 * the run step it answers. A question expires at `expiresAt` (ms), the SDK's `timeout` after it was asked.
 */
export interface OpenAsk {
  kind: 'permission' | 'question';
  id: string;
  requestId: string;
  responseType?: 'acknowledge' | 'text' | 'choice';
  choices?: string[];
  expiresAt?: number;
}

export interface SimSession {
  id: string;
  owner: string;
  title: string;
  createdAt: string;
  updatedAt: string;
  browserMode: string;
  cdpUrl?: string;
  promptMode: string;
  customSystemPrompt?: string;
  sessionType: 'main' | 'subagent';
  parentSessionId?: string;
  callbacks: SimCallback[];
  messages: SimMessage[];
  status: Status;
  run?: ScriptedRun;
  unsubscribe?: () => void;
  /** Callback indexes whose sub-agent was already spawned (once each, so state stays bounded). */
  spawned: Set<number>;
  /** Everything the stream has said for this session, replayed after `Last-Event-ID`. */
  frames: StreamFrame[];
  /** The open permission or question. */
  ask?: OpenAsk;
  /** Ids answered or expired lately (bounded): a second answer is refused, not applied. */
  closedAsks?: { id: string; how: 'answered' | 'expired' }[];
}

/** A session as JSON: its run's state, whether the transcript still follows the run, spawned as a list. */
export type MixSessionState = Omit<SimSession, 'run' | 'unsubscribe' | 'spawned'> & {
  run?: ScriptedRunState;
  subscribed: boolean;
  spawned: number[];
};

export function bad(code: string, detail: string): HttpError {
  return new HttpError(400, code, detail);
}

/** Mix errors name one of five types; the specific check that failed leads the message. */
export function errorBody(status: number, code: string, detail: string, requestId: string): Record<string, unknown> {
  const type = ERROR_TYPES[status] ?? (status >= 500 ? 'internal_error' : 'bad_request');
  const message = code && code !== type ? `${code}: ${detail}` : detail;
  return { error: { code: status, type, message }, request_id: requestId };
}

export function isNonBlank(v: unknown): v is string {
  return typeof v === 'string' && v.trim() !== '';
}

/** A JSON answer as it travels: keys whose value is undefined are not on the wire (nor in the journal). */
export const ok = (body: unknown, status = 200): SandboxResponse => ({
  status,
  body: JSON.parse(JSON.stringify(body)) as unknown,
});

export const now = (): string => new Date().toISOString();

/** The state every Mix product area reads and writes. */
export interface MixCore {
  readonly ctx: SandboxContext;
  readonly sessions: Map<string, SimSession>;
  /** Open streams per session id: each gets every new frame. */
  readonly listeners: Map<string, Set<(f: StreamFrame) => void>>;
  readonly openStreams: Set<() => void>;
  /** Appends a frame to the session's stream and hands it to every open stream. */
  frame: (s: SimSession, event: string, data: Record<string, unknown>) => void;
  /** The caller's session named by the route's `{id}` (404 otherwise). */
  find: (req: SandboxRequest) => SimSession;
  /** Appends a message (a user message also goes on the stream). */
  append: (s: SimSession, m: Omit<SimMessage, 'id' | 'createdAt' | 'updatedAt'>) => SimMessage;
}

export function createMixCore(ctx: SandboxContext): MixCore {
  const sessions = new Map<string, SimSession>();
  const listeners = new Map<string, Set<(f: StreamFrame) => void>>();
  const core: MixCore = {
    ctx,
    sessions,
    listeners,
    openStreams: new Set(),
    frame(s, event, data) {
      // SDK SSEEventStream: every frame's data names its own `type`.
      const f: StreamFrame = { seq: s.frames.length + 1, event, data: { type: event, ...data } };
      s.frames.push(f);
      for (const l of listeners.get(s.id) ?? []) l(f);
    },
    find(req) {
      const s = sessions.get(req.params.id!);
      if (!s || s.owner !== req.identity) throw new HttpError(404, 'not_found', `session ${req.params.id} not found`);
      return s;
    },
    append(s, m) {
      const at = now();
      const msg: SimMessage = { id: newId('msg'), createdAt: at, updatedAt: at, ...m };
      s.messages.push(msg);
      s.updatedAt = at;
      if (msg.role === 'user') core.frame(s, 'user_message_created', { messageId: msg.id, content: msg.content });
      return msg;
    },
  };
  return core;
}
