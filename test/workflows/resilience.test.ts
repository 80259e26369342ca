/**
 * Crashes and platform faults: a worker SIGKILLed right after the create call reached the
 * platform leaves exactly one platform session (and one Track monitor for a trackMonitor), and
 * right after a steering message reached Mix or ArchAstro exactly one copy of it (while a
 * deliberate repeat on Mix is sent twice); 30% 503s with Retry-After plus 5% connection
 * resets on every route still let every session complete; a bad credential fails at once.
 */
import type { ChildProcess } from 'node:child_process';
import { type Connection, WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { SwitchboardClient } from '../../src/client/index.js';
import { MIX_SEND_SKEW_MS } from '../../src/activities/sessions/mix.js';
import type { AgentSessionInputRaw } from '../../src/contracts/sessions.js';
import { createHarness, eventually, type Harness } from '../support/harness.js';
import { exited, holdAnswerOnce, spawnWorker } from '../support/workers.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ name: 'resilience' });
});
afterAll(async () => h?.close());
beforeEach(async () => h.control.reset());

it('SIGKILL right after the create call reached the platform (Idempotency-Key ignored) → exactly one platform session, found by its metadata tag, and the workflow completes', async () => {
  const taskQueue = `crash-${Date.now()}`;
  const sb = new SwitchboardClient({ connection: h.client.connection as Connection, taskQueue });
  const createRoute = '/v1/projects/{project_id}/sessions';
  // The platform creates the session, then its answer is held back long enough for us to kill the worker.
  await holdAnswerOnce(h.control, 'webagent', createRoute);
  const first = spawnWorker(taskQueue);
  let second: ChildProcess | undefined;
  try {
    const { workflowId } = await sb.startSession({ platform: 'webagent', task: 'Survive a crash script:default' });
    await eventually(
      async () => (await h.control.journal({ platform: 'webagent', method: 'POST', route: createRoute })).length > 0,
      { timeoutMs: 30_000 },
    );
    first.kill('SIGKILL');
    await exited(first);
    second = spawnWorker(taskQueue);
    const result = await sb.result(workflowId);
    expect(result.status).toBe('completed');
    const creates = await h.control.journal({ platform: 'webagent', method: 'POST', route: createRoute });
    // One create ran (its answer lost with the worker); the retry found its session by the tag.
    expect(creates.filter((r) => r.status < 300)).toHaveLength(1);
    expect(creates.some((r) => r.replayed)).toBe(false);
    const lookups = await h.control.journal({ platform: 'webagent', method: 'GET', route: createRoute });
    expect(lookups.length).toBeGreaterThan(0);
    const sessions = await h.providers.client('webagent', 'default').sessions.listAll();
    expect(
      sessions.filter(
        (x) =>
          x.metadata?.switchboard_key !== undefined && x.tasks[0]?.instructions === 'Survive a crash script:default',
      ),
    ).toHaveLength(1);
  } finally {
    first.kill('SIGKILL');
    second?.kill('SIGTERM');
    if (second) await exited(second);
  }
}, 90_000);

it('Mix, which ignores Idempotency-Key: SIGKILL after the create reached it → one session, one task message (found by its title marker)', async () => {
  const taskQueue = `crash-mix-${Date.now()}`;
  const sb = new SwitchboardClient({ connection: h.client.connection as Connection, taskQueue });
  await holdAnswerOnce(h.control, 'mix', '/api/sessions');
  const first = spawnWorker(taskQueue);
  let second: ChildProcess | undefined;
  try {
    const { workflowId } = await sb.startSession({ platform: 'mix', task: 'Survive a crash on Mix script:default' });
    await eventually(
      async () => (await h.control.journal({ platform: 'mix', method: 'POST', route: '/api/sessions' })).length > 0,
      { timeoutMs: 30_000 },
    );
    first.kill('SIGKILL');
    await exited(first);
    second = spawnWorker(taskQueue);
    const result = await sb.result(workflowId);
    expect(result.status).toBe('completed');
    const journal = await h.control.journal({ platform: 'mix', method: 'POST' });
    expect(journal.some((r) => r.replayed)).toBe(false); // the sandbox replayed nothing: Mix does not
    expect(journal.filter((r) => r.route === '/api/sessions' && r.status < 300)).toHaveLength(1);
    expect(journal.filter((r) => r.route === '/api/sessions/{id}/messages' && r.status < 300)).toHaveLength(1);
  } finally {
    first.kill('SIGKILL');
    second?.kill('SIGTERM');
    if (second) await exited(second);
  }
}, 90_000);

