/**
 * Mix: client, simulator and session adapter, against the in-process sandbox over real HTTP.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMixAdapter, MIX_SEND_SKEW_MS } from '../../src/activities/sessions/mix.js';
import type { FollowResult, SessionAdapter, SessionRef } from '../../src/activities/sessions/contract.js';
import { Credentials, parseEnv, type PlatformEndpoint } from '../../src/config.js';
import { BadRequestError, NotFoundError, ProviderError, UnauthorizedError } from '../../src/providers/errors.js';
import { HttpClient } from '../../src/providers/http.js';
import { MixClient } from '../../src/providers/mix/client.js';
import { type CreateSessionParams, exportSessionSchema, sessionDataSchema } from '../../src/providers/mix/schemas.js';
import { ProviderRegistry } from '../../src/providers/registry.js';
import { SandboxControl } from '../../src/sandbox/control.js';
import { type RunningSandbox, KeyRing, startSandbox } from '../../src/sandbox/server.js';
import { agentSessionInput } from '../../src/contracts/sessions.js';

let sb: RunningSandbox;
let control: SandboxControl;
let client: MixClient;
let raw: HttpClient;
let adapter: SessionAdapter;

const KEY = KeyRing.defaultKey('mix');

beforeAll(async () => {
  sb = await startSandbox({ tickMs: 5 });
  control = new SandboxControl(sb.origin);
  const endpoint: PlatformEndpoint = { platform: 'mix', alias: 'default', baseUrl: sb.baseUrl('mix'), secret: KEY };
  client = new MixClient(endpoint);
  // The raw client bypasses MixClient's checks, to prove the simulator enforces them itself.
  raw = new HttpClient({
    platform: 'mix',
    baseUrl: sb.baseUrl('mix'),
    authHeaders: { authorization: `Bearer ${KEY}` },
  });
  const env = { MIX_SERVER_URL: sb.baseUrl('mix'), MIX_API_KEY: KEY };
  adapter = createMixAdapter(new ProviderRegistry(new Credentials(parseEnv(env), env)));
});

afterAll(async () => {
  await sb?.close();
});

beforeEach(async () => {
  await control.reset();
});

const base: CreateSessionParams = { title: 'Research task', browserMode: 'local-browser-service' };

async function caught(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ProviderError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

async function waitFor<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 3_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > until) throw new Error(`condition not met within ${ms} ms: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The turn is over when the newest message is an assistant message that does not wait on a tool. */
const settled = (id: string) =>
  waitFor(
    () => client.exportSession(id),
    (ex) => {
      const last = ex.messages.at(-1);
      return last?.role === 'assistant' && !!last.finishReason && last.finishReason !== 'tool_use';
    },
  );

/** Creates a session and starts its work the SDK's way: the task is a message. */
async function started(params: CreateSessionParams, text = 'go') {
  const s = await client.create(params);
  await client.sendMessage(s.id, { text });
  return s;
}

/** Reads the session's stream from `after` until `until` frames match or `ms` passes. */
async function frames(id: string, until: (e: { event: string; data: unknown }) => boolean, ms = 3_000, after?: string) {
  const ac = new AbortController();
  const t = setTimeout(() => ac.abort(), ms);
  const seen: { id?: string; event: string; data: unknown }[] = [];
  try {
    for await (const e of client.stream(id, { lastEventId: after, signal: ac.signal })) {
      seen.push(e);
      if (until(e)) break;
    }
  } catch (err) {
    if (!ac.signal.aborted) throw err;
  } finally {
    clearTimeout(t);
  }
  return seen;
}

