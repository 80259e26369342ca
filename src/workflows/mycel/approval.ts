/**
 * The one skeleton of a Mycel approval workflow (the owner side of `joinRequest`, the target side
 * of `relationshipRequest`): find or make the request → hold it at the gate → act on the platform
 * with the deciding person's own token, exactly once → tell any requester-side workflow waiting on
 * this one. The two workflows differ only in what they ask, show and call; the states, the gate,
 * the outcome for watchers and the failure handling are here, once.
 *
 * The order of commands is the one both workflows had before they shared it, so their recorded
 * histories replay unchanged.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  proxyLocalActivities,
} from '@temporalio/workflow';
import type { createDecisionActivities, DecisionProofMode } from '../../activities/decisions.js';
import { ApprovalGate } from '../gate/gate.js';
import type { AuditEntry, ExpiryPolicy, GateKind, GateOutcome } from '../../contracts/gates.js';
import { OutcomeWatchers } from './handoff.js';

/**
 * The platform's answer when an activity failed for good (its ApplicationFailure's message), or
 * undefined for anything that must propagate: cancellation, or a non-activity error.
 */
export function platformFailure(err: unknown): string | undefined {
  if (!(err instanceof ActivityFailure) || isCancellation(err)) return undefined;
  return err.cause?.message ?? err.message;
}

/**
 * Replay guard: approvals from before they asked the deployment's proof mode (no local activity).
 * Where decisions require proof, an approval nobody proved (the expiry policy's) does not spend an
 * approver's token, and a post goes out only as the approver who decided.
 */
export const PROOF_MODE_PATCH = 'mycel-approval-asks-proof-mode';

/** Replay guard: approvals from before a reject was carried out on the platform (it left the request pending). */
export const REJECT_ON_PLATFORM_PATCH = 'mycel-approval-rejects-on-platform';

const { decisionProofMode } = proxyLocalActivities<ReturnType<typeof createDecisionActivities>>({
  startToCloseTimeout: '10 s',
  retry: { initialInterval: '200 ms', maximumInterval: '5 s' },
});

/** The deployment's proof mode, asked once per approval (behind {@link PROOF_MODE_PATCH}). */
export async function proofMode(): Promise<DecisionProofMode> {
  return patched(PROOF_MODE_PATCH) ? (await decisionProofMode()).mode : 'optional';
}

/** The statuses every Mycel approval goes through (each workflow may add its own). */
type BaseStatus = 'requesting' | 'awaiting_approval' | 'approving' | 'approved' | 'rejected' | 'failed' | 'cancelled';

/** State both approval workflows keep (and return, with the decisions and the audit). */
export interface MycelApprovalState<S extends string> {
  status: S;
  decider?: string;
  actingAlias?: string;
  error?: string;
}

/** What one approval workflow plugs into {@link runMycelApproval}. */
export interface MycelApprovalSpec<S extends string, St extends MycelApprovalState<S>> {
  st: St;
  setStatus(this: void, status: S | BaseStatus): void;
  /** The deciders and the gate's options (from the workflow's input). */
  settings: {
    approvers: string[];
    deadlineSeconds: number;
    onExpiry: ExpiryPolicy;
    quorum?: number;
    separateDuties?: boolean;
  };
  /** Makes or finds the request on the platform; says what the deciders are shown. */
  prepare(): Promise<{ requestId: string; kind: GateKind; subject: string; shown: Record<string, unknown> }>;
  /** What a reject leaves on the platform when nothing is done there (recorded as the decision's effect). */
  rejectedDetail: string;
  /**
   * Rejects on the platform as `alias`, exactly once; returns the effect to record. Without it a
   * reject leaves the platform untouched (`rejectedDetail`).
   */
  reject?(alias: string, requestId: string): Promise<string>;
  /** Approves on the platform as `alias`, exactly once (a stable key); returns the effect to record. */
  approve(alias: string, requestId: string): Promise<string>;
  /** After a successful approval, before the status says `approved` (e.g. post into the chat). */
  afterApproved?(requestId: string, acting: { alias: string; mode: DecisionProofMode }): Promise<void>;
}

/** The gate options out of a workflow's input (and nothing else of it). */
export function gateOptions(
  input: MycelApprovalSpec<string, MycelApprovalState<string>>['settings'],
): MycelApprovalSpec<string, MycelApprovalState<string>>['settings'] {
  const { approvers, deadlineSeconds, onExpiry, quorum, separateDuties } = input;
  return { approvers, deadlineSeconds, onExpiry, quorum, separateDuties };
}

