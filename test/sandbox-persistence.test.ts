/**
 * Sandbox state survives a restart when `startSandbox` gets a `stateFile`: each platform's state is
 * created through the real provider clients, the sandbox is closed and started again on the same
 * file, and the state is there and its lifecycles continue.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ArchAstroClient } from '../src/providers/archastro/client.js';
import { MixClient } from '../src/providers/mix/client.js';
import type { MycelInboxFrame, MycelNotifyFrame } from '../src/providers/mycel/schemas.js';
import { MycelClient } from '../src/providers/mycel/client.js';
import { WebAgentClient, type WebAgentEvent } from '../src/providers/webagent/client.js';
import { WyseMateClient } from '../src/providers/wysemate/client.js';
import { SandboxControl } from '../src/sandbox/control.js';
import { MYCEL_DEMO_AGENT } from '../src/sandbox/platforms/mycel/index.js';
import { KeyRing, type RunningSandbox, startSandbox } from '../src/sandbox/server.js';

let dir: string;
let stateFile: string;
let sb: RunningSandbox | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sb-persist-'));
  stateFile = join(dir, 'data', 'sandbox.json');
});

afterEach(async () => {
  await sb?.close();
  sb = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<RunningSandbox> {
  // Replay on: one case checks that the Idempotency-Key cache survives a restart.
  sb = await startSandbox({ tickMs: 5, stateFile, replayIdempotencyKeys: true });
  return sb;
}

/** Ctrl-C and start again: close (which saves) and start a new sandbox on the same file. */
async function restart(): Promise<RunningSandbox> {
  await sb?.close();
  sb = undefined;
  return start();
}

const webagent = (s: RunningSandbox, secret = KeyRing.defaultKey('webagent')) =>
  new WebAgentClient({
    platform: 'webagent',
    alias: 'default',
    baseUrl: s.baseUrl('webagent'),
    secret,
    projectId: 'proj_test',
  });
const archastro = (s: RunningSandbox) =>
  new ArchAstroClient({
    platform: 'archastro',
    alias: 'default',
    baseUrl: s.baseUrl('archastro'),
    secret: KeyRing.defaultKey('archastro'),
  });
const wysemate = (s: RunningSandbox) =>
  new WyseMateClient({
    platform: 'wysemate',
    alias: 'default',
    baseUrl: s.baseUrl('wysemate'),
    secret: KeyRing.defaultKey('wysemate'),
  });
const mix = (s: RunningSandbox) =>
  new MixClient({ platform: 'mix', alias: 'default', baseUrl: s.baseUrl('mix'), secret: KeyRing.defaultKey('mix') });
const mycel = (s: RunningSandbox, secret: string) =>
  new MycelClient({ platform: 'mycel', alias: 'test', baseUrl: s.baseUrl('mycel'), secret, timeoutMs: 5_000 });

