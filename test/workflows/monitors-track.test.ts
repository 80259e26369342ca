/**
 * trackMonitor against a sandbox whose Track monitors tick on their own (scaled) schedule: each
 * new snapshot lands in the artifact store with the change from the one before; a condition hit
 * makes the platform POST a delivery to a loopback receiver; an alignment question the platform
 * asks mid-life waits at the gate while `runNow` is skipped and counted, then gets exactly one
 * `intervene`; a dead delivery is retried by a person (CLI) or by policy.
 *
 * Callback URLs name a public host (`hooks.example.com`, as the workflow requires) that the sandbox
 * resolves to its own 127.0.0.1 receiver (`/_control/hosts`), as DNS would for a real platform.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ownerPath } from '../../src/artifacts/store.js';
import type { TrackMonitorInput } from '../../src/contracts/monitors.js';
import { createHarness, eventually, type Harness, switchboardCli } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ name: 'monitors-track' });
});
afterAll(async () => h?.close());
beforeEach(async () => {
  await h.control.reset();
  await h.control.mapHost('hooks.example.com');
});

const MONITOR = '/v1/projects/{project_id}/track/monitors/{monitor_id}';
const INTERVENE = `${MONITOR}/intervene`;
const RUN = `${MONITOR}/run`;
const RETRY = `${MONITOR}/deliveries/{delivery_id}/retry`;

let n = 0;
const key = (what: string) => `${what}-${process.pid}-${Date.now()}-${++n}`;
/** A callback on a public name that the sandbox resolves to its receiver's `inbox`. */
const hook = (inbox: string, q = '') => `https://hooks.example.com/_control/webhooks?inbox=${inbox}${q}`;
const base = (over: Partial<TrackMonitorInput> = {}): TrackMonitorInput => ({
  intent: 'Notify me when the iPhone 17 Pro listing goes below $999',
  // 60 schedule seconds at the harness's 10 ms per second: a tick every 600 ms.
  schedule: { kind: 'interval', every_seconds: 60 },
  notifyChannel: { kind: 'callback_url', url: hook(key('inbox')) },
  approvers: ['alice'],
  pollSeconds: 1,
  ...over,
});
const cli = (...args: string[]) => switchboardCli(h)(...args);
const bodies = async (inbox: string) => (await h.control.webhooks(inbox)).map((w) => w.body as Record<string, unknown>);

async function started(over: Partial<TrackMonitorInput> = {}, status = 'active') {
  const k = key('mon');
  const { workflowId, runId } = await h.sb.monitors.create(k, base(over));
  const st = await eventually(async () => {
    const s = await h.sb.monitors.show(k);
    return s.status === status && s.monitorId ? s : undefined;
  });
  return { k, workflowId, runId, st };
}

