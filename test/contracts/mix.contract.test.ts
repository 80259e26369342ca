/**
 * Contract suite, Mix: the published SDK (mix-python-sdk 0.8.1, in a pinned venv) drives the
 * sandbox — every operation Switchboard uses must succeed and parse in the SDK's own models, errors
 * in its own error types, the stream with its own cursor — and, the other way round, every request
 * body Switchboard's client sends must validate in the SDK's request models with no field it lacks.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createMixAdapter } from '../../src/activities/sessions/mix.js';
import { Credentials, parseEnv } from '../../src/config.js';
import { agentSessionInput } from '../../src/contracts/sessions.js';
import { ProviderRegistry } from '../../src/providers/registry.js';
import { SandboxControl } from '../../src/sandbox/control.js';
import { type RunningSandbox, startSandbox } from '../../src/sandbox/server.js';
import { sdkRunner, sentBodiesChecked } from './support.js';
import { contractPython } from './venv.js';

const SCRIPT = 'test/contracts/mix_contract.py';
let sb: RunningSandbox;
let control: SandboxControl;

beforeAll(async () => {
  contractPython(); // makes (or checks) the venv once, outside the timed tests
  sb = await startSandbox({ tickMs: 5 });
  control = new SandboxControl(sb.origin);
}, 300_000);
afterAll(async () => sb?.close());

const sdk = sdkRunner(SCRIPT);

/** Scripts for Mix's human-in-the-loop: a permission, a choice question (30 s), an acknowledge question (1 s). */
async function gateScripts(): Promise<void> {
  const then = [
    { type: 'emit' as const, count: 1 },
    { type: 'finish' as const, result: 'done' },
  ];
  await control.script('contract-permission', [
    {
      type: 'ask',
      prompt: 'Clean the build directory',
      meta: { mix: 'permission', toolName: 'Bash', action: 'rm -rf build/' },
    },
    ...then,
  ]);
  await control.script('contract-choice', [
    {
      type: 'ask',
      prompt: 'Which region?',
      meta: { responseType: 'choice', choices: ['eu', 'us'], timeoutSeconds: 30 },
    },
    ...then,
  ]);
  await control.script('contract-ack', [
    { type: 'ask', prompt: 'Deploy starts now', meta: { responseType: 'acknowledge', timeoutSeconds: 1 } },
    ...then,
  ]);
}

it('the Mix SDK drives the sandbox: every operation parses in its models, errors in its error types, the stream resumes on its cursor', async () => {
  await control.reset();
  await gateScripts();
  const checks = await sdk([], { MIX_SERVER_URL: sb.baseUrl('mix') });
  expect(checks.filter((c) => !c.ok)).toEqual([]);
  expect(checks.map((c) => c.check)).toEqual(
    expect.arrayContaining([
      'create → SessionData',
      'messages.send → 202 SendMessageResponse',
      'stream_events → typed events to complete',
      'stream resumes after Last-Event-ID',
      'export_session → ExportSession (tool calls as the SDK models them)',
      'notification question event',
      'get unknown → ErrorResponse(not_found)',
      'helpers.query streams a turn to complete',
      'permission event (grant) → SSEPermissionEvent',
      'permissions.grant → GrantPermissionResponse',
      'permissions.deny → DenyPermissionResponse',
      'a second answer to a granted permission is refused (ErrorResponse not_found)',
      'choice question event (choices, timeout)',
      'a choice not offered is refused (400)',
      'a second response is refused (ErrorResponse not_found)',
      'an unanswered question expires and the turn goes on',
      'a late answer is refused (ErrorResponse not_found)',
    ]),
  );
}, 120_000);

it("every body Switchboard's Mix adapter sends validates in the SDK's request models, with no unknown field", async () => {
  await control.reset();
  const env = { MIX_SERVER_URL: sb.baseUrl('mix') };
  const adapter = createMixAdapter(new ProviderRegistry(new Credentials(parseEnv(env), env)));
  const input = agentSessionInput().parse({
    platform: 'mix',
    task: 'Contract run script:ask',
    mix: {
      promptMode: 'append',
      customSystemPrompt: 'Be brief.',
      callbacks: [{ toolName: '*', type: 'send_message', messageContent: 'check' }],
    },
  });
  const { ref } = await adapter.create(input, { idempotencyKey: 'contract/create' });
  const asked = await adapter.follow(
    ref,
    undefined,
    { maxEvents: 100, maxMs: 3_000, pollMs: 5 },
    { progress: () => {} },
  );
  expect(asked.status).toBe('awaiting_input');
  await adapter.answerInput!(ref, asked.pendingInput!.requestId, 'yes', { idempotencyKey: 'contract/answer' });
  const done = await adapter.follow(
    ref,
    asked.cursor,
    { maxEvents: 100, maxMs: 3_000, pollMs: 5 },
    { progress: () => {} },
  );
  await adapter.sendMessage!(ref, 'and one more thing', { idempotencyKey: 'contract/msg' });
  await adapter.setCallbacks!(ref, [{ toolName: 'Bash', type: 'bash_script', bashCommand: 'echo ok' }], {
    idempotencyKey: 'contract/cb',
  });
  const firstMessage = done.entries.find((e) => e.role === 'user') ?? asked.entries.find((e) => e.role === 'user');
  await adapter.rewind!(ref, firstMessage!.id, true, { idempotencyKey: 'contract/rewind' });

  // Mix's own human-in-the-loop, answered the way the agentSession workflow answers its gates.
  await gateScripts();
  for (const [script, answer] of [
    ['contract-permission', { gate: 'permission', grant: true }],
    ['contract-permission', { gate: 'permission', grant: false }],
    ['contract-choice', { gate: 'question', type: 'choice', value: 'us' }],
  ] as const) {
    const gated = await adapter.create(
      agentSessionInput().parse({ platform: 'mix', task: `Contract gate script:${script}` }),
      {
        idempotencyKey: `contract/gate/${script}/${JSON.stringify(answer)}`,
      },
    );
    const waiting = await adapter.follow(
      gated.ref,
      undefined,
      { maxEvents: 100, maxMs: 3_000, pollMs: 5 },
      { progress: () => {} },
    );
    expect(waiting.pendingInput?.data).toMatchObject({ platform: 'mix', gate: answer.gate });
    await adapter.answerPlatformGate!(gated.ref, waiting.pendingInput!.requestId, answer, {
      idempotencyKey: 'contract/gate',
    });
  }

  const ops: Record<string, string> = {
    'POST /api/sessions': 'createSession',
    'POST /api/sessions/{id}/messages': 'sendMessage',
    'PATCH /api/sessions/{id}/callbacks': 'updateSessionCallbacks',
    'POST /api/sessions/{id}/rewind': 'rewindSession',
    'POST /api/notifications/{id}/respond': 'respondToNotification',
    'POST /api/permissions/{id}/grant': 'grantPermission',
    'POST /api/permissions/{id}/deny': 'denyPermission',
  };
  const { sent, checks } = await sentBodiesChecked(await control.journal({ platform: 'mix' }), ops, sdk);
  expect(new Set(sent.map((s) => s.op))).toEqual(new Set(Object.values(ops)));
  expect(checks.filter((c) => !c.ok)).toEqual([]);
  expect(checks).toHaveLength(sent.length);
}, 120_000);
