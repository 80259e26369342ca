/**
 * Long sessions continue-as-new when the server suggests it, losing no transcript entry, pending
 * message or update. A dedicated dev server suggests continue-as-new after a few dozen events so
 * the test sees several runs.
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
import { type DevServer, findTemporalCli, freePort, startDevServer } from '../../src/devserver/index.js';
import { ProviderRegistry } from '../../src/providers/registry.js';
import { SandboxControl } from '../../src/sandbox/control.js';
import { createSwitchboardWorker } from '../../src/worker/create.js';
import type { TranscriptEntry } from '../../src/contracts/sessions.js';
import { eventually, sandboxEnv } from '../support/harness.js';

let server: DevServer;
let worker: Worker;
let running: Promise<void>;
let connection: Connection;
let native: NativeConnection;
let sb: SwitchboardClient;
let client: Client;
const control = new SandboxControl(inject('sandboxOrigin'));
const taskQueue = 'can-test';

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
  const raw = sandboxEnv();
  worker = await createSwitchboardWorker({
    connection: native,
    namespace: 'default',
    taskQueue,
    providers: new ProviderRegistry(new Credentials(parseEnv(raw), raw)),
    artifacts: new LocalArtifactStore(mkdtempSync(join(tmpdir(), 'sb-can-'))),
    workflowBundle: { code: readFileSync(inject('workflowBundlePath'), 'utf8') },
  });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await connection?.close();
  await native?.close();
  await server?.stop();
});

it('continues as new across many batches and loses no entry, message or update', async () => {
  // The journal is shared by every test file of the run: count only this test's calls.
  await control.reset();
  await control.script('can-long', [
    { type: 'emit', count: 60 },
    { type: 'await_message' },
    { type: 'emit', count: 60 },
    { type: 'finish', result: 'long done' },
  ]);
  const { workflowId, runId } = await sb.startSession({
    platform: 'webagent',
    task: 'A long one script:can-long',
    followBatch: { maxEvents: 10 },
  });
  // Wait until the session sits at `await_message` in a later run than the first.
  await eventually(
    async () => {
      const st = await sb.state(workflowId);
      const desc = await client.workflow.getHandle(workflowId).describe();
      return st.counts.platformEvents >= 60 && desc.runId !== runId;
    },
    { timeoutMs: 30_000 },
  );
  const sent = await sb.sendMessage(workflowId, 'keep going');
  expect(sent.accepted).toBe(true);
  const result = await sb.result(workflowId);
  expect(result.status).toBe('completed');
  expect(result.result).toBe('long done');

  // Several runs in the chain, each ended by continue-as-new.
  const first = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  expect(first.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
  // Exactly one platform session and one message, across all runs.
  const journal = await control.journal({ platform: 'webagent', method: 'POST' });
  expect(journal.filter((r) => r.route === '/v1/projects/{project_id}/sessions' && !r.replayed)).toHaveLength(1);
  expect(journal.filter((r) => r.route.endsWith('/messages') && !r.replayed)).toHaveLength(1);
  // Every progress event exactly once in the transcript, and the counts agree.
  const transcript = result.artifacts.find((a) => a.name === 'transcript.jsonl')!;
  const entries = dedupeLines<TranscriptEntry>(readFileSync(new URL(transcript.uri), 'utf8'));
  expect(entries.filter((e) => e.kind === 'progress')).toHaveLength(120);
  expect(result.counts.transcriptEntries).toBe(entries.length);
  expect(result.counts.messagesSent).toBe(1);
}, 60_000);

it('a trackMonitor continues as new with its state: one platform monitor, one intervene, the answered request not asked again', async () => {
  const key = `can-monitor-${Date.now()}`;
  const { workflowId, runId } = await sb.monitors.create(key, {
    intent: 'Watch the ambiguous phone listing price',
    schedule: { kind: 'interval', every_seconds: 3600 },
    notifyChannel: { kind: 'callback_url', url: 'https://hooks.example.com/track' },
    approvers: ['alice'],
    pollSeconds: 1,
  });
  const gate = await eventually(async () => {
    const g = await sb.gate(workflowId);
    return g.open ? g : undefined;
  });
  await sb.decide(workflowId, { decider: 'alice', decision: 'approve_with_edits', edits: ['SKU A'] });
  const tick = await eventually(async () =>
    (await sb.monitors.show(key)).status === 'active' ? sb.monitors.runNow(key) : undefined,
  );
  // Polls fill the history until the server suggests continuing as new.
  await eventually(async () => (await client.workflow.getHandle(workflowId).describe()).runId !== runId, {
    timeoutMs: 30_000,
  });
  const st = await sb.monitors.show(key);
  expect(st).toMatchObject({ status: 'active', answered: [gate.requestId], lastSnapshotId: tick.snapshotId });
  // The stored snapshot's reference and its change came across too (the next sync compares with it).
  expect(st.lastStored).toMatchObject({ id: tick.snapshotId, ref: expect.stringMatching(/^file:/) });
  expect(st.lastChange).toMatchObject({ toSnapshotId: tick.snapshotId });
  expect(st.polls).toBeGreaterThan(0);
  const first = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  expect(first.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
  // The continued run steers the same monitor and keeps the decision.
  expect(await sb.monitors.pause(key, { reason: 'after continue-as-new' })).toMatchObject({
    ok: true,
    status: 'paused',
  });
  expect((await sb.gate(workflowId)).decided).toEqual([
    expect.objectContaining({ requestId: gate.requestId, decision: 'approve_with_edits' }),
  ]);
  await sb.monitors.cancel(key);
  const journal = (await control.journal({ platform: 'webagent' })).filter(
    (r) => r.path.includes(st.monitorId!) || r.route.endsWith('/track/monitors'),
  );
  expect(journal.filter((r) => r.method === 'POST' && r.route.endsWith('/track/monitors'))).toHaveLength(1);
  expect(journal.filter((r) => r.route.endsWith('/intervene'))).toHaveLength(1);
}, 60_000);

it('a scheduledMonitor continues as new with its state: counts, last value and snooze carried, one Schedule, still woken', async () => {
  const key = `can-smon-${Date.now()}`;
  const { workflowId, runId } = await sb.scheduledMonitors.create({
    key,
    check: { kind: 'web_search', query: 'continue as new phone price' },
    schedule: { everySeconds: [1] },
    approvers: ['alice'],
  });
  await eventually(async () => (await sb.scheduledMonitors.show(key)).counts.ticks >= 1, { timeoutMs: 20_000 });
  await sb.scheduledMonitors.snooze(key, { until: new Date(Date.now() + 3_600_000).toISOString() });
  // Ticks fill the history until the server suggests continuing as new.
  await eventually(async () => (await client.workflow.getHandle(workflowId).describe()).runId !== runId, {
    timeoutMs: 40_000,
  });
  const before = (await sb.scheduledMonitors.show(key)).counts.ticks;
  const st = await eventually(async () => {
    const v = await sb.scheduledMonitors.show(key);
    return v.counts.ticks >= before + 2 ? v : undefined;
  });
  expect(st).toMatchObject({ status: 'active', lastValue: { count: 3 }, snoozedUntil: expect.any(String) });
  const first = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  expect(first.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
  // The continued run did not create a second Schedule: the one it has keeps firing at it.
  expect((await client.schedule.getHandle(`monitor-${key}`).describe()).memo).toMatchObject({
    switchboardMonitor: key,
  });
  await sb.scheduledMonitors.cancel(key);
  expect(((await client.workflow.getHandle(workflowId).result()) as { status: string }).status).toBe('cancelled');
}, 90_000);
