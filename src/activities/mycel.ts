/**
 * Mycel activities: thin adapters over {@link MycelClient} for the approval workflows (join
 * requests, relationships), the caught-up send, and the notification reader the inbox loops on.
 *
 * Exactly once without Idempotency-Key. mycel-sdk 0.1.83 neither sends nor documents the header
 * and the platform is taken to ignore it (the sandbox does too), so a retried attempt — or a new
 * worker after a crash — must find out what an earlier attempt already did before it acts again.
 * Each mutating activity does so with what the API really offers (see {@link settleOnce}):
 * - approve / reject a join request, approve a relationship: on a retry, read the request's state
 *   first; a 409 on the call itself is read the same way, and a state that already matches is done;
 * - ask to join: on a retry, `join-target` names the caller's pending request;
 * - ask for a relationship: on a retry, the caller's pending request to that user is in the list;
 * - send a message: there is no client message id or metadata on `SendMessageBody`, so a retry
 *   looks for a message from this identity with the same text, created since the activity was
 *   first scheduled (see `mycelSendCaughtUp` for what that cannot tell apart);
 * - `messages.read` marks what it returns read: a retry finds them read, which is what we want.
 * The workflow still passes a stable key (`${workflowId}/${firstExecutionRunId}/<step>`), sent as
 * Idempotency-Key: harmless where it is ignored, and replay where a deployment honours it.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { ConflictError, NotFoundError, ProviderError } from '../providers/errors.js';
import type { CallOptions } from '../providers/http.js';
import { isChatNotCaughtUp, type MycelMessage, type MycelNotification } from '../providers/mycel/client.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { mapFailures, toApplicationFailure } from './failures.js';

/** See `mycelApprovalOutcome`. */
export type ApprovalOutcome =
  | { running: true }
  | { running: false; result: unknown }
  | { running: false; status: 'failed' | 'cancelled'; error: string };

/** Tries of {@link createMycelActivities}' `mycelSendCaughtUp` before it gives up. */
export const MAX_CAUGHT_UP_TRIES = 3;

/**
 * How far back (ms) before the activity was first scheduled a retried send still counts a message
 * of ours as the earlier attempt's: the platform's clock and the worker's may disagree.
 */
export const SEND_CLOCK_SKEW_MS = 5_000;

/** Messages a retried send looks through for its earlier attempt's (the newest page). */
const SEND_LOOKBACK = 50;

/** Longest one `wait` long poll is held (the SDK's default `timeout_seconds`). */
export const WAIT_SECONDS = 25;

/** Polls one read makes at most in wait mode (each is held up to {@link WAIT_SECONDS}). */
const MAX_WAIT_POLLS = 1_000;

/** One notification, reduced to what a workflow needs to act (never a message body). */
export interface MycelFrame {
  /** Per-user sequence number; `null` when a notification carried none. */
  seq: number | null;
  eventType: string | null;
  chatId: string | null;
  requestId: string | null;
  relationshipId: string | null;
  senderId: string | null;
}

export interface ReadNotificationsArgs {
  alias: string;
  /**
   * Only notifications with a greater `seq` are returned. Durable: the caller records it (in its
   * history) only once it handled everything up to it, and wait mode acknowledges only that far.
   */
  sinceSeq: number;
  /** Return once this many frames were collected (a wait answer may exceed it: it is kept whole). @default 100 */
  maxFrames?: number;
  /** Return after this long, with whatever was collected. @default 30000 */
  maxMs?: number;
  /** Once a frame is collected, return after this long without another. @default 300 */
  idleMs?: number;
  /** Keep only these event types (the rest still advance `lastSeq`). @default all */
  eventTypes?: string[];
}

export interface ReadNotificationsResult {
  frames: MycelFrame[];
  /** Highest `seq` seen, kept or not: the next read starts after it. */
  lastSeq: number;
  /** `wait` when the platform refused the WebSocket and the reader fell back to the long poll. */
  mode: 'stream' | 'wait';
  /** Replay gaps the platform reported (`replay_overflow`: frames it no longer held). */
  gaps: { sinceSeq: number; oldestSeq: number }[];
}

/** What the reader heartbeats: enough for a retry to resume without losing or repeating a frame. */
interface ReaderCheckpoint extends ReadNotificationsResult {
  sinceSeq: number;
}

/** Ends a stream read on our own budget (not a failure). */
class ReadBudget extends Error {}

function toFrame(seq: number | null, m: MycelNotification): MycelFrame {
  return {
    seq,
    eventType: m.event_type ?? null,
    chatId: m.chat_id ?? null,
    requestId: m.request_id ?? null,
    relationshipId: m.relationship_id ?? null,
    senderId: m.sender_id ?? null,
  };
}

