/**
 * ArchAstro session adapter: an agent session is created with the task as `instructions`, followed
 * by polling `GET /api/v1/agent_sessions/{id}` for its status and reading its harness events after
 * the heartbeated event id (`/events?after=<cse_…>`, the SDK's durable cursor) for the transcript,
 * steered with inbox messages, cancelled, and deleted on clean-up when asked and terminal.
 *
 * ArchAstro has no separate "answer an input request" call: a `waiting` session resumes on the next
 * inbox message, so a pending input is answered with {@link SessionAdapter.sendMessage} and
 * `answerInput` is deliberately not implemented (SUPPORTED_OPERATIONS lists `sendMessage`, `cancel`).
 */
import type { ArchAstroClient, ArchAstroSession } from '../../providers/archastro/client.js';
import { TERMINAL_SESSION_STATUSES } from '../../providers/archastro/wire.js';
import type { ArchAstroSessionEvent } from '../../providers/archastro/schemas.js';
import { NotFoundError } from '../../providers/errors.js';
import type {
  AdapterFactory,
  AgentSessionInput,
  CreatedSession,
  FollowBudget,
  FollowCursor,
  FollowHooks,
  FollowResult,
  PendingInput,
  SessionAdapter,
  SessionRef,
  SessionStatus,
  TranscriptEntry,
} from './contract.js';

/** Metadata key that tags a session with the create call's idempotency key. */
export const SWITCHBOARD_KEY = 'switchboard_key';

/**
 * How many of the agent's newest sessions the exactly-once lookup scans. The list has no metadata
 * filter, but a retried create follows its first attempt closely, so the session it may have made
 * is among the agent's newest (platform maximum page size).
 */
const LOOKUP_LIMIT = 100;

/**
 * How many of the session's newest inbox messages a send scans for its tag. The one it looks for
 * was sent by an earlier run of the same operation, moments before. residual risk: were more than this many messages
 * delivered to the session in
 * between (other clients), the earlier message is not found and this one is sent again.
 */
const INBOX_LOOKUP_TAIL = 50;

/** Poll back-off grows from `budget.pollMs` to this multiple of it. */
const MAX_BACKOFF_FACTOR = 8;

/** Maps ArchAstro's status word onto ours. Unknown future words count as running. */
export function mapStatus(platformStatus: string): SessionStatus {
  switch (platformStatus) {
    case 'pending':
      return 'starting';
    case 'waiting':
      return 'awaiting_input';
    case 'completed':
    case 'failed':
    case 'cancelled':
      return platformStatus;
    default:
      return 'running';
  }
}

/** `waiting` and terminal statuses are where a follow call must stop and report. */
function isBoundary(platformStatus: string): boolean {
  return platformStatus === 'waiting' || TERMINAL_SESSION_STATUSES.has(platformStatus);
}

/**
 * Follow cursor: `<last reported platform status>|<last event id delivered>`. Both halves are
 * needed: a status change with no new event (pending → running, waiting → running) is progress too.
 */
export function encodeCursor(status: string, after: string | undefined): string {
  return `${status}|${after ?? ''}`;
}

export function decodeCursor(cursor: FollowCursor): { status?: string; after?: string } {
  if (!cursor) return {};
  const i = cursor.indexOf('|');
  // A cursor from before the events rebuild (`<status>:<count>`) carries no event id: read from the start.
  if (i < 0) return { status: cursor.slice(0, Math.max(0, cursor.lastIndexOf(':'))) || undefined };
  return { status: cursor.slice(0, i) || undefined, after: cursor.slice(i + 1) || undefined };
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v);
}

/** The final answer: the SDK types `result` as an object; its text is read from the usual keys. */
export function resultText(result: Record<string, unknown> | string | null | undefined): string | undefined {
  if (result === null || result === undefined) return undefined;
  if (typeof result === 'string') return result;
  for (const k of ['text', 'content', 'output', 'answer']) if (typeof result[k] === 'string') return result[k];
  return JSON.stringify(result);
}

