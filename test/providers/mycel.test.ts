/**
 * Mycel provider against the in-process sandbox over real HTTP: join requests and their approval,
 * the caught-up rule, relationships, and the notification inbox (drain + resumable stream).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, ForbiddenError, UnauthorizedError } from '../../src/providers/errors.js';
import {
  ChatNotCaughtUpError,
  CHAT_NOT_CAUGHT_UP,
  isChatNotCaughtUp,
  MycelClient,
  type MycelInboxFrame,
  type MycelNotifyFrame,
} from '../../src/providers/mycel/client.js';
import { MYCEL_ROUTES } from '../../src/providers/mycel/routes.js';
import WebSocket from 'ws';
import { SandboxControl } from '../../src/sandbox/control.js';
import { MYCEL_DEMO_AGENT, MYCEL_SANDBOX_OTP } from '../../src/sandbox/platforms/mycel/index.js';
import { type RunningSandbox, startSandbox } from '../../src/sandbox/server.js';

let sb: RunningSandbox;
let control: SandboxControl;

const client = (secret: string | undefined, alias = 'test') =>
  new MycelClient({ platform: 'mycel', alias, baseUrl: sb.baseUrl('mycel'), secret, timeoutMs: 5_000 });

beforeAll(async () => {
  sb = await startSandbox({ tickMs: 5 });
  control = new SandboxControl(sb.origin);
});
afterEach(async () => {
  await control.reset();
});
afterAll(async () => {
  await sb.close();
});

/**
 * Reads `n` notify frames from a stream, then stops (closing the connection). Gives up after
 * `timeoutMs` by aborting the request: a generator parked on a silent socket cannot be `return()`ed.
 */
async function take(
  open: (signal: AbortSignal) => AsyncGenerator<MycelInboxFrame>,
  n: number,
  timeoutMs = 3_000,
): Promise<MycelNotifyFrame[]> {
  const out: MycelNotifyFrame[] = [];
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error('take: timed out')), timeoutMs);
  try {
    for await (const f of open(ac.signal)) {
      if (f.type === 'notify') out.push(f);
      if (out.length >= n) break;
    }
  } catch (err) {
    if (!ac.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
  }
  return out;
}

async function groupOwnedBy(owner: MycelClient) {
  return owner.chats.create([MYCEL_DEMO_AGENT], 'Probe');
}

describe('mycel identities', () => {
  it('seeded tokens and the default key name their users; control keys add more', async () => {
    expect((await client('sb_mycel_owner').me.whoami()).id).toBe('owner');
    expect((await client('sb_mycel_default').me.whoami()).id).toBe('default');
    await control.addKey('mycel', 'tok-carol', 'carol');
    expect((await client('tok-carol').me.whoami()).id).toBe('carol');
    // Seeded tokens survive a control reset (which clears the KeyRing after the sims reset).
    await control.reset();
    expect((await client('sb_mycel_visitor').me.whoami()).id).toBe('visitor');
  });

  it('401 with an unknown token names the platform and the alias, never the token', async () => {
    const err = await client('sb_mycel_nope', 'ops-bot')
      .me.whoami()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    const e = err as UnauthorizedError;
    expect(e.status).toBe(401);
    expect(e.platform).toBe('mycel');
    expect(e.message).toContain('Mycel');
    expect(e.message).toContain('"ops-bot"');
    expect(e.message).not.toContain('sb_mycel_nope');
  });

  it('registration, login and external identities', async () => {
    const anon = client(undefined);
    await anon.auth.sendOtp('fresh@example.com', 'pw-1', 'INVITE-1');
    const temp = await anon.auth.verifyOtp('fresh@example.com', MYCEL_SANDBOX_OTP);
    const done = await anon.auth.completeRegister(temp.temp_token, 'INVITE-1');
    const login = await anon.auth.login('fresh@example.com', 'pw-1');
    expect(login.user?.id).toBe(done.user?.id);
    await expect(anon.auth.login('fresh@example.com', 'wrong')).rejects.toBeInstanceOf(UnauthorizedError);

    const owner = client(login.token);
    const created = await owner.users.createExternal({ userId: 'codex-local-1', displayName: 'Codex Local' });
    const external = client(created.token);
    expect((await external.me.whoami()).id).toBe('codex-local-1');
  });
});

