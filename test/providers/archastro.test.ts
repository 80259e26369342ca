/**
 * ArchAstro provider, simulator and session adapter, against the in-process sandbox over real HTTP.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { summariseRoutineResult } from '../../src/activities/scheduledMonitors.js';
import { archAstroAdapter, createArchAstroAdapter, decodeCursor } from '../../src/activities/sessions/archastro.js';
import type { FollowResult, SessionAdapter, SessionRef } from '../../src/activities/sessions/contract.js';
import { Credentials, parseEnv } from '../../src/config.js';
import { ArchAstroClient, type ArchAstroSession } from '../../src/providers/archastro/client.js';
import {
  BadRequestError,
  ConflictError,
  NotFoundError,
  ResponseValidationError,
  ServerError,
  UnauthorizedError,
  UnprocessableError,
} from '../../src/providers/errors.js';
import { collect } from '../../src/providers/pagination.js';
import { ProviderRegistry } from '../../src/providers/registry.js';
import { SandboxControl } from '../../src/sandbox/control.js';
import { KeyRing, startSandbox, type RunningSandbox } from '../../src/sandbox/server.js';
import { agentSessionInput } from '../../src/contracts/sessions.js';

let sb: RunningSandbox;
let control: SandboxControl;
let client: ArchAstroClient;
let adapter: SessionAdapter;

const AGENT = 'agi_test';
const rawEnv = () => ({
  ARCHASTRO_BASE_URL: sb.baseUrl('archastro'),
  ARCHASTRO_API_KEY: KeyRing.defaultKey('archastro'),
});

beforeAll(async () => {
  sb = await startSandbox({ tickMs: 5 });
  control = new SandboxControl(sb.origin);
  const endpoint = {
    platform: 'archastro' as const,
    alias: 'default',
    baseUrl: sb.baseUrl('archastro'),
    secret: KeyRing.defaultKey('archastro'),
  };
  client = new ArchAstroClient(endpoint);
  const raw = rawEnv();
  adapter = createArchAstroAdapter(new ProviderRegistry(new Credentials(parseEnv(raw), raw)));
});

afterAll(async () => {
  await sb?.close();
});

beforeEach(async () => {
  await control.reset();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `get` until `pred` holds (bounded). */
async function waitFor(id: string, pred: (s: ArchAstroSession) => boolean, ms = 3_000): Promise<ArchAstroSession> {
  const end = Date.now() + ms;
  for (;;) {
    const s = await client.getSession(id);
    if (pred(s)) return s;
    if (Date.now() > end) throw new Error(`timed out waiting; last status ${s.status}`);
    await sleep(10);
  }
}

function input(task: string, extra: Record<string, unknown> = {}) {
  return agentSessionInput().parse({ platform: 'archastro', task, archastro: { agentId: AGENT, ...extra } });
}

const budget = { maxEvents: 1000, maxMs: 2_000, pollMs: 5 };

/** Follows like the session activity does: batch after batch until a boundary. */
async function followUntil(ref: SessionRef, cursor: string | undefined, stop: (r: FollowResult) => boolean) {
  const all: FollowResult[] = [];
  for (let i = 0; i < 200; i++) {
    const r = await adapter.follow(ref, cursor, budget, { progress: () => undefined });
    all.push(r);
    cursor = r.cursor;
    if (stop(r)) return { last: r, batches: all, entries: all.flatMap((b) => b.entries) };
  }
  throw new Error('follow never reached the expected state');
}

