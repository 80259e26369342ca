/**
 * Size ceilings on what enters a workflow (src/contracts/limits.ts): a start input over 512 KB
 * fails `InvalidInput` whatever its fields; an update argument over 256 KB is refused by the
 * validator with nothing written; free-form objects (metadata, structured edits) are bounded too.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { type ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES, MAX_OBJECT_BYTES, MAX_START_INPUT_BYTES } from '../../src/contracts/limits.js';
import { decideUpdate } from '../../src/workflows/gate/gate.js';
import { createHarness, eventually, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ name: 'limits' });
});
afterAll(async () => h?.close());

async function failureOf(workflowType: string, input: unknown): Promise<ApplicationFailure> {
  const handle = await h.client.workflow.start(workflowType, {
    taskQueue: h.taskQueue,
    workflowId: `limits-${Date.now()}-${Math.random()}`,
    args: [input],
  });
  const err = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return (err as WorkflowFailedError).cause as ApplicationFailure;
}

it('a start input over the ceiling fails InvalidInput, even when every field is within its own bound', async () => {
  // Five callbacks of 50,000 three-byte characters: each within its bound, 750 KB together.
  const callbacks = Array.from({ length: 5 }, (_, i) => ({
    toolName: `t${i}`,
    type: 'send_message',
    messageContent: '€'.repeat(50_000),
  }));
  const cause = await failureOf('agentSession', { platform: 'mix', task: 'big', mix: { callbacks } });
  expect(cause.type).toBe('InvalidInput');
  expect(cause.message).toMatch(new RegExp(`at most ${MAX_START_INPUT_BYTES}`));
});

it('free-form metadata is bounded', async () => {
  const metadata = { blob: 'x'.repeat(MAX_OBJECT_BYTES) };
  const cause = await failureOf('agentSession', {
    platform: 'archastro',
    task: 't',
    archastro: { agentId: 'agi_x', metadata },
  });
  expect(cause.type).toBe('InvalidInput');
  expect(cause.message).toContain('archastro.metadata');
});

it('an update argument over the ceiling is refused with nothing written', async () => {
  const { workflowId } = await h.sb.startResearch({ topic: 'ceiling test', approvers: ['ann'] });
  const gate = await eventually(async () => {
    const g = await h.sb.gate(workflowId);
    return g.open ? g : undefined;
  });
  const handle = h.client.workflow.getHandle(workflowId);
  const before = (await handle.fetchHistory()).events?.length;
  // 100 edits of 2,000 three-byte characters: each within its bound, 600 KB together.
  const edits = Array.from({ length: 100 }, () => '€'.repeat(2_000));
  const err = await handle
    .executeUpdate(decideUpdate, {
      args: [{ requestId: gate.requestId!, decider: 'ann', decision: 'approve_with_edits', edits }],
    })
    .catch((e: unknown) => e as Error);
  const why = err as Error & { cause?: Error };
  expect(String(why.cause?.message ?? why.message)).toContain(`at most ${MAX_MESSAGE_BYTES}`);
  expect((await handle.fetchHistory()).events?.length).toBe(before);
  expect((await h.sb.gate(workflowId)).open).toBe(true);
  await h.sb.decide(workflowId, { decider: 'ann', decision: 'reject', reason: 'done' });
});
