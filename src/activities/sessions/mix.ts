/**
 * Mix session adapter, on the wire the published SDK shows (src/providers/mix/wire.ts): create the
 * session, send the task as its first message, follow the session's event stream from the
 * heartbeated `Last-Event-ID`, steer it with messages, callbacks, rewind and cancel, answer its
 * questions, and export its transcript at the end.
 *
 * Exactly once without `Idempotency-Key` (no Mix operation documents one): the title carries a
 * marker derived from the activity's idempotency key, and a create first looks the marker up in
 * listSessions; the task is sent only while the session has no user message; a steering message
 * is not sent again when a user message with its text was created since the workflow accepted it
 * (`requestedAt`, see {@link sentSince}), checked on every run because a crash re-runs a local
 * activity from attempt 1.
 */
import { createHash } from 'node:crypto';
import type { MixClient } from '../../providers/mix/client.js';
import { NotFoundError } from '../../providers/errors.js';
import type { CallOptions } from '../../providers/http.js';
import {
  type MixExportMessage,
  normalizeCallback,
  notificationEventSchema,
  permissionEventSchema,
} from '../../providers/mix/schemas.js';
import type { PlatformGateAnswer, PlatformGateShown } from '../../contracts/platformGates.js';
import { MIX_EVENTS } from '../../providers/mix/wire.js';
import type { SseEvent } from '../../providers/sse.js';
import { readWithinBudget } from './budget.js';
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

function titleFrom(task: string): string {
  const line = task.replace(/\s+/g, ' ').trim();
  return line.length <= TITLE_MAX ? line : `${line.slice(0, TITLE_MAX - 1)}…`;
}

/** The title marker: a short, stable digest of the create's idempotency key. */
function markerFor(idempotencyKey: string): string {
  return `[sb:${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 12)}]`;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v);
}

function clip(text: string, max = ENTRY_TEXT_MAX): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * A stream frame as a transcript entry; frames that say nothing a reader needs give none. Messages
 * keep Mix's message id (what `rewind` takes), tool frames the tool-call id; the rest the frame id.
 */
function toEntry(ev: SseEvent): TranscriptEntry | undefined {
  const d = (ev.data ?? {}) as Record<string, unknown>;
  const at = typeof d.createdAt === 'string' ? { at: d.createdAt } : {};
  const id = `mix:${ev.id}`;
  const messageId =
    typeof d.messageId === 'string'
      ? d.messageId
      : typeof d.assistantMessageId === 'string'
        ? d.assistantMessageId
        : undefined;
  // tool_use_start names the call `id`; the execution frames name it `toolCallId` (SDK SSEEventStream).
  const toolCallId =
    typeof d.toolCallId === 'string'
      ? d.toolCallId
      : ev.event === MIX_EVENTS.toolStart && typeof d.id === 'string'
        ? d.id
        : undefined;
  switch (ev.event) {
    case MIX_EVENTS.userMessage:
      return { id: messageId ?? id, role: 'user', kind: 'message', text: clip(str(d.content)), ...at };
    case MIX_EVENTS.content:
      return { id: messageId ?? id, role: 'agent', kind: 'message', text: clip(str(d.content)), ...at };
    case MIX_EVENTS.toolStart:
      return {
        id: toolCallId ? `${toolCallId}:call` : id,
        role: 'agent',
        kind: 'tool_call',
        text: clip(str(d.name) || 'tool'),
        ...at,
      };
    case MIX_EVENTS.toolDone:
      return {
        id: toolCallId ? `${toolCallId}:result` : id,
        role: 'agent',
        kind: 'tool_result',
        text: clip(str(d.progress)),
        ...at,
      };
    case MIX_EVENTS.notification:
    case MIX_EVENTS.permission:
      return { id, role: 'agent', kind: 'input_request', text: clip(str(d.message ?? d.description)), ...at };
    case MIX_EVENTS.complete:
      return { id, role: 'system', kind: 'complete', text: 'turn complete', ...at };
    case MIX_EVENTS.error:
      return { id, role: 'system', kind: 'error', text: clip(str(d.error)), ...at };
    default:
      return undefined;
  }
}

