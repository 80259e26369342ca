/**
 * trackMonitor on a real dev server against the sandbox: the platform monitor is created once;
 * pause, resume, refine, run-now, message and cancel reach the platform; an alignment question
 * waits at the gate and is answered with exactly one `intervene` (a reject cancels the monitor);
 * polls mirror the platform's state; bad inputs are refused by the client and the workflow.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SwitchboardClientError } from '../../src/client/index.js';
import type { TrackMonitorInput, TrackMonitorResult } from '../../src/contracts/monitors.js';
import { createHarness, eventually, type Harness, switchboardCli } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ name: 'monitors' });
});
afterAll(async () => h?.close());
beforeEach(async () => h.control.reset());

const P = '/v1/projects/{project_id}/track/monitors';
const MONITOR = `${P}/{monitor_id}`;
const INTERVENE = `${MONITOR}/intervene`;
const CANCEL = `${MONITOR}/cancel`;
const RUN = `${MONITOR}/run`;

let n = 0;
const key = (what: string) => `${what}-${process.pid}-${Date.now()}-${++n}`;
const base = (over: Partial<TrackMonitorInput> = {}): TrackMonitorInput => ({
  intent: 'Notify me when the iPhone 17 Pro listing goes below $999',
  schedule: { kind: 'interval', every_seconds: 3600 },
  notifyChannel: { kind: 'callback_url', url: 'https://hooks.example.com/track' },
  approvers: ['alice'],
  pollSeconds: 1,
  ...over,
});
const cli = (...args: string[]) => switchboardCli(h)(...args);
/** An update refused by its validator: the cause names why. */
async function refusedWith(p: Promise<unknown>, re: RegExp): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e as Error & { cause?: Error },
  );
  expect(err?.cause?.message ?? err?.message).toMatch(re);
}
const result = (id: string) => h.client.workflow.getHandle(id).result() as Promise<TrackMonitorResult>;

async function started(over: Partial<TrackMonitorInput> = {}, status = 'active') {
  const k = key('mon');
  const { workflowId } = await h.sb.monitors.create(k, base(over));
  const st = await eventually(async () => {
    const s = await h.sb.monitors.show(k);
    return s.status === status && s.monitorId ? s : undefined;
  });
  return { k, workflowId, st };
}