/** A harness event as a transcript entry; bookkeeping events (`turn_complete`, …) give none. */
function toEntry(e: ArchAstroSessionEvent): TranscriptEntry | undefined {
  const p = e.payload ?? {};
  const at = e.occurred_at ?? undefined;
  switch (e.event) {
    case 'message': {
      const role = p.role === 'assistant' ? 'agent' : p.role === 'user' ? 'user' : 'system';
      return { id: e.id, role, kind: 'message', text: text(p.content), at };
    }
    case 'needs_input':
      return { id: e.id, role: 'agent', kind: 'question', text: text(p.prompt ?? p.content), at };
    case 'tool_use':
      return { id: e.id, role: 'agent', kind: 'tool_call', text: text(p.name ?? p.tool ?? 'tool'), at };
    case 'error':
      return { id: e.id, role: 'system', kind: 'error', text: text(p.message ?? p.error), at };
    case 'finished':
      return {
        id: e.id,
        role: 'system',
        kind: text(p.status) === 'completed' ? 'result' : text(p.status) || 'finished',
        text: resultText(p.result as never) ?? text(p.status),
        at,
      };
    default:
      return undefined;
  }
}

/**
 * The pending input of a `waiting` session. Its id names the last event before the wait, which only
 * moves when a message starts the next turn: every poll during one wait yields the same id, and the
 * next wait a new one (`waiting@start` is a start_idle session that has not run yet).
 */
export function pendingInputOf(
  s: ArchAstroSession,
  after: string | undefined,
  batch: ArchAstroSessionEvent[],
): PendingInput {
  const question = [...batch].reverse().find((e) => e.event === 'needs_input');
  const prompt = question
    ? text(question.payload?.prompt ?? question.payload?.content)
    : after
      ? 'The agent is waiting for a message.'
      : 'The session is idle: send a message to start its first turn.';
  return {
    requestId: `waiting@${after ?? 'start'}`,
    prompt,
    since: question?.occurred_at ?? s.updated_at ?? s.created_at ?? new Date(0).toISOString(),
  };
}