/**
 * Longest shown fields, as `platformGateShown` (src/contracts/platformGates.ts) accepts them: what
 * is shown is clipped to fit, since a request whose data fails that schema would not be taken for a
 * platform request at all (no gate, and answered as plain text). Choices are kept whole: the
 * answer must repeat one exactly.
 */
const SHOWN_MAX = { toolName: 200, action: 2_000, path: 2_000, title: 500 } as const;

/** Serialized size up to which a permission's tool `params` are shown whole. */
const PARAMS_MAX_JSON = 8_000;
/** Per value once they are not: at most 50 keys of at most this many characters each. */
const PARAM_VALUE_MAX = 500;

/**
 * A permission's tool `params` as shown to a person, bounded: they go into history with the pending
 * request, and a Write tool's whole file (megabytes) would exceed Temporal's payload limit and
 * leave the session stuck. Small params stay as the platform sent them; larger ones keep their
 * first 50 keys with each value clipped (non-strings as clipped JSON) and `…truncated: true`.
 */
function boundedParams(params: Record<string, unknown>): Record<string, unknown> {
  if (JSON.stringify(params).length <= PARAMS_MAX_JSON) return params;
  const shown: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params).slice(0, 50)) {
    const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
    shown[clip(key, 200)] =
      typeof value === 'string' || text.length > PARAM_VALUE_MAX ? clip(text, PARAM_VALUE_MAX) : value;
  }
  shown['…truncated'] = true;
  return shown;
}

/**
 * A `permission` frame or a `question` notification as what a person is shown (the pending input's
 * `data`, see src/contracts/platformGates.ts); undefined for any other frame.
 */
function shownOf(ev: SseEvent): PlatformGateShown | undefined {
  if (ev.event === MIX_EVENTS.permission) {
    const p = permissionEventSchema.safeParse(ev.data);
    if (!p.success) return undefined;
    const d = p.data;
    return {
      gate: 'permission',
      platform: 'mix',
      id: d.id,
      toolName: clip(d.toolName, SHOWN_MAX.toolName),
      ...(d.action ? { action: clip(d.action, SHOWN_MAX.action) } : {}),
      ...(d.description ? { description: clip(d.description) } : {}),
      ...(d.path ? { path: clip(d.path, SHOWN_MAX.path) } : {}),
      ...(d.params ? { params: boundedParams(d.params) } : {}),
    };
  }
  if (ev.event === MIX_EVENTS.notification) {
    const n = notificationEventSchema.safeParse(ev.data);
    if (!n.success || n.data.notificationType !== 'question') return undefined;
    const d = n.data;
    return {
      gate: 'question',
      platform: 'mix',
      id: d.id,
      ...(d.title ? { title: clip(d.title, SHOWN_MAX.title) } : {}),
      message: clip(d.message || d.title || 'question'),
      responseType: d.responseType,
      ...(d.choices ? { choices: d.choices } : {}),
      ...(d.timeout ? { timeoutSeconds: Math.max(1, Math.floor(d.timeout)) } : {}),
      ...(d.createdAt ? { askedAt: d.createdAt } : {}),
    };
  }
  return undefined;
}