// Every seed error example plus the seed's other stated checks: client params and the raw body.
const INVALID: { code: string; params: CreateSessionParams; body: Record<string, unknown> }[] = [
  {
    code: 'missing_title',
    params: { ...base, title: '   ' },
    body: { browserMode: 'local-browser-service' },
  },
  {
    code: 'invalid_prompt_mode',
    params: { ...base, promptMode: 'shout' as never, customSystemPrompt: 'hi' },
    body: { title: 't', browserMode: 'local-browser-service', promptMode: 'shout', customSystemPrompt: 'hi' },
  },
  {
    code: 'invalid_session_type',
    params: { ...base, sessionType: 'subagent' as never },
    body: { title: 't', browserMode: 'local-browser-service', sessionType: 'subagent' },
  },
  {
    code: 'prompt_size_exceeded_append',
    params: { ...base, promptMode: 'append', customSystemPrompt: 'x'.repeat(51_201) },
    body: {
      title: 't',
      browserMode: 'local-browser-service',
      promptMode: 'append',
      customSystemPrompt: 'x'.repeat(51_201),
    },
  },
  {
    code: 'prompt_size_exceeded_replace',
    params: { ...base, promptMode: 'replace', customSystemPrompt: 'x'.repeat(102_401) },
    body: {
      title: 't',
      browserMode: 'local-browser-service',
      promptMode: 'replace',
      customSystemPrompt: 'x'.repeat(102_401),
    },
  },
  {
    code: 'subagent_type_not_allowed',
    params: { ...base, subagentType: 'explorer' },
    body: { title: 't', browserMode: 'local-browser-service', subagentType: 'explorer' },
  },
  {
    code: 'missing_cdp_url',
    params: { ...base, browserMode: 'remote-cdp-websocket' },
    body: { title: 't', browserMode: 'remote-cdp-websocket' },
  },
  {
    code: 'invalid_cdp_url',
    params: { ...base, browserMode: 'remote-cdp-websocket', cdpUrl: 'https://connect.example.com/s/1' },
    body: { title: 't', browserMode: 'remote-cdp-websocket', cdpUrl: 'https://connect.example.com/s/1' },
  },
  {
    code: 'invalid_browser_mode',
    params: { ...base, browserMode: 'firefox' as never },
    body: { title: 't' },
  },
  {
    code: 'invalid_callback',
    params: { ...base, callbacks: [{ toolName: '*', type: 'send_message' }] },
    body: { title: 't', browserMode: 'local-browser-service', callbacks: [{ toolName: '*', type: 'send_message' }] },
  },
];

describe('create checks', () => {
  for (const c of INVALID) {
    it(`${c.code}: rejected client-side before any request`, async () => {
      const err = await caught(client.create(c.params));
      expect(err).toBeInstanceOf(BadRequestError);
      expect(err.code).toBe(c.code);
      expect(err.status).toBeUndefined();
      expect(await control.journal({ platform: 'mix' })).toEqual([]);
    });

    it(`${c.code}: rejected by the simulator with 400 and the SDK's five-value error type`, async () => {
      const err = await caught(
        raw.request({ method: 'POST', path: '/api/sessions', body: c.body, schema: sessionDataSchema }),
      );
      expect(err).toBeInstanceOf(BadRequestError);
      expect(err.status).toBe(400);
      // mix-python-sdk RESTError.type is a closed enum; the specific check leads the message.
      expect(err.code).toBe('bad_request');
      expect(err.message).toContain(c.code);
      expect(err.requestId).toMatch(/^req_/);
      expect((await client.list()).length).toBe(0);
    });
  }

  it('counts prompt size in bytes, not characters, and allows exactly the limit', async () => {
    // 17,067 three-byte characters = 51,201 bytes: over the append limit with far fewer characters.
    const euros = '€'.repeat(17_067);
    expect((await caught(client.create({ ...base, promptMode: 'append', customSystemPrompt: euros }))).code).toBe(
      'prompt_size_exceeded_append',
    );
    const rawErr = await caught(
      raw.request({
        method: 'POST',
        path: '/api/sessions',
        body: { ...base, promptMode: 'append', customSystemPrompt: euros },
        schema: sessionDataSchema,
      }),
    );
    expect([rawErr.code, rawErr.message.includes('prompt_size_exceeded_append')]).toEqual(['bad_request', true]);

    const atAppend = await client.create({ ...base, promptMode: 'append', customSystemPrompt: 'x'.repeat(51_200) });
    const atReplace = await client.create({ ...base, promptMode: 'replace', customSystemPrompt: 'x'.repeat(102_400) });
    expect(atAppend.id).not.toBe(atReplace.id);
  });

  it('drops the prompt in default mode (the platform ignores it there too)', async () => {
    const big = 'x'.repeat(200_000);
    await client.create({ ...base, customSystemPrompt: big });
    await client.create({ ...base, promptMode: 'default', customSystemPrompt: big });
    const sent = (await control.journal({ platform: 'mix', method: 'POST' })).map(
      (e) => e.body as Record<string, unknown>,
    );
    expect(sent).toHaveLength(2);
    for (const b of sent) expect(b).not.toHaveProperty('customSystemPrompt');

    // Sent anyway (raw), the simulator accepts it: no size check applies in default mode.
    const s = await raw.request({
      method: 'POST',
      path: '/api/sessions',
      body: { ...base, promptMode: 'default', customSystemPrompt: big },
      schema: sessionDataSchema,
    });
    expect(s.id).toMatch(/^sess_/);
  });

  it("accepts the seed example's empty subagent_type and an explicit main session type", async () => {
    const s = await client.create({
      ...base,
      sessionType: 'main',
      subagentType: '',
      browserMode: 'remote-cdp-websocket',
      cdpUrl: 'wss://connect.browserbase.com/v1/sessions/abc123',
    });
    expect(s.sessionType).toBe('main');
    const [entry] = await control.journal({ platform: 'mix', method: 'POST' });
    expect(entry!.body).not.toHaveProperty('subagentType');
  });
});

