/**
 * ArchAstro request/response fixtures, one per wire operation (src/providers/archastro/wire.ts
 * `OPERATIONS`): a scenario calls every operation through the provider client, each at a state
 * whose answer has a fixed shape, and test/providers/fixtures.ts checks the live bodies and the
 * committed fixtures (test/providers/fixtures/archastro/) against the client's response schemas.
 * Re-record: `RECORD_FIXTURES=1 npx vitest run test/providers/archastro.fixtures.test.ts`.
 */
import type { ZodTypeAny } from 'zod';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ArchAstroClient, type ArchAstroSession } from '../../src/providers/archastro/client.js';
import {
  presetListSchema,
  routineListSchema,
  routineSchema,
  runPageSchema,
  runSchema,
  sessionEventListSchema,
  sessionListSchema,
  sessionSchema,
} from '../../src/providers/archastro/schemas.js';
import { OPERATIONS, ROUTES, type ArchAstroOperation } from '../../src/providers/archastro/wire.js';
import { SandboxControl } from '../../src/sandbox/control.js';
import type { JournalEntry } from '../../src/sandbox/framework.js';
import { KeyRing, startSandbox, type RunningSandbox } from '../../src/sandbox/server.js';
import { checkOperationFixtures, type FixtureOperation } from './fixtures.js';

/** The schema each operation's answer is parsed with (none: 204s and streams). */
const RESPONSES: Record<ArchAstroOperation, ZodTypeAny | undefined> = {
  listSessions: sessionListSchema,
  createSession: sessionSchema,
  getSession: sessionSchema,
  updateSession: sessionSchema,
  deleteSession: undefined,
  cancelSession: sessionSchema,
  sendMessage: sessionSchema,
  listEvents: sessionEventListSchema,
  streamSession: undefined,
  listRoutines: routineListSchema,
  createRoutine: routineSchema,
  listPresets: presetListSchema,
  getRoutine: routineSchema,
  updateRoutine: routineSchema,
  deleteRoutine: undefined,
  activateRoutine: routineSchema,
  pauseRoutine: routineSchema,
  invokeRoutine: runSchema,
  listRuns: runPageSchema,
  getRun: runSchema,
  listAllRuns: runPageSchema,
  streamRun: undefined,
};

/** The fixture map, derived from the wire table (paths are never retyped here). */
const operations: Record<string, FixtureOperation> = Object.fromEntries(
  Object.entries(OPERATIONS).map(([name, op]) => [
    name,
    {
      method: op.method,
      path: ROUTES[op.route],
      source: op.source,
      status: op.status,
      response: RESPONSES[name as ArchAstroOperation],
    },
  ]),
);

const AGENT = 'agi_fixtures';
let sb: RunningSandbox;
let control: SandboxControl;
let client: ArchAstroClient;

beforeAll(async () => {
  sb = await startSandbox({ tickMs: 5 });
  control = new SandboxControl(sb.origin);
  client = new ArchAstroClient({
    platform: 'archastro',
    alias: 'default',
    baseUrl: sb.baseUrl('archastro'),
    secret: KeyRing.defaultKey('archastro'),
  });
  sb.core.captureResponses = true;
});
afterAll(async () => sb?.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('every ArchAstro wire operation matches its committed request/response fixture', async () => {
  const kept: JournalEntry[] = [];
  /**
   * Waits for a state without its polls counting as an operation's first call: what was journalled
   * so far is kept, the polls are dropped.
   */
  const quietly = async (until: () => Promise<boolean>) => {
    kept.push(...sb.core.journal);
    const end = Date.now() + 5_000;
    while (!(await until())) {
      if (Date.now() > end) throw new Error('state never reached');
      await sleep(10);
    }
    await control.clearJournal();
  };
  const session = async (id: string): Promise<ArchAstroSession> => client.getSession(id);
  const drain = async (it: AsyncGenerator<unknown>) => {
    const out: unknown[] = [];
    for await (const e of it) out.push(e);
    return out;
  };
  await control.reset();
  await control.clearJournal();

  // ---- agent sessions
  const created = await client.createSession({
    agent: AGENT,
    instructions: 'Fixture run script:ask',
    metadata: { switchboard_key: 'fx-1' },
  });
  await quietly(async () => (await session(created.id)).status === 'waiting');
  expect((await client.getSession(created.id)).status).toBe('waiting');
  expect(await client.listSessions({ agent: AGENT, status: ['waiting'] })).toHaveLength(1);
  expect((await client.listEvents(created.id)).at(-1)?.event).toBe('needs_input');
  expect(
    (await client.sendMessage(created.id, { content: 'option B', metadata: { switchboard_key: 'fx-m1' } })).status,
  ).toBe('running');
  await quietly(async () => (await session(created.id)).status === 'completed');
  expect((await client.updateSession(created.id, { metadata: { done: true } })).result).toMatchObject({
    text: expect.any(String),
  });
  expect(await drain(client.streamSession(created.id))).toHaveLength(1);
  expect((await client.cancelSession(created.id)).status).toBe('completed');
  await client.deleteSession(created.id);

  // ---- agent routines and runs
  expect((await client.listPresets()).length).toBeGreaterThan(0);
  expect((await client.listRoutines({ agent: 'agi_sandbox' })).length).toBe(3);
  expect((await client.getRoutine('sandbox-invoke')).preset_name).toBe('agent_chat');
  const routine = await client.createRoutine(AGENT, {
    name: 'Fixture routine',
    handler_type: 'preset',
    preset_name: 'agent_chat',
    preset_config: { instructions: 'Be brief.', session_mode: 'stateless' },
    event_type: 'agentroutine.invoked',
  });
  await client.updateRoutine(routine.id, {
    description: 'v2',
    preset_config: { instructions: 'Be thorough.', session_mode: 'stateless' },
  });
  expect((await client.activateRoutine(routine.id)).status).toBe('active');
  expect((await client.pauseRoutine(routine.id)).status).toBe('paused');
  const run = await client.invokeRoutine('sandbox-invoke', {
    message: 'quick',
    idempotency_key: 'fx-inv',
    metadata: { switchboard_key: 'fx-inv' },
  });
  expect(run.status).toBe('pending');
  await quietly(async () => (await client.getRun(run.id)).status === 'completed');
  expect((await client.getRun(run.id)).result).toEqual({ text: 'done' });
  expect((await client.listRuns('sandbox-invoke')).data.map((r) => r.id)).toEqual([run.id]);
  expect((await client.listAllRuns({ agent: ['agi_sandbox'] })).data.map((r) => r.id)).toEqual([run.id]);
  expect(await drain(client.streamRun(run.id))).toHaveLength(1);
  await client.deleteRoutine(routine.id);

  kept.push(...sb.core.journal);
  const report = checkOperationFixtures('archastro', operations, kept);
  expect(report.problems).toEqual([]);
});
