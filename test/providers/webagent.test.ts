/**
 * Web Agent provider client, simulator and session adapter, against the in-process sandbox over
 * real HTTP.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createWebAgentAdapter } from '../../src/activities/sessions/webagent.js';
import type { FollowBudget, FollowResult, SessionAdapter } from '../../src/activities/sessions/contract.js';
import { Credentials, parseEnv } from '../../src/config.js';
import {
  BudgetExceededError,
  ConflictError,
  InsufficientCreditsError,
  NotFoundError,
  RateLimitedError,
  SafetyBoundaryViolatedError,
  UnauthorizedError,
  UnprocessableError,
} from '../../src/providers/errors.js';
import { ProviderRegistry } from '../../src/providers/registry.js';
import { type WebAgentClient, type WebAgentEvent } from '../../src/providers/webagent/client.js';
import { SandboxControl } from '../../src/sandbox/control.js';
import { KeyRing, type RunningSandbox, startSandbox } from '../../src/sandbox/server.js';
import { agentSessionInput, type SessionRef, type TranscriptEntry } from '../../src/contracts/sessions.js';

const PROJECT = 'proj_test_0001';

let sb: RunningSandbox;
let ctl: SandboxControl;
let providers: ProviderRegistry;
let wa: WebAgentClient;
let adapter: SessionAdapter;

function registry(opts: { key?: string; projectId?: string } = {}): ProviderRegistry {
  const env = parseEnv({ WEBAGENT_BASE_URL: sb.baseUrl('webagent'), WEBAGENT_PROJECT_ID: opts.projectId ?? PROJECT });
  return new ProviderRegistry(new Credentials(env, { WEBAGENT_API_KEY: opts.key ?? KeyRing.defaultKey('webagent') }));
}

beforeAll(async () => {
  sb = await startSandbox({ tickMs: 5 });
  ctl = new SandboxControl(sb.origin);
  providers = registry();
  wa = providers.client('webagent');
  adapter = createWebAgentAdapter(providers);
});

afterAll(async () => {
  await sb?.close();
});

beforeEach(async () => {
  await ctl.reset();
});

/** Reads a whole stream (it ends after the terminal event). */
async function drain(
  it: AsyncIterable<WebAgentEvent>,
  stopAt?: (e: WebAgentEvent) => boolean,
): Promise<WebAgentEvent[]> {
  const out: WebAgentEvent[] = [];
  for await (const e of it) {
    out.push(e);
    if (stopAt?.(e)) break;
  }
  return out;
}

const BUDGET: FollowBudget = { maxEvents: 1000, maxMs: 2_000, pollMs: 10 };

/** Follows until a boundary (awaiting input or terminal), the way the workflow loops. */
async function followToBoundary(ref: SessionRef, cursor?: string, budget: FollowBudget = BUDGET) {
  const entries: TranscriptEntry[] = [];
  const cursors: (string | undefined)[] = [];
  let res: FollowResult;
  let rounds = 0;
  const deadline = Date.now() + 5_000;
  do {
    if (Date.now() > deadline) throw new Error(`no boundary within 5 s (read ${entries.map((e) => e.kind).join(',')})`);
    res = await adapter.follow(ref, cursor, budget, { progress: (c) => cursors.push(c) });
    entries.push(...res.entries);
    cursor = res.cursor;
    rounds += 1;
  } while (res.status === 'running' || res.status === 'starting');
  return { res, entries, cursor, cursors, rounds };
}

