/**
 * The agentSession workflow on each platform, on a real dev server against the sandbox:
 * start → completed with a transcript; a human steering action mid-run reaches the platform once;
 * cancel mid-run ends the platform session and the workflow as cancelled, with clean-up done.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dedupeLines } from '../../src/artifacts/store.js';
import { readFile } from 'node:fs/promises';
import type { AgentSessionInputRaw, SessionPlatform, TranscriptEntry } from '../../src/contracts/sessions.js';
import { createHarness, eventually, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ name: 'sessions' });
});
afterAll(async () => h?.close());
beforeEach(async () => h.control.reset());

const WA = '/v1/projects/{project_id}/sessions/{session_id}/tasks/{task_id}';

interface PlatformCase {
  input: (task: string) => AgentSessionInputRaw;
  /** A steering action a person can take mid-run, and the route it must reach exactly once. */
  steer: { run: (id: string) => Promise<unknown>; method: string; route: string };
  /** Route(s) that prove the platform session was cancelled / cleaned up. */
  cancelRoute: { method: string; route: string };
  cleanupRoutes: { method: string; route: string }[];
}

const CASES: Record<SessionPlatform, PlatformCase> = {
  webagent: {
    input: (task) => ({ platform: 'webagent', task }),
    steer: { run: (id) => h.sb.sendMessage(id, 'also count comments'), method: 'POST', route: `${WA}/messages` },
    cancelRoute: { method: 'POST', route: `${WA}/cancel` },
    cleanupRoutes: [{ method: 'POST', route: '/v1/projects/{project_id}/sessions/{session_id}/stop' }],
  },
  archastro: {
    input: (task) => ({ platform: 'archastro', task, archastro: { agentId: 'agi_test' } }),
    steer: {
      run: (id) => h.sb.sendMessage(id, 'also count comments'),
      method: 'POST',
      route: '/api/v1/agent_sessions/{session}/message',
    },
    cancelRoute: { method: 'POST', route: '/api/v1/agent_sessions/{session}/cancel' },
    cleanupRoutes: [],
  },
  wysemate: {
    input: (task) => ({ platform: 'wysemate', task, wysemate: { teamId: 'team_01' } }),
    steer: { run: (id) => h.sb.rename(id, 'Renamed by a person'), method: 'PUT', route: '/session/info/{session_id}' },
    cancelRoute: { method: 'POST', route: '/session/stop/{session_id}' },
    cleanupRoutes: [{ method: 'DELETE', route: '/browser/release/{browser_id}' }],
  },
  mix: {
    input: (task) => ({ platform: 'mix', task }),
    steer: {
      run: (id) => h.sb.setCallbacks(id, [{ tool_name: 'bash', type: 'bash_script', bash_command: 'echo hi' }]),
      method: 'PATCH',
      route: '/api/sessions/{id}/callbacks',
    },
    cancelRoute: { method: 'POST', route: '/api/sessions/{id}/cancel' },
    cleanupRoutes: [{ method: 'GET', route: '/api/sessions/{id}/export' }],
  },
};

async function journalCount(platform: SessionPlatform, method: string, route: string, okOnly = true): Promise<number> {
  const rows = await h.control.journal({ platform, method, route });
  return rows.filter((r) => !okOnly || (r.status >= 200 && r.status < 300 && !r.replayed)).length;
}

async function transcriptOf(uri: string): Promise<TranscriptEntry[]> {
  return dedupeLines<TranscriptEntry>(await readFile(new URL(uri), 'utf8'));
}

