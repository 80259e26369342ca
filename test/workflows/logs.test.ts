/**
 * A real worker's log line for a failing activity carries the error's message, type and cause
 * (before, every such line printed `"error":{}`), and no configured secret.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { TEST_WORKER_LOG } from '../support/logfile.js';
import { KeyRing } from '../../src/sandbox/server.js';
import { registerSecrets } from '../../src/worker/logs.js';
import { createHarness, eventually, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ name: 'logs' });
});
afterAll(async () => h?.close());
beforeEach(async () => h.control.reset());

it('the "Activity failed" line of a 401 names the error, its type and message, and prints no secret', async () => {
  const secret = KeyRing.defaultKey('archastro');
  registerSecrets([secret]);
  // The harness writes worker logs to TEST_WORKER_LOG: read what this test adds to it.
  const from = existsSync(TEST_WORKER_LOG) ? statSync(TEST_WORKER_LOG).size : 0;
  const added = () =>
    existsSync(TEST_WORKER_LOG) ? readFileSync(TEST_WORKER_LOG).subarray(from).toString('utf8') : '';
  const { workflowId } = await h.sb.startSession({
    platform: 'archastro',
    task: 'no key',
    credentialAlias: 'nokey',
    archastro: { agentId: 'agi_x' },
  });
  await h.sb.result(workflowId).catch(() => undefined);
  const failed = await eventually(
    async () =>
      added()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map(
          (l) =>
            JSON.parse(l) as {
              msg?: string;
              level?: string;
              workflowId?: string;
              activityType?: string;
              error: { message: string; cause: unknown };
            },
        )
        .find((l) => l.msg === 'Activity failed' && l.workflowId === workflowId),
    { timeoutMs: 10_000 },
  );
  expect(failed.level).toBe('WARN');
  expect(failed.activityType).toBe('sessionCreate');
  expect(failed.error).toMatchObject({ name: 'ApplicationFailure', type: 'UnauthorizedError', nonRetryable: true });
  expect(failed.error.message).toMatch(/ArchAstro .* 401 .*credential alias "nokey"/);
  expect(failed.error.cause).toMatchObject({ name: 'UnauthorizedError', status: 401 });
  expect(added()).not.toContain(secret);
});