describe('sessions CRUD', () => {
  it('creates, gets, lists and deletes; unknown ids are 404', async () => {
    const created = await client.create({ ...base, title: 'CRUD script:long' });
    expect(created.title).toBe('CRUD script:long');
    expect(created).not.toHaveProperty('status'); // SDK SessionData has none
    expect(created.userMessageCount).toBe(0);
    await client.sendMessage(created.id, { text: 'find the papers', thinkingLevel: 'basic', maxSteps: 5 });
    const [send] = await control.journal({ platform: 'mix', route: '/api/sessions/{id}/messages' });
    // The one snake_case body of the Mix API (SDK SendMessageRequest).
    expect([send!.status, send!.body]).toEqual([
      202,
      { text: 'find the papers', thinking_level: 'basic', max_steps: 5 },
    ]);

    const got = await client.get(created.id);
    expect(got.firstUserMessage).toBe('find the papers');
    expect(got.id).toBe(created.id);
    expect(got.userMessageCount).toBe(1);
    expect((await client.list()).map((s) => s.id)).toEqual([created.id]);

    await client.delete(created.id);
    const gone = await caught(client.get(created.id));
    expect(gone).toBeInstanceOf(NotFoundError);
    expect(gone.code).toBe('not_found');
    expect(await caught(client.delete(created.id))).toBeInstanceOf(NotFoundError);
    expect(await client.list()).toEqual([]);
  });

  it('serves a client without a credential (the SDK sends none) and refuses an unknown key', async () => {
    const keyless = new MixClient({ platform: 'mix', alias: 'keyless', baseUrl: sb.baseUrl('mix') });
    const mine = await keyless.create(base);
    expect((await keyless.list()).map((s) => s.id)).toEqual([mine.id]);
    const [entry] = await control.journal({ platform: 'mix', method: 'POST' });
    expect(entry!.status).toBe(201);
    const stranger = new MixClient({
      platform: 'mix',
      alias: 'nobody',
      baseUrl: sb.baseUrl('mix'),
      secret: 'not-a-key',
    });
    const err = await caught(stranger.list());
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect(err.code).toBe('unauthorized');
  });

  it('sends includeSubagents and hides subagent sessions unless asked', async () => {
    // A sub_agent callback spawns a subagent session after the first tool completion.
    const s = await started({
      ...base,
      callbacks: [{ toolName: '*', type: 'sub_agent', subAgentPrompt: 'double-check' }],
    });
    await settled(s.id);
    const mains = await client.list({ includeSubagents: false });
    const all = await client.list({ includeSubagents: true });
    expect(mains.map((x) => x.id)).toEqual([s.id]);
    expect(all).toHaveLength(2);
    expect(all.find((x) => x.id !== s.id)!.sessionType).toBe('subagent');
    const lists = await control.journal({ platform: 'mix', method: 'GET', route: '/api/sessions' });
    expect(lists.map((e) => e.path)).toEqual(['/api/sessions', '/api/sessions']);
  });
});

