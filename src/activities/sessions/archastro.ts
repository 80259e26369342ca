/**
 * ArchAstro session adapter: an agent session is created with the task as `instructions`, followed
 * by polling `GET /api/v1/agent_sessions/{id}` (ArchAstro's stream endpoint is not in the seed),
 * steered with inbox messages, cancelled, and deleted on clean-up when asked and terminal.
 *
 * ArchAstro has no separate "answer an input request" call: a `waiting` session resumes on the next
 * inbox message, so a pending input is answered with {@link SessionAdapter.sendMessage} and
 * `answerInput` is deliberately not implemented (SUPPORTED_OPERATIONS lists `sendMessage`, `cancel`).
 */
import type { ArchAstroClient, ArchAstroSession } from '../../providers/archastro/client.js';
import { TERMINAL_SESSION_STATUSES } from '../../providers/archastro/routes.js';
import type { ArchAstroTrajectoryEntry } from '../../providers/archastro/schemas.js';
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
 * Follow cursor: `<last reported platform status>:<trajectory entries delivered>`. Both halves are
 * needed: a status change with no new entry (pending → running, waiting → running) is progress too.
 */
export function encodeCursor(status: string, seen: number): string {
  return `${status}:${seen}`;
}

export function decodeCursor(cursor: FollowCursor): { status?: string; seen: number } {
  if (!cursor) return { seen: 0 };
  const i = cursor.lastIndexOf(':');
  const seen = Number(cursor.slice(i + 1));
  if (i < 0 || !Number.isInteger(seen) || seen < 0) return { seen: 0 };
  return { status: cursor.slice(0, i), seen };
}

function toEntry(sessionId: string, e: ArchAstroTrajectoryEntry, index: number): TranscriptEntry {
  const role = e.role === 'assistant' ? 'agent' : e.role === 'user' ? 'user' : 'system';
  return {
    id: e.id ?? `${sessionId}#${index}`,
    role,
    kind: e.type ?? 'message',
    text: e.content ?? '',
    at: e.created_at ?? undefined,
  };
}

/**
 * The pending input of a `waiting` session. Its id is derived from the turn count, which only moves
 * when a message starts the next turn: every poll during one wait yields the same id, and the next
 * wait a new one (`waiting-0` is a start_idle session that has not run yet).
 */
export function pendingInputOf(s: ArchAstroSession): PendingInput {
  const trajectory = s.trajectory ?? [];
  const turn = s.turns ?? trajectory.filter((e) => e.type === 'question').length;
  let question: ArchAstroTrajectoryEntry | undefined;
  for (let i = trajectory.length - 1; i >= 0; i--) {
    const e = trajectory[i]!;
    if (e.role === 'user') break; // a question before the last user message is already answered
    if (e.type === 'question') {
      question = e;
      break;
    }
  }
  const prompt = question?.content ?? (turn === 0 ? 'The session is idle: send a message to start its first turn.' : 'The agent is waiting for a message.');
  return { requestId: `waiting-${turn}`, prompt, since: question?.created_at ?? s.updated_at ?? s.created_at ?? new Date(0).toISOString() };
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
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Builds the ArchAstro {@link SessionAdapter} over the registry's clients. */
export const createArchAstroAdapter: AdapterFactory = (providers) => {
  const client = (alias: string): ArchAstroClient => providers.client('archastro', alias);

  const adapter: SessionAdapter = {
    platform: 'archastro',

    async create(input: AgentSessionInput, call) {
      if (input.platform !== 'archastro') throw new TypeError(`ArchAstro adapter got a ${input.platform} session input`);
      const opts = input.archastro;
      const c = client(input.credentialAlias);
      const key = call.idempotencyKey;
      if (key) {
        // A retry after "created but the answer was lost" finds the tagged session instead of making
        // a second one. (The platform-side Idempotency-Key replay covers the same retry too; the tag
        // also survives a replay cache that has expired.)
        const recent = await c.listSessions({ agent: opts.agentId, limit: LOOKUP_LIMIT }, { signal: call.signal, timeoutMs: call.timeoutMs });
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

    async follow(ref: SessionRef, cursor: FollowCursor, budget: FollowBudget, hooks: FollowHooks): Promise<FollowResult> {
      const c = client(ref.alias);
      const from = decodeCursor(cursor);
      const started = Date.now();
      const maxEvents = Math.max(1, budget.maxEvents);
      let delay = Math.max(1, budget.pollMs);
      for (;;) {
        const s = await c.getSession(ref.sessionId, { signal: hooks.signal });
        const trajectory = s.trajectory ?? [];
        const fresh = trajectory.slice(from.seen);
        const elapsed = Date.now() - started;
        // Return as soon as there is anything new (the activity loops, storing each batch before it
        // heartbeats the cursor), or when the time budget is spent.
        const report = s.status !== from.status || fresh.length > 0 || elapsed >= budget.maxMs;
        if (report) {
          const batch = fresh.slice(0, maxEvents);
          const seen = from.seen + batch.length;
          // A truncated batch has not reached the boundary yet: report it as still running so the
          // caller comes back for the rest (the boundary is delivered with the last entries).
          const platformStatus = batch.length < fresh.length && isBoundary(s.status) ? 'running' : s.status;
          const next = encodeCursor(platformStatus, seen);
          hooks.progress(next);
          return {
            entries: batch.map((e, i) => toEntry(ref.sessionId, e, from.seen + i)),
            cursor: next,
            status: mapStatus(platformStatus),
            platformStatus,
            pendingInput: platformStatus === 'waiting' ? pendingInputOf(s) : undefined,
            platformEvents: batch.length,
            result: platformStatus === 'completed' ? (s.result ?? undefined) : undefined,
            error: platformStatus === 'failed' ? (s.error ?? 'session failed') : platformStatus === 'cancelled' ? (s.error ?? undefined) : undefined,
          };
        }
        // Heartbeat the cursor we started from, not what we have read: nothing read so far has
        // been returned, and the trajectory can be re-read, so a retry must resume from here.
        hooks.progress(cursor);
        await sleep(Math.min(delay, Math.max(1, budget.maxMs - elapsed)), hooks.signal);
        delay = Math.min(delay * 2, Math.max(1, budget.pollMs) * MAX_BACKOFF_FACTOR);
      }
    },

    async sendMessage(ref, text, call) {
      await client(ref.alias).sendMessage(ref.sessionId, { content: text, role: 'user' }, call);
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
};
