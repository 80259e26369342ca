/**
 * Temporal owns retries: a platform that answers 503, 503, 200 is called exactly three times and
 * the workflow completes; a bad credential fails at once, non-retryable, naming platform and alias.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ name: 'probe', extraEnv: { MIX_API_KEY_BROKEN: 'definitely-wrong' } });
});
afterAll(async () => h?.close());
beforeEach(async () => h.control.reset());

it('503, 503, 200 → completes after exactly three calls, honouring Retry-After', async () => {
  await h.control.fault({
    platform: 'mix',
    route: '/api/sessions',
    method: 'GET',
    status: 503,
    retryAfter: '1',
    times: 2,
  });
  const started = Date.now();
  const result: unknown = await h.client.workflow.execute('platformProbe', {
    taskQueue: h.taskQueue,
    workflowId: `probe-retry-${Date.now()}`,
    args: [{ platform: 'mix' }],
  });
  expect(result).toMatchObject({ platform: 'mix', ok: true, attempt: 3 });
  const calls = await h.control.journal({ platform: 'mix', route: '/api/sessions', method: 'GET' });
  expect(calls.map((c) => c.status)).toEqual([503, 503, 200]);
  // Two Retry-After: 1 waits, instead of the 200 ms initial retry interval.
  expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
});

it('401 fails at once as non-retryable, naming the platform and the credential alias', async () => {
  const err: unknown = await h.client.workflow
    .execute('platformProbe', {
      taskQueue: h.taskQueue,
      workflowId: `probe-401-${Date.now()}`,
      args: [{ platform: 'mix', credentialAlias: 'broken' }],
    })
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const activityFailure = (err as WorkflowFailedError).cause;
  expect(activityFailure).toBeInstanceOf(ActivityFailure);
  const app = (activityFailure as ActivityFailure).cause as ApplicationFailure;
  expect(app).toBeInstanceOf(ApplicationFailure);
  expect(app.type).toBe('UnauthorizedError');
  expect(app.nonRetryable).toBe(true);
  expect(app.message).toContain('Mix');
  expect(app.message).toContain('credential alias "broken"');
  expect(app.message).not.toContain('definitely-wrong');
  const calls = await h.control.journal({ platform: 'mix', route: '/api/sessions' });
  expect(calls).toHaveLength(1);
});

it('invalid input is refused by the workflow itself', async () => {
  const err: unknown = await h.client.workflow
    .execute('platformProbe', {
      taskQueue: h.taskQueue,
      workflowId: `probe-bad-${Date.now()}`,
      args: [{ platform: 'nope' }],
    })
    .catch((e: unknown) => e);
  expect(((err as WorkflowFailedError).cause as ApplicationFailure).type).toBe('InvalidInput');
});
