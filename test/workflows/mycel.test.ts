/**
 * Mycel approvals on a real dev server against the sandbox: join requests approved, rejected,
 * decided by someone who may not, decided twice, decided differently after the fact; a worker
 * SIGKILLed between the decision and `approve_join`; a stale chat on the post after approval;
 * relationship requests; and the per-identity inbox that turns notifications into exactly one
 * approval workflow per request, even across a worker outage and continue-as-new.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MYCEL_DEMO_AGENT } from '../../src/sandbox/platforms/mycel/index.js';
import { decideUpdate, gateQuery } from '../../src/workflows/gate/gate.js';
import type { DecisionInput, GateOutcome, GateView } from '../../src/contracts/gates.js';
import { joinStateQuery } from '../../src/workflows/mycel/joinRequest.js';
import { relationshipStateQuery } from '../../src/workflows/mycel/relationshipRequest.js';
import { inboxStateQuery } from '../../src/workflows/mycel/mycelInbox.js';
import type {
  JoinRequestInput,
  JoinRequestResult,
  MycelInboxInput,
  RelationshipRequestInput,
  RelationshipRequestResult,
} from '../../src/workflows/mycel/types.js';
import { createHarness, eventually, type Harness } from '../support/harness.js';
import { exited, holdAnswerOnce, spawnWorker } from '../support/workers.js';

const MYCEL_ENV = {
  MYCEL_TOKEN_OWNER: 'sb_mycel_owner',
  MYCEL_TOKEN_VISITOR: 'sb_mycel_visitor',
  MYCEL_TOKEN_AGENT_B: 'sb_mycel_agent-b',
};
/** The owner's managed agent, as a test-only identity (its key is registered per test). */
const DEMO_TOKEN = 'sb_mycel_demo';
const APPROVE = '/api/chats/{chat_id}/join-requests/{request_id}/approve';
const REJECT = '/api/chats/{chat_id}/join-requests/{request_id}/reject';
/** mycel-sdk `read()`: one atomic read-and-mark. */
const READ = '/api/chats/{chat_id}/messages/read';
const MESSAGES = '/api/chats/{chat_id}/messages';
const REL_APPROVE = '/api/relationships/{relationship_id}/approve';
const REL_REJECT = '/api/relationships/{relationship_id}/reject';
const REQUEST_JOIN = '/api/chats/{chat_id}/join-requests';
/** The notification WebSocket (mycel-sdk): faults and the journal cover its handshake like any route. */
const STREAM = '/api/runtime/inbox/subscribe';
const DRAIN = '/api/runtime/inbox/drain';
const WAIT = '/api/runtime/inbox/wait';

let h: Harness;
/** Workflows a test leaves running (inboxes, abandoned children): terminated after each test. */
const leftovers: string[] = [];

beforeAll(async () => {
  h = await createHarness({ name: 'mycel', extraEnv: { ...MYCEL_ENV, MYCEL_TOKEN_DEMO: DEMO_TOKEN } });
});
afterAll(async () => h?.close());
beforeEach(async () => h.control.reset());
afterEach(async () => {
  for (const id of leftovers.splice(0))
    await h.client.workflow
      .getHandle(id)
      .terminate('test over')
      .catch(() => undefined);
});

const mycel = (alias: 'owner' | 'visitor' | 'agent-b' | 'demo') => h.providers.client('mycel', alias);

/** A group chat owned by `owner` (with the owner's managed agent, which needs no relationship). */
async function newGroup(): Promise<string> {
  return (await mycel('owner').chats.create([MYCEL_DEMO_AGENT], 'Lobby')).id;
}

async function startJoin(input: JoinRequestInput, taskQueue = h.taskQueue): Promise<string> {
  const workflowId = `mycel-join-test-${randomUUID()}`;
  await h.client.workflow.start('joinRequest', { workflowId, taskQueue, args: [input] });
  return workflowId;
}

/**
 * Visitor side: the request's one approval workflow (`mycel-join-<chat>-<request>`), which the
 * visitor's workflow hands its request to once it has asked.
 */
async function approvalOf(visitorWorkflowId: string): Promise<string> {
  const id = await eventually(
    async () => (await h.client.workflow.getHandle(visitorWorkflowId).query(joinStateQuery)).gateWorkflowId,
    { timeoutMs: 60_000 },
  );
  leftovers.push(id);
  return id;
}

/** A running inbox for `owner` (deciders: owner), once it knows who it is. */
async function startOwnerInbox(name: string): Promise<string> {
  const inboxId = `mycel-inbox-${name}-${randomUUID()}`;
  await h.client.workflow.start('mycelInbox', {
    workflowId: inboxId,
    taskQueue: h.taskQueue,
    args: [{ alias: 'owner', approvers: ['owner'], pollMaxMs: 500 }],
  });
  leftovers.push(inboxId);
  await eventually(async () =>
    (await h.client.workflow.getHandle(inboxId).query(inboxStateQuery)).me ? true : undefined,
  );
  return inboxId;
}