describe('lifecycle', () => {
  it('creates the platform monitor once; pause, resume, refine, run-now, message and cancel reach it', async () => {
    const { k, workflowId, st } = await started();
    expect(await h.control.journal({ platform: 'webagent', method: 'POST', route: P })).toHaveLength(1);
    await expect(h.sb.monitors.create(k, base())).rejects.toMatchObject({ code: 'already_exists' });

    expect(await h.sb.monitors.pause(k, { reason: 'manual review' })).toMatchObject({ ok: true, status: 'paused' });
    const [patch] = await h.control.journal({ platform: 'webagent', method: 'PATCH', route: MONITOR });
    expect(patch!.body).toMatchObject({ status: 'paused', pause_reason: 'manual review' });
    expect((await h.sb.monitors.show(k)).pauseReason).toBe('manual review');
    // Refused by the validator: a paused monitor does not tick, nor is it paused twice.
    await expect(h.sb.monitors.runNow(k)).rejects.toMatchObject({ code: 'rejected' });
    await expect(h.sb.monitors.pause(k)).rejects.toThrow(/already paused/);

    expect(await h.sb.monitors.resume(k)).toMatchObject({ ok: true, status: 'active' });
    expect(await h.sb.monitors.refine(k, { triggerDsl: { op: 'lt', field: 'price', value: 999 } })).toMatchObject({
      ok: true,
    });
    const patches = await h.control.journal({ platform: 'webagent', method: 'PATCH', route: MONITOR });
    expect(patches.map((p) => p.body)).toEqual([
      expect.objectContaining({ status: 'paused' }),
      expect.objectContaining({ status: 'active' }),
      expect.objectContaining({ trigger_dsl: { op: 'lt', field: 'price', value: 999 } }),
    ]);

    const tick = await h.sb.monitors.runNow(k);
    expect(tick.snapshotId).toMatch(/^snap_/);
    expect(await h.control.journal({ platform: 'webagent', route: RUN })).toHaveLength(1);
    expect((await h.sb.monitors.show(k)).lastSnapshotId).toBe(tick.snapshotId);
    expect(await h.sb.monitors.message(k, 'prefer the 256 GB model')).toMatchObject({ ok: true });

    // The poll keeps reading the platform: a tick that did not come through us is seen too.
    const direct = await h.providers.client('webagent', 'default').track.runNow(st.monitorId!);
    await eventually(async () => (await h.sb.monitors.show(k)).lastSnapshotId === direct.snapshot!.id);

    expect((await h.sb.monitors.list({ status: 'active' })).some((m) => m.workflowId === workflowId)).toBe(true);
    expect(await h.sb.monitors.cancel(k)).toMatchObject({ ok: true, status: 'cancelled' });
    const res = await result(workflowId);
    expect(res).toMatchObject({ status: 'cancelled', monitorId: st.monitorId });
    expect(await h.control.journal({ platform: 'webagent', route: CANCEL })).toHaveLength(1);
    expect(await h.control.journal({ platform: 'webagent', method: 'POST', route: P })).toHaveLength(1);
    const desc = await h.client.workflow.getHandle(workflowId).describe();
    expect(desc.typedSearchAttributes.get({ name: 'SwitchboardStatus', type: 'KEYWORD' } as never)).toBe('cancelled');
  });

  it('a create whose answer is lost after the platform made the monitor is retried into that same monitor', async () => {
    await h.control.fault({ platform: 'webagent', method: 'POST', route: P, status: 503, phase: 'after', times: 1 });
    const { workflowId, st } = await started();
    const creates = await h.control.journal({ platform: 'webagent', route: P });
    // One create ran on the platform (its answer replaced by the 503), then the retry looked it up.
    expect(creates.filter((c) => c.method === 'POST' && c.status === 201)).toHaveLength(1);
    expect(creates.some((c) => c.method === 'GET')).toBe(true);
    const all = await h.providers.client('webagent', 'default').track.listAll();
    expect(all.map((m) => m.id)).toEqual([st.monitorId]);
    expect(all[0]!.notify_channel).toMatchObject({ switchboard_key: expect.stringContaining(workflowId) });
    await h.sb.monitors.cancel(workflowId);
  });

  it('the CLI steers it with the exit codes of the other commands', async () => {
    const { k } = await started();
    const paused = await cli('--json', 'monitor', 'pause', k, '--reason', 'cli');
    expect(paused.code).toBe(0);
    expect(JSON.parse(paused.stdout)).toMatchObject({ ok: true, status: 'paused' });
    expect((await cli('monitor', 'pause', k)).code).toBe(4);
    expect((await cli('monitor', 'show', 'no-such-monitor')).code).toBe(3);
    expect((await cli('monitor', 'refine', k, '--trigger', '{"op":"between","field":"price"}')).code).toBe(2);
    expect(
      (
        await cli(
          'monitor',
          'create',
          key('cli'),
          '--intent',
          'x y z',
          '--schedule',
          '{"kind":"cron","expression":"nope"}',
          '--callback',
          'https://h.example.com',
        )
      ).code,
    ).toBe(2);
    expect((await cli('monitor', 'resume', k)).code).toBe(0);
    expect((await cli('monitor', 'run-now', k)).stdout).toMatch(/snapshot snap_/);
    const shown = JSON.parse((await cli('--json', 'monitor', 'show', k)).stdout) as {
      status: string;
      lastSnapshotId?: string;
    };
    expect(shown).toMatchObject({ status: 'active', lastSnapshotId: expect.stringMatching(/^snap_/) });
    expect((await cli('monitor', 'list')).stdout).toContain(`monitor-${k}`);
    expect((await cli('monitor', 'cancel', k)).code).toBe(0);
  });
});

