/**
 * One request/response fixture per Web Agent wire operation (issue 9, item B; see ./fixtures.ts).
 *
 * The operation table is derived from src/providers/webagent/routes.ts: each row names a route
 * constant (never a retyped path) and takes its source from that route's line there (`// assumption`
 * or the seed). The scenario calls every operation once through {@link WebAgentClient} against the
 * in-process sandbox, waiting for steady states first so each captured answer has one shape.
 *
 * Re-record: `RECORD_FIXTURES=1 npx vitest run test/providers/webagent.fixtures.test.ts`, then
 * `npx prettier --write test/providers/fixtures/webagent`.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ZodTypeAny } from 'zod';
import { Credentials, parseEnv } from '../../src/config.js';
import { ProviderRegistry } from '../../src/providers/registry.js';
import type { WebAgentClient, WebAgentEvent } from '../../src/providers/webagent/client.js';
import {
  DEEP_RESEARCH_ROUTES,
  SESSION_ROUTES,
  TRACK_ROUTES,
  WEB_SEARCH_ROUTES,
} from '../../src/providers/webagent/routes.js';
import {
  artifactContentSchema,
  artifactListSchema,
  ackSchema,
  deepResearchTaskSchema,
  deliveryListSchema,
  deliverySchema,
  interveneResultSchema,
  messageSchema,
  monitorPageSchema,
  monitorSchema,
  sessionPageSchema,
  sessionSchema,
  snapshotListSchema,
  snapshotSchema,
  taskSchema,
  tickOutcomeSchema,
  webSearchEnvelopeSchema,
} from '../../src/providers/webagent/schemas.js';
import { KeyRing, type RunningSandbox, startSandbox } from '../../src/sandbox/server.js';
import { checkOperationFixtures, type FixtureOperation } from './fixtures.js';

const ROUTES_FILE = new URL('../../src/providers/webagent/routes.ts', import.meta.url);
const SEED = 'seed web-agent-python-sdk.txt';
const GROUPS = { SESSION_ROUTES, DEEP_RESEARCH_ROUTES, WEB_SEARCH_ROUTES, TRACK_ROUTES } as const;
type Group = keyof typeof GROUPS;

/** `assumption` or the seed, per `<group>.<key>`, read from the route's own line in routes.ts. */
function routeSources(): Map<string, string> {
  const text = readFileSync(ROUTES_FILE, 'utf8');
  const out = new Map<string, string>();
  for (const group of Object.keys(GROUPS)) {
    const block = new RegExp(`export const ${group} = \\{([\\s\\S]*?)\\} as const;`).exec(text)?.[1] ?? '';
    for (const line of block.split('\n')) {
      const m = /^\s*(\w+):\s*[`'].*$/.exec(line);
      if (m) out.set(`${group}.${m[1]}`, /\/\/ assumption/.test(line) ? 'assumption' : SEED);
    }
  }
  return out;
}

/** [operation, method, route group, route key, response schema, status]. */
const TABLE: [string, string, Group, string, ZodTypeAny | undefined, number?][] = [
  ['sessionsCreate', 'POST', 'SESSION_ROUTES', 'sessions', sessionSchema, 201],
  ['sessionsList', 'GET', 'SESSION_ROUTES', 'sessions', sessionPageSchema],
  ['sessionsGet', 'GET', 'SESSION_ROUTES', 'session', sessionSchema],
  ['sessionsStop', 'POST', 'SESSION_ROUTES', 'stop', sessionSchema],
  ['tasksCreate', 'POST', 'SESSION_ROUTES', 'tasks', taskSchema, 201],
  ['tasksGet', 'GET', 'SESSION_ROUTES', 'task', taskSchema],
  ['tasksCancel', 'POST', 'SESSION_ROUTES', 'cancelTask', taskSchema],
  ['messagesSend', 'POST', 'SESSION_ROUTES', 'messages', messageSchema, 201],
  ['messagesIntervene', 'POST', 'SESSION_ROUTES', 'intervene', interveneResultSchema],
  ['eventsStream', 'GET', 'SESSION_ROUTES', 'events', undefined],
  ['deepResearchRun', 'POST', 'DEEP_RESEARCH_ROUTES', 'run', deepResearchTaskSchema, 201],
  ['deepResearchGet', 'GET', 'DEEP_RESEARCH_ROUTES', 'task', deepResearchTaskSchema],
  ['deepResearchIntervene', 'POST', 'DEEP_RESEARCH_ROUTES', 'intervene', interveneResultSchema],
  ['deepResearchCancel', 'POST', 'DEEP_RESEARCH_ROUTES', 'cancel', deepResearchTaskSchema],
  ['deepResearchArtifacts', 'GET', 'DEEP_RESEARCH_ROUTES', 'artifacts', artifactListSchema],
  ['deepResearchArtifact', 'GET', 'DEEP_RESEARCH_ROUTES', 'artifact', artifactContentSchema],
  ['webSearchRun', 'POST', 'WEB_SEARCH_ROUTES', 'run', webSearchEnvelopeSchema, 200],
  ['webSearchRunAsync', 'POST', 'WEB_SEARCH_ROUTES', 'run', webSearchEnvelopeSchema, 202],
  ['webSearchGet', 'GET', 'WEB_SEARCH_ROUTES', 'task', webSearchEnvelopeSchema],
  ['webSearchRefine', 'POST', 'WEB_SEARCH_ROUTES', 'refine', webSearchEnvelopeSchema, 202],
  ['trackCreate', 'POST', 'TRACK_ROUTES', 'monitors', monitorSchema, 201],
  ['trackList', 'GET', 'TRACK_ROUTES', 'monitors', monitorPageSchema],
  ['trackGet', 'GET', 'TRACK_ROUTES', 'monitor', monitorSchema],
  ['trackPatch', 'PATCH', 'TRACK_ROUTES', 'monitor', monitorSchema],
  ['trackDelete', 'DELETE', 'TRACK_ROUTES', 'monitor', monitorSchema],
  ['trackCancel', 'POST', 'TRACK_ROUTES', 'cancel', monitorSchema],
  ['trackRunNow', 'POST', 'TRACK_ROUTES', 'runNow', tickOutcomeSchema],
  ['trackSnapshots', 'GET', 'TRACK_ROUTES', 'snapshots', snapshotListSchema],
  ['trackSnapshot', 'GET', 'TRACK_ROUTES', 'snapshot', snapshotSchema],
  ['trackDeliveries', 'GET', 'TRACK_ROUTES', 'deliveries', deliveryListSchema],
  ['trackRetryDelivery', 'POST', 'TRACK_ROUTES', 'retryDelivery', deliverySchema],
  ['trackIntervene', 'POST', 'TRACK_ROUTES', 'intervene', monitorSchema],
  ['trackMessage', 'POST', 'TRACK_ROUTES', 'messages', ackSchema],
];

function operations(): Record<string, FixtureOperation> {
  const sources = routeSources();
  return Object.fromEntries(
    TABLE.map(([name, method, group, key, response, status]) => {
      const path = (GROUPS[group] as Record<string, string>)[key]!;
      const source = sources.get(`${group}.${key}`);
      if (!source) throw new Error(`${group}.${key} not found in routes.ts`);
      return [name, { method, path, source, response, status }];
    }),
  );
}

let sb: RunningSandbox;
let wa: WebAgentClient;

beforeAll(async () => {
  sb = await startSandbox({ tickMs: 5 });
  const env = parseEnv({ WEBAGENT_BASE_URL: sb.baseUrl('webagent'), WEBAGENT_PROJECT_ID: 'proj_fixtures' });
  wa = new ProviderRegistry(new Credentials(env, { WEBAGENT_API_KEY: KeyRing.defaultKey('webagent') })).client(
    'webagent',
  );
  // A task that speaks once, then holds still: every read of it has one shape.
  sb.ctx.scripts.set('hold', [
    { type: 'emit', count: 1, text: 'working' },
    { type: 'wait', ms: 600_000 },
    { type: 'finish' },
  ]);
});

afterAll(async () => sb?.close());

/** Reads a task's stream until `stop` says so (or the stream ends). */
async function until(sessionId: string, taskId: string, stop: (e: WebAgentEvent) => boolean): Promise<WebAgentEvent[]> {
  const seen: WebAgentEvent[] = [];
  for await (const e of wa.events.stream(sessionId, taskId)) {
    seen.push(e);
    if (stop(e)) break;
  }
  return seen;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('every Web Agent operation matches its committed request/response fixture', async () => {
  sb.core.captureResponses = true;

  // DoAnything: a session whose first task holds still, read, messaged and cancelled; a follow-up
  // task that asks, answered; then the session stopped.
  const s = await wa.sessions.create({ instructions: 'script:hold fixture session', metadata: { team: 'fixtures' } });
  const first = s.tasks[0];
  await until(s.id, first.id, (e) => e.type === 'task.progress');
  await wa.sessions.get(s.id);
  await wa.sessions.getTask(s.id, first.id);
  await wa.sessions.list({ limit: 10 });
  await wa.messages.send(s.id, first.id, { content: 'also count the comments' });
  await wa.sessions.cancelTask(s.id, first.id, { reason: 'user_cancelled' });
  const next = await wa.sessions.createTask(s.id, { instructions: 'script:ask pick one' });
  const asked = (await until(s.id, next.id, (e) => e.type === 'task.input_request')).at(-1)!;
  await wa.messages.intervene(s.id, next.id, {
    inputRequestId: String(asked.data.input_request_id),
    response: { choice: 'A' },
  });
  await until(s.id, next.id, () => false);
  await wa.sessions.stop(s.id, { force: false });

  // DeepResearch: outline approved, artifacts read; a second run cancelled before its gate.
  const dr = await wa.deepResearch.run({ topic: 'Fixture research', depth: 'light', requireOutlineApproval: true });
  const outline = (await until(dr.session_id, dr.task_id, (e) => e.type === 'task.input_request')).at(-1)!;
  await wa.deepResearch.get(dr.task_id);
  await wa.deepResearch.intervene(dr.task_id, { requestId: String(outline.data.request_id), response: 'approve' });
  await until(dr.session_id, dr.task_id, () => false);
  const artifacts = await wa.deepResearch.listArtifacts(dr.task_id);
  await wa.deepResearch.getArtifact(dr.task_id, artifacts[0]!.id);
  const dropped = await wa.deepResearch.run({ topic: 'Fixture research to cancel', depth: 'light' });
  await wa.deepResearch.cancel(dropped.task_id, { reason: 'user_cancelled' });

  // WebSearch: a synchronous search read back and refined; an async one (202).
  const found = await wa.webSearch.run({ queries: ['best python orm'], engines: ['tavily'], summarize: true });
  await wa.webSearch.get(found.task_id);
  await wa.webSearch.refine(found.task_id, { text: 'add site:reddit.com' });
  await wa.webSearch.runAsync({ queries: ['best python orm, later'] });

  // Track: a monitor whose callback always fails (dead delivery, retried), paused, ticked, read,
  // messaged and cancelled; a clarifying one answered; a third deleted.
  const mon = await wa.track.create({
    intent: 'Watch the fixture price',
    schedule: { kind: 'event' },
    notifyChannel: { kind: 'callback_url', url: 'https://hooks.example.com/fail' },
    triggerDsl: { op: 'lt', field: 'price', value: 5000 },
  });
  await wa.track.get(mon.id);
  await wa.track.list({ limit: 10 });
  await wa.track.pause(mon.id, { reason: 'fixture' });
  const tick = await wa.track.runNow(mon.id);
  await wa.track.listSnapshots(mon.id);
  await wa.track.getSnapshot(mon.id, tick.snapshot!.id);
  // The platform retries the delivery 3 times, 5 and 10 ticks apart, then marks it dead.
  await sleep(600);
  const deliveries = await wa.track.listDeliveries(mon.id, { includePayload: true });
  expect(deliveries.items[0]?.status).toBe('dead');
  await wa.track.retryDelivery(mon.id, deliveries.items[0]!.id);
  await wa.track.message(mon.id, { content: 'prefer the 256 GB model' });
  await wa.track.cancel(mon.id);
  const unclear = await wa.track.create({
    intent: 'Watch the ambiguous fixture listing',
    schedule: { kind: 'event' },
    notifyChannel: { kind: 'callback_url', url: 'https://hooks.example.com/fail' },
  });
  await wa.track.intervene(unclear.id, { requestId: unclear.pending_request!.id, response: 'SKU A' });
  const spare = await wa.track.create({
    intent: 'Fixture to delete',
    schedule: { kind: 'event' },
    notifyChannel: { kind: 'callback_url', url: 'https://hooks.example.com/fail' },
  });
  await wa.track.delete(spare.id);

  const report = checkOperationFixtures('webagent', operations(), sb.core.journal);
  expect(report.problems).toEqual([]);
});

it('the operation table covers every route of routes.ts, and takes each source from it', () => {
  const ops = operations();
  const covered = new Set(Object.values(ops).map((o) => o.path));
  const all = Object.values(GROUPS).flatMap((g) => Object.values(g) as string[]);
  expect(all.filter((p) => !covered.has(p))).toEqual([]);
  // DeepResearch's run path is the one the seed spells out; the rest are assumptions.
  expect(ops.deepResearchRun!.source).toBe(SEED);
  expect(ops.sessionsCreate!.source).toBe('assumption');
});
