/**
 * Records workflow histories as replay fixtures (test/fixtures/histories). Run after changing a
 * workflow on purpose, commit the new files beside the old ones: old histories must keep
 * replaying (that is what `patched()` is for).
 */
import { writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { SandboxControl } from '../../src/sandbox/control.js';
import type { ScriptStep } from '../../src/sandbox/agent.js';
import { createHarness, eventually, type Harness } from '../support/harness.js';

const fixtureSandbox = new SandboxControl(inject('sandboxOrigin'));
const FIXTURE_WEBHOOK_SECRET = 'whsec_' + Buffer.from('switchboard-fixture-secret-0123456789').toString('base64');

let h: Harness;
beforeAll(async () => {
  h = await createHarness({
    name: 'record',
    extraEnv: {
      MYCEL_TOKEN_OWNER: 'sb_mycel_owner',
      MYCEL_TOKEN_VISITOR: 'sb_mycel_visitor',
      MYCEL_TOKEN_AGENT_B: 'sb_mycel_agent-b',
      // Webhook outbox endpoints on the sandbox's receiver (see test/workflows/outbox.test.ts).
      SWITCHBOARD_NOTIFY_WEBHOOK: fixtureSandbox.webhookUrl('fixture-default'),
      SWITCHBOARD_NOTIFY_SECRET: FIXTURE_WEBHOOK_SECRET,
      SWITCHBOARD_WEBHOOK_FIXTURE_FLAKY_URL: fixtureSandbox.webhookUrl('fixture-flaky', {
        status: 503,
        retryAfter: 1,
        failFirst: 2,
      }),
      SWITCHBOARD_WEBHOOK_FIXTURE_FLAKY_SECRET: FIXTURE_WEBHOOK_SECRET,
      SWITCHBOARD_WEBHOOK_FIXTURE_GONE_URL: fixtureSandbox.webhookUrl('fixture-gone', { status: 410 }),
      SWITCHBOARD_WEBHOOK_FIXTURE_GONE_SECRET: FIXTURE_WEBHOOK_SECRET,
    },
  });
});
afterAll(async () => h?.close());

async function save(name: string, workflowId: string): Promise<void> {
  // The CLI's JSON is the standard history format (what the Web UI downloads, what replay reads).
  const json = execFileSync(inject('temporalCliPath'), [
    'workflow',
    'show',
    '--address',
    inject('temporalAddress'),
    '--workflow-id',
    workflowId,
    '--output',
    'json',
  ]);
  writeFileSync(`test/fixtures/histories/${name}.json`, json);
}

it('records agentSession histories for every platform', async () => {
  const cases = {
    'agentSession-webagent-completed': { platform: 'webagent', task: 'fixture script:default' },
    'agentSession-archastro-completed': {
      platform: 'archastro',
      task: 'fixture script:default',
      archastro: { agentId: 'agi_fixture' },
    },
    'agentSession-wysemate-completed': {
      platform: 'wysemate',
      task: 'fixture script:default',
      wysemate: { teamId: 'team_01' },
    },
    'agentSession-mix-completed': { platform: 'mix', task: 'fixture script:default' },
  } as const;
  for (const [name, input] of Object.entries(cases)) {
    const { workflowId } = await h.sb.startSession(input);
    expect((await h.sb.result(workflowId)).status).toBe('completed');
    await save(name, workflowId);
  }
});

it('records steered sessions: input answered, message, cancel, follow-up', async () => {
  const ask = await h.sb.startSession({ platform: 'webagent', task: 'fixture script:ask' });
  const st = await eventually(async () => {
    const s = await h.sb.state(ask.workflowId);
    return s.pendingInput ? s : undefined;
  });
  await h.sb.answerInput(ask.workflowId, st.pendingInput!.requestId, 'B');
  await h.sb.result(ask.workflowId);
  await save('agentSession-webagent-answered', ask.workflowId);

  const msg = await h.sb.startSession({
    platform: 'archastro',
    task: 'fixture script:wait-message',
    archastro: { agentId: 'agi_fixture' },
  });
  await eventually(async () => (await h.sb.state(msg.workflowId)).status === 'running');
  await h.sb.sendMessage(msg.workflowId, 'go on');
  await h.sb.result(msg.workflowId);
  await save('agentSession-archastro-message', msg.workflowId);

  const cancel = await h.sb.startSession({
    platform: 'wysemate',
    task: 'fixture script:long',
    wysemate: { teamId: 'team_01' },
  });
  await eventually(async () => (await h.sb.state(cancel.workflowId)).status === 'running');
  await h.sb.rename(cancel.workflowId, 'renamed');
  await h.sb.cancel(cancel.workflowId);
  await save('agentSession-wysemate-cancelled', cancel.workflowId);

  const mix = await h.sb.startSession({ platform: 'mix', task: 'fixture script:long' });
  await eventually(async () => (await h.sb.state(mix.workflowId)).status === 'running');
  await h.sb.setCallbacks(mix.workflowId, []);
  await h.client.workflow.getHandle(mix.workflowId).cancel();
  await h.client.workflow
    .getHandle(mix.workflowId)
    .result()
    .catch(() => undefined);
  await save('agentSession-mix-workflow-cancelled', mix.workflowId);

  const fu = await h.sb.startSession({
    platform: 'webagent',
    task: 'fixture script:default',
    followUpWindowSeconds: 60,
  });
  await eventually(async () => (await h.sb.state(fu.workflowId)).status === 'completed');
  const out = await h.sb.followUp(fu.workflowId, 'second script:default');
  await eventually(async () => {
    const s = await h.sb.state(fu.workflowId);
    return s.status === 'completed' && s.ref?.taskId === out.taskId;
  });
  await h.sb.cancel(fu.workflowId);
  await save('agentSession-webagent-followup', fu.workflowId);
});

it('records steering messages with their requestedAt (a regular activity, patch send-message-requested-at): Mix, the same text twice', async () => {
  const mix = await h.sb.startSession({ platform: 'mix', task: 'fixture script:long' });
  await eventually(async () => (await h.sb.state(mix.workflowId)).status === 'running');
  await h.sb.sendMessage(mix.workflowId, 'go on');
  // Past the duplicate check's clock-skew allowance: a deliberate repeat, sent again.
  await new Promise((r) => setTimeout(r, 1_500));
  await h.sb.sendMessage(mix.workflowId, 'go on');
  expect((await h.sb.state(mix.workflowId)).counts.messagesSent).toBe(2);
  await h.sb.cancel(mix.workflowId);
  await save('agentSession-mix-message-requested-at', mix.workflowId);
});

/** A Mix session that asks a permission, then a choice: both platform-gate recordings run it. */
const MIX_PERMISSION_THEN_CHOICE: ScriptStep[] = [
  { type: 'emit', count: 1 },
  {
    type: 'ask',
    prompt: 'Clean the build directory',
    meta: { mix: 'permission', toolName: 'Bash', action: 'rm -rf build/' },
  },
  { type: 'ask', prompt: 'Which region?', meta: { responseType: 'choice', choices: ['eu', 'us'] } },
  { type: 'finish', result: 'done' },
];

it('records Mix platform gates: a permission granted and a choice answered at the gate; a plain question answered in its own terms', async () => {
  await fixtureSandbox.script('fixture-mix-gates', MIX_PERMISSION_THEN_CHOICE);
  const gated = await h.sb.startSession({
    platform: 'mix',
    task: 'fixture script:fixture-mix-gates',
    platformGates: { approvers: ['alice'] },
  });
  const openRequest = async (after?: string) =>
    eventually(async () => {
      const g = await h.sb.gates.show(gated.workflowId).catch(() => undefined);
      return g?.open && g.requestId !== after ? g : undefined;
    });
  const perm = await openRequest();
  await h.sb.gates.decide(gated.workflowId, { requestId: perm.requestId, decider: 'alice', decision: 'approve' });
  const question = await openRequest(perm.requestId);
  await h.sb.gates.decide(gated.workflowId, {
    requestId: question.requestId,
    decider: 'alice',
    decision: 'approve_with_edits',
    edits: ['eu'],
  });
  expect((await h.sb.result(gated.workflowId)).status).toBe('completed');
  await save('agentSession-mix-platform-gates', gated.workflowId);

  const plain = await h.sb.startSession({ platform: 'mix', task: 'fixture script:fixture-mix-gates' });
  for (const answer of ['grant', 'us']) {
    const st = await eventually(async () => {
      const s = await h.sb.state(plain.workflowId);
      return s.status === 'awaiting_input' && s.pendingInput ? s : undefined;
    });
    await h.sb.answerInput(plain.workflowId, st.pendingInput!.requestId, answer);
  }
  expect((await h.sb.result(plain.workflowId)).status).toBe('completed');
  await save('agentSession-mix-platform-answered', plain.workflowId);
});

it('records Mix platform requests answered with answerInput through a regular activity (patch answer-platform-request-activity)', async () => {
  await fixtureSandbox.script('fixture-mix-answered-activity', MIX_PERMISSION_THEN_CHOICE);
  const plain = await h.sb.startSession({ platform: 'mix', task: 'fixture script:fixture-mix-answered-activity' });
  for (const answer of ['deny', 'eu']) {
    const st = await eventually(async () => {
      const s = await h.sb.state(plain.workflowId);
      return s.status === 'awaiting_input' && s.pendingInput ? s : undefined;
    });
    await h.sb.answerInput(plain.workflowId, st.pendingInput!.requestId, answer);
  }
  expect((await h.sb.result(plain.workflowId)).status).toBe('completed');
  await save('agentSession-mix-platform-answered-activity', plain.workflowId);
});

it('records sessions whose retried create found them already ended (followed from the start)', async () => {
  const cases = [
    [
      'archastro',
      { platform: 'archastro', task: 'fixture script:default', archastro: { agentId: 'agi_fixture' } },
      '/api/v1/agent_sessions',
    ],
    [
      'wysemate',
      { platform: 'wysemate', task: 'fixture script:default', wysemate: { teamId: 'team_01' } },
      '/session/create',
    ],
  ] as const;
  for (const [platform, input, route] of cases) {
    await h.control.reset();
    // Created, then the answer is lost; the retry finds the session already completed.
    await h.control.fault({ platform, method: 'POST', route, phase: 'after', status: 503, latencyMs: 300, times: 1 });
    const { workflowId } = await h.sb.startSession(input);
    expect((await h.sb.result(workflowId)).result).toBeTruthy();
    await save(`agentSession-${platform}-ended-at-create`, workflowId);
  }
});

it('records platformProbe', async () => {
  await h.control.fault({
    platform: 'mix',
    route: '/api/sessions',
    method: 'GET',
    status: 503,
    retryAfter: '1',
    times: 1,
  });
  const id = `probe-fixture-${Date.now()}`;
  await h.client.workflow.execute('platformProbe', {
    taskQueue: h.taskQueue,
    workflowId: id,
    args: [{ platform: 'mix' }],
  });
  await save('platformProbe-retried', id);
});

it('records deepResearch: two rounds with edits, a rejection, an escalation', async () => {
  const waitGate = async (id: string, not?: string) =>
    eventually(async () => {
      const g = await h.sb.gate(id);
      return g.open && g.requestId !== not ? g : undefined;
    });
  const a = await h.sb.startResearch({ topic: 'fixture rounds:2', approvers: ['alice'] });
  const g1 = await waitGate(a.workflowId);
  await h.sb.decide(a.workflowId, { decider: 'alice', decision: 'approve_with_edits', edits: ['More on costs'] });
  await waitGate(a.workflowId, g1.requestId);
  await h.sb.decide(a.workflowId, { decider: 'alice', decision: 'approve' });
  await h.client.workflow.getHandle(a.workflowId).result();
  await save('deepResearch-two-rounds', a.workflowId);

  const r = await h.sb.startResearch({ topic: 'fixture reject', approvers: ['alice'] });
  await waitGate(r.workflowId);
  await h.sb.decide(r.workflowId, { decider: 'alice', decision: 'reject', reason: 'no' });
  await h.client.workflow.getHandle(r.workflowId).result();
  await save('deepResearch-rejected', r.workflowId);

  const e = await h.sb.startResearch({
    topic: 'fixture escalate',
    approvers: ['alice'],
    deadlineSeconds: 1,
    onExpiry: { policy: 'escalate', to: ['bob'] },
  });
  await eventually(async () => (await h.sb.gate(e.workflowId)).escalated);
  await h.sb.decide(e.workflowId, { decider: 'bob', decision: 'approve' });
  await h.client.workflow.getHandle(e.workflowId).result();
  await save('deepResearch-escalated', e.workflowId);
});

it('records Mycel: a join approved with a post, a relationship approved, an inbox that started a join', async () => {
  const waitGate = async (id: string) =>
    eventually(async () => {
      const g = await h.sb.gate(id);
      return g.open ? g : undefined;
    });
  const owner = h.providers.client('mycel', 'owner');
  const chat = (await owner.chats.create(['m_demo_agent'], 'Fixture lobby')).id;
  // The requester sides hand their request to one approval workflow (mycel-join-…, mycel-rel-…).
  // joinRequest-approved-posted.json and relationshipRequest-approved.json are the histories of
  // the requester-side runs from before that hand-off (they held the gate themselves): kept, so
  // runs started before it keep replaying.
  const approvalOf = async (id: string, query: 'mycelJoinState' | 'mycelRelationshipState') =>
    eventually(
      async () => (await h.client.workflow.getHandle(id).query<{ gateWorkflowId?: string }>(query)).gateWorkflowId,
    );
  const join = 'fixture-join-visitor';
  await h.client.workflow.start('joinRequest', {
    workflowId: join,
    taskQueue: h.taskQueue,
    args: [
      {
        chatId: chat,
        visitorAlias: 'visitor',
        message: 'let me in',
        approvers: ['owner'],
        postMessage: { alias: 'owner', text: 'welcome' },
      },
    ],
  });
  const joinApproval = await approvalOf(join, 'mycelJoinState');
  await waitGate(joinApproval);
  await h.sb.decide(joinApproval, { decider: 'owner', decision: 'approve' });
  await h.client.workflow.getHandle(join).result();
  await save('joinRequest-visitor-handed-off', join);
  await save('joinRequest-owner-approved-posted', joinApproval);

  const rel = 'fixture-relationship-requester';
  await h.client.workflow.start('relationshipRequest', {
    workflowId: rel,
    taskQueue: h.taskQueue,
    args: [{ requesterAlias: 'agent-b', targetUserId: 'owner', approvers: ['owner'] }],
  });
  const relApproval = await approvalOf(rel, 'mycelRelationshipState');
  await waitGate(relApproval);
  await h.sb.decide(relApproval, { decider: 'owner', decision: 'approve' });
  await h.client.workflow.getHandle(rel).result();
  await save('relationshipRequest-requester-handed-off', rel);
  await save('relationshipRequest-target-approved', relApproval);

  // The owner's inbox starts the approval first; the visitor side asks it for the outcome.
  const chat3 = (await owner.chats.create(['m_demo_agent'], 'Fixture lobby 3')).id;
  const watchInbox = 'fixture-inbox-first';
  await h.client.workflow.start('mycelInbox', {
    workflowId: watchInbox,
    taskQueue: h.taskQueue,
    args: [{ alias: 'owner', approvers: ['owner'], pollMaxMs: 500 }],
  });
  await eventually(async () =>
    (await h.client.workflow.getHandle(watchInbox).query<{ me?: string }>('mycelInboxState')).me ? true : undefined,
  );
  await h.control.fault({
    platform: 'mycel',
    method: 'POST',
    route: '/api/chats/{chat_id}/join-requests',
    phase: 'after',
    latencyMs: 2_000,
    times: 1,
  });
  const watcher = 'fixture-join-visitor-watching';
  await h.client.workflow.start('joinRequest', {
    workflowId: watcher,
    taskQueue: h.taskQueue,
    args: [{ chatId: chat3, visitorAlias: 'visitor', approvers: ['owner'] }],
  });
  const watched = await approvalOf(watcher, 'mycelJoinState');
  await waitGate(watched);
  await h.sb.decide(watched, { decider: 'owner', decision: 'reject', reason: 'not today' });
  await h.client.workflow.getHandle(watcher).result();
  await h.client.workflow.getHandle(watchInbox).terminate('fixture recorded');
  await save('joinRequest-visitor-watched-rejected', watcher);
  await save('joinRequest-owner-told-watcher', watched);

  const chat2 = (await owner.chats.create(['m_demo_agent'], 'Fixture lobby 2')).id;
  const request = await h.providers.client('mycel', 'visitor').chats.requestJoin(chat2, 'hello');
  const inbox = 'fixture-inbox';
  await h.client.workflow.start('mycelInbox', {
    workflowId: inbox,
    taskQueue: h.taskQueue,
    args: [{ alias: 'owner', approvers: ['owner'], maxLoops: 2, pollMaxMs: 500 }],
  });
  await eventually(
    async () =>
      (await h.client.workflow
        .getHandle(`mycel-join-${chat2}-${request.id}`)
        .describe()
        .catch(() => undefined)) !== undefined,
  );
  await new Promise((r) => setTimeout(r, 1_500));
  await h.client.workflow.getHandle(inbox).terminate('fixture recorded');
  await save('mycelInbox-started-join', inbox);
  await h.client.workflow.getHandle(`mycel-join-${chat2}-${request.id}`).terminate('fixture recorded');
});

it('records Mycel: a join (its answer lost once) and a relationship rejected at the gate and on the platform', async () => {
  const owner = h.providers.client('mycel', 'owner');
  const chat = (await owner.chats.create(['m_demo_agent'], 'Fixture reject lobby')).id;
  const request = await h.providers.client('mycel', 'visitor').chats.requestJoin(chat, 'may I?');
  const workflowId = 'fixture-join-owner-rejected';
  await h.client.workflow.start('joinRequest', {
    workflowId,
    taskQueue: h.taskQueue,
    args: [{ chatId: chat, requestId: request.id, approvers: ['owner'] }],
  });
  await eventually(async () => ((await h.sb.gate(workflowId)).open ? true : undefined));
  // reject_join runs, then its answer is lost: the retry reads the request's state instead.
  await h.control.fault({
    platform: 'mycel',
    method: 'POST',
    route: '/api/chats/{chat_id}/join-requests/{request_id}/reject',
    phase: 'after',
    status: 502,
    times: 1,
  });
  await h.sb.decide(workflowId, { decider: 'owner', decision: 'reject', reason: 'full' });
  expect(await h.client.workflow.getHandle(workflowId).result()).toMatchObject({
    status: 'rejected',
    actingAlias: 'owner',
  });
  await save('joinRequest-owner-rejected-on-platform', workflowId);

  const rel = await h.providers.client('mycel', 'agent-b').relationships.request('owner');
  const relId = `fixture-rel-target-rejected`;
  await h.client.workflow.start('relationshipRequest', {
    workflowId: relId,
    taskQueue: h.taskQueue,
    args: [{ relationshipId: rel.id, requester: 'agent-b', targetUserId: 'owner', approvers: ['owner'] }],
  });
  await eventually(async () => ((await h.sb.gate(relId)).open ? true : undefined));
  await h.sb.decide(relId, { decider: 'owner', decision: 'reject', reason: 'no' });
  expect(await h.client.workflow.getHandle(relId).result()).toMatchObject({ status: 'rejected', actingAlias: 'owner' });
  await save('relationshipRequest-target-rejected-on-platform', relId);
});

it('records gates that check who decides: a 2-of-3 quorum with a refused and a valid decide signal; an owner-approved join (shared approval skeleton)', async () => {
  const waitGate = async (id: string) =>
    eventually(async () => {
      const g = await h.sb.gate(id);
      return g.open ? g : undefined;
    });
  const temporal = (...args: string[]) =>
    execFileSync(inject('temporalCliPath'), [
      ...args,
      '--address',
      inject('temporalAddress'),
      '--namespace',
      'default',
    ]);
  const q = await h.sb.startResearch({
    topic: 'fixture quorum',
    approvers: ['ann', 'ben', 'cat'],
    quorum: 2,
    separateDuties: true,
  });
  const g = await waitGate(q.workflowId);
  await h.sb.decide(q.workflowId, { decider: 'ann', decision: 'approve_with_edits', edits: ['Add a risks section'] });
  // Refused (ann proposed the edits) and audited; then ben approves by signal, cat by update.
  temporal(
    'workflow',
    'signal',
    '--workflow-id',
    q.workflowId,
    '--name',
    'decide',
    '--input',
    JSON.stringify({ requestId: g.requestId, decider: 'ann', decision: 'approve' }),
  );
  temporal(
    'workflow',
    'signal',
    '--workflow-id',
    q.workflowId,
    '--name',
    'decide',
    '--input',
    JSON.stringify({ requestId: g.requestId, decider: 'ben', decision: 'approve' }),
  );
  await eventually(async () => ((await h.sb.gate(q.workflowId)).quorum?.votes.length === 1 ? true : undefined));
  await h.sb.decide(q.workflowId, { decider: 'cat', decision: 'approve' });
  await h.client.workflow.getHandle(q.workflowId).result();
  await save('deepResearch-quorum-checked-signal', q.workflowId);

  const owner = h.providers.client('mycel', 'owner');
  const chat = (await owner.chats.create(['m_demo_agent'], 'Fixture checked lobby')).id;
  const jr = await h.providers.client('mycel', 'visitor').chats.requestJoin(chat, 'checked');
  const join = 'fixture-join-owner-checked';
  await h.client.workflow.start('joinRequest', {
    workflowId: join,
    taskQueue: h.taskQueue,
    args: [{ chatId: chat, requestId: jr.id, approvers: ['owner'] }],
  });
  await waitGate(join);
  await h.sb.decide(join, { decider: 'owner', decision: 'approve' });
  await h.client.workflow.getHandle(join).result();
  await save('joinRequest-owner-approved-checked', join);
});

it('records webhookDelivery: retried with Retry-After, dead, replayed and delivered; 410 disabling the endpoint; a gate escalation through the outbox', async () => {
  const flaky = await h.sb.outbox.send({
    endpoint: 'fixture_flaky',
    messageId: 'fixture-flaky-1',
    eventType: 'fixture.event',
    payload: { n: 1 },
    retrySchedule: [0, 0.5],
  });
  await eventually(async () => (await h.sb.outbox.show(flaky.workflowId)).status === 'dead');
  const [replayed] = await h.sb.outbox.replay([flaky.workflowId], { by: 'fixture' });
  expect(replayed).toMatchObject({ ok: true, attempt: { outcome: 'delivered' } });
  expect(((await h.client.workflow.getHandle(flaky.workflowId).result()) as { status: string }).status).toBe(
    'delivered',
  );
  await save('webhookDelivery-replayed-delivered', flaky.workflowId);

  const gone = await h.sb.outbox.send({
    endpoint: 'fixture_gone',
    messageId: 'fixture-gone-1',
    eventType: 'fixture.event',
    payload: {},
    retentionSeconds: 3,
  });
  expect(((await h.client.workflow.getHandle(gone.workflowId).result()) as { status: string }).status).toBe('expired');
  await save('webhookDelivery-gone-expired', gone.workflowId);
  await h.sb.outbox.enable('fixture_gone', 'fixture');
  await h.client.workflow.getHandle('webhook-endpoint-fixture_gone').result();
  await save('webhookEndpoint-enabled', 'webhook-endpoint-fixture_gone');

  const e = await h.sb.startResearch({
    topic: 'fixture escalate',
    approvers: ['alice'],
    deadlineSeconds: 1,
    onExpiry: { policy: 'escalate', to: ['bob'] },
  });
  await eventually(async () => (await h.sb.gate(e.workflowId)).escalated);
  await h.sb.decide(e.workflowId, { decider: 'bob', decision: 'approve' });
  await h.client.workflow.getHandle(e.workflowId).result();
  await save('deepResearch-escalated-via-outbox', e.workflowId);
});

it('records a gate that announces itself: gate.opened through the outbox, then approved', async () => {
  const r = await h.sb.startResearch({ topic: 'fixture opened notification', approvers: ['alice'] });
  await eventually(async () => (await h.sb.gate(r.workflowId)).open);
  await eventually(async () =>
    (await fixtureSandbox.webhooks('fixture-default')).some(
      (d) => d.headers['webhook-id']?.startsWith('gate.opened.') && d.raw.includes(r.workflowId),
    ),
  );
  await h.sb.decide(r.workflowId, { decider: 'alice', decision: 'approve' });
  await h.client.workflow.getHandle(r.workflowId).result();
  await save('deepResearch-opened-notified', r.workflowId);
});

it('records trackMonitor: a clarification answered at the gate, pause, resume, refine, run-now, message, polls, cancel', async () => {
  const key = `fixture-${Date.now()}`;
  const { workflowId } = await h.sb.monitors.create(key, {
    intent: 'fixture: watch the ambiguous phone listing price',
    schedule: { kind: 'interval', every_seconds: 3600 },
    notifyChannel: { kind: 'callback_url', url: 'https://hooks.example.com/track' },
    approvers: ['alice'],
    pollSeconds: 1,
  });
  const g = await eventually(async () => {
    const gate = await h.sb.gate(workflowId);
    return gate.open ? gate : undefined;
  });
  await h.sb.decide(workflowId, {
    decider: 'alice',
    decision: 'approve_with_edits',
    edits: ['SKU A'],
    digest: g.digest,
  });
  await eventually(async () => (await h.sb.monitors.show(key)).status === 'active');
  await h.sb.monitors.pause(key, { reason: 'fixture' });
  await h.sb.monitors.resume(key);
  await h.sb.monitors.refine(key, { triggerDsl: { op: 'lt', field: 'price', value: 999 } });
  await h.sb.monitors.runNow(key);
  await h.sb.monitors.message(key, 'prefer the 256 GB model');
  const polls = (await h.sb.monitors.show(key)).polls;
  await eventually(async () => (await h.sb.monitors.show(key)).polls >= polls + 2);
  await h.sb.monitors.cancel(key);
  expect(((await h.client.workflow.getHandle(workflowId).result()) as { status: string }).status).toBe('cancelled');
  await save('trackMonitor-clarified-steered-cancelled', workflowId);
});

it('records trackMonitor: syncs into the artifact store, a dead delivery retried by policy and by a person, a clarification asked mid-life with run-now skipped', async () => {
  const key = `fixture-sync-${Date.now()}`;
  await h.control.mapHost('hooks.example.com');
  const { workflowId } = await h.sb.monitors.create(key, {
    intent: 'fixture: watch the phone listing price clarify:3',
    schedule: { kind: 'event' },
    notifyChannel: { kind: 'callback_url', url: `https://hooks.example.com/_control/webhooks?inbox=${key}&status=500` },
    triggerDsl: { op: 'lt', field: 'price', value: 1000 },
    retryDeadDeliveries: 1,
    approvers: ['alice'],
    pollSeconds: 1,
  });
  await eventually(async () => (await h.sb.monitors.show(key)).status === 'active');
  for (let i = 0; i < 3; i++) await h.sb.monitors.runNow(key);
  const dead = await eventually(async () =>
    (await h.sb.monitors.show(key)).retries?.find((r) => r.by === 'switchboard:policy'),
  );
  await h.sb.monitors.deliveries(key, { status: 'dead' });
  await h.sb.monitors.retryDelivery(key, dead.deliveryId);
  // The fourth tick makes the platform ask; run-now meanwhile is skipped.
  await h.sb.monitors.runNow(key);
  const g = await eventually(async () => {
    const gate = await h.sb.gate(workflowId);
    return gate.open ? gate : undefined;
  });
  await h.sb.monitors.runNow(key).catch(() => undefined);
  await h.sb.decide(workflowId, {
    decider: 'alice',
    decision: 'approve_with_edits',
    edits: ['SKU A'],
    digest: g.digest,
  });
  await eventually(async () => (await h.sb.monitors.show(key)).status === 'active');
  await h.sb.monitors.runNow(key);
  await h.sb.monitors.cancel(key);
  expect(((await h.client.workflow.getHandle(workflowId).result()) as { status: string }).status).toBe('cancelled');
  await save('trackMonitor-synced-retried-clarified', workflowId);
});

it('records scheduledMonitor and its tick: a clarification answered at the gate, ticks with hits through the outbox, snooze, pause, resume, a forged wake, cancel', async () => {
  const track = h.providers.client('webagent', 'default').track;
  const m = await track.create({
    intent: 'fixture: watch the ambiguous phone listing price',
    schedule: { kind: 'interval', every_seconds: 3600 },
    notifyChannel: { kind: 'callback_url', url: 'https://hooks.example.com/track' },
  });
  const key = `fixture-smon-${Date.now()}`;
  const { workflowId } = await h.sb.scheduledMonitors.create({
    key,
    check: { kind: 'track_run_now', monitorId: m.id },
    schedule: { everySeconds: [1] },
    condition: { op: 'lt', field: 'price', value: 5000 },
    alerts: { silenceSeconds: 3600, afterFailures: 3, dedupeSeconds: 60 },
    approvers: ['alice'],
  });
  const g = await eventually(async () => {
    const gate = await h.sb.gate(workflowId);
    return gate.open ? gate : undefined;
  });
  await eventually(async () => (await h.sb.scheduledMonitors.show(key)).counts.skippedWhileWaiting >= 1);
  await h.sb.decide(workflowId, {
    decider: 'alice',
    decision: 'approve_with_edits',
    edits: ['SKU A'],
    digest: g.digest,
  });
  await eventually(async () => (await h.sb.scheduledMonitors.show(key)).counts.alertsSent >= 2);
  await h.sb.scheduledMonitors.snooze(key, { until: new Date(Date.now() + 3_600_000).toISOString() });
  await eventually(async () => (await h.sb.scheduledMonitors.show(key)).counts.alertsDropped >= 1);
  await h.client.workflow
    .getHandle(workflowId)
    .signal('wake', { tickWorkflowId: `monitor-${key}.tick-2026-01-01T00:00:00Z`, tickRunId: 'forged' });
  await eventually(async () => (await h.sb.scheduledMonitors.show(key)).counts.wakesRefused >= 1);
  await h.sb.scheduledMonitors.pause(key, { note: 'fixture' });
  await h.sb.scheduledMonitors.resume(key);
  const ticks = (await h.sb.scheduledMonitors.show(key)).counts.ticks;
  await eventually(async () => (await h.sb.scheduledMonitors.show(key)).counts.ticks >= ticks + 1);
  await h.sb.scheduledMonitors.cancel(key);
  expect(((await h.client.workflow.getHandle(workflowId).result()) as { status: string }).status).toBe('cancelled');
  await save('scheduledMonitor-clarified-alerted-snoozed-cancelled', workflowId);
  for await (const wf of h.client.workflow.list({
    query: `WorkflowType = 'scheduledMonitorTick' AND WorkflowId STARTS_WITH 'monitor-${key}.tick' AND ExecutionStatus = 'Completed'`,
  })) {
    await save('scheduledMonitorTick-woke', wf.workflowId);
    break;
  }
});