describe('mycel join requests', () => {
  it('visitor asks, owner is notified (stream and drain), lists and approves; visitor becomes a member', async () => {
    const owner = client('sb_mycel_owner');
    const visitor = client('sb_mycel_visitor');
    const group = await groupOwnedBy(owner);

    await expect(visitor.chats.get(group.id)).rejects.toBeInstanceOf(ForbiddenError);
    const target = await visitor.chats.joinTarget(group.id);
    expect(target).toMatchObject({
      chat_id: group.id,
      is_member: false,
      owner_user_id: 'owner',
      pending_request_id: null,
    });

    const pending = await visitor.chats.requestJoin(group.id, 'please add me');
    expect(pending.state).toBe('pending');
    expect((await visitor.chats.joinTarget(group.id)).pending_request_id).toBe(pending.id);
    // Asking again while pending returns the same request.
    expect((await visitor.chats.requestJoin(group.id, 'again')).id).toBe(pending.id);

    const [frame] = await take((signal) => owner.notifications.stream(0, { signal }), 1);
    expect(frame).toMatchObject({ type: 'notify', seq: 1 });
    expect(frame!.metadata).toMatchObject({
      event_type: 'chat.join_request',
      chat_id: group.id,
      request_id: pending.id,
      sender_id: 'visitor',
    });
    expect(JSON.stringify(frame!.metadata)).not.toContain('please add me'); // metadata only, no bodies

    const drained = await owner.notifications.drain();
    expect(drained.notifications).toHaveLength(1);
    expect(drained.notifications[0]).toMatchObject({ seq: 1, request_id: pending.id });
    expect((await owner.notifications.drain()).notifications).toHaveLength(0); // delivered once

    await expect(visitor.chats.listJoinRequests(group.id)).rejects.toBeInstanceOf(ForbiddenError);
    const requests = await owner.chats.listJoinRequests(group.id);
    expect(requests.map((r) => [r.id, r.state])).toEqual([[pending.id, 'pending']]);

    const approved = await owner.chats.approveJoin(group.id, pending.id);
    expect(approved).toMatchObject({ state: 'approved', decided_by: 'owner' });
    // Approving twice is idempotent; rejecting after approval is a conflict.
    expect((await owner.chats.approveJoin(group.id, pending.id)).state).toBe('approved');
    await expect(owner.chats.rejectJoin(group.id, pending.id)).rejects.toBeInstanceOf(ConflictError);

    const seen = await visitor.chats.get(group.id);
    expect(seen.members?.map((m) => m.user_id).sort()).toEqual([MYCEL_DEMO_AGENT, 'owner', 'visitor'].sort());
    expect((await visitor.notifications.drain()).notifications[0]).toMatchObject({
      event_type: 'chat.join_approved',
      chat_id: group.id,
    });
  });
});

describe('mycel messages', () => {
  it('enforce_caught_up with unread messages fails with ChatNotCaughtUpError; read, then send succeeds', async () => {
    const owner = client('sb_mycel_owner');
    const visitor = client('sb_mycel_visitor');
    const chat = await visitor.chats.ensureDirect('owner');
    expect((await owner.chats.ensureDirect('visitor')).id).toBe(chat.id); // find-or-create

    await visitor.messages.send(chat.id, 'hello owner');
    await visitor.messages.send(chat.id, 'are you there?', { mentions: ['owner'] });

    const err = await owner.messages.send(chat.id, 'blind reply').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChatNotCaughtUpError);
    expect(err).toBeInstanceOf(ConflictError);
    const e = err as ChatNotCaughtUpError;
    expect(e.status).toBe(409);
    expect(e.code).toBe(CHAT_NOT_CAUGHT_UP);
    expect(e.retryable).toBe(false);
    expect(isChatNotCaughtUp(e)).toBe(true);
    expect((await owner.messages.list(chat.id)).map((m) => m.content)).toEqual(['hello owner', 'are you there?']); // nothing stored

    const unread = await owner.messages.read(chat.id);
    expect(unread.map((m) => m.content)).toEqual(['hello owner', 'are you there?']);
    expect(await owner.messages.read(chat.id)).toEqual([]);
    const sent = await owner.messages.send(chat.id, 'yes, here');
    expect(sent).toMatchObject({ sender_id: 'owner', content: 'yes, here' });

    // A 409 that is not the stale-chat refusal stays a plain ConflictError.
    await control.fault({
      platform: 'mycel',
      method: 'POST',
      route: '/api/chats/{chat_id}/messages',
      status: 409,
      code: 'conflict',
      times: 1,
    });
    const other = await owner.messages.send(chat.id, 'x').catch((e: unknown) => e);
    expect(other).toBeInstanceOf(ConflictError);
    expect(other).not.toBeInstanceOf(ChatNotCaughtUpError);

    // History pages backwards with `before` = a message's seq (mycel-sdk list_all).
    const history = await visitor.messages.list(chat.id);
    expect(history.map((m) => m.content)).toEqual(['hello owner', 'are you there?', 'yes, here']);
    const older = await visitor.messages.list(chat.id, { before: history[2]!.seq!, limit: 1 });
    expect(older.map((m) => m.content)).toEqual(['are you there?']);
  });

  it('a muted member is not woken, even when mentioned; unmute restores notifications', async () => {
    const owner = client('sb_mycel_owner');
    const visitor = client('sb_mycel_visitor');
    const group = await groupOwnedBy(owner);
    const jr = await visitor.chats.requestJoin(group.id);
    await owner.chats.approveJoin(group.id, jr.id);
    await visitor.notifications.drain();

    expect((await owner.chats.muteMember(group.id, 'visitor')).muted).toBe(true);
    await owner.messages.send(group.id, 'quiet', { mentions: ['visitor'] });
    expect((await visitor.notifications.drain()).notifications).toHaveLength(0);
    await owner.chats.unmuteMember(group.id, 'visitor');
    await owner.messages.send(group.id, 'loud', { enforceCaughtUp: false });
    const after = await visitor.notifications.drain();
    expect(after.notifications).toHaveLength(1);
    expect(after.notifications[0]).toMatchObject({ event_type: 'chat.message', chat_id: group.id });
    expect((await visitor.messages.read(group.id)).map((m) => m.content)).toEqual(['quiet', 'loud']); // still stored
  });
});

