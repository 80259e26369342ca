/**
 * One approval workflow per Mycel request, whoever sees the request first.
 *
 * A request can be noticed twice: by the requester's own workflow (`joinRequest` with
 * `visitorAlias`, `relationshipRequest` with `requesterAlias`), right after it asked, and by the
 * owner's `mycelInbox`, from the notification the request caused. Both start the approval under
 * the same deterministic id (`mycel-join-<chat>-<request>`, `mycel-rel-<relationship>`) with
 * REJECT_DUPLICATE, so the server lets exactly one of them in and exactly one gate opens.
 *
 * The requester side then waits for that workflow's outcome: as its child when it won the race, or,
 * when the inbox won, by asking the approval workflow (signal {@link watchOutcomeSignal}) to send
 * its result back ({@link outcomeSignal}) when it ends, and reading it from Temporal (an activity)
 * when no answer can come: the approval had already ended, or was terminated.
 *
 * When the inbox wins, the approval runs with the inbox's settings (its approvers, deadline and
 * expiry policy); the requester's own are used when it wins.
 */
import {
  ChildWorkflowCancellationType,
  type ChildWorkflowHandle,
  condition,
  defineSignal,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  WorkflowIdReusePolicy,
  workflowInfo,
} from '@temporalio/workflow';
import { CancelledFailure, ChildWorkflowFailure, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { createMycelActivities } from '../../activities/mycel.js';
import { decideSignal, decideUpdate } from '../gate/gate.js';
import type { AuditEntry, GateOutcome } from '../../contracts/gates.js';
import { z } from 'zod';
import { lazy } from '../../contracts/lazy.js';
import { SwitchboardProvider, SwitchboardStatus } from '../../contracts/searchAttributes.js';
import { parseMessage, singleArg } from '../validation.js';

/** Asks an approval workflow to signal its result to `workflowId` when it ends. */
export const watchOutcomeSignal = defineSignal<[{ workflowId: string }]>('mycelWatchOutcome');
/** An approval workflow's result, sent to each workflow that asked with {@link watchOutcomeSignal}. */
export const outcomeSignal = defineSignal<[unknown]>('mycelOutcome');

/** Replay guard: requester-side runs started before the hand-off opened their own gate. */
export const HANDOFF_PATCH = 'mycel-requester-hands-off-gate';
/** Replay guard: approval workflows that ran before answering {@link watchOutcomeSignal}. */
export const WATCHERS_PATCH = 'mycel-approval-tells-watchers';
/**
 * Replay guard: requester sides that took the outcome from the {@link outcomeSignal} payload. Now
 * the signal only wakes them and the outcome is read from its source (the approval workflow's
 * own result, through an activity): anyone who can reach the namespace can send that signal.
 */
export const OUTCOME_FROM_SOURCE_PATCH = 'mycel-outcome-read-from-source';

/** Replay guard: a run waiting on the old path reads a told outcome from its source before it counts. */
export const RECHECK_TOLD_PATCH = 'mycel-told-outcome-rechecked';

/** The watch signal's one argument: the id of the workflow to tell. */
const watchArgs = lazy(() => z.object({ workflowId: z.string().min(1).max(1_000) }).strict());

/**
 * In an approval workflow: remembers who asked for the outcome, and tells them once it is known.
 * A watcher that asks after the end is answered at once (the run waits for its handlers).
 */
export class OutcomeWatchers {
  private readonly watchers = new Set<string>();
  private final?: unknown;

  constructor() {
    setHandler(watchOutcomeSignal, async (...all: unknown[]) => {
      let workflowId: string;
      try {
        ({ workflowId } = parseMessage(watchArgs(), singleArg(all, 'mycelWatchOutcome'), 'mycelWatchOutcome signal'));
      } catch (err) {
        log.warn('dropped a signal that is not valid', { signal: 'mycelWatchOutcome', reason: String(err) });
        return;
      }
      // Bounded: a flood of watch signals must not grow this workflow without limit.
      if (this.final === undefined) {
        if (this.watchers.size < MAX_WATCHERS) this.watchers.add(workflowId);
        else log.warn('dropped a watcher: too many', { workflowId });
      } else await this.send(workflowId, this.final);
    });
  }

  /** Sends `result` to every watcher (a watcher that is gone is logged and skipped). */
  async tell(result: unknown): Promise<void> {
    this.final = result;
    for (const id of this.watchers) await this.send(id, result);
    this.watchers.clear();
  }

  private async send(workflowId: string, result: unknown): Promise<void> {
    // An approval that received the watch signal while running older code did not answer it then,
    // so its replay must not either (that requester reads the outcome with its hourly check).
    if (!patched(WATCHERS_PATCH)) return;
    try {
      await getExternalWorkflowHandle(workflowId).signal(outcomeSignal, result);
    } catch (err) {
      log.warn('could not tell a waiting requester workflow the outcome', { workflowId, error: String(err) });
    }
  }
}

/** What {@link awaitApproval} learned. */
export type HandOffResult<R> =
  /** The approval workflow's result (it ran as this workflow's child, told us, or was read). */
  | { kind: 'result'; result: R }
  /** The approval workflow ended without a result (failed, cancelled, terminated, timed out). */
  | { kind: 'ended'; status: 'failed' | 'cancelled'; error: string };

/**
 * How often a requester that lost the race checks on the approval it waits for: one that was
 * terminated (or timed out) cannot send its outcome.
 */
const CHECK_EVERY = '1 hour';

/** Most requester workflows one approval tells its outcome (one per side, normally). */
const MAX_WATCHERS = 20;

const acts = proxyActivities<ReturnType<typeof createMycelActivities>>({
  startToCloseTimeout: '30 s',
  retry: { initialInterval: '1 s', backoffCoefficient: 2, maximumInterval: '1 m' },
});

/** The outcome signal carries a result; anything else is ignored rather than trusted. */
function looksLikeResult(x: unknown): boolean {
  const r = x as { status?: unknown; decisions?: unknown; audit?: unknown } | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.status === 'string' &&
    Array.isArray(r.decisions) &&
    Array.isArray(r.audit)
  );
}

