/**
 * `relationshipRequest`: a Mycel relationship request held at the approval gate until someone on
 * the target's side decides.
 *
 * (requester side, optional) request as `requesterAlias` → gate `mycel_relationship` (approvers
 * are the target's aliases) → approve: `relationships.approve` with the decider's own token,
 * exactly once (stable idempotency key). Reject leaves the platform untouched and is recorded.
 */
import {
  allHandlersFinished,
  condition,
  defineQuery,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createMycelActivities } from '../../activities/mycel.js';
import { ApprovalGate } from '../gate/gate.js';
import { SwitchboardProvider, SwitchboardStatus } from '../searchAttributes.js';
import { parseWorkflowInput } from '../validation.js';
import { platformFailure } from './joinRequest.js';
import {
  relationshipRequestInput,
  type RelationshipRequestInput,
  type RelationshipRequestResult,
  type RelationshipRequestState,
  type RelationshipStatus,
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
  const gate = new ApprovalGate();
  const st: RelationshipRequestState = {
    status: 'requesting',
    relationshipId: input.relationshipId,
    requester: input.requester,
    targetUserId: input.targetUserId,
  };
  setHandler(relationshipStateQuery, () => st);

  const setStatus = (status: RelationshipStatus) => {
    st.status = status;
    upsertSearchAttributes([
      { key: SwitchboardProvider, value: 'mycel' },
      { key: SwitchboardStatus, value: status },
    ]);
    if (status !== 'awaiting_approval') {
      setCurrentDetails(
        `Mycel relationship \`${st.relationshipId ?? '(new)'}\` ${st.requester ?? '?'} → ${st.targetUserId ?? '?'}: ${status}${st.error ? ` (${st.error})` : ''}`,
      );
    }
  };

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
    await condition(allHandlersFinished);
    return { ...st, decisions: gate.snapshot().decided, audit: gate.audit };
  } catch (err) {
    setStatus(isCancellation(err) ? 'cancelled' : 'failed');
    throw err;
  }
}