describe('alignment', () => {
  it('a clarification waits at the gate (no tick meanwhile) and is answered with exactly one intervene', async () => {
    const { k, workflowId } = await started(
      { intent: 'Watch the ambiguous phone listing price' },
      'pending_clarification',
    );
    const gate = await eventually(async () => {
      const g = await h.sb.gate(workflowId);
      return g.open ? g : undefined;
    });
    expect(gate).toMatchObject({
      kind: 'monitor_clarification',
      approvers: ['alice'],
      allowed: ['approve_with_edits', 'reject'],
    });
    expect((await h.sb.inbox()).find((i) => i.workflowId === workflowId)).toMatchObject({
      kind: 'monitor_clarification',
      requestId: gate.requestId,
    });
    await expect(h.sb.monitors.runNow(k)).rejects.toThrow(/clarification/);
    await expect(h.sb.monitors.cancel(k)).rejects.toThrow(/clarification/);
    await expect(
      h.sb.decide(workflowId, { decider: 'mallory', decision: 'approve_with_edits', edits: ['SKU B'] }),
    ).rejects.toBeInstanceOf(SwitchboardClientError);

    const outcome = await h.sb.decide(workflowId, {
      decider: 'alice',
      decision: 'approve_with_edits',
      edits: ['SKU A'],
      digest: gate.digest,
    });
    expect(outcome).toMatchObject({ decision: 'approve_with_edits', effect: { ok: true } });
    // The same decision again returns the first outcome and sends nothing.
    expect(
      await h.sb.decide(workflowId, {
        decider: 'alice',
        decision: 'approve_with_edits',
        edits: ['SKU A'],
        requestId: gate.requestId,
      }),
    ).toMatchObject({
      decision: 'approve_with_edits',
    });
    const calls = await h.control.journal({ platform: 'webagent', route: INTERVENE });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.body).toEqual({ request_id: gate.requestId, response: 'SKU A' });
    await eventually(async () => (await h.sb.monitors.show(k)).status === 'active');
    expect((await h.sb.monitors.show(k)).answered).toEqual([gate.requestId]);
    // Nothing ticked while the person decided.
    expect(await h.control.journal({ platform: 'webagent', route: RUN })).toHaveLength(0);
    await h.sb.monitors.cancel(k);
    const res = await result(workflowId);
    expect(res.audit).toEqual([
      expect.objectContaining({ decider: 'alice', decision: 'approve_with_edits', kind: 'monitor_clarification' }),
    ]);
    expect(await h.control.journal({ platform: 'webagent', route: INTERVENE })).toHaveLength(1);
  });

  it('a rejected clarification cancels the monitor on the platform', async () => {
    const { workflowId } = await started(
      { intent: 'Watch the ambiguous phone listing price' },
      'pending_clarification',
    );
    await eventually(async () => (await h.sb.gate(workflowId)).open);
    await h.sb.decide(workflowId, { decider: 'alice', decision: 'reject', reason: 'not what I meant' });
    const res = await result(workflowId);
    expect(res.status).toBe('cancelled');
    expect(await h.control.journal({ platform: 'webagent', route: CANCEL })).toHaveLength(1);
    expect(await h.control.journal({ platform: 'webagent', route: INTERVENE })).toHaveLength(0);
  });
});