/** Where a follow stops: a permission request or a question for a person, or the end of the turn. */
function boundaryOf(ev: SseEvent): Partial<FollowResult> | undefined {
  const d = (ev.data ?? {}) as Record<string, unknown>;
  const shown = shownOf(ev);
  if (shown) {
    const prompt =
      shown.gate === 'permission'
        ? `Permission for ${shown.toolName}${shown.action ? ` (${shown.action})` : ''}${shown.description ? `: ${shown.description}` : ''}`
        : shown.message;
    return {
      status: 'awaiting_input',
      platformStatus: shown.gate,
      pendingInput: { requestId: shown.id, prompt, since: new Date().toISOString(), data: shown },
    };
  }
  if (ev.event === MIX_EVENTS.complete)
    return { status: 'completed', platformStatus: 'complete', result: str(d.content) };
  if (ev.event === MIX_EVENTS.error) {
    // assumption (wire.ts): a turn ended by cancel_processing reports error type `cancelled`.
    if (d.type === 'cancelled' || d.type === 'canceled') return { status: 'cancelled', platformStatus: 'cancelled' };
    // Mix retries a failing turn itself; only its last attempt ends the turn.
    const attempt = typeof d.attempt === 'number' ? d.attempt : undefined;
    const max = typeof d.maxAttempts === 'number' ? d.maxAttempts : undefined;
    if (attempt !== undefined && max !== undefined && attempt < max) return undefined;
    return { status: 'failed', platformStatus: 'error', error: str(d.error) || 'failed' };
  }
  return undefined;
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

/**
 * How far before the workflow's `requestedAt` a message may be stamped and still count as ours: the
 * message's `createdAt` is Mix's clock, `requestedAt` the Temporal server's, so a little skew
 * between them must not hide our own message.
 */
export const MIX_SEND_SKEW_MS = 1_000;

/**
 * Whether a user message with this text was created at or after `requestedAt` (less
 * {@link MIX_SEND_SKEW_MS}): one that an earlier run of this same operation sent, its answer lost
 * with a crash. Mix's message list (SDK BackendMessage) has no time; the export's messages carry
 * `createdAt` (SDK ExportMessage, required), so the export is read. The scan walks back from the
 * newest message and stops at the first user message older than the window.
 *
 * residual risk: the same text sent by another client (or by this workflow, deliberately, twice)
 * within {@link MIX_SEND_SKEW_MS} before this operation was accepted is taken for ours, and this
 * message is not sent.
 */
async function sentSince(
  c: MixClient,
  sessionId: string,
  text: string,
  requestedAt: number,
  signal?: AbortSignal,
): Promise<boolean> {
  const since = requestedAt - MIX_SEND_SKEW_MS;
  const messages = (await c.exportSession(sessionId, { signal })).messages;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role !== 'user') continue;
    const at = m.createdAt ? Date.parse(m.createdAt) : Number.NaN;
    // Mix stamps every message; one without a readable time cannot be placed, so it is not ours.
    if (Number.isNaN(at)) continue;
    if (at < since) return false;
    if (m.content === text) return true;
  }
  return false;
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
      if (!call.idempotencyKey)
        throw new Error('Mix create needs a stable idempotency key (it names the session marker)');
      const o = input.mix;
      const c = client(input.credentialAlias);
      const marker = markerFor(call.idempotencyKey);
      // An earlier attempt may have created it already: Mix ignores Idempotency-Key, the marker is ours.
      let s = (await c.list({}, { signal: call.signal })).find((x) => x.title?.endsWith(marker));
      // The create checks run inside the client too: bad options fail here, before any request.
      s ??= await c.create(
        {
          title: `${input.title ?? titleFrom(input.task)} ${marker}`,
          browserMode: o.browserMode ?? DEFAULT_BROWSER_MODE,
          cdpUrl: o.cdpUrl,
          promptMode: o.promptMode,
          customSystemPrompt: o.customSystemPrompt,
          sessionType: o.sessionType,
          callbacks: o.callbacks?.map(normalizeCallback),
        },
        subKey(call, 'create'),
      );
      // The task is the session's first user message: sent once, whatever the retries.
      if (!s.userMessageCount) await c.sendMessage(s.id, { text: input.task }, subKey(call, 'task'));
      return {
        ref: { platform: 'mix', alias: input.credentialAlias, sessionId: s.id },
        status: 'running',
        platformStatus: 'processing',
      };
    },

    async follow(
      ref: SessionRef,
      cursor: FollowCursor,
      budget: FollowBudget,
      hooks: FollowHooks,
    ): Promise<FollowResult> {
      const c = client(ref.alias);
      const started = Date.now();
      const entries: TranscriptEntry[] = [];
      let last = cursor;
      let count = 0;
      let boundary: Partial<FollowResult> | undefined;

      await readWithinBudget(hooks, budget.maxMs, async (signal) => {
        for await (const ev of c.stream(ref.sessionId, { lastEventId: cursor, signal })) {
          if (ev.event === 'connected') continue; // says only that the stream is open
          count += 1;
          boundary = boundaryOf(ev);
          last = ev.id;
          const entry = toEntry(ev);
          const prev = entries.at(-1);
          // Streamed content arrives as deltas of one message: one entry per message in a batch.
          if (
            entry &&
            prev &&
            ev.event === MIX_EVENTS.content &&
            prev.kind === 'message' &&
            prev.role === 'agent' &&
            prev.id === entry.id
          )
            prev.text = clip(prev.text + entry.text);
          else if (entry) entries.push(entry);
          if (boundary) break;
          // The boundary's own id is never heartbeated: a retry re-reads it, so a question or an
          // ending is never consumed by an attempt that died before returning it.
          hooks.progress(last);
          if (count >= budget.maxEvents || Date.now() - started >= budget.maxMs) break;
        }
      });
      const base: FollowResult = {
        entries,
        cursor: last,
        status: 'running',
        platformStatus: 'processing',
        platformEvents: count,
      };
      if (boundary) return { ...base, ...boundary };
      if (count > 0) return base;
      // Nothing new in a whole budget: the turn may have ended before this cursor; the transcript tells.
      const messages = (await c.exportSession(ref.sessionId, { signal: hooks.signal })).messages;
      const status = fromTranscript(messages);
      const lastAgent = [...messages].reverse().find((m) => m.role === 'assistant');
      return {
        ...base,
        status,
        platformStatus: `derived:${status}`,
        ...(status === 'completed' ? { result: lastAgent?.content ?? '' } : {}),
        ...(status === 'failed' ? { error: lastAgent?.content ?? 'failed' } : {}),
      };
    },

    async sendMessage(ref, text, call, opts = {}): Promise<void> {
      const c = client(ref.alias);
      // Mix ignores Idempotency-Key and a message carries no tag of ours.
      if (opts.requestedAt !== undefined) {
        // Checked on every run, not only when `attempt > 1`: steering runs as a local activity, which
        // a new worker re-runs from attempt 1 after a crash. `requestedAt` is the same on every run.
        if (await sentSince(c, ref.sessionId, text, opts.requestedAt, call.signal)) return;
      } else if ((call.attempt ?? 1) > 1) {
        // A run recorded before `requestedAt` existed: on a retry, an earlier attempt's message may
        // already be the newest user message (a crash re-run from attempt 1 is not covered here).
        const newestUser = (await c.listMessages(ref.sessionId, { signal: call.signal }))
          .filter((m) => m.role === 'user')
          .at(-1);
        if (newestUser?.userInput === text) return;
      }
      await c.sendMessage(ref.sessionId, { text }, call);
    },

    async answerInput(ref, requestId, response, call): Promise<void> {
      // A question's id is the notification's; the answer is its text (`responseType: text`).
      const value = typeof response === 'string' ? response : JSON.stringify(response);
      await client(ref.alias).respondToNotification(requestId, { type: 'text', value }, call);
    },

    async answerPlatformGate(ref, requestId, answer: PlatformGateAnswer, call): Promise<string> {
      const c = client(ref.alias);
      const what = answer.gate === 'permission' ? (answer.grant ? 'granted' : 'denied') : `answered (${answer.type})`;
      try {
        if (answer.gate === 'permission') {
          if (answer.grant) await c.grantPermission(requestId, call);
          else await c.denyPermission(requestId, call);
        } else {
          await c.respondToNotification(
            requestId,
            { type: answer.type, ...(answer.value !== undefined ? { value: answer.value } : {}) },
            call,
          );
        }
        return what;
      } catch (err) {
        // Mix has no idempotency key and no lookup of open requests, but it answers an id once and
        // refuses the next answer as not found (wire.ts). On a retry, that refusal means an earlier
        // attempt's answer landed; on a first attempt it is a real failure.
        if (err instanceof NotFoundError && (call.attempt ?? 1) > 1) return `${what} (by an earlier attempt)`;
        throw err;
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
