/**
 * The Temporal Web UI of `npm run cluster` (src/devserver/cluster.ts): the UI server built from
 * the Go module proxy (`github.com/temporalio/ui-server/v2`, cached beside the server build),
 * started for a frontend on 127.0.0.1, lists a workflow started there through the HTTP API its
 * pages call, and stops. Here the frontend is the test run's server; the same calls run against
 * the PostgreSQL-backed cluster (README "Production shape").
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { findUiServer, startUi, stopUi, uiPid } from '../../src/devserver/cluster.js';
import { freePort } from '../../src/devserver/index.js';
import { createHarness, eventually, type Harness } from '../support/harness.js';

/** The part of the UI server's workflow list (ListWorkflowExecutionsResponse as JSON) read here. */
const workflowList = z.object({
  executions: z
    .array(
      z.object({
        execution: z.object({ workflowId: z.string() }),
        type: z.object({ name: z.string() }),
        status: z.string(),
      }),
    )
    .nullish(),
});

let h: Harness;
const dir = mkdtempSync(join(tmpdir(), 'sb-ui-'));
beforeAll(async () => {
  h = await createHarness({ name: 'ui' });
});
afterAll(async () => {
  await stopUi(dir);
  await h?.close();
});

it(
  'the Web UI server lists a workflow started on its cluster, and stops',
  async () => {
    // Built once into the cache (a minute or two from the module cache), then reused.
    const bin = await findUiServer();
    const port = await freePort();
    const url = await startUi(dir, bin, inject('temporalAddress'), port, () => {});
    expect(url).toBe(`http://127.0.0.1:${port}`);
    expect(uiPid(dir)).toBeGreaterThan(0);

    const { workflowId } = await h.sb.startResearch({
      topic: 'Seen in the Web UI',
      approvers: ['alice'],
      requireOutlineApproval: false,
    });
    const query = encodeURIComponent(`WorkflowId = '${workflowId}'`);
    const listed = await eventually(
      async () => {
        const res = await fetch(`${url}/api/v1/namespaces/default/workflows?query=${query}`);
        return workflowList.parse(await res.json()).executions?.find((e) => e.execution.workflowId === workflowId);
      },
      { timeoutMs: 20_000 },
    );
    expect(listed.type.name).toBe('deepResearch');
    // The UI's pages are served too (embedded in the binary).
    const page = await fetch(`${url}/namespaces/default/workflows`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);
    await h.client.workflow.getHandle(workflowId).result();

    await stopUi(dir);
    expect(uiPid(dir)).toBeUndefined();
    await expect(fetch(url)).rejects.toThrow();
  },
  20 * 60_000,
);