describe('mycel relationships', () => {
  it('request → recipient notified → approve → visit; visit allows group creation', async () => {
    const visitor = client('sb_mycel_visitor');
    const agentB = client('sb_mycel_agent-b');
    await expect(visitor.chats.create(['agent-b'], 'too soon')).rejects.toMatchObject({
      status: 400,
      code: 'relationship_required',
    });

    const pending = await visitor.relationships.request('agent-b');
    expect(pending).toMatchObject({ other_user_id: 'agent-b', state: 'pending', is_requester: true });
    const inbox = await agentB.notifications.drain();
    expect(inbox.notifications[0]).toMatchObject({
      event_type: 'relationship.request',
      relationship_id: pending.id,
      sender_id: 'visitor',
    });

    const listed = await agentB.relationships.list();
    expect(listed).toEqual([
      expect.objectContaining({ id: pending.id, other_user_id: 'visitor', state: 'pending', is_requester: false }),
    ]);
    await expect(visitor.relationships.approve(pending.id)).rejects.toBeInstanceOf(ConflictError); // not your own
    const accepted = await agentB.relationships.approve(pending.id);
    expect(accepted.state).toBe('visit');
    expect((await visitor.relationships.list())[0]!.state).toBe('visit');

    const group = await visitor.chats.create(['agent-b', MYCEL_DEMO_AGENT], 'Probe');
    expect(group.owner_user_id).toBe('visitor');
  });
});