describe('snapshots and deliveries', () => {
  it('ticks on the platform schedule land in the artifact store with the change; a condition hit POSTs a delivery', async () => {
    const inbox = key('hit');
    const { k, workflowId, runId } = await started({
      notifyChannel: { kind: 'callback_url', url: hook(inbox) },
      triggerDsl: { op: 'lt', field: 'price', value: 1000 },
    });
    // Nobody calls run-now: the platform's own schedule makes the snapshots.
    const st = await eventually(async () => {
      const s = await h.sb.monitors.show(k);
      return s.snapshotsSeen >= 3 && s.lastChange?.fromSnapshotId ? s : undefined;
    });
    expect(await h.control.journal({ platform: 'webagent', route: RUN })).toHaveLength(0);

    // The newest snapshot is in the store, under the workflow id and its run chain.
    const file = fileURLToPath(st.lastStored!.ref!);
    expect(file.startsWith(join(h.artifactsDir, ...ownerPath({ workflowId, chain: runId })))).toBe(true);
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { id: string; data: { price: number } };
    expect(stored.id).toBe(st.lastStored!.id);
    expect(st.lastSnapshotId).toBe(stored.id);
    // The change from the previous snapshot: the price moved by 30 (or wrapped back up).
    expect(st.lastChange).toMatchObject({ toSnapshotId: stored.id, fields: expect.arrayContaining(['price']) });
    expect(st.lastChange!.summary).toMatch(/price \d+ → \d+/);
    const rows = readFileSync(fileURLToPath(st.lastChange!.ref!), 'utf8')
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            to: string;
            from: string | null;
            changes: { field: string; from: unknown; to: unknown }[];
          },
      );
    const row = rows.find((r) => r.to === stored.id)!;
    expect(row.from).toBe(st.lastChange!.fromSnapshotId);
    expect(row.changes.find((c) => c.field === 'price')!.to).toBe(stored.data.price);
    // Workflow state keeps references and field names only.
    expect(JSON.stringify(st).length).toBeLessThan(4_000);

    // The third tick (989 < 1000) hit the condition: the platform POSTed it to the receiver.
    const got = await eventually(async () => {
      const b = await bodies(inbox);
      return b.length ? b : undefined;
    });
    expect(got[0]).toMatchObject({
      type: 'track.snapshot',
      monitor_id: st.monitorId,
      data: { price: 989 },
      attempt: 1,
    });
    await eventually(async () => ((await h.sb.monitors.show(k)).deliveries?.delivered ?? 0) >= 1);
    // Searchable: when the last snapshot was stored and when the data last changed.
    const sa = (await h.client.workflow.getHandle(workflowId).describe()).typedSearchAttributes;
    const at = (name: string) => sa.get({ name, type: 'DATETIME' } as never) as Date | undefined;
    expect(at('MonitorLastSnapshotAt')).toBeInstanceOf(Date);
    expect(at('MonitorLastChangeAt')!.getTime()).toBeLessThanOrEqual(at('MonitorLastSnapshotAt')!.getTime());
    const shown = await cli('monitor', 'show', k);
    expect(shown.stdout).toMatch(/last change: .*price/);
    expect(shown.stdout).toMatch(/deliveries \d+ delivered/);
    await h.sb.monitors.cancel(k);
  });

  it('a dead delivery is retried once by a person (CLI deliveries, retry); the receiver gets it', async () => {
    const inbox = key('dead');
    // The receiver fails the platform's three attempts, then answers 200.
    const { k } = await started({
      schedule: { kind: 'event' },
      notifyChannel: { kind: 'callback_url', url: hook(inbox, '&status=500&fail_first=3') },
      triggerDsl: { op: 'lt', field: 'price', value: 1000 },
    });
    await h.sb.monitors.runNow(k);
    await h.sb.monitors.runNow(k);
    const hit = await h.sb.monitors.runNow(k);
    expect(hit.notified).toBe(true);
    const dead = await eventually(async () => {
      const r = await cli('--json', 'monitor', 'deliveries', k, '--status', 'dead');
      const rows = JSON.parse(r.stdout) as { id: string; attempts: number; lastError?: string }[];
      return rows.length ? rows : undefined;
    });
    expect(dead).toEqual([expect.objectContaining({ attempts: 3, lastError: 'callback answered 500' })]);
    expect((await h.sb.monitors.show(k)).deliveries).toMatchObject({ dead: 1, deadRows: [{ id: dead[0]!.id }] });

    const retried = await cli('monitor', 'retry', k, dead[0]!.id);
    expect(retried.code).toBe(0);
    expect(retried.stdout).toMatch(/delivered/);
    expect(await h.control.journal({ platform: 'webagent', route: RETRY })).toHaveLength(1);
    expect((await bodies(inbox)).filter((b) => b.delivery_id === dead[0]!.id).map((b) => b.attempt)).toEqual([
      1, 2, 3, 4,
    ]);
    expect((await h.sb.monitors.show(k)).retries).toEqual([
      expect.objectContaining({ deliveryId: dead[0]!.id, by: 'person', status: 'delivered' }),
    ]);
    // A delivered row is not retried again (the platform refuses: exit 4); a bad id never leaves the client.
    expect((await cli('monitor', 'retry', k, dead[0]!.id)).code).toBe(4);
    expect((await cli('monitor', 'retry', k, '../etc')).code).toBe(2);
    expect(await h.control.journal({ platform: 'webagent', route: RETRY })).toHaveLength(2);
    await h.sb.monitors.cancel(k);
  });

  it('the retry policy retries each dead delivery at most retryDeadDeliveries times', async () => {
    const inbox = key('policy');
    const { k } = await started({
      schedule: { kind: 'event' },
      notifyChannel: { kind: 'callback_url', url: hook(inbox, '&status=500') },
      triggerDsl: { op: 'lt', field: 'price', value: 1000 },
      retryDeadDeliveries: 1,
    });
    for (let i = 0; i < 3; i++) await h.sb.monitors.runNow(k);
    const st = await eventually(async () => {
      const s = await h.sb.monitors.show(k);
      return s.retries?.length ? s : undefined;
    });
    expect(st.retries).toEqual([expect.objectContaining({ by: 'switchboard:policy', status: 'dead' })]);
    // More polls: the row stays dead and is not retried again.
    const polls = st.polls;
    await eventually(async () => (await h.sb.monitors.show(k)).polls >= polls + 3, { timeoutMs: 15_000 });
    expect((await h.sb.monitors.show(k)).retries).toHaveLength(1);
    expect(await h.control.journal({ platform: 'webagent', route: RETRY })).toHaveLength(1);
    expect((await bodies(inbox)).length).toBe(4);
    await h.sb.monitors.cancel(k);
  });
});

