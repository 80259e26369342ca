/**
 * Cron-scheduled monitors on a real dev server against the sandbox: a Temporal Schedule per
 * monitor fires tick workflows every second; each tick only wakes the entity, which checks the
 * wake against the Schedule and runs the check itself. Alerts go out through the webhook outbox
 * to the sandbox's receiver and are verified with the endpoint's secret.
 */
import { ScheduleNotFoundError } from '@temporalio/client';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import type { ScheduledMonitorInput, ScheduledMonitorResult } from '../../src/contracts/scheduledMonitors.js';
import { SandboxControl } from '../../src/sandbox/control.js';
import { scheduledMonitorStateQuery, wakeSignal } from '../../src/workflows/monitors/scheduledMonitor.js';
import { createHarness, eventually, type Harness, switchboardCli } from '../support/harness.js';

const SECRET = 'whsec_' + Buffer.from('switchboard-scheduled-monitors-0123456789').toString('base64');
const sandbox = new SandboxControl(inject('sandboxOrigin'));
const INBOXES = ['hit', 'fail', 'quiet', 'snooze', 'digest', 'dedupe', 'gate', 'count'] as const;

let h: Harness;
beforeAll(async () => {
  const extraEnv: NodeJS.ProcessEnv = {};
  for (const inbox of INBOXES) {
    extraEnv[`SWITCHBOARD_WEBHOOK_${inbox.toUpperCase()}_URL`] = sandbox.webhookUrl(`smon-${inbox}`);
    extraEnv[`SWITCHBOARD_WEBHOOK_${inbox.toUpperCase()}_SECRET`] = SECRET;
  }
  h = await createHarness({ name: 'smon', extraEnv });
});
const keys: string[] = [];
afterEach(async () => {
  // Schedules outlive the test's worker: delete every one this file made.
  for (const k of keys.splice(0)) {
    await h.sb.scheduledMonitors.cancel(k).catch(() => undefined);
    await h.client.schedule
      .getHandle(`monitor-${k}`)
      .delete()
      .catch((e: unknown) => {
        if (!(e instanceof ScheduleNotFoundError)) throw e;
      });
  }
});
afterAll(async () => h?.close());
beforeEach(async () => h.control.reset());

let n = 0;
const newKey = (what: string) => {
  const k = `${what}-${process.pid}-${Date.now()}-${++n}`;
  keys.push(k);
  return k;
};
const cli = (...args: string[]) => switchboardCli(h)(...args);
const spec = (key: string, over: Partial<ScheduledMonitorInput> = {}): ScheduledMonitorInput => ({
  key,
  check: { kind: 'web_search', query: 'iphone 17 pro price' },
  schedule: { everySeconds: [1] },
  approvers: ['alice'],
  ...over,
});
const show = (k: string) => h.sb.scheduledMonitors.show(k);
const until = <T>(
  k: string,
  pred: (v: Awaited<ReturnType<typeof show>>) => T | undefined | false,
  timeoutMs = 20_000,
) => eventually(async () => pred(await show(k)), { timeoutMs, intervalMs: 200 });
const webhooks = async (inbox: (typeof INBOXES)[number]) =>
  (await h.control.webhooks(`smon-${inbox}`)).map((d) => ({
    headers: d.headers,
    body: new Webhook(SECRET).verify(d.raw, d.headers) as { type: string; data: Record<string, unknown> },
  }));

