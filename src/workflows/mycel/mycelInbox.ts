/**
 * `mycelInbox`: one long-lived workflow per Mycel identity. It reads the identity's runtime
 * notifications from a durable `sinceSeq` and starts one approval workflow per request it finds:
 * `joinRequest` for `chat.join_request`, `relationshipRequest` for `relationship.request`.
 *
 * Child ids are deterministic (`mycel-join-<chatId>-<requestId>`, `mycel-rel-<relationshipId>`)
 * and started with REJECT_DUPLICATE, so a notification read twice (a retried read, a replay after
 * continue-as-new, a second inbox) finds its child already there and starts nothing. `sinceSeq`
 * only moves past a batch once every child of it is started, so no request is missed. Children are
 * abandoned on close: they outlive this run and its continue-as-new.
 */
import {
  allHandlersFinished,
  condition,
  defineQuery,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  setWorkflowOptions,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createMycelActivities, MycelFrame } from '../../activities/mycel.js';
import { SwitchboardProvider, SwitchboardStatus } from '../../contracts/searchAttributes.js';
import { parseWorkflowInput, refuseCronSchedule, requireOwnContinuation } from '../validation.js';
import { startApprovalOnce } from './handoff.js';
import { continueOnCurrentVersion, LONG_LIVED } from '../versioning.js';
import { joinRequest } from './joinRequest.js';
import { relationshipRequest } from './relationshipRequest.js';
import {
  JOIN_REQUEST_EVENT,
  joinWorkflowId,
  mycelInboxInput,
  type MycelInboxInput,
  type MycelInboxState,
  RELATIONSHIP_REQUEST_EVENT,
  relationshipWorkflowId,
} from './types.js';

type Acts = ReturnType<typeof createMycelActivities>;
const retry = { initialInterval: '200 ms', backoffCoefficient: 2, maximumInterval: '10 s' };
const acts = proxyActivities<Acts>({ startToCloseTimeout: '10 s', retry });

/** Frames one read may return (metadata only, so a batch stays small in history). */
const MAX_FRAMES_PER_READ = 100;

/**
 * What an inbox watcher has handled: its identity, the notification sequence it reached, and its
 * counts.
 */
export const inboxStateQuery = defineQuery<MycelInboxState>('mycelInboxState');

/**
 * Follows one Mycel identity's notifications (by sequence number) and opens an approval workflow
 * for each join or relationship request; runs until cancelled, continuing as new as history grows.
 */
export async function mycelInbox(raw: MycelInboxInput): Promise<never> {
  const input = parseWorkflowInput(mycelInboxInput(), raw);
  // The carry is this workflow's own continue-as-new state: a starter may not hand one in (it
  // would set the counters and the identity the inbox thinks it reads for).
  // Runs recorded before these checks replay as they ran.
  if (patched('mycel-inbox-start-checks')) {
    refuseCronSchedule('mycelInbox');
    if (input.carry !== undefined) requireOwnContinuation('carry');
  }
  const carry = input.carry;
  const st: MycelInboxState = {
    alias: input.alias,
    me: carry?.me,
    sinceSeq: input.sinceSeq,
    generation: carry?.generation ?? 0,
    loops: 0,
    started: { ...(carry?.started ?? { join: 0, relationship: 0 }) },
    alreadyStarted: { ...(carry?.alreadyStarted ?? { join: 0, relationship: 0 }) },
    gaps: carry?.gaps ?? 0,
    recent: [...(carry?.recent ?? [])],
  };
  setHandler(inboxStateQuery, () => st);
  const approvers = input.approvers ?? input.ownerAliases ?? [input.alias];
  const gate = {
    approvers,
    deadlineSeconds: input.deadlineSeconds,
    onExpiry: input.onExpiry,
    quorum: input.quorum,
    separateDuties: input.separateDuties,
  };
  // The read waits up to pollMaxMs for news; give it room, and notice a dead worker within 10 s.
  const reader = proxyActivities<Acts>({
    startToCloseTimeout: input.pollMaxMs + 60_000,
    heartbeatTimeout: '10 s',
    retry,
  });

  const publish = () => {
    upsertSearchAttributes([
      { key: SwitchboardProvider, value: 'mycel' },
      { key: SwitchboardStatus, value: 'listening' },
    ]);
    setCurrentDetails(
      `Mycel inbox of \`${st.alias}\`${st.me ? ` (${st.me})` : ''}: after seq ${st.sinceSeq}; started ${st.started.join} join and ` +
        `${st.started.relationship} relationship approval(s); deciders ${approvers.join(', ')}`,
    );
  };

  /** Counts a child start: an existing id means this request is already being handled. */
  const count = (kind: 'join' | 'relationship', workflowId: string, started: unknown) => {
    if (!started) {
      st.alreadyStarted[kind] += 1;
      return;
    }
    st.started[kind] += 1;
    st.recent.push(workflowId);
    if (st.recent.length > 20) st.recent.splice(0, st.recent.length - 20);
  };

  const handle = async (f: MycelFrame) => {
    if (f.eventType === JOIN_REQUEST_EVENT && f.chatId && f.requestId) {
      const chatId = f.chatId;
      const requestId = f.requestId;
      const workflowId = joinWorkflowId(chatId, requestId);
      count(
        'join',
        workflowId,
        await startApprovalOnce(joinRequest, workflowId, {
          chatId,
          requestId,
          requester: f.senderId ?? undefined,
          ownerAlias: input.alias,
          ...gate,
        }),
      );
    } else if (f.eventType === RELATIONSHIP_REQUEST_EVENT && f.relationshipId) {
      const relationshipId = f.relationshipId;
      const workflowId = relationshipWorkflowId(relationshipId);
      count(
        'relationship',
        workflowId,
        await startApprovalOnce(relationshipRequest, workflowId, {
          relationshipId,
          requester: f.senderId ?? undefined,
          targetUserId: st.me,
          ...gate,
        }),
      );
    }
  };

  publish();
  st.me ??= (await acts.mycelWhoami({ alias: input.alias })).id;
  publish();
  for (; st.loops < input.maxLoops;) {
    const batch = await reader.mycelReadNotifications({
      alias: input.alias,
      sinceSeq: st.sinceSeq,
      maxFrames: MAX_FRAMES_PER_READ,
      maxMs: input.pollMaxMs,
      eventTypes: [JOIN_REQUEST_EVENT, RELATIONSHIP_REQUEST_EVENT],
    });
    if (batch.gaps.length > 0) {
      st.gaps += batch.gaps.length;
      log.warn('Mycel replay gap: the platform no longer held some notifications', {
        alias: input.alias,
        gaps: batch.gaps,
      });
    }
    for (const f of batch.frames) await handle(f);
    // Only now, with every child of the batch started, does the cursor move past it.
    st.sinceSeq = Math.max(st.sinceSeq, batch.lastSeq);
    st.loops += 1;
    publish();
    if (workflowInfo().continueAsNewSuggested) break;
  }
  await condition(allHandlersFinished);
  return continueOnCurrentVersion<typeof mycelInbox>()({
    ...input,
    sinceSeq: st.sinceSeq,
    carry: {
      me: st.me,
      generation: st.generation + 1,
      started: st.started,
      alreadyStarted: st.alreadyStarted,
      gaps: st.gaps,
      recent: st.recent,
    },
  });
}

// Lives for weeks: stays on the build that started it until continue-as-new (src/workflows/versioning.ts).
setWorkflowOptions(LONG_LIVED, mycelInbox);