/**
 * The WebSocket is not there or refused the upgrade for good: 404/405 (no such route), 426/501
 * (no upgrade here), or a 502/503 from a proxy that does not pass WebSockets. Auth failures are
 * not in the list: the long poll would fail the same way.
 */
function streamUnavailable(err: unknown): boolean {
  if (err instanceof NotFoundError) return true;
  if (!(err instanceof ProviderError) || err.status === undefined) return false;
  return [405, 426, 501, 502, 503].includes(err.status);
}

/** Milliseconds since the epoch of a platform timestamp (ISO string, or epoch seconds/ms), or NaN. */
function epochMs(t: string | number | null | undefined): number {
  if (typeof t === 'number') return t < 1e12 ? t * 1000 : t;
  return typeof t === 'string' ? Date.parse(t) : NaN;
}

/**
 * Acts once on a platform that ignores Idempotency-Key. On a retried attempt, `read` first: when
 * it finds the effect already there (`settled`), an earlier attempt did it and its answer was
 * lost, so nothing is sent again. A 409 on `act` is read the same way: the request was decided
 * already, and if it was decided the way we want, that is our answer. Anything else propagates.
 *
 * What this cannot close: a second actor deciding the same request the same way between our read
 * and our call looks like our own earlier attempt, which for a decision is the same outcome.
 */
async function settleOnce<T>(
  read: () => Promise<T | undefined>,
  act: () => Promise<T>,
  settled: (t: T) => boolean,
): Promise<T> {
  if (Context.current().info.attempt > 1) {
    const before = await read();
    if (before !== undefined && settled(before)) return before;
  }
  try {
    return await act();
  } catch (err) {
    if (err instanceof ConflictError) {
      const after = await read();
      if (after !== undefined && settled(after)) return after;
    }
    throw err;
  }
}

/**
 * Mycel activities: requests, approvals, caught-up messages and notification reads, each with the
 * token of the alias it names.
 */