describe('ticks', () => {
  it('a tick on schedule runs the check and records the value; a condition hit sends exactly one signed webhook', async () => {
    const k = newKey('hit');
    await h.sb.scheduledMonitors.create(
      spec(k, { condition: { op: 'gt', field: 'count', value: 0 }, notify: { endpoint: 'hit' } }),
    );
    const st = await until(k, (v) => v.counts.ticks >= 3 && v);
    expect(st.status).toBe('active');
    expect(st.lastValue).toMatchObject({
      count: 3,
      urls: expect.arrayContaining([expect.stringContaining('example.com')]),
    });
    expect(st.lastTickAt).toBeDefined();
    expect(st.lastChangeAt).toBeDefined();
    expect(st.schedule).toMatchObject({ paused: false, nextRunAt: expect.any(String) });
    // The search ran once per tick, from the entity's own activity.
    const searches = await h.control.journal({
      platform: 'webagent',
      method: 'POST',
      route: '/v1/projects/{project_id}/web_search',
    });
    expect(searches.length).toBeGreaterThanOrEqual(3);
    // The value never changed after the first tick: one hit, one message.
    const got = await eventually(async () => {
      const w = await webhooks('hit');
      return w.length ? w : undefined;
    });
    expect(got).toHaveLength(1);
    expect(got[0]!.body).toMatchObject({ type: 'monitor.alert', data: { monitor: k, kind: 'condition', value: 3 } });
    expect(st.counts.hits).toBe(1);
    expect(() =>
      new Webhook('whsec_' + Buffer.from('someone-else-0123456789').toString('base64')).verify(
        JSON.stringify(got[0]!.body),
        got[0]!.headers,
      ),
    ).toThrow();
  });

  it('an ordinary tick costs at most 12 history events across the tick workflow and the entity', async () => {
    const k = newKey('count');
    const { workflowId } = await h.sb.scheduledMonitors.create(spec(k, { notify: { endpoint: 'count' } }));
    await until(k, (v) => v.counts.ticks >= 2);
    const entity = h.client.workflow.getHandle(workflowId);
    const before = (await entity.fetchHistory()).events!.length;
    const ticksBefore = (await show(k)).counts.ticks;
    await until(k, (v) => v.counts.ticks >= ticksBefore + 3);
    const v = await show(k);
    const after = (await entity.fetchHistory()).events!.length;
    const entityPerTick = (after - before) / (v.counts.ticks - ticksBefore + v.counts.skippedOverlap);
    // Every tick workflow of this monitor: completed ones, counted from their own histories.
    const tickIds: { workflowId: string; runId: string }[] = [];
    for await (const wf of h.client.workflow.list({
      query: `WorkflowType = 'scheduledMonitorTick' AND WorkflowId STARTS_WITH 'monitor-${k}.tick' AND ExecutionStatus = 'Completed'`,
    })) {
      tickIds.push({ workflowId: wf.workflowId, runId: wf.runId });
      if (tickIds.length >= 3) break;
    }
    expect(tickIds.length).toBeGreaterThan(0);
    const tickSizes = await Promise.all(
      tickIds.map(
        async (t) => (await h.client.workflow.getHandle(t.workflowId, t.runId).fetchHistory()).events!.length,
      ),
    );
    const perTick = Math.max(...tickSizes) + entityPerTick;
    console.log(
      `scheduled monitor: ${Math.max(...tickSizes)} events per tick workflow + ${entityPerTick.toFixed(2)} per tick in the entity = ${perTick.toFixed(2)}`,
    );
    expect(perTick).toBeLessThanOrEqual(12);
  });

  it('a forged wake runs no check and changes nothing; it is counted', async () => {
    const k = newKey('forged');
    const { workflowId } = await h.sb.scheduledMonitors.create(spec(k, { schedule: { everySeconds: [3600] } }));
    await until(k, (v) => v.status === 'active');
    const handle = h.client.workflow.getHandle(workflowId);
    await handle.signal(wakeSignal, {
      tickWorkflowId: `monitor-${k}.tick-2026-01-01T00:00:00Z`,
      tickRunId: 'forged-run',
    });
    await handle.signal('wake', { bogus: true });
    await handle.signal('wake', 'x', 'y');
    const st = await until(k, (v) => v.counts.wakesRefused >= 3 && v);
    expect(st.counts.ticks).toBe(0);
    expect(st.lastValue).toBeUndefined();
    expect(await h.control.journal({ platform: 'webagent' })).toHaveLength(0);
    expect((await handle.query(scheduledMonitorStateQuery)).status).toBe('active');
  });
});