async function openGate(workflowId: string): Promise<GateView> {
  return eventually(
    async () => {
      const g = await h.client.workflow.getHandle(workflowId).query(gateQuery);
      return g.open ? g : undefined;
    },
    { timeoutMs: 60_000 },
  );
}

const decide = (workflowId: string, d: DecisionInput): Promise<GateOutcome> =>
  h.client.workflow.getHandle(workflowId).executeUpdate(decideUpdate, { args: [d] });

/** The message a rejected update carries (the validator's words). */
async function rejectionOf(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the update should have been rejected').toBeInstanceOf(Error);
  const e = err as Error & { cause?: Error };
  return `${e.message} ${e.cause?.message ?? ''}`;
}

async function historyLength(workflowId: string): Promise<number> {
  return (await h.client.workflow.getHandle(workflowId).fetchHistory()).events?.length ?? 0;
}

/**
 * Journal rows of requests that reached the platform's handler. A fault `phase: 'after'` with a
 * status adds a second row for the answer it replaced (`fault: 'status 502'`).
 */
const ran = <R extends { fault?: string }>(rows: R[]): R[] => rows.filter((r) => !r.fault?.startsWith('status'));

const joinResult = (id: string) => h.client.workflow.getHandle(id).result() as Promise<JoinRequestResult>;

async function isMember(chatId: string, userId: string): Promise<boolean> {
  return (await mycel('owner').chats.get(chatId)).members?.some((m) => m.user_id === userId) ?? false;
}