/** Polls the task until `ok` holds (at most 5 s). */
async function eventuallyTask(
  ref: SessionRef,
  ok: (t: Awaited<ReturnType<WebAgentClient['sessions']['getTask']>>) => boolean,
) {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const t = await wa.sessions.getTask(ref.sessionId, ref.taskId!);
    if (ok(t)) return t;
    if (Date.now() > deadline)
      throw new Error(`task ${ref.taskId} never reached the state (${t.status}, ${t.last_event_id})`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function input(task: string) {
  return agentSessionInput().parse({ platform: 'webagent', task });
}

describe('WebAgentClient: sessions, tasks, messages', () => {
  it('creates a session with its first task queued, reads it back, and walks the task lifecycle', async () => {
    // wait-message parks the task until a message arrives, so "still running" is not a race.
    const s = await wa.sessions.create({
      instructions: 'Top 5 HN stories script:wait-message',
      metadata: { team: 'ops' },
    });
    expect(s.id).toMatch(/^sess_/);
    expect(s.project_id).toBe(PROJECT);
    expect(s.tasks[0].status).toBe('queued');
    expect(s.metadata).toEqual({ team: 'ops' });

    const got = await wa.sessions.get(s.id);
    expect(got.tasks.map((t) => t.id)).toEqual([s.tasks[0].id]);

    // A follow-up needs the previous task terminal.
    await expect(wa.sessions.createTask(s.id, { instructions: 'next' })).rejects.toBeInstanceOf(ConflictError);

    await wa.messages.send(s.id, s.tasks[0].id, { content: 'carry on' });
    const events = await drain(wa.events.stream(s.id, s.tasks[0].id));
    expect(events.map((e) => e.type)).toEqual([
      'task.started',
      'task.progress',
      'task.message',
      'task.progress',
      'task.completed',
    ]);
    const done = await wa.sessions.getTask(s.id, s.tasks[0].id);
    expect(done.status).toBe('completed');
    expect(done.result).toMatch(/^finished after/);
    expect((await wa.sessions.get(s.id)).status).toBe('idle');

    const t2 = await wa.sessions.createTask(s.id, { instructions: 'second script:long' });
    expect(t2.status).toBe('queued');
    expect((await wa.sessions.get(s.id)).status).toBe('running');
    const cancelled = await wa.sessions.cancelTask(s.id, t2.id, { reason: 'user_cancelled' });
    expect(cancelled.status).toBe('cancelled');
    await expect(wa.sessions.cancelTask(s.id, t2.id)).rejects.toBeInstanceOf(ConflictError);

    const stopped = await wa.sessions.stop(s.id, { force: false });
    expect(stopped.status).toBe('stopped');
    await expect(wa.sessions.stop(s.id)).rejects.toBeInstanceOf(ConflictError);
    await expect(wa.sessions.createTask(s.id, { instructions: 'after stop' })).rejects.toBeInstanceOf(ConflictError);
  });

  it('soft stop waits for the running task; force stop cancels it', async () => {
    const soft = await wa.sessions.create({ instructions: 'script:wait-message' });
    expect((await wa.sessions.stop(soft.id, { force: false })).status).toBe('stopping');
    await wa.messages.send(soft.id, soft.tasks[0].id, { content: 'go on' });
    await drain(wa.events.stream(soft.id, soft.tasks[0].id));
    expect((await wa.sessions.get(soft.id)).status).toBe('stopped');

    const hard = await wa.sessions.create({ instructions: 'script:long' });
    const s = await wa.sessions.stop(hard.id, { force: true });
    expect(s.status).toBe('stopped');
    expect(s.tasks[0]!.status).toBe('cancelled');
  });

  it('delivers in-flight messages to the running task and refuses them on a finished one', async () => {
    const s = await wa.sessions.create({ instructions: 'script:wait-message' });
    const t = s.tasks[0];
    const msg = await wa.messages.send(s.id, t.id, { content: 'Also include the comment count.' });
    expect(msg.id).toMatch(/^msg_/);
    const events = await drain(wa.events.stream(s.id, t.id));
    expect(events.find((e) => e.type === 'task.message')?.data).toMatchObject({
      role: 'user',
      content: 'Also include the comment count.',
    });
    expect(events.at(-1)?.type).toBe('task.completed');
    await expect(wa.messages.send(s.id, t.id, { content: 'late' })).rejects.toBeInstanceOf(ConflictError);
  });

  it('answers input requests by id: unknown → 404 input_request_not_found, stale → 409 conflict', async () => {
    const s = await wa.sessions.create({ instructions: 'script:ask' });
    const t = s.tasks[0];
    const first = await drain(wa.events.stream(s.id, t.id), (e) => e.type === 'task.input_request');
    const req = first.at(-1)!;
    expect(req.type).toBe('task.input_request');
    expect(req.data.prompt).toBe('Which option?');
    const requestId = String(req.data.input_request_id);
    expect(req.data.request_id).toBe(requestId);
    expect((await wa.sessions.getTask(s.id, t.id)).pending_input_request?.id).toBe(requestId);

    const unknown = await wa.messages
      .intervene(s.id, t.id, { inputRequestId: 'ir_nope', response: 'x' })
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(NotFoundError);
    expect((unknown as NotFoundError).code).toBe('input_request_not_found');

    const ok = await wa.messages.intervene(s.id, t.id, { inputRequestId: requestId, response: { solved: true } });
    expect(ok.accepted).toBe(true);
    await expect(
      wa.messages.intervene(s.id, t.id, { inputRequestId: requestId, response: 'again' }),
    ).rejects.toBeInstanceOf(ConflictError);

    const rest = await drain(wa.events.stream(s.id, t.id, { lastEventId: req.id }));
    expect(rest[0]).toMatchObject({
      type: 'task.input_answered',
      data: { request_id: requestId, response: { solved: true } },
    });
    expect(rest.at(-1)?.type).toBe('task.completed');
  });

  it('ignores Idempotency-Key like the real service (the seed documents none); the replay switch turns it on for tests that want it', async () => {
    const a = await wa.sessions.create({ instructions: 'hello' }, { idempotencyKey: 'wf-1/create' });
    const b = await wa.sessions.create({ instructions: 'hello' }, { idempotencyKey: 'wf-1/create' });
    expect(b.id).not.toBe(a.id);
    expect((await wa.sessions.list()).items).toHaveLength(2);

    expect(await ctl.replayIdempotency(['webagent'])).toEqual({ replay: ['webagent'] });
    const c = await wa.sessions.create({ instructions: 'hello' }, { idempotencyKey: 'wf-2/create' });
    const d = await wa.sessions.create({ instructions: 'hello' }, { idempotencyKey: 'wf-2/create' });
    expect(d.id).toBe(c.id);
    expect((await wa.sessions.list()).items).toHaveLength(3);
    const rows = await ctl.journal({ platform: 'webagent', method: 'POST' });
    expect(rows.map((r) => r.replayed ?? false)).toEqual([false, false, false, true]);

    // A reset puts the sandbox back to ignoring the header.
    await ctl.reset();
    const e = await wa.sessions.create({ instructions: 'hello' }, { idempotencyKey: 'wf-3/create' });
    expect((await wa.sessions.create({ instructions: 'hello' }, { idempotencyKey: 'wf-3/create' })).id).not.toBe(e.id);
  });
});

describe('WebAgentClient: errors through the one factory', () => {
  it('maps each status/code to its class with code, detail and extra', async () => {
    await ctl.fault({ platform: 'webagent', status: 402, code: 'budget_exceeded', times: 1 });
    const budget = await wa.sessions.create({ instructions: 'x' }).catch((e: unknown) => e);
    expect(budget).toBeInstanceOf(BudgetExceededError);
    expect((budget as BudgetExceededError).extra).toMatchObject({ budget_credits: 100 });
    expect((budget as BudgetExceededError).requestId).toMatch(/^req_/);

    await ctl.fault({ platform: 'webagent', status: 402, code: 'insufficient_credits', times: 1 });
    const credits = await wa.sessions.create({ instructions: 'x' }).catch((e: unknown) => e);
    expect(credits).toBeInstanceOf(InsufficientCreditsError);
    expect((credits as InsufficientCreditsError).extra).toMatchObject({ balance_credits: 0 });

    await ctl.fault({ platform: 'webagent', status: 429, code: 'rate_limit_exceeded', retryAfter: '7', times: 1 });
    const limited = await wa.sessions.list().catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect((limited as RateLimitedError).retryable).toBe(true);
    expect((limited as RateLimitedError).retryAfterSeconds).toBe(7);

    const safety = await wa.sessions.create({ instructions: 'do it safety:block' }).catch((e: unknown) => e);
    expect(safety).toBeInstanceOf(SafetyBoundaryViolatedError);
    expect((safety as SafetyBoundaryViolatedError).status).toBe(403);

    const invalid = await wa.sessions.create({ instructions: '' }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(UnprocessableError);
    expect((invalid as UnprocessableError).code).toBe('validation_error');

    const missing = await wa.sessions.get('sess_missing').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect((missing as NotFoundError).code).toBe('session_not_found');
  });

  it('answers 401 for a wrong key, and scopes sessions to their project', async () => {
    const bad = registry({ key: 'wa_wrong' }).client('webagent');
    const err = await bad.sessions.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect((err as UnauthorizedError).code).toBe('unauthorized');
    expect((err as UnauthorizedError).message).not.toContain('wa_wrong');

    const s = await wa.sessions.create({ instructions: 'mine' });
    const other = registry({ projectId: 'proj_other' }).client('webagent');
    await expect(other.sessions.get(s.id)).rejects.toBeInstanceOf(NotFoundError);
    expect((await other.sessions.list()).items).toHaveLength(0);
  });
});

describe('WebAgentClient: list pagination', () => {
  it('walks every page with limit + cursor, in creation order, with a status filter', async () => {
    const created: string[] = [];
    for (let i = 0; i < 7; i++) created.push((await wa.sessions.create({ instructions: `s${i} script:long` })).id);
    await wa.sessions.stop(created[0]!, { force: true });

    const first = await wa.sessions.list({ limit: 3 });
    expect(first.items).toHaveLength(3);
    expect(first.has_more).toBe(true);

    await ctl.clearJournal();
    const all = await wa.sessions.listAll({ limit: 3 });
    expect(all.map((s) => s.id)).toEqual(created);
    const gets = await ctl.journal({ platform: 'webagent', method: 'GET' });
    expect(gets).toHaveLength(3);
    expect(gets.map((g) => g.status)).toEqual([200, 200, 200]);

    const running = await wa.sessions.listAll({ status: 'running', limit: 2 });
    expect(running.map((s) => s.id)).toEqual(created.slice(1));
    await expect(wa.sessions.list({ cursor: 'sess_unknown' })).rejects.toBeInstanceOf(UnprocessableError);
  });
});

describe('WebAgentClient: SSE events', () => {
  it('resumes after a cut with Last-Event-ID: every event exactly once, in order', async () => {
    await ctl.script('twenty', [
      { type: 'emit', count: 20 },
      { type: 'finish', result: 'twenty done' },
    ]);
    const s = await wa.sessions.create({ instructions: 'script:twenty' });
    const t = s.tasks[0];

    // Cut 1: the consumer breaks out after 4 events.
    const a: WebAgentEvent[] = [];
    for await (const e of wa.events.stream(s.id, t.id)) {
      a.push(e);
      if (a.length === 4) break;
    }
    // Cut 2: the connection is aborted mid-stream.
    const ac = new AbortController();
    const b: WebAgentEvent[] = [];
    const aborted = await (async () => {
      for await (const e of wa.events.stream(s.id, t.id, { lastEventId: a.at(-1)!.id, signal: ac.signal })) {
        b.push(e);
        if (b.length === 5) ac.abort(new Error('cut'));
      }
    })().catch((e: unknown) => e);
    expect((aborted as Error).message).toBe('cut');
    const c = await drain(wa.events.stream(s.id, t.id, { lastEventId: b.at(-1)!.id }));

    const all = [...a, ...b, ...c];
    expect(all.map((e) => Number(e.id))).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
    expect(all[0]!.type).toBe('task.started');
    expect(all.at(-1)).toMatchObject({ type: 'task.completed', data: { result: 'twenty done' } });
    // A full replay from scratch is the same sequence.
    const replay = await drain(wa.events.stream(s.id, t.id));
    expect(replay.map((e) => `${e.id}:${e.type}`)).toEqual(all.map((e) => `${e.id}:${e.type}`));
    // Opening after the terminal event ends at once.
    expect(await drain(wa.events.stream(s.id, t.id, { lastEventId: '22' }))).toEqual([]);
  });

  it('drops heartbeats unless includeHeartbeats; heartbeats carry no id', async () => {
    const s = await wa.sessions.create({ instructions: 'script:long' });
    const t = s.tasks[0];
    const read = async (includeHeartbeats: boolean) => {
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(new Error('enough')), 450);
      const out: WebAgentEvent[] = [];
      await (async () => {
        for await (const e of wa.events.stream(s.id, t.id, { includeHeartbeats, signal: ac.signal })) out.push(e);
      })().catch(() => undefined);
      clearTimeout(timer);
      return out;
    };
    const plain = await read(false);
    expect(plain.map((e) => e.type)).toEqual(['task.started', 'task.progress']);
    const withHb = await read(true);
    const hbs = withHb.filter((e) => e.type === 'heartbeat');
    expect(hbs.length).toBeGreaterThanOrEqual(2);
    expect(hbs.every((e) => e.id === undefined)).toBe(true);
    expect(withHb.filter((e) => e.type !== 'heartbeat').map((e) => e.id)).toEqual(['1', '2']);
  });

  it('rejects a malformed Last-Event-ID and an unknown task', async () => {
    const s = await wa.sessions.create({ instructions: 'x' });
    await expect(drain(wa.events.stream(s.id, s.tasks[0].id, { lastEventId: 'abc' }))).rejects.toBeInstanceOf(
      UnprocessableError,
    );
    const nf = await drain(wa.events.stream(s.id, 'task_missing')).catch((e: unknown) => e);
    expect(nf).toBeInstanceOf(NotFoundError);
    expect((nf as NotFoundError).code).toBe('task_not_found');
  });
});

describe('Web Agent session adapter', () => {
  it('creates once per idempotency key (a retry finds the tagged session) and follows to completion with a transcript', async () => {
    const created = await adapter.create(input('Find the top 5 stories'), { idempotencyKey: 'wf-a/create' });
    const again = await adapter.create(input('Find the top 5 stories'), { idempotencyKey: 'wf-a/create', attempt: 2 });
    expect(again.ref).toEqual(created.ref);
    expect((await wa.sessions.get(created.ref.sessionId)).metadata).toMatchObject({ switchboard_key: 'wf-a/create' });
    expect(created.ref).toMatchObject({ platform: 'webagent', alias: 'default' });
    expect(created.ref.taskId).toMatch(/^task_/);
    expect(created.status).toBe('starting');

    const { res, entries, cursors } = await followToBoundary(created.ref, undefined, {
      maxEvents: 2,
      maxMs: 5_000,
      pollMs: 10,
    });
    expect(res.status).toBe('completed');
    expect(res.result).toBe('done');
    expect(entries.map((e) => e.kind)).toEqual(['started', 'progress', 'progress', 'progress', 'result']);
    expect(new Set(entries.map((e) => e.id)).size).toBe(5);
    expect(cursors).toEqual(['1', '2', '3', '4', '5']);
    expect(res.cursor).toBe('5');

    // A retry that resumes after the terminal event (heartbeated, result lost) still learns the outcome.
    const after = await adapter.follow(created.ref, '5', BUDGET, { progress: () => undefined });
    expect(after).toMatchObject({ status: 'completed', result: 'done', entries: [], platformEvents: 0 });
  });

  it('returns after maxEvents without a boundary, status running, and resumes from the cursor', async () => {
    await ctl.script('twelve', [{ type: 'emit', count: 12 }, { type: 'finish' }]);
    const { ref } = await adapter.create(input('script:twelve'), {});
    await new Promise((r) => setTimeout(r, 150)); // let events accumulate
    const first = await adapter.follow(
      ref,
      undefined,
      { maxEvents: 5, maxMs: 5_000, pollMs: 10 },
      { progress: () => undefined },
    );
    expect(first).toMatchObject({ status: 'running', cursor: '5', platformEvents: 5 });
    const rest = await followToBoundary(ref, first.cursor);
    expect(rest.res.status).toBe('completed');
    expect([...first.entries, ...rest.entries].map((e) => e.id)).toEqual(
      Array.from({ length: 14 }, (_, i) => `${ref.taskId}:${i + 1}`),
    );
  });

  it('stops at an input request, takes the answer, and rejects a stale request id', async () => {
    const { ref } = await adapter.create(input('script:ask'), {});
    const r1 = await followToBoundary(ref);
    expect(r1.res.status).toBe('awaiting_input');
    expect(r1.res.pendingInput?.prompt).toBe('Which option?');
    const requestId = r1.res.pendingInput!.requestId;

    // Following again before answering reads nothing new but still reports the open question.
    const idle = await adapter.follow(
      ref,
      r1.cursor,
      { maxEvents: 10, maxMs: 150, pollMs: 10 },
      { progress: () => undefined },
    );
    expect(idle).toMatchObject({ status: 'awaiting_input', entries: [], pendingInput: { requestId } });

    await expect(adapter.answerInput!(ref, 'ir_bogus', 'A', {})).rejects.toBeInstanceOf(NotFoundError);
    await adapter.answerInput!(ref, requestId, 'option A', {});
    await expect(adapter.answerInput!(ref, requestId, 'option B', {})).rejects.toBeInstanceOf(ConflictError);

    const r2 = await followToBoundary(ref, r1.cursor);
    expect(r2.res.status).toBe('completed');
    expect(r2.entries[0]).toMatchObject({ role: 'user', kind: 'input_answer', text: 'option A' });
  });

  it('sends in-flight messages and starts follow-up tasks in the same session', async () => {
    const { ref } = await adapter.create(input('script:wait-message'), {});
    await adapter.sendMessage!(ref, 'also count comments', {});
    const r1 = await followToBoundary(ref);
    expect(r1.res.status).toBe('completed');
    expect(r1.entries.find((e) => e.kind === 'message')).toMatchObject({ role: 'user', text: 'also count comments' });

    const next = await adapter.followUp!(ref, 'summarise the first post script:fail', {});
    expect(next.sessionId).toBe(ref.sessionId);
    expect(next.taskId).not.toBe(ref.taskId);
    const r2 = await followToBoundary(next);
    expect(r2.res).toMatchObject({ status: 'failed', error: 'agent crashed' });
    expect(r2.entries[0]!.id).toBe(`${next.taskId}:1`);

    const running = await adapter.followUp!(next, 'script:long', {});
    await expect(adapter.followUp!(running, 'too early', {})).rejects.toBeInstanceOf(ConflictError);
  });

  // Steering runs as a local activity, which a new worker re-runs from attempt 1 after a crash: the
  // second call below carries no `attempt`, as such a re-run would not.
  describe('exactly once with Idempotency-Key ignored (the answer of the first attempt lost after the platform acted)', () => {
    const SESSIONS = '/v1/projects/{project_id}/sessions';
    const TASK = `${SESSIONS}/{session_id}/tasks/{task_id}`;
    /** Fails the next matching call after the platform ran it, as a crash before the answer would. */
    const loseAnswer = (method: string, route: string) =>
      ctl.fault({ platform: 'webagent', method, route, phase: 'after', status: 503, times: 1 });
    // Rows the platform ran: a lost answer's row keeps the handler's status (its fault is `after`).
    const ok = async (route: string) =>
      (await ctl.journal({ platform: 'webagent', method: 'POST', route })).filter((r) => r.status < 300);

    it('create: the retry takes the session tagged with its key; the project has one session', async () => {
      await ctl.script('ask-long', [{ type: 'ask', prompt: 'Which?' }, { type: 'finish' }]);
      await loseAnswer('POST', SESSIONS);
      await expect(
        adapter.create(input('script:ask-long lost create'), { idempotencyKey: 'wf-lost/create' }),
      ).rejects.toMatchObject({ status: 503 });
      const retried = await adapter.create(input('script:ask-long lost create'), {
        idempotencyKey: 'wf-lost/create',
        attempt: 2,
      });
      expect(await wa.sessions.listAll()).toHaveLength(1);
      expect((await wa.sessions.listAll())[0]!.id).toBe(retried.ref.sessionId);
      expect(await ok(SESSIONS)).toHaveLength(1);
      expect(
        (await ctl.journal({ platform: 'webagent', method: 'POST', route: SESSIONS })).some((r) => r.replayed),
      ).toBe(false);
    });

    it('follow-up task: the retry finds the task after the current one; one task is started', async () => {
      const { ref } = await adapter.create(input('script:default'), { idempotencyKey: 'wf-fu/create' });
      await followToBoundary(ref);
      await loseAnswer('POST', `${SESSIONS}/{session_id}/tasks`);
      await expect(
        adapter.followUp!(ref, 'next step script:default', { idempotencyKey: 'wf-fu/1' }),
      ).rejects.toMatchObject({ status: 503 });
      // Let the lost task finish, so a second create would be accepted by the platform.
      const s = await wa.sessions.get(ref.sessionId);
      await followToBoundary({ ...ref, taskId: s.tasks[1]!.id });
      const next = await adapter.followUp!(ref, 'next step script:default', { idempotencyKey: 'wf-fu/1' });
      expect(next.taskId).toBe(s.tasks[1]!.id);
      expect((await wa.sessions.get(ref.sessionId)).tasks).toHaveLength(2);
    });

    it('in-flight message: the retry sees the message in the task events and does not push it again', async () => {
      await ctl.script('wait-two', [
        { type: 'emit', count: 1 },
        { type: 'await_message' },
        { type: 'emit', count: 1 },
        { type: 'await_message' },
        { type: 'finish' },
      ]);
      const { ref } = await adapter.create(input('script:wait-two'), { idempotencyKey: 'wf-msg/create' });
      await eventuallyTask(ref, (t) => t.status === 'running' && Number(t.last_event_id ?? 0) >= 2);
      await loseAnswer('POST', `${TASK}/messages`);
      await expect(adapter.sendMessage!(ref, 'first note', { idempotencyKey: 'wf-msg/1' })).rejects.toMatchObject({
        status: 503,
      });
      await eventuallyTask(ref, (t) => Number(t.last_event_id ?? 0) >= 3);
      await adapter.sendMessage!(ref, 'first note', { idempotencyKey: 'wf-msg/1' });
      expect(await ok(`${TASK}/messages`)).toHaveLength(1);
      // A new message (not a retry) still goes through, once the agent waits again.
      await eventuallyTask(ref, (t) => Number(t.last_event_id ?? 0) >= 4);
      await adapter.sendMessage!(ref, 'second note', { idempotencyKey: 'wf-msg/2' });
      const r = await followToBoundary(ref);
      expect(r.res.status).toBe('completed');
      expect(r.entries.filter((e) => e.kind === 'message').map((e) => e.text)).toEqual(['first note', 'second note']);
    });

    it('in-flight message with requestedAt (a regular activity): the retry does not push it again; a deliberate repeat on attempt 1 is sent', async () => {
      await ctl.script('wait-two-at', [
        { type: 'emit', count: 1 },
        { type: 'await_message' },
        { type: 'emit', count: 1 },
        { type: 'await_message' },
        { type: 'finish' },
      ]);
      const { ref } = await adapter.create(input('script:wait-two-at'), { idempotencyKey: 'wf-msgat/create' });
      await eventuallyTask(ref, (t) => t.status === 'running' && Number(t.last_event_id ?? 0) >= 2);
      const requestedAt = Date.now();
      await loseAnswer('POST', `${TASK}/messages`);
      await expect(
        adapter.sendMessage!(ref, 'go on', { idempotencyKey: 'wf-msgat/op/1', attempt: 1 }, { requestedAt }),
      ).rejects.toMatchObject({ status: 503 });
      await eventuallyTask(ref, (t) => Number(t.last_event_id ?? 0) >= 3);
      await adapter.sendMessage!(ref, 'go on', { idempotencyKey: 'wf-msgat/op/1', attempt: 2 }, { requestedAt });
      expect(await ok(`${TASK}/messages`)).toHaveLength(1);
      // The person sends the same words again: a new operation, attempt 1, and the newest user message
      // already is this text. It is a new message and must reach the agent.
      await eventuallyTask(ref, (t) => Number(t.last_event_id ?? 0) >= 4);
      await adapter.sendMessage!(
        ref,
        'go on',
        { idempotencyKey: 'wf-msgat/op/2', attempt: 1 },
        { requestedAt: Date.now() },
      );
      expect(await ok(`${TASK}/messages`)).toHaveLength(2);
      const r = await followToBoundary(ref);
      expect(r.entries.filter((e) => e.kind === 'message').map((e) => e.text)).toEqual(['go on', 'go on']);
    });

    it('answer: the re-run meets 409 and finds its answer in the task log; another answer to the same request stays a conflict', async () => {
      const { ref } = await adapter.create(input('script:ask'), { idempotencyKey: 'wf-ans/create' });
      const r1 = await followToBoundary(ref);
      const requestId = r1.res.pendingInput!.requestId;
      await loseAnswer('POST', `${TASK}/intervene`);
      await expect(
        adapter.answerInput!(ref, requestId, 'option A', { idempotencyKey: 'wf-ans/1' }),
      ).rejects.toMatchObject({ status: 503 });
      await adapter.answerInput!(ref, requestId, 'option A', { idempotencyKey: 'wf-ans/1' });
      await expect(
        adapter.answerInput!(ref, requestId, 'option B', { idempotencyKey: 'wf-ans/2' }),
      ).rejects.toBeInstanceOf(ConflictError);
      expect(await ok(`${TASK}/intervene`)).toHaveLength(1);
      const r2 = await followToBoundary(ref, r1.cursor);
      expect(r2.entries.filter((e) => e.kind === 'input_answer').map((e) => e.text)).toEqual(['option A']);
    });
  });

  it('cancels (twice is fine) and cleans up (twice is fine)', async () => {
    const { ref } = await adapter.create(input('script:long'), {});
    await adapter.cancel(ref, { idempotencyKey: 'c1' });
    await adapter.cancel(ref, { idempotencyKey: 'c2' });
    const r = await followToBoundary(ref);
    expect(r.res).toMatchObject({ status: 'cancelled', platformStatus: 'cancelled' });
    expect(r.entries.at(-1)).toMatchObject({ kind: 'cancelled', text: 'user_cancelled' });

    expect(await adapter.cleanup(ref, { deleteOnPlatform: true }, {})).toEqual({});
    expect(await adapter.cleanup(ref, { deleteOnPlatform: true }, {})).toEqual({});
    expect((await wa.sessions.get(ref.sessionId)).status).toBe('stopped');
    const stops = await ctl.journal({
      platform: 'webagent',
      route: '/v1/projects/{project_id}/sessions/{session_id}/stop',
    });
    expect(stops.map((s) => s.status)).toEqual([200, 409]);
  });

  it('passes the caller signal through and propagates real failures', async () => {
    const { ref } = await adapter.create(input('script:long'), {});
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('activity cancelled')), 100);
    await expect(
      adapter.follow(ref, undefined, BUDGET, { progress: () => undefined, signal: ac.signal }),
    ).rejects.toThrow('activity cancelled');

    await ctl.fault({ platform: 'webagent', method: 'GET', status: 503, times: 1 });
    await expect(adapter.follow(ref, undefined, BUDGET, { progress: () => undefined })).rejects.toMatchObject({
      status: 503,
      retryable: true,
    });
  });
});

