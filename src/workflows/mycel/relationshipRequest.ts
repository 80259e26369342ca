/**
 * `relationshipRequest`: a Mycel relationship request held at the approval gate until someone on
 * the target's side decides.
 *
 * Target side (`relationshipId` given; what `mycelInbox` starts): gate `mycel_relationship`
 * (approvers are the target's aliases) → approve: `relationships.approve` with the decider's own
 * token, exactly once (stable idempotency key). Reject leaves the platform untouched and is recorded.
 *
 * Requester side (`requesterAlias`, no `relationshipId`): request → hand the request to the target
 * side under its deterministic id (see handoff.ts: one gate per request even when the target's
 * inbox sees it too) → wait for that workflow's outcome and return it.
 */
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  defineQuery,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { createMycelActivities } from '../../activities/mycel.js';
import { ApprovalGate } from '../gate/gate.js';
import { HANDOFF_PATCH, handOff, OutcomeWatchers, publishMycelStatus, refuseDecisions } from './handoff.js';
import { parseWorkflowInput } from '../validation.js';
import { platformFailure } from './joinRequest.js';
import {
  relationshipRequestInput,
  type RelationshipRequestInput,
  type RelationshipRequestResult,
  type RelationshipRequestState,
  type RelationshipStatus,
  relationshipWorkflowId,
} from './types.js';

type Acts = ReturnType<typeof createMycelActivities>;
const retry = { initialInterval: '200 ms', backoffCoefficient: 2, maximumInterval: '10 s' };
const acts = proxyActivities<Acts>({ startToCloseTimeout: '10 s', retry });
const lookup = proxyActivities<Acts>({ startToCloseTimeout: '10 s', retry: { ...retry, maximumAttempts: 5 } });

export const relationshipStateQuery = defineQuery<RelationshipRequestState>('mycelRelationshipState');

export async function relationshipRequest(raw: RelationshipRequestInput): Promise<RelationshipRequestResult> {
  const input = parseWorkflowInput(relationshipRequestInput(), raw);
  const info = workflowInfo();
  const keyBase = `${info.workflowId}/${info.firstExecutionRunId}`;
  const st: RelationshipRequestState = {
    status: 'requesting',
    relationshipId: input.relationshipId,
    requester: input.requester,
    targetUserId: input.targetUserId,
  };
  setHandler(relationshipStateQuery, () => st);
  // Requester-side runs from before the hand-off held the gate themselves (and replay that way).
  if (!input.relationshipId && patched(HANDOFF_PATCH)) return requesterSide(input, st, keyBase);
  const gate = new ApprovalGate();
  const watchers = new OutcomeWatchers();
  const setStatus = (status: RelationshipStatus) => publishRelationshipStatus(st, status);

  try {
    setStatus('requesting');
    if (!st.relationshipId) {
      const r = await acts.mycelRequestRelationship({
        alias: input.requesterAlias!,
        targetUserId: input.targetUserId!,
        key: `${keyBase}/request-relationship`,
      });
      st.relationshipId = r.relationshipId;
    }
    if (st.requester === undefined && input.requesterAlias) {
      try {
        st.requester = (await lookup.mycelWhoami({ alias: input.requesterAlias })).id;
      } catch (err) {
        if (platformFailure(err) === undefined) throw err;
      }
    }
    const relationshipId = st.relationshipId;

    setStatus('awaiting_approval');
    const shown = { relationshipId, requester: st.requester ?? null, target: st.targetUserId ?? null };
    const outcome = await gate.wait({
      requestId: relationshipId,
      kind: 'mycel_relationship',
      subject: `${st.requester ?? 'Someone'} asks ${st.targetUserId ?? 'you'} for a relationship`,
      approvers: input.approvers,
      deadlineSeconds: input.deadlineSeconds,
      onExpiry: input.onExpiry,
      quorum: input.quorum,
      separateDuties: input.separateDuties,
      digest: JSON.stringify(shown),
      shown,
      allowed: ['approve', 'reject'],
    });
    st.decider = outcome.decider;

    if (outcome.decision === 'reject') {
      gate.applied(relationshipId, { ok: true, detail: 'rejected: the relationship request was left untouched on the platform' });
      setStatus('rejected');
    } else {
      st.actingAlias = outcome.auto ? input.approvers[0]! : outcome.decider;
      setStatus('approving');
      try {
        const r = await acts.mycelApproveRelationship({ alias: st.actingAlias, relationshipId, key: `${keyBase}/approve-relationship/${relationshipId}` });
        st.platformState = r.state;
        gate.applied(relationshipId, { ok: true, detail: `approved on Mycel as ${st.actingAlias}: relationship with ${r.other} is ${r.state}` });
        setStatus('approved');
      } catch (err) {
        const failed = platformFailure(err);
        if (failed === undefined) throw err;
        st.error = failed;
        gate.applied(relationshipId, { ok: false, detail: failed });
        setStatus('failed');
      }
    }
    const result: RelationshipRequestResult = { ...st, decisions: gate.snapshot().decided, audit: gate.audit };
    await watchers.tell(result);
    await condition(allHandlersFinished);
    return result;
  } catch (err) {
    setStatus(isCancellation(err) ? 'cancelled' : 'failed');
    // A requester workflow waiting on this one hears how it ended, even when it was cancelled.
    await CancellationScope.nonCancellable(() => watchers.tell({ ...st, decisions: gate.snapshot().decided, audit: gate.audit }));
    throw err;
  }
}

function publishRelationshipStatus(st: RelationshipRequestState, status: RelationshipStatus): void {
  publishMycelStatus(
    st,
    status,
    status !== 'awaiting_approval'
      ? `Mycel relationship \`${st.relationshipId ?? '(new)'}\` ${st.requester ?? '?'} → ${st.targetUserId ?? '?'}: ${status}${st.error ? ` (${st.error})` : ''}`
      : st.gateWorkflowId && `Asked ${st.targetUserId ?? '?'} for a relationship (\`${st.relationshipId}\`); they decide on \`${st.gateWorkflowId}\`.`,
  );
}

/** The requester side: ask, then hand the request to its one approval workflow and wait for it. */
async function requesterSide(
  input: ReturnType<ReturnType<typeof relationshipRequestInput>['parse']>,
  st: RelationshipRequestState,
  keyBase: string,
): Promise<RelationshipRequestResult> {
  refuseDecisions(st, 'the target’s approvers');
  try {
    publishRelationshipStatus(st, 'requesting');
    const r = await acts.mycelRequestRelationship({ alias: input.requesterAlias!, targetUserId: input.targetUserId!, key: `${keyBase}/request-relationship` });
    st.relationshipId = r.relationshipId;
    if (st.requester === undefined) {
      try {
        st.requester = (await lookup.mycelWhoami({ alias: input.requesterAlias! })).id;
      } catch (err) {
        if (platformFailure(err) === undefined) throw err;
      }
    }
    const target: RelationshipRequestInput = {
      relationshipId: r.relationshipId,
      requester: st.requester,
      targetUserId: st.targetUserId,
      approvers: input.approvers,
      deadlineSeconds: input.deadlineSeconds,
      onExpiry: input.onExpiry,
      quorum: input.quorum,
      separateDuties: input.separateDuties,
    };
    const id = relationshipWorkflowId(r.relationshipId);
    return await handOff(st, relationshipRequest, id, target, (s) => publishRelationshipStatus(st, s));
  } catch (err) {
    publishRelationshipStatus(st, isCancellation(err) ? 'cancelled' : 'failed');
    throw err;
  }
}