describe('callbacks', () => {
  it('stores, returns and clears callbacks; send_message callbacks inject user messages', async () => {
    const s = await client.create({ ...base, title: 'cb script:long' });
    const updated = await client.updateSessionCallbacks(s.id, [
      {
        toolName: '*',
        type: 'send_message',
        name: 'Log Output',
        messageContent: 'Please review the changes and run tests',
      },
      { toolName: 'bash', type: 'bash_script', bashCommand: 'echo $CALLBACK_TOOL_NAME' },
    ]);
    expect(updated.callbacks?.map((c) => c.type)).toEqual(['send_message', 'bash_script']);
    expect((await client.get(s.id)).callbacks?.[0]?.messageContent).toBe('Please review the changes and run tests');

    const cleared = await client.updateSessionCallbacks(s.id, []);
    expect(cleared.callbacks).toEqual([]);
    expect((await client.get(s.id)).callbacks).toEqual([]);

    // Server-side check, bypassing the client.
    const err = await caught(
      raw.request({
        method: 'PATCH',
        path: `/api/sessions/${s.id}/callbacks`,
        body: { callbacks: [{ type: 'bash_script', toolName: '*' }] },
        schema: sessionDataSchema,
      }),
    );
    expect([err.status, err.code, err.message.includes('invalid_callback')]).toEqual([400, 'bad_request', true]);
    expect((await caught(client.updateSessionCallbacks('sess_missing', []))).status).toBe(404);

    const live = await started({
      ...base,
      callbacks: [{ toolName: '*', type: 'send_message', messageContent: 'run the tests' }],
    });
    await settled(live.id);
    const ex = await client.exportSession(live.id);
    const injected = ex.messages.filter((m) => m.role === 'user' && m.content === 'run the tests');
    expect(injected).toHaveLength(3); // one per completed tool call in the default script
  });
});

describe('export, rewind, cancel', () => {
  it('exports the whole transcript once the run finished', async () => {
    const s = await started(base, 'summarise the repo');
    await settled(s.id);
    const ex = await client.exportSession(s.id);
    expect(ex.id).toBe(s.id);
    expect(ex.messages.map((m) => [m.role, m.finishReason ?? null])).toEqual([
      ['user', null],
      ['assistant', 'tool_use'],
      ['assistant', 'tool_use'],
      ['assistant', 'tool_use'],
      ['assistant', 'end_turn'],
    ]);
    expect(ex.messages[0]!.content).toBe('summarise the repo');
    expect(ex.messages[4]!.content).toBe('done');
    // SDK ExportToolCall: input is a string, type a string, finished a boolean.
    expect(ex.messages[1]!.toolCalls?.[0]).toMatchObject({
      name: 'Bash',
      type: 'tool_use',
      finished: true,
      input: expect.any(String),
    });
    expect(new Set(ex.messages.map((m) => m.id)).size).toBe(5);
    expect((await caught(client.exportSession('sess_missing'))).status).toBe(404);
  });

  it('rewinds to a message, keeping it and dropping the rest; unknown or missing ids fail', async () => {
    const s = await started(base);
    await settled(s.id);
    const before = (await client.exportSession(s.id)).messages;
    const after = await client.rewindSession(s.id, { messageId: before[1]!.id, cleanupMedia: true });
    expect(after.assistantMessageCount).toBe(1);
    const kept = (await client.exportSession(s.id)).messages;
    expect(kept.map((m) => m.id)).toEqual([before[0]!.id, before[1]!.id]);
    const [rewindCall] = await control.journal({ platform: 'mix', route: '/api/sessions/{id}/rewind' });
    expect(rewindCall!.body).toEqual({ messageId: before[1]!.id, cleanupMedia: true });

    expect(await caught(client.rewindSession(s.id, { messageId: before[3]!.id }))).toBeInstanceOf(NotFoundError);
    expect(await caught(client.rewindSession('sess_missing', { messageId: before[0]!.id }))).toBeInstanceOf(
      NotFoundError,
    );

    await control.clearJournal();
    const local = await caught(client.rewindSession(s.id, { messageId: '' }));
    expect([local.status, local.code]).toEqual([undefined, 'missing_message_id']);
    expect(await control.journal({ platform: 'mix' })).toEqual([]);
    const remote = await caught(
      raw.request({ method: 'POST', path: `/api/sessions/${s.id}/rewind`, body: {}, schema: sessionDataSchema }),
    );
    expect([remote.status, remote.code, remote.message.includes('missing_message_id')]).toEqual([
      400,
      'bad_request',
      true,
    ]);
  });

  it('cancels processing; a second cancel is a harmless no-op', async () => {
    const s = await started({ ...base, title: 'cancel me script:long' });
    await waitFor(
      () => client.get(s.id),
      (x) => (x.assistantMessageCount ?? 0) >= 1,
    );

    expect(await client.cancelProcessing(s.id)).toMatchObject({ cancelled: true });
    expect(await client.cancelProcessing(s.id)).toMatchObject({ cancelled: false });
    const seen = await frames(s.id, (e) => e.event === 'error');
    expect(seen.filter((e) => e.event === 'error').map((e) => e.data)).toEqual([
      { type: 'cancelled', error: 'processing cancelled' },
    ]);
    expect(await caught(client.cancelProcessing('sess_missing'))).toBeInstanceOf(NotFoundError);
  });
});

