/**
 * The JSON HTTP API: a thin layer over the client library. Every body is checked with the same
 * zod schemas the client and the workflows use (and the OpenAPI document at `/openapi.json` is
 * generated from them), so what the API refuses is what a workflow would refuse — before anything
 * is sent to Temporal.
 */
import { createHash } from 'node:crypto';
import { extendZodWithOpenApi, OpenAPIRegistry, OpenApiGeneratorV3 } from '@asteasolutions/zod-to-openapi';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie } from 'hono/cookie';
import { streamSSE } from 'hono/streaming';
import { WorkflowIdReusePolicy } from '@temporalio/client';
import { z } from 'zod';
import { SwitchboardClientError } from '../client/index.js';
import { DECISIONS, outlineEdit } from '../contracts/gates.js';
import { MAX_MESSAGE_BYTES, MAX_START_INPUT_BYTES } from '../contracts/limits.js';
import { monitorKey, pauseMonitorArgs, trackMonitorInput } from '../contracts/monitors.js';
import { agentSessionInput, answerInputArgs, SESSION_PLATFORMS, SESSION_STATUSES } from '../contracts/sessions.js';
import { deepResearchInput } from '../workflows/deepResearch.js';
import { decideAs, type GatewayDeps, HttpProblem, jsonBody, parseOr422, problemBody, toProblem } from './deps.js';
import { issueLink } from './links.js';
import { type Role, roleOf } from './state.js';
import { MAX_LINK_TTL_SECONDS, SESSION_COOKIE, sessionPerson } from './tokens.js';
import { transcriptFile } from './transcript.js';

// Parameters are described through `.openapi()`; the gateway process is the only one that adds it.
extendZodWithOpenApi(z);

/** Variables the auth middleware sets. */
export type GatewayEnv = { Variables: { person: string; role: Role } };

/** Workflow ids a client may choose: what the CLI and the Web UI handle without quoting. */
export const workflowIdSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]*$/, 'workflowId must be letters, digits, . _ : @ - (at most 200)');

const startSessionBody = z.object({ workflowId: workflowIdSchema.optional(), input: agentSessionInput() }).strict();
const startResearchBody = z.object({ workflowId: workflowIdSchema.optional(), input: deepResearchInput() }).strict();
const startMonitorBody = z.object({ key: monitorKey(), input: trackMonitorInput() }).strict();
/** A decision as sent to the API: the decider is whoever the token belongs to. */
export const decisionBody = z
  .object({
    decision: z.enum(DECISIONS),
    edits: z.array(outlineEdit()).max(100).optional(),
    reason: z.string().trim().min(1).max(2_000).optional(),
    comment: z.string().max(2_000).optional(),
    requestId: z.string().min(1).max(500).optional(),
    digest: z.string().max(20_000).optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.decision === 'approve_with_edits' && !d.edits?.length)
      ctx.addIssue({ code: 'custom', path: ['edits'], message: 'approve_with_edits needs a non-empty edits list' });
    if (d.decision !== 'approve_with_edits' && d.edits?.length)
      ctx.addIssue({
        code: 'custom',
        path: ['edits'],
        message: `edits only go with approve_with_edits, not ${d.decision}`,
      });
    if (d.decision === 'reject' && !d.reason)
      ctx.addIssue({ code: 'custom', path: ['reason'], message: 'reject needs a reason' });
  });
const cancelBody = z.object({ reason: z.string().max(500).optional() }).strict();
const linkBody = z
  .object({
    workflowId: workflowIdSchema,
    decision: z.enum(['approve', 'reject']),
    ttlSeconds: z.number().int().min(60).max(MAX_LINK_TTL_SECONDS).default(86_400),
  })
  .strict();
const listQuery = z
  .object({
    provider: z.enum(SESSION_PLATFORMS).optional(),
    status: z.enum(SESSION_STATUSES).optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
  })
  .strict();
const inboxQuery = z.object({ limit: z.coerce.number().int().min(1).max(10_000).optional() }).strict();

const errorSchema = z.object({
  error: z.object({
    type: z.string(),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })),
  }),
});