describe('check kinds', () => {
  it('a WebSearch that answers 202 is polled through the retry policy until done', async () => {
    const k = newKey('slow');
    await h.sb.scheduledMonitors.create(
      spec(k, { check: { kind: 'web_search', query: 'slow phone price' }, schedule: { everySeconds: [3600] } }),
    );
    await until(k, (v) => v.status === 'active');
    await h.sb.scheduledMonitors.runNow(k);
    const st = await until(k, (v) => v.counts.ticks >= 1 && v);
    expect(st.lastValue).toMatchObject({ count: 3 });
    expect(
      await h.control.journal({
        platform: 'webagent',
        method: 'GET',
        route: '/v1/projects/{project_id}/web_search/{task_id}',
      }),
    ).not.toHaveLength(0);
  });

  it('an ArchAstro routine is invoked with an idempotency_key derived from the monitor and the tick time', async () => {
    const k = newKey('routine');
    await h.sb.scheduledMonitors.create(
      spec(k, { check: { kind: 'archastro_routine', routineId: 'arn_sbx_invoke', message: 'quick' } }),
    );
    const st = await until(k, (v) => v.counts.ticks >= 2 && v, 30_000);
    // The run's result is an object (the SDKs' model), kept whole while it is small.
    expect(st.lastValue).toMatchObject({ result: { text: 'done' } });
    const invokes = await h.control.journal({
      platform: 'archastro',
      route: '/api/v1/agent_routines/{routine}/invoke',
    });
    const keysSent = invokes.map((e) => (e.body as { idempotency_key: string }).idempotency_key);
    for (const sent of keysSent) expect(sent).toMatch(new RegExp(`^smon:${k}:\\d{4}-\\d\\d-\\d\\dT`));
    // One run per tick: the platform's own dedupe key is the tick's, and the run carries it as a tag.
    const { data } = await h.providers.client('archastro', 'default').listRuns('arn_sbx_invoke', { limit: 50 });
    const tags = data.map((r) => r.metadata?.switchboard_key);
    expect(new Set(tags).size).toBe(data.length);
    expect(new Set(tags)).toEqual(new Set(keysSent));
  });

  it('an ArchAstro routine check without a message still sends one, and a cancelled run is a value, not a failed check', async () => {
    const k = newKey('routine-cancel');
    await h.sb.scheduledMonitors.create(
      spec(k, {
        check: { kind: 'archastro_routine', routineId: 'arn_sbx_invoke' },
        schedule: { everySeconds: [3600] },
      }),
    );
    await until(k, (v) => v.status === 'active');
    // The sandbox picks the agent's script from the invocation text: make the default one run long.
    await h.control.script('default', [
      { type: 'emit', count: 1 },
      { type: 'wait', ms: 60_000 },
    ]);
    await h.sb.scheduledMonitors.runNow(k);
    const aa = h.providers.client('archastro', 'default');
    const run = await eventually(
      async () =>
        (await aa.listRuns('arn_sbx_invoke', { limit: 5 })).data.find((r) =>
          String(r.metadata?.switchboard_key).startsWith(`smon:${k}:`),
        ),
      {
        timeoutMs: 20_000,
        intervalMs: 100,
      },
    );
    const [invoke] = await h.control.journal({
      platform: 'archastro',
      route: '/api/v1/agent_routines/{routine}/invoke',
    });
    expect((invoke!.body as { message: string }).message).toMatch(new RegExp(`^Scheduled check of monitor ${k} `));
    expect((await aa.cancelRun(run.id)).status).toBe('cancelled');
    const st = await until(k, (v) => v.counts.ticks >= 1 && v, 30_000);
    expect(st.lastValue).toEqual({ status: 'cancelled', result: null, structured: null });
    expect(st.counts.checksFailed).toBe(0);
    expect(st.consecutiveFailures).toBe(0);
  });

  it('a light DeepResearch runs without the outline gate and is polled until it completes', async () => {
    const k = newKey('research');
    await h.sb.scheduledMonitors.create(
      spec(k, {
        check: { kind: 'deep_research', topic: 'phone prices this week' },
        schedule: { everySeconds: [3600] },
      }),
    );
    await until(k, (v) => v.status === 'active');
    await h.sb.scheduledMonitors.runNow(k);
    const st = await until(k, (v) => v.counts.ticks >= 1 && v, 30_000);
    expect(st.lastValue).toMatchObject({ status: 'completed', depth: 'light' });
    const [run] = await h.control.journal({ platform: 'webagent', method: 'POST', route: '/v1/deep_research' });
    expect(run!.body).toMatchObject({ depth: 'light', require_outline_approval: false });
  });
});