export function createMycelActivities(deps: { providers: ProviderRegistry }) {
  const mycel = (alias: string) => deps.providers.client('mycel', alias);
  const call = (key?: string): CallOptions => {
    const ctx = Context.current();
    return { signal: ctx.cancellationSignal, idempotencyKey: key, attempt: ctx.info.attempt };
  };

  /** The join request as the owner sees it (undefined when the chat has no such request). */
  const findJoinRequest = async (alias: string, chatId: string, requestId: string) =>
    (await mycel(alias).chats.listJoinRequests(chatId, call())).find((j) => j.id === requestId);

  /**
   * Decides a join request as its owner, exactly once (see {@link settleOnce}). A reject of a
   * request (or chat) the platform does not know (404) answers `state: 'absent'`: there is nothing
   * to let in, which is what a reject wants; an approve of one fails.
   */
  const decideJoin = (
    args: { alias: string; chatId: string; requestId: string; key: string },
    decision: 'approved' | 'rejected',
  ) =>
    mapFailures(async () => {
      const client = mycel(args.alias);
      try {
        const r = await settleOnce(
          () => findJoinRequest(args.alias, args.chatId, args.requestId),
          () =>
            decision === 'approved'
              ? client.chats.approveJoin(args.chatId, args.requestId, call(args.key))
              : client.chats.rejectJoin(args.chatId, args.requestId, call(args.key)),
          (j) => j.state === decision,
        );
        return { state: r.state, decidedBy: r.decided_by ?? undefined, requester: r.requester_user_id };
      } catch (err) {
        if (decision === 'rejected' && err instanceof NotFoundError)
          return { state: 'absent', decidedBy: undefined, requester: undefined };
        throw err;
      }
    });

  return {
    /**
     * Visitor side: asks to join a group chat. A retry first asks `join-target` for the caller's
     * pending request, so a request whose answer was lost is not made twice.
     */
    async mycelRequestJoin(args: { alias: string; chatId: string; message?: string; key: string }) {
      return mapFailures(async () => {
        const client = mycel(args.alias);
        if (Context.current().info.attempt > 1) {
          const target = await client.chats.joinTarget(args.chatId, call());
          if (target.pending_request_id) {
            const me = await client.me.whoami(call());
            return { requestId: target.pending_request_id, requester: me.id, message: args.message, state: 'pending' };
          }
        }
        const r = await client.chats.requestJoin(args.chatId, args.message, call(args.key));
        return { requestId: r.id, requester: r.requester_user_id, message: r.message ?? undefined, state: r.state };
      });
    },

    /** Owner side: what the deciders are shown (requester and message) and the request's state. */
    async mycelGetJoinRequest(args: { alias: string; chatId: string; requestId: string }) {
      return mapFailures(async () => {
        const r = await findJoinRequest(args.alias, args.chatId, args.requestId);
        if (!r) {
          throw ApplicationFailure.create({
            type: 'NotFoundError',
            message: `join request ${args.requestId} is not in chat ${args.chatId}`,
            nonRetryable: true,
          });
        }
        return { requestId: r.id, requester: r.requester_user_id, message: r.message ?? undefined, state: r.state };
      });
    },

    /** Approves with the decider's own token (the owner), exactly once. */
    async mycelApproveJoin(args: { alias: string; chatId: string; requestId: string; key: string }) {
      return decideJoin(args, 'approved');
    },

    /**
     * Rejects with the decider's own token (the owner), exactly once. A request approved meanwhile
     * (by someone else, on the platform) is a 409 that stays a failure: the rejection did not happen.
     */
    async mycelRejectJoin(args: { alias: string; chatId: string; requestId: string; key: string }) {
      return decideJoin(args, 'rejected');
    },

    /** Requester side: asks `targetUserId` for a relationship (starts `pending`), exactly once. */
    async mycelRequestRelationship(args: { alias: string; targetUserId: string; key: string }) {
      return mapFailures(async () => {
        const client = mycel(args.alias);
        const r = await settleOnce(
          async () =>
            (await client.relationships.list(call())).find(
              (x) => x.other_user_id === args.targetUserId && x.state === 'pending' && x.is_requester,
            ),
          () => client.relationships.request(args.targetUserId, call(args.key)),
          (x) => x.state === 'pending' && x.is_requester === true,
        );
        return { relationshipId: r.id, state: r.state, other: r.other_user_id };
      });
    },

    /** The recipient approves with its own token: `pending` → `visit`, exactly once. */
    async mycelApproveRelationship(args: { alias: string; relationshipId: string; key: string }) {
      return mapFailures(async () => {
        const client = mycel(args.alias);
        const r = await settleOnce(
          async () => (await client.relationships.list(call())).find((x) => x.id === args.relationshipId),
          () => client.relationships.approve(args.relationshipId, call(args.key)),
          (x) => x.state === 'visit',
        );
        return { state: r.state, other: r.other_user_id };
      });
    },

    /**
     * The recipient rejects with its own token, exactly once. A relationship the platform does not
     * know (404) answers `state: 'absent'`: nothing is granted, which is what a reject wants.
     */
    async mycelRejectRelationship(args: { alias: string; relationshipId: string; key: string }) {
      return mapFailures(async () => {
        const client = mycel(args.alias);
        try {
          const r = await settleOnce(
            async () => (await client.relationships.list(call())).find((x) => x.id === args.relationshipId),
            () => client.relationships.reject(args.relationshipId, call(args.key)),
            (x) => x.state === 'rejected',
          );
          return { state: r.state, other: r.other_user_id };
        } catch (err) {
          if (err instanceof NotFoundError) return { state: 'absent', other: undefined };
          throw err;
        }
      });
    },

    /**
     * How an approval workflow stands, read from Temporal (the worker's own client): still running,
     * or ended — with its result when it completed. The requester side asks when the approval's own
     * answer (a signal) cannot come: it had already ended, or it was terminated or timed out.
     */
    async mycelApprovalOutcome(args: {
      workflowId: string;
      workflowType?: string;
      waitMs?: number;
    }): Promise<ApprovalOutcome> {
      const ctx = Context.current();
      let described = await ctx.client.workflow.getHandle(args.workflowId).describe();
      // Woken by the approval's own signal, which it sends just before it completes: give it a
      // moment to finish rather than report `running` and wait for the hourly check.
      const until = Date.now() + Math.min(args.waitMs ?? 0, 20_000);
      while (described.status.name === 'RUNNING' && Date.now() < until) {
        await ctx.sleep(250);
        ctx.heartbeat();
        described = await ctx.client.workflow.getHandle(args.workflowId).describe();
      }
      // Only the approval workflow itself is a source: a workflow of another type (or on another
      // task queue) that an outsider started under the same id is not.
      if ((args.workflowType && described.type !== args.workflowType) || described.taskQueue !== ctx.info.taskQueue) {
        return {
          running: false,
          status: 'failed',
          error: `workflow ${args.workflowId} is a ${described.type} on task queue ${described.taskQueue}, not this request's approval workflow`,
        };
      }
      const status = described.status.name;
      if (status === 'RUNNING') return { running: true };
      if (status === 'COMPLETED')
        return {
          running: false,
          result: await ctx.client.workflow.getHandle(args.workflowId, described.runId).result(),
        };
      return {
        running: false,
        status: status === 'CANCELLED' ? 'cancelled' : 'failed',
        error: `the approval workflow ${args.workflowId} ended ${status.toLowerCase()}`,
      };
    },

    async mycelWhoami(args: { alias: string }) {
      return mapFailures(async () => {
        const u = await mycel(args.alias).me.whoami(call());
        return { id: u.id, displayName: u.display_name ?? undefined, type: u.type ?? undefined };
      });
    },

    /**
     * Reads the chat, then sends with `enforce_caught_up`. When a message lands between the read
     * and the send, the platform refuses ({@link isChatNotCaughtUp}): read again and retry, at most
     * {@link MAX_CAUGHT_UP_TRIES} times, then fail non-retryably (the chat is too busy to speak in).
     *
     * Exactly once: `SendMessageBody` has no client message id or metadata to carry a marker, so a
     * retried attempt first looks through the newest {@link SEND_LOOKBACK} messages for one from
     * this identity with the same text, created since the activity was first scheduled (less
     * {@link SEND_CLOCK_SKEW_MS}); found, it was the earlier attempt's, and nothing is sent again.
     * Residual risk: the same identity posting the same text into the same chat within that window
     * by another path is taken for ours (the post is then not repeated); more than
     * {@link SEND_LOOKBACK} messages landing after ours hide it (the post is then repeated).
     */
    async mycelSendCaughtUp(args: { alias: string; chatId: string; text: string; key: string }) {
      const ctx = Context.current();
      const client = mycel(args.alias);
      if (ctx.info.attempt > 1) {
        const earlier = await mapFailures(async () => {
          const me = (await client.me.whoami(call())).id;
          const since = ctx.info.scheduledTimestampMs - SEND_CLOCK_SKEW_MS;
          const recent = await client.messages.list(args.chatId, { ...call(), limit: SEND_LOOKBACK });
          return recent.findLast(
            (m: MycelMessage) => m.sender_id === me && m.content === args.text && epochMs(m.created_at) >= since,
          );
        });
        if (earlier) return { messageId: earlier.id, tries: 1, readMessages: 0, recovered: true };
      }
      let read = 0;
      for (let attempt = 1; attempt <= MAX_CAUGHT_UP_TRIES; attempt++) {
        read += (await mapFailures(() => client.messages.read(args.chatId, call(`${args.key}/read-${attempt}`))))
          .length;
        try {
          const sent = await client.messages.send(args.chatId, args.text, {
            ...call(`${args.key}/send-${attempt}`),
            enforceCaughtUp: true,
          });
          return { messageId: sent.id, tries: attempt, readMessages: read, recovered: false };
        } catch (err) {
          if (isChatNotCaughtUp(err)) continue;
          throw toApplicationFailure(err);
        }
      }
      throw ApplicationFailure.create({
        type: 'ChatNotCaughtUpError',
        message: `chat ${args.chatId} kept moving: still not caught up after ${MAX_CAUGHT_UP_TRIES} read-and-send tries (credential alias "${args.alias}")`,
        nonRetryable: true,
      });
    },

    /**
     * Reads notifications after `sinceSeq` until a budget is spent (`maxFrames`, `maxMs`, or
     * `idleMs` of quiet after the first frame), from the runtime inbox WebSocket, resumed from the
     * cursor. Heartbeats the frames collected so far and the highest `seq` seen; a retry resumes
     * from that heartbeat, so a frame read before a cut or a crash is neither lost nor returned twice.
     *
     * When the WebSocket is refused ({@link streamUnavailable}) it falls back to the long poll
     * `wait`, which takes nothing: a lost answer is simply asked again. What `wait` shows stays
     * undrained until acknowledged with `drain`, and `drain` is not replayable (it takes everything
     * undrained, and an answer lost on the way is gone). So the reader drains only once every
     * notification `wait` showed is at or below `sinceSeq`, which the workflow has already recorded
     * in its history: what drain takes has been recorded durably before it is acknowledged, and a
     * retry never needs a drain answer. Drain's own answer is still read, for notifications that
     * landed between the wait and the drain; a drain answer lost on the way loses only those (a
     * window of one round trip, the residual risk the API leaves).
     */
    async mycelReadNotifications(args: ReadNotificationsArgs): Promise<ReadNotificationsResult> {
      const ctx = Context.current();
      const maxFrames = Math.max(1, args.maxFrames ?? 100);
      const maxMs = Math.max(1, args.maxMs ?? 30_000);
      const idleMs = Math.max(1, args.idleMs ?? 300);
      const wanted = args.eventTypes ? new Set(args.eventTypes) : undefined;
      const keep = (m: MycelNotification) => !wanted || wanted.has(m.event_type ?? '');
      const client = mycel(args.alias);
      const hb = ctx.info.heartbeatDetails as Partial<ReaderCheckpoint> | undefined;
      // Resume only a checkpoint of this same read (same starting point) and of a mode this reader knows.
      const st: ReaderCheckpoint =
        hb && hb.sinceSeq === args.sinceSeq && (hb.mode === 'stream' || hb.mode === 'wait')
          ? (hb as ReaderCheckpoint)
          : { sinceSeq: args.sinceSeq, lastSeq: args.sinceSeq, frames: [], mode: 'stream', gaps: [] };
      const checkpoint = () => ctx.heartbeat({ ...st, frames: [...st.frames], gaps: [...st.gaps] });
      const started = Date.now();
      const left = () => maxMs - (Date.now() - started);
      const result = (): ReadNotificationsResult => ({
        frames: st.frames,
        lastSeq: st.lastSeq,
        mode: st.mode,
        gaps: st.gaps,
      });
      // Heartbeat on a timer too: a quiet stream (or a held wait) yields nothing to heartbeat on.
      const beat = setInterval(checkpoint, 2_000);
      try {
        while (st.mode === 'stream' && left() > 0 && st.frames.length < maxFrames) {
          const stop = new AbortController();
          const signal = AbortSignal.any([ctx.cancellationSignal, stop.signal]);
          const budget = setTimeout(() => stop.abort(new ReadBudget('read budget elapsed')), left());
          let idle: NodeJS.Timeout | undefined;
          const armIdle = () => {
            clearTimeout(idle);
            idle = setTimeout(() => stop.abort(new ReadBudget('quiet after frames')), idleMs);
          };
          if (st.frames.length > 0) armIdle(); // resumed with frames: do not sit on them
          try {
            for await (const f of client.notifications.stream(st.lastSeq, { signal })) {
              if (f.type === 'replay_overflow') {
                st.gaps.push({ sinceSeq: f.since_seq, oldestSeq: f.oldest_seq });
                continue;
              }
              if (f.seq <= st.lastSeq) continue;
              st.lastSeq = f.seq;
              if (keep(f.metadata)) {
                st.frames.push(toFrame(f.seq, f.metadata));
                armIdle();
              }
              checkpoint();
              if (st.frames.length >= maxFrames) break;
            }
          } catch (err) {
            // Our own budget ending the read is the normal way out, not a failure.
            if (stop.signal.aborted && !ctx.cancellationSignal.aborted) return result();
            if (streamUnavailable(err)) {
              st.mode = 'wait';
              checkpoint();
              break;
            }
            throw toApplicationFailure(err);
          } finally {
            clearTimeout(budget);
            clearTimeout(idle);
          }
          if (st.frames.length > 0) return result();
          // The server closed the stream cleanly with nothing for us: reconnect, but not in a hot loop.
          if (left() > 250) await ctx.sleep(250);
        }
        if (st.mode === 'wait') {
          /** Keeps what is new (above the cursor). */
          const take = (items: MycelNotification[], from: 'wait' | 'drain'): void => {
            for (const n of items) {
              const seq = n.seq ?? null;
              // Without a seq a notification cannot be placed against the cursor, and `wait` would
              // show it again until drained: it is taken from drain's answer only, which shows it once.
              if (seq === null ? from === 'wait' : seq <= st.lastSeq) continue;
              if (seq !== null) st.lastSeq = seq;
              if (keep(n)) st.frames.push(toFrame(seq, n));
            }
          };
          for (let poll = 0; poll < MAX_WAIT_POLLS && st.frames.length === 0 && left() > 0; poll++) {
            // Held at most until our own budget ends (whole seconds; 0 answers at once).
            const hold = Math.max(0, Math.min(WAIT_SECONDS, Math.floor(left() / 1000)));
            const shown = (await mapFailures(() => client.notifications.wait(hold, call()))).notifications;
            take(shown, 'wait');
            checkpoint();
            if (shown.length === 0 || st.frames.length > 0) continue;
            // Shown, nothing kept. Acknowledge only when the workflow's durable cursor covers all of
            // it (see above). Otherwise this attempt saw notifications the workflow has not recorded
            // yet (ones it does not keep, which still move the cursor): hand the cursor back first.
            if (shown.some((n) => typeof n.seq === 'number' && n.seq > args.sinceSeq)) break;
            take((await mapFailures(() => client.notifications.drain(call()))).notifications, 'drain');
            checkpoint();
          }
        }
        return result();
      } finally {
        clearInterval(beat);
      }
    },
  };
}