async function waitFor<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > until) throw new Error(`waitFor: timed out; last value ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function drain(
  events: AsyncIterable<WebAgentEvent>,
  stopAt?: (e: WebAgentEvent) => boolean,
): Promise<WebAgentEvent[]> {
  const out: WebAgentEvent[] = [];
  for await (const e of events) {
    out.push(e);
    if (stopAt?.(e)) break;
  }
  return out;
}

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

describe('sandbox persistence', () => {
  it('Web Agent: a task waiting for input is answered after a restart with the same request id, and its stream resumes without duplicates', async () => {
    let wa = webagent(await start());
    const session = await wa.sessions.create({ instructions: 'script:ask pick one' });
    const taskId = session.tasks[0].id;
    const waiting = await waitFor(
      () => wa.sessions.getTask(session.id, taskId),
      (t) => t.status === 'awaiting_input',
    );
    const requestId = waiting.pending_input_request!.id;
    const before = await drain(wa.events.stream(session.id, taskId), (e) => e.type === 'task.input_request');
    expect(before.map((e) => e.type)).toEqual(['task.started', 'task.progress', 'task.progress', 'task.input_request']);
    const resumeFrom = before[1]!.id!; // taken before the restart, a little behind the head

    wa = webagent(await restart());
    const after = await wa.sessions.getTask(session.id, taskId);
    expect(after.status).toBe('awaiting_input');
    expect(after.pending_input_request?.id).toBe(requestId);
    expect(after.last_event_id).toBe(waiting.last_event_id);

    await wa.messages.intervene(session.id, taskId, { inputRequestId: requestId, response: 'A' });
    const rest = await drain(wa.events.stream(session.id, taskId, { lastEventId: resumeFrom }));
    const ids = rest.map((e) => Number(e.id));
    expect(ids[0]).toBe(Number(resumeFrom) + 1);
    expect(ids).toEqual(ids.map((_, i) => ids[0]! + i)); // dense, no duplicates, nothing skipped
    expect(rest.map((e) => e.type)).toEqual([
      'task.progress',
      'task.input_request',
      'task.input_answered',
      'task.progress',
      'task.progress',
      'task.completed',
    ]);
    expect(rest[0]).toEqual(before[2]); // the replayed part is the same event as before the restart
    expect((await wa.sessions.getTask(session.id, taskId)).status).toBe('completed');
    // Answering again is a conflict, as it would have been without the restart.
    await expect(
      wa.messages.intervene(session.id, taskId, { inputRequestId: requestId, response: 'B' }),
    ).rejects.toMatchObject({ status: 409 });
  });

  it('Web Agent: a research outline waiting for approval is approved after a restart and finishes with its artifacts', async () => {
    let wa = webagent(await start());
    const task = await wa.deepResearch.run({ topic: 'solid-state batteries', depth: 'light' });
    const waiting = await waitFor(
      () => wa.sessions.getTask(task.session_id, task.task_id),
      (t) => t.status === 'awaiting_input',
    );
    wa = webagent(await restart());
    expect((await wa.deepResearch.get(task.task_id)).status).toBe('awaiting_input');
    await wa.deepResearch.intervene(task.task_id, {
      requestId: waiting.pending_input_request!.id,
      response: 'approve',
    });
    await waitFor(
      () => wa.deepResearch.get(task.task_id),
      (t) => t.status === 'completed',
    );
    const artifacts = await wa.deepResearch.listArtifacts(task.task_id);
    expect(artifacts.map((a) => a.name)).toEqual(['final.md', 'citations.json', 'confidence.json']);
  });

  it('Web Agent Track: a monitor keeps ticking on its schedule after a restart, with its snapshots, deliveries and pending question', async () => {
    let s = await start();
    let ctl = new SandboxControl(s.origin);
    const ticking = await webagent(s).track.create({
      intent: 'Watch the price',
      schedule: { kind: 'interval', every_seconds: 60 },
      notifyChannel: { kind: 'callback_url', url: ctl.webhookUrl('persist', { status: 500 }) },
    });
    const asking = await webagent(s).track.create({
      intent: 'Watch the ambiguous listing',
      schedule: { kind: 'event' },
      notifyChannel: { kind: 'callback_url', url: 'https://hooks.example.com/t' },
    });
    // every_seconds 60 at 5 ms a second: a tick every 300 ms.
    const before = await waitFor(
      () => webagent(s).track.listSnapshots(ticking.id),
      (l) => l.items.length >= 2,
    );
    const dead = await waitFor(
      () => webagent(s).track.listDeliveries(ticking.id, { status: 'dead' }),
      (l) => l.items.length >= 1,
    );
    s = await restart();
    ctl = new SandboxControl(s.origin);
    const wa = webagent(s);
    expect((await wa.track.listSnapshots(ticking.id, { limit: 100 })).items.map((x) => x.id)).toEqual(
      expect.arrayContaining(before.items.map((x) => x.id)),
    );
    expect((await wa.track.listDeliveries(ticking.id)).items.map((d) => d.id)).toEqual(
      expect.arrayContaining([dead.items[0]!.id]),
    );
    // The schedule started again: more snapshots, the price still moving on from where it was.
    const after = await waitFor(
      () => wa.track.listSnapshots(ticking.id, { limit: 100 }),
      (l) => l.items.length >= before.items.length + 2,
    );
    expect(new Set(after.items.map((x) => (x.data as { price: number }).price)).size).toBeGreaterThan(2);
    const m = await wa.track.get(asking.id);
    expect(m.status).toBe('pending_clarification');
    expect((await wa.track.intervene(asking.id, { requestId: m.pending_request!.id, response: 'SKU A' })).status).toBe(
      'active',
    );
    await wa.track.cancel(ticking.id);
  });

  it('a running task keeps running across a restart and its events stay dense', async () => {
    let wa = webagent(await start());
    const session = await wa.sessions.create({ instructions: 'script:chatty' });
    const taskId = session.tasks[0].id;
    await waitFor(
      () => wa.sessions.getTask(session.id, taskId),
      (t) => Number(t.last_event_id ?? 0) >= 5,
    );
    wa = webagent(await restart());
    const all = await drain(wa.events.stream(session.id, taskId));
    expect(all.map((e) => Number(e.id))).toEqual(Array.from({ length: 102 }, (_, i) => i + 1));
    expect(all.filter((e) => e.type === 'task.progress')).toHaveLength(100);
    expect(all.at(-1)!.type).toBe('task.completed');
  });

  it('an idempotent create retried after a restart replays the first answer instead of creating again', async () => {
    let wa = webagent(await start());
    const first = await wa.sessions.create({ instructions: 'script:default once' }, { idempotencyKey: 'wf-1/create' });
    wa = webagent(await restart());
    const again = await wa.sessions.create({ instructions: 'script:default once' }, { idempotencyKey: 'wf-1/create' });
    expect(again.id).toBe(first.id);
    expect(await wa.sessions.listAll()).toHaveLength(1);
    const journal = await new SandboxControl(sb!.origin).journal({ platform: 'webagent', method: 'POST' });
    expect(journal.map((e) => e.replayed)).toEqual([true]);
  });

  it('keys and scripts added through the control API survive a restart', async () => {
    const s = await start();
    const ctl = new SandboxControl(s.origin);
    await ctl.addKey('webagent', 'sb_custom_key', 'tenant-2');
    await ctl.script('two-steps', [
      { type: 'emit', count: 2 },
      { type: 'finish', result: 'custom' },
    ]);
    const s2 = await restart();
    const wa = webagent(s2, 'sb_custom_key');
    const session = await wa.sessions.create({ instructions: 'script:two-steps' });
    const done = await waitFor(
      () => wa.sessions.getTask(session.id, session.tasks[0].id),
      (t) => t.status === 'completed',
    );
    expect(done.result).toBe('custom');
  });

  it('ArchAstro: a waiting session resumes on an inbox message after a restart', async () => {
    let aa = archastro(await start());
    const s = await aa.createSession({ agent: 'agi_test', instructions: 'script:ask plan the trip' });
    const waiting = await waitFor(
      () => aa.getSession(s.id),
      (x) => x.status === 'waiting',
    );
    await aa.pauseRoutine('arn_sbx_invoke');

    aa = archastro(await restart());
    const restored = await aa.getSession(s.id);
    expect(restored.status).toBe('waiting');
    expect(restored.trajectory).toEqual(waiting.trajectory);
    expect((await aa.getRoutine('arn_sbx_invoke')).status).toBe('paused');

    await aa.sendMessage(s.id, { content: 'go ahead' });
    const done = await waitFor(
      () => aa.getSession(s.id),
      (x) => x.status === 'completed',
    );
    expect((await aa.listEvents(s.id)).filter((e) => e.event === 'needs_input')).toHaveLength(1);
    expect((done.inbox ?? []).map((m) => m.content)).toEqual(['go ahead']);
    // The session counter continued: a new session sorts before the restored one.
    const newer = await aa.createSession({ agent: 'agi_test', instructions: 'script:default' });
    expect((await aa.listSessions()).map((x) => x.id)).toEqual([newer.id, s.id]);
  });

  it("Wyse Mate: a session's messages and browsers are there after a restart", async () => {
    let wm = wysemate(await start());
    const { session_id } = await wm.session.create({ team_id: 'team_01', task: 'script:default weather' });
    await waitFor(
      () => wm.session.getInfo(session_id),
      (s) => s.status === 'completed',
    );
    const messages = await wm.session.getMessages(session_id, { page_size: 100 });
    const browsers = await wm.browser.listBrowsers(session_id);
    expect(browsers.browsers).toHaveLength(2);

    wm = wysemate(await restart());
    const info = await wm.session.getInfo(session_id);
    expect(info.status).toBe('completed');
    expect(await wm.session.getMessages(session_id, { page_size: 100 })).toEqual(messages);
    const after = await wm.browser.listBrowsers(session_id);
    const shape = (b: (typeof after.browsers)[number]) => ({
      id: b.browser_id,
      status: b.status,
      created: b.created_at,
      pages: b.pages,
    });
    expect(after.browsers.map(shape)).toEqual(browsers.browsers.map(shape));
    // Clean-up still has its work to do, and does it.
    await wm.browser.releaseBrowser(after.browsers[0]!.browser_id);
    expect((await wm.browser.getInfo(after.browsers[0]!.browser_id)).status).toBe('closed');
  });

  it("Mix: a session's transcript exports the same after a restart, and a processing one carries on", async () => {
    let mx = mix(await start());
    // The turn is over when the newest message is the agent's final one (Mix has no status field).
    const over = (e: { messages: { role: string; finishReason?: string | null }[] }) =>
      e.messages.at(-1)?.finishReason === 'end_turn';
    const done = await mx.create({ title: 'script:default report', browserMode: 'local-browser-service' });
    await mx.sendMessage(done.id, { text: 'hello' });
    await waitFor(() => mx.exportSession(done.id), over);
    const exported = await mx.exportSession(done.id);
    const busy = await mx.create({ title: 'script:chatty long one', browserMode: 'local-browser-service' });
    await mx.sendMessage(busy.id, { text: 'go' });
    await waitFor(
      () => mx.exportSession(busy.id),
      (e) => e.messages.length >= 3,
    );

    mx = mix(await restart());
    expect(await mx.exportSession(done.id)).toEqual(exported);
    await waitFor(() => mx.exportSession(busy.id), over, 10_000);
    const steps = (await mx.exportSession(busy.id)).messages.flatMap((m) =>
      (m.toolCalls ?? []).map((t) => (JSON.parse(String(t.input)) as { step: number }).step),
    );
    expect(steps).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  it('Mycel: chats, join requests, tokens and notification seqs continue after a restart', async () => {
    let s = await start();
    let owner = mycel(s, 'sb_mycel_owner');
    let visitor = mycel(s, 'sb_mycel_visitor');
    const chat = await owner.chats.create([MYCEL_DEMO_AGENT], 'Ops room');
    await owner.messages.send(chat.id, 'first message');
    const jr = await visitor.chats.requestJoin(chat.id, 'let me in');
    const login = await mycel(s, 'unused').auth.login('owner@example.com', 'owner-pw');
    const drained = await owner.notifications.drain();
    expect(drained.notifications.map((n) => n.seq)).toEqual([1]);

    s = await restart();
    owner = mycel(s, 'sb_mycel_owner');
    visitor = mycel(s, 'sb_mycel_visitor');
    expect((await owner.chats.list()).map((c) => c.id)).toEqual([chat.id]);
    expect((await owner.messages.list(chat.id)).map((m) => m.content)).toEqual(['first message']);
    expect((await owner.chats.listJoinRequests(chat.id)).map((j) => [j.id, j.state])).toEqual([[jr.id, 'pending']]);
    expect((await mycel(s, login.token).me.whoami()).id).toBe('owner');
    // Drained stays drained.
    expect((await owner.notifications.drain()).notifications).toEqual([]);

    await owner.chats.approveJoin(chat.id, jr.id);
    await visitor.messages.send(chat.id, 'hello after restart', { enforceCaughtUp: false });
    const frames = await take((signal) => owner.notifications.stream(0, { signal }), 2);
    expect(frames.map((f) => [f.seq, f.metadata.event_type])).toEqual([
      [1, 'chat.join_request'],
      [2, 'chat.message'],
    ]);
    expect((await owner.notifications.drain()).notifications.map((n) => n.seq)).toEqual([2]);
    const visitorFrames = await take((signal) => visitor.notifications.stream(0, { signal }), 1);
    expect(visitorFrames.map((f) => [f.seq, f.metadata.event_type])).toEqual([[1, 'chat.join_approved']]);
  });

  it('saves every ~2 s while state changes, without waiting for close()', async () => {
    const s = await start();
    expect(existsSync(stateFile)).toBe(false);
    const session = await webagent(s).sessions.create({ instructions: 'script:long' });
    await waitFor(
      async () => (existsSync(stateFile) ? readFileSync(stateFile, 'utf8') : ''),
      (raw) => raw.includes(session.id),
      4_000,
    );
    expect(readdirTmp()).toEqual([]);
  });

  it('a corrupt state file starts empty with one warning line', async () => {
    const s = await start();
    await webagent(s).sessions.create({ instructions: 'script:default' });
    await sb!.close();
    sb = undefined;
    writeFileSync(stateFile, '{"version":1, this is not json');
    const warn = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const s2 = await start();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(/sandbox\.json.*starting empty\n$/);
      expect(await webagent(s2).sessions.listAll()).toEqual([]);
    } finally {
      warn.mockRestore();
    }
  });

  it('without a state file nothing is written and nothing is kept', async () => {
    const a = await startSandbox({ tickMs: 5 });
    await webagent(a).sessions.create({ instructions: 'script:default' });
    await a.close();
    const b = await startSandbox({ tickMs: 5 });
    try {
      expect(await webagent(b).sessions.listAll()).toEqual([]);
    } finally {
      await b.close();
    }
  });
});

/** Leftover temporary files next to the state file (the atomic write must leave none). */
function readdirTmp(): string[] {
  return readdirSync(join(dir, 'data')).filter((f) => f.endsWith('.tmp'));
}
