/**
 * Generic session activities: the `agentSession` workflow calls only these; they dispatch to the
 * platform's {@link SessionAdapter} and turn provider errors into Temporal failures.
 */
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ArtifactOwner, ArtifactStore } from '../../artifacts/store.js';
import type { CallOptions } from '../../providers/http.js';
import type { PlatformGateAnswer } from '../../contracts/platformGates.js';
import type { ProviderRegistry } from '../../providers/registry.js';
import { mapFailures } from '../failures.js';
import { createArchAstroAdapter } from './archastro.js';
import type {
  AgentSessionInput,
  CreatedSession,
  PendingInput,
  FollowCursor,
  SessionAdapter,
  SessionPlatform,
  SessionRef,
  TranscriptEntry,
} from './contract.js';
import { createMixAdapter } from './mix.js';
import { createWebAgentAdapter } from './webagent.js';
import { createWyseMateAdapter } from './wysemate.js';

export interface SessionActivityDeps {
  providers: ProviderRegistry;
  artifacts: ArtifactStore;
}

/** How much one `sessionFollow` call may read before it returns to the workflow. */
export interface FollowLimits {
  maxEvents: number;
  maxMs: number;
  pollMs: number;
  /** Transcript entries returned to the workflow (the rest go to the artifact store only). */
  tail: number;
}

export const DEFAULT_FOLLOW_LIMITS: FollowLimits = { maxEvents: 1000, maxMs: 60_000, pollMs: 250, tail: 20 };

/** What `sessionFollow` heartbeats: where a retry resumes, and what earlier attempts already counted. */
interface FollowProgress {
  cursor: FollowCursor;
  newEntries?: number;
  platformEvents?: number;
  tail?: TranscriptEntry[];
}

export interface FollowArgs {
  ref: SessionRef;
  cursor: FollowCursor;
  /** Artifact owner: the workflow id and its run chain (a bare workflow id from runs recorded before chains). */
  owner: ArtifactOwner;
  limits?: Partial<FollowLimits>;
}

export interface FollowBatch {
  cursor: FollowCursor;
  status: CreatedSession['status'];
  platformStatus: string;
  pendingInput?: PendingInput;
  /** The newest entries of this batch (bounded by `limits.tail`). */
  tail: TranscriptEntry[];
  newEntries: number;
  platformEvents: number;
  result?: string;
  error?: string;
}

export type SessionOperation =
  /**
   * `requestedAt`: the workflow time (epoch ms) the message was accepted at, the same on every run of
   * this operation (absent in runs recorded before the `send-message-requested-at` patch).
   */
  | { op: 'sendMessage'; text: string; requestedAt?: number }
  | { op: 'answerInput'; requestId: string; response: unknown }
  /** A platform's own permission or question, answered once (src/contracts/platformGates.ts). */
  | { op: 'answerPlatformGate'; requestId: string; answer: PlatformGateAnswer }
  | { op: 'followUp'; task: string }
  | { op: 'rename'; name: string }
  | { op: 'setCallbacks'; callbacks: Record<string, unknown>[] }
  | { op: 'rewind'; messageId: string; cleanMedia: boolean }
  | { op: 'cancel'; reason?: string };

const BOUNDARY = new Set(['awaiting_input', 'completed', 'failed', 'cancelled']);