describe('DeepResearch', () => {
  async function untilInput(sessionId: string, taskId: string, after?: string) {
    const evs = await drain(
      wa.events.stream(sessionId, taskId, { lastEventId: after }),
      (e) => e.type === 'task.input_request',
    );
    return evs;
  }

  it('runs the outline gate round trip with edits and yields three artifacts', async () => {
    const task = await wa.deepResearch.run({ topic: 'Open-source vector DB landscape 2026', depth: 'deep' });
    expect(task).toMatchObject({ status: 'queued', depth: 'deep' });
    expect(await wa.deepResearch.listArtifacts(task.task_id)).toEqual([]);

    const evs = await untilInput(task.session_id, task.task_id);
    const gate = evs.at(-1)!;
    expect(gate.type).toBe('task.input_request');
    expect(gate.data).toMatchObject({ kind: 'outline', outline: { title: 'Open-source vector DB landscape 2026' } });
    expect((gate.data.outline as { sections: string[] }).sections).toContain('Methodology');

    await expect(
      wa.deepResearch.intervene(task.task_id, {
        requestId: String(gate.data.request_id),
        response: { action: 'bogus' } as never,
      }),
    ).rejects.toBeInstanceOf(UnprocessableError);
    await wa.deepResearch.intervene(task.task_id, {
      requestId: String(gate.data.request_id),
      response: { action: 'approve_with_edits', edits: ['Pricing', { op: 'remove', title: 'Outlook' }] },
    });
    await expect(
      wa.deepResearch.intervene(task.task_id, { requestId: String(gate.data.request_id), response: 'approve' }),
    ).rejects.toBeInstanceOf(ConflictError);

    const rest = await drain(wa.events.stream(task.session_id, task.task_id, { lastEventId: gate.id }));
    expect(rest.at(-1)?.type).toBe('task.completed');
    expect((await wa.deepResearch.get(task.task_id)).status).toBe('completed');

    const artifacts = await wa.deepResearch.listArtifacts(task.task_id);
    expect(artifacts.map((a) => a.name)).toEqual(['final.md', 'citations.json', 'confidence.json']);
    const final = await wa.deepResearch.getArtifact(task.task_id, artifacts[0]!.id);
    expect(final.content).toContain('## Reviewer edits');
    expect(final.content).toMatch(/## \d+\. Pricing/);
    expect(final.content).not.toMatch(/## \d+\. Outlook/);
    const citations = JSON.parse(
      (await wa.deepResearch.getArtifact(task.task_id, artifacts[1]!.id)).content,
    ) as unknown[];
    expect(citations.length).toBeGreaterThan(0);
    const confidence = JSON.parse((await wa.deepResearch.getArtifact(task.task_id, artifacts[2]!.id)).content) as {
      overall: number;
    };
    expect(confidence.overall).toBeGreaterThan(0);
    await expect(wa.deepResearch.getArtifact(task.task_id, 'art_missing')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('asks twice for rounds:2, showing round-1 edits in the round-2 outline', async () => {
    const task = await wa.deepResearch.run({ topic: 'Edge inference chips rounds:2', depth: 'light' });
    const g1 = (await untilInput(task.session_id, task.task_id)).at(-1)!;
    expect(g1.data).toMatchObject({ round: 1, rounds: 2, outline: { title: 'Edge inference chips' } });
    await wa.deepResearch.intervene(task.task_id, {
      requestId: String(g1.data.request_id),
      response: { action: 'approve_with_edits', edits: ['Power budgets'] },
    });
    const g2 = (await untilInput(task.session_id, task.task_id, g1.id)).at(-1)!;
    expect(g2.type).toBe('task.input_request');
    expect(g2.data.round).toBe(2);
    expect(g2.data.request_id).not.toBe(g1.data.request_id);
    expect((g2.data.outline as { sections: string[] }).sections).toContain('Power budgets');
    await wa.deepResearch.intervene(task.task_id, { requestId: String(g2.data.request_id), response: 'approve' });
    const rest = await drain(wa.events.stream(task.session_id, task.task_id, { lastEventId: g2.id }));
    expect(rest.at(-1)?.type).toBe('task.completed');
    expect(await wa.deepResearch.listArtifacts(task.task_id)).toHaveLength(3);
  });

  it('reject cancels the task; cancel works before the gate; no gate when approval is off', async () => {
    const r = await wa.deepResearch.run({ topic: 'Reject me' });
    const gate = (await untilInput(r.session_id, r.task_id)).at(-1)!;
    await wa.deepResearch.intervene(r.task_id, {
      requestId: String(gate.data.request_id),
      response: { action: 'reject', reason: 'off-topic' },
    });
    const rest = await drain(wa.events.stream(r.session_id, r.task_id, { lastEventId: gate.id }));
    expect(rest.map((e) => e.type)).toEqual(['task.input_answered', 'task.cancelled']);
    expect(rest[1]!.data.reason).toContain('off-topic');
    expect(await wa.deepResearch.listArtifacts(r.task_id)).toEqual([]);

    const c = await wa.deepResearch.run({ topic: 'Cancel me' });
    expect((await wa.deepResearch.cancel(c.task_id, { reason: 'changed my mind' })).status).toBe('cancelled');
    await expect(wa.deepResearch.cancel(c.task_id)).rejects.toBeInstanceOf(ConflictError);

    const auto = await wa.deepResearch.run({ topic: 'No gate', depth: 'light', requireOutlineApproval: false });
    const evs = await drain(wa.events.stream(auto.session_id, auto.task_id));
    expect(evs.some((e) => e.type === 'task.input_request')).toBe(false);
    expect(evs.at(-1)?.type).toBe('task.completed');
    await expect(wa.deepResearch.get('task_missing')).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('WebSearch', () => {
  it('answers synchronously, falls back to 202 + polling, runs async, and refines', async () => {
    const done = await wa.webSearch.run({ queries: ['best Python ORM 2026'], engines: ['tavily'], summarize: true });
    expect(done.status).toBe('completed');
    expect(done.results?.results.length).toBe(3);
    expect(done.results?.summary).toBeTruthy();

    const slow = await wa.webSearch.run({ queries: ['slow query'] });
    expect(slow.status).toBe('running');
    expect(slow.results).toBeNull();
    const journal = await ctl.journal({ platform: 'webagent', method: 'POST' });
    expect(journal.map((j) => j.status)).toEqual([200, 202]);
    await new Promise((r) => setTimeout(r, 60));
    expect((await wa.webSearch.get(slow.task_id)).status).toBe('completed');

    const pending = await wa.webSearch.runAsync({ queries: ['best Python ORM 2026'] });
    expect(pending.status).toBe('running');
    await expect(wa.webSearch.refine(pending.task_id, { text: 'too early' })).rejects.toBeInstanceOf(ConflictError);
    await new Promise((r) => setTimeout(r, 60));
    const detail = await wa.webSearch.get(pending.task_id);
    expect(detail.results?.results[0]?.url).toMatch(/^https:/);
    const refined = await wa.webSearch.refine(pending.task_id, { text: 'add site:reddit.com and re-run' });
    expect(refined.status).toBe('running');
    await new Promise((r) => setTimeout(r, 60));
    expect((await wa.webSearch.get(pending.task_id)).results?.results[0]?.title).toContain('site:reddit.com');

    await expect(wa.webSearch.run({ queries: [] })).rejects.toBeInstanceOf(UnprocessableError);
    await expect(wa.webSearch.get('ws_missing')).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('Track', () => {
  /** Polls `fn` until it answers something truthy (bounded: 10 s). */
  async function until<T>(fn: () => Promise<T | undefined | false>): Promise<T> {
    for (const deadline = Date.now() + 10_000; ;) {
      const v = await fn();
      if (v) return v;
      if (Date.now() > deadline) throw new Error('condition not met within 10 s');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('runs a monitor through its lifecycle: ticks, snapshots, deliveries, retry, cancel', async () => {
    const mon = await wa.track.create({
      intent: 'Notify me when the iPhone 17 Pro goes below $999',
      schedule: { kind: 'interval', every_seconds: 3600 },
      notifyChannel: { kind: 'callback_url', url: 'https://hooks.example.com/fail-track' },
    });
    expect(mon.status).toBe('active');
    expect((await wa.track.pause(mon.id, { reason: 'manual review' })).pause_reason).toBe('manual review');
    expect((await wa.track.resume(mon.id)).status).toBe('active');
    const refined = await wa.track.refine(mon.id, { triggerDsl: { op: 'lt', field: 'price', value: 999 } });
    expect(refined.trigger_dsl).toEqual({ op: 'lt', field: 'price', value: 999 });

    const t1 = await wa.track.runNow(mon.id); // price 1049: no notification
    expect(t1.notified).toBe(false);
    await wa.track.runNow(mon.id); // 1019
    const t3 = await wa.track.runNow(mon.id); // 989 < 999: notify
    expect(t3.notified).toBe(true);

    const snaps = await wa.track.listSnapshots(mon.id);
    expect(snaps.items.map((s) => s.id)[0]).toBe(t3.snapshot?.id); // newest first
    expect((await wa.track.getSnapshot(mon.id, snaps.items[0]!.id)).data).toMatchObject({ price: 989 });

    // The platform retries a failing callback (3 attempts), then the row is dead.
    const dl = await until(async () => {
      const l = await wa.track.listDeliveries(mon.id, { includePayload: true });
      return l.items[0]?.status === 'dead' ? l : undefined;
    });
    expect(dl.items).toHaveLength(1);
    expect(dl.items[0]).toMatchObject({ status: 'dead', attempts: 3, payload: { monitor_id: mon.id } });
    expect((await wa.track.listDeliveries(mon.id)).items[0]!.payload).toBeUndefined();
    await wa.track.refine(mon.id, { notifyChannel: { kind: 'callback_url', url: ctl.webhookUrl('retried') } });
    expect(await wa.track.retryDelivery(mon.id, dl.items[0]!.id)).toMatchObject({ status: 'delivered', attempts: 4 });
    expect(await ctl.webhooks('retried')).toEqual([
      expect.objectContaining({ body: expect.objectContaining({ delivery_id: dl.items[0]!.id, attempt: 4 }) }),
    ]);
    await expect(wa.track.retryDelivery(mon.id, dl.items[0]!.id)).rejects.toBeInstanceOf(ConflictError);

    await wa.track.message(mon.id, { content: 'only the 256 GB model' });
    expect((await wa.track.cancel(mon.id)).status).toBe('cancelled');
    expect((await wa.track.delete(mon.id)).status).toBe('cancelled');
    await expect(wa.track.runNow(mon.id)).rejects.toBeInstanceOf(ConflictError);
    await expect(wa.track.get('mon_missing')).rejects.toMatchObject({ code: 'monitor_not_found' });
  });

  it('ticks on its own schedule (scaled time), POSTs deliveries to the callback, marks failing ones dead', async () => {
    // every_seconds 60 at 5 ms per schedule second: a tick every 300 ms.
    const mon = await wa.track.create({
      intent: 'Watch the price',
      schedule: { kind: 'interval', every_seconds: 60 },
      notifyChannel: { kind: 'callback_url', url: ctl.webhookUrl('track-ok') },
      triggerDsl: { op: 'lt', field: 'price', value: 1000 },
    });
    const snaps = await until(async () => {
      const l = await wa.track.listSnapshots(mon.id);
      return l.items.length >= 3 ? l.items : undefined;
    });
    // The price moves per tick: 1049, 1019, 989 (newest first).
    expect(snaps.slice(-3).map((x) => (x.data as { price: number }).price)).toEqual([989, 1019, 1049]);
    const hooks = await until(async () => {
      const w = await ctl.webhooks('track-ok');
      return w.length >= 1 ? w : undefined;
    });
    expect(hooks[0]!.headers).toMatchObject({ 'x-track-event': 'track.snapshot', 'content-type': 'application/json' });
    expect(hooks[0]!.body).toMatchObject({ type: 'track.snapshot', monitor_id: mon.id, data: { price: 989 } });
    const delivered = (await wa.track.listDeliveries(mon.id)).items.at(-1)!;
    expect(delivered).toMatchObject({
      status: 'delivered',
      attempts: 1,
      snapshot_id: hooks[0]!.body && (hooks[0]!.body as { snapshot_id: string }).snapshot_id,
    });

    // Paused: no tick.
    await wa.track.pause(mon.id);
    const count = (await wa.track.listSnapshots(mon.id, { limit: 100 })).items.length;
    await new Promise((r) => setTimeout(r, 700));
    expect((await wa.track.listSnapshots(mon.id, { limit: 100 })).items.length).toBe(count);

    // A receiver that answers 500: three attempts, then dead; a public host is never contacted.
    await wa.track.refine(mon.id, {
      notifyChannel: { kind: 'callback_url', url: ctl.webhookUrl('track-500', { status: 500 }) },
    });
    await wa.track.resume(mon.id);
    const tick = await wa.track.runNow(mon.id);
    expect(tick.notified).toBe(true);
    const dead = await until(async () => {
      const d = (await wa.track.listDeliveries(mon.id)).items.find((x) => x.id === tick.delivery_id);
      return d?.status === 'dead' ? d : undefined;
    });
    expect(dead).toMatchObject({ attempts: 3, last_error: 'callback answered 500' });
    expect(
      (await ctl.webhooks('track-500')).filter(
        (w) => (w.body as { delivery_id: string }).delivery_id === tick.delivery_id,
      ),
    ).toHaveLength(3);
    await wa.track.cancel(mon.id);
  });

  it('a cron schedule ticks on the scaled clock; a host mapped to the receiver gets the callback', async () => {
    await ctl.mapHost('hooks.example.com');
    const mon = await wa.track.create({
      intent: 'Watch the price every minute',
      schedule: { kind: 'cron', expression: '* * * * *' },
      notifyChannel: { kind: 'callback_url', url: 'https://hooks.example.com/_control/webhooks?inbox=cron' },
    });
    const w = await until(async () => {
      const got = await ctl.webhooks('cron');
      return got.length >= 2 ? got : undefined;
    });
    expect(w[0]!.body).toMatchObject({ monitor_id: mon.id, type: 'track.snapshot' });
    await wa.track.cancel(mon.id);
  });

  it('asks for a clarification mid-life (alignment.input_request on the channel), answered with intervene', async () => {
    const mon = await wa.track.create({
      intent: 'Watch the phone price clarify:2',
      schedule: { kind: 'event' },
      notifyChannel: { kind: 'callback_url', url: ctl.webhookUrl('align') },
    });
    await wa.track.runNow(mon.id);
    await wa.track.runNow(mon.id);
    const asked = await wa.track.runNow(mon.id);
    expect(asked.snapshot).toBeNull();
    const m = await wa.track.get(mon.id);
    expect(m).toMatchObject({
      status: 'pending_clarification',
      pending_request: { prompt: 'Did you mean SKU A or SKU B?' },
    });
    const q = await until(async () =>
      (await ctl.webhooks('align')).find((x) => (x.body as { type: string }).type === 'alignment.input_request'),
    );
    expect(q.body).toMatchObject({ data: { request_id: m.pending_request!.id, options: ['SKU A', 'SKU B'] } });
    await expect(wa.track.runNow(mon.id)).rejects.toBeInstanceOf(ConflictError);
    await wa.track.intervene(mon.id, { requestId: m.pending_request!.id, response: 'SKU A' });
    expect((await wa.track.runNow(mon.id)).snapshot?.data).toMatchObject({ sku: 'SKU A' });
  });

  it('lists with pagination and resolves an alignment clarification with intervene', async () => {
    const base = {
      schedule: { kind: 'cron', expr: '0 * * * *' },
      notifyChannel: { kind: 'callback_url', url: 'https://hooks.example.com/t' },
    };
    const amb = await wa.track.create({ intent: 'ambiguous: watch the iPhone price', ...base });
    for (let i = 0; i < 4; i++) await wa.track.create({ intent: `watch ${i}`, ...base });
    expect((await wa.track.listAll({ limit: 2 })).length).toBe(5);
    expect((await wa.track.list({ status: 'pending_clarification' })).items.map((m) => m.id)).toEqual([amb.id]);

    expect(amb.status).toBe('pending_clarification');
    const req = amb.pending_request!.id;
    await expect(wa.track.intervene(amb.id, { requestId: 'req_nope', response: 'SKU A' })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    expect((await wa.track.intervene(amb.id, { requestId: req, response: 'SKU A' })).status).toBe('active');
    await expect(wa.track.intervene(amb.id, { requestId: req, response: 'SKU B' })).rejects.toBeInstanceOf(
      ConflictError,
    );
    await expect(
      wa.track.create({ intent: 'x', schedule: { kind: 'never' }, notifyChannel: base.notifyChannel }),
    ).rejects.toBeInstanceOf(UnprocessableError);
  });
});
