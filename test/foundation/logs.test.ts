/**
 * Worker log lines: an Error in the metadata prints its name, type, message and cause chain (not
 * `{}`), and no line prints a registered secret or a header-shaped credential.
 */
import { runInNewContext } from 'node:vm';
import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import { afterEach, describe, expect, it } from 'vitest';
import { UnauthorizedError } from '../../src/providers/errors.js';
import { clearSecrets, formatLogLine, registerSecrets, serializeMeta } from '../../src/worker/logs.js';

const SECRET = 'sk_live_5f2c9a7d1e3b4c6a';

/** An Error as a log line prints it (what these tests read of it). */
interface LoggedError {
  name: string;
  message: string;
  stack: string;
  cause: LoggedError;
}
/** The fields of the log lines built below. */
interface LogLine {
  msg: string;
  durationMs: number;
  error: LoggedError;
  cyclic: LoggedError;
  nested: { list: LoggedError[]; plain: string };
}

function line(meta: Record<string, unknown>): LogLine {
  return JSON.parse(
    formatLogLine({ ts: '2026-12-01T00:00:00.000Z', level: 'WARN', msg: 'Activity failed', meta }),
  ) as LogLine;
}

afterEach(() => clearSecrets());

describe('log line serializer', () => {
  it('prints message, type and the whole cause chain of a Temporal failure; details are left out', () => {
    const root = new UnauthorizedError({
      platform: 'archastro',
      alias: 'ops',
      status: 401,
      code: 'unauthorized',
      requestId: 'req_123',
    });
    const app = ApplicationFailure.create({
      type: 'UnauthorizedError',
      message: root.message,
      nonRetryable: true,
      details: [{ body: 'payload data' }],
      cause: root,
    });
    const failure = new ActivityFailure(
      'Activity task failed',
      'sessionCreate',
      '1',
      RetryState.NON_RETRYABLE_FAILURE,
      'sb-worker',
      app,
    );
    const out = line({ error: failure, durationMs: 12 });
    expect(out.durationMs).toBe(12);
    expect(out.error).toMatchObject({ name: 'ActivityFailure', message: 'Activity task failed' });
    expect(out.error.cause).toMatchObject({
      name: 'ApplicationFailure',
      type: 'UnauthorizedError',
      message: root.message,
      nonRetryable: true,
    });
    expect(out.error.cause.cause).toMatchObject({
      name: 'UnauthorizedError',
      status: 401,
      code: 'unauthorized',
      requestId: 'req_123',
    });
    expect(out.error.cause.cause.message).toContain('401');
    expect(JSON.stringify(out)).not.toContain('payload data');
    // A few stack frames at most.
    expect(out.error.stack.split('\n').length).toBeLessThanOrEqual(3);
    expect(out.error.stack).toMatch(/^at /);
  });

  it('finds errors anywhere in the metadata, from another V8 context too, and survives cycles', () => {
    const foreign = runInNewContext(
      'const e = new TypeError("from the workflow sandbox"); e.cause = new Error("inner"); e',
    ) as Error;
    const cyclic = new Error('outer');
    (cyclic as { cause?: unknown }).cause = cyclic;
    const out = line({ nested: { list: [foreign], plain: 'kept' }, cyclic });
    expect(out.nested.plain).toBe('kept');
    expect(out.nested.list[0]).toMatchObject({
      name: 'TypeError',
      message: 'from the workflow sandbox',
      cause: { name: 'Error', message: 'inner' },
    });
    expect(out.cyclic.message).toBe('outer');
    expect(out.cyclic.cause.message).toMatch(/cut/);
    expect(serializeMeta({ big: 10n })).toEqual({ big: '10' });
  });

  it('redacts registered secrets and header-shaped credentials, wherever they appear', () => {
    registerSecrets([SECRET, undefined, '']);
    const err = new Error(`POST /api/v1/agent_sessions failed with key ${SECRET}`, {
      cause: new Error(`x-api-key: ${SECRET}`),
    });
    const text = formatLogLine({
      ts: 't',
      level: 'WARN',
      msg: `retrying with ${SECRET}`,
      meta: {
        error: err,
        headers: {
          authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.unregistered.token',
          'x-api-key': 'unregistered-key-123',
        },
        raw: 'Authorization: Bearer abc.def.ghi and "x-api-key":"k_987654"',
      },
    });
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('eyJhbGciOiJIUzI1NiJ9');
    expect(text).not.toContain('unregistered-key-123');
    expect(text).not.toContain('abc.def.ghi');
    expect(text).not.toContain('k_987654');
    expect(text).toContain('[REDACTED]');
    const out = JSON.parse(text) as LogLine;
    expect(out.error.message).toBe('POST /api/v1/agent_sessions failed with key [REDACTED]');
    expect(out.msg).toBe('retrying with [REDACTED]');
  });
});
