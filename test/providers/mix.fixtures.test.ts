/**
 * Mix request/response fixtures, one per wire operation (issue 9, item B): a scenario calls every
 * operation of `MIX_OPS` through the provider client against the sandbox, and each first successful
 * call is checked against `test/providers/fixtures/mix/<operation>.json` (schema + shape, see
 * test/providers/fixtures.ts). Method, path and source come from the wire table; only the response
 * schema and status are stated here, and the type below fails to compile if an operation lacks them.
 *
 * Re-record: `RECORD_FIXTURES=1 npx vitest run test/providers/mix.fixtures.test.ts`.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ZodTypeAny } from 'zod';
import { MixClient } from '../../src/providers/mix/client.js';
import {
  backendMessageListSchema,
  cancelProcessingSchema,
  denyPermissionSchema,
  exportSessionSchema,
  grantPermissionSchema,
  sendMessageResponseSchema,
  sessionDataSchema,
  sessionListSchema,
} from '../../src/providers/mix/schemas.js';
import { MIX_OPS } from '../../src/providers/mix/wire.js';
import type { SseEvent } from '../../src/providers/sse.js';
import { SandboxControl } from '../../src/sandbox/control.js';
import { KeyRing, type RunningSandbox, startSandbox } from '../../src/sandbox/server.js';
import { checkOperationFixtures, type FixtureOperation } from './fixtures.js';

/** What the client parses each answer with, and the status of its success. */
const ANSWERS: Record<keyof typeof MIX_OPS, { response?: ZodTypeAny; status?: number }> = {
  listSessions: { response: sessionListSchema },
  createSession: { response: sessionDataSchema, status: 201 },
  getSession: { response: sessionDataSchema },
  deleteSession: { status: 204 },
  updateSessionCallbacks: { response: sessionDataSchema },
  exportSession: { response: exportSessionSchema },
  rewindSession: { response: sessionDataSchema },
  cancelSessionProcessing: { response: cancelProcessingSchema },
  sendMessage: { response: sendMessageResponseSchema, status: 202 },
  listMessages: { response: backendMessageListSchema },
  stream: { status: 200 },
  respondToNotification: { status: 204 },
  grantPermission: { response: grantPermissionSchema },
  denyPermission: { response: denyPermissionSchema },
};

const OPERATIONS: Record<string, FixtureOperation> = Object.fromEntries(
  Object.entries(MIX_OPS).map(([name, op]) => [
    name,
    { method: op.method, path: op.path, source: op.source, ...ANSWERS[name as keyof typeof MIX_OPS] },
  ]),
);

let sb: RunningSandbox;
let client: MixClient;
let control: SandboxControl;

beforeAll(async () => {
  sb = await startSandbox({ tickMs: 5 });
  control = new SandboxControl(sb.origin);
  client = new MixClient({
    platform: 'mix',
    alias: 'default',
    baseUrl: sb.baseUrl('mix'),
    secret: KeyRing.defaultKey('mix'),
  });
});
afterAll(async () => sb?.close());

/** Reads the session's stream until `stop` (bounded: 3 s, 500 frames). */
async function readUntil(sessionId: string, stop: (ev: SseEvent) => boolean, lastEventId?: string): Promise<SseEvent> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 3_000);
  let n = 0;
  try {
    for await (const ev of client.stream(sessionId, { lastEventId, signal: ac.signal })) {
      if (stop(ev)) return ev;
      if (++n > 500) break;
    }
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  throw new Error('the awaited frame never came');
}

it('every Mix operation matches its request/response fixture', async () => {
  await control.script('fixture-mix-ops', [
    { type: 'emit', count: 1 },
    {
      type: 'ask',
      prompt: 'Clean the build directory',
      meta: { mix: 'permission', toolName: 'Bash', action: 'rm -rf build/' },
    },
    {
      type: 'ask',
      prompt: 'Overwrite .env',
      meta: { mix: 'permission', toolName: 'Write', action: 'write', path: '.env' },
    },
    {
      type: 'ask',
      prompt: 'Which region?',
      meta: { responseType: 'choice', choices: ['eu', 'us'], timeoutSeconds: 60 },
    },
    { type: 'finish', result: 'done' },
  ]);
  sb.core.captureResponses = true;
  try {
    const s = await client.create({ title: 'Fixture session', browserMode: 'local-browser-service' });
    await client.list();
    await client.get(s.id);
    await client.sendMessage(s.id, { text: 'go script:fixture-mix-ops', thinkingLevel: 'basic' });
    const grantMe = await readUntil(s.id, (e) => e.event === 'permission');
    await client.grantPermission((grantMe.data as { id: string }).id);
    const denyMe = await readUntil(s.id, (e) => e.event === 'permission' && e.id !== grantMe.id, grantMe.id);
    await client.denyPermission((denyMe.data as { id: string }).id);
    const question = await readUntil(s.id, (e) => e.event === 'notification', denyMe.id);
    await client.respondToNotification((question.data as { id: string }).id, { type: 'choice', value: 'eu' });
    await readUntil(s.id, (e) => e.event === 'complete', question.id);
    await client.listMessages(s.id);
    await client.updateSessionCallbacks(s.id, [{ toolName: '*', type: 'send_message', messageContent: 'review' }]);
    const exported = await client.exportSession(s.id);
    await client.cancelProcessing(s.id);
    await client.rewindSession(s.id, { messageId: exported.messages[0]!.id });
    await client.delete(s.id);

    const report = checkOperationFixtures('mix', OPERATIONS, sb.core.journal);
    expect(report.problems).toEqual([]);
  } finally {
    sb.core.captureResponses = false;
  }
}, 30_000);
