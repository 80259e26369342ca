/**
 * Mycel activities: thin adapters over {@link MycelClient} for the approval workflows (join
 * requests, relationships), the caught-up send, and the notification reader the inbox loops on.
 *
 * Every mutating call takes an idempotency key derived by the workflow
 * (`${workflowId}/${firstExecutionRunId}/<step>`), so a retry — or a new worker after a crash —
 * replays the first answer instead of acting twice.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { BadRequestError, NotFoundError } from '../providers/errors.js';
import type { CallOptions } from '../providers/http.js';
import { isChatNotCaughtUp, type MycelNotification } from '../providers/mycel/client.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { mapFailures, toApplicationFailure } from './failures.js';

/** See `mycelApprovalOutcome`. */
export type ApprovalOutcome = { running: true } | { running: false; result: unknown } | { running: false; status: 'failed' | 'cancelled'; error: string };

/** Tries of {@link createMycelActivities}' `mycelSendCaughtUp` before it gives up. */
export const MAX_CAUGHT_UP_TRIES = 3;

/** One notification, reduced to what a workflow needs to act (never a message body). */
export interface MycelFrame {
  /** Per-user sequence number; `null` when a drained notification carried none. */
  seq: number | null;
  eventType: string | null;
  chatId: string | null;
  requestId: string | null;
  relationshipId: string | null;
  senderId: string | null;
}