/** Workflow types whose transcript the event stream serves. */
const STREAMED_TYPES = new Set(['agentSession', 'deepResearch']);

/** The body-size limit of a route, answered with a 413 JSON body. */
export function limit(maxSize: number): MiddlewareHandler {
  const tooLarge = (c: Context) =>
    c.json(problemBody(new HttpProblem(413, 'payload_too_large', `the body must be at most ${maxSize} bytes`)), 413);
  const streamed = bodyLimit({ maxSize, onError: tooLarge });
  return async (c, next) => {
    const declared = Number(c.req.header('content-length'));
    if (declared > maxSize) {
      // Read (and drop) a moderately oversized body first, so the client gets to read the 413
      // instead of a reset connection; a huge one is cut off.
      if (declared <= DRAIN_MAX && c.req.raw.body) {
        let seen = 0;
        for await (const chunk of c.req.raw.body as unknown as AsyncIterable<Uint8Array>)
          if ((seen += chunk.byteLength) > DRAIN_MAX) break;
      }
      return tooLarge(c);
    }
    return streamed(c, next);
  };
}
/** Largest oversized body read to the end before answering 413. */
const DRAIN_MAX = 4 * 1024 * 1024;
/** Start inputs may be as big as a workflow accepts, plus the envelope. */
const START_LIMIT = MAX_START_INPUT_BYTES + 4 * 1024;
const MESSAGE_LIMIT = MAX_MESSAGE_BYTES + 4 * 1024;

/**
 * Who is calling: `Authorization: Bearer <token>` (apps), or — for reads only — the web session
 * cookie (an `EventSource` cannot send headers). A state change with a cookie is refused here;
 * the web pages post to their own routes, which check CSRF.
 */
export function requirePerson(deps: GatewayDeps): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const auth = c.req.header('authorization');
    if (auth) {
      const m = /^Bearer\s+(\S{1,512})$/i.exec(auth);
      const user = m ? deps.users.byToken(m[1]!) : undefined;
      if (!user)
        return c.json(problemBody(new HttpProblem(401, 'unauthenticated', 'the API token is not valid')), 401, {
          'WWW-Authenticate': 'Bearer',
        });
      const role = roleOf(user);
      if (role === 'viewer' && c.req.method !== 'GET' && c.req.method !== 'HEAD') {
        deps.audit.write({ event: 'viewer.refused', who: user.name, detail: `${c.req.method} ${c.req.path}` });
        return c.json(
          problemBody(
            new HttpProblem(403, 'forbidden', `${user.name} is a viewer: reading only, no decisions or changes`),
          ),
          403,
        );
      }
      c.set('person', user.name);
      c.set('role', role);
      return next();
    }
    const user =
      c.req.method === 'GET' || c.req.method === 'HEAD'
        ? sessionPerson(deps.signer, getCookie(c, SESSION_COOKIE), (n) => deps.users.get(n))?.user
        : undefined;
    if (user) {
      c.set('person', user.name);
      c.set('role', roleOf(user));
      return next();
    }
    return c.json(
      problemBody(
        new HttpProblem(
          401,
          'unauthenticated',
          'send Authorization: Bearer <token> (switchboard users add <name> issues one)',
        ),
      ),
      401,
      {
        'WWW-Authenticate': 'Bearer',
      },
    );
  };
}

/**
 * The workflow id of a start: the one the client chose, else one derived from its
 * `Idempotency-Key` (scoped to the person, so two people's keys never collide), else a fresh one.
 */
function startId(
  c: Context<GatewayEnv>,
  prefix: string,
  chosen: string | undefined,
): { workflowId?: string; idempotent: boolean } {
  const key = c.req.header('idempotency-key');
  if (key !== undefined && !/^[\x21-\x7e]{1,255}$/.test(key))
    throw new HttpProblem(400, 'invalid_idempotency_key', 'Idempotency-Key must be 1-255 visible ASCII characters');
  if (chosen) return { workflowId: chosen, idempotent: true };
  if (key === undefined) return { idempotent: false };
  const h = createHash('sha256')
    .update(`${c.get('person')}\n${key}`)
    .digest('hex')
    .slice(0, 32);
  return { workflowId: `${prefix}-idem-${h}`, idempotent: true };
}