/** Runs one approval; returns the state with every decision and the audit. */
export async function runMycelApproval<S extends string, St extends MycelApprovalState<S>>(
  spec: MycelApprovalSpec<S, St>,
): Promise<St & { decisions: GateOutcome[]; audit: AuditEntry[] }> {
  const { st, setStatus } = spec;
  const gate = new ApprovalGate();
  const watchers = new OutcomeWatchers();
  const result = () => ({ ...st, decisions: gate.snapshot().decided, audit: gate.audit });
  try {
    setStatus('requesting');
    const { requestId, kind, subject, shown } = await spec.prepare();

    setStatus('awaiting_approval');
    const outcome = await gate.wait({
      requestId,
      kind,
      subject,
      ...spec.settings,
      // Key order is fixed by `prepare`, so the same request always has the same digest.
      digest: JSON.stringify(shown),
      shown,
      allowed: ['approve', 'reject'],
    });
    st.decider = outcome.decider;

    if (outcome.decision === 'reject') {
      if (spec.reject && patched(REJECT_ON_PLATFORM_PATCH)) {
        await rejectOnPlatform(spec, gate, requestId, outcome);
      } else {
        gate.applied(requestId, { ok: true, detail: spec.rejectedDetail });
        setStatus('rejected');
      }
    } else {
      const mode = await proofMode();
      if (outcome.auto && mode === 'required') {
        // Nobody proved they approve, and the expiry policy came with the start input, which is
        // not authority: no approver's token is spent on it.
        st.error =
          'approved by the expiry policy, but decisions here require proof of who decides: nothing was done on Mycel';
        gate.applied(requestId, { ok: false, detail: st.error });
        setStatus('failed');
        const ended = result();
        await watchers.tell(ended);
        await condition(allHandlersFinished);
        return ended;
      }
      // A person approves with their own token (checked by the gate before it counted); an
      // expiry approval acts as the first approver.
      st.actingAlias = outcome.auto ? spec.settings.approvers[0]! : outcome.decider;
      setStatus('approving');
      let approved = false;
      try {
        gate.applied(requestId, { ok: true, detail: await spec.approve(st.actingAlias, requestId) });
        approved = true;
      } catch (err) {
        const failed = platformFailure(err);
        if (failed === undefined) throw err;
        st.error = failed;
        gate.applied(requestId, { ok: false, detail: failed });
        setStatus('failed');
      }
      if (approved) {
        await spec.afterApproved?.(requestId, { alias: st.actingAlias, mode });
        setStatus('approved');
      }
    }
    const done = result();
    await watchers.tell(done);
    await condition(allHandlersFinished);
    return done;
  } catch (err) {
    setStatus(isCancellation(err) ? 'cancelled' : 'failed');
    // A requester workflow waiting on this one hears how it ended, even when it was cancelled.
    await CancellationScope.nonCancellable(() => watchers.tell(result()));
    throw err;
  }
}

/**
 * Carries a reject out on the platform, as the person who decided (an expiry rejection acts as
 * the first approver, except where decisions require proof: then nobody's token is spent and the
 * request is left pending). A platform refusal (say, approved there meanwhile) fails the workflow's
 * status with the platform's words; the gate's decision stands either way.
 */
async function rejectOnPlatform<S extends string, St extends MycelApprovalState<S>>(
  spec: MycelApprovalSpec<S, St>,
  gate: ApprovalGate,
  requestId: string,
  outcome: { decider: string; auto?: boolean },
): Promise<void> {
  const { st, setStatus } = spec;
  if (outcome.auto && (await proofMode()) === 'required') {
    gate.applied(requestId, {
      ok: true,
      detail: `${spec.rejectedDetail} (rejected by the expiry policy; decisions here require proof)`,
    });
    setStatus('rejected');
    return;
  }
  st.actingAlias = outcome.auto ? spec.settings.approvers[0]! : outcome.decider;
  try {
    gate.applied(requestId, { ok: true, detail: await spec.reject!(st.actingAlias, requestId) });
    setStatus('rejected');
  } catch (err) {
    const failed = platformFailure(err);
    if (failed === undefined) throw err;
    st.error = failed;
    gate.applied(requestId, { ok: false, detail: failed });
    setStatus('failed');
  }
}
