/**
 * Mix session adapter: a Mix session runs the task, we poll it, steer it with callbacks, rewind and
 * cancel, and export its transcript at the end.
 *
 * Mix has no event stream or input requests in the seed, so `follow` polls `get` (cheap) and only
 * exports the transcript when the session's counts or state moved. The seed documents no way to
 * send a user message, so the task travels in the create body (`firstUserMessage`, an assumption
 * recorded in src/providers/mix/routes.ts) and `sendMessage`/`answerInput`/`followUp` are absent.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { MixClient } from '../../providers/mix/client.js';
import { NotFoundError } from '../../providers/errors.js';
import type { CallOptions } from '../../providers/http.js';
import { type MixExportMessage, normalizeCallback } from '../../providers/mix/schemas.js';
import type {
  AdapterFactory,
  CreatedSession,
  FollowBudget,
  FollowCursor,
  FollowHooks,
  FollowResult,
  SessionAdapter,
  SessionRef,
  SessionStatus,
  TranscriptEntry,
} from './contract.js';

/** Title used when the input has none: the start of the task, on one line. */
const TITLE_MAX = 80;
/** Per-entry text cap: transcripts are bounded in workflow state; the full text is in the export. */
const ENTRY_TEXT_MAX = 4_000;
/** Used when the options leave it out: the seed requires a browser mode and shows this one. */
const DEFAULT_BROWSER_MODE = 'local-browser-service';

/** `<messages seen>|<last message id>`; the id survives concurrent growth, the count is the fallback. */
interface Position {
  count: number;
  lastId?: string;
}

function decodeCursor(cursor: FollowCursor): Position {
  if (!cursor) return { count: 0 };
  const bar = cursor.indexOf('|');
  const count = Number(bar < 0 ? cursor : cursor.slice(0, bar));
  const lastId = bar < 0 ? undefined : cursor.slice(bar + 1) || undefined;
  return { count: Number.isInteger(count) && count >= 0 ? count : 0, lastId };
}

function encodeCursor(p: Position): string {
  return `${p.count}|${p.lastId ?? ''}`;
}

/** Messages after the cursor. When the cursor's message is gone (a rewind), only what lies past the old count is new. */
function since(messages: MixExportMessage[], pos: Position): MixExportMessage[] {
  if (pos.lastId) {
    const i = messages.findIndex((m) => m.id === pos.lastId);
    if (i >= 0) return messages.slice(i + 1);
  }
  return messages.slice(pos.count);
}

function titleFrom(task: string): string {
  const line = task.replace(/\s+/g, ' ').trim();
  return line.length <= TITLE_MAX ? line : `${line.slice(0, TITLE_MAX - 1)}…`;
}

function toEntry(m: MixExportMessage): TranscriptEntry {
  const role: TranscriptEntry['role'] = m.role === 'user' ? 'user' : m.role === 'system' ? 'system' : 'agent';
  const tools = m.toolCalls ?? [];
  const kind = m.role === 'tool' ? 'tool_result' : tools.length > 0 ? 'tool_call' : 'message';
  let text = m.content ?? '';
  if (!text && tools.length > 0) text = tools.map((t) => t.name ?? 'tool').join(', ');
  if (text.length > ENTRY_TEXT_MAX) text = `${text.slice(0, ENTRY_TEXT_MAX - 1)}…`;
  return { id: m.id, role, kind, text, ...(m.createdAt ? { at: m.createdAt } : {}) };
}

/** Maps the sandbox's `status` field (an assumption, see routes.ts) onto ours. */
function fromPlatformStatus(status: string | null | undefined): SessionStatus | undefined {
  switch (status) {
    case 'processing':
      return 'running';
    case 'idle':
      return 'completed';
    case 'cancelled':
    case 'canceled':
      return 'cancelled';
    case 'failed':
    case 'error':
      return 'failed';
    default:
      return undefined;
  }
}

/**
 * Without a status field (a real Mix server may not report one), the transcript tells: the agent's
 * turn is over when the last message is an assistant message with a final finish reason.
 */
// assumption: finish reasons as in Mix's transcripts (`tool_use` while working; `end_turn`,
// `canceled`, `error`, … once the turn ends).
function fromTranscript(messages: MixExportMessage[]): SessionStatus {
  const last = messages.at(-1);
  if (!last || last.role !== 'assistant' || !last.finishReason) return 'running';
  if (last.finishReason === 'tool_use' || last.finishReason === 'tool_calls') return 'running';
  if (last.finishReason === 'canceled' || last.finishReason === 'cancelled') return 'cancelled';
  if (last.finishReason === 'error') return 'failed';
  return 'completed';
}

/** Sub-key for the n-th mutating call of one activity, so one activity key never collides with itself. */
function subKey(call: CallOptions, step: string): CallOptions {
  return call.idempotencyKey ? { ...call, idempotencyKey: `${call.idempotencyKey}/${step}` } : call;
}