describe('ArchAstroClient: agent sessions', () => {
  it('creates, lists with filters, gets, updates metadata, and runs to completion', async () => {
    const created = await client.createSession({
      agent: AGENT,
      instructions: 'summarise the week',
      name: 'weekly',
      max_turns: 5,
      metadata: { a: 1 },
    });
    expect(created.id).toMatch(/^ase_/);
    expect(created.status).toBe('pending');
    expect(created.max_turns).toBe(5);

    const done = await waitFor(created.id, (s) => s.status === 'completed');
    // SDK AgentSession: `result` an object, `trajectory` the id of the Trajectory.
    expect(done.result).toEqual({ text: 'done' });
    expect(done.trajectory).toMatch(/^trj_/);
    expect(done.started_at).toBeTruthy();
    const events = await client.listEvents(created.id);
    expect(events.filter((e) => e.event === 'message').map((e) => e.payload?.content)).toEqual([
      'step 1 of 3',
      'step 2 of 3',
      'step 3 of 3',
    ]);
    expect(events.at(-1)).toMatchObject({
      event: 'finished',
      payload: { status: 'completed', result: { text: 'done' } },
    });
    // The durable cursor: events after one id, no more than `limit`.
    expect((await client.listEvents(created.id, { after: events[0]!.id, limit: 2 })).map((e) => e.id)).toEqual(
      events.slice(1, 3).map((e) => e.id),
    );

    const other = await client.createSession({ agent: 'agi_other', instructions: 'script:long' });
    expect((await client.listSessions({ agent: AGENT })).map((s) => s.id)).toEqual([created.id]);
    expect((await client.listSessions({ status: ['completed'] })).map((s) => s.id)).toEqual([created.id]);
    expect((await client.listSessions({ status: ['pending', 'running'] })).map((s) => s.id)).toEqual([other.id]);
    // Multi-value filters travel as `status[]=…` (SDK): Plug keeps only the last of bare repeated keys.
    const lists = await control.journal({ platform: 'archastro', method: 'GET', route: '/api/v1/agent_sessions' });
    expect(lists.map((e) => decodeURIComponent(e.query ?? ''))).toContain('status[]=pending&status[]=running');
    expect(lists.map((e) => decodeURIComponent(e.query ?? ''))).toContain(`agent[]=${AGENT}`);
    expect((await client.listSessions({ limit: 1 })).map((s) => s.id)).toEqual([other.id]); // newest first

    const updated = await client.updateSession(created.id, { metadata: { b: 2 } });
    expect(updated.metadata).toEqual({ b: 2 }); // replaces, does not merge
    expect((await client.updateSession(created.id, {})).metadata).toEqual({ b: 2 }); // omitted: unchanged
    await client.cancelSession(other.id);
  });

  it('delete is refused (422) while active and works once terminal', async () => {
    const s = await client.createSession({ agent: AGENT, instructions: 'script:long' });
    await waitFor(s.id, (x) => x.status === 'running');
    const err = await client.deleteSession(s.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnprocessableError);
    expect((err as UnprocessableError).code).toBe('session_active');
    expect((err as UnprocessableError).requestId).toMatch(/^req_/);

    await client.cancelSession(s.id);
    await client.deleteSession(s.id);
    await expect(client.getSession(s.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('cancel is idempotent: twice, and on a completed session, the session comes back unchanged', async () => {
    const s = await client.createSession({ agent: AGENT, instructions: 'script:long' });
    const first = await client.cancelSession(s.id);
    expect(first.status).toBe('cancelled');
    const second = await client.cancelSession(s.id);
    expect(second.status).toBe('cancelled');
    expect(
      (await client.listEvents(s.id)).filter((e) => e.event === 'finished' && e.payload?.status === 'cancelled'),
    ).toHaveLength(1);

    const quick = await client.createSession({ agent: AGENT, instructions: 'quick' });
    await waitFor(quick.id, (x) => x.status === 'completed');
    expect((await client.cancelSession(quick.id)).status).toBe('completed');
  });

  it('a waiting session resumes on an inbox message and records it in inbox and trajectory', async () => {
    const s = await client.createSession({ agent: AGENT, instructions: 'pick one script:ask' });
    const waiting = await waitFor(s.id, (x) => x.status === 'waiting');
    expect((await client.listEvents(waiting.id)).at(-1)).toMatchObject({
      event: 'needs_input',
      payload: { prompt: 'Which option?' },
    });

    const after = await client.sendMessage(s.id, { content: 'option B', metadata: { via: 'test' } });
    expect(after.inbox).toMatchObject([{ role: 'user', content: 'option B', metadata: { via: 'test' } }]);
    expect(after.status).toBe('running');
    await waitFor(s.id, (x) => x.status === 'completed');
    expect(
      (await client.listEvents(s.id)).some(
        (e) => e.event === 'message' && e.payload?.role === 'user' && e.payload.content === 'option B',
      ),
    ).toBe(true);

    await expect(client.sendMessage(s.id, { content: 'too late' })).rejects.toBeInstanceOf(UnprocessableError);
  });

  it('start_idle: waits without running until the first message, which runs the opening turn', async () => {
    const s = await client.createSession({ agent: AGENT, instructions: 'be ready', start_idle: true });
    expect(s.status).toBe('waiting');
    await sleep(40);
    const still = await client.getSession(s.id);
    expect(still.status).toBe('waiting');
    expect(still.trajectory).toBeNull(); // not started: no Trajectory yet
    expect(await client.listEvents(s.id)).toEqual([]);

    await client.sendMessage(s.id, { content: 'go' });
    const done = await waitFor(s.id, (x) => x.status === 'completed');
    expect(done.trajectory).toMatch(/^trj_/);
    expect((await client.listEvents(s.id))[0]).toMatchObject({
      event: 'message',
      payload: { role: 'user', content: 'go' },
    });
  });

  it('max_turns ends a session that would start one turn too many', async () => {
    const s = await client.createSession({ agent: AGENT, instructions: 'script:ask', max_turns: 1 });
    await waitFor(s.id, (x) => x.status === 'waiting');
    await client.sendMessage(s.id, { content: 'answer' });
    const ended = await waitFor(s.id, (x) => x.status === 'failed');
    expect(ended.error).toMatch(/max_turns/);
  });

  it('validates create input the platform way (422 / 404)', async () => {
    await expect(client.createSession({ agent: AGENT, instructions: '' })).rejects.toBeInstanceOf(UnprocessableError);
    await expect(client.createSession({ agent: 'nope', instructions: 'x' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.createSession({ agent: AGENT, instructions: 'x', max_turns: 0 })).rejects.toBeInstanceOf(
      UnprocessableError,
    );
  });
});

describe('ArchAstroClient: agent routines', () => {
  it('lists (with filters), presets, gets, updates, pauses and activates', async () => {
    const all = await client.listRoutines();
    expect(all.map((r) => r.id).sort()).toEqual(['arn_sbx_digest', 'arn_sbx_draft', 'arn_sbx_invoke', 'arn_sbx_keyed']);
    expect((await client.listRoutines({ agent: 'agi_digest' })).map((r) => r.id)).toEqual(['arn_sbx_digest']);
    expect((await client.listRoutines({ eventType: 'schedule.tick' })).map((r) => r.id)).toEqual(['arn_sbx_digest']);
    await expect(client.listRoutines({ agent: 'missing' })).rejects.toBeInstanceOf(NotFoundError);

    const presets = await client.listPresets();
    expect(presets.map((p) => p.name)).toContain('agent_chat');

    const draft = await client.getRoutine('arn_sbx_draft');
    expect(draft.status).toBe('paused');
    // No workflow config yet: activation is refused.
    await expect(client.activateRoutine(draft.id)).rejects.toBeInstanceOf(UnprocessableError);
    const withConfig = await client.updateRoutine(draft.id, { config: 'cfg_123', description: 'graph v2' });
    expect(withConfig.description).toBe('graph v2');
    expect((await client.activateRoutine(draft.id)).status).toBe('active');
    expect((await client.pauseRoutine(draft.id)).status).toBe('paused');

    // Sub-hourly schedules are refused.
    await expect(client.updateRoutine('arn_sbx_digest', { schedule: '*/5 * * * *' })).rejects.toBeInstanceOf(
      UnprocessableError,
    );
    await client.deleteRoutine('arn_sbx_digest');
    await expect(client.getRoutine('arn_sbx_digest')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('invoke: the same idempotency_key returns the in-flight run, then 409 once it completed', async () => {
    // Distinct transport Idempotency-Keys (random per call): the dedupe under test is the body's key.
    const first = await client.invokeRoutine('arn_sbx_invoke', {
      message: 'hello script:long',
      idempotency_key: 'inv-1',
    });
    expect(first.id).toMatch(/^arr_/);
    const again = await client.invokeRoutine('arn_sbx_invoke', {
      message: 'hello script:long',
      idempotency_key: 'inv-1',
    });
    expect(again.id).toBe(first.id);

    const journal = await control.journal({ platform: 'archastro', route: '/api/v1/agent_routines/{routine}/invoke' });
    expect(journal).toHaveLength(2);
    expect(journal.every((e) => !e.replayed)).toBe(true);
    // One side effect: one run, one session.
    const { data } = await client.listRuns('arn_sbx_invoke');
    expect(data.map((r) => r.id)).toEqual([first.id]);
    // The SDK's run names no session: its session is found with the `routine_run[]` filter.
    const sessions = await client.listSessions({ routineRun: [first.id] });
    expect(sessions).toHaveLength(1);

    // A completed run for a key → 409.
    const quick = await client.invokeRoutine('sandbox-invoke', { message: 'quick', idempotency_key: 'inv-2' });
    const deadline = Date.now() + 3_000;
    while ((await client.getRun(quick.id)).status !== 'completed') {
      if (Date.now() > deadline) throw new Error('run never completed');
      await sleep(10);
    }
    const run = await client.getRun(quick.id);
    expect(run.result).toEqual({ text: 'done' });
    expect(run.duration_ms).toBeGreaterThanOrEqual(0);
    const conflict = await client
      .invokeRoutine('sandbox-invoke', { message: 'quick', idempotency_key: 'inv-2' })
      .catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(ConflictError);
    expect((conflict as ConflictError).code).toBe('idempotency_conflict');

    // Routine-created sessions are "system" sessions.
    expect((await client.listSessions({ excludeSystem: true })).length).toBe(0);
    await client.cancelSession(sessions[0]!.id);
  });

  it('a routine run takes time: pending or running while its agent works, then completed with a duration', async () => {
    await control.script('takes-time', [
      { type: 'emit', count: 2 },
      { type: 'wait', ms: 300 },
      { type: 'emit', count: 1 },
      { type: 'finish', result: 'checked' },
    ]);
    const run = await client.invokeRoutine('arn_sbx_invoke', {
      message: 'check the price script:takes-time',
      idempotency_key: 'takes-1',
    });
    expect(['pending', 'running']).toContain(run.status);
    const seen: string[] = [run.status];
    const deadline = Date.now() + 5_000;
    for (;;) {
      const r = await client.getRun(run.id);
      if (seen.at(-1) !== r.status) seen.push(r.status);
      if (r.status === 'completed' || Date.now() > deadline) break;
      await sleep(20);
    }
    expect(seen).toContain('running');
    expect(seen.at(-1)).toBe('completed');
    const done = await client.getRun(run.id);
    expect(done.result).toEqual({ text: 'checked' });
    expect(done.duration_ms).toBeGreaterThanOrEqual(300);
  });

  it('invoke is refused on a paused routine, and per_key routines need a session_key and reuse the session', async () => {
    await client.pauseRoutine('arn_sbx_invoke');
    await expect(client.invokeRoutine('arn_sbx_invoke', { message: 'x' })).rejects.toBeInstanceOf(UnprocessableError);

    await expect(client.invokeRoutine('arn_sbx_keyed', { message: 'x' })).rejects.toBeInstanceOf(UnprocessableError);
    const a = await client.invokeRoutine('arn_sbx_keyed', { message: 'first script:ask', session_key: 'conv-1' });
    const [session] = await client.listSessions({ routineRun: [a.id] });
    await waitFor(session!.id, (s) => s.status === 'waiting');
    expect((await client.getRun(a.id)).status).toBe('completed'); // the turn ended with a question
    const b = await client.invokeRoutine('arn_sbx_keyed', { message: 'second', session_key: 'conv-1' });
    // The session is found by the run that created it, not by a later run that reuses it.
    expect((await client.listSessions({ routineRun: [b.id] })).map((s) => s.id)).toEqual([]);
    await waitFor(session!.id, (s) => s.status === 'completed');
    expect((await client.getRun(b.id)).status).toBe('completed');
  });

  it('runs are cursor-paginated newest first; before_cursor walks every page, after_cursor goes back', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++)
      ids.push((await client.invokeRoutine('arn_sbx_invoke', { message: `n${i} script:long` })).id);
    const newestFirst = [...ids].reverse();

    const p1 = await client.listRuns('arn_sbx_invoke', { limit: 3 });
    expect(p1.data.map((r) => r.id)).toEqual(newestFirst.slice(0, 3));
    expect(p1.before_cursor).toBeTruthy();
    const p2 = await client.listRuns('arn_sbx_invoke', { limit: 3, beforeCursor: p1.before_cursor! });
    expect(p2.data.map((r) => r.id)).toEqual(newestFirst.slice(3, 6));
    const p3 = await client.listRuns('arn_sbx_invoke', { limit: 3, beforeCursor: p2.before_cursor! });
    expect(p3.data.map((r) => r.id)).toEqual(newestFirst.slice(6));
    expect(p3.before_cursor ?? undefined).toBeUndefined();
    const back = await client.listRuns('arn_sbx_invoke', { limit: 3, afterCursor: p3.after_cursor! });
    expect(back.data.map((r) => r.id)).toEqual(newestFirst.slice(3, 6));

    // The iterator follows before_cursor across all pages (3 requests for 7 runs at 3 a page).
    await control.clearJournal();
    const walked = await collect(client.iterateRuns('arn_sbx_invoke', { limit: 3 }));
    expect(walked.map((r) => r.id)).toEqual(newestFirst);
    expect(await control.journal({ route: '/api/v1/agent_routines/{routine}/runs' })).toHaveLength(3);

    expect((await client.listRuns('arn_sbx_invoke', { status: 'completed' })).data).toEqual([]);
    await expect(client.listRuns('arn_sbx_invoke', { limit: 101 })).rejects.toBeInstanceOf(UnprocessableError);
    await expect(client.listRuns('arn_sbx_invoke', { beforeCursor: 'garbage' })).rejects.toBeInstanceOf(
      UnprocessableError,
    );
  });
});

describe('ArchAstroClient: routines on the SDK wire (message, cancelled, object results, presets)', () => {
  it('an invoke without a message is refused at our edge with a typed error, before anything is sent', async () => {
    for (const message of [undefined, '', '   ']) {
      const err = await client.invokeRoutine('arn_sbx_invoke', { message } as never).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BadRequestError);
      expect((err as BadRequestError).code).toBe('request_invalid');
      expect((err as BadRequestError).detail).toContain('message is required');
    }
    expect(await control.journal({ platform: 'archastro', route: '/api/v1/agent_routines/{routine}/invoke' })).toEqual(
      [],
    );
    // The platform refuses it too (both SDKs model `message` as required).
    const raw = await fetch(`${sb.baseUrl('archastro')}/api/v1/agent_routines/arn_sbx_invoke/invoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-archastro-api-key': KeyRing.defaultKey('archastro') },
      body: JSON.stringify({ idempotency_key: 'k' }),
    });
    expect(raw.status).toBe(422);
    expect(await raw.json()).toMatchObject({ error: { code: 'validation_error', message: 'message is required' } });
  });

  it('a cancelled run ends cancelled (terminal, listed under status=cancelled, in every run list) and cancelling again is fine', async () => {
    const run = await client.invokeRoutine('arn_sbx_invoke', {
      message: 'hold on script:long',
      metadata: { switchboard_key: 'c-1' },
    });
    const cancelled = await client.cancelRun(run.id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.result ?? null).toBeNull();
    expect(cancelled.metadata).toEqual({ switchboard_key: 'c-1' });
    // Its session was cancelled: that is how a run is cancelled (no SDK has a run-cancel call).
    const [session] = await client.listSessions({ routineRun: [run.id] });
    expect(session!.status).toBe('cancelled');
    expect((await client.cancelRun(run.id)).status).toBe('cancelled');
    expect((await client.listRuns('arn_sbx_invoke', { status: 'cancelled' })).data.map((r) => r.id)).toEqual([run.id]);
    const across = await client.listAllRuns({ agent: ['agi_sandbox', 'agi_other'], status: 'cancelled' });
    expect(across.data.map((r) => r.id)).toEqual([run.id]);
    expect((await client.listAllRuns({ agent: ['agi_digest'] })).data).toEqual([]);
    // The journal shows agent[] on the wire.
    const [listed] = await control.journal({ platform: 'archastro', route: '/api/v1/agent_routine_runs' });
    expect(decodeURIComponent(listed!.query ?? '')).toContain('agent[]=agi_sandbox&agent[]=agi_other');
  });

  it('an object result surfaces as an object, and a large one is summarised with its size and digest', async () => {
    const run = await client.invokeRoutine('sandbox-invoke', { message: 'quick' });
    const deadline = Date.now() + 3_000;
    let done = await client.getRun(run.id);
    while (done.status !== 'completed' && Date.now() < deadline) {
      await sleep(10);
      done = await client.getRun(run.id);
    }
    expect(done.status).toBe('completed');
    expect(done.result).toEqual({ text: 'done' });
    expect(summariseRoutineResult(done.result)).toEqual({ text: 'done' });
    const big = { summary: 'x'.repeat(3_000), rows: Array.from({ length: 200 }, (_, i) => ({ i, v: 'y'.repeat(20) })) };
    const s = summariseRoutineResult(big) as Record<string, unknown>;
    expect(s).toMatchObject({ truncated: true, keys: ['summary', 'rows'], bytes: JSON.stringify(big).length });
    expect((s.text as string).length).toBe(2_000);
    expect(s.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(s).length).toBeLessThan(2_500);
  });

  it('presets round-trip: a routine created with preset_name and preset_config reads back the same, presets list the SDK fields', async () => {
    const presets = await client.listPresets();
    expect(presets.find((p) => p.name === 'agent_chat')).toMatchObject({
      label: 'Agent chat',
      applicable_events: ['agentroutine.invoked'],
      chainable: true,
      sessionable: false,
      unique: false,
    });
    const preset_config = {
      instructions: 'Answer briefly.',
      llm: { model: 'openrouter/anthropic/claude-sonnet-latest' },
      session_mode: 'session' as const,
      session_scope: 'per_key' as const,
    };
    const created = await client.createRoutine('agi_test', {
      name: 'Keyed helper',
      handler_type: 'preset',
      preset_name: 'agent_chat',
      preset_config,
      event_type: 'agentroutine.invoked',
      lookup_key: 'keyed-helper',
      status: 'active',
    });
    expect(created).toMatchObject({ status: 'active', agent: 'agi_test', preset_name: 'agent_chat', preset_config });
    expect((await client.getRoutine('keyed-helper')).preset_config).toEqual(preset_config);
    const [sent] = await control.journal({
      platform: 'archastro',
      method: 'POST',
      route: '/api/v1/agents/{agent}/agent_routines',
    });
    expect(sent!.body).toMatchObject({ preset_name: 'agent_chat', preset_config });
    // The preset's session scope is honoured: per_key needs a session_key.
    await expect(client.invokeRoutine(created.id, { message: 'hi' })).rejects.toBeInstanceOf(UnprocessableError);
    const updated = await client.updateRoutine(created.id, { preset_config: { instructions: 'Answer at length.' } });
    expect(updated.preset_config).toEqual({ instructions: 'Answer at length.' });

    // Refused at our edge (the SDK's PresetConfig shape), nothing sent.
    await control.clearJournal();
    for (const bad of [
      { name: 'x', handler_type: 'preset' as const },
      {
        name: 'x',
        handler_type: 'preset' as const,
        preset_name: 'agent_chat',
        preset_config: { session_mode: 'forever' },
      },
      { name: 'x', handler_type: 'preset' as const, preset_name: 'agent_chat', preset_config: { instruction: 'typo' } },
      {
        name: 'x',
        handler_type: 'preset' as const,
        preset_name: 'agent_chat',
        preset_config: { session_scope: 'per_user' },
      },
      {
        name: 'x',
        handler_type: 'preset' as const,
        preset_name: 'agent_chat',
        preset_config: { instructions: 'z'.repeat(10_001) },
      },
    ]) {
      const err = await client.createRoutine('agi_test', bad as never).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BadRequestError);
    }
    await expect(
      client.updateRoutine(created.id, { preset_config: { session_mode: 'sometimes' } as never }),
    ).rejects.toBeInstanceOf(BadRequestError);
    expect(await control.journal({ platform: 'archastro' })).toEqual([]);
    // Refused by the platform: an unknown preset, a trigger the preset does not accept, a second unique preset.
    await expect(
      client.createRoutine('agi_test', { name: 'x', handler_type: 'preset', preset_name: 'no_such_preset' }),
    ).rejects.toMatchObject({
      status: 422,
      code: 'unknown_preset',
    });
    await expect(
      client.createRoutine('agi_test', {
        name: 'x',
        handler_type: 'preset',
        preset_name: 'daily_digest',
        event_type: 'agentroutine.invoked',
      }),
    ).rejects.toBeInstanceOf(UnprocessableError);
    await expect(
      client.createRoutine('agi_digest', { name: 'x', handler_type: 'preset', preset_name: 'daily_digest' }),
    ).rejects.toMatchObject({
      code: 'preset_not_unique',
    });
    await expect(
      client.createRoutine('nobody', { name: 'x', handler_type: 'script', script: 'return 1' }),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect((await client.createRoutine('agi_test', { name: 'draft', handler_type: 'script' })).status).toBe('draft');
  });
});

describe('ArchAstroClient: errors through the one factory', () => {
  it('maps auth, faults, error envelopes and bad bodies onto the taxonomy', async () => {
    const bad = new ArchAstroClient({
      platform: 'archastro',
      alias: 'ops',
      baseUrl: sb.baseUrl('archastro'),
      secret: 'wrong',
    });
    const unauth = await bad.listSessions().catch((e: unknown) => e);
    expect(unauth).toBeInstanceOf(UnauthorizedError);
    expect((unauth as UnauthorizedError).code).toBe('unauthorized');
    expect((unauth as UnauthorizedError).message).toContain('credential alias "ops"');
    expect((unauth as UnauthorizedError).message).not.toContain('wrong');

    const missing = await client.getSession('ase_missing').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect((missing as NotFoundError).detail).toContain('ase_missing');

    await control.fault({
      platform: 'archastro',
      route: '/api/v1/agent_sessions/{session}',
      status: 503,
      retryAfter: '7',
      times: 1,
    });
    const server = await client.getSession('ase_x').catch((e: unknown) => e);
    expect(server).toBeInstanceOf(ServerError);
    expect((server as ServerError).retryAfterSeconds).toBe(7);
    expect((server as ServerError).retryable).toBe(true);

    await control.fault({
      platform: 'archastro',
      route: '/api/v1/agent_sessions',
      method: 'GET',
      malformed: true,
      times: 1,
    });
    await expect(client.listSessions()).rejects.toBeInstanceOf(ResponseValidationError);
    await expect(client.ping()).resolves.toBeUndefined();
  });
});

describe('ArchAstro session adapter', () => {
  it('create → follow until completed, with the transcript, then cleanup deletes it', async () => {
    const created = await adapter.create(input('write the report'), { idempotencyKey: 'wf-1/create' });
    expect(created.ref).toMatchObject({ platform: 'archastro', alias: 'default' });
    expect(created.status).toBe('starting');
    const s = await client.getSession(created.ref.sessionId);
    expect(s.metadata).toEqual({ switchboard_key: 'wf-1/create' });
    expect(s.instructions).toBe('write the report');

    const { last, entries } = await followUntil(created.ref, undefined, (r) => r.status === 'completed');
    expect(last.result).toBe('done');
    expect(entries.map((e) => e.text)).toEqual(['step 1 of 3', 'step 2 of 3', 'step 3 of 3', 'done']);
    expect(entries.map((e) => e.role)).toEqual(['agent', 'agent', 'agent', 'system']);
    expect(new Set(entries.map((e) => e.id)).size).toBe(entries.length);
    // The cursor is the last harness event id (`cse_…`), the SDK's own `after`.
    const events = await client.listEvents(created.ref.sessionId);
    expect(decodeCursor(last.cursor)).toEqual({ status: 'completed', after: events.at(-1)!.id });

    // Following again from the final cursor yields nothing new (waits out the budget).
    const again = await adapter.follow(
      created.ref,
      last.cursor,
      { ...budget, maxMs: 30 },
      { progress: () => undefined },
    );
    expect(again.entries).toEqual([]);
    expect(again.status).toBe('completed');

    await adapter.cleanup(created.ref, { deleteOnPlatform: true }, { idempotencyKey: 'wf-1/cleanup' });
    await expect(client.getSession(created.ref.sessionId)).rejects.toBeInstanceOf(NotFoundError);
    // A retried clean-up after the delete is fine.
    await expect(adapter.cleanup(created.ref, { deleteOnPlatform: true }, {})).resolves.toEqual({});
  });

  it('create is exactly-once per key: a retry finds the tagged session and sends no second POST', async () => {
    const a = await adapter.create(input('once'), { idempotencyKey: 'wf-2/create' });
    // Same key: the lookup by `switchboard_key` answers before any POST.
    const b = await adapter.create(input('once'), { idempotencyKey: 'wf-2/create' });
    expect(b.ref.sessionId).toBe(a.ref.sessionId);
    expect((await control.journal({ route: '/api/v1/agent_sessions', method: 'POST' })).length).toBe(1);
    expect(await client.listSessions({ agent: AGENT })).toHaveLength(1);
  });

  it('a lost create answer (fault after the side effect) is recovered on retry without a duplicate', async () => {
    await control.fault({
      platform: 'archastro',
      route: '/api/v1/agent_sessions',
      method: 'POST',
      status: 502,
      phase: 'after',
      times: 1,
    });
    await expect(adapter.create(input('lost answer'), { idempotencyKey: 'wf-3/create' })).rejects.toBeInstanceOf(
      ServerError,
    );
    const retry = await adapter.create(input('lost answer'), { idempotencyKey: 'wf-3/create' });
    const all = await client.listSessions({ agent: AGENT });
    expect(all.map((s) => s.id)).toEqual([retry.ref.sessionId]);
  });

  it('waiting → awaiting_input with a stable request id → sendMessage → resumes → completed', async () => {
    const { ref } = await adapter.create(input('decide script:ask'), { idempotencyKey: 'wf-4/create' });
    const first = await followUntil(ref, undefined, (r) => r.status === 'awaiting_input');
    expect(first.last.platformStatus).toBe('waiting');
    expect(first.last.pendingInput).toMatchObject({
      requestId: expect.stringMatching(/^waiting@cse_/),
      prompt: 'Which option?',
    });
    const requestId = first.last.pendingInput!.requestId;
    expect(first.entries.at(-1)).toMatchObject({ kind: 'question', role: 'agent', text: 'Which option?' });

    // Polling again while waiting gives the same request id and nothing new.
    const idle = await adapter.follow(ref, first.last.cursor, { ...budget, maxMs: 30 }, { progress: () => undefined });
    expect(idle.entries).toEqual([]);
    expect(idle.pendingInput?.requestId).toBe(requestId);

    await adapter.sendMessage!(ref, 'the second one', { idempotencyKey: 'wf-4/msg-1', attempt: 1 });
    // Retried (the answer was lost): ArchAstro ignores Idempotency-Key; the inbox tag is found instead.
    await adapter.sendMessage!(ref, 'the second one', { idempotencyKey: 'wf-4/msg-1', attempt: 2 });
    // A crash re-run of a steering local activity starts again at attempt 1: it looks the tag up too.
    await adapter.sendMessage!(ref, 'the second one', { idempotencyKey: 'wf-4/msg-1', attempt: 1 });
    expect(
      (
        await control.journal({
          platform: 'archastro',
          method: 'POST',
          route: '/api/v1/agent_sessions/{session}/message',
        })
      ).length,
    ).toBe(1);
    const rest = await followUntil(ref, first.last.cursor, (r) => r.status === 'completed');
    expect(rest.entries[0]).toMatchObject({ role: 'user', text: 'the second one' });
    expect(rest.entries.filter((e) => e.role === 'user')).toHaveLength(1);
    expect(rest.last.pendingInput).toBeUndefined();
    expect((await client.getSession(ref.sessionId)).inbox).toHaveLength(1);
  });

  it('start_idle: awaiting input from the start (waiting@start), the first message runs it', async () => {
    const created = await adapter.create(input('idle until told', { startIdle: true }), {
      idempotencyKey: 'wf-5/create',
    });
    expect(created.status).toBe('awaiting_input');
    const first = await adapter.follow(created.ref, undefined, budget, { progress: () => undefined });
    expect(first.pendingInput?.requestId).toBe('waiting@start');
    await adapter.sendMessage!(created.ref, 'start now', { idempotencyKey: 'wf-5/msg' });
    const { last } = await followUntil(created.ref, first.cursor, (r) => r.status === 'completed');
    expect(last.result).toBe('done');
  });

  it('cancel mid-run: follow reports cancelled, cancel again is fine, cleanup without delete keeps it', async () => {
    const { ref } = await adapter.create(input('forever script:long'), { idempotencyKey: 'wf-6/create' });
    const running = await followUntil(ref, undefined, (r) => r.status === 'running');
    await adapter.cancel(ref, { idempotencyKey: 'wf-6/cancel' });
    await adapter.cancel(ref, { idempotencyKey: 'wf-6/cancel-2' });
    const { last } = await followUntil(ref, running.last.cursor, (r) => r.status === 'cancelled');
    expect(last.platformStatus).toBe('cancelled');
    await adapter.cleanup(ref, { deleteOnPlatform: false }, {});
    expect((await client.getSession(ref.sessionId)).status).toBe('cancelled');
  });

  it('cleanup does not delete a session that is still active (delete would be a 422)', async () => {
    const { ref } = await adapter.create(input('script:long'), { idempotencyKey: 'wf-7/create' });
    await adapter.cleanup(ref, { deleteOnPlatform: true }, {});
    expect((await client.getSession(ref.sessionId)).status).not.toBe('cancelled');
    expect(await control.journal({ method: 'DELETE' })).toHaveLength(0);
    await adapter.cancel(ref, {});
  });

  it('a failing agent surfaces as failed with its error; maxEvents batches the transcript', async () => {
    const { ref } = await adapter.create(input('script:fail'), { idempotencyKey: 'wf-8/create' });
    const { last } = await followUntil(ref, undefined, (r) => r.status === 'failed');
    expect(last.error).toBe('agent crashed');

    const chatty = await adapter.create(input('script:chatty'), { idempotencyKey: 'wf-9/create' });
    await waitFor(chatty.ref.sessionId, (s) => s.status === 'completed', 5_000);
    const small = { ...budget, maxEvents: 40 };
    const r1 = await adapter.follow(chatty.ref, undefined, small, { progress: () => undefined });
    expect(r1.entries).toHaveLength(40);
    expect(r1.status).toBe('running'); // the boundary comes with the last entries
    const r2 = await adapter.follow(chatty.ref, r1.cursor, small, { progress: () => undefined });
    const r3 = await adapter.follow(chatty.ref, r2.cursor, small, { progress: () => undefined });
    expect(r3.entries).toHaveLength(21); // 100 progress + 1 result
    expect(r3.status).toBe('completed');
    expect(r3.result).toBe('finished after 100 events');
  });

  it('the status stream wakes follow at once; the events cursor stays the source; without the stream it still works', async () => {
    await control.script('quiet', [
      { type: 'emit', count: 1 },
      { type: 'wait', ms: 1_500 },
      { type: 'ask', prompt: 'Go on?' },
    ]);
    const wide = { maxEvents: 1000, maxMs: 5_000, pollMs: 200 };
    for (const statusStream of [true, false]) {
      const ad = archAstroAdapter(new ProviderRegistry(new Credentials(parseEnv(rawEnv()), rawEnv())), {
        statusStream,
      });
      const { ref } = await ad.create(input('Stream me script:quiet'), {});
      let r = await ad.follow(ref, undefined, wide, { progress: () => undefined });
      while (r.status !== 'awaiting_input') r = await ad.follow(ref, r.cursor, wide, { progress: () => undefined });
      const s = await client.getSession(ref.sessionId);
      const lagMs = Date.now() - Date.parse(s.updated_at!);
      expect(r.pendingInput?.prompt).toBe('Go on?');
      const streams = await control.journal({
        platform: 'archastro',
        route: '/api/v1/agent_sessions/{session}/stream',
      });
      if (statusStream) {
        // Polling alone backs off to 1.6 s here; the stream reports the wait within a tick or two.
        expect(lagMs).toBeLessThan(500);
        expect(streams.length).toBeGreaterThan(0);
      } else {
        expect(streams).toEqual([]);
      }
      await client.cancelSession(ref.sessionId);
      await control.clearJournal();
    }
    // A server without the stream (404): follow falls back to polling and still reports the wait.
    await control.fault({ platform: 'archastro', route: '/api/v1/agent_sessions/{session}/stream', status: 404 });
    const { ref } = await adapter.create(input('No stream script:ask'), {});
    let r = await adapter.follow(ref, undefined, budget, { progress: () => undefined });
    while (r.status !== 'awaiting_input')
      r = await adapter.follow(ref, r.cursor, budget, { progress: () => undefined });
    expect(r.pendingInput?.prompt).toBe('Which option?');
    await control.clearFaults();
  });
});