describe('Mix session adapter', () => {
  const input = (task: string, mix: Record<string, unknown> = {}) =>
    agentSessionInput().parse({ platform: 'mix', task, mix });

  async function followToEnd(ref: SessionRef, cursors: string[]): Promise<{ last: FollowResult; all: FollowResult[] }> {
    const all: FollowResult[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 50; i++) {
      const r = await adapter.follow(
        ref,
        cursor,
        { maxEvents: 2, maxMs: 2_000, pollMs: 5 },
        { progress: (c) => cursors.push(c!) },
      );
      all.push(r);
      cursor = r.cursor;
      if (r.status !== 'running') return { last: r, all };
    }
    throw new Error('session never ended');
  }

  it('creates with the task, follows to completed, exports and deletes on clean-up', async () => {
    const created = await adapter.create(input("Summarise today's AI news\nwith sources"), {
      idempotencyKey: 'wf-1/create',
    });
    expect(created.status).toBe('running');
    expect(created.ref).toMatchObject({ platform: 'mix', alias: 'default' });
    const session = await client.get(created.ref.sessionId);
    expect(session.title).toMatch(/^Summarise today's AI news with sources \[sb:[0-9a-f]{12}\]$/);
    // The task went through the message endpoint (the SDK's way), not the create body.
    expect(session.firstUserMessage).toBe("Summarise today's AI news\nwith sources");
    const [createCall] = await control.journal({ platform: 'mix', method: 'POST', route: '/api/sessions' });
    expect(createCall!.body).not.toHaveProperty('firstUserMessage');

    // Same key again (an activity retry): found by its marker, so no second create and no second task,
    // without any help from Idempotency-Key (which Mix does not document).
    await control.clearJournal();
    const again = await adapter.create(input("Summarise today's AI news\nwith sources"), {
      idempotencyKey: 'wf-1/create',
      attempt: 2,
    });
    expect(again.ref.sessionId).toBe(created.ref.sessionId);
    expect(await client.list()).toHaveLength(1);
    expect((await control.journal({ platform: 'mix', method: 'POST' })).map((e) => e.route)).toEqual([]);

    const cursors: string[] = [];
    const { last, all } = await followToEnd(created.ref, cursors);
    expect(last.status).toBe('completed');
    expect(last.platformStatus).toBe('complete');
    expect(last.result).toBe('done');
    const entries = all.flatMap((r) => r.entries);
    const step = ['agent:message', 'agent:tool_call', 'agent:tool_result'];
    expect(entries.map((e) => `${e.role}:${e.kind}`)).toEqual([
      'user:message',
      ...step,
      ...step,
      ...step,
      'agent:message',
      'system:complete',
    ]);
    expect(new Set(entries.map((e) => e.id)).size).toBe(entries.length); // no entry twice across batches
    expect(cursors.length).toBeGreaterThan(0);
    // Heartbeats stop just before the boundary frame (`complete`), which only the result carries.
    expect(Number(cursors.at(-1))).toBe(Number(last.cursor) - 1);

    // Following again from the final cursor yields nothing new.
    const idle = await adapter.follow(
      created.ref,
      last.cursor,
      { maxEvents: 100, maxMs: 500, pollMs: 5 },
      { progress: () => {} },
    );
    expect([idle.status, idle.entries.length]).toEqual(['completed', 0]);

    const { exportedTranscript } = await adapter.cleanup(
      created.ref,
      { deleteOnPlatform: true },
      { idempotencyKey: 'wf-1/cleanup' },
    );
    const exported = exportSessionSchema.parse(JSON.parse(exportedTranscript!));
    // Every exported message is in the transcript under its own Mix id (what rewind takes).
    expect(exported.messages.map((m) => m.id)).toEqual(entries.filter((e) => e.kind === 'message').map((e) => e.id));
    expect(await caught(client.get(created.ref.sessionId))).toBeInstanceOf(NotFoundError);

    // A retried clean-up after the delete went through is not an error.
    expect(
      await adapter.cleanup(created.ref, { deleteOnPlatform: true }, { idempotencyKey: 'wf-1/cleanup-2' }),
    ).toEqual({});
  });

  it('cancels mid-run: follow reports cancelled, cancel twice is safe, clean-up keeps the session', async () => {
    const { ref } = await adapter.create(input('Crawl everything script:long'), { idempotencyKey: 'wf-2/create' });
    const first = await adapter.follow(
      ref,
      undefined,
      { maxEvents: 100, maxMs: 150, pollMs: 5 },
      { progress: () => {} },
    );
    expect(first.status).toBe('running');
    expect(first.entries[0]).toMatchObject({ role: 'user', text: 'Crawl everything script:long' });

    await adapter.cancel(ref, { idempotencyKey: 'wf-2/cancel' });
    await adapter.cancel(ref, { idempotencyKey: 'wf-2/cancel-again' });
    const after = await adapter.follow(
      ref,
      first.cursor,
      { maxEvents: 100, maxMs: 1_000, pollMs: 5 },
      { progress: () => {} },
    );
    expect([after.status, after.platformStatus]).toEqual(['cancelled', 'cancelled']);

    const { exportedTranscript } = await adapter.cleanup(ref, { deleteOnPlatform: false }, {});
    expect((JSON.parse(exportedTranscript!) as { id: string }).id).toBe(ref.sessionId);
    expect((await client.get(ref.sessionId)).id).toBe(ref.sessionId);

    // Cancel on a deleted session is still safe.
    await client.delete(ref.sessionId);
    await adapter.cancel(ref, {});
  });

  it('reports a failed run with its error', async () => {
    const { ref } = await adapter.create(input('Break script:fail'), { idempotencyKey: 'wf-3/create' });
    const r = await adapter.follow(ref, undefined, { maxEvents: 100, maxMs: 2_000, pollMs: 5 }, { progress: () => {} });
    expect([r.status, r.error]).toEqual(['failed', 'agent crashed']);
  });

  it('sets callbacks (seed spelling accepted) and rewinds', async () => {
    const { ref } = await adapter.create(input('Plan a trip'), { idempotencyKey: 'wf-4/create' });
    const done = await adapter.follow(
      ref,
      undefined,
      { maxEvents: 100, maxMs: 2_000, pollMs: 5 },
      { progress: () => {} },
    );
    expect(done.status).toBe('completed');

    await adapter.setCallbacks!(
      ref,
      [{ tool_name: '*', type: 'send_message', message_content: 'Please review', name: 'Log Output' }],
      {},
    );
    expect((await client.get(ref.sessionId)).callbacks).toEqual([
      { toolName: '*', type: 'send_message', messageContent: 'Please review', name: 'Log Output' },
    ]);
    await adapter.setCallbacks!(ref, [], {});
    expect((await client.get(ref.sessionId)).callbacks).toEqual([]);

    await adapter.rewind!(ref, done.entries[0]!.id, false, {});
    expect((await client.exportSession(ref.sessionId)).messages.map((m) => m.id)).toEqual([done.entries[0]!.id]);
  });

  it('rejects bad options before any request', async () => {
    const bad = input('x');
    if (bad.platform !== 'mix') throw new Error('unreachable');
    // Bypass the workflow schema, as a caller of the activity could.
    const err = await caught(
      adapter.create(
        { ...bad, mix: { ...bad.mix, promptMode: 'replace', customSystemPrompt: 'y'.repeat(102_401) } },
        { idempotencyKey: 'wf-5/create' },
      ),
    );
    expect([err.name, err.code]).toEqual(['BadRequestError', 'prompt_size_exceeded_replace']);
    // Only the marker lookup (a read) went out.
    expect((await control.journal({ platform: 'mix' })).map((e) => e.method)).toEqual(['GET']);
  });

  it('refuses a create without a stable idempotency key (it names the marker)', async () => {
    await expect(adapter.create(input('x'), {})).rejects.toThrow(/stable idempotency key/);
  });

  it('sends later messages: one in a running turn reaches the agent, one after the turn starts the next', async () => {
    const { ref } = await adapter.create(input('Write a poem'), { idempotencyKey: 'wf-6/create' });
    const first = await adapter.follow(
      ref,
      undefined,
      { maxEvents: 100, maxMs: 2_000, pollMs: 5 },
      { progress: () => {} },
    );
    expect(first.status).toBe('completed');
    await adapter.sendMessage!(ref, 'now shorter', { idempotencyKey: 'wf-6/msg-1', attempt: 1 });
    // A retry of the same send (the first reached Mix, its answer was lost) sends nothing more.
    await adapter.sendMessage!(ref, 'now shorter', { idempotencyKey: 'wf-6/msg-1', attempt: 2 });
    const second = await adapter.follow(
      ref,
      first.cursor,
      { maxEvents: 100, maxMs: 2_000, pollMs: 5 },
      { progress: () => {} },
    );
    expect(second.status).toBe('completed');
    expect(second.entries.filter((e) => e.role === 'user').map((e) => e.text)).toEqual(['now shorter']);
    const sends = await control.journal({ platform: 'mix', route: '/api/sessions/{id}/messages', method: 'POST' });
    expect(sends.map((e) => (e.body as { text: string }).text)).toEqual(['Write a poem', 'now shorter']);
  });

  it('a steering message with requestedAt: a crash re-run (attempt 1 again) finds its message by text and time; a later deliberate repeat is sent', async () => {
    const { ref } = await adapter.create(input('Keep at it script:long'), { idempotencyKey: 'wf-6b/create' });
    const requestedAt = Date.now();
    await adapter.sendMessage!(ref, 'same words', { idempotencyKey: 'wf-6b/op/1', attempt: 1 }, { requestedAt });
    // A new worker re-runs the local activity from attempt 1 with the same requestedAt: nothing more is sent.
    await adapter.sendMessage!(ref, 'same words', { idempotencyKey: 'wf-6b/op/1', attempt: 1 }, { requestedAt });
    // The same words again, accepted later than the skew allowance after the first: a deliberate repeat.
    const later = Date.now() + MIX_SEND_SKEW_MS + 100;
    await adapter.sendMessage!(ref, 'same words', { idempotencyKey: 'wf-6b/op/2', attempt: 1 }, { requestedAt: later });
    const sends = await control.journal({ platform: 'mix', route: '/api/sessions/{id}/messages', method: 'POST' });
    expect(sends.map((e) => (e.body as { text: string }).text)).toEqual([
      'Keep at it script:long',
      'same words',
      'same words',
    ]);
    // The look-up reads the export (its messages carry createdAt), on every send.
    expect(await control.journal({ platform: 'mix', route: '/api/sessions/{id}/export', method: 'GET' })).toHaveLength(
      3,
    );
    await adapter.cancel(ref, {});
  });

  it("turns the agent's question (a notification) into an input request and answers it once", async () => {
    const { ref } = await adapter.create(input('Pick one script:ask'), { idempotencyKey: 'wf-7/create' });
    const cursors: string[] = [];
    const asked = await adapter.follow(
      ref,
      undefined,
      { maxEvents: 100, maxMs: 2_000, pollMs: 5 },
      { progress: (c) => cursors.push(c!) },
    );
    expect(asked.status).toBe('awaiting_input');
    expect(asked.pendingInput).toMatchObject({ requestId: expect.stringMatching(/^notif_/), prompt: 'Which option?' });
    // The question's own frame is never heartbeated: an attempt that dies here re-reads it.
    expect(cursors).not.toContain(asked.cursor);
    const retried = await adapter.follow(
      ref,
      cursors.at(-1),
      { maxEvents: 100, maxMs: 2_000, pollMs: 5 },
      { progress: () => {} },
    );
    expect(retried.pendingInput?.requestId).toBe(asked.pendingInput!.requestId);

    await adapter.answerInput!(ref, asked.pendingInput!.requestId, 'the second', { idempotencyKey: 'wf-7/answer' });
    const [respond] = await control.journal({ platform: 'mix', route: '/api/notifications/{id}/respond' });
    expect([respond!.status, respond!.body]).toEqual([204, { type: 'text', value: 'the second' }]);
    const again = await caught(
      client.respondToNotification(asked.pendingInput!.requestId, { type: 'text', value: 'twice' }),
    );
    expect(again).toBeInstanceOf(NotFoundError);
    const done = await adapter.follow(
      ref,
      asked.cursor,
      { maxEvents: 100, maxMs: 2_000, pollMs: 5 },
      { progress: () => {} },
    );
    expect(done.status).toBe('completed');
  });

  it('turns a permission into a pending input with what to show, and answers it once: a retry that finds it answered succeeds', async () => {
    await control.script('perm-once', [
      {
        type: 'ask',
        prompt: 'Clean up',
        meta: { mix: 'permission', toolName: 'Bash', action: 'rm -rf build/', path: 'build/' },
      },
      { type: 'finish', result: 'ok' },
    ]);
    const { ref } = await adapter.create(input('Clean script:perm-once'), { idempotencyKey: 'wf-perm/create' });
    const asked = await adapter.follow(
      ref,
      undefined,
      { maxEvents: 100, maxMs: 2_000, pollMs: 5 },
      { progress: () => {} },
    );
    expect(asked).toMatchObject({ status: 'awaiting_input', platformStatus: 'permission' });
    expect(asked.pendingInput!.data).toEqual({
      gate: 'permission',
      platform: 'mix',
      id: asked.pendingInput!.requestId,
      toolName: 'Bash',
      action: 'rm -rf build/',
      description: 'Clean up',
      path: 'build/',
    });
    const id = asked.pendingInput!.requestId;
    expect(await adapter.answerPlatformGate!(ref, id, { gate: 'permission', grant: true }, { attempt: 1 })).toBe(
      'granted',
    );
    // Mix refuses a second answer as not found: on a retry that means the first one landed…
    expect(await adapter.answerPlatformGate!(ref, id, { gate: 'permission', grant: true }, { attempt: 2 })).toBe(
      'granted (by an earlier attempt)',
    );
    // …on a first attempt it is a real failure.
    expect(
      await caught(adapter.answerPlatformGate!(ref, id, { gate: 'permission', grant: false }, { attempt: 1 })),
    ).toBeInstanceOf(NotFoundError);
    const grants = await control.journal({ platform: 'mix', route: '/api/permissions/{id}/grant' });
    expect(grants.map((g) => g.status)).toEqual([200, 404]);
    expect(
      (await adapter.follow(ref, asked.cursor, { maxEvents: 100, maxMs: 2_000, pollMs: 5 }, { progress: () => {} }))
        .status,
    ).toBe('completed');
  });

  it("answers a choice question in the question's terms; the simulator refuses a choice not offered and expires an unanswered one", async () => {
    await control.script('choice-q', [
      { type: 'ask', prompt: 'Region?', meta: { responseType: 'choice', choices: ['eu', 'us'], timeoutSeconds: 30 } },
      { type: 'ask', prompt: 'Noted?', meta: { responseType: 'acknowledge', timeoutSeconds: 1 } },
      { type: 'finish', result: 'ok' },
    ]);
    const { ref } = await adapter.create(input('Pick script:choice-q'), { idempotencyKey: 'wf-choice/create' });
    const asked = await adapter.follow(
      ref,
      undefined,
      { maxEvents: 100, maxMs: 2_000, pollMs: 5 },
      { progress: () => {} },
    );
    expect(asked.pendingInput!.data).toMatchObject({
      gate: 'question',
      responseType: 'choice',
      choices: ['eu', 'us'],
      timeoutSeconds: 30,
      askedAt: expect.any(Number),
    });
    const id = asked.pendingInput!.requestId;
    expect((await caught(client.respondToNotification(id, { type: 'choice', value: 'apac' }))).status).toBe(400);
    expect((await caught(client.respondToNotification(id, { type: 'text', value: 'eu' }))).status).toBe(400);
    expect(await adapter.answerPlatformGate!(ref, id, { gate: 'question', type: 'choice', value: 'us' }, {})).toBe(
      'answered (choice)',
    );
    const ack = await adapter.follow(
      ref,
      asked.cursor,
      { maxEvents: 100, maxMs: 2_000, pollMs: 5 },
      { progress: () => {} },
    );
    expect(ack.pendingInput!.data).toMatchObject({ responseType: 'acknowledge', timeoutSeconds: 1 });
    // Nobody answers: the platform gives up at its timeout and the agent goes on.
    const done = await adapter.follow(
      ref,
      ack.cursor,
      { maxEvents: 100, maxMs: 3_000, pollMs: 5 },
      { progress: () => {} },
    );
    expect(done.status).toBe('completed');
    const late = await caught(client.respondToNotification(ack.pendingInput!.requestId, { type: 'acknowledge' }));
    expect(late).toBeInstanceOf(NotFoundError);
    expect(late.message).toContain('expired');
  });

  it('resumes the stream after Last-Event-ID: nothing lost, nothing repeated', async () => {
    const s = await started(base);
    const all = await frames(s.id, (e) => e.event === 'complete');
    const ids = all.filter((e) => e.event !== 'connected').map((e) => Number(e.id));
    expect(ids).toEqual(ids.map((_, i) => i + 1));
    const mid = String(ids[Math.floor(ids.length / 2)]);
    const rest = await frames(s.id, (e) => e.event === 'complete', 3_000, mid);
    expect(rest.filter((e) => e.event !== 'connected').map((e) => Number(e.id))).toEqual(
      ids.filter((i) => i > Number(mid)),
    );
  });
});