describe('endings', () => {
  it('an unanswered clarification expires by its policy (reject): the monitor is cancelled, the audit says so', async () => {
    const { workflowId } = await started(
      { intent: 'Watch the ambiguous phone listing price', deadlineSeconds: 1 },
      'pending_clarification',
    );
    const res = await result(workflowId);
    expect(res.status).toBe('cancelled');
    expect(res.audit).toEqual([
      expect.objectContaining({ decider: 'switchboard:expiry', decision: 'reject', auto: true }),
    ]);
    expect(await h.control.journal({ platform: 'webagent', route: CANCEL })).toHaveLength(1);
  });

  it('cancelling the workflow cancels the platform monitor too', async () => {
    const { k, workflowId, st } = await started();
    await h.client.workflow.getHandle(workflowId).cancel();
    await expect(result(workflowId)).rejects.toBeInstanceOf(WorkflowFailedError);
    expect(await h.control.journal({ platform: 'webagent', route: CANCEL })).toHaveLength(1);
    expect((await h.providers.client('webagent', 'default').track.get(st.monitorId!)).status).toBe('cancelled');
    await expect(h.sb.monitors.pause(k)).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('bad inputs', () => {
  it.each([
    ['a bad cron expression', { schedule: { kind: 'cron', expression: 'every tuesday' } }, /cron expression/],
    ['an unknown condition', { triggerDsl: { op: 'between', field: 'price', value: 1 } }, /op/],
    ['a 10-second interval', { schedule: { kind: 'interval', every_seconds: 10 } }, /every_seconds/],
    ['a non-http callback', { notifyChannel: { kind: 'callback_url', url: 'file:///etc/passwd' } }, /url/],
    ['a private callback', { notifyChannel: { kind: 'callback_url', url: 'http://10.0.0.1/hook' } }, /private address/],
    [
      'a metadata callback',
      { notifyChannel: { kind: 'callback_url', url: 'http://169.254.169.254/latest' } },
      /private address/,
    ],
    [
      'a loopback callback',
      { notifyChannel: { kind: 'callback_url', url: 'http://localhost:8080/x' } },
      /private address/,
    ],
    [
      'an IPv6 loopback callback',
      { notifyChannel: { kind: 'callback_url', url: 'http://[::1]/x' } },
      /private address/,
    ],
    ['a poll of 0 s', { pollSeconds: 0 }, /pollSeconds/],
    ['a key where the alias belongs', { credentialAlias: 'sk-live 1234' }, /credentialAlias/],
    ['no approvers', { approvers: [] }, /approver/],
  ] as const)('%s: refused by the client and by the workflow', async (_what, over, message) => {
    const input = { ...base(), ...over } as TrackMonitorInput;
    await expect(h.sb.monitors.create(key('bad'), input)).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(message),
    });
    const id = key('bad-raw');
    await h.client.workflow.start('trackMonitor', { taskQueue: h.taskQueue, workflowId: id, args: [input] });
    const err: unknown = await h.client.workflow
      .getHandle(id)
      .result()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(String((err as WorkflowFailedError).cause?.message)).toMatch(message);
    expect(await h.control.journal({ platform: 'webagent', method: 'POST', route: P })).toHaveLength(0);
  });

  it('a starter’s continue-as-new state is refused; updates with bad or extra arguments write nothing', async () => {
    const id = key('carry');
    await h.client.workflow.start('trackMonitor', {
      taskQueue: h.taskQueue,
      workflowId: id,
      args: [
        base(),
        {
          state: {
            status: 'active',
            monitorId: 'mon_someone_else',
            intent: 'x',
            snapshotsSeen: 0,
            polls: 0,
            answered: [],
            opSeq: 0,
          },
          gate: { decided: [], audit: [] },
        },
      ],
    });
    const err: unknown = await h.client.workflow
      .getHandle(id)
      .result()
      .catch((e: unknown) => e);
    expect(String((err as WorkflowFailedError).cause?.message)).toMatch(
      /only accepted from a run this workflow continued/,
    );

    const { k, workflowId } = await started();
    const handle = h.client.workflow.getHandle(workflowId);
    const before = (await handle.fetchHistory()).events?.length ?? 0;
    await refusedWith(handle.executeUpdate('pause', { args: [{ reason: 'x'.repeat(501) }] }), /invalid pause/);
    await refusedWith(
      handle.executeUpdate('refine', { args: [{ triggerDsl: { op: 'lt', field: 'price' } }] }),
      /value/,
    );
    await refusedWith(handle.executeUpdate('runNow', { args: [{}, {}] }), /exactly one argument/);
    await refusedWith(
      handle.executeUpdate('message', { args: [{ content: 'hi', url: 'http://x' }] }),
      /Unrecognized key/,
    );
    await refusedWith(handle.executeUpdate('resume', { args: [{}] }), /only a paused monitor/);
    const after = (await handle.fetchHistory()).events ?? [];
    expect(after.slice(before).some((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toBe(false);
    await h.sb.monitors.cancel(k);
  });
});
