/**
 * A real worker's log line for a failing activity carries the error's message, type and cause
 * (before, every such line printed `"error":{}`), and no configured secret.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
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
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    lines.push(String(chunk));
    return (write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  try {
    const { workflowId } = await h.sb.startSession({ platform: 'archastro', task: 'no key', credentialAlias: 'nokey', archastro: { agentId: 'agi_x' } });
    await h.sb.result(workflowId).catch(() => undefined);
    const failed = await eventually(
      async () =>
        lines
          .flatMap((l) => l.split('\n'))
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Record<string, any>)
          .find((l) => l.msg === 'Activity failed' && l.workflowId === workflowId),
      { timeoutMs: 10_000 },
    );
    expect(failed.level).toBe('WARN');
    expect(failed.activityType).toBe('sessionCreate');
    expect(failed.error).toMatchObject({ name: 'ApplicationFailure', type: 'UnauthorizedError', nonRetryable: true });
    expect(failed.error.message).toMatch(/ArchAstro .* 401 .*credential alias "nokey"/);
    expect(failed.error.cause).toMatchObject({ name: 'UnauthorizedError', status: 401 });
  } finally {
    process.stderr.write = write;
  }
  expect(lines.join('')).not.toContain(secret);
});