describe('joinRequest', () => {
  it('approved by an owner → approve_join once with the owner token, the visitor is a member, decision audited', async () => {
    const chatId = await newGroup();
    const visitorId = await startJoin({
      chatId,
      visitorAlias: 'visitor',
      message: 'please add me',
      approvers: ['owner'],
    });
    const workflowId = await approvalOf(visitorId);
    const gate = await openGate(workflowId);
    expect(workflowId).toBe(`mycel-join-${chatId}-${gate.requestId}`);
    expect(gate.kind).toBe('mycel_join');
    expect(gate.allowed).toEqual(['approve', 'reject']);
    expect(gate.shown).toEqual({ chatId, requestId: gate.requestId, requester: 'visitor', message: 'please add me' });
    const desc = await h.client.workflow.getHandle(workflowId).describe();
    const attrs = Object.fromEntries(desc.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value]));
    expect(attrs).toMatchObject({
      SwitchboardProvider: 'mycel',
      SwitchboardStatus: 'awaiting_approval',
      AwaitingHuman: true,
      GateKind: 'mycel_join',
    });
    expect(await isMember(chatId, 'visitor')).toBe(false);

    const outcome = await decide(workflowId, {
      requestId: gate.requestId!,
      decider: 'owner',
      decision: 'approve',
      comment: 'welcome',
      digest: gate.digest,
    });
    expect(outcome).toMatchObject({ decision: 'approve', decider: 'owner', auto: false, effect: { ok: true } });
    const res = await joinResult(workflowId);
    expect(res).toMatchObject({
      status: 'approved',
      requestId: gate.requestId,
      requester: 'visitor',
      decider: 'owner',
      actingAlias: 'owner',
    });
    // The visitor's workflow returns the approval's outcome.
    expect(await joinResult(visitorId)).toEqual({ ...res, gateWorkflowId: workflowId });
    expect(res.audit).toEqual([
      expect.objectContaining({
        requestId: gate.requestId,
        kind: 'mycel_join',
        decider: 'owner',
        decision: 'approve',
        comment: 'welcome',
        digest: gate.digest,
      }),
    ]);
    expect(await isMember(chatId, 'visitor')).toBe(true);
    const approves = await h.control.journal({ platform: 'mycel', method: 'POST', route: APPROVE });
    expect(approves).toHaveLength(1);
    expect(approves[0]).toMatchObject({ status: 200, idempotencyKey: expect.stringContaining(workflowId) });
    const row = (await mycel('owner').chats.listJoinRequests(chatId)).find((r) => r.id === gate.requestId);
    expect(row).toMatchObject({ state: 'approved', decided_by: 'owner' });
  });

  it('rejected → reject_join once on the platform with the owner token, even when its answer is lost; the rejection and its reason are recorded', async () => {
    const chatId = await newGroup();
    const workflowId = await approvalOf(await startJoin({ chatId, visitorAlias: 'visitor', approvers: ['owner'] }));
    const gate = await openGate(workflowId);
    // reject_join runs on the platform, then its answer is lost: the retry must not reject again.
    await h.control.fault({ platform: 'mycel', method: 'POST', route: REJECT, phase: 'after', status: 502, times: 1 });
    const outcome = await decide(workflowId, {
      requestId: gate.requestId!,
      decider: 'owner',
      decision: 'reject',
      reason: 'not this week',
    });
    expect(outcome).toMatchObject({
      decision: 'reject',
      reason: 'not this week',
      effect: { ok: true, detail: expect.stringContaining('rejected on Mycel as owner') },
    });
    const res = await joinResult(workflowId);
    expect(res).toMatchObject({ status: 'rejected', actingAlias: 'owner' });
    expect(res.decisions).toEqual([
      expect.objectContaining({ decision: 'reject', decider: 'owner', reason: 'not this week' }),
    ]);
    expect(await h.control.journal({ platform: 'mycel', route: APPROVE })).toHaveLength(0);
    // Exactly one reject reached the platform (its answer lost); the retry read the request's state instead.
    const rejects = ran(await h.control.journal({ platform: 'mycel', method: 'POST', route: REJECT }));
    expect(rejects).toHaveLength(1);
    expect(rejects[0]!.replayed).toBeFalsy();
    expect(
      (await h.control.journal({ platform: 'mycel', method: 'GET', route: REQUEST_JOIN })).length,
    ).toBeGreaterThanOrEqual(1);
    expect(await isMember(chatId, 'visitor')).toBe(false);
    const row = (await mycel('owner').chats.listJoinRequests(chatId)).find((r) => r.id === gate.requestId);
    expect(row).toMatchObject({ state: 'rejected', decided_by: 'owner' });
    // The visitor heard of it once.
    const heard = (await mycel('visitor').notifications.drain()).notifications.filter(
      (n) => n.event_type === 'chat.join_rejected',
    );
    expect(heard).toHaveLength(1);
  });

  it('an unauthorised decider is rejected by the validator, with no history event and no platform call', async () => {
    const chatId = await newGroup();
    const workflowId = await approvalOf(await startJoin({ chatId, visitorAlias: 'visitor', approvers: ['owner'] }));
    const gate = await openGate(workflowId);
    const before = await historyLength(workflowId);
    const msg = await rejectionOf(
      decide(workflowId, { requestId: gate.requestId!, decider: 'visitor', decision: 'approve' }),
    );
    expect(msg).toContain('visitor is not an approver of this mycel_join gate');
    // A decision the gate does not allow is refused the same way.
    const edits = await rejectionOf(
      decide(workflowId, {
        requestId: gate.requestId!,
        decider: 'owner',
        decision: 'approve_with_edits',
        edits: ['x'],
      }),
    );
    expect(edits).toContain('approve_with_edits is not allowed here');
    expect(await historyLength(workflowId)).toBe(before);
    expect(await h.control.journal({ platform: 'mycel', route: APPROVE })).toHaveLength(0);
    expect((await h.client.workflow.getHandle(workflowId).query(gateQuery)).open).toBe(true);
    await decide(workflowId, { requestId: gate.requestId!, decider: 'owner', decision: 'approve' });
    expect((await joinResult(workflowId)).status).toBe('approved');
  });

  it('the same approve twice returns the first outcome, with one platform call', async () => {
    const chatId = await newGroup();
    const workflowId = await approvalOf(await startJoin({ chatId, visitorAlias: 'visitor', approvers: ['owner'] }));
    const gate = await openGate(workflowId);
    // Hold approve_join for a moment so the workflow is still running when the repeat arrives.
    await h.control.fault({ platform: 'mycel', method: 'POST', route: APPROVE, latencyMs: 2_000, times: 1 });
    const d: DecisionInput = { requestId: gate.requestId!, decider: 'owner', decision: 'approve' };
    const first = decide(workflowId, d);
    await eventually(async () => (await h.client.workflow.getHandle(workflowId).query(gateQuery)).decided.length === 1);
    const second = await decide(workflowId, d);
    expect(second).toEqual(await first);
    expect(second.effect?.ok).toBe(true);
    expect((await joinResult(workflowId)).decisions).toHaveLength(1);
    expect(await h.control.journal({ platform: 'mycel', method: 'POST', route: APPROVE })).toHaveLength(1);
  });

  it('a different decision after the gate closed is rejected, naming the decision that stands', async () => {
    const chatId = await newGroup();
    const workflowId = await approvalOf(await startJoin({ chatId, visitorAlias: 'visitor', approvers: ['owner'] }));
    const gate = await openGate(workflowId);
    await h.control.fault({ platform: 'mycel', method: 'POST', route: APPROVE, latencyMs: 2_000, times: 1 });
    const first = decide(workflowId, { requestId: gate.requestId!, decider: 'owner', decision: 'approve' });
    await eventually(async () => (await h.client.workflow.getHandle(workflowId).query(gateQuery)).decided.length === 1);
    const msg = await rejectionOf(
      decide(workflowId, {
        requestId: gate.requestId!,
        decider: 'owner',
        decision: 'reject',
        reason: 'changed my mind',
      }),
    );
    expect(msg).toMatch(new RegExp(`request ${gate.requestId} is already decided: approve by owner at .* stands`));
    expect((await first).decision).toBe('approve');
    const res = await joinResult(workflowId);
    // The refused update left no trace in history: only the approval was ever accepted.
    const events = (await h.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    expect(events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toHaveLength(1);
    expect(res.status).toBe('approved');
    expect(res.audit).toHaveLength(1);
    expect(await isMember(chatId, 'visitor')).toBe(true);
  });

  it('a stale chat on the post after approval is read again and sent, once', async () => {
    // The owner's managed agent speaks first, so the owner has an unread message before the post.
    await h.control.addKey('mycel', DEMO_TOKEN, MYCEL_DEMO_AGENT);
    const chatId = await newGroup();
    await mycel('demo').messages.send(chatId, 'hello from the agent', { enforceCaughtUp: false });

    const workflowId = await approvalOf(
      await startJoin({
        chatId,
        visitorAlias: 'visitor',
        approvers: ['owner'],
        postMessage: { alias: 'owner', text: 'Welcome, visitor!' },
      }),
    );
    const gate = await openGate(workflowId);
    // The owner's read is answered late; meanwhile the new member speaks, so the send finds the chat moved on.
    await holdAnswerOnce(h.control, 'mycel', READ, 2_000);
    await decide(workflowId, { requestId: gate.requestId!, decider: 'owner', decision: 'approve' });
    await eventually(
      async () => (await h.control.journal({ platform: 'mycel', method: 'POST', route: READ })).length > 0,
    );
    await mycel('visitor').messages.send(chatId, 'hi all', { enforceCaughtUp: false });

    const res = await joinResult(workflowId);
    expect(res.status).toBe('approved');
    expect(res.posted).toMatchObject({ ok: true, tries: 2 });
    const sends = (await h.control.journal({ platform: 'mycel', method: 'POST', route: MESSAGES })).filter((r) =>
      r.idempotencyKey?.includes(workflowId),
    );
    expect(sends.map((r) => r.status)).toEqual([409, 200]);
    const history = await mycel('owner').messages.list(chatId);
    expect(history.map((m) => m.content)).toEqual(['hello from the agent', 'hi all', 'Welcome, visitor!']);
  });

  it('a post whose answer is lost is found on the retry, not posted twice (Mycel ignores Idempotency-Key)', async () => {
    const chatId = await newGroup();
    const workflowId = await approvalOf(
      await startJoin({
        chatId,
        visitorAlias: 'visitor',
        approvers: ['owner'],
        postMessage: { alias: 'owner', text: 'Welcome aboard!' },
      }),
    );
    const gate = await openGate(workflowId);
    // The post lands on the platform, then its answer is lost.
    await h.control.fault({
      platform: 'mycel',
      method: 'POST',
      route: MESSAGES,
      phase: 'after',
      status: 502,
      times: 1,
    });
    await decide(workflowId, { requestId: gate.requestId!, decider: 'owner', decision: 'approve' });
    const res = await joinResult(workflowId);
    expect(res.status).toBe('approved');
    expect(res.posted).toMatchObject({ ok: true });
    const history = await mycel('owner').messages.list(chatId);
    expect(history.filter((m) => m.content === 'Welcome aboard!')).toHaveLength(1);
    expect(res.posted).toMatchObject({ messageId: history.find((m) => m.content === 'Welcome aboard!')!.id });
    const sends = ran(await h.control.journal({ platform: 'mycel', method: 'POST', route: MESSAGES }));
    expect(sends).toHaveLength(1);
    // The retry looked at the history instead of sending again.
    expect(
      (await h.control.journal({ platform: 'mycel', method: 'GET', route: MESSAGES })).some(
        (r) => r.seq > sends[0]!.seq,
      ),
    ).toBe(true);
  });

  it("visitor side and the owner's inbox see the same request → one approval workflow, and the visitor hears its outcome", async () => {
    const chatId = await newGroup();
    const inboxId = await startOwnerInbox('handoff');
    // The platform records the request (and notifies the owner) but answers the visitor 2 s late,
    // so the owner's inbox starts the approval first and the visitor side finds it already there.
    await holdAnswerOnce(h.control, 'mycel', REQUEST_JOIN, 2_000);
    const visitorId = await startJoin({
      chatId,
      visitorAlias: 'visitor',
      message: 'both sides',
      approvers: ['owner'],
      postMessage: { alias: 'owner', text: 'Welcome in!' },
    });
    const workflowId = await approvalOf(visitorId);
    const gate = await openGate(workflowId);
    expect((await h.client.workflow.getHandle(workflowId).describe()).parentExecution?.workflowId).toBe(inboxId);
    const inbox = await eventually(async () => {
      const st = await h.client.workflow.getHandle(inboxId).query(inboxStateQuery);
      return st.started.join === 1 ? st : undefined;
    });
    expect(inbox.recent).toEqual([workflowId]);

    // A decision sent to the visitor's workflow is refused, naming where to decide; nothing is written.
    // (Measured once the visitor's workflow has asked the approval for its outcome and is waiting.)
    await eventually(async () => {
      const events = (await h.client.workflow.getHandle(visitorId).fetchHistory()).events ?? [];
      return events.some((e) => e.externalWorkflowExecutionSignaledEventAttributes) &&
        events.some((e) => e.timerStartedEventAttributes)
        ? true
        : undefined;
    });
    const before = await historyLength(visitorId);
    const msg = await rejectionOf(
      decide(visitorId, { requestId: gate.requestId!, decider: 'owner', decision: 'approve' }),
    );
    expect(msg).toContain(`the owners decide on ${workflowId}`);
    // The client library (and so the CLI) names it too, before sending anything.
    await expect(h.sb.decide(visitorId, { decider: 'owner', decision: 'approve' })).rejects.toThrow(
      `its approval gate is workflow ${workflowId}`,
    );
    expect(await historyLength(visitorId)).toBe(before);

    await decide(workflowId, {
      requestId: gate.requestId!,
      decider: 'owner',
      decision: 'approve',
      comment: 'one gate',
    });
    const res = await joinResult(visitorId);
    expect(res).toMatchObject({
      status: 'approved',
      requestId: gate.requestId,
      gateWorkflowId: workflowId,
      decider: 'owner',
    });
    expect(res.audit).toEqual([expect.objectContaining({ decision: 'approve', comment: 'one gate' })]);
    // The inbox's approval had no post to make, so the visitor's workflow made it, once.
    expect(res.posted).toMatchObject({ ok: true });
    expect((await mycel('owner').messages.list(chatId)).filter((m) => m.content === 'Welcome in!')).toHaveLength(1);
    expect(await h.control.journal({ platform: 'mycel', method: 'POST', route: APPROVE })).toHaveLength(1);
    // Only the approval workflow held a gate: the visitor's never waited on a person itself.
    const visitorAttrs = (await h.client.workflow.getHandle(visitorId).describe()).typedSearchAttributes
      .getAll()
      .map((p) => p.key.name);
    expect(visitorAttrs).not.toContain('AwaitingHuman');
    expect(await isMember(chatId, 'visitor')).toBe(true);
  });

  it('an approval that ended before the visitor side could ask: decided → its result is read from Temporal; terminated → failed, saying so', async () => {
    await startOwnerInbox('ended');
    /** The inbox opens the gate while the visitor's request_join answer is held back; `act` ends it then. */
    const endedEarly = async (act: (approvalId: string, requestId: string) => Promise<void>) => {
      const chatId = await newGroup();
      await holdAnswerOnce(h.control, 'mycel', REQUEST_JOIN, 6_000);
      const visitorId = await startJoin({ chatId, visitorAlias: 'visitor', approvers: ['owner'] });
      const requestId = await eventually(async () => (await mycel('owner').chats.listJoinRequests(chatId)).at(0)?.id);
      const approvalId = `mycel-join-${chatId}-${requestId}`;
      leftovers.push(approvalId);
      await openGate(approvalId);
      await act(approvalId, requestId);
      expect(
        (await h.client.workflow.getHandle(visitorId).query(joinStateQuery)).gateWorkflowId,
        'ended before the visitor knew',
      ).toBeUndefined();
      return { visitorId, approvalId, res: await joinResult(visitorId) };
    };

    const decided = await endedEarly(async (id, requestId) => {
      await decide(id, { requestId, decider: 'owner', decision: 'reject', reason: 'quick no' });
      await joinResult(id);
    });
    expect(decided.res).toMatchObject({ status: 'rejected', gateWorkflowId: decided.approvalId, decider: 'owner' });
    expect(decided.res.decisions).toEqual([expect.objectContaining({ decision: 'reject', reason: 'quick no' })]);

    const terminated = await endedEarly(async (id) => {
      await h.client.workflow.getHandle(id).terminate('operator stopped it');
    });
    expect(terminated.res).toMatchObject({ status: 'failed', gateWorkflowId: terminated.approvalId });
    expect(terminated.res.error).toContain('ended terminated');
  }, 60_000);

  it('input without a request id or a visitor alias fails at once as InvalidInput', async () => {
    const workflowId = await startJoin({ chatId: 'chat_x', approvers: ['owner'] });
    const err: unknown = await h.client.workflow
      .getHandle(workflowId)
      .result()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('InvalidInput');
    expect(cause.nonRetryable).toBe(true);
    expect(cause.message).toContain('visitorAlias is required');
  });
});