describe('alignment asked mid-life', () => {
  it('the gate opens, run-now is skipped and counted, exactly one intervene answers, and ticks resume with the answer', async () => {
    const inbox = key('align');
    const { k, workflowId } = await started({
      intent: 'Watch the phone listing price clarify:1',
      notifyChannel: { kind: 'callback_url', url: hook(inbox) },
    });
    const gate = await eventually(async () => {
      const g = await h.sb.gate(workflowId);
      return g.open ? g : undefined;
    });
    expect(gate).toMatchObject({ kind: 'monitor_clarification' });
    expect((await h.sb.monitors.show(k)).status).toBe('pending_clarification');
    // The platform announced the question on the notify channel too.
    expect((await bodies(inbox)).find((b) => b.type === 'alignment.input_request')).toMatchObject({
      data: { request_id: gate.requestId },
    });

    // run-now while a person decides: skipped (exit 4, nothing sent), and counted.
    await expect(h.sb.monitors.runNow(k)).rejects.toThrow(/skipped: a clarification is waiting/);
    const viaCli = await cli('monitor', 'run-now', k);
    expect(viaCli.code).toBe(4);
    expect((await h.sb.monitors.show(k)).skippedRuns).toBe(2);
    expect((await cli('monitor', 'show', k)).stdout).toMatch(/skipped while waiting on a person: 2 run\(s\)/);
    expect(await h.control.journal({ platform: 'webagent', route: RUN })).toHaveLength(0);
    const seenBefore = (await h.sb.monitors.show(k)).snapshotsSeen;
    await new Promise((r) => setTimeout(r, 1_500));

    await h.sb.decide(workflowId, {
      decider: 'alice',
      decision: 'approve_with_edits',
      edits: ['SKU A'],
      digest: gate.digest,
    });
    const calls = await h.control.journal({ platform: 'webagent', route: INTERVENE });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.body).toEqual({ request_id: gate.requestId, response: 'SKU A' });
    // Ticks resume; the stored snapshots carry the answer, and the change into it is recorded.
    const after = await eventually(async () => {
      const s = await h.sb.monitors.show(k);
      if (s.status !== 'active' || s.snapshotsSeen <= seenBefore || !s.lastStored?.ref) return undefined;
      const stored = JSON.parse(readFileSync(fileURLToPath(s.lastStored.ref), 'utf8')) as {
        data: { sku: string | null };
      };
      return stored.data.sku === 'SKU A' ? s : undefined;
    });
    expect(after.skippedPolls).toBeGreaterThanOrEqual(1);
    const changes = readFileSync(fileURLToPath(after.lastChange!.ref!), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { changes: { field: string; from: unknown; to: unknown }[] });
    expect(changes.flatMap((c) => c.changes)).toContainEqual({ field: 'sku', from: null, to: 'SKU A' });
    expect(await h.control.journal({ platform: 'webagent', route: INTERVENE })).toHaveLength(1);
    await h.sb.monitors.cancel(k);
  });
});

describe('bad inputs to the new updates', () => {
  it('deliveries and retryDelivery with bad or extra arguments are refused before history; the client refuses them too', async () => {
    const { k, workflowId } = await started({ schedule: { kind: 'event' } });
    const handle = h.client.workflow.getHandle(workflowId);
    const before = (await handle.fetchHistory()).events?.length ?? 0;
    const refused = async (name: string, args: [unknown, ...unknown[]], re: RegExp) => {
      const err = await handle.executeUpdate(name, { args }).then(
        () => undefined,
        (e: unknown) => e as Error & { cause?: Error },
      );
      expect(err?.cause?.message ?? err?.message).toMatch(re);
    };
    await refused('retryDelivery', [{ deliveryId: '../../etc/passwd' }], /deliveryId/);
    await refused('retryDelivery', [{ deliveryId: 'dlv_1', url: 'http://169.254.169.254' }], /Unrecognized key/);
    await refused('retryDelivery', [{ deliveryId: 'dlv_1' }, {}], /exactly one argument/);
    await refused('deliveries', [{ limit: 500 }], /limit/);
    await refused('deliveries', [{ status: 'gone' }], /status/);
    const after = (await handle.fetchHistory()).events ?? [];
    expect(after.slice(before).some((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toBe(false);
    await expect(h.sb.monitors.retryDelivery(k, 'dlv x')).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(h.sb.monitors.deliveries(k, { limit: 0 })).rejects.toMatchObject({ code: 'invalid_input' });
    // An unknown delivery id reaches the platform, which answers 404: refused, not a failed monitor.
    await expect(h.sb.monitors.retryDelivery(k, 'dlv_missing')).rejects.toMatchObject({ code: 'rejected' });
    expect((await h.sb.monitors.show(k)).status).toBe('active');
    await h.sb.monitors.cancel(k);
  });
});