describe('alert rules', () => {
  it('alerts once after N consecutive failed ticks (sandbox faults), and the value is kept', async () => {
    const k = newKey('fail');
    await h.control.fault({
      platform: 'webagent',
      method: 'POST',
      route: '/v1/projects/{project_id}/web_search',
      status: 503,
      code: 'unavailable',
    });
    await h.sb.scheduledMonitors.create(spec(k, { alerts: { afterFailures: 2 }, notify: { endpoint: 'fail' } }));
    const st = await until(k, (v) => v.counts.checksFailed >= 3 && v, 30_000);
    expect(st.consecutiveFailures).toBeGreaterThanOrEqual(3);
    expect(st.lastError).toMatch(/503|unavailable|Server/i);
    const got = await webhooks('fail');
    expect(got).toHaveLength(1);
    expect(got[0]!.body.data).toMatchObject({ kind: 'failure', monitor: k });
  });

  it('alerts on silence: nothing changed for the period, one message per quiet period', async () => {
    const k = newKey('quiet');
    await h.sb.scheduledMonitors.create(spec(k, { alerts: { silenceSeconds: 2 }, notify: { endpoint: 'quiet' } }));
    await until(k, (v) => v.counts.ticks >= 5);
    const got = await webhooks('quiet');
    expect(got).toHaveLength(1);
    expect(got[0]!.body.data).toMatchObject({ kind: 'silence', monitor: k });
  });

  it('snooze keeps checking and drops notifications (counted); ending it lets them through', async () => {
    const track = h.providers.client('webagent', 'default').track;
    const m = await track.create({
      intent: 'Watch the phone listing price',
      schedule: { kind: 'interval', every_seconds: 3600 },
      notifyChannel: { kind: 'callback_url', url: 'https://hooks.example.com/x' },
    });
    const k = newKey('snooze');
    await h.sb.scheduledMonitors.create(
      spec(k, {
        check: { kind: 'track_run_now', monitorId: m.id },
        condition: { op: 'lt', field: 'price', value: 5000 },
        notify: { endpoint: 'snooze' },
      }),
    );
    await until(k, (v) => v.status === 'active');
    await h.sb.scheduledMonitors.snooze(k, { until: new Date(Date.now() + 3_600_000).toISOString() });
    const st = await until(k, (v) => v.counts.alertsDropped >= 2 && v);
    expect(st.counts.ticks).toBeGreaterThanOrEqual(2);
    expect(st.snoozedUntil).toBeDefined();
    // Alerts sent before the snooze landed (the first tick may beat it) are the only ones.
    const sentWhileSnoozed = st.counts.alertsSent;
    await until(k, (v) => v.counts.alertsDropped >= st.counts.alertsDropped + 1);
    expect((await show(k)).counts.alertsSent).toBe(sentWhileSnoozed);
    await h.sb.scheduledMonitors.snooze(k, { until: new Date(Date.now() - 1000).toISOString() });
    await until(k, (v) => v.counts.alertsSent > sentWhileSnoozed);
    await eventually(async () => (await webhooks('snooze')).length > sentWhileSnoozed);
  });

  it('a digest collects hits and sends one message per period', async () => {
    const track = h.providers.client('webagent', 'default').track;
    const m = await track.create({
      intent: 'Watch the phone listing price',
      schedule: { kind: 'interval', every_seconds: 3600 },
      notifyChannel: { kind: 'callback_url', url: 'https://hooks.example.com/x' },
    });
    const k = newKey('digest');
    await h.sb.scheduledMonitors.create(
      spec(k, {
        check: { kind: 'track_run_now', monitorId: m.id },
        condition: { op: 'lt', field: 'price', value: 5000 },
        alerts: { digestSeconds: 3 },
        notify: { endpoint: 'digest' },
      }),
    );
    await until(k, (v) => v.counts.digestsSent >= 1, 30_000);
    // Stop the ticks, then compare what was sent with what the monitor counted.
    await h.sb.scheduledMonitors.pause(k, { note: 'digest checked' });
    await new Promise((r) => setTimeout(r, 1_500)); // a check in flight when the pause landed ends
    const st = await show(k);
    const got = await eventually(async () => {
      const w = await webhooks('digest');
      return w.length === st.counts.digestsSent ? w : undefined;
    });
    expect(st.counts.hits).toBeGreaterThanOrEqual(2);
    expect(st.counts.alertsSent).toBe(st.counts.digestsSent);
    for (const d of got) expect(d.body.type).toBe('monitor.digest');
    const items = got[0]!.body.data.items as { value: number }[];
    // One message carried several hits, in the order they happened (the price only falls).
    expect(items.length).toBeGreaterThanOrEqual(2);
    expect(items.map((i) => i.value)).toEqual([...items.map((i) => i.value)].sort((a, b) => b - a));
    expect(got.reduce((n, d) => n + (d.body.data.items as unknown[]).length, 0) + st.digest.length).toBe(
      st.counts.hits,
    );
  });

  it('de-duplicates: the same alert key within the window is sent once', async () => {
    const k = newKey('dedupe');
    // Fail, recover, fail again: two failure alerts with the same key, one message.
    await h.control.fault({
      platform: 'webagent',
      method: 'POST',
      route: '/v1/projects/{project_id}/web_search',
      status: 503,
      times: 3,
    });
    await h.sb.scheduledMonitors.create(
      spec(k, { alerts: { afterFailures: 1, dedupeSeconds: 3600 }, notify: { endpoint: 'dedupe' } }),
    );
    await until(k, (v) => v.counts.checksFailed >= 1 && v.counts.ticks >= 1, 30_000);
    await h.control.fault({
      platform: 'webagent',
      method: 'POST',
      route: '/v1/projects/{project_id}/web_search',
      status: 503,
      times: 3,
    });
    const st = await until(k, (v) => v.counts.alertsDeduped >= 1 && v, 30_000);
    expect(st.counts.alertsSent).toBe(1);
    expect(await webhooks('dedupe')).toHaveLength(1);
  });
});