it('SIGKILL between the decision and approve_join → exactly one approval reaches the platform', async () => {
  const taskQueue = `mycel-crash-${Date.now()}`;
  const chatId = await newGroup();
  const jr = await mycel('visitor').chats.requestJoin(chatId, 'crash test');
  // approve_join runs on the platform, then its answer is held back long enough to kill the worker.
  await holdAnswerOnce(h.control, 'mycel', APPROVE);
  const first = spawnWorker(taskQueue, MYCEL_ENV);
  let second: ChildProcess | undefined;
  try {
    const workflowId = await startJoin({ chatId, requestId: jr.id, approvers: ['owner'] }, taskQueue);
    const gate = await openGate(workflowId);
    expect(gate.shown).toEqual({ chatId, requestId: jr.id, requester: 'visitor', message: 'crash test' });
    const decided = decide(workflowId, { requestId: jr.id, decider: 'owner', decision: 'approve' });
    await eventually(
      async () => (await h.control.journal({ platform: 'mycel', method: 'POST', route: APPROVE })).length > 0,
      { timeoutMs: 30_000 },
    );
    first.kill('SIGKILL');
    await exited(first);
    second = spawnWorker(taskQueue, MYCEL_ENV);
    const outcome = await decided;
    expect(outcome).toMatchObject({ decision: 'approve', decider: 'owner', effect: { ok: true } });
    expect((await joinResult(workflowId)).status).toBe('approved');
    // Mycel ignores Idempotency-Key (so does the sandbox): the retry read the request's state,
    // found it approved, and did not approve again.
    const approves = await h.control.journal({ platform: 'mycel', method: 'POST', route: APPROVE });
    expect(approves).toHaveLength(1);
    expect(approves[0]!.replayed).toBeFalsy();
    const reads = await h.control.journal({ platform: 'mycel', method: 'GET', route: REQUEST_JOIN });
    expect(reads.some((r) => r.seq > approves[0]!.seq)).toBe(true);
    expect(await isMember(chatId, 'visitor')).toBe(true);
    const heard = (await mycel('visitor').notifications.drain()).notifications.filter(
      (n) => n.event_type === 'chat.join_approved',
    );
    expect(heard).toHaveLength(1);
  } finally {
    first.kill('SIGKILL');
    second?.kill('SIGTERM');
    if (second) await exited(second);
  }
}, 120_000);

