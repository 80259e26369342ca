/**
 * WebSearch through the retry policy on a real dev server: a search the platform answers with 202
 * is polled by Temporal's retries of one activity (never a second search), then refined within the
 * same task; a search that is done at once takes one attempt.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, beforeEach, expect, inject, it } from 'vitest';
import { createWebSearchActivities, type WebSearchOutcome } from '../../src/activities/websearch.js';
import { createHarness, type Harness } from '../support/harness.js';

let h: Harness;
let worker: Worker;
let running: Promise<void>;
let connection: NativeConnection;
const taskQueue = `websearch-${process.pid}-${Date.now()}`;

beforeAll(async () => {
  h = await createHarness({ name: 'websearch' });
  connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  worker = await Worker.create({
    connection,
    taskQueue,
    workflowsPath: fileURLToPath(new URL('../support/websearch.workflow.ts', import.meta.url)),
    activities: createWebSearchActivities({ providers: h.providers }),
  });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await connection?.close();
  await h?.close();
});
beforeEach(async () => h.control.reset());

const RUN = '/v1/projects/{project_id}/web_search';
const GET = `${RUN}/{task_id}`;
const REFINE = `${GET}/refine`;
const probe = (args: Record<string, unknown>) =>
  h.client.workflow.execute('webSearchProbe', {
    taskQueue,
    workflowId: `ws-${Date.now()}-${Math.random()}`,
    args: [{ alias: 'default', ...args }],
  }) as Promise<WebSearchOutcome>;

it('a 202 is polled through the retry policy, then refined in the same task: one search, no loop in the activity', async () => {
  const out = await probe({ queries: ['slow python orm 2026'], refine: 'add site:reddit.com and re-run', pollSeconds: 0.2 });
  expect(out.status).toBe('completed');
  expect(out.refined).toBe(true);
  expect(out.polls).toBeGreaterThanOrEqual(2); // at least one poll of the 202, one of the refinement
  expect(out.hits[0]!.title).toContain('site:reddit.com');
  const runs = await h.control.journal({ platform: 'webagent', method: 'POST', route: RUN });
  expect(runs.map((r) => r.status)).toEqual([202]);
  const gets = await h.control.journal({ platform: 'webagent', route: GET });
  // Every poll is one attempt: as many GETs as polls.
  expect(gets).toHaveLength(out.polls);
  expect(gets.every((g) => g.path.endsWith(out.taskId))).toBe(true);
  expect(await h.control.journal({ platform: 'webagent', route: REFINE })).toHaveLength(1);
});

it('a search done within the wait takes one attempt', async () => {
  const out = await probe({ queries: ['best Python ORM 2026'], summarize: true });
  expect(out).toMatchObject({ status: 'completed', refined: false, polls: 0 });
  expect(out.summary).toBeTruthy();
  expect(await h.control.journal({ platform: 'webagent', route: GET })).toHaveLength(0);
});
