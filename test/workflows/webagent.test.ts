/**
 * Web Agent specifics of agentSession: input requests answered through the `answerInput` update,
 * stale answers rejected by the validator with nothing written to history, an SSE connection cut
 * mid-stream losing and duplicating no event, and follow-up tasks in the same session.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { dedupeLines } from '../../src/artifacts/store.js';
import { SwitchboardClientError } from '../../src/client/index.js';
import type { TranscriptEntry } from '../../src/contracts/sessions.js';
import { createHarness, eventually, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ name: 'webagent' });
});
afterAll(async () => h?.close());
beforeEach(async () => h.control.reset());

const TASK = '/v1/projects/{project_id}/sessions/{session_id}/tasks/{task_id}';

async function historyLength(workflowId: string): Promise<number> {
  const history = await h.client.workflow.getHandle(workflowId).fetchHistory();
  return history.events?.length ?? 0;
}

it('input request → answerInput → the task continues and completes', async () => {
  const { workflowId } = await h.sb.startSession({ platform: 'webagent', task: 'Pick an option script:ask' });
  const waiting = await eventually(async () => {
    const st = await h.sb.state(workflowId);
    return st.status === 'awaiting_input' ? st : undefined;
  });
  expect(waiting.pendingInput?.prompt).toBe('Which option?');
  const desc = await h.client.workflow.getHandle(workflowId).describe();
  expect(desc.typedSearchAttributes.getAll().find((p) => p.key.name === 'AwaitingHuman')?.value).toBe(true);

  const listed = (await h.sb.inbox()).find((i) => i.workflowId === workflowId);
  expect(listed).toMatchObject({ kind: 'session_input', requestId: waiting.pendingInput!.requestId });
  expect(listed!.subject).toContain('Which option?');

  const outcome = await h.sb.answerInput(workflowId, waiting.pendingInput!.requestId, { choice: 'B' });
  expect(outcome).toMatchObject({ accepted: true, status: 'running' });
  const result = await h.sb.result(workflowId);
  expect(result.status).toBe('completed');
  expect((await h.sb.inbox()).find((i) => i.workflowId === workflowId)).toBeUndefined();
  const intervenes = await h.control.journal({ platform: 'webagent', route: `${TASK}/intervene` });
  expect(intervenes.filter((r) => r.status === 200)).toHaveLength(1);
  expect(intervenes[0]!.body).toMatchObject({
    input_request_id: waiting.pendingInput!.requestId,
    response: { choice: 'B' },
  });
});

it('a stale or unknown request id is rejected by the validator, with no history event and no platform call', async () => {
  const { workflowId } = await h.sb.startSession({ platform: 'webagent', task: 'Pick an option script:ask' });
  const waiting = await eventually(async () => {
    const st = await h.sb.state(workflowId);
    return st.status === 'awaiting_input' ? st : undefined;
  });
  const before = await historyLength(workflowId);
  const err = await h.sb.answerInput(workflowId, 'ir_stale_123', 'yes').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SwitchboardClientError);
  expect((err as SwitchboardClientError).code).toBe('rejected');
  expect((err as Error).message).toContain('stale or unknown');
  expect(await historyLength(workflowId)).toBe(before);
  expect(await h.control.journal({ platform: 'webagent', route: `${TASK}/intervene` })).toHaveLength(0);
  // The workflow is as it was: the real request can still be answered.
  expect((await h.sb.state(workflowId)).pendingInput?.requestId).toBe(waiting.pendingInput!.requestId);
  await h.sb.answerInput(workflowId, waiting.pendingInput!.requestId, 'A');
  expect((await h.sb.result(workflowId)).status).toBe('completed');
});

it('operations the platform lacks are rejected with a message that says so', async () => {
  const { workflowId } = await h.sb.startSession({ platform: 'webagent', task: 'Work script:long' });
  await eventually(async () => (await h.sb.state(workflowId)).status === 'running');
  const err = await h.sb.rename(workflowId, 'new name').catch((e: unknown) => e);
  expect((err as SwitchboardClientError).code).toBe('rejected');
  expect((err as Error).message).toMatch(/rename is not supported on webagent/);
  await h.sb.cancel(workflowId);
});

it('an SSE connection cut mid-stream loses and duplicates no event', async () => {
  await h.control.script('chatty-300', [
    { type: 'emit', count: 300 },
    { type: 'finish', result: 'all done' },
  ]);
  await h.control.fault({ platform: 'webagent', route: `${TASK}/events`, cutStreamAfterMs: 250, times: 2 });
  const { workflowId } = await h.sb.startSession({ platform: 'webagent', task: 'Stream a lot script:chatty-300' });
  const result = await h.sb.result(workflowId);
  expect(result.status).toBe('completed');
  const streams = await h.control.journal({ platform: 'webagent', route: `${TASK}/events` });
  expect(streams.length).toBeGreaterThanOrEqual(3); // two cut connections, then the one that finished
  const raw = await readFile(new URL(result.artifacts.find((a) => a.name === 'transcript.jsonl')!.uri), 'utf8');
  const lines = raw
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as TranscriptEntry);
  const entries = dedupeLines<TranscriptEntry>(raw);
  expect(lines.length).toBe(entries.length); // not even an at-least-once duplicate on disk
  const progress = entries.filter((e) => e.kind === 'progress');
  expect(progress).toHaveLength(300);
  expect(progress.map((e) => e.text)).toEqual(Array.from({ length: 300 }, (_, i) => `step ${i + 1} of 300`));
  expect(result.counts.transcriptEntries).toBe(entries.length);
});

it('followUp starts a new task in the same session once the first is terminal', async () => {
  const { workflowId } = await h.sb.startSession({
    platform: 'webagent',
    task: 'First task script:default',
    followUpWindowSeconds: 60,
  });
  const first = await eventually(async () => {
    const st = await h.sb.state(workflowId);
    return st.status === 'completed' ? st : undefined;
  });
  const outcome = await h.sb.followUp(workflowId, 'Now summarise the first post script:default');
  expect(outcome.taskId).toBeTruthy();
  expect(outcome.taskId).not.toBe(first.ref?.taskId);
  const second = await eventually(async () => {
    const st = await h.sb.state(workflowId);
    return st.status === 'completed' && st.ref?.taskId === outcome.taskId ? st : undefined;
  });
  expect(second.ref?.sessionId).toBe(first.ref?.sessionId);
  expect(second.counts.tasks).toBe(2);
  const tasks = await h.control.journal({
    platform: 'webagent',
    method: 'POST',
    route: '/v1/projects/{project_id}/sessions/{session_id}/tasks',
  });
  expect(tasks.filter((r) => r.status < 300)).toHaveLength(1);
  // Cancelling after the task ended just closes the follow-up window.
  await h.sb.cancel(workflowId);
  const result = await h.sb.result(workflowId);
  expect(result.status).toBe('completed');
  expect(result.counts.followUps).toBe(1);
});
