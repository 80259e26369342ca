/**
 * Resumable live streams: `GET /workflows/{id}/events` over a session that continues as new
 * several times (a dedicated dev server suggests it after 30 history events) while its worker is
 * stopped and started again mid-stream, read by a client that hangs up and comes back with
 * `Last-Event-ID`: every entry arrives exactly once, numbered 1..N in transcript order.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { dedupeLines, LocalArtifactStore } from '../../src/artifacts/store.js';
import { SwitchboardClient } from '../../src/client/index.js';
import { Credentials, parseEnv } from '../../src/config.js';
import type { TranscriptEntry } from '../../src/contracts/sessions.js';
import { type DevServer, findTemporalCli, freePort, startDevServer } from '../../src/devserver/index.js';
import { ProviderRegistry } from '../../src/providers/registry.js';
import { SandboxControl } from '../../src/sandbox/control.js';
import { createSwitchboardWorker } from '../../src/worker/create.js';
import { eventually, sandboxEnv } from '../support/harness.js';
import { type ApiProblem, readSse, type SseEvent, startTestGateway, type TestGateway, testKeysDir } from './support.js';

let server: DevServer;
let worker: Worker;
let running: Promise<void>;
let connection: Connection;
let native: NativeConnection;
let sb: SwitchboardClient;
let client: Client;
let gw: TestGateway;
const control = new SandboxControl(inject('sandboxOrigin'));
const taskQueue = 'gw-events';
const artifactDir = mkdtempSync(join(tmpdir(), 'sb-gw-events-'));

async function startWorker(): Promise<void> {
  const raw = sandboxEnv();
  worker = await createSwitchboardWorker({
    connection: native,
    namespace: 'default',
    taskQueue,
    providers: new ProviderRegistry(new Credentials(parseEnv(raw), raw)),
    artifacts: new LocalArtifactStore(artifactDir),
    workflowBundle: { code: readFileSync(inject('workflowBundlePath'), 'utf8') },
  });
  running = worker.run();
}

async function stopWorker(): Promise<void> {
  worker.shutdown();
  await running;
}

beforeAll(async () => {
  server = await startDevServer({
    cliPath: await findTemporalCli({ build: false }),
    port: await freePort(),
    httpPort: await freePort(),
    metricsPort: await freePort(),
    uiPort: 0,
    dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 30 },
  });
  native = await NativeConnection.connect({ address: server.address });
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection });
  sb = new SwitchboardClient({ connection, taskQueue });
  await startWorker();
  gw = await startTestGateway({ sb, artifactDir, keysDir: testKeysDir(), people: ['alice'], heartbeatMs: 300 });
});

afterAll(async () => {
  await gw?.close();
  if (worker?.getState() === 'RUNNING') await stopWorker();
  await connection?.close();
  await native?.close();
  await server?.stop();
});

const entries = (events: SseEvent[]) => events.filter((e) => e.event === 'entry');

it('Last-Event-ID resumes exactly across hang-ups, a worker restart and continue-as-new', async () => {
  // 40 progress events, ~80 ms apart: long enough to hang up and restart the worker mid-stream.
  await control.script('gw-slow', [
    ...Array.from({ length: 40 }, () => [
      { type: 'emit' as const, count: 1 },
      { type: 'wait' as const, ms: 80 },
    ]).flat(),
    { type: 'finish', result: 'slow done' },
  ]);
  const { workflowId, runId } = await sb.startSession({
    platform: 'webagent',
    task: 'Slow and steady script:gw-slow',
    followBatch: { maxEvents: 3 },
  });
  const url = `${gw.url}/workflows/${workflowId}/events`;
  const token = gw.people.alice!.token;

  const got: SseEvent[] = [];
  // 1. Read five entries, hang up.
  const a = await readSse(url, { token, stopAfter: 5 });
  expect(a.status).toBe(200);
  got.push(...entries(a.events));
  expect(got.map((e) => e.id)).toEqual(['1', '2', '3', '4', '5']);

  // 2. The worker stops; the client comes back meanwhile and reads what is already written.
  await stopWorker();
  const during = readSse(url, { token, lastEventId: got.at(-1)!.id, stopAfter: 6 });
  await new Promise((r) => setTimeout(r, 1_000));
  await startWorker();
  const b = await during;
  got.push(...entries(b.events));
  expect(b.comments).toBeGreaterThan(0); // heartbeats while nothing moved

  // 3. Resume until the workflow ends.
  const c = await readSse(url, { token, lastEventId: got.at(-1)!.id, timeoutMs: 60_000 });
  got.push(...entries(c.events));
  expect(c.ended).toBe(true);
  expect(JSON.parse(c.events.at(-1)!.data)).toMatchObject({ workflowStatus: 'COMPLETED' });

  // Nothing lost, nothing repeated: positions 1..N, and the entries are the transcript's, in order.
  const result = await sb.result(workflowId);
  expect(result.status).toBe('completed');
  const file = result.artifacts.find((x) => x.name === 'transcript.jsonl')!;
  const transcript = dedupeLines<TranscriptEntry>(readFileSync(new URL(file.uri), 'utf8'));
  expect(got.map((e) => Number(e.id))).toEqual(transcript.map((_, i) => i + 1));
  expect(got.map((e) => (JSON.parse(e.data) as TranscriptEntry).id)).toEqual(transcript.map((t) => t.id));
  expect(transcript.filter((t) => t.kind === 'progress')).toHaveLength(40);
  // The chain continued as new at least once while being streamed.
  const first = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  expect(first.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();

  // A finished workflow's stream replays from any position and ends at once.
  const tail = await readSse(url, { token, lastEventId: String(transcript.length - 2) });
  expect(entries(tail.events).map((e) => Number(e.id))).toEqual([transcript.length - 1, transcript.length]);
  expect(tail.ended).toBe(true);
}, 90_000);

it('refuses streams it cannot serve with a clear status', async () => {
  const { workflowId } = await sb.startSession({ platform: 'webagent', task: 'List the top 3 stories script:default' });
  await eventually(async () => (await client.workflow.getHandle(workflowId).describe()).status.name === 'COMPLETED');
  const bad = await gw.call<ApiProblem>(`/workflows/${workflowId}/events`, {
    as: 'alice',
    headers: { 'last-event-id': 'abc' },
  });
  expect(bad.status).toBe(400);
  expect(bad.body.error.type).toBe('invalid_last_event_id');
  const anon = await gw.call(`/workflows/${workflowId}/events`);
  expect(anon.status).toBe(401);
  const missing = await gw.call('/workflows/nope/events', { as: 'alice' });
  expect(missing.status).toBe(404);
});