export interface ReadNotificationsArgs {
  alias: string;
  /** Only notifications with a greater `seq` are returned. */
  sinceSeq: number;
  /** Return once this many frames were collected (the drain fallback may exceed it: drained items cannot be put back). @default 100 */
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
  /** `drain` when the platform has no stream route and the reader fell back to `drain()`. */
  mode: 'stream' | 'drain';
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

/** The stream route is not there (404, or 405 on a backend with only the drain route). */
function streamMissing(err: unknown): boolean {
  return err instanceof NotFoundError || (err instanceof BadRequestError && err.status === 405);
}

/**
 * Mycel activities: requests, approvals, caught-up messages and notification reads, each with the
 * token of the alias it names.
 */
export function createMycelActivities(deps: { providers: ProviderRegistry }) {
  const mycel = (alias: string) => deps.providers.client('mycel', alias);
  const call = (key?: string): CallOptions => ({ signal: Context.current().cancellationSignal, idempotencyKey: key });

  return {
    /** Visitor side: asks to join a group chat. Asking again while pending returns the same request. */
    async mycelRequestJoin(args: { alias: string; chatId: string; message?: string; key: string }) {
      return mapFailures(async () => {
        const r = await mycel(args.alias).chats.requestJoin(args.chatId, args.message, call(args.key));
        return { requestId: r.id, requester: r.requester_user_id, message: r.message ?? undefined, state: r.state };
      });
    },

    /** Owner side: what the deciders are shown (requester and message) and the request's state. */
    async mycelGetJoinRequest(args: { alias: string; chatId: string; requestId: string }) {
      return mapFailures(async () => {
        const rows = await mycel(args.alias).chats.listJoinRequests(args.chatId, call());
        const r = rows.find((j) => j.id === args.requestId);
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

    /** Approves with the decider's own token (the owner). Approving an approved request replays it. */
    async mycelApproveJoin(args: { alias: string; chatId: string; requestId: string; key: string }) {
      return mapFailures(async () => {
        const r = await mycel(args.alias).chats.approveJoin(args.chatId, args.requestId, call(args.key));
        return { state: r.state, decidedBy: r.decided_by ?? undefined, requester: r.requester_user_id };
      });
    },

    /** Requester side: asks `targetUserId` for a relationship (starts `pending`). */
    async mycelRequestRelationship(args: { alias: string; targetUserId: string; key: string }) {
      return mapFailures(async () => {
        const r = await mycel(args.alias).relationships.request(args.targetUserId, call(args.key));
        return { relationshipId: r.id, state: r.state, other: r.other_user_id };
      });
    },

    /** The recipient approves with its own token: `pending` → `visit`. */
    async mycelApproveRelationship(args: { alias: string; relationshipId: string; key: string }) {
      return mapFailures(async () => {
        const r = await mycel(args.alias).relationships.approve(args.relationshipId, call(args.key));
        return { state: r.state, other: r.other_user_id };
      });
    },

    /**
     * How an approval workflow stands, read from Temporal (the worker's own client): still running,
     * or ended — with its result when it completed. The requester side asks when the approval's own
     * answer (a signal) cannot come: it had already ended, or it was terminated or timed out.
     */
    async mycelApprovalOutcome(args: { workflowId: string; workflowType?: string; waitMs?: number }): Promise<ApprovalOutcome> {
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
      if (status === 'COMPLETED') return { running: false, result: await ctx.client.workflow.getHandle(args.workflowId, described.runId).result() };
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
     * Each try has its own keys (`…/read-N`, `…/send-N`): a platform that remembers a refused send
     * under its key would otherwise replay the refusal. They are still stable across retries of
     * this activity, so a send that succeeded before a crash is replayed, not repeated.
     */
    async mycelSendCaughtUp(args: { alias: string; chatId: string; text: string; key: string }) {
      const client = mycel(args.alias);
      let read = 0;
      for (let attempt = 1; attempt <= MAX_CAUGHT_UP_TRIES; attempt++) {
        read += (await mapFailures(() => client.messages.read(args.chatId, call(`${args.key}/read-${attempt}`)))).length;
        try {
          const sent = await client.messages.send(args.chatId, args.text, { ...call(`${args.key}/send-${attempt}`), enforceCaughtUp: true });
          return { messageId: sent.id, tries: attempt, readMessages: read };
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
     * Reads notifications after `sinceSeq` from the runtime inbox stream until a budget is spent
     * (`maxFrames`, `maxMs`, or `idleMs` of quiet after the first frame). Heartbeats the frames
     * collected so far and the highest `seq` seen; a retry resumes from that heartbeat, so a frame
     * read before a crash is neither lost nor returned twice. Falls back to `drain()` polling when
     * the stream route does not exist.
     */
    async mycelReadNotifications(args: ReadNotificationsArgs): Promise<ReadNotificationsResult> {
      const ctx = Context.current();
      const maxFrames = Math.max(1, args.maxFrames ?? 100);
      const maxMs = Math.max(1, args.maxMs ?? 30_000);
      const idleMs = Math.max(1, args.idleMs ?? 300);
      const wanted = args.eventTypes ? new Set(args.eventTypes) : undefined;
      const keep = (m: MycelNotification) => !wanted || wanted.has(m.event_type ?? '');
      const client = mycel(args.alias);
      const hb = ctx.info.heartbeatDetails as ReaderCheckpoint | undefined;
      // Resume only a checkpoint of this same read (same starting point).
      const st: ReaderCheckpoint =
        hb && hb.sinceSeq === args.sinceSeq ? hb : { sinceSeq: args.sinceSeq, lastSeq: args.sinceSeq, frames: [], mode: 'stream', gaps: [] };
      const checkpoint = () => ctx.heartbeat({ ...st, frames: [...st.frames], gaps: [...st.gaps] });
      const started = Date.now();
      const left = () => maxMs - (Date.now() - started);
      const result = (): ReadNotificationsResult => ({ frames: st.frames, lastSeq: st.lastSeq, mode: st.mode, gaps: st.gaps });
      // Heartbeat on a timer too: a quiet stream yields nothing to heartbeat on.
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
            if (streamMissing(err)) {
              st.mode = 'drain';
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
        if (st.mode === 'drain') {
          const info = ctx.info;
          // Unique per activity call, stable across its retries: a lost drain answer is replayed
          // to the retry (and deduplicated by seq), while the next call drains afresh.
          const base = `${info.workflowExecution?.workflowId ?? 'standalone'}/${info.workflowExecution?.runId ?? ''}/${info.activityId}`;
          for (let poll = 0; ; poll++) {
            const drained = await mapFailures(() => client.notifications.drain(call(`${base}/drain-${st.lastSeq}-${poll}`)));
            for (const n of drained.notifications) {
              const seq = n.seq ?? null;
              if (seq !== null && seq <= st.lastSeq) continue;
              if (seq !== null) st.lastSeq = seq;
              if (keep(n)) st.frames.push(toFrame(seq, n));
            }
            checkpoint();
            if (st.frames.length > 0 || left() <= 0) break;
            await ctx.sleep(Math.max(1, Math.min(1_000, left())));
          }
        }
        return result();
      } finally {
        clearInterval(beat);
      }
    },
  };
}