describe('approval-aware overlap', () => {
  it('while a Track clarification waits at the gate no check runs; skipped ticks are counted and shown; the answer is one intervene', async () => {
    const track = h.providers.client('webagent', 'default').track;
    const m = await track.create({
      intent: 'Watch the ambiguous phone listing price',
      schedule: { kind: 'interval', every_seconds: 3600 },
      notifyChannel: { kind: 'callback_url', url: 'https://hooks.example.com/x' },
    });
    const k = newKey('gate');
    const { workflowId } = await h.sb.scheduledMonitors.create(
      spec(k, { check: { kind: 'track_run_now', monitorId: m.id }, notify: { endpoint: 'gate' } }),
    );
    const gate = await eventually(async () => {
      const g = await h.sb.gate(workflowId);
      return g.open ? g : undefined;
    });
    expect(gate).toMatchObject({ kind: 'monitor_clarification', approvers: ['alice'] });
    expect((await h.sb.inbox()).find((i) => i.workflowId === workflowId)).toMatchObject({
      kind: 'monitor_clarification',
      requestId: gate.requestId,
    });
    // A forged wake while the person decides is not a skipped tick: the Schedule does not vouch for it.
    await h.client.workflow
      .getHandle(workflowId)
      .signal(wakeSignal, { tickWorkflowId: `monitor-${k}.tick-2026-01-01T00:00:00Z`, tickRunId: 'forged' });
    const waiting = await until(k, (v) => v.counts.skippedWhileWaiting >= 2 && v.counts.wakesRefused >= 1 && v);
    expect(waiting.status).toBe('waiting');
    expect(waiting.counts.wakesRefused).toBe(1);
    const runs = (
      await h.control.journal({
        platform: 'webagent',
        route: '/v1/projects/{project_id}/track/monitors/{monitor_id}/run',
      })
    ).length;
    await until(k, (v) => v.counts.skippedWhileWaiting >= waiting.counts.skippedWhileWaiting + 2);
    expect(
      await h.control.journal({
        platform: 'webagent',
        route: '/v1/projects/{project_id}/track/monitors/{monitor_id}/run',
      }),
    ).toHaveLength(runs);
    const shown = await cli('monitor', 'show', k);
    expect(shown.stdout).toMatch(/skipped while waiting [2-9]|skipped while waiting \d\d/);
    await expect(h.sb.scheduledMonitors.runNow(k)).rejects.toThrow(/waits for a person/);

    await h.sb.decide(workflowId, {
      decider: 'alice',
      decision: 'approve_with_edits',
      edits: ['SKU A'],
      digest: gate.digest,
    });
    const after = await until(k, (v) => v.status === 'active' && v.counts.ticks >= 1 && v);
    expect(after.lastValue).toMatchObject({ price: expect.any(Number) });
    expect(
      await h.control.journal({
        platform: 'webagent',
        route: '/v1/projects/{project_id}/track/monitors/{monitor_id}/intervene',
      }),
    ).toHaveLength(1);
  });
});

