/**
 * The one HTTP layer against the sandbox over real HTTP: error taxonomy, Retry-After, malformed
 * bodies, transport failures, idempotency keys.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { z } from 'zod';
import { toApplicationFailure } from '../../src/activities/failures.js';
import {
  errorFromResponse,
  PROVIDER_ERROR_CLASSES,
  ProviderError,
  parseRetryAfter,
} from '../../src/providers/errors.js';
import { Agent } from 'undici';
import { HttpClient } from '../../src/providers/http.js';
import { SandboxControl } from '../../src/sandbox/control.js';
import { parseIdempotencyReplay } from '../../src/sandbox/framework.js';
import { KeyRing } from '../../src/sandbox/server.js';
import type { ApplicationFailure } from '@temporalio/common';

const origin = inject('sandboxOrigin');
const control = new SandboxControl(origin);
const route = '/api/sessions';
const http = new HttpClient({
  platform: 'mix',
  baseUrl: `${origin}/mix`,
  alias: 'ops',
  authHeaders: { authorization: `Bearer ${KeyRing.defaultKey('mix')}` },
  timeoutMs: 2_000,
});
const list = () => http.request({ method: 'GET', path: route, schema: z.array(z.unknown()) });
/**
 * Web Agent carries its platform codes in the envelope (`{code, detail}`) and its sandbox honours
 * `Idempotency-Key`; Mix, like its SDK, has a five-value error type and no idempotency header.
 */
const waRoute = '/v1/projects/proj_test/sessions';
const wa = new HttpClient({
  platform: 'webagent',
  baseUrl: `${origin}/webagent`,
  alias: 'ops',
  authHeaders: { authorization: `Bearer ${KeyRing.defaultKey('webagent')}` },
  timeoutMs: 2_000,
});
const waList = () => wa.request({ method: 'GET', path: waRoute, schema: z.unknown() });

