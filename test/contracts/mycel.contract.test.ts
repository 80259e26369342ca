/**
 * Contract suite, Mycel: the published SDK (mycel-sdk 0.1.83, whose facade calls its own
 * FastAPI-generated client) drives the sandbox through every operation Switchboard uses; and every
 * body Switchboard's client sends parses in the SDK's generated request models, with no key they lack.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { MycelClient } from '../../src/providers/mycel/client.js';
import { SandboxControl } from '../../src/sandbox/control.js';
import { type RunningSandbox, startSandbox } from '../../src/sandbox/server.js';
import { sdkRunner, sentBodiesChecked } from './support.js';
import { contractPython } from './venv.js';

const SCRIPT = 'test/contracts/mycel_contract.py';
let sb: RunningSandbox;
let control: SandboxControl;

beforeAll(async () => {
  contractPython(); // makes (or checks) the venv once, outside the timed tests
  sb = await startSandbox({ tickMs: 5 });
  control = new SandboxControl(sb.origin);
}, 300_000);
afterAll(async () => sb?.close());
beforeEach(async () => control.reset());

const sdk = sdkRunner(SCRIPT);

const client = (token: string) =>
  new MycelClient({ platform: 'mycel', alias: token, baseUrl: sb.baseUrl('mycel'), secret: token });

it('the Mycel SDK drives the sandbox through every operation Switchboard uses', async () => {
  const checks = await sdk([], {
    MYCEL_BASE_URL: sb.baseUrl('mycel'),
    MYCEL_OWNER_TOKEN: 'sb_mycel_owner',
    MYCEL_VISITOR_TOKEN: 'sb_mycel_visitor',
  });
  expect(checks.filter((c) => !c.ok)).toEqual([]);
  expect(checks.map((c) => c.check)).toEqual(
    expect.arrayContaining([
      'whoami (GET /api/auth/me)',
      'chats.ensure_direct finds or creates one direct chat',
      'messages.list_all pages history by seq',
      'messages.read (atomic read + mark)',
      'chats.reject_join → rejected',
      'inbox wait returns early on a notification, with its seq',
      'inbox wait takes nothing: asked again, the same notification comes at once',
      'notifications.drain acknowledges what wait showed',
      'notifications.stream resumes after since_seq',
    ]),
  );
}, 120_000);

it("every body Switchboard's Mycel client sends parses in the SDK's generated request models", async () => {
  const owner = client('sb_mycel_owner');
  const visitor = client('sb_mycel_visitor');
  const me = await owner.me.whoami();
  const rel = await visitor.relationships.request(me.id);
  await owner.relationships.approve(rel.id);
  const agent = await owner.users.createExternal({ userId: 'contract-bot', displayName: 'Contract bot' });
  await owner.chats.ensureDirect((await visitor.me.whoami()).id);
  const group = await owner.chats.create([agent.id], 'Contract group');
  const req = await visitor.chats.requestJoin(group.id, 'let me in');
  await owner.chats.approveJoin(group.id, req.id);
  await owner.chats.muteMember(group.id, 'contract-bot');
  await visitor.messages.send(group.id, 'hello', { enforceCaughtUp: true, mentions: [me.id] });
  await owner.messages.read(group.id);
  const [last] = (await owner.messages.list(group.id)).slice(-1);
  await owner.messages.markRead(group.id, last!.seq!);
  const late = client('sb_mycel_late');
  await control.addKey('mycel', 'sb_mycel_late', 'late-visitor');
  const lateReq = await late.chats.requestJoin(group.id);
  await owner.chats.rejectJoin(group.id, lateReq.id);
  // wait and drain carry no body; wait's one query parameter is what the SDK sends (a float of seconds).
  const shown = await owner.notifications.wait(1);
  expect(shown.notifications.length).toBeGreaterThan(0);
  await owner.notifications.drain();
  expect((await owner.notifications.wait(0)).notifications).toEqual([]);
  const waits = await control.journal({ platform: 'mycel', route: '/api/runtime/inbox/wait' });
  expect(waits.map((w) => w.query)).toEqual(['timeout_seconds=1', 'timeout_seconds=0']);
  expect(waits.every((w) => w.body === undefined || JSON.stringify(w.body) === '{}')).toBe(true);

  const ops: Record<string, string> = {
    'POST /api/chats': 'createChat',
    'POST /api/chats/{chat_id}/messages': 'sendMessage',
    'POST /api/chats/{chat_id}/join-requests': 'requestJoin',
    'POST /api/relationships/request': 'requestRelationship',
    'POST /api/chats/{chat_id}/mute': 'mute',
    'POST /api/auth/external-users': 'createExternalUser',
    'POST /api/chats/{chat_id}/read': 'markRead',
    'POST /api/chats/{chat_id}/join-requests/{request_id}/approve': 'approveJoin',
    'POST /api/chats/{chat_id}/join-requests/{request_id}/reject': 'rejectJoin',
    'POST /api/relationships/{relationship_id}/approve': 'approveRelationship',
  };
  const { sent, checks } = await sentBodiesChecked(await control.journal({ platform: 'mycel' }), ops, sdk);
  expect(new Set(sent.map((s) => s.op))).toEqual(new Set(Object.values(ops)));
  expect(checks.filter((c) => !c.ok)).toEqual([]);
  expect(checks).toHaveLength(sent.length);
}, 120_000);