/**
 * Runs a start; a retried one (same id, same kind of workflow) answers 200 with `created: false`
 * and starts nothing. Ids are never reused after a run ends (REJECT_DUPLICATE), so a retry of a
 * finished start does not start it again either.
 */
async function idempotentStart(
  c: Context<GatewayEnv>,
  deps: GatewayDeps,
  type: string,
  workflowId: string | undefined,
  start: () => Promise<{ workflowId: string; runId: string }>,
): Promise<Response> {
  try {
    const r = await start();
    return c.json({ ...r, created: true }, 201, { Location: `/workflows/${encodeURIComponent(r.workflowId)}` });
  } catch (err) {
    if (err instanceof SwitchboardClientError && err.code === 'already_exists' && workflowId) {
      const desc = await deps.sb.describe(workflowId);
      if (desc.type !== type)
        throw new HttpProblem(409, 'already_exists', `workflow id ${workflowId} is taken by a ${desc.type} workflow`);
      return c.json({ workflowId, runId: desc.runId, created: false, status: desc.status.name }, 200);
    }
    throw err;
  }
}

/**
 * What `GET /workflows/{id}` answers: these fields for every workflow, then its state, gate or transcript tail by type.
 */
export type ShownWorkflow = Record<string, unknown> & {
  workflowId: string;
  type: string;
  workflowStatus: string;
  startTime: string;
  closeTime?: string;
};

/** What `GET /workflows/{id}` answers for any Switchboard workflow. */
export async function showWorkflow(deps: GatewayDeps, workflowId: string): Promise<ShownWorkflow> {
  let desc;
  try {
    desc = await deps.sb.describe(workflowId);
  } catch {
    throw new HttpProblem(404, 'not_found', `no workflow with id ${workflowId}`);
  }
  const base = {
    workflowId,
    type: desc.type,
    workflowStatus: desc.status.name,
    startTime: desc.startTime.toISOString(),
    closeTime: desc.closeTime?.toISOString(),
  };
  const gate = async () => deps.sb.gates.show(workflowId).catch(() => undefined);
  switch (desc.type) {
    case 'agentSession':
      return {
        ...base,
        state: await deps.sb.sessions.state(workflowId),
        transcriptTail: await deps.sb.sessions.transcriptTail(workflowId, 20),
      };
    case 'deepResearch':
      return { ...base, state: await deps.sb.research.state(workflowId), gate: await gate() };
    case 'trackMonitor':
      return { ...base, state: await deps.sb.monitors.show(workflowId), gate: await gate() };
    default:
      return { ...base, gate: await gate() };
  }
}

/**
 * Cancels whatever the workflow is: a session or monitor through its update, anything else through Temporal
 * cancellation.
 */
async function cancelWorkflow(deps: GatewayDeps, workflowId: string, reason?: string): Promise<unknown> {
  let type: string;
  try {
    type = (await deps.sb.describe(workflowId)).type;
  } catch {
    throw new HttpProblem(404, 'not_found', `no workflow with id ${workflowId}`);
  }
  if (type === 'agentSession') return deps.sb.sessions.cancel(workflowId, reason);
  if (type === 'trackMonitor') return deps.sb.monitors.cancel(workflowId, { reason });
  await deps.sb.requestCancel(workflowId);
  return { cancelRequested: true };
}

