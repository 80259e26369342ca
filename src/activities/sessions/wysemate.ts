/**
 * Wyse Mate session adapter: sessions on a team, followed by paging their messages and polling
 * `session.get_info` for the status (the seed documents no event stream over HTTP).
 *
 * What the platform offers, and so what this adapter does:
 * - create: `session.create({team_id, task, title})`. Residual risk: the seed documents no
 *   Idempotency-Key, no session list and no tag a lookup could find (the only session read takes
 *   its id), so a retry after an answer lost in transit creates a second session, and the first
 *   runs its task unobserved. The key is still sent (harmless; a platform that honours it replays).
 * - follow: the cursor is `"<messages seen>:<last message id>"`; messages are append-only and
 *   oldest-first, so the position alone tells us where the next page starts.
 * - rename: `session.update_session_name`.
 * - rename: a PUT of the title: repeating it changes nothing.
 * - cancel: `session.stop` (not in the seed; see src/providers/wysemate/routes.ts), only after
 *   `get_info` says the session is still running: a retry finds it stopped and sends nothing.
 * - cleanup: stop if still running, then release every browser the listing still shows open (a
 *   retry skips the ones an earlier attempt released; a 404 counts as released). The seed has no
 *   session delete, so `deleteOnPlatform` cannot be honoured; nor is there a transcript export.
 * - No sendMessage/answerInput: the seed documents no way to post a user message over HTTP.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { NotFoundError } from '../../providers/errors.js';
import type { CallOptions } from '../../providers/http.js';
import type { MessageResponse, SessionInfo, WyseMateClient } from '../../providers/wysemate/client.js';
import { BROWSER_STATUS, MAX_PAGE_SIZE } from '../../providers/wysemate/routes.js';
import type {
  AdapterFactory,
  AgentSessionInput,
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

/**
 * Platform status word → ours. `paused` stays `running`: the seed offers no way to answer or
 * resume over HTTP, so reporting `awaiting_input` would open a gate nobody can close.
 */
export function wyseMateStatus(platformStatus: string): SessionStatus {
  switch (platformStatus.toLowerCase()) {
    case 'created':
      return 'starting';
    case 'completed':
    case 'complete':
    case 'ended':
      return 'completed';
    case 'error':
    case 'failed':
      return 'failed';
    case 'stopped':
    case 'cancelled':
    case 'canceled':
      return 'cancelled';
    default:
      // `active`, `running`, `paused` and any word we do not know yet: keep following.
      return 'running';
  }
}

const TERMINAL: ReadonlySet<SessionStatus> = new Set(['completed', 'failed', 'cancelled']);

/** Parses `"<count>:<lastId>"`; anything else starts from the beginning. */
function parseCursor(cursor: FollowCursor): { count: number; lastId?: string } {
  if (!cursor) return { count: 0 };
  const i = cursor.indexOf(':');
  const count = Number(i < 0 ? cursor : cursor.slice(0, i));
  return Number.isInteger(count) && count >= 0
    ? { count, lastId: i < 0 ? undefined : cursor.slice(i + 1) || undefined }
    : { count: 0 };
}

function formatCursor(count: number, lastId: string | undefined): FollowCursor {
  return `${count}:${lastId ?? ''}`;
}

function toEntry(m: MessageResponse): TranscriptEntry {
  const src = m.source.toLowerCase();
  const role: TranscriptEntry['role'] =
    src === 'user' || m.source_type === 'human' ? 'user' : src === 'system' ? 'system' : 'agent';
  return { id: m.message_id, role, kind: m.type ?? 'text', text: m.content, at: m.created_at ?? undefined };
}

function resultOf(info: SessionInfo): string | undefined {
  const r = info.task_result;
  if (!r || Object.keys(r).length === 0) return undefined;
  return typeof r.result === 'string' ? r.result : JSON.stringify(r);
}

/** Derives a distinct, still retry-stable key for each mutating call one activity makes. */
function subKey(call: CallOptions, step: string): CallOptions {
  return { ...call, idempotencyKey: call.idempotencyKey ? `${call.idempotencyKey}:${step}` : undefined };
}

class WyseMateAdapter implements SessionAdapter {
  readonly platform = 'wysemate' as const;

  constructor(private readonly clientFor: (alias: string) => WyseMateClient) {}

  async create(input: AgentSessionInput, call: CallOptions): Promise<CreatedSession> {
    if (input.platform !== 'wysemate') throw new TypeError(`Wyse Mate adapter got a ${input.platform} session`);
    const client = this.clientFor(input.credentialAlias);
    const teamId = input.wysemate.teamId;
    // residual risk: no lookup exists for a session whose create answer was lost (see the header):
    // a retry after the platform created it makes a second one. README "Exactly once".
    const { session_id } = await client.session.create({ team_id: teamId, task: input.task, title: input.title }, call);
    const info = await client.session.getInfo(session_id, { signal: call.signal });
    return {
      ref: { platform: 'wysemate', alias: input.credentialAlias, sessionId: session_id, extra: { teamId } },
      status: wyseMateStatus(info.status),
      platformStatus: info.status,
    };
  }

