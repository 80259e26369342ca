/**
 * Mycel request/response fixtures: one scenario calls every HTTP operation of the Mycel client
 * ({@link MYCEL_OPERATIONS}, the wire table in src/providers/mycel/routes.ts) against the sandbox,
 * and each operation's first successful exchange is checked against its committed fixture in
 * test/providers/fixtures/mycel/ (see ./fixtures.ts). The notification WebSocket is not an HTTP
 * exchange and has no fixture: test/providers/mycel.test.ts and the contract suite cover it.
 *
 * Re-record: `RECORD_FIXTURES=1 npx vitest run test/providers/mycel.fixtures.test.ts`.
 */
import type { ZodTypeAny } from 'zod';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  chatListSchema,
  chatSchema,
  drainSchema,
  externalUserSchema,
  joinRequestListSchema,
  joinRequestSchema,
  joinTargetSchema,
  messageListSchema,
  messageSchema,
  muteSchema,
  MYCEL_OPERATIONS,
  MycelClient,
  okSchema,
  relationshipListSchema,
  relationshipSchema,
  sessionSchema,
  threadSchema,
  userSchema,
  verifyOtpSchema,
} from '../../src/providers/mycel/client.js';
import { MYCEL_DEMO_AGENT, MYCEL_SANDBOX_OTP } from '../../src/sandbox/platforms/mycel/index.js';
import { type RunningSandbox, startSandbox } from '../../src/sandbox/server.js';
import { checkOperationFixtures, type FixtureOperation } from './fixtures.js';

/** The schema the client parses each operation's answer with. */
const RESPONSES: Record<keyof typeof MYCEL_OPERATIONS, ZodTypeAny> = {
  sendOtp: okSchema,
  verifyOtp: verifyOtpSchema,
  completeRegister: sessionSchema,
  login: sessionSchema,
  createExternalUser: externalUserSchema,
  whoami: userSchema,
  listChats: chatListSchema,
  createChat: chatSchema,
  getChat: chatSchema,
  joinTarget: joinTargetSchema,
  requestJoin: joinRequestSchema,
  listJoinRequests: joinRequestListSchema,
  approveJoin: joinRequestSchema,
  rejectJoin: joinRequestSchema,
  mute: muteSchema,
  listMessages: messageListSchema,
  sendMessage: messageSchema,
  unreadMessages: messageListSchema,
  readMessages: messageListSchema,
  markRead: okSchema,
  listRelationships: relationshipListSchema,
  requestRelationship: relationshipSchema,
  approveRelationship: relationshipSchema,
  rejectRelationship: relationshipSchema,
  drainNotifications: drainSchema,
  waitNotifications: drainSchema,
  createThread: threadSchema,
};

const OPERATIONS: Record<string, FixtureOperation> = Object.fromEntries(
  Object.entries(MYCEL_OPERATIONS).map(([name, op]) => [
    name,
    { ...op, response: RESPONSES[name as keyof typeof MYCEL_OPERATIONS] },
  ]),
);

let sb: RunningSandbox;
const client = (secret?: string) =>
  new MycelClient({ platform: 'mycel', alias: 'fixtures', baseUrl: sb.baseUrl('mycel'), secret, timeoutMs: 5_000 });

beforeAll(async () => {
  sb = await startSandbox({ tickMs: 5 });
  sb.core.captureResponses = true;
});
afterAll(async () => sb?.close());

it('every Mycel operation matches its request/response fixture', async () => {
  const anon = client();
  await anon.auth.sendOtp('fixture@example.com', 'fixture-pw', 'INVITE');
  const { temp_token } = await anon.auth.verifyOtp('fixture@example.com', MYCEL_SANDBOX_OTP);
  await anon.auth.completeRegister(temp_token, 'INVITE');
  await anon.auth.login('owner@example.com', 'owner-pw');

  const owner = client('sb_mycel_owner');
  const visitor = client('sb_mycel_visitor');
  const agentB = client('sb_mycel_agent-b');
  await owner.me.whoami();
  await owner.users.createExternal({ userId: 'fixture-bot', displayName: 'Fixture bot' });

  const rel = await visitor.relationships.request('owner');
  await owner.relationships.approve(rel.id);
  await owner.relationships.reject((await agentB.relationships.request('owner')).id);
  await owner.relationships.list();

  await owner.chats.create([MYCEL_DEMO_AGENT], 'Fixtures');
  await owner.chats.ensureDirect('visitor');
  const group = (await owner.chats.list()).find((c) => c.title === 'Fixtures')!;
  await owner.chats.get(group.id);
  await visitor.chats.joinTarget(group.id);
  const jr = await visitor.chats.requestJoin(group.id, 'let me in');
  await owner.chats.listJoinRequests(group.id);
  await owner.chats.approveJoin(group.id, jr.id);
  await owner.chats.rejectJoin(group.id, (await agentB.chats.requestJoin(group.id, 'me too')).id);
  await owner.chats.muteMember(group.id, MYCEL_DEMO_AGENT);

  await visitor.messages.send(group.id, 'hello', { mentions: ['owner'] });
  await owner.messages.unread(group.id);
  await owner.messages.read(group.id);
  const [last] = await owner.messages.list(group.id, { limit: 10 });
  await owner.messages.markRead(group.id, last!.seq!);

  expect((await owner.notifications.wait(1)).notifications.length).toBeGreaterThan(0);
  await owner.notifications.drain();
  await owner.threads.create(MYCEL_DEMO_AGENT);

  const report = checkOperationFixtures('mycel', OPERATIONS, sb.core.journal);
  expect(report.problems).toEqual([]);
});