it('SIGKILL while a trackMonitor create waits for its answer → exactly one platform monitor, and the workflow goes on with it', async () => {
  const taskQueue = `crash-mon-${Date.now()}`;
  const sb = new SwitchboardClient({ connection: h.client.connection as Connection, taskQueue });
  const createRoute = '/v1/projects/{project_id}/track/monitors';
  // The platform makes the monitor; its answer is held back until the worker is dead.
  await holdAnswerOnce(h.control, 'webagent', createRoute);
  const first = spawnWorker(taskQueue);
  let second: ChildProcess | undefined;
  const key = `crash-mon-${process.pid}-${Date.now()}`;
  try {
    await sb.monitors.create(key, {
      intent: 'Survive a crash while watching the price',
      schedule: { kind: 'interval', every_seconds: 3600 },
      notifyChannel: { kind: 'callback_url', url: 'https://hooks.example.com/track' },
      approvers: ['alice'],
      pollSeconds: 1,
    });
    await eventually(
      async () => (await h.control.journal({ platform: 'webagent', method: 'POST', route: createRoute })).length > 0,
      { timeoutMs: 30_000 },
    );
    first.kill('SIGKILL');
    await exited(first);
    second = spawnWorker(taskQueue);
    // The activity's retry (after its start-to-close timeout) finds the monitor by its create marker.
    const st = await eventually(
      async () => {
        const s = await sb.monitors.show(key);
        return s.status === 'active' && s.monitorId && s.polls > 0 ? s : undefined;
      },
      { timeoutMs: 70_000, intervalMs: 500 },
    );
    const all = await h.providers.client('webagent', 'default').track.listAll();
    expect(all.filter((m) => m.intent === 'Survive a crash while watching the price').map((m) => m.id)).toEqual([
      st.monitorId,
    ]);
    const creates = await h.control.journal({ platform: 'webagent', method: 'POST', route: createRoute });
    expect(creates.filter((r) => r.status < 300)).toHaveLength(1);
    expect(creates.some((r) => r.replayed)).toBe(false); // Track ignores Idempotency-Key: the marker did it
    await sb.monitors.cancel(key);
  } finally {
    first.kill('SIGKILL');
    second?.kill('SIGTERM');
    if (second) await exited(second);
  }
}, 120_000);