/** Registers the API routes on `app` and returns the OpenAPI document. */
export function mountApi(app: Hono<GatewayEnv>, deps: GatewayDeps): Record<string, unknown> {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  const errors = {
    400: { description: 'malformed JSON or header', content: { 'application/json': { schema: errorSchema } } },
    401: { description: 'no valid token', content: { 'application/json': { schema: errorSchema } } },
    403: {
      description: 'the person is a viewer (reading only): no change is made',
      content: { 'application/json': { schema: errorSchema } },
    },
    404: { description: 'no such workflow', content: { 'application/json': { schema: errorSchema } } },
    409: {
      description: 'refused by the workflow (not an approver, gate closed, stale)',
      content: { 'application/json': { schema: errorSchema } },
    },
    413: { description: 'body too large', content: { 'application/json': { schema: errorSchema } } },
    415: { description: 'not application/json', content: { 'application/json': { schema: errorSchema } } },
    422: {
      description: 'the body fails its schema (issues name each field)',
      content: { 'application/json': { schema: errorSchema } },
    },
  };
  const json = (schema: z.ZodTypeAny) => ({ content: { 'application/json': { schema } } });
  const anyJson = { 'application/json': { schema: z.object({}).passthrough() } };
  const doc = (
    method: 'get' | 'post',
    path: string,
    summary: string,
    extra: { body?: z.ZodTypeAny; query?: z.AnyZodObject; stream?: boolean } = {},
  ) =>
    registry.registerPath({
      method,
      path,
      summary,
      security: [{ [bearer.name]: [] }],
      request: {
        ...(path.includes('{id}') ? { params: z.object({ id: z.string() }) } : {}),
        ...(path.includes('{key}') ? { params: z.object({ key: z.string() }) } : {}),
        ...(extra.body ? { body: json(extra.body) } : {}),
        ...(extra.query ? { query: extra.query } : {}),
        ...(method === 'post' && path.match(/^\/(sessions|research)$/)
          ? { headers: z.object({ 'idempotency-key': z.string().max(255).optional() }) }
          : {}),
      },
      responses: extra.stream
        ? {
            200: {
              description: 'text/event-stream: `id:` is the entry position; `event: entry` / `event: end`',
              content: { 'text/event-stream': { schema: z.string() } },
            },
            ...errors,
          }
        : { 200: { description: 'ok', content: anyJson }, ...errors },
    });

  const auth = requirePerson(deps);
  const wrap =
    (fn: (c: Context<GatewayEnv>) => Promise<Response>) =>
    async (c: Context<GatewayEnv>): Promise<Response> => {
      try {
        return await fn(c);
      } catch (err) {
        const p = toProblem(err);
        if (p.status === 500) console.error('gateway:', err);
        return c.json(problemBody(p), p.status);
      }
    };
  const id = (c: Context) => parseOr422(workflowIdSchema, c.req.param('id'), 'workflow id');

  doc('post', '/sessions', 'Start an agent session (idempotent with workflowId or Idempotency-Key)', {
    body: startSessionBody,
  });
  app.post(
    '/sessions',
    auth,
    limit(START_LIMIT),
    wrap(async (c) => {
      const body = await jsonBody(c);
      const b = parseOr422(startSessionBody, body, 'session start');
      const { workflowId, idempotent } = startId(c, 'session', b.workflowId);
      // The workflow gets the input as sent (it applies the defaults itself, as with the CLI).
      const raw = (body as { input: never }).input;
      return idempotentStart(c, deps, 'agentSession', workflowId, () =>
        deps.sb.sessions.start(raw, {
          workflowId,
          ...(idempotent ? { reusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE } : {}),
        }),
      );
    }),
  );
  doc('get', '/sessions', 'List sessions', { query: listQuery });
  app.get(
    '/sessions',
    auth,
    wrap(async (c) => c.json({ sessions: await deps.sb.sessions.list(parseOr422(listQuery, c.req.query(), 'query')) })),
  );

  doc('post', '/research', 'Start a deep-research run whose outline waits for approval', { body: startResearchBody });
  app.post(
    '/research',
    auth,
    limit(START_LIMIT),
    wrap(async (c) => {
      const body = await jsonBody(c);
      const b = parseOr422(startResearchBody, body, 'research start');
      const { workflowId, idempotent } = startId(c, 'research', b.workflowId);
      // The workflow gets the input as sent (it applies the defaults itself, as with the CLI).
      const raw = (body as { input: never }).input;
      return idempotentStart(c, deps, 'deepResearch', workflowId, () =>
        deps.sb.research.start(raw, {
          workflowId,
          ...(idempotent ? { reusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE } : {}),
        }),
      );
    }),
  );

  doc('post', '/monitors', 'Create a Track monitor (its id is monitor-<key>; a running key is not started again)', {
    body: startMonitorBody,
  });
  app.post(
    '/monitors',
    auth,
    limit(START_LIMIT),
    wrap(async (c) => {
      const body = await jsonBody(c);
      const b = parseOr422(startMonitorBody, body, 'monitor');
      // The workflow gets the input as sent (it applies the defaults itself, as with the CLI).
      const raw = (body as { input: never }).input;
      return idempotentStart(c, deps, 'trackMonitor', `monitor-${b.key}`, () => deps.sb.monitors.create(b.key, raw));
    }),
  );
  doc('get', '/monitors', 'List monitors');
  app.get(
    '/monitors',
    auth,
    wrap(async (c) => c.json({ monitors: await deps.sb.monitors.list({}) })),
  );
  doc('post', '/monitors/{key}/pause', 'Pause a monitor', { body: pauseMonitorArgs() });
  app.post(
    '/monitors/:key/pause',
    auth,
    limit(MESSAGE_LIMIT),
    wrap(async (c) => {
      const key = parseOr422(monitorKey(), c.req.param('key'), 'monitor key');
      return c.json(await deps.sb.monitors.pause(key, parseOr422(pauseMonitorArgs(), await jsonBody(c), 'pause')));
    }),
  );
  doc('post', '/monitors/{key}/resume', 'Resume a paused monitor');
  app.post(
    '/monitors/:key/resume',
    auth,
    wrap(async (c) =>
      c.json(await deps.sb.monitors.resume(parseOr422(monitorKey(), c.req.param('key'), 'monitor key'))),
    ),
  );

  doc('get', '/inbox', 'Everything waiting on a person', { query: inboxQuery });
  app.get(
    '/inbox',
    auth,
    wrap(async (c) => c.json({ items: await deps.sb.gates.inbox(parseOr422(inboxQuery, c.req.query(), 'query')) })),
  );

  doc('get', '/workflows/{id}', 'Show a workflow: state, gate, transcript tail');
  app.get(
    '/workflows/:id',
    auth,
    wrap(async (c) => c.json(await showWorkflow(deps, id(c)))),
  );
  doc('get', '/workflows/{id}/gate', 'The open gate: what is decided, its digest, approvers, deadline');
  app.get(
    '/workflows/:id/gate',
    auth,
    wrap(async (c) => c.json(await deps.sb.gates.show(id(c)))),
  );
  doc('post', '/workflows/{id}/decision', 'Decide as the token’s person (signed with their key)', {
    body: decisionBody,
  });
  app.post(
    '/workflows/:id/decision',
    auth,
    limit(MESSAGE_LIMIT),
    wrap(async (c) => {
      const workflowId = id(c);
      const d = parseOr422(decisionBody, await jsonBody(c), 'decision');
      return c.json(await decideAs(deps, c.get('person'), workflowId, d));
    }),
  );
  doc('post', '/workflows/{id}/answer', 'Answer a session’s pending input request', { body: answerInputArgs() });
  app.post(
    '/workflows/:id/answer',
    auth,
    limit(MESSAGE_LIMIT),
    wrap(async (c) => {
      const workflowId = id(c);
      const a = parseOr422(answerInputArgs(), await jsonBody(c), 'answer');
      return c.json(await deps.sb.sessions.answerInput(workflowId, a.requestId, a.response));
    }),
  );
  doc('post', '/workflows/{id}/cancel', 'Cancel a session, research run or monitor', { body: cancelBody });
  app.post(
    '/workflows/:id/cancel',
    auth,
    limit(MESSAGE_LIMIT),
    wrap(async (c) => {
      const workflowId = id(c);
      const b = parseOr422(cancelBody, await jsonBody(c), 'cancel');
      return c.json(await cancelWorkflow(deps, workflowId, b.reason));
    }),
  );
  doc('post', '/links', 'Issue a one-time approve/reject link for yourself on an open gate', { body: linkBody });
  app.post(
    '/links',
    auth,
    limit(MESSAGE_LIMIT),
    wrap(async (c) => {
      const b = parseOr422(linkBody, await jsonBody(c), 'link request');
      return c.json(
        await issueLink({ ...deps, origin: deps.origins[0]! }, c.get('person'), b.workflowId, b.decision, b.ttlSeconds),
        201,
      );
    }),
  );

  doc(
    'get',
    '/workflows/{id}/events',
    'Live transcript as Server-Sent Events; resume with Last-Event-ID (or ?after=N)',
    { stream: true },
  );
  app.get(
    '/workflows/:id/events',
    auth,
    wrap((c) => streamEvents(c, deps, id(c))),
  );

  const document = new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: '3.0.3',
    info: {
      title: 'Switchboard gateway',
      version: '1',
      description: 'HTTP API over the Switchboard client library. Errors: { error: { type, message, issues } }.',
    },
    servers: [{ url: '/' }],
  });
  app.get('/openapi.json', (c) => c.json(document));
  return document as unknown as Record<string, unknown>;
}

