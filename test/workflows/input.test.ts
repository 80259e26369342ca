/**
 * Bad input is refused at every edge: by the client library (before any workflow starts), by the
 * CLI (non-zero exit with the reason), and by the workflow itself when started raw with the
 * Temporal CLI.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { SwitchboardClientError } from '../../src/client/index.js';
import type { AgentSessionInputRaw } from '../../src/contracts/sessions.js';
import { createHarness, type Harness, switchboardCli } from '../support/harness.js';

const run = promisify(execFile);

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ name: 'input' });
});
afterAll(async () => h?.close());
beforeEach(async () => h.control.reset());

const BAD: [string, unknown, RegExp][] = [
  ['unknown platform', { platform: 'nope', task: 'x' }, /platform/],
  ['empty task', { platform: 'webagent', task: '   ' }, /task must not be empty/],
  [
    'a key where an alias belongs',
    { platform: 'webagent', task: 'x', credentialAlias: 'sk live 123' },
    /credentialAlias/,
  ],
  ['ArchAstro without an agent', { platform: 'archastro', task: 'x', archastro: {} }, /agentId/],
  [
    'Mix remote CDP without cdpUrl',
    { platform: 'mix', task: 'x', mix: { browserMode: 'remote-cdp-websocket' } },
    /cdpUrl is required/,
  ],
  [
    'Mix cdpUrl not ws(s)://',
    { platform: 'mix', task: 'x', mix: { browserMode: 'remote-cdp-websocket', cdpUrl: 'http://127.0.0.1:9222' } },
    /ws:\/\/ or wss:\/\//,
  ],
  [
    'Mix append prompt over 51,200 bytes',
    { platform: 'mix', task: 'x', mix: { promptMode: 'append', customSystemPrompt: 'a'.repeat(51_201) } },
    /append mode allows 51200/,
  ],
  [
    'Mix replace prompt over 102,400 bytes',
    { platform: 'mix', task: 'x', mix: { promptMode: 'replace', customSystemPrompt: 'é'.repeat(51_201) } },
    /replace mode allows 102400/,
  ],
  ['Mix subagent session', { platform: 'mix', task: 'x', mix: { sessionType: 'subagent' } }, /only 'main' sessions/],
  [
    'Mix subagent_type set',
    { platform: 'mix', task: 'x', mix: { subagentType: 'explorer' } },
    /subagent_type must not be set/,
  ],
  [
    'Mix bad callback',
    { platform: 'mix', task: 'x', mix: { callbacks: [{ toolName: 'bash', type: 'bash_script' }] } },
    /bashCommand is required/,
  ],
];

describe('the client refuses bad input before any workflow starts', () => {
  it.each(BAD)('%s', async (_name, input, message) => {
    const workflowId = `bad-${Math.random().toString(36).slice(2)}`;
    const err = await h.sb.startSession(input as AgentSessionInputRaw, { workflowId }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SwitchboardClientError);
    expect((err as SwitchboardClientError).code).toBe('invalid_input');
    expect((err as Error).message).toMatch(message);
    const described = await h.client.workflow
      .getHandle(workflowId)
      .describe()
      .catch((e: unknown) => e);
    expect(described).toBeInstanceOf(WorkflowNotFoundError);
  });
});

describe('the workflow refuses bad input when started raw with the Temporal CLI', () => {
  it.each(BAD)('%s', async (_name, input, message) => {
    const workflowId = `raw-bad-${Math.random().toString(36).slice(2)}`;
    await run(inject('temporalCliPath'), [
      'workflow',
      'start',
      '--address',
      inject('temporalAddress'),
      '--namespace',
      'default',
      '--type',
      'agentSession',
      '--task-queue',
      h.taskQueue,
      '--workflow-id',
      workflowId,
      '--input',
      JSON.stringify(input),
    ]);
    const err: unknown = await h.client.workflow
      .getHandle(workflowId)
      .result()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('InvalidInput');
    expect(cause.message).toMatch(message);
    expect(await h.control.journal()).toHaveLength(0);
  });
});

it('Mix: a prompt in default mode is accepted but never sent', async () => {
  const { workflowId } = await h.sb.startSession({
    platform: 'mix',
    task: 'x script:default',
    mix: { customSystemPrompt: 'p'.repeat(200_000) },
  });
  expect((await h.sb.result(workflowId)).status).toBe('completed');
  const [create] = await h.control.journal({ platform: 'mix', method: 'POST', route: '/api/sessions' });
  expect(JSON.stringify(create!.body)).not.toContain('ppppp');
});

describe('the CLI', () => {
  const cli = (...args: string[]) => switchboardCli(h)(...args);

  it('exits 2 with the reason on invalid input, and 3 for an unknown workflow id', async () => {
    const bad = await cli(
      'session',
      'start',
      '--provider',
      'mix',
      '--task',
      'x',
      '--options',
      '{"browserMode":"remote-cdp-websocket"}',
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/cdpUrl is required/);
    const missing = await cli('--json', 'session', 'show', 'no-such-workflow');
    expect(missing.code).toBe(3);
    expect(JSON.parse(missing.stderr)).toMatchObject({ error: 'not_found' });
    const badAnswer = await cli('session', 'answer', 'no-such-workflow', '--request', 'r1');
    expect(badAnswer.code).toBe(2);
  });

  it('starts, shows and lists a session with --json', async () => {
    const started = await cli(
      '--json',
      'session',
      'start',
      '--provider',
      'webagent',
      '--task',
      'cli run script:default',
      '--follow',
    );
    expect(started.code).toBe(0);
    const lines = started.stdout.trim();
    const final = JSON.parse(lines.slice(lines.lastIndexOf('\n{') + 1)) as {
      workflowId: string;
      final: { status: string };
    };
    expect(final.final.status).toBe('completed');
    const shown = await cli('--json', 'session', 'show', final.workflowId);
    expect(JSON.parse(shown.stdout)).toMatchObject({ status: 'completed', platform: 'webagent' });
  });
});