describe.each(Object.keys(CASES) as SessionPlatform[])('%s', (platform) => {
  const c = CASES[platform];

  it('start → completed, with its transcript stored and a bounded tail in state', async () => {
    const { workflowId } = await h.sb.startSession(c.input('List the top 3 stories script:default'));
    const result = await h.sb.result(workflowId);
    expect(result.status).toBe('completed');
    expect(result.ref?.sessionId).toBeTruthy();
    expect(result.transcriptTail.length).toBeGreaterThan(0);
    expect(result.counts.transcriptEntries).toBeGreaterThanOrEqual(result.transcriptTail.length);
    const transcript = result.artifacts.find((a) => a.name === 'transcript.jsonl');
    expect(transcript).toBeDefined();
    const entries = await transcriptOf(transcript!.uri);
    expect(entries.length).toBe(result.counts.transcriptEntries);
    // Exactly one platform session was created.
    const creates = (await h.control.journal({ platform, method: 'POST' })).filter(
      (r) => r.status < 300 && !r.replayed && /create|sessions$|agent_sessions$/.test(r.route),
    );
    expect(creates).toHaveLength(1);
  });

  it('a steering action mid-run reaches the platform exactly once', async () => {
    const { workflowId } = await h.sb.startSession(c.input('Work until told script:long'));
    await eventually(async () => (await h.sb.state(workflowId)).status === 'running');
    const outcome = await c.steer.run(workflowId);
    expect(outcome).toMatchObject({ accepted: true });
    expect(await journalCount(platform, c.steer.method, c.steer.route)).toBe(1);
    await h.sb.cancel(workflowId);
  });

  it('cancel mid-run ends the platform session and the workflow as cancelled, with clean-up done', async () => {
    const { workflowId } = await h.sb.startSession(c.input('Work for a long time script:long'));
    await eventually(async () => (await h.sb.state(workflowId)).status === 'running');
    const outcome = await h.sb.cancel(workflowId, 'user_cancelled');
    expect(outcome).toMatchObject({ accepted: true, status: 'cancelled' });
    const result = await h.sb.result(workflowId);
    expect(result.status).toBe('cancelled');
    const st = await h.client.workflow.getHandle(workflowId).describe();
    expect(st.status.name).toBe('COMPLETED');
    expect(st.typedSearchAttributes.getAll().find((p) => p.key.name === 'SwitchboardStatus')?.value).toBe('cancelled');
    expect(await journalCount(platform, c.cancelRoute.method, c.cancelRoute.route)).toBeGreaterThanOrEqual(1);
    for (const r of c.cleanupRoutes) expect(await journalCount(platform, r.method, r.route)).toBeGreaterThanOrEqual(1);
  });
});

describe('mix, on the wire its published SDK shows', () => {
  it("the task goes through the message endpoint, the agent's question waits for a person and is answered once, a later message reaches it", async () => {
    const { workflowId } = await h.sb.startSession({ platform: 'mix', task: 'Choose for me script:ask' });
    await eventually(async () => (await h.sb.state(workflowId)).status === 'awaiting_input');
    const waiting = await h.sb.state(workflowId);
    expect(waiting.pendingInput).toMatchObject({
      requestId: expect.stringMatching(/^notif_/),
      prompt: 'Which option?',
    });
    expect(await h.sb.answerInput(workflowId, waiting.pendingInput!.requestId, 'option B')).toMatchObject({
      accepted: true,
    });
    const result = await h.sb.result(workflowId);
    expect(result.status).toBe('completed');
    expect(await journalCount('mix', 'POST', '/api/notifications/{id}/respond')).toBe(1);
    const sends = (
      await h.control.journal({ platform: 'mix', method: 'POST', route: '/api/sessions/{id}/messages' })
    ).filter((r) => r.status === 202);
    expect(sends.map((r) => (r.body as { text: string }).text)).toEqual(['Choose for me script:ask']);
    const [create] = await h.control.journal({ platform: 'mix', method: 'POST', route: '/api/sessions' });
    expect(create!.body).not.toHaveProperty('firstUserMessage');

    const long = await h.sb.startSession({ platform: 'mix', task: 'Keep going script:long' });
    await eventually(async () => (await h.sb.state(long.workflowId)).status === 'running');
    expect(await h.sb.sendMessage(long.workflowId, 'focus on the summary')).toMatchObject({ accepted: true });
    const texts = (
      await h.control.journal({ platform: 'mix', method: 'POST', route: '/api/sessions/{id}/messages' })
    ).map((r) => (r.body as { text: string }).text);
    expect(texts.filter((t) => t === 'focus on the summary')).toHaveLength(1);
    await h.sb.cancel(long.workflowId);
  });
});