it('30% 503 with Retry-After and 5% connection resets on every route → every session still completes', async () => {
  // Wyse Mate's session create has no tag or lookup (README, "Exactly once without
  // Idempotency-Key": a residual risk): a create slower than the client's timeout on a loaded
  // machine is retried and makes a second session. This test is about faults, so Wyse Mate keeps
  // the header's replay here; the other three must hold without it.
  await h.control.replayIdempotency(['wysemate']);
  await h.control.fault({ status: 503, retryAfter: '1', rate: 0.3 });
  // 5% of all calls: the rule sees the 70% the first let through
  await h.control.fault({ reset: true, rate: 0.05 / 0.7 });
  const inputs: AgentSessionInputRaw[] = [
    { platform: 'webagent', task: 'faulty script:default' },
    { platform: 'archastro', task: 'faulty script:default', archastro: { agentId: 'agi_faults' } },
    { platform: 'wysemate', task: 'faulty script:default', wysemate: { teamId: 'team_01' } },
    { platform: 'mix', task: 'faulty script:default' },
  ];
  const started = await Promise.all(inputs.map((i) => h.sb.startSession(i)));
  const results = await Promise.all(started.map((s) => h.sb.result(s.workflowId)));
  expect(results.map((r) => r.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
  const journal = await h.control.journal();
  const faulted = journal.filter((r) => r.fault);
  expect(faulted.some((r) => r.fault === 'status 503')).toBe(true);
  // Exactly one session per platform despite retried creates.
  for (const [platform, route] of [
    ['webagent', '/v1/projects/{project_id}/sessions'],
    ['archastro', '/api/v1/agent_sessions'],
    ['wysemate', '/session/create'],
    ['mix', '/api/sessions'],
  ] as const) {
    const ok = journal.filter(
      (r) =>
        r.platform === platform &&
        r.method === 'POST' &&
        r.route === route &&
        r.status < 300 &&
        !r.fault &&
        !r.replayed,
    );
    expect(ok, platform).toHaveLength(1);
  }
}, 120_000);

it('a 401 fails the workflow at once, non-retryable, naming the platform and the alias', async () => {
  const { workflowId } = await h.sb.startSession({
    platform: 'archastro',
    task: 'no key',
    credentialAlias: 'nokey',
    archastro: { agentId: 'agi_x' },
  });
  const err = await h.sb.result(workflowId).catch((e: unknown) => e);
  expect((err as Error).message).toBeTruthy();
  const failure: unknown = await h.client.workflow
    .getHandle(workflowId)
    .result()
    .catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  const cause = (failure as WorkflowFailedError).cause as ApplicationFailure;
  expect(cause.type).toBe('UnauthorizedError');
  expect(cause.nonRetryable).toBe(true);
  expect(cause.message).toMatch(/ArchAstro .* 401 .*credential alias "nokey"/);
  const calls = await h.control.journal({ platform: 'archastro' });
  expect(calls.filter((r) => r.status === 401)).toHaveLength(calls.length);
  expect(calls.length).toBeLessThanOrEqual(2); // one look-up (and no retries)
});

/**
 * A worker killed after the platform received a steering message but before the send completed:
 * the send runs again on the new worker (as a retried activity since the `send-message-requested-at`
 * patch; before it, as a local activity re-run from attempt 1, which left two copies on Mix and
 * ArchAstro). The platform (like the sandbox) ignores Idempotency-Key, so only the adapter's own
 * look-up stops a second copy.
 */
async function crashDuringSend(opts: {
  platform: 'mix' | 'archastro';
  input: AgentSessionInputRaw;
  route: string;
  text: string;
}): Promise<{ sends: number; workflowId: string; sb: SwitchboardClient; stop: () => Promise<void> }> {
  const taskQueue = `crash-send-${opts.platform}-${Date.now()}`;
  const sb = new SwitchboardClient({ connection: h.client.connection as Connection, taskQueue });
  const first = spawnWorker(taskQueue);
  let second: ChildProcess | undefined;
  const stop = async () => {
    first.kill('SIGKILL');
    second?.kill('SIGTERM');
    if (second) await exited(second);
  };
  try {
    const { workflowId } = await sb.startSession(opts.input);
    await eventually(async () => (await sb.state(workflowId)).status === 'running', { timeoutMs: 30_000 });
    const sent = async () =>
      (await h.control.journal({ platform: opts.platform, method: 'POST', route: opts.route })).filter(
        (r) => r.status < 300 && JSON.stringify(r.body).includes(opts.text),
      );
    // The platform takes the message, then its answer is held back long enough to kill the worker.
    await holdAnswerOnce(h.control, opts.platform, opts.route);
    const update = sb.sendMessage(workflowId, opts.text).catch((err: unknown) => err);
    await eventually(async () => (await sent()).length > 0, { timeoutMs: 30_000 });
    first.kill('SIGKILL');
    await exited(first);
    second = spawnWorker(taskQueue);
    // The new worker runs the send again; the update completes then.
    const outcome = await update;
    expect(outcome).toMatchObject({ accepted: true });
    await eventually(async () => (await sb.state(workflowId)).counts.messagesSent === 1, { timeoutMs: 30_000 });
    return { sends: (await sent()).length, workflowId, sb, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

it('Mix: SIGKILL after a steering message reached the platform → exactly one copy after the crash re-run (found by text and time)', async () => {
  const text = `Focus on the summary ${Date.now()}`;
  const run = await crashDuringSend({
    platform: 'mix',
    input: { platform: 'mix', task: 'Keep going script:long' },
    route: '/api/sessions/{id}/messages',
    text,
  });
  try {
    expect(run.sends).toBe(1);
    const ref = (await run.sb.state(run.workflowId)).ref!;
    const exported = await h.providers.client('mix', 'default').exportSession(ref.sessionId);
    expect(exported.messages.filter((m) => m.role === 'user' && m.content === text)).toHaveLength(1);
    await run.sb.cancel(run.workflowId);
  } finally {
    await run.stop();
  }
}, 120_000);

it('ArchAstro: SIGKILL after a steering message reached the platform → exactly one copy after the crash re-run (found by its metadata tag)', async () => {
  const text = `Also count comments ${Date.now()}`;
  const run = await crashDuringSend({
    platform: 'archastro',
    input: { platform: 'archastro', task: 'Work until told script:long', archastro: { agentId: 'agi_test' } },
    route: '/api/v1/agent_sessions/{session}/message',
    text,
  });
  try {
    expect(run.sends).toBe(1);
    const ref = (await run.sb.state(run.workflowId)).ref!;
    const s = await h.providers.client('archastro', 'default').getSession(ref.sessionId);
    expect((s.inbox ?? []).filter((m) => m.content === text)).toHaveLength(1);
    await run.sb.cancel(run.workflowId);
  } finally {
    await run.stop();
  }
}, 120_000);

it('Mix: the same text sent on purpose twice (two sendMessage calls) reaches the platform twice', async () => {
  const { workflowId } = await h.sb.startSession({ platform: 'mix', task: 'Keep going script:long' });
  await eventually(async () => (await h.sb.state(workflowId)).status === 'running');
  const text = `Again, please ${Date.now()}`;
  expect(await h.sb.sendMessage(workflowId, text)).toMatchObject({ accepted: true });
  // A person's second press, past the clock-skew allowance (MIX_SEND_SKEW_MS) of the duplicate check.
  await new Promise((r) => setTimeout(r, MIX_SEND_SKEW_MS + 200));
  expect(await h.sb.sendMessage(workflowId, text)).toMatchObject({ accepted: true });
  const sends = (
    await h.control.journal({ platform: 'mix', method: 'POST', route: '/api/sessions/{id}/messages' })
  ).filter((r) => r.status < 300 && (r.body as { text?: string }).text === text);
  expect(sends).toHaveLength(2);
  const ref = (await h.sb.state(workflowId)).ref!;
  const exported = await h.providers.client('mix', 'default').exportSession(ref.sessionId);
  expect(exported.messages.filter((m) => m.role === 'user' && m.content === text)).toHaveLength(2);
  await h.sb.cancel(workflowId);
});

it('Web Agent: the same text sent on purpose twice (two sendMessage calls) reaches the platform twice', async () => {
  const { workflowId } = await h.sb.startSession({ platform: 'webagent', task: 'Keep going script:long' });
  await eventually(async () => (await h.sb.state(workflowId)).status === 'running');
  const route = '/v1/projects/{project_id}/sessions/{session_id}/tasks/{task_id}/messages';
  const text = `Keep going, please ${Date.now()}`;
  const delivered = async () =>
    (await h.control.journal({ platform: 'webagent', method: 'POST', route })).filter(
      (r) => r.status < 300 && (r.body as { content?: string }).content === text,
    );
  expect(await h.sb.sendMessage(workflowId, text)).toMatchObject({ accepted: true });
  expect(await delivered()).toHaveLength(1);
  // A person's second press, later: the task's newest user message already is this text, yet it is
  // a new message, not a re-run of the first send.
  await new Promise((r) => setTimeout(r, 1_500));
  expect(await h.sb.sendMessage(workflowId, text)).toMatchObject({ accepted: true });
  expect(await delivered()).toHaveLength(2);
  await h.sb.cancel(workflowId);
});
