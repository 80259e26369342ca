/**
 * Contract suite, ArchAstro: both published SDKs drive the sandbox. The TypeScript SDK
 * (`@archastro/sdk` 0.19.0, a dev dependency) sends its own wire — the app key in
 * `x-archastro-api-key`, multi-value filters as `key[]` — and must get what it asks for; the Python
 * SDK (`archastro-sdk` 0.11.0, in the pinned venv) validates every answer into its pydantic types and
 * pages the harness events on its own cursor. The other way round, every body Switchboard's client
 * sends fits the SDK's input types.
 */
import { PlatformClient } from '@archastro/sdk';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { createArchAstroAdapter } from '../../src/activities/sessions/archastro.js';
import { Credentials, parseEnv } from '../../src/config.js';
import { agentSessionInput } from '../../src/contracts/sessions.js';
import { ArchAstroClient } from '../../src/providers/archastro/client.js';
import { ProviderRegistry } from '../../src/providers/registry.js';
import { SandboxControl } from '../../src/sandbox/control.js';
import { KeyRing, type RunningSandbox, startSandbox } from '../../src/sandbox/server.js';
import { sdkRunner, sentBodiesChecked } from './support.js';
import { contractPython } from './venv.js';

const SCRIPT = 'test/contracts/archastro_contract.py';
const KEY = KeyRing.defaultKey('archastro');
const AGENT = 'agi_contract';
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

it('the Python SDK drives the sandbox: every answer validates in its types, errors are its ApiError, events page on its cursor', async () => {
  const checks = await sdk([], { ARCHASTRO_BASE_URL: sb.baseUrl('archastro'), ARCHASTRO_API_KEY: KEY });
  expect(checks.filter((c) => !c.ok)).toEqual([]);
  expect(checks.length).toBeGreaterThanOrEqual(34);
}, 120_000);

it('the TypeScript SDK (its own auth header and key[] filters) gets what it asks for', async () => {
  const aa = PlatformClient.withSecretKey(KEY, sb.baseUrl('archastro'));
  const s = await aa.agent_sessions.create({
    agent: AGENT,
    instructions: 'ts sdk script:ask',
    metadata: { via: 'ts' },
  });
  const other = await aa.agent_sessions.create({ agent: 'agi_elsewhere', instructions: 'script:long' });
  const deadline = Date.now() + 5_000;
  while ((await aa.agent_sessions.get(s.id)).status !== 'waiting' && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  const waiting = await aa.agent_sessions.list({ agent: [AGENT, 'agi_nobody'], status: ['waiting', 'completed'] });
  expect(waiting.data.map((x) => x.id)).toEqual([s.id]);
  const both = await aa.agent_sessions.list({ agent: [AGENT, 'agi_elsewhere'] });
  expect(new Set(both.data.map((x) => x.id))).toEqual(new Set([s.id, other.id]));
  const lists = await control.journal({ platform: 'archastro', method: 'GET', route: '/api/v1/agent_sessions' });
  expect(lists.every((e) => e.status === 200)).toBe(true);
  expect(decodeURIComponent(lists[0]!.query ?? '')).toContain('status[]=waiting&status[]=completed');
  const answered = await aa.agent_sessions.message(s.id, { content: 'the first' });
  expect(answered.status).toBe('running');
  expect((await aa.agent_sessions.cancel(other.id)).status).toBe('cancelled');
  await aa.agent_sessions.delete(other.id);
  await expect(aa.agent_sessions.get(other.id)).rejects.toMatchObject({ status: 404 });

  // Routines and runs: presets, invoke (message required), runs across routines with agent[], the streams.
  expect((await aa.agent_routines.presets()).map((p) => p.name)).toContain('agent_chat');
  await expect(aa.agent_routines.invoke('sandbox-invoke', {} as never)).rejects.toMatchObject({ status: 422 });
  const run = await aa.agent_routines.invoke('sandbox-invoke', { message: 'quick', metadata: { via: 'ts' } });
  const updates = [];
  for await (const ev of aa.agent_routine_runs.stream(run.id)) updates.push(ev.data.status);
  expect(updates.at(-1)).toBe('completed');
  expect((await aa.agent_routines.agent_routine_runs.get(run.id)).result).toEqual({ text: 'done' });
  const across = await aa.agent_routine_runs.list({ agent: ['agi_sandbox', 'agi_nobody'], status: 'completed' });
  expect(across.data.map((r) => r.id)).toEqual([run.id]);
  const runLists = await control.journal({ platform: 'archastro', route: '/api/v1/agent_routine_runs' });
  expect(decodeURIComponent(runLists[0]!.query ?? '')).toContain('agent[]=agi_sandbox&agent[]=agi_nobody');
  const live = await aa.agent_sessions.create({ agent: AGENT, instructions: 'ts stream' });
  const kinds: string[] = [];
  for await (const ev of aa.agent_sessions.stream(live.id))
    kinds.push(ev.event === 'session_update' ? `update:${ev.data.status}` : ev.event);
  expect(kinds[0]).toMatch(/^update:/);
  expect(kinds.at(-1)).toBe('update:completed');
});

it("every body Switchboard's ArchAstro client sends fits the SDK's input types", async () => {
  const env = { ARCHASTRO_BASE_URL: sb.baseUrl('archastro'), ARCHASTRO_API_KEY: KEY };
  const adapter = createArchAstroAdapter(new ProviderRegistry(new Credentials(parseEnv(env), env)));
  const input = agentSessionInput().parse({
    platform: 'archastro',
    task: 'Contract run script:ask',
    title: 'contract',
    archastro: { agentId: AGENT, maxTurns: 5, maxTokens: 10_000, metadata: { team: 'qa' } },
  });
  const { ref } = await adapter.create(input, { idempotencyKey: 'contract/create' });
  await adapter.sendMessage!(ref, 'go on', { idempotencyKey: 'contract/msg' });
  const client = new ArchAstroClient({
    platform: 'archastro',
    alias: 'default',
    baseUrl: sb.baseUrl('archastro'),
    secret: KEY,
  });
  await client.updateSession(ref.sessionId, { metadata: { more: true } });
  const routine = await client.createRoutine(AGENT, {
    name: 'contract',
    handler_type: 'preset',
    preset_name: 'agent_chat',
    preset_config: {
      instructions: 'Be brief.',
      llm: { model: 'openrouter/x' },
      session_mode: 'session',
      session_scope: 'per_key',
    },
    event_type: 'agentroutine.invoked',
    status: 'active',
  });
  await client.updateRoutine(routine.id, { description: 'v2', preset_config: { instructions: 'Be thorough.' } });
  await client.invokeRoutine('sandbox-invoke', {
    message: 'quick',
    idempotency_key: 'contract/inv',
    metadata: { switchboard_key: 'contract/inv' },
  });
  const ops: Record<string, string> = {
    'POST /api/v1/agent_sessions': 'createSession',
    'PATCH /api/v1/agent_sessions/{session}': 'updateSession',
    'POST /api/v1/agent_sessions/{session}/message': 'sendMessage',
    'POST /api/v1/agents/{agent}/agent_routines': 'createRoutine',
    'PATCH /api/v1/agent_routines/{routine}': 'updateRoutine',
    'POST /api/v1/agent_routines/{routine}/invoke': 'invokeRoutine',
  };
  const { sent, checks } = await sentBodiesChecked(await control.journal({ platform: 'archastro' }), ops, sdk);
  expect(new Set(sent.map((s) => s.op))).toEqual(new Set(Object.values(ops)));
  expect(checks.filter((c) => !c.ok)).toEqual([]);
  expect(checks).toHaveLength(sent.length);
}, 120_000);