function created(s: ArchAstroSession, alias: string, agentId: string): CreatedSession {
  return {
    ref: { platform: 'archastro', alias, sessionId: s.id, extra: { agentId } },
    status: mapStatus(s.status),
    platformStatus: s.status,
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    // An AbortSignal's reason is an Error unless the aborter chose otherwise (AbortSignal.reason is any).
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason as Error);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Wakes a follow call early: the session's status stream (`/stream`) announces every status change
 * and harness event, so the loop re-reads at once instead of sleeping out its back-off. The stream
 * only says "look now"; what is reported is always read from `getSession` + `/events?after=`, the
 * heartbeated cursor, so a lost, cut or unsupported stream costs latency, never events. Closed when
 * the follow call returns.
 */
class StreamWake {
  private readonly ac = new AbortController();
  private pending = false;
  private waiter?: () => void;
  /** Whether the stream is still open (false: plain back-off polling). */
  live = true;
  /**
   * The status the loop last read. A `session_update` naming it (the replay on connect) is no news;
   * every other update, and every `session_event`, is.
   */
  known = '';

  constructor(c: ArchAstroClient, sessionId: string, known: string, signal?: AbortSignal) {
    this.known = known;
    const onAbort = () => this.ac.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    void (async () => {
      try {
        for await (const e of c.streamSession(sessionId, { signal: this.ac.signal })) {
          const status = e.event === 'session_update' ? (e.data as { status?: unknown } | null)?.status : undefined;
          if (e.event !== 'session_update' || status !== this.known) this.poke();
        }
      } catch {
        // Cut, refused (an older server without `/stream`) or closed by us: fall back to polling.
      } finally {
        signal?.removeEventListener('abort', onAbort);
        this.live = false;
        this.poke();
      }
    })();
  }

  private poke(): void {
    this.pending = true;
    this.waiter?.();
  }

  /** Resolves on the next stream event (or one already seen since the last call), or after `ms`. */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      const done = () => {
        clearTimeout(t);
        signal?.removeEventListener('abort', onAbort);
        this.waiter = undefined;
        this.pending = false;
        resolve();
      };
      const onAbort = () => {
        clearTimeout(t);
        this.waiter = undefined;
        reject(abortReason(signal!));
      };
      const t = setTimeout(done, ms);
      this.waiter = done;
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  close(): void {
    this.ac.abort();
  }
}

/** Options of {@link archAstroAdapter}. */
export interface ArchAstroAdapterOptions {
  /**
   * Wake follow calls on the session's status stream (see {@link StreamWake}). Off: plain polling
   * with back-off, as before (kept for measurement and for servers without the stream).
   * @default true
   */
  statusStream?: boolean;
}

/** Builds the ArchAstro {@link SessionAdapter} over the registry's clients. */
export const createArchAstroAdapter: AdapterFactory = (providers) => archAstroAdapter(providers);

/** {@link createArchAstroAdapter} with options. */
export function archAstroAdapter(
  providers: Parameters<AdapterFactory>[0],
  options: ArchAstroAdapterOptions = {},
): SessionAdapter {
  const client = (alias: string): ArchAstroClient => providers.client('archastro', alias);
  const useStream = options.statusStream ?? true;

  const adapter: SessionAdapter = {
    platform: 'archastro',

    async create(input: AgentSessionInput, call) {
      if (input.platform !== 'archastro')
        throw new TypeError(`ArchAstro adapter got a ${input.platform} session input`);
      const opts = input.archastro;
      const c = client(input.credentialAlias);
      const key = call.idempotencyKey;
      if (key) {
        // A retry after "created but the answer was lost" finds the tagged session instead of making
        // a second one. (The platform-side Idempotency-Key replay covers the same retry too; the tag
        // also survives a replay cache that has expired.)
        const recent = await c.listSessions(
          { agent: opts.agentId, limit: LOOKUP_LIMIT },
          { signal: call.signal, timeoutMs: call.timeoutMs },
        );
        const found = recent.find((s) => s.metadata?.[SWITCHBOARD_KEY] === key);
        if (found) return created(found, input.credentialAlias, opts.agentId);
      }
      const s = await c.createSession(
        {
          agent: opts.agentId,
          instructions: input.task,
          name: input.title,
          max_turns: opts.maxTurns,
          max_tokens: opts.maxTokens,
          max_runs_per_turn: opts.maxRunsPerTurn,
          start_idle: opts.startIdle,
          team: opts.team,
          thread: opts.thread,
          user: opts.user,
          metadata: key ? { ...opts.metadata, [SWITCHBOARD_KEY]: key } : opts.metadata,
        },
        call,
      );
      return created(s, input.credentialAlias, opts.agentId);
    },

    async follow(
      ref: SessionRef,
      cursor: FollowCursor,
      budget: FollowBudget,
      hooks: FollowHooks,
    ): Promise<FollowResult> {
      const c = client(ref.alias);
      const from = decodeCursor(cursor);
      const started = Date.now();
      const maxEvents = Math.max(1, budget.maxEvents);
      let delay = Math.max(1, budget.pollMs);
      let wake: StreamWake | undefined;
      try {
        for (;;) {
          // Status first, then events. An event written between the two reads comes with a status
          // from before it: a question (`needs_input`) read that way, with nothing after it, is held
          // back until the status says `waiting` too, so the wait is reported with its question.
          const s = await c.getSession(ref.sessionId, { signal: hooks.signal });
          const fresh = await c.listEvents(
            ref.sessionId,
            { after: from.after, limit: Math.min(1000, maxEvents + 1) },
            { signal: hooks.signal },
          );
          const elapsed = Date.now() - started;
          if (s.status !== 'waiting' && fresh.at(-1)?.event === 'needs_input' && elapsed < budget.maxMs) fresh.pop();
          // Return as soon as there is anything new (the activity loops, storing each batch before it
          // heartbeats the cursor), or when the time budget is spent.
          if (s.status !== from.status || fresh.length > 0 || elapsed >= budget.maxMs) {
            const batch = fresh.slice(0, maxEvents);
            const after = batch.at(-1)?.id ?? from.after;
            // A truncated batch has not reached the boundary yet: report it as still running so the
            // caller comes back for the rest (the boundary is delivered with the last events).
            const platformStatus = batch.length < fresh.length && isBoundary(s.status) ? 'running' : s.status;
            const next = encodeCursor(platformStatus, after);
            hooks.progress(next);
            return {
              entries: batch.map(toEntry).filter((e): e is TranscriptEntry => e !== undefined),
              cursor: next,
              status: mapStatus(platformStatus),
              platformStatus,
              pendingInput: platformStatus === 'waiting' ? pendingInputOf(s, after, batch) : undefined,
              platformEvents: batch.length,
              result: platformStatus === 'completed' ? resultText(s.result) : undefined,
              error:
                platformStatus === 'failed'
                  ? (s.error ?? 'session failed')
                  : platformStatus === 'cancelled'
                    ? (s.error ?? undefined)
                    : undefined,
            };
          }
          // Heartbeat the cursor we started from, not what we have read: nothing read so far has
          // been returned, and the events can be re-read, so a retry must resume from here.
          hooks.progress(cursor);
          // Nothing new on the first read: from here the status stream wakes us (opened once per call).
          if (useStream && !wake) wake = new StreamWake(c, ref.sessionId, s.status, hooks.signal);
          else if (wake) wake.known = s.status;
          // With the stream open, polling is only the safety net: it waits out the longest back-off.
          const pause = Math.min(
            wake?.live ? Math.max(1, budget.pollMs) * MAX_BACKOFF_FACTOR : delay,
            Math.max(1, budget.maxMs - elapsed),
          );
          if (wake?.live) await wake.wait(pause, hooks.signal);
          else await sleep(pause, hooks.signal);
          delay = Math.min(delay * 2, Math.max(1, budget.pollMs) * MAX_BACKOFF_FACTOR);
        }
      } finally {
        wake?.close();
      }
    },

    async sendMessage(ref, text, call) {
      const c = client(ref.alias);
      const key = call.idempotencyKey;
      // ArchAstro takes no Idempotency-Key, but an inbox message carries metadata: tag it, and look
      // for the tag before sending. Checked on every run, not only when `attempt > 1`: steering runs
      // as a local activity, which a new worker re-runs from attempt 1 after a crash. The cost is one
      // session read per message, and only the inbox's newest entries are scanned.
      if (key) {
        const s = await c.getSession(ref.sessionId, { signal: call.signal, timeoutMs: call.timeoutMs });
        if ((s.inbox ?? []).slice(-INBOX_LOOKUP_TAIL).some((m) => m.metadata?.[SWITCHBOARD_KEY] === key)) return;
      }
      await c.sendMessage(
        ref.sessionId,
        { content: text, role: 'user', ...(key ? { metadata: { [SWITCHBOARD_KEY]: key } } : {}) },
        call,
      );
    },

    async cancel(ref, call) {
      // The platform answers a terminal session unchanged, so a second cancel is harmless.
      await client(ref.alias).cancelSession(ref.sessionId, call);
    },

    async cleanup(ref, opts, call) {
      if (!opts.deleteOnPlatform) return {};
      const c = client(ref.alias);
      try {
        const s = await c.getSession(ref.sessionId, { signal: call.signal, timeoutMs: call.timeoutMs });
        // Deleting an active session is a 422; the workflow cancels first, so a live one here is
        // left alone rather than failing clean-up.
        if (TERMINAL_SESSION_STATUSES.has(s.status)) await c.deleteSession(ref.sessionId, call);
      } catch (err) {
        // Already gone: an earlier attempt deleted it and its answer was lost.
        if (!(err instanceof NotFoundError)) throw err;
      }
      return {};
    },
  };
  return adapter;
}

/** The abort's reason as an Error (an AbortSignal's reason is typed `any`). */
function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new Error(String(r));
}
