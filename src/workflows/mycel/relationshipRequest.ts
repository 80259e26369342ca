/**
 * `relationshipRequest`: a Mycel relationship request held at the approval gate until someone on
 * the target's side decides.
 *
 * Target side (`relationshipId` given; what `mycelInbox` starts): gate `mycel_relationship`
 * (approvers are the target's aliases) → approve: `relationships.approve` with the decider's own
 * token, exactly once (the activity reads the state on a retry). Reject is carried out on the
 * platform too (`relationships.reject`, as the decider) and recorded.
 *
 * Requester side (`requesterAlias`, no `relationshipId`): request → hand the request to the target
 * side under its deterministic id (see handoff.ts: one gate per request even when the target's
 * inbox sees it too) → wait for that workflow's outcome and return it.
 */
import { defineQuery, isCancellation, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { createMycelActivities } from '../../activities/mycel.js';
import { gateOptions, platformFailure, runMycelApproval } from './approval.js';
import { HANDOFF_PATCH, handOff, publishMycelStatus, refuseDecisions } from './handoff.js';
import { parseWorkflowInput } from '../validation.js';
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

/** Status of one Mycel relationship request and of the approval it waits on. */
export const relationshipStateQuery = defineQuery<RelationshipRequestState>('mycelRelationshipState');

/**
 * One Mycel relationship request (request → approve), decided by a person at a gate and carried out
 * on Mycel.
 */
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
  return runMycelApproval<RelationshipStatus, RelationshipRequestState>({
    st,
    setStatus: (status) => publishRelationshipStatus(st, status),
    settings: gateOptions(input),
    prepare: async () => {
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
      return {
        requestId: relationshipId,
        kind: 'mycel_relationship',
        subject: `${st.requester ?? 'Someone'} asks ${st.targetUserId ?? 'you'} for a relationship`,
        shown: { relationshipId, requester: st.requester ?? null, target: st.targetUserId ?? null },
      };
    },
    rejectedDetail: 'rejected: the relationship request was left untouched on the platform',
    reject: async (alias, relationshipId) => {
      // One key per request, and the activity reads the relationship's state on a retry: rejected once.
      const r = await acts.mycelRejectRelationship({
        alias,
        relationshipId,
        key: `${keyBase}/reject-relationship/${relationshipId}`,
      });
      if (r.state === 'absent')
        return `rejected: Mycel does not know relationship ${relationshipId} (404), so nothing is granted`;
      return `rejected on Mycel as ${alias}: relationship with ${r.other} is ${r.state}`;
    },
    approve: async (alias, relationshipId) => {
      const r = await acts.mycelApproveRelationship({
        alias,
        relationshipId,
        key: `${keyBase}/approve-relationship/${relationshipId}`,
      });
      st.platformState = r.state;
      return `approved on Mycel as ${alias}: relationship with ${r.other} is ${r.state}`;
    },
  });
}

function publishRelationshipStatus(st: RelationshipRequestState, status: RelationshipStatus): void {
  publishMycelStatus(
    st,
    status,
    status !== 'awaiting_approval'
      ? `Mycel relationship \`${st.relationshipId ?? '(new)'}\` ${st.requester ?? '?'} → ${st.targetUserId ?? '?'}: ${status}${st.error ? ` (${st.error})` : ''}`
      : st.gateWorkflowId &&
          `Asked ${st.targetUserId ?? '?'} for a relationship (\`${st.relationshipId}\`); they decide on \`${st.gateWorkflowId}\`.`,
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
    const r = await acts.mycelRequestRelationship({
      alias: input.requesterAlias!,
      targetUserId: input.targetUserId!,
      key: `${keyBase}/request-relationship`,
    });
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