/** `Last-Event-ID` (or `?after=`): the last position the client has; 0 = from the start. */
function resumePosition(c: Context): number {
  const raw = c.req.header('last-event-id') ?? c.req.query('after') ?? '0';
  if (!/^\d{1,9}$/.test(raw))
    throw new HttpProblem(400, 'invalid_last_event_id', 'Last-Event-ID must be a position (a whole number)');
  return Number(raw);
}

/** Open streams per workflow end check: one describe per workflow per interval, shared. */
async function streamEvents(c: Context<GatewayEnv>, deps: GatewayDeps, workflowId: string): Promise<Response> {
  const after = resumePosition(c);
  let desc;
  try {
    desc = await deps.sb.describe(workflowId);
  } catch {
    throw new HttpProblem(404, 'not_found', `no workflow with id ${workflowId}`);
  }
  if (!STREAMED_TYPES.has(desc.type))
    throw new HttpProblem(409, 'no_transcript', `a ${desc.type} workflow has no transcript to stream`);
  // The run chain's first run id keys the transcript file (stable across continue-as-new).
  const chain = desc.raw.workflowExecutionInfo?.firstRunId || desc.runId;
  const tail = deps.tails.get(transcriptFile(deps.artifactDir, workflowId, chain));
  return streamSSE(c, async (stream) => {
    let aborted = false;
    let wake: () => void = () => undefined;
    const unsubscribe = tail.subscribe(() => wake());
    stream.onAbort(() => {
      aborted = true;
      wake();
    });
    let sent = after;
    let ended: string | undefined = desc.status.name === 'RUNNING' ? undefined : desc.status.name;
    const started = Date.now();
    let lastBeat = Date.now();
    let lastCheck = Date.now();
    try {
      await tail.refresh();
      // Bounded: a stream lives at most maxStreamMs, then the client resumes with Last-Event-ID.
      while (!aborted && Date.now() - started < deps.maxStreamMs) {
        while (sent < tail.entries.length && !aborted) {
          const { pos, entry } = tail.entries[sent]!;
          await stream.writeSSE({ id: String(pos), event: 'entry', data: JSON.stringify(entry) });
          sent = pos;
        }
        if (ended) {
          await stream.writeSSE({
            event: 'end',
            data: JSON.stringify({ workflowStatus: ended, entries: tail.entries.length }),
          });
          break;
        }
        const waitMs = Math.max(
          1,
          Math.min(deps.heartbeatMs - (Date.now() - lastBeat), deps.endCheckMs - (Date.now() - lastCheck)),
        );
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, waitMs);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = () => undefined;
        if (aborted) break;
        if (Date.now() - lastBeat >= deps.heartbeatMs) {
          await stream.write(': keepalive\n\n');
          lastBeat = Date.now();
        }
        if (Date.now() - lastCheck >= deps.endCheckMs) {
          lastCheck = Date.now();
          const status = await deps.tails.status(workflowId, () =>
            deps.sb.describe(workflowId).then((d) => d.status.name),
          );
          if (status !== 'RUNNING') {
            // Everything the workflow's activities wrote is on disk before it closed: read it all.
            await tail.refresh();
            ended = status;
          }
        }
      }
    } finally {
      unsubscribe();
    }
  });
}