/** Builds the Mix {@link SessionAdapter}. */
export const createMixAdapter: AdapterFactory = (providers) => {
  const client = (alias: string): MixClient => providers.client('mix', alias);

  const adapter: SessionAdapter = {
    platform: 'mix',

    async create(input, call): Promise<CreatedSession> {
      if (input.platform !== 'mix') throw new Error(`Mix adapter got a ${input.platform} session`);
      const o = input.mix;
      // The create checks run inside the client too: bad options fail here, before any request.
      const s = await client(input.credentialAlias).create(
        {
          title: input.title ?? titleFrom(input.task),
          browserMode: o.browserMode ?? DEFAULT_BROWSER_MODE,
          cdpUrl: o.cdpUrl,
          promptMode: o.promptMode,
          customSystemPrompt: o.customSystemPrompt,
          sessionType: o.sessionType,
          callbacks: o.callbacks?.map(normalizeCallback),
          // assumption (routes.ts): no message endpoint in the seed, so the task rides in the create body.
          firstUserMessage: input.task,
        },
        // Mix offers no tag or lookup to dedupe on, so the Idempotency-Key header is all we have.
        call,
      );
      return {
        ref: { platform: 'mix', alias: input.credentialAlias, sessionId: s.id },
        // A freshly created session is working on its first message, whatever it reports.
        status: fromPlatformStatus(s.status) ?? 'running',
        platformStatus: s.status ?? 'created',
      };
    },

    async follow(ref: SessionRef, cursor: FollowCursor, budget: FollowBudget, hooks: FollowHooks): Promise<FollowResult> {
      const c = client(ref.alias);
      const opts: CallOptions = { signal: hooks.signal };
      const started = Date.now();
      let pos = decodeCursor(cursor);
      const entries: TranscriptEntry[] = [];
      let messages: MixExportMessage[] = [];
      let seen: string | undefined;

      for (;;) {
        const s = await c.get(ref.sessionId, opts);
        // Export only when something moved: the transcript can be large, `get` is not.
        const fingerprint = [s.userMessageCount, s.assistantMessageCount, s.toolCallCount, s.status].join('/');
        if (fingerprint !== seen || s.status == null) {
          seen = fingerprint;
          messages = (await c.exportSession(ref.sessionId, opts)).messages;
          const fresh = since(messages, pos);
          entries.push(...fresh.map(toEntry));
          // Re-anchor at the end of what the platform holds now (also after a rewind).
          pos = { count: messages.length, lastId: messages.at(-1)?.id };
        }
        // Heartbeat every poll, so a quiet run still proves the activity alive.
        hooks.progress(encodeCursor(pos));

        const status = fromPlatformStatus(s.status) ?? fromTranscript(messages);
        const terminal = status === 'completed' || status === 'failed' || status === 'cancelled';
        const outOfBudget = entries.length >= budget.maxEvents || Date.now() - started >= budget.maxMs;
        if (terminal || outOfBudget) {
          const lastAgent = [...messages].reverse().find((m) => m.role === 'assistant');
          return {
            entries,
            cursor: encodeCursor(pos),
            status,
            platformStatus: s.status ?? `derived:${status}`,
            platformEvents: entries.length,
            ...(status === 'completed' ? { result: lastAgent?.content ?? '' } : {}),
            ...(status === 'failed' ? { error: lastAgent?.finishReason === 'error' ? (lastAgent.content ?? 'failed') : 'failed' } : {}),
          };
        }
        await delay(Math.max(1, Math.min(budget.pollMs, budget.maxMs - (Date.now() - started))), undefined, { signal: hooks.signal });
      }
    },

    async setCallbacks(ref, callbacks, call): Promise<void> {
      const list = callbacks.map((cb) => normalizeCallback((cb ?? {}) as Record<string, unknown>));
      await client(ref.alias).updateSessionCallbacks(ref.sessionId, list, call);
    },

    async rewind(ref, messageId, cleanMedia, call): Promise<void> {
      await client(ref.alias).rewindSession(ref.sessionId, { messageId, cleanupMedia: cleanMedia }, call);
    },

    async cancel(ref, call): Promise<void> {
      try {
        await client(ref.alias).cancelProcessing(ref.sessionId, call);
      } catch (err) {
        // A session that no longer exists has nothing left to cancel.
        if (!(err instanceof NotFoundError)) throw err;
      }
    },

    async cleanup(ref, opts, call): Promise<{ exportedTranscript?: string }> {
      const c = client(ref.alias);
      let exportedTranscript: string | undefined;
      try {
        // Stop the agent first so the export is final; a no-op on an idle session.
        await c.cancelProcessing(ref.sessionId, subKey(call, 'cancel'));
        exportedTranscript = JSON.stringify(await c.exportSession(ref.sessionId, { signal: call.signal }));
      } catch (err) {
        // Already deleted (e.g. a retry after a delete that succeeded): nothing left to export.
        if (!(err instanceof NotFoundError)) throw err;
        return {};
      }
      if (opts.deleteOnPlatform) {
        try {
          await c.delete(ref.sessionId, subKey(call, 'delete'));
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
        }
      }
      return { exportedTranscript };
    },
  };
  return adapter;
};