async function failureOf(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

beforeEach(async () => {
  await control.reset();
});
afterAll(async () => {
  await control.reset();
});

describe('error factory by status and platform code', () => {
  const cases: [number, string | undefined, keyof typeof PROVIDER_ERROR_CLASSES, boolean][] = [
    [400, 'bad_request', 'BadRequestError', false],
    [401, 'unauthorized', 'UnauthorizedError', false],
    [402, 'insufficient_credits', 'InsufficientCreditsError', false],
    [402, 'budget_exceeded', 'BudgetExceededError', false],
    [402, 'payment_required', 'PaymentRequiredError', false],
    [403, 'safety_boundary_violated', 'SafetyBoundaryViolatedError', false],
    [403, 'forbidden', 'ForbiddenError', false],
    [404, 'session_not_found', 'NotFoundError', false],
    [408, 'timeout', 'RequestTimeoutError', true],
    [409, 'conflict', 'ConflictError', false],
    [422, 'validation_error', 'UnprocessableError', false],
    [429, 'rate_limit_exceeded', 'RateLimitedError', true],
    [500, 'internal', 'ServerError', true],
    [503, 'unavailable', 'ServerError', true],
  ];
  it.each(cases)('%i %s → %s', async (status, code, cls, retryable) => {
    await control.fault({ platform: 'webagent', route: waRoute, status, code, times: 1 });
    const err = await failureOf(waList());
    expect(err.name).toBe(cls);
    expect(err).toBeInstanceOf(PROVIDER_ERROR_CLASSES[cls]);
    expect(err.status).toBe(status);
    expect(err.retryable).toBe(retryable);
    expect(err.requestId).toMatch(/^req_/);
    expect(err.message).toContain('Web Agent');
    expect(err.message).toContain('"ops"');
    const failure = toApplicationFailure(err) as ApplicationFailure;
    expect(failure.type).toBe(cls);
    expect(failure.nonRetryable).toBe(!retryable);
  });
});

describe('error envelopes the SDKs parse', () => {
  const aa = { platform: 'archastro' as const, method: 'POST', path: '/api/v1/agent_routines/r/invoke' };
  it('ArchAstro `{error: "<code>", message}`: the string is the code (both SDKs), the message the detail', () => {
    const err = errorFromResponse(aa, 409, { error: 'run_already_completed', message: 'a completed run exists' });
    expect(err.name).toBe('ConflictError');
    expect(err.code).toBe('run_already_completed');
    expect(err.detail).toBe('a completed run exists');
  });
  it('ArchAstro `{error: {code, message, fields}}`: each field problem is in the detail (as the SDKs say it)', () => {
    const err = errorFromResponse(aa, 422, {
      error: {
        code: 'validation_error',
        message: 'invalid input',
        fields: [{ field: 'message', message: 'is required' }],
      },
    });
    expect(err.name).toBe('UnprocessableError');
    expect(err.code).toBe('validation_error');
    expect(err.detail).toBe('invalid input (message: is required)');
  });
  it('a bare `{error: "<text>"}` without a message stays the detail', () => {
    const err = errorFromResponse({ ...aa, platform: 'mix' }, 500, { error: 'Something broke badly' });
    expect(err.code).toBeUndefined();
    expect(err.detail).toBe('Something broke badly');
  });
});

describe('Retry-After', () => {
  it('parses seconds and HTTP dates', () => {
    expect(parseRetryAfter('7')).toBe(7);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('becomes nextRetryDelay on the failure (seconds form)', async () => {
    await control.fault({ platform: 'mix', route, status: 503, retryAfter: '3', times: 1 });
    const err = await failureOf(list());
    expect(err.retryAfterSeconds).toBe(3);
    expect((toApplicationFailure(err) as ApplicationFailure).nextRetryDelay).toBe('3000 ms');
  });

  it('becomes nextRetryDelay on the failure (HTTP-date form)', async () => {
    const at = new Date(Date.now() + 5_000).toUTCString();
    await control.fault({ platform: 'mix', route, status: 429, retryAfter: at, times: 1 });
    const err = await failureOf(list());
    expect(err.name).toBe('RateLimitedError');
    expect(err.retryAfterSeconds).toBeGreaterThanOrEqual(3);
    expect(err.retryAfterSeconds).toBeLessThanOrEqual(6);
  });
});

describe('bodies and transport', () => {
  it('a malformed 200 body is a non-retryable ResponseValidationError', async () => {
    await control.fault({ platform: 'mix', route, malformed: true, times: 1 });
    const err = await failureOf(list());
    expect(err.name).toBe('ResponseValidationError');
    expect(err.retryable).toBe(false);
    expect((toApplicationFailure(err) as ApplicationFailure).nonRetryable).toBe(true);
  });

  it('a body that does not match the schema is a ResponseValidationError naming the field', async () => {
    await http.request({ method: 'POST', path: route, body: { title: 'shape', browserMode: 'local-browser-service' } });
    const err = await failureOf(
      http.request({ method: 'GET', path: route, schema: z.array(z.object({ mustExist: z.string() })) }),
    );
    expect(err.name).toBe('ResponseValidationError');
    expect(err.retryable).toBe(false);
    expect(err.detail).toContain('0.mustExist');
  });

  it('a connection reset is a retryable ConnectionError', async () => {
    await control.fault({ platform: 'mix', route, reset: true, times: 1 });
    const err = await failureOf(list());
    expect(err.name).toBe('ConnectionError');
    expect(err.retryable).toBe(true);
  });

  it('a slow answer is a retryable TimeoutError', async () => {
    await control.fault({ platform: 'mix', route, latencyMs: 3_000, times: 1 });
    const err = await failureOf(list());
    expect(err.name).toBe('TimeoutError');
    expect(err.retryable).toBe(true);
  });

  it('an open event stream never holds up a request: streams have their own connections', async () => {
    // A one-connection pool for requests: if the stream shared it, the request would wait for it.
    const pool = new Agent({ connections: 1 });
    const client = new HttpClient({
      platform: 'mix',
      baseUrl: `${origin}/mix`,
      authHeaders: { authorization: `Bearer ${KeyRing.defaultKey('mix')}` },
      dispatcher: pool,
    });
    await control.fault({ platform: 'mix', route, latencyMs: 3_000, times: 1 });
    const stream = client.openStream({ method: 'GET', path: route });
    await new Promise((r) => setTimeout(r, 200)); // the stream's request reaches the sandbox first
    const t = Date.now();
    await client.request({ method: 'GET', path: route, schema: z.array(z.unknown()) });
    expect(Date.now() - t).toBeLessThan(1_500);
    const res = await stream;
    res.body.on('error', () => {}); // destroying an open stream aborts it, as intended
    res.body.destroy();
    await pool.close();
  });

  it("a path id that is not valid percent-encoding is the platform's 400, not a 500", async () => {
    for (const [platform, p] of [
      ['mix', '/api/sessions/%E0%A4%A'],
      ['archastro', '/api/v1/agent_sessions/%zz'],
    ] as const) {
      const res = await fetch(`${origin}/${platform}${p}`, {
        headers: {
          authorization: `Bearer ${KeyRing.defaultKey(platform)}`,
          'x-archastro-api-key': KeyRing.defaultKey(platform),
        },
      });
      expect(res.status).toBe(400);
      const err = errorFromResponse({ platform, method: 'GET', path: p }, res.status, await res.json());
      expect(err.name).toBe('BadRequestError');
      expect(err.detail).toMatch(/percent-encoding/);
    }
  });

  it('a wrong key is a 401 naming the platform and alias, never the key', async () => {
    const bad = new HttpClient({
      platform: 'mix',
      baseUrl: `${origin}/mix`,
      alias: 'ops',
      authHeaders: { authorization: 'Bearer not-a-key' },
    });
    const err = await failureOf(bad.request({ method: 'GET', path: route, schema: z.unknown() }));
    expect(err.name).toBe('UnauthorizedError');
    expect(err.message).toMatch(/Mix.*credential alias "ops"/);
    expect(err.message).not.toContain('not-a-key');
  });
});

describe('Idempotency-Key', () => {
  it('every mutating call carries one; with the replay switch on, the same key replays the first answer without a second side effect', async () => {
    // No simulated platform documents the header, so replay is a test switch (reset turns it off).
    await control.replayIdempotency(['webagent']);
    const create = (key: string) =>
      wa.request({
        method: 'POST',
        path: waRoute,
        body: { instructions: 'idem' },
        idempotencyKey: key,
        schema: z.object({ id: z.string() }).passthrough(),
      });
    const a = await create('wf-1/create');
    const b = await create('wf-1/create');
    const c = await create('wf-2/create');
    expect(b.id).toBe(a.id);
    expect(c.id).not.toBe(a.id);
    const rows = await control.journal({ platform: 'webagent', method: 'POST' });
    expect(rows.map((r) => r.idempotencyKey)).toEqual(['wf-1/create', 'wf-1/create', 'wf-2/create']);
    expect(rows.map((r) => Boolean(r.replayed))).toEqual([false, true, false]);
  });

  it('Mix, whose SDK documents no such header, gets a new side effect for a repeated key (as the real service would)', async () => {
    const create = () =>
      http.request({
        method: 'POST',
        path: route,
        body: { title: 'idem', browserMode: 'local-browser-service' },
        idempotencyKey: 'same',
        schema: z.object({ id: z.string() }).passthrough(),
      });
    expect((await create()).id).not.toBe((await create()).id);
    expect(await list()).toHaveLength(2);
  });

  it('the standalone sandbox reads its replay switch from the environment, refusing a name that is not a platform', () => {
    expect([undefined, '', '0', 'off'].map(parseIdempotencyReplay)).toEqual([false, false, false, false]);
    expect(['1', 'all', 'true'].map(parseIdempotencyReplay)).toEqual([true, true, true]);
    expect(parseIdempotencyReplay('webagent, Mix')).toEqual(['webagent', 'mix']);
    expect(() => parseIdempotencyReplay('webagent,wyse')).toThrow(/not a platform: wyse/);
  });
});

beforeAll(async () => {
  await control.health();
});