describe('relationshipRequest', () => {
  it('requested by agent-b, approved by the target with its own token → visit', async () => {
    const requesterId = `mycel-rel-test-${randomUUID()}`;
    const input: RelationshipRequestInput = { requesterAlias: 'agent-b', targetUserId: 'owner', approvers: ['owner'] };
    await h.client.workflow.start('relationshipRequest', {
      workflowId: requesterId,
      taskQueue: h.taskQueue,
      args: [input],
    });
    // The requester's workflow hands the request to its one approval workflow, `mycel-rel-<id>`.
    const workflowId = await eventually(
      async () => (await h.client.workflow.getHandle(requesterId).query(relationshipStateQuery)).gateWorkflowId,
    );
    leftovers.push(workflowId);
    const gate = await openGate(workflowId);
    expect(workflowId).toBe(`mycel-rel-${gate.requestId}`);
    expect(gate.kind).toBe('mycel_relationship');
    expect(gate.shown).toEqual({ relationshipId: gate.requestId, requester: 'agent-b', target: 'owner' });
    const refused = await rejectionOf(
      decide(workflowId, { requestId: gate.requestId!, decider: 'agent-b', decision: 'approve' }),
    );
    expect(refused).toContain('agent-b is not an approver');
    const outcome = await decide(workflowId, { requestId: gate.requestId!, decider: 'owner', decision: 'approve' });
    expect(outcome.effect?.ok).toBe(true);
    const res = (await h.client.workflow.getHandle(workflowId).result()) as RelationshipRequestResult;
    expect(res).toMatchObject({ status: 'approved', platformState: 'visit', decider: 'owner', actingAlias: 'owner' });
    expect(await h.client.workflow.getHandle(requesterId).result()).toEqual({ ...res, gateWorkflowId: workflowId });
    const rel = (await mycel('owner').relationships.list()).find((r) => r.id === gate.requestId);
    expect(rel).toMatchObject({ other_user_id: 'agent-b', state: 'visit' });
    expect(await h.control.journal({ platform: 'mycel', method: 'POST', route: REL_APPROVE })).toHaveLength(1);
  });

  it('rejected at the gate → rejected on the platform once, with the target token, even when the answer is lost', async () => {
    const rel = await mycel('agent-b').relationships.request('owner');
    const workflowId = `mycel-rel-${rel.id}`;
    await h.client.workflow.start('relationshipRequest', {
      workflowId,
      taskQueue: h.taskQueue,
      args: [
        {
          relationshipId: rel.id,
          requester: 'agent-b',
          targetUserId: 'owner',
          approvers: ['owner'],
        } satisfies RelationshipRequestInput,
      ],
    });
    leftovers.push(workflowId);
    const gate = await openGate(workflowId);
    await h.control.fault({
      platform: 'mycel',
      method: 'POST',
      route: REL_REJECT,
      phase: 'after',
      status: 502,
      times: 1,
    });
    const outcome = await decide(workflowId, {
      requestId: gate.requestId!,
      decider: 'owner',
      decision: 'reject',
      reason: 'no',
    });
    expect(outcome.effect).toMatchObject({ ok: true, detail: expect.stringContaining('rejected on Mycel as owner') });
    expect((await h.client.workflow.getHandle(workflowId).result()) as RelationshipRequestResult).toMatchObject({
      status: 'rejected',
      actingAlias: 'owner',
    });
    expect((await mycel('owner').relationships.list()).find((r) => r.id === rel.id)).toMatchObject({
      state: 'rejected',
    });
    expect(ran(await h.control.journal({ platform: 'mycel', method: 'POST', route: REL_REJECT }))).toHaveLength(1);
    expect(await h.control.journal({ platform: 'mycel', method: 'POST', route: REL_APPROVE })).toHaveLength(0);
  });
});