describe('mycel notification stream', () => {
  it('resumes from since_seq without duplicates and delivers live frames', async () => {
    const owner = client('sb_mycel_owner');
    const visitor = client('sb_mycel_visitor');
    const chat = await visitor.chats.ensureDirect('owner');
    for (const text of ['one', 'two', 'three']) await visitor.messages.send(chat.id, text, { enforceCaughtUp: false });

    const first = await take((signal) => owner.notifications.stream(0, { signal }), 2);
    expect(first.map((f) => f.seq)).toEqual([1, 2]);

    // Resume after seq 2: frame 3 is replayed, then a live one arrives while we listen.
    const pending = take((signal) => owner.notifications.stream(2, { signal }), 2);
    await new Promise((r) => setTimeout(r, 50));
    await visitor.messages.send(chat.id, 'four', { enforceCaughtUp: false });
    const rest = await pending;
    expect(rest.map((f) => f.seq)).toEqual([3, 4]);
    expect(rest.every((f) => f.metadata.event_type === 'chat.message' && f.metadata.chat_id === chat.id)).toBe(true);

    const all = [...first, ...rest].map((f) => f.seq);
    expect(new Set(all).size).toBe(all.length);
  });

  it('on the wire (a WebSocket, as mycel-sdk reads it): resume after since_seq, JSON frames, heartbeats; the client drops them', async () => {
    const owner = client('sb_mycel_owner');
    const visitor = client('sb_mycel_visitor');
    const chat = await visitor.chats.ensureDirect('owner');
    for (const text of ['a', 'b', 'c']) await visitor.messages.send(chat.id, text, { enforceCaughtUp: false });

    const ws = new WebSocket(`${sb.baseUrl('mycel').replace(/^http/, 'ws')}${MYCEL_ROUTES.notifications.subscribe}`, {
      headers: { authorization: 'Bearer sb_mycel_owner' },
    });
    const frames: { type: string; seq?: number }[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('wire: timed out')), 3_000);
      ws.on('open', () => ws.send(JSON.stringify({ type: 'resume', since_seq: 1 })));
      ws.on('message', (raw: Buffer) => {
        frames.push(JSON.parse(String(raw)) as { type: string; seq?: number });
        if (frames.at(-1)!.type === 'heartbeat') {
          clearTimeout(timer);
          resolve();
        }
      });
      ws.on('error', reject);
    });
    ws.terminate();
    expect(frames.map((f) => [f.type, f.seq])).toEqual([
      ['notify', 2],
      ['notify', 3],
      ['heartbeat', undefined],
    ]);
    const [handshake] = await control.journal({ platform: 'mycel', route: MYCEL_ROUTES.notifications.subscribe });
    expect(handshake?.status).toBe(101);

    // Through the client, an idle stream (everything consumed) yields nothing despite heartbeats.
    const idle = await take((signal) => owner.notifications.stream(3, { signal }), 1, 1_300);
    expect(idle).toEqual([]);

    // A refused handshake is the platform's error for its status; a bad token is a 401.
    await expect(
      take((signal) => client('not-a-token').notifications.stream(0, { signal }), 1, 1_000),
    ).rejects.toMatchObject({ status: 401 });
  });
});

describe('mycel inbox long poll (wait) and drain', () => {
  it('wait holds until a notification lands, answers with it and takes nothing; drain acknowledges; a reset ends a held wait', async () => {
    const owner = client('sb_mycel_owner');
    const visitor = client('sb_mycel_visitor');
    const chat = await visitor.chats.ensureDirect('owner');

    let t0 = Date.now();
    expect((await owner.notifications.wait(1)).notifications).toEqual([]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900); // held for its timeout

    t0 = Date.now();
    const held = owner.notifications.wait(10);
    await new Promise((r) => setTimeout(r, 100));
    await visitor.messages.send(chat.id, 'wake up', { enforceCaughtUp: false });
    const woke = await held;
    expect(Date.now() - t0).toBeLessThan(3_000); // early, not after 10 s
    expect(woke.notifications).toEqual([
      expect.objectContaining({ seq: 1, event_type: 'chat.message', chat_id: chat.id }),
    ]);

    // Nothing was taken: asked again, the same notification comes at once, until drain acknowledges it.
    expect((await owner.notifications.wait(5)).notifications.map((n) => n.seq)).toEqual([1]);
    expect((await owner.notifications.drain()).notifications.map((n) => n.seq)).toEqual([1]);
    expect((await owner.notifications.wait(0)).notifications).toEqual([]);

    // A held wait does not outlive a reset (tests never hang on one).
    t0 = Date.now();
    const orphan = owner.notifications.wait(20);
    await new Promise((r) => setTimeout(r, 100));
    await control.reset();
    expect((await orphan).notifications).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(3_000);
  });

  it('timeout_seconds must be a non-negative number (422, as FastAPI validates)', async () => {
    const res = await fetch(`${sb.baseUrl('mycel')}${MYCEL_ROUTES.notifications.wait}?timeout_seconds=soon`, {
      method: 'POST',
      headers: { authorization: 'Bearer sb_mycel_owner' },
    });
    expect(res.status).toBe(422);
  });
});

describe('mycel threads', () => {
  it('creates a runtime thread for an owned managed agent over /api/threads', async () => {
    const owner = client('sb_mycel_owner');
    const thread = await owner.threads.create(MYCEL_DEMO_AGENT, 'local');
    expect(thread).toMatchObject({ agent_user_id: MYCEL_DEMO_AGENT, sandbox: 'local' });
    expect(thread.thread_id).toMatch(/^thread_/);
    await expect(client('sb_mycel_visitor').threads.create(MYCEL_DEMO_AGENT)).rejects.toBeInstanceOf(ForbiddenError);
    const journal = await control.journal({ platform: 'mycel', route: '/api/threads' });
    expect(journal.map((j) => j.status)).toEqual([200, 403]);
  });
});
