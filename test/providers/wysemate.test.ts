/**
 * Wyse Mate: provider client and session adapter against the in-process sandbox, over real HTTP.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createWyseMateAdapter } from '../../src/activities/sessions/wysemate.js';
import type {
  FollowCursor,
  SessionAdapter,
  SessionRef,
  TranscriptEntry,
} from '../../src/activities/sessions/contract.js';
import { Credentials, parseEnv } from '../../src/config.js';
import { BadRequestError, NotFoundError, UnauthorizedError, UnprocessableError } from '../../src/providers/errors.js';
import { collect } from '../../src/providers/pagination.js';
import { ProviderRegistry } from '../../src/providers/registry.js';
import { WyseMateClient } from '../../src/providers/wysemate/client.js';
import { ROUTES } from '../../src/providers/wysemate/routes.js';
import { KeyRing, type RunningSandbox, startSandbox } from '../../src/sandbox/server.js';
import { agentSessionInput } from '../../src/contracts/sessions.js';

let sb: RunningSandbox;
let client: WyseMateClient;
let adapter: SessionAdapter;

beforeAll(async () => {
  sb = await startSandbox({ tickMs: 5 });
  const baseUrl = sb.baseUrl('wysemate');
  client = new WyseMateClient({
    platform: 'wysemate',
    alias: 'default',
    baseUrl,
    secret: KeyRing.defaultKey('wysemate'),
  });
  const creds = new Credentials(parseEnv({ WYSEMATE_BASE_URL: baseUrl }), {
    WYSEMATE_API_KEY: KeyRing.defaultKey('wysemate'),
  });
  adapter = createWyseMateAdapter(new ProviderRegistry(creds));
  // Three progress events (→ a second browser), then it sits running until stopped.
  sb.ctx.scripts.set('wm-slow', [{ type: 'emit', count: 3 }, { type: 'wait', ms: 600_000 }, { type: 'finish' }]);
});

afterEach(() => {
  sb.core.clearFaults();
});

afterAll(async () => {
  await sb.close();
});

const calls = (route: string, method?: string) =>
  sb.core.journal.filter((e) => e.route === route && (!method || e.method === method));

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 5_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function finishedSession(task = 'script:default describe the weather'): Promise<string> {
  const { session_id } = await client.session.create({ team_id: 'team_01', task });
  await until(
    () => client.session.getInfo(session_id),
    (i) => i.status === 'completed',
  );
  return session_id;
}

describe('Wyse Mate client: listings', () => {
  it('pages through every API key', async () => {
    const first = await client.user.listApiKeys({ page_num: 1, page_size: 3 });
    expect(first).toMatchObject({ page_num: 1, page_size: 3, total: 7, total_page: 3 });
    expect(first.data).toHaveLength(3);
    const before = calls(ROUTES.apiKeyList).length;
    const all = await collect(client.user.iterateApiKeys({ pageSize: 3 }));
    expect(calls(ROUTES.apiKeyList).length - before).toBe(3);
    expect(new Set(all.map((k) => k.id)).size).toBe(7);
    expect(all.map((k) => k.name)).toEqual(['key-1', 'key-2', 'key-3', 'key-4', 'key-5', 'key-6', 'key-7']);
  });

  it('pages through teams, filtered by type, and gets one', async () => {
    const page = await client.team.getList('', { page_num: 3, page_size: 5 });
    expect(page).toMatchObject({ total: 12, total_page: 3 });
    expect(page.data).toHaveLength(2);
    const all = await collect(client.team.iterate('', { pageSize: 5 }));
    expect(new Set(all.map((t) => t.team_id)).size).toBe(12);
    const shared = await collect(client.team.iterate('shared', { pageSize: 3 }));
    expect(shared).toHaveLength(4);
    expect(shared.every((t) => t.team_type === 'shared')).toBe(true);
    const team = await client.team.getInfo('team_02');
    expect(team.name).toBe('Team 2');
    expect(team.agents.map((a) => a.agent_id)).toEqual(['agent_02', 'agent_03']);
  });

  it('pages through agents, filtered by type, and gets one', async () => {
    const all = await collect(client.agent.iterate('', { pageSize: 4 }));
    expect(all.map((a) => a.agent_id)).toEqual(Array.from({ length: 9 }, (_, i) => `agent_0${i + 1}`));
    const coders = await collect(client.agent.iterate('coder', { pageSize: 2 }));
    expect(coders.map((a) => a.agent_id)).toEqual(['agent_01', 'agent_04', 'agent_07']);
    const agent = await client.agent.getInfo('agent_05');
    expect(agent).toMatchObject({ agent_id: 'agent_05', agent_type: 'designer' });
    expect(agent.model?.provider).toBe('openai');
  });
});

describe('Wyse Mate client: sessions and messages', () => {
  it('creates a session that runs to completed, with its messages paged and filtered', async () => {
    const id = await finishedSession();
    const info = await client.session.getInfo(id);
    expect(info).toMatchObject({
      session_id: id,
      status: 'completed',
      team_id: 'team_01',
      task_result: { result: 'done' },
    });
    expect(info.task[0]).toMatchObject({ role: 'user', content: 'script:default describe the weather' });

    const p1 = await client.session.getMessages(id, { page_num: 1, page_size: 2 });
    expect(p1).toMatchObject({ total_count: 5, has_next: true, has_prev: false, total_page: 3 });
    const p3 = await client.session.getMessages(id, { page_num: 3, page_size: 2 });
    expect(p3).toMatchObject({ has_next: false, has_prev: true });
    expect(p3.messages).toHaveLength(1);

    const all = await collect(client.session.iterateMessages(id, { pageSize: 2 }));
    expect(all.map((m) => [m.source, m.type, m.content])).toEqual([
      ['user', 'text', 'script:default describe the weather'],
      ['assistant', 'text', 'step 1 of 3'],
      ['assistant', 'text', 'step 2 of 3'],
      ['assistant', 'text', 'step 3 of 3'],
      ['assistant', 'summary', 'done'],
    ]);
    expect(new Set(all.map((m) => m.message_id)).size).toBe(5);
  });

  it('honours every MessageFilter field', async () => {
    const id = await finishedSession();
    const all = await collect(client.session.iterateMessages(id));
    const user = await client.session.getMessages(id, { filter: { role: 'user' } });
    expect(user.total_count).toBe(1);
    expect(user.messages[0]!.source_type).toBe('human');
    const assistant = await collect(client.session.iterateMessages(id, { pageSize: 3, filter: { role: 'assistant' } }));
    expect(assistant).toHaveLength(4);
    const content = await client.session.getMessages(id, { filter: { content: 'STEP 2' } });
    expect(content.messages.map((m) => m.content)).toEqual(['step 2 of 3']);

    const from = all[2]!.created_at!;
    const to = all[3]!.created_at!;
    const ranged = await client.session.getMessages(id, {
      page_size: 100,
      filter: { from_timestamp: new Date(from), to_timestamp: to },
    });
    const ids = ranged.messages.map((m) => m.message_id);
    // Inclusive at both ends; messages in the same millisecond legitimately come along.
    expect(ids).toContain(all[2]!.message_id);
    expect(ids).toContain(all[3]!.message_id);
    for (const m of ranged.messages) {
      expect(Date.parse(m.created_at!)).toBeGreaterThanOrEqual(Date.parse(from));
      expect(Date.parse(m.created_at!)).toBeLessThanOrEqual(Date.parse(to));
    }
    const none = await client.session.getMessages(id, { filter: { role: 'assistant', content: 'no such text' } });
    expect(none).toMatchObject({ total_count: 0, has_next: false, messages: [] });
  });

  it('gets the messages between two ids, inclusive', async () => {
    const id = await finishedSession();
    const all = await collect(client.session.iterateMessages(id));
    const between = await client.session.getBetweenMessages(id, all[1]!.message_id, all[3]!.message_id);
    expect(between.messages.map((m) => m.message_id)).toEqual(all.slice(1, 4).map((m) => m.message_id));
    expect(between).toMatchObject({ total_count: 3, has_next: false, has_prev: false });
    await expect(client.session.getBetweenMessages(id, all[0]!.message_id, 'msg_nope')).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('renames a session, and rejects an empty title', async () => {
    const { session_id } = await client.session.create({
      team_id: 'team_03',
      task: 'script:long wait',
      title: 'first',
    });
    expect((await client.session.getInfo(session_id)).name).toBe('first');
    await client.session.updateSessionName({ session_id, title: 'Renamed' });
    expect((await client.session.getInfo(session_id)).name).toBe('Renamed');
    await expect(client.session.updateSessionName({ session_id, title: ' ' })).rejects.toBeInstanceOf(BadRequestError);
    await client.session.stop(session_id);
    expect((await client.session.getInfo(session_id)).status).toBe('stopped');
    // Stopping an ended session is a no-op, not an error.
    await client.session.stop(session_id);
    expect((await client.session.getInfo(session_id)).status).toBe('stopped');
  });
});

describe('Wyse Mate client: browsers', () => {
  it('lists browsers and their pages page by page, and releases idempotently', async () => {
    const id = await finishedSession();
    const page = await client.browser.listBrowsers(id, { page_num: 1, page_size: 1 });
    expect(page.total).toBe(2);
    expect(page.browsers).toHaveLength(1);
    const browsers = await collect(client.browser.iterateBrowsers(id, { pageSize: 1 }));
    expect(new Set(browsers.map((b) => b.browser_id)).size).toBe(2);
    expect(browsers.every((b) => b.session_id === id && b.status === 'open')).toBe(true);
    expect((await client.session.getInfo(id)).browser_id).toBe(browsers[0]!.browser_id);

    const b = browsers[1]!;
    const info = await client.browser.getInfo(b.browser_id);
    expect(info).toMatchObject({ browser_id: b.browser_id, status: 'open', width: 1280, height: 800 });
    expect(info.pages).toHaveLength(3);
    const pages = await collect(client.browser.iteratePages(b.browser_id, { pageSize: 2 }));
    expect(pages.map((p) => p.index)).toEqual([0, 1, 2]);
    const onePage = await client.browser.listBrowserPages(b.browser_id, { page_num: 2, page_size: 2 });
    expect(onePage).toMatchObject({ total: 3 });
    expect(onePage.pages.map((p) => p.index)).toEqual([2]);

    await client.browser.releaseBrowser(b.browser_id);
    expect((await client.browser.getInfo(b.browser_id)).status).toBe('closed');
    await client.browser.releaseBrowser(b.browser_id);
    expect((await client.browser.getInfo(b.browser_id)).status).toBe('closed');
    expect((await client.browser.getInfo(browsers[0]!.browser_id)).status).toBe('open');
    await expect(client.browser.releaseBrowser('browser_nope')).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('Wyse Mate client: errors through the one factory', () => {
  it('a wrong key is a 401 naming the platform and the alias, never the key', async () => {
    const bad = new WyseMateClient({
      platform: 'wysemate',
      alias: 'ops',
      baseUrl: sb.baseUrl('wysemate'),
      secret: 'wrong-key-123',
    });
    const err = await bad.team.getList().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    const u = err as UnauthorizedError;
    expect(u).toMatchObject({ status: 401, platform: 'wysemate', alias: 'ops', code: 'unauthorized' });
    expect(u.message).toContain('Wyse Mate');
    expect(u.message).toContain('"ops"');
    expect(u.message).not.toContain('wrong-key-123');
    expect(u.requestId).toMatch(/^req_/);
    await expect(bad.ping()).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(client.ping()).resolves.toBeUndefined();
  });

  it('maps 404, 422 and the {code, msg} envelope', async () => {
    const err = (await client.session.getInfo('session_missing').catch((e: unknown) => e)) as NotFoundError;
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).toMatchObject({ code: 'not_found', detail: 'session session_missing not found' });
    await expect(client.team.getList('', { page_size: 101 })).rejects.toBeInstanceOf(UnprocessableError);
    await expect(client.session.create({ team_id: 'team_nope', task: 'x' })).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('Wyse Mate session adapter', () => {
  const input = (task: string, teamId = 'team_01') =>
    agentSessionInput().parse({ platform: 'wysemate', task, wysemate: { teamId } });

  async function followToEnd(ref: SessionRef, maxEvents = 1000) {
    let cursor: FollowCursor;
    const entries: TranscriptEntry[] = [];
    const progressed: FollowCursor[] = [];
    for (let i = 0; i < 200; i++) {
      const r = await adapter.follow(
        ref,
        cursor,
        { maxEvents, maxMs: 2_000, pollMs: 10 },
        { progress: (c) => progressed.push(c) },
      );
      entries.push(...r.entries);
      expect(r.platformEvents).toBe(r.entries.length);
      cursor = r.cursor;
      if (['completed', 'failed', 'cancelled'].includes(r.status)) return { last: r, entries, progressed };
    }
    throw new Error('session never ended');
  }

  it('creates a session and follows to completed with the transcript', async () => {
    const a = await adapter.create(input('script:default summarise the news'), { idempotencyKey: 'wf-wm-1:create' });
    expect(a.ref).toMatchObject({ platform: 'wysemate', alias: 'default', extra: { teamId: 'team_01' } });
    expect(['starting', 'running']).toContain(a.status);

    // maxEvents 2 forces several batches; nothing may be lost or repeated across them.
    const { last, entries, progressed } = await followToEnd(a.ref, 2);
    expect(last).toMatchObject({ status: 'completed', platformStatus: 'completed', result: 'done' });
    expect(entries.map((e) => [e.role, e.kind, e.text])).toEqual([
      ['user', 'text', 'script:default summarise the news'],
      ['agent', 'text', 'step 1 of 3'],
      ['agent', 'text', 'step 2 of 3'],
      ['agent', 'text', 'step 3 of 3'],
      ['agent', 'summary', 'done'],
    ]);
    expect(new Set(entries.map((e) => e.id)).size).toBe(5);
    expect(last.cursor).toBe(`5:${entries[4]!.id}`);
    expect(progressed.at(-1)).toBe(last.cursor);

    // Following again from the final cursor yields nothing new and stays completed.
    const again = await adapter.follow(
      a.ref,
      last.cursor,
      { maxEvents: 10, maxMs: 200, pollMs: 10 },
      { progress: () => undefined },
    );
    expect(again).toMatchObject({ entries: [], status: 'completed' });
  });

  it('residual risk, as the README says: the platform ignores Idempotency-Key and offers no session lookup, so a create retried after its answer was lost makes a second session', async () => {
    const before = calls(ROUTES.sessionCreate, 'POST').length;
    sb.core.addFault({
      platform: 'wysemate',
      method: 'POST',
      route: ROUTES.sessionCreate,
      phase: 'after',
      status: 503,
      times: 1,
    });
    await expect(
      adapter.create(input('script:default lost answer'), { idempotencyKey: 'wf-wm-2:create' }),
    ).rejects.toMatchObject({ status: 503 });
    const retried = await adapter.create(input('script:default lost answer'), {
      idempotencyKey: 'wf-wm-2:create',
      attempt: 2,
    });
    const creates = calls(ROUTES.sessionCreate, 'POST').slice(before);
    expect(creates.filter((r) => r.status < 300)).toHaveLength(2);
    expect(creates.some((r) => r.replayed)).toBe(false);
    expect(retried.ref.sessionId).toBeTruthy();
  });

  it('reports a failed session with its error', async () => {
    const created = await adapter.create(input('script:fail'), { idempotencyKey: 'wf-wm-fail:create' });
    await until(
      () => client.session.getInfo(created.ref.sessionId),
      (i) => i.status === 'error',
    );
    // Ended on the platform, but 3 messages are unread: not terminal until the follower caught up.
    const first = await adapter.follow(
      created.ref,
      undefined,
      { maxEvents: 1, maxMs: 1_000, pollMs: 10 },
      { progress: () => undefined },
    );
    expect(first).toMatchObject({ status: 'running', platformStatus: 'error', platformEvents: 1 });
    expect(first.error).toBeUndefined();
    const { last, entries } = await followToEnd(created.ref, 1);
    expect(entries).toHaveLength(3);
    expect(last).toMatchObject({ status: 'failed', platformStatus: 'error', error: 'agent crashed' });
    expect(entries.at(-1)).toMatchObject({ role: 'system', kind: 'error', text: 'agent crashed' });
  });

  it('returns within maxMs when nothing happens', async () => {
    const created = await adapter.create(input('script:long'), { idempotencyKey: 'wf-wm-idle:create' });
    const first = await adapter.follow(
      created.ref,
      undefined,
      { maxEvents: 100, maxMs: 2_000, pollMs: 10 },
      { progress: () => undefined },
    );
    let cursor = first.cursor;
    // Drain until the single progress event has been read.
    for (let i = 0; i < 50 && !cursor?.startsWith('2:'); i++) {
      cursor = (
        await adapter.follow(
          created.ref,
          cursor,
          { maxEvents: 100, maxMs: 500, pollMs: 10 },
          { progress: () => undefined },
        )
      ).cursor;
    }
    expect(cursor?.startsWith('2:')).toBe(true);
    const t0 = Date.now();
    const idle = await adapter.follow(
      created.ref,
      cursor,
      { maxEvents: 100, maxMs: 150, pollMs: 20 },
      { progress: () => undefined },
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(idle).toMatchObject({ entries: [], status: 'running', platformStatus: 'active', cursor });
    await adapter.cancel(created.ref, {});
  });

  it('renames through update_session_name', async () => {
    const created = await adapter.create(input('script:long'), { idempotencyKey: 'wf-wm-rename:create' });
    await adapter.rename!(created.ref, 'Quarterly report', { idempotencyKey: 'wf-wm-rename:rename-1' });
    expect((await client.session.getInfo(created.ref.sessionId)).name).toBe('Quarterly report');
    await adapter.cancel(created.ref, {});
  });

  it('cancels mid-run, and clean-up releases every browser exactly once', async () => {
    const created = await adapter.create(input('script:wm-slow'), { idempotencyKey: 'wf-wm-cancel:create' });
    const id = created.ref.sessionId;
    await until(
      () => client.browser.listBrowsers(id),
      (r) => r.total === 2,
    );
    expect((await client.session.getInfo(id)).status).toBe('active');

    const stopsBefore = calls(ROUTES.sessionStop).length;
    await adapter.cancel(created.ref, { idempotencyKey: 'wf-wm-cancel:cancel' });
    expect((await client.session.getInfo(id)).status).toBe('stopped');
    // A second cancel on the ended session sends no stop at all.
    await adapter.cancel(created.ref, { idempotencyKey: 'wf-wm-cancel:cancel-2' });
    expect(calls(ROUTES.sessionStop).length - stopsBefore).toBe(1);

    const { last, entries } = await followToEnd(created.ref);
    expect(last).toMatchObject({ status: 'cancelled', platformStatus: 'stopped' });
    expect(entries.at(-1)).toMatchObject({ role: 'system', text: 'session stopped' });

    // Browsers outlive the session until released.
    const open = await collect(client.browser.iterateBrowsers(id));
    expect(open.map((b) => b.status)).toEqual(['open', 'open']);

    const releasesBefore = calls(ROUTES.browserRelease, 'DELETE').length;
    await adapter.cleanup(created.ref, { deleteOnPlatform: true }, { idempotencyKey: 'wf-wm-cancel:cleanup' });
    const after = await collect(client.browser.iterateBrowsers(id, { pageSize: 1 }));
    expect(after.map((b) => b.status)).toEqual(['closed', 'closed']);
    expect(calls(ROUTES.browserRelease, 'DELETE').length - releasesBefore).toBe(2);

    // Idempotent: a second clean-up finds nothing open and releases nothing.
    await adapter.cleanup(created.ref, { deleteOnPlatform: false }, { idempotencyKey: 'wf-wm-cancel:cleanup' });
    expect(calls(ROUTES.browserRelease, 'DELETE').length - releasesBefore).toBe(2);
    expect(calls(ROUTES.sessionStop).length - stopsBefore).toBe(1);
  });

  it('clean-up stops a session that is still running', async () => {
    const created = await adapter.create(input('script:long'), { idempotencyKey: 'wf-wm-cleanup-run:create' });
    await adapter.cleanup(created.ref, { deleteOnPlatform: false }, { idempotencyKey: 'wf-wm-cleanup-run:cleanup' });
    expect((await client.session.getInfo(created.ref.sessionId)).status).toBe('stopped');
    const browsers = await collect(client.browser.iterateBrowsers(created.ref.sessionId));
    expect(browsers.length).toBeGreaterThan(0);
    expect(browsers.every((b) => b.status === 'closed')).toBe(true);
  });
});
