/**
 * Mix: client, simulator and session adapter, against the in-process sandbox over real HTTP.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMixAdapter } from '../../src/activities/sessions/mix.js';
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
  raw = new HttpClient({ platform: 'mix', baseUrl: sb.baseUrl('mix'), authHeaders: { authorization: `Bearer ${KEY}` } });
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

const settled = (id: string) =>
  waitFor(
    () => client.get(id),
    (s) => s.status !== 'processing',
  );

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
    body: { title: 't', browserMode: 'local-browser-service', promptMode: 'append', customSystemPrompt: 'x'.repeat(51_201) },
  },
  {
    code: 'prompt_size_exceeded_replace',
    params: { ...base, promptMode: 'replace', customSystemPrompt: 'x'.repeat(102_401) },
    body: { title: 't', browserMode: 'local-browser-service', promptMode: 'replace', customSystemPrompt: 'x'.repeat(102_401) },
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

    it(`${c.code}: rejected by the simulator with 400`, async () => {
      const err = await caught(raw.request({ method: 'POST', path: '/api/sessions', body: c.body, schema: sessionDataSchema }));
      expect(err).toBeInstanceOf(BadRequestError);
      expect(err.status).toBe(400);
      expect(err.code).toBe(c.code);
      expect(err.requestId).toMatch(/^req_/);
      expect((await client.list()).length).toBe(0);
    });
  }

  it('counts prompt size in bytes, not characters, and allows exactly the limit', async () => {
    // 17,067 three-byte characters = 51,201 bytes: over the append limit with far fewer characters.
    const euros = '€'.repeat(17_067);
    expect((await caught(client.create({ ...base, promptMode: 'append', customSystemPrompt: euros }))).code).toBe('prompt_size_exceeded_append');
    const rawErr = await caught(
      raw.request({ method: 'POST', path: '/api/sessions', body: { ...base, promptMode: 'append', customSystemPrompt: euros }, schema: sessionDataSchema }),
    );
    expect(rawErr.code).toBe('prompt_size_exceeded_append');

    const atAppend = await client.create({ ...base, promptMode: 'append', customSystemPrompt: 'x'.repeat(51_200) });
    const atReplace = await client.create({ ...base, promptMode: 'replace', customSystemPrompt: 'x'.repeat(102_400) });
    expect(atAppend.id).not.toBe(atReplace.id);
  });

  it('drops the prompt in default mode (the platform ignores it there too)', async () => {
    const big = 'x'.repeat(200_000);
    await client.create({ ...base, customSystemPrompt: big });
    await client.create({ ...base, promptMode: 'default', customSystemPrompt: big });
    const sent = (await control.journal({ platform: 'mix', method: 'POST' })).map((e) => e.body as Record<string, unknown>);
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
    const created = await client.create({ ...base, title: 'CRUD script:long', firstUserMessage: 'find the papers' });
    expect(created.title).toBe('CRUD script:long');
    expect(created.status).toBe('processing');
    expect(created.firstUserMessage).toBe('find the papers');

    const got = await client.get(created.id);
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

  it('needs the bearer key', async () => {
    const stranger = new MixClient({ platform: 'mix', alias: 'nobody', baseUrl: sb.baseUrl('mix') });
    const err = await caught(stranger.list());
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect(err.code).toBe('unauthorized');
  });

  it('sends includeSubagents and hides subagent sessions unless asked', async () => {
    // A sub_agent callback spawns a subagent session after the first tool completion.
    const s = await client.create({ ...base, callbacks: [{ toolName: '*', type: 'sub_agent', subAgentPrompt: 'double-check' }] });
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
      { toolName: '*', type: 'send_message', name: 'Log Output', messageContent: 'Please review the changes and run tests' },
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
    expect([err.status, err.code]).toEqual([400, 'invalid_callback']);
    expect((await caught(client.updateSessionCallbacks('sess_missing', []))).status).toBe(404);

    const live = await client.create({ ...base, callbacks: [{ toolName: '*', type: 'send_message', messageContent: 'run the tests' }] });
    await settled(live.id);
    const ex = await client.exportSession(live.id);
    const injected = ex.messages.filter((m) => m.role === 'user' && m.content === 'run the tests');
    expect(injected).toHaveLength(3); // one per completed tool call in the default script
  });
});

describe('export, rewind, cancel', () => {
  it('exports the whole transcript once the run finished', async () => {
    const s = await client.create({ ...base, firstUserMessage: 'summarise the repo' });
    expect((await settled(s.id)).status).toBe('idle');
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
    expect(ex.messages[1]!.toolCalls?.[0]?.name).toBe('bash');
    expect(new Set(ex.messages.map((m) => m.id)).size).toBe(5);
    expect((await caught(client.exportSession('sess_missing'))).status).toBe(404);
  });

  it('rewinds to a message, keeping it and dropping the rest; unknown or missing ids fail', async () => {
    const s = await client.create({ ...base, firstUserMessage: 'go' });
    await settled(s.id);
    const before = (await client.exportSession(s.id)).messages;
    const after = await client.rewindSession(s.id, { messageId: before[1]!.id, cleanupMedia: true });
    expect(after.assistantMessageCount).toBe(1);
    const kept = (await client.exportSession(s.id)).messages;
    expect(kept.map((m) => m.id)).toEqual([before[0]!.id, before[1]!.id]);
    const [rewindCall] = await control.journal({ platform: 'mix', route: '/api/sessions/{id}/rewind' });
    expect(rewindCall!.body).toEqual({ messageId: before[1]!.id, cleanupMedia: true });

    expect(await caught(client.rewindSession(s.id, { messageId: before[3]!.id }))).toBeInstanceOf(NotFoundError);
    expect(await caught(client.rewindSession('sess_missing', { messageId: before[0]!.id }))).toBeInstanceOf(NotFoundError);

    await control.clearJournal();
    const local = await caught(client.rewindSession(s.id, { messageId: '' }));
    expect([local.status, local.code]).toEqual([undefined, 'missing_message_id']);
    expect(await control.journal({ platform: 'mix' })).toEqual([]);
    const remote = await caught(raw.request({ method: 'POST', path: `/api/sessions/${s.id}/rewind`, body: {}, schema: sessionDataSchema }));
    expect([remote.status, remote.code]).toEqual([400, 'missing_message_id']);
  });

  it('cancels processing; a second cancel is a harmless no-op', async () => {
    const s = await client.create({ ...base, title: 'cancel me script:long' });
    await waitFor(
      () => client.get(s.id),
      (x) => (x.assistantMessageCount ?? 0) >= 1,
    );
    expect((await client.get(s.id)).status).toBe('processing');

    expect(await client.cancelProcessing(s.id)).toMatchObject({ cancelled: true });
    expect((await client.get(s.id)).status).toBe('cancelled');
    expect(await client.cancelProcessing(s.id)).toMatchObject({ cancelled: false });
    expect((await client.get(s.id)).status).toBe('cancelled');
    expect(await caught(client.cancelProcessing('sess_missing'))).toBeInstanceOf(NotFoundError);
  });
});

describe('Mix session adapter', () => {
  const input = (task: string, mix: Record<string, unknown> = {}) => agentSessionInput().parse({ platform: 'mix', task, mix });

  async function followToEnd(ref: SessionRef, cursors: string[]): Promise<{ last: FollowResult; all: FollowResult[] }> {
    const all: FollowResult[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 50; i++) {
      const r = await adapter.follow(ref, cursor, { maxEvents: 2, maxMs: 2_000, pollMs: 5 }, { progress: (c) => cursors.push(c!) });
      all.push(r);
      cursor = r.cursor;
      if (r.status !== 'running') return { last: r, all };
    }
    throw new Error('session never ended');
  }

  it('creates with the task, follows to completed, exports and deletes on clean-up', async () => {
    const created = await adapter.create(input("Summarise today's AI news\nwith sources"), { idempotencyKey: 'wf-1/create' });
    expect(created.status).toBe('running');
    expect(created.ref).toMatchObject({ platform: 'mix', alias: 'default' });
    const session = await client.get(created.ref.sessionId);
    expect(session.title).toBe("Summarise today's AI news with sources");
    expect(session.firstUserMessage).toBe("Summarise today's AI news\nwith sources");

    // Same key again (an activity retry): the same session, not a second one.
    const again = await adapter.create(input("Summarise today's AI news\nwith sources"), { idempotencyKey: 'wf-1/create' });
    expect(again.ref.sessionId).toBe(created.ref.sessionId);
    expect(await client.list()).toHaveLength(1);

    const cursors: string[] = [];
    const { last, all } = await followToEnd(created.ref, cursors);
    expect(last.status).toBe('completed');
    expect(last.platformStatus).toBe('idle');
    expect(last.result).toBe('done');
    const entries = all.flatMap((r) => r.entries);
    expect(entries.map((e) => `${e.role}:${e.kind}`)).toEqual(['user:message', 'agent:tool_call', 'agent:tool_call', 'agent:tool_call', 'agent:message']);
    expect(new Set(entries.map((e) => e.id)).size).toBe(entries.length); // no entry twice across batches
    expect(cursors.length).toBeGreaterThan(0);
    expect(cursors.at(-1)).toBe(last.cursor);

    // Following again from the final cursor yields nothing new.
    const idle = await adapter.follow(created.ref, last.cursor, { maxEvents: 100, maxMs: 500, pollMs: 5 }, { progress: () => {} });
    expect([idle.status, idle.entries.length]).toEqual(['completed', 0]);

    const { exportedTranscript } = await adapter.cleanup(created.ref, { deleteOnPlatform: true }, { idempotencyKey: 'wf-1/cleanup' });
    const exported = exportSessionSchema.parse(JSON.parse(exportedTranscript!));
    expect(exported.messages.map((m) => m.id)).toEqual(entries.map((e) => e.id));
    expect(await caught(client.get(created.ref.sessionId))).toBeInstanceOf(NotFoundError);

    // A retried clean-up after the delete went through is not an error.
    expect(await adapter.cleanup(created.ref, { deleteOnPlatform: true }, { idempotencyKey: 'wf-1/cleanup-2' })).toEqual({});
  });

  it('cancels mid-run: follow reports cancelled, cancel twice is safe, clean-up keeps the session', async () => {
    const { ref } = await adapter.create(input('Crawl everything script:long'), {});
    const first = await adapter.follow(ref, undefined, { maxEvents: 100, maxMs: 150, pollMs: 5 }, { progress: () => {} });
    expect(first.status).toBe('running');
    expect(first.entries[0]).toMatchObject({ role: 'user', text: 'Crawl everything script:long' });

    await adapter.cancel(ref, { idempotencyKey: 'wf-2/cancel' });
    await adapter.cancel(ref, { idempotencyKey: 'wf-2/cancel-again' });
    const after = await adapter.follow(ref, first.cursor, { maxEvents: 100, maxMs: 1_000, pollMs: 5 }, { progress: () => {} });
    expect([after.status, after.platformStatus]).toEqual(['cancelled', 'cancelled']);

    const { exportedTranscript } = await adapter.cleanup(ref, { deleteOnPlatform: false }, {});
    expect(JSON.parse(exportedTranscript!).id).toBe(ref.sessionId);
    expect((await client.get(ref.sessionId)).status).toBe('cancelled');

    // Cancel on a deleted session is still safe.
    await client.delete(ref.sessionId);
    await adapter.cancel(ref, {});
  });

  it('reports a failed run with its error', async () => {
    const { ref } = await adapter.create(input('Break script:fail'), {});
    const r = await adapter.follow(ref, undefined, { maxEvents: 100, maxMs: 2_000, pollMs: 5 }, { progress: () => {} });
    expect([r.status, r.error]).toEqual(['failed', 'agent crashed']);
  });

  it('sets callbacks (seed spelling accepted) and rewinds', async () => {
    const { ref } = await adapter.create(input('Plan a trip'), {});
    const done = await adapter.follow(ref, undefined, { maxEvents: 100, maxMs: 2_000, pollMs: 5 }, { progress: () => {} });
    expect(done.status).toBe('completed');

    await adapter.setCallbacks!(ref, [{ tool_name: '*', type: 'send_message', message_content: 'Please review', name: 'Log Output' }], {});
    expect((await client.get(ref.sessionId)).callbacks).toEqual([{ toolName: '*', type: 'send_message', messageContent: 'Please review', name: 'Log Output' }]);
    await adapter.setCallbacks!(ref, [], {});
    expect((await client.get(ref.sessionId)).callbacks).toEqual([]);

    await adapter.rewind!(ref, done.entries[0]!.id, false, {});
    expect((await client.exportSession(ref.sessionId)).messages.map((m) => m.id)).toEqual([done.entries[0]!.id]);
  });

  it('rejects bad options before any request', async () => {
    const bad = input('x');
    if (bad.platform !== 'mix') throw new Error('unreachable');
    // Bypass the workflow schema, as a caller of the activity could.
    const err = await caught(adapter.create({ ...bad, mix: { ...bad.mix, promptMode: 'replace', customSystemPrompt: 'y'.repeat(102_401) } }, {}));
    expect([err.name, err.code]).toEqual(['BadRequestError', 'prompt_size_exceeded_replace']);
    expect(await control.journal({ platform: 'mix' })).toEqual([]);
  });
});
