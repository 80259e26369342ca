/**
 * `joinRequest`: a Mycel group join request held at the approval gate until an owner decides.
 *
 * Owner side (`requestId` given; what `mycelInbox` starts): gate `mycel_join` (approvers are owner
 * aliases) → approve: `approve_join` with the deciding owner's own token, exactly once (stable
 * idempotency key) → optionally post into the chat, caught up. Reject is carried out on the
 * platform too (`reject_join`, as the deciding owner) and recorded in the audit.
 *
 * Visitor side (`visitorAlias`, no `requestId`): request to join → hand the request to the owner
 * side under its deterministic id (see handoff.ts: one gate per request even when the owner's inbox
 * sees it too) → wait for that workflow's outcome and return it.
 */
import { defineQuery, isCancellation, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { createMycelActivities } from '../../activities/mycel.js';
import { gateOptions, platformFailure, proofMode, runMycelApproval } from './approval.js';
import { HANDOFF_PATCH, handOff, publishMycelStatus, refuseDecisions } from './handoff.js';
import { parseWorkflowInput } from '../validation.js';
import {
  joinRequestInput,
  type JoinRequestInput,
  type JoinRequestResult,
  type JoinRequestState,
  type JoinStatus,
  joinWorkflowId,
} from './types.js';

type Acts = ReturnType<typeof createMycelActivities>;
const retry = { initialInterval: '200 ms', backoffCoefficient: 2, maximumInterval: '10 s' };
const acts = proxyActivities<Acts>({ startToCloseTimeout: '10 s', retry });
/** Looking up what to show is a nicety: give up after a few tries rather than block the gate. */
const lookup = proxyActivities<Acts>({ startToCloseTimeout: '10 s', retry: { ...retry, maximumAttempts: 5 } });

/** Status of one Mycel join request and of the approval it waits on. */
export const joinStateQuery = defineQuery<JoinRequestState>('mycelJoinState');

/**
 * One Mycel join request into a chat, approved or rejected by a person at a gate and carried out on
 * Mycel once decided.
 */
export async function joinRequest(raw: JoinRequestInput): Promise<JoinRequestResult> {
  const input = parseWorkflowInput(joinRequestInput(), raw);
  const info = workflowInfo();
  const keyBase = `${info.workflowId}/${info.firstExecutionRunId}`;
  const st: JoinRequestState = {
    status: 'requesting',
    chatId: input.chatId,
    requestId: input.requestId,
    requester: input.requester,
    message: input.message,
  };
  setHandler(joinStateQuery, () => st);
  // Visitor-side runs from before the hand-off held the gate themselves (and replay that way).
  if (!input.requestId && patched(HANDOFF_PATCH)) return visitorSide(input, st, keyBase);
  return runMycelApproval<JoinStatus, JoinRequestState>({
    st,
    setStatus: (status) => publishJoinStatus(st, status),
    settings: gateOptions(input),
    prepare: async () => {
      if (!st.requestId) {
        const r = await acts.mycelRequestJoin({
          alias: input.visitorAlias!,
          chatId: input.chatId,
          message: input.message,
          key: `${keyBase}/request-join`,
        });
        st.requestId = r.requestId;
        st.requester = r.requester;
        st.message = r.message ?? st.message;
      } else if (st.requester === undefined || st.message === undefined) {
        try {
          const r = await lookup.mycelGetJoinRequest({
            alias: input.ownerAlias ?? input.approvers[0]!,
            chatId: input.chatId,
            requestId: st.requestId,
          });
          st.requester ??= r.requester;
          st.message ??= r.message;
        } catch (err) {
          // The deciders still see the chat and request ids; the platform is the judge on approve.
          if (platformFailure(err) === undefined) throw err;
        }
      }
      const requestId = st.requestId;
      return {
        requestId,
        kind: 'mycel_join',
        subject: `${st.requester ?? 'Someone'} asks to join chat ${st.chatId}${st.message ? `: "${st.message.slice(0, 120)}"` : ''}`,
        shown: { chatId: st.chatId, requestId, requester: st.requester ?? null, message: st.message ?? null },
      };
    },
    rejectedDetail: 'rejected: the join request was left untouched on the platform',
    reject: async (alias, requestId) => {
      // One key per request, and the activity reads the request's state on a retry: rejected once.
      const r = await acts.mycelRejectJoin({
        alias,
        chatId: st.chatId,
        requestId,
        key: `${keyBase}/reject-join/${requestId}`,
      });
      if (r.state === 'absent')
        return `rejected: Mycel does not know join request ${requestId} in chat ${st.chatId} (404), so nobody is let in`;
      return `rejected on Mycel as ${alias}: ${r.requester} stays out (${r.state})`;
    },
    approve: async (alias, requestId) => {
      // One key per request, and the activity reads the request's state on a retry: approved once.
      const r = await acts.mycelApproveJoin({
        alias,
        chatId: st.chatId,
        requestId,
        key: `${keyBase}/approve-join/${requestId}`,
      });
      return `approved on Mycel as ${alias}: ${r.requester} is a member (${r.state})`;
    },
    afterApproved: async (requestId, acting) => {
      if (!input.postMessage) return;
      if (acting.mode === 'required' && input.postMessage.alias !== acting.alias) {
        st.posted = {
          ok: false,
          error: `not posted: where decisions require proof, a post goes out only as the approver who decided (${acting.alias})`,
        };
        return;
      }
      publishJoinStatus(st, 'posting');
      st.posted = await postInto(st.chatId, input.postMessage, `${keyBase}/post/${requestId}`);
    },
  });
}

/**
 * Posts into the chat after an approval, caught up. The join stands either way: a failed post is reported, not fatal.
 */
async function postInto(
  chatId: string,
  post: { alias: string; text: string },
  key: string,
): Promise<JoinRequestState['posted']> {
  try {
    const p = await acts.mycelSendCaughtUp({ alias: post.alias, chatId, text: post.text, key });
    return { ok: true, messageId: p.messageId, tries: p.tries };
  } catch (err) {
    const failed = platformFailure(err);
    if (failed === undefined) throw err;
    return { ok: false, error: failed };
  }
}

function publishJoinStatus(st: JoinRequestState, status: JoinStatus): void {
  publishMycelStatus(
    st,
    status,
    status !== 'awaiting_approval'
      ? `Mycel join request \`${st.requestId ?? '(new)'}\` by ${st.requester ?? 'a visitor'} for chat \`${st.chatId}\`: ${status}${st.error ? ` (${st.error})` : ''}`
      : st.gateWorkflowId &&
          `Asked to join chat \`${st.chatId}\` (request \`${st.requestId}\`); the owners decide on \`${st.gateWorkflowId}\`.`,
  );
}

/** The visitor side: ask, then hand the request to its one approval workflow and wait for it. */
async function visitorSide(
  input: ReturnType<ReturnType<typeof joinRequestInput>['parse']>,
  st: JoinRequestState,
  keyBase: string,
): Promise<JoinRequestResult> {
  refuseDecisions(st, 'the owners');
  try {
    publishJoinStatus(st, 'requesting');
    const r = await acts.mycelRequestJoin({
      alias: input.visitorAlias!,
      chatId: input.chatId,
      message: input.message,
      key: `${keyBase}/request-join`,
    });
    st.requestId = r.requestId;
    st.requester = r.requester;
    st.message = r.message ?? st.message;
    const owner: JoinRequestInput = {
      chatId: input.chatId,
      requestId: r.requestId,
      requester: st.requester,
      message: st.message,
      ownerAlias: input.ownerAlias,
      postMessage: input.postMessage,
      approvers: input.approvers,
      deadlineSeconds: input.deadlineSeconds,
      onExpiry: input.onExpiry,
      quorum: input.quorum,
      separateDuties: input.separateDuties,
    };
    const res = await handOff(st, joinRequest, joinWorkflowId(input.chatId, r.requestId), owner, (s) =>
      publishJoinStatus(st, s),
    );
    if (res.status !== 'approved' || !input.postMessage || res.posted) return res;
    // The owner's inbox started the approval (with its own settings, so without this post).
    if ((await proofMode()) === 'required' && input.postMessage.alias !== input.visitorAlias) {
      // The start input chose the alias; where decisions require proof, the visitor speaks only for itself.
      st.posted = {
        ok: false,
        error: `not posted: where decisions require proof, the visitor side posts only as ${input.visitorAlias}`,
      };
      return { ...st, decisions: res.decisions, audit: res.audit };
    }
    publishJoinStatus(st, 'posting');
    st.posted = await postInto(st.chatId, input.postMessage, `${keyBase}/post/${r.requestId}`);
    publishJoinStatus(st, 'approved');
    return { ...st, decisions: res.decisions, audit: res.audit };
  } catch (err) {
    publishJoinStatus(st, isCancellation(err) ? 'cancelled' : 'failed');
    throw err;
  }
}
