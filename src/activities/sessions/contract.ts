/**
 * The common contract every platform's session adapter implements. The `agentSession` workflow
 * only ever talks to generic session activities (`src/activities/sessions/activities.ts`), which
 * dispatch to one {@link SessionAdapter} per platform.
 *
 * Adapters are plain code over provider clients: no Temporal imports, so they can be tested
 * against the sandbox directly.
 */
import type { CallOptions } from '../../providers/http.js';
import type { ProviderRegistry } from '../../providers/registry.js';
import type {
  AgentSessionInput,
  PendingInput,
  SessionPlatform,
  SessionRef,
  SessionStatus,
  TranscriptEntry,
} from '../../contracts/sessions.js';
import type { PlatformGateAnswer } from '../../contracts/platformGates.js';

export type { AgentSessionInput, PendingInput, SessionPlatform, SessionRef, SessionStatus, TranscriptEntry };

/** What creating a session returned. */
export interface CreatedSession {
  ref: SessionRef;
  status: SessionStatus;
  /** The platform's own status word, kept beside ours. */
  platformStatus: string;
}

/** Where following left off; opaque to the workflow (an SSE event id, a message cursor, …). */
export type FollowCursor = string | undefined;

/** Limits for one follow call: return at a boundary or when a budget runs out. */
export interface FollowBudget {
  /** Return after this many platform events even without a boundary. */
  maxEvents: number;
  /** Return after this long even without a boundary. */
  maxMs: number;
  /** Poll interval floor for polling platforms. */
  pollMs: number;
}

export interface FollowHooks {
  /** Called with the newest cursor as events are consumed (the activity heartbeats it). */
  progress(cursor: FollowCursor): void;
  /**
   * Called with each entry as soon as it is read, before `progress` moves the cursor past it: the
   * activity writes it to the transcript at once, so live readers (the gateway's event streams)
   * see it within milliseconds, not when the batch returns. Adapters that do not call it have their
   * entries written when the batch returns.
   */
  entry?(e: TranscriptEntry): Promise<void>;
  signal?: AbortSignal;
}

/** One batch of progress. */
export interface FollowResult {
  /** New transcript entries since the cursor, oldest first. */
  entries: TranscriptEntry[];
  cursor: FollowCursor;
  status: SessionStatus;
  platformStatus: string;
  /** Set while the agent waits for a human answer. */
  pendingInput?: PendingInput;
  /** How many platform events this batch consumed (for the history-per-event figure). */
  platformEvents: number;
  /** Final answer or error text, when terminal. */
  result?: string;
  error?: string;
}

/** What a steering `sendMessage` carries besides its text. */
export interface SendOptions {
  /** Workflow time (epoch ms) at which the workflow accepted the message; stable across re-runs. */
  requestedAt?: number;
}

/** One platform's implementation of the session operations. Optional methods = not supported. */
export interface SessionAdapter {
  readonly platform: SessionPlatform;
  /**
   * Creates the platform session exactly once for `call.idempotencyKey`: send the key, and where
   * the platform lets us, tag the session with it and look it up before creating.
   */
  create(input: AgentSessionInput, call: CallOptions): Promise<CreatedSession>;
  /** Reads progress from `cursor` until a boundary (input request, terminal) or the budget. */
  follow(ref: SessionRef, cursor: FollowCursor, budget: FollowBudget, hooks: FollowHooks): Promise<FollowResult>;
  /**
   * Sends a message exactly once per steering operation. Steering runs as a local activity, which a
   * new worker re-runs from attempt 1 after a crash: the duplicate check cannot wait for
   * `attempt > 1`. `opts.requestedAt` is the workflow time (epoch ms) at which the message was
   * accepted, the same on every run of one operation; adapters without a tag to look up use it to
   * tell their own earlier message from an older one with the same text.
   */
  sendMessage?(ref: SessionRef, text: string, call: CallOptions, opts?: SendOptions): Promise<void>;
  answerInput?(ref: SessionRef, requestId: string, response: unknown, call: CallOptions): Promise<void>;
  /**
   * Answers the platform's own permission request or question exactly once, whatever the retries;
   * returns what reached the platform (for the gate's audit).
   */
  answerPlatformGate?(
    ref: SessionRef,
    requestId: string,
    answer: PlatformGateAnswer,
    call: CallOptions,
  ): Promise<string>;
  /** Starts a new task in the same session (the previous one is terminal); returns the new ref. */
  followUp?(ref: SessionRef, task: string, call: CallOptions): Promise<SessionRef>;
  rename?(ref: SessionRef, name: string, call: CallOptions): Promise<void>;
  setCallbacks?(ref: SessionRef, callbacks: unknown[], call: CallOptions): Promise<void>;
  rewind?(ref: SessionRef, messageId: string, cleanMedia: boolean, call: CallOptions): Promise<void>;
  /** Cancels on the platform; must be safe to call twice and on a terminal session. */
  cancel(ref: SessionRef, call: CallOptions): Promise<void>;
  /**
   * Clean-up on every ending: release browsers, stop the session, export the transcript.
   * Returns the exported transcript text when the platform has one (the activity stores it).
   */
  cleanup(
    ref: SessionRef,
    opts: { deleteOnPlatform: boolean },
    call: CallOptions,
  ): Promise<{ exportedTranscript?: string }>;
}

export type AdapterFactory = (providers: ProviderRegistry) => SessionAdapter;
