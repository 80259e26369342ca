/**
 * `joinRequest`: a Mycel group join request held at the approval gate until an owner decides.
 *
 * (visitor side, optional) request to join as `visitorAlias` → gate `mycel_join` (approvers are
 * owner aliases) → approve: `approve_join` with the deciding owner's own token, exactly once
 * (stable idempotency key) → optionally post into the chat, caught up. Reject leaves the platform
 * untouched and is recorded in the audit.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
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
import { joinRequestInput, type JoinRequestInput, type JoinRequestResult, type JoinRequestState, type JoinStatus } from './types.js';

type Acts = ReturnType<typeof createMycelActivities>;
const retry = { initialInterval: '200 ms', backoffCoefficient: 2, maximumInterval: '10 s' };
const acts = proxyActivities<Acts>({ startToCloseTimeout: '10 s', retry });
/** Looking up what to show is a nicety: give up after a few tries rather than block the gate. */
const lookup = proxyActivities<Acts>({ startToCloseTimeout: '10 s', retry: { ...retry, maximumAttempts: 5 } });

export const joinStateQuery = defineQuery<JoinRequestState>('mycelJoinState');

/**
 * The platform's answer when an activity failed for good (its ApplicationFailure's message), or
 * undefined for anything that must propagate: cancellation, or a non-activity error.
 */
export function platformFailure(err: unknown): string | undefined {
  if (!(err instanceof ActivityFailure) || isCancellation(err)) return undefined;
  return err.cause?.message ?? err.message;
}

export async function joinRequest(raw: JoinRequestInput): Promise<JoinRequestResult> {
  const input = parseWorkflowInput(joinRequestInput(), raw);
  const info = workflowInfo();
  const keyBase = `${info.workflowId}/${info.firstExecutionRunId}`;
  const gate = new ApprovalGate();
  const st: JoinRequestState = { status: 'requesting', chatId: input.chatId, requestId: input.requestId, requester: input.requester, message: input.message };
  setHandler(joinStateQuery, () => st);

  const setStatus = (status: JoinStatus) => {
    st.status = status;
    upsertSearchAttributes([
      { key: SwitchboardProvider, value: 'mycel' },
      { key: SwitchboardStatus, value: status },
    ]);
    if (status !== 'awaiting_approval') {
      setCurrentDetails(
        `Mycel join request \`${st.requestId ?? '(new)'}\` by ${st.requester ?? 'a visitor'} for chat \`${st.chatId}\`: ${status}${st.error ? ` (${st.error})` : ''}`,
      );
    }
  };

  try {
    setStatus('requesting');
    if (!st.requestId) {
      const r = await acts.mycelRequestJoin({ alias: input.visitorAlias!, chatId: input.chatId, message: input.message, key: `${keyBase}/request-join` });
      st.requestId = r.requestId;
      st.requester = r.requester;
      st.message = r.message ?? st.message;
    } else if (st.requester === undefined || st.message === undefined) {
      try {
        const r = await lookup.mycelGetJoinRequest({ alias: input.ownerAlias ?? input.approvers[0]!, chatId: input.chatId, requestId: st.requestId });
        st.requester ??= r.requester;
        st.message ??= r.message;
      } catch (err) {
        // The deciders still see the chat and request ids; the platform is the judge on approve.
        if (platformFailure(err) === undefined) throw err;
      }
    }
    const requestId = st.requestId;

    setStatus('awaiting_approval');
    const shown = { chatId: st.chatId, requestId, requester: st.requester ?? null, message: st.message ?? null };
    const outcome = await gate.wait({
      requestId,
      kind: 'mycel_join',
      subject: `${st.requester ?? 'Someone'} asks to join chat ${st.chatId}${st.message ? `: "${st.message.slice(0, 120)}"` : ''}`,
      approvers: input.approvers,
      deadlineSeconds: input.deadlineSeconds,
      onExpiry: input.onExpiry,
      // Key order is fixed above, so the same request always has the same digest.
      digest: JSON.stringify(shown),
      shown,
      allowed: ['approve', 'reject'],
    });
    st.decider = outcome.decider;

    if (outcome.decision === 'reject') {
      gate.applied(requestId, { ok: true, detail: 'rejected: the join request was left untouched on the platform' });
      setStatus('rejected');
    } else {
      // A person approves with their own token; an expiry approval acts as the first approver.
      st.actingAlias = outcome.auto ? input.approvers[0]! : outcome.decider;
      setStatus('approving');
      let approved = false;
      try {
        // One key per request: a retry (or a new worker after a crash) replays, never re-approves.
        const r = await acts.mycelApproveJoin({ alias: st.actingAlias, chatId: st.chatId, requestId, key: `${keyBase}/approve-join/${requestId}` });
        gate.applied(requestId, { ok: true, detail: `approved on Mycel as ${st.actingAlias}: ${r.requester} is a member (${r.state})` });
        approved = true;
      } catch (err) {
        const failed = platformFailure(err);
        if (failed === undefined) throw err;
        st.error = failed;
        gate.applied(requestId, { ok: false, detail: st.error });
        setStatus('failed');
      }
      if (approved && input.postMessage) {
        setStatus('posting');
        try {
          const p = await acts.mycelSendCaughtUp({
            alias: input.postMessage.alias,
            chatId: st.chatId,
            text: input.postMessage.text,
            key: `${keyBase}/post/${requestId}`,
          });
          st.posted = { ok: true, messageId: p.messageId, tries: p.tries };
        } catch (err) {
          // The join stands either way; the post's failure is reported, not fatal.
          const failed = platformFailure(err);
          if (failed === undefined) throw err;
          st.posted = { ok: false, error: failed };
        }
      }
      if (approved) setStatus('approved');
    }
    await condition(allHandlersFinished);
    return { ...st, decisions: gate.snapshot().decided, audit: gate.audit };
  } catch (err) {
    setStatus(isCancellation(err) ? 'cancelled' : 'failed');
    throw err;
  }
}