/**
 * Starts the approval of one platform request under its deterministic id, once ever
 * (REJECT_DUPLICATE): the one start both the owner's inbox and the requester side use, so exactly
 * one of them gets through. Undefined when it already exists (the other side started it, or an
 * earlier read of the same request did). Abandoned when the starter closes: the approval outlives
 * it; with `abandonOnCancel`, also when the starter is cancelled.
 */
export async function startApprovalOnce<A, R>(
  workflow: (input: A) => Promise<R>,
  workflowId: string,
  input: A,
  opts: { abandonOnCancel?: boolean } = {},
): Promise<ChildWorkflowHandle<(input: A) => Promise<R>> | undefined> {
  try {
    return await startChild(workflow, {
      workflowId,
      args: [input],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      // Only when asked: the SDK's default (cancel the child with the starter) is what it had.
      ...(opts.abandonOnCancel ? { cancellationType: ChildWorkflowCancellationType.ABANDON } : {}),
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return undefined;
    throw err;
  }
}

/**
 * Requester side: starts the approval workflow under its deterministic id (or finds the one the
 * owner's inbox started) and waits for its result. Abandoned on close and on cancellation, like
 * the inbox's children: the owners can still decide when the requester's workflow is gone.
 */
export async function awaitApproval<A, R>(
  workflow: (input: A) => Promise<R>,
  workflowId: string,
  input: A,
): Promise<HandOffResult<R>> {
  let told: { result: R } | undefined;
  let woken = false;
  const fromSource = patched(OUTCOME_FROM_SOURCE_PATCH);
  setHandler(outcomeSignal, (result) => {
    // The signal is a wake-up, never the outcome: what it announces is read from the approval
    // workflow itself below. (Runs from before the patch took the payload; they replay that way.)
    if (fromSource) woken = true;
    else if (looksLikeResult(result)) told = { result: result as R };
    else log.warn('ignored an approval outcome that is not a result', { workflowId });
  });
  const child = await startApprovalOnce(workflow, workflowId, input, { abandonOnCancel: true });
  if (child) {
    try {
      return { kind: 'result', result: await child.result() };
    } catch (err) {
      if (!(err instanceof ChildWorkflowFailure)) throw err; // this workflow itself was cancelled
      return {
        kind: 'ended',
        status: err.cause instanceof CancelledFailure ? 'cancelled' : 'failed',
        error: err.cause?.message ?? err.message,
      };
    }
  }
  // The owner's inbox started it: ask it for the outcome. A refused signal means it has ended.
  const watching = await getExternalWorkflowHandle(workflowId)
    .signal(watchOutcomeSignal, { workflowId: workflowInfo().workflowId })
    .then(
      () => true,
      () => false,
    );
  if (fromSource) {
    for (let first = true; ; first = false) {
      const wake = (watching || !first) && (await condition(() => woken, CHECK_EVERY));
      woken = false;
      const o = await acts.mycelApprovalOutcome({ workflowId, workflowType: workflow.name, waitMs: wake ? 10_000 : 0 });
      if (o.running) continue;
      if ('result' in o) return { kind: 'result', result: o.result as R };
      return { kind: 'ended', status: o.status, error: o.error };
    }
  }
  // Runs that started waiting before OUTCOME_FROM_SOURCE_PATCH took the payload as the outcome.
  // Where such a run is live now, a told outcome is still read from its source before it counts
  // (RECHECK_TOLD_PATCH); its recorded past replays as it ran.
  const fromTold = async (): Promise<HandOffResult<R> | undefined> => {
    if (!patched(RECHECK_TOLD_PATCH)) return { kind: 'result', result: told!.result };
    told = undefined;
    const o = await acts.mycelApprovalOutcome({ workflowId, workflowType: workflow.name });
    if (o.running) return undefined;
    return 'result' in o
      ? { kind: 'result', result: o.result as R }
      : { kind: 'ended', status: o.status, error: o.error };
  };
  for (let first = true; ; first = false) {
    if ((watching || !first) && (await condition(() => told !== undefined, CHECK_EVERY))) {
      const r = await fromTold();
      if (r) return r;
      continue;
    }
    const o = await acts.mycelApprovalOutcome({ workflowId });
    if (told) {
      const r = await fromTold();
      if (r) return r;
      continue;
    }
    if (o.running) continue;
    if ('result' in o) return { kind: 'result', result: o.result as R };
    return { kind: 'ended', status: o.status, error: o.error };
  }
}

/** What the requester side and its approval workflow share (join and relationship alike). */
interface ApprovalState {
  status: string;
  error?: string;
  gateWorkflowId?: string;
}

/**
 * Requester side: a decision sent to this workflow is refused by the validator (nothing is written
 * to history), naming the workflow where `deciders` decide once it is known.
 */
export function refuseDecisions(st: ApprovalState, deciders: string): void {
  // A decision sent as a signal has nobody to answer: log it and drop it.
  setHandler(decideSignal, () =>
    log.warn('dropped a decide signal sent to the requester side', { gateWorkflowId: st.gateWorkflowId ?? null }),
  );
  setHandler(decideUpdate, (_d) => Promise.reject(new Error('unreachable')), {
    validator: (_d) => {
      throw new Error(
        st.gateWorkflowId
          ? `this workflow made the request; ${deciders} decide on ${st.gateWorkflowId}`
          : `this workflow is still making the request; ${deciders} decide on its approval workflow once it is started`,
      );
    },
  });
}

/**
 * The requester side's wait, once it has asked on the platform: hands the request to `workflowId`
 * and returns that workflow's result as its own (with `gateWorkflowId`), or ends failed/cancelled
 * with the reason when the approval ended without one.
 */
export async function handOff<A, R extends ApprovalState & { decisions: GateOutcome[]; audit: AuditEntry[] }>(
  st: Omit<R, 'decisions' | 'audit'>,
  workflow: (input: A) => Promise<R>,
  workflowId: string,
  input: A,
  publish: (status: R['status']) => void,
): Promise<R> {
  st.gateWorkflowId = workflowId;
  publish('awaiting_approval');
  const got = await awaitApproval(workflow, workflowId, input);
  if (got.kind === 'ended') {
    st.error = got.error;
    publish(got.status);
    return { ...st, decisions: [], audit: [] } as unknown as R;
  }
  const { decisions, audit, ...outcome } = got.result;
  Object.assign(st, outcome, { gateWorkflowId: workflowId });
  publish(outcome.status);
  return { ...st, decisions, audit } as unknown as R;
}

/**
 * Publishes a Mycel approval workflow's status (search attributes, and the Web UI's current
 * details when `details` has something to say).
 */
export function publishMycelStatus<S extends ApprovalState>(
  st: S,
  status: S['status'],
  details: string | undefined,
): void {
  st.status = status;
  upsertSearchAttributes([
    { key: SwitchboardProvider, value: 'mycel' },
    { key: SwitchboardStatus, value: status },
  ]);
  if (details) setCurrentDetails(details);
}