describe('mycelInbox', () => {
  it('requests made while no worker runs are picked up once the worker starts, exactly once, across continue-as-new and a second inbox', async () => {
    const inboxId = `mycel-inbox-owner-${randomUUID()}`;
    const replayId = `mycel-inbox-replay-${randomUUID()}`;
    await h.stopWorker();
    let chatId: string;
    let requestId: string;
    let relationshipId: string;
    let firstRun: string;
    try {
      chatId = await newGroup();
      requestId = (await mycel('visitor').chats.requestJoin(chatId, 'let me in')).id;
      relationshipId = (await mycel('agent-b').relationships.request('owner')).id;
      const input: MycelInboxInput = { alias: 'owner', approvers: ['owner'], maxLoops: 2, pollMaxMs: 500 };
      firstRun = (
        await h.client.workflow.start('mycelInbox', { workflowId: inboxId, taskQueue: h.taskQueue, args: [input] })
      ).firstExecutionRunId;
      leftovers.push(inboxId);
    } finally {
      await h.startWorker();
    }
    const joinId = `mycel-join-${chatId}-${requestId}`;
    const relId = `mycel-rel-${relationshipId}`;
    leftovers.push(joinId, relId);

    const gate = await openGate(joinId);
    expect(gate).toMatchObject({ kind: 'mycel_join', requestId, approvers: ['owner'] });
    expect(gate.shown).toEqual({ chatId, requestId, requester: 'visitor', message: 'let me in' });
    const relGate = await openGate(relId);
    expect(relGate.shown).toEqual({ relationshipId, requester: 'agent-b', target: 'owner' });
    const childRun = (await h.client.workflow.getHandle(joinId).describe()).runId;

    // The inbox continued as new (twice) and carried its cursor and counts; nothing was started again.
    const inbox = h.client.workflow.getHandle(inboxId);
    const st = await eventually(
      async () => {
        const s = await inbox.query(inboxStateQuery);
        return s.generation >= 2 ? s : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(st).toMatchObject({
      alias: 'owner',
      me: 'owner',
      started: { join: 1, relationship: 1 },
      alreadyStarted: { join: 0, relationship: 0 },
    });
    expect(st.sinceSeq).toBeGreaterThanOrEqual(2);
    expect(st.recent).toEqual([joinId, relId]);
    expect((await inbox.describe()).runId).not.toBe(firstRun);

    // A second inbox reading the same notifications from the start finds both children already there.
    await h.client.workflow.start('mycelInbox', {
      workflowId: replayId,
      taskQueue: h.taskQueue,
      args: [{ alias: 'owner', approvers: ['owner'], maxLoops: 1, pollMaxMs: 500, sinceSeq: 0 }],
    });
    leftovers.push(replayId);
    const replay = await eventually(async () => {
      const s = await h.client.workflow.getHandle(replayId).query(inboxStateQuery);
      return s.alreadyStarted.join === 1 && s.alreadyStarted.relationship === 1 ? s : undefined;
    });
    expect(replay.started).toEqual({ join: 0, relationship: 0 });
    expect((await h.client.workflow.getHandle(joinId).describe()).runId).toBe(childRun);

    // And the child it started is a working gate.
    await decide(joinId, { requestId, decider: 'owner', decision: 'approve' });
    expect((await joinResult(joinId)).status).toBe('approved');
    expect(await isMember(chatId, 'visitor')).toBe(true);
    expect(await h.control.journal({ platform: 'mycel', method: 'POST', route: APPROVE })).toHaveLength(1);
  }, 90_000);

  it('cancelling an inbox leaves the approvals it started open for the owners', async () => {
    const inboxId = await startOwnerInbox('cancelled');
    const chatId = await newGroup();
    const requestId = (await mycel('visitor').chats.requestJoin(chatId, 'still here?')).id;
    const joinId = `mycel-join-${chatId}-${requestId}`;
    leftovers.push(joinId);
    await openGate(joinId);
    await h.client.workflow.getHandle(inboxId).cancel();
    await h.client.workflow
      .getHandle(inboxId)
      .result()
      .catch(() => undefined);
    expect((await h.client.workflow.getHandle(inboxId).describe()).status.name).toBe('CANCELLED');
    expect((await h.client.workflow.getHandle(joinId).describe()).status.name).toBe('RUNNING');
    expect((await h.client.workflow.getHandle(joinId).query(gateQuery)).open).toBe(true);
    const events = (await h.client.workflow.getHandle(joinId).fetchHistory()).events ?? [];
    expect(events.filter((e) => e.workflowExecutionCancelRequestedEventAttributes)).toHaveLength(0);
  });

  it('a notification stream cut mid-read resumes from the heartbeat: each request still gets exactly one child', async () => {
    const chatId = await newGroup();
    const requestId = (await mycel('visitor').chats.requestJoin(chatId, 'cut me')).id;
    const relationshipId = (await mycel('agent-b').relationships.request('owner')).id;
    await h.control.fault({ platform: 'mycel', method: 'GET', route: STREAM, cutStreamAfterMs: 150, times: 2 });
    const inboxId = `mycel-inbox-cut-${randomUUID()}`;
    await h.client.workflow.start('mycelInbox', {
      workflowId: inboxId,
      taskQueue: h.taskQueue,
      args: [{ alias: 'owner', approvers: ['owner'], pollMaxMs: 2_000 }],
    });
    leftovers.push(inboxId, `mycel-join-${chatId}-${requestId}`, `mycel-rel-${relationshipId}`);
    const st = await eventually(async () => {
      const s = await h.client.workflow.getHandle(inboxId).query(inboxStateQuery);
      return s.started.join + s.started.relationship === 2 && s.sinceSeq >= 2 ? s : undefined;
    });
    expect(st.started).toEqual({ join: 1, relationship: 1 });
    expect(st.alreadyStarted).toEqual({ join: 0, relationship: 0 });
    expect((await h.control.journal({ platform: 'mycel', route: STREAM })).length).toBeGreaterThanOrEqual(2);
    // The cut failed a read, and its retry (resuming from the heartbeat) is what delivered.
    const history = await h.client.workflow.getHandle(inboxId).fetchHistory();
    const attempts = (history.events ?? []).map((e) => e.activityTaskStartedEventAttributes?.attempt ?? 0);
    expect(Math.max(...attempts)).toBeGreaterThanOrEqual(2);
    expect((await openGate(`mycel-join-${chatId}-${requestId}`)).requestId).toBe(requestId);
  });

  it('without the notification WebSocket (handshake refused) the inbox follows the wait long poll: every request once, across a lost wait answer and a lost drain answer', async () => {
    // This inbox reads an identity no other test's reader touches: the visitor, owning a group
    // that agent-b asks to join (and asking the visitor for a relationship).
    await h.control.fault({ platform: 'mycel', method: 'GET', route: STREAM, status: 404 });
    // The first wait is answered and its answer lost; so is the first drain (the acknowledgement).
    await h.control.fault({ platform: 'mycel', method: 'POST', route: WAIT, phase: 'after', status: 502, times: 1 });
    await h.control.fault({ platform: 'mycel', method: 'POST', route: DRAIN, phase: 'after', status: 502, times: 1 });
    const chatId = (await mycel('visitor').chats.create([MYCEL_DEMO_AGENT], 'Visitor lounge')).id;
    const early = (await mycel('agent-b').chats.requestJoin(chatId, 'early')).id;
    const relationshipId = (await mycel('agent-b').relationships.request('visitor')).id;
    const inboxId = `mycel-inbox-wait-${randomUUID()}`;
    await h.client.workflow.start('mycelInbox', {
      workflowId: inboxId,
      taskQueue: h.taskQueue,
      args: [{ alias: 'visitor', pollMaxMs: 2_000 }],
    });
    leftovers.push(inboxId, `mycel-join-${chatId}-${early}`, `mycel-rel-${relationshipId}`);
    const inbox = h.client.workflow.getHandle(inboxId);
    await eventually(async () => ((await inbox.query(inboxStateQuery)).started.join === 1 ? true : undefined), {
      timeoutMs: 30_000,
    });
    // Acknowledged (the lost drain answer, then a retry that drained nothing new), the reader holds
    // a wait open; a request made now ends it early.
    await eventually(async () => (await h.control.journal({ platform: 'mycel', route: DRAIN })).length >= 1);
    const late = (await mycel('visitor').chats.create([MYCEL_DEMO_AGENT], 'Second lounge')).id;
    const lateRequest = (await mycel('agent-b').chats.requestJoin(late, 'late')).id;
    leftovers.push(`mycel-join-${late}-${lateRequest}`);

    const st = await eventually(
      async () => {
        const s = await inbox.query(inboxStateQuery);
        return s.started.join === 2 && s.started.relationship === 1 ? s : undefined;
      },
      { timeoutMs: 30_000 },
    );
    for (const [c, r, m] of [
      [chatId, early, 'early'],
      [late, lateRequest, 'late'],
    ] as const) {
      const gate = await openGate(`mycel-join-${c}-${r}`);
      expect(gate).toMatchObject({ approvers: ['visitor'] }); // defaults to the inbox's own alias
      expect(gate.shown).toEqual({ chatId: c, requestId: r, requester: 'agent-b', message: m });
    }
    expect((await openGate(`mycel-rel-${relationshipId}`)).shown).toEqual({
      relationshipId,
      requester: 'agent-b',
      target: 'visitor',
    });
    // Nothing repeated: no request's child was started a second time.
    await new Promise((r) => setTimeout(r, 1_500));
    const later = await inbox.query(inboxStateQuery);
    expect(later.started).toEqual({ join: 2, relationship: 1 });
    expect(later.alreadyStarted).toEqual({ join: 0, relationship: 0 });
    expect(st.sinceSeq).toBeGreaterThanOrEqual(3);
    expect((await h.control.journal({ platform: 'mycel', route: STREAM })).every((r) => r.status === 404)).toBe(true);
    expect((await h.control.journal({ platform: 'mycel', route: WAIT })).length).toBeGreaterThanOrEqual(3);
    // The lost answers failed reads, and their retries (resuming from the heartbeat) carried on.
    const history = await inbox.fetchHistory();
    const attempts = (history.events ?? []).map((e) => e.activityTaskStartedEventAttributes?.attempt ?? 0);
    expect(Math.max(...attempts)).toBeGreaterThanOrEqual(2);
  }, 90_000);
});