/** Builds the session activities over the given providers and artifact store. */
export function createSessionActivities(deps: SessionActivityDeps) {
  const adapters: Record<SessionPlatform, SessionAdapter> = {
    webagent: createWebAgentAdapter(deps.providers),
    archastro: createArchAstroAdapter(deps.providers),
    wysemate: createWyseMateAdapter(deps.providers),
    mix: createMixAdapter(deps.providers),
  };

  function callOptions(idempotencyKey?: string): CallOptions {
    const ctx = Context.current();
    return { signal: ctx.cancellationSignal, idempotencyKey, attempt: ctx.info.attempt };
  }

  return {
    /** Creates the platform session; `key` is stable for the workflow, so a retry cannot create twice. */
    async sessionCreate(args: { input: AgentSessionInput; key: string }): Promise<CreatedSession> {
      return mapFailures(() => adapters[args.input.platform].create(args.input, callOptions(args.key)));
    },

    /**
     * Follows progress until a boundary (input request, terminal) or the budget runs out. Every
     * entry is appended to the transcript artifact before its cursor is heartbeated, and a retry
     * resumes from the heartbeated cursor: nothing is lost, and duplicates are dropped on read.
     */
    async sessionFollow(args: FollowArgs): Promise<FollowBatch> {
      const ctx = Context.current();
      const limits = {
        ...DEFAULT_FOLLOW_LIMITS,
        ...Object.fromEntries(Object.entries(args.limits ?? {}).filter(([, v]) => v !== undefined)),
      };
      const adapter = adapters[args.ref.platform];
      const resumed = ctx.info.heartbeatDetails as FollowProgress | undefined;
      let cursor = resumed ? resumed.cursor : args.cursor;
      const started = Date.now();
      // A retry carries on from what earlier attempts read and wrote (absent in details heartbeated
      // before entries were written live: they resumed from a batch boundary).
      const tail: TranscriptEntry[] = [...(resumed?.tail ?? [])];
      let newEntries = resumed?.newEntries ?? 0;
      let platformEvents = resumed?.platformEvents ?? 0;
      // Entries of the adapter call in progress that are already in the transcript.
      let live: TranscriptEntry[] = [];
      const details = (): FollowProgress => ({
        cursor,
        newEntries: newEntries + live.length,
        // An adapter that writes live hands over one entry per platform event.
        platformEvents: platformEvents + live.length,
        tail: [...tail, ...live].slice(-limits.tail),
      });
      // Heartbeat on a timer too: polling adapters may sleep between progress calls.
      const beat = setInterval(() => ctx.heartbeat(details()), 2_000);
      try {
        for (;;) {
          const remainingMs = limits.maxMs - (Date.now() - started);
          // Entries the adapter hands over one by one go to the transcript at once (live readers,
          // such as the gateway's event streams, see them within milliseconds); the rest of the
          // batch is written when it returns.
          live = [];
          const entry = async (e: TranscriptEntry) => {
            await deps.artifacts.appendLines(args.owner, 'transcript.jsonl', [e]);
            live.push(e);
          };
          // Everything up to the cursor such an adapter reports is written, so that cursor (with
          // the counts) is heartbeated at once: a cut stream's retry resumes after the last entry
          // written, with no duplicate line. Adapters that write at the end of the batch keep the
          // cursor of the last batch until then, so nothing read is lost.
          const progress = (c: FollowCursor) => {
            if (live.length === 0) return;
            cursor = c;
            ctx.heartbeat(details());
          };
          const batch = await mapFailures(() =>
            adapter.follow(
              args.ref,
              cursor,
              {
                maxEvents: Math.max(1, limits.maxEvents - platformEvents),
                maxMs: Math.max(1, remainingMs),
                pollMs: limits.pollMs,
              },
              { progress, entry, signal: ctx.cancellationSignal },
            ),
          );
          const rest = batch.entries.slice(live.length);
          if (rest.length > 0) await deps.artifacts.appendLines(args.owner, 'transcript.jsonl', rest);
          cursor = batch.cursor;
          live = [];
          newEntries += batch.entries.length;
          platformEvents += batch.platformEvents;
          tail.push(...batch.entries);
          if (tail.length > limits.tail) tail.splice(0, tail.length - limits.tail);
          ctx.heartbeat(details());
          const done =
            BOUNDARY.has(batch.status) || platformEvents >= limits.maxEvents || Date.now() - started >= limits.maxMs;
          if (done) {
            if (batch.pendingInput) {
              const shown = JSON.stringify(batch.pendingInput.data ?? batch.pendingInput.prompt);
              batch.pendingInput.digest = createHash('sha256').update(shown).digest('hex');
            }
            return {
              cursor,
              status: batch.status,
              platformStatus: batch.platformStatus,
              pendingInput: batch.pendingInput,
              tail,
              newEntries,
              platformEvents,
              result: batch.result,
              error: batch.error,
            };
          }
        }
      } finally {
        clearInterval(beat);
      }
    },

    /** Runs one steering operation on the platform. Returns a new ref for `followUp`. */
    async sessionAct(args: {
      ref: SessionRef;
      operation: SessionOperation;
      key: string;
    }): Promise<{ ref?: SessionRef; detail?: string }> {
      const a = adapters[args.ref.platform];
      const call = callOptions(args.key);
      const op = args.operation;
      const missing = (name: string) =>
        ApplicationFailure.create({
          type: 'UnsupportedOperation',
          message: `${args.ref.platform} has no ${name} operation`,
          nonRetryable: true,
        });
      return mapFailures(async () => {
        switch (op.op) {
          case 'sendMessage':
            if (!a.sendMessage) throw missing(op.op);
            await a.sendMessage(
              args.ref,
              op.text,
              call,
              op.requestedAt !== undefined ? { requestedAt: op.requestedAt } : {},
            );
            return {};
          case 'answerInput':
            if (!a.answerInput) throw missing(op.op);
            await a.answerInput(args.ref, op.requestId, op.response, call);
            return {};
          case 'answerPlatformGate':
            if (!a.answerPlatformGate) throw missing(op.op);
            return { detail: await a.answerPlatformGate(args.ref, op.requestId, op.answer, call) };
          case 'followUp':
            if (!a.followUp) throw missing(op.op);
            return { ref: await a.followUp(args.ref, op.task, call) };
          case 'rename':
            if (!a.rename) throw missing(op.op);
            await a.rename(args.ref, op.name, call);
            return {};
          case 'setCallbacks':
            if (!a.setCallbacks) throw missing(op.op);
            await a.setCallbacks(args.ref, op.callbacks, call);
            return {};
          case 'rewind':
            if (!a.rewind) throw missing(op.op);
            await a.rewind(args.ref, op.messageId, op.cleanMedia, call);
            return {};
          case 'cancel':
            await a.cancel(args.ref, call);
            return {};
        }
      });
    },

    /** Clean-up on every ending; stores an exported transcript when the platform gives one. */
    async sessionCleanup(args: { ref: SessionRef; owner: ArtifactOwner; deleteOnPlatform: boolean; key: string }) {
      const out = await mapFailures(() =>
        adapters[args.ref.platform].cleanup(
          args.ref,
          { deleteOnPlatform: args.deleteOnPlatform },
          callOptions(args.key),
        ),
      );
      // The transcript reference comes back with clean-up, saving the workflow a round trip.
      const artifacts = [await deps.artifacts.appendLines(args.owner, 'transcript.jsonl', [])];
      if (out.exportedTranscript !== undefined)
        artifacts.push(await deps.artifacts.put(args.owner, 'export.json', out.exportedTranscript));
      return { artifacts };
    },
  };
}