describe('the Schedule', () => {
  it('pause (with a note), resume, run-now and backfill reach the Schedule; cancel deletes it and ends the monitor', async () => {
    const k = newKey('sched');
    const { workflowId } = await h.sb.scheduledMonitors.create(spec(k, { schedule: { everySeconds: [3600] } }));
    await until(k, (v) => v.status === 'active');
    const p = await h.sb.scheduledMonitors.pause(k, { note: 'maintenance window' });
    expect(p).toMatchObject({ ok: true, status: 'paused', schedule: { paused: true, note: 'maintenance window' } });
    const sd = await h.client.schedule.getHandle(`monitor-${k}`).describe();
    expect(sd.state).toMatchObject({ paused: true, note: 'maintenance window' });
    await expect(h.sb.scheduledMonitors.pause(k)).rejects.toThrow(/already paused/);
    expect(await h.sb.scheduledMonitors.resume(k, { note: 'back' })).toMatchObject({
      ok: true,
      status: 'active',
      schedule: { paused: false },
    });

    await h.sb.scheduledMonitors.runNow(k);
    await until(k, (v) => v.counts.ticks >= 1);
    const from = new Date(Date.now() - 3 * 3_600_000 - 60_000).toISOString();
    const to = new Date(Date.now() - 60_000).toISOString();
    await h.sb.scheduledMonitors.backfill(k, { from, to });
    // Backfilled ticks are real Schedule actions: each wakes the entity and is verified.
    await until(k, (v) => v.counts.ticks + v.counts.skippedOverlap >= 3 && v, 30_000);
    expect((await h.client.schedule.getHandle(`monitor-${k}`).describe()).info.numActionsTaken).toBeGreaterThanOrEqual(
      3,
    );

    const c = await cli('monitor', 'cancel', k, '--json');
    expect(c.code).toBe(0);
    const res = (await h.client.workflow.getHandle(workflowId).result()) as ScheduledMonitorResult;
    expect(res.status).toBe('cancelled');
    await expect(h.client.schedule.getHandle(`monitor-${k}`).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  });

  it('the CLI creates, lists, shows, pauses, resumes and snoozes with --json and exit codes', async () => {
    const k = newKey('cli');
    const made = await cli(
      'monitor',
      'create',
      k,
      '--every',
      '1h',
      '--check',
      'web_search:iphone 17',
      '--condition',
      'gt:count:0',
      '--silence',
      '2h',
      '--json',
    );
    expect(made.code).toBe(0);
    expect(JSON.parse(made.stdout)).toMatchObject({ workflowId: `monitor-${k}`, scheduleId: `monitor-${k}` });
    expect((await cli('monitor', 'create', k, '--every', '1h', '--check', 'web_search:x')).code).toBe(5);
    await until(k, (v) => v.status === 'active');
    const listed = await cli('monitor', 'list', '--kind', 'scheduled', '--json');
    expect(JSON.parse(listed.stdout)).toEqual(
      expect.arrayContaining([expect.objectContaining({ workflowId: `monitor-${k}`, kind: 'scheduled' })]),
    );
    const shown: unknown = JSON.parse((await cli('monitor', 'show', k, '--json')).stdout);
    expect(shown).toMatchObject({
      key: k,
      status: 'active',
      scheduleText: expect.stringContaining('every 3600s'),
      schedule: { nextRunAt: expect.any(String) },
    });
    expect((await cli('monitor', 'pause', k, '--note', 'lunch')).code).toBe(0);
    expect((await cli('monitor', 'pause', k, '--note', 'again')).code).toBe(4);
    expect((await cli('monitor', 'resume', k)).code).toBe(0);
    const snoozed = await cli('monitor', 'snooze', k, '--until', '2h', '--json');
    expect(snoozed.code).toBe(0);
    expect((await show(k)).snoozedUntil).toBeDefined();
    expect((await cli('monitor', 'show', 'no-such-monitor')).code).toBe(3);
    expect((await cli('monitor', 'run-now', k)).code).toBe(0);
    await until(k, (v) => v.counts.ticks >= 1);
    const from = new Date(Date.now() - 2 * 3_600_000 - 60_000).toISOString();
    const to = new Date(Date.now() - 60_000).toISOString();
    expect((await cli('monitor', 'backfill', k, '--from', to, '--to', from)).code).toBe(2);
    expect((await cli('monitor', 'backfill', k, '--from', from, '--to', to, '--json')).code).toBe(0);
    await until(k, (v) => (v.schedule?.actionsTaken ?? 0) >= 3);
    expect((await cli('monitor', 'cancel', k)).code).toBe(0);
    expect((await cli('monitor', 'pause', k, '--note', 'too late')).code).toBe(4);
  });
});

describe('bad specs', () => {
  const bad: [string, Partial<ScheduledMonitorInput>, RegExp][] = [
    ['a bad cron', { schedule: { cron: ['61 * * * *'] } }, /bad cron "61 \* \* \* \*": minute field/],
    ['a cron with 4 fields', { schedule: { cron: ['* * * *'] } }, /5 fields/],
    ['an unknown condition', { condition: { op: 'between' as never, field: 'price', value: 1 } }, /unknown condition/],
    [
      'a callback URL instead of an outbox endpoint',
      { notify: { endpoint: 'http://10.0.0.1/hook' } },
      /endpoint alias/,
    ],
    ['no schedule at all', { schedule: {} }, /cron expression or an interval/],
    ['an unknown time zone', { schedule: { everySeconds: [60], timezone: 'Mars/Olympus' } }, /IANA/],
  ];
  for (const [what, over, re] of bad) {
    it(`${what} is refused by the client, the CLI and the workflow`, async () => {
      const k = newKey('bad');
      const input = spec(k, over);
      await expect(h.sb.scheduledMonitors.create(input)).rejects.toMatchObject({
        code: 'invalid_input',
        message: expect.stringMatching(re),
      });
      // The workflow itself (a start that bypasses the client) fails with InvalidInput.
      const handle = await h.client.workflow.start('scheduledMonitor', {
        taskQueue: h.taskQueue,
        workflowId: `monitor-${k}`,
        args: [input],
      });
      await expect(handle.result()).rejects.toMatchObject({
        cause: { type: 'InvalidInput', message: expect.stringMatching(re) },
      });
    });
  }
  it('the CLI refuses a bad cron and an unknown condition with exit code 2', async () => {
    const k = newKey('badcli');
    const r1 = await cli('monitor', 'create', k, '--cron', '0 25 * * *', '--check', 'web_search:x');
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/bad cron "0 25 \* \* \*": hour field/);
    const r2 = await cli(
      'monitor',
      'create',
      k,
      '--every',
      '1m',
      '--check',
      'web_search:x',
      '--condition',
      'between:price:1',
    );
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/unknown condition/);
    const r3 = await cli(
      'monitor',
      'create',
      k,
      '--every',
      '1m',
      '--check',
      'web_search:x',
      '--notify',
      'http://169.254.169.254/x',
    );
    expect(r3.code).toBe(2);
  });
});