  async follow(ref: SessionRef, cursor: FollowCursor, budget: FollowBudget, hooks: FollowHooks): Promise<FollowResult> {
    const client = this.clientFor(ref.alias);
    const call: CallOptions = { signal: hooks.signal };
    const started = Date.now();
    let pos = parseCursor(cursor);
    let firstStatus: string | undefined;
    for (;;) {
      // Status first, messages second: when the status is terminal, the messages read after it
      // include everything the session said before ending.
      const info = await client.session.getInfo(ref.sessionId, call);
      firstStatus ??= info.status;
      const read = await this.readMessages(client, ref.sessionId, pos, budget.maxEvents, hooks, call);
      pos = read.pos;
      const status = wyseMateStatus(info.status);
      const elapsed = Date.now() - started;
      if (read.entries.length > 0 || info.status !== firstStatus || TERMINAL.has(status) || elapsed >= budget.maxMs) {
        // A terminal status only once we have caught up, so the workflow never stops following
        // with messages still unread (the batch may have been cut by maxEvents).
        const reported: SessionStatus = TERMINAL.has(status) && !read.caughtUp ? 'running' : status;
        return {
          entries: read.entries,
          cursor: formatCursor(pos.count, pos.lastId),
          status: reported,
          platformStatus: info.status,
          platformEvents: read.entries.length,
          result: reported === 'completed' ? resultOf(info) : undefined,
          error: reported === 'failed' ? info.error_message || 'session ended with error' : undefined,
        };
      }
      await sleep(Math.max(1, Math.min(budget.pollMs, budget.maxMs - elapsed)), undefined, { signal: hooks.signal });
    }
  }

  /** Reads messages after position `pos.count`, at most `max`, page by page. */
  private async readMessages(
    client: WyseMateClient,
    sessionId: string,
    start: { count: number; lastId?: string },
    max: number,
    hooks: FollowHooks,
    call: CallOptions,
  ): Promise<{ entries: TranscriptEntry[]; pos: { count: number; lastId?: string }; caughtUp: boolean }> {
    const entries: TranscriptEntry[] = [];
    const pos = { ...start };
    const size = MAX_PAGE_SIZE;
    for (;;) {
      const pageNum = Math.floor(pos.count / size) + 1;
      const skip = pos.count % size;
      const page = await client.session.getMessages(sessionId, { page_num: pageNum, page_size: size }, call);
      const fresh = page.messages.slice(skip);
      const take = fresh.slice(0, Math.max(0, max - entries.length));
      for (const m of take) entries.push(toEntry(m));
      if (take.length > 0) {
        pos.count += take.length;
        pos.lastId = take[take.length - 1]!.message_id;
        hooks.progress(formatCursor(pos.count, pos.lastId));
      }
      const caughtUp = pos.count >= page.total_count;
      if (caughtUp || entries.length >= max || fresh.length === 0) return { entries, pos, caughtUp };
    }
  }

  async rename(ref: SessionRef, name: string, call: CallOptions): Promise<void> {
    await this.clientFor(ref.alias).session.updateSessionName({ session_id: ref.sessionId, title: name }, call);
  }

  /** Stops the session unless it already ended (so a second cancel sends nothing). */
  async cancel(ref: SessionRef, call: CallOptions): Promise<void> {
    const client = this.clientFor(ref.alias);
    const info = await client.session.getInfo(ref.sessionId, { signal: call.signal });
    if (TERMINAL.has(wyseMateStatus(info.status))) return;
    await client.session.stop(ref.sessionId, call);
  }

  async cleanup(
    ref: SessionRef,
    _opts: { deleteOnPlatform: boolean },
    call: CallOptions,
  ): Promise<{ exportedTranscript?: string }> {
    const client = this.clientFor(ref.alias);
    // Stop first: a running agent could open another browser after we released the last one.
    const info = await client.session.getInfo(ref.sessionId, { signal: call.signal });
    if (!TERMINAL.has(wyseMateStatus(info.status))) await client.session.stop(ref.sessionId, subKey(call, 'stop'));
    // Collect first, release after: releasing while paging could shift a live listing.
    const open: string[] = [];
    for await (const b of client.browser.iterateBrowsers(ref.sessionId, {}, { signal: call.signal })) {
      if (b.status !== BROWSER_STATUS.closed && b.status !== BROWSER_STATUS.released) open.push(b.browser_id);
    }
    for (const id of open) {
      try {
        await client.browser.releaseBrowser(id, subKey(call, `release:${id}`));
      } catch (err) {
        // Already gone on the platform: that is what releasing wanted.
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
    // deleteOnPlatform: the seed documents no session delete, so there is nothing to call.
    return {};
  }
}

/** Builds the Wyse Mate {@link SessionAdapter} over the provider registry. */
export const createWyseMateAdapter: AdapterFactory = (providers) =>
  new WyseMateAdapter((alias) => providers.client('wysemate', alias));
