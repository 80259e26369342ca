/**
 * deepResearch and the approval gate, on a real dev server against the sandbox: approve, approve
 * with edits, reject, a second outline round, every expiry policy, escalation, unauthorised and
 * repeated decisions, a crash between decision and `intervene`, bad input, and the inbox.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Connection } from '@temporalio/client';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { SwitchboardClient, type SwitchboardClientError } from '../../src/client/index.js';
import type { DeepResearchInput, DeepResearchResult } from '../../src/workflows/deepResearch.js';
import { createHarness, eventually, type Harness, sandboxEnv, switchboardCli } from '../support/harness.js';

const SECRET = 'whsec_' + Buffer.from('switchboard-test-secret-0123456789').toString('base64');
let h: Harness;
beforeAll(async () => {
  h = await createHarness({
    name: 'research',
    extraEnv: {
      SWITCHBOARD_NOTIFY_WEBHOOK: `${inject('sandboxOrigin')}/_control/webhooks`,
      SWITCHBOARD_NOTIFY_SECRET: SECRET,
    },
  });
});
afterAll(async () => h?.close());
beforeEach(async () => h.control.reset());

const INTERVENE = '/v1/deep_research/{task_id}/intervene';
const CANCEL = '/v1/deep_research/{task_id}/cancel';

async function startAndWait(input: Partial<DeepResearchInput> & { topic: string }, sb = h.sb) {
  const { workflowId } = await sb.startResearch({ approvers: ['alice'], ...input });
  const gate = await eventually(async () => {
    const g = await sb.gate(workflowId);
    return g.open ? g : undefined;
  });
  return { workflowId, gate };
}

async function historyLength(workflowId: string): Promise<number> {
  return (await h.client.workflow.getHandle(workflowId).fetchHistory()).events?.length ?? 0;
}

const result = (id: string) => h.client.workflow.getHandle(id).result() as Promise<DeepResearchResult>;

describe('decisions', () => {
  it('approve → intervene once → completed with three validated artifacts and an audit entry', async () => {
    const { workflowId, gate } = await startAndWait({ topic: 'Vector databases 2026', depth: 'deep' });
    expect(gate.kind).toBe('research_outline');
    expect((gate.shown as { outline: { sections: string[] } }).outline.sections.length).toBeGreaterThan(0);
    const inbox = await h.sb.inbox();
    expect(inbox.find((i) => i.workflowId === workflowId)).toMatchObject({
      kind: 'research_outline',
      approvers: ['alice'],
      requestId: gate.requestId,
    });

    const outcome = await h.sb.decide(workflowId, {
      decider: 'alice',
      decision: 'approve',
      comment: 'looks right',
      digest: gate.digest,
    });
    expect(outcome).toMatchObject({ decision: 'approve', decider: 'alice', auto: false, effect: { ok: true } });
    const res = await result(workflowId);
    expect(res.status).toBe('completed');
    expect(res.artifacts.map((a) => a.name)).toEqual(['final.md', 'citations.json', 'confidence.json']);
    expect(res.summary).toMatchObject({ confidence: 0.86 });
    expect(res.summary!.citations).toBeGreaterThan(0);
    expect(res.audit).toEqual([
      expect.objectContaining({
        decider: 'alice',
        decision: 'approve',
        comment: 'looks right',
        digest: gate.digest,
        auto: false,
      }),
    ]);
    const calls = await h.control.journal({ platform: 'webagent', route: INTERVENE });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.body).toMatchObject({ request_id: gate.requestId, response: 'approve' });
    expect((await h.sb.inbox()).find((i) => i.workflowId === workflowId)).toBeUndefined();
  });

  it('approve with edits: the edits reach the platform and the report', async () => {
    const { workflowId } = await startAndWait({ topic: 'Edge inference costs' });
    const edits = ['Add a section on pricing', { op: 'rename', from: 'Background', to: 'Context' }];
    await h.sb.decide(workflowId, { decider: 'alice', decision: 'approve_with_edits', edits });
    const res = await result(workflowId);
    expect(res.status).toBe('completed');
    const [call] = await h.control.journal({ platform: 'webagent', route: INTERVENE });
    expect(call!.body).toMatchObject({ response: { action: 'approve_with_edits', edits } });
    const final = readFileSync(new URL(res.artifacts[0]!.uri), 'utf8');
    expect(final).toContain('Add a section on pricing');
  });

  it('reject cancels the task on the platform and ends as rejected', async () => {
    const { workflowId } = await startAndWait({ topic: 'Something we do not want' });
    const outcome = await h.sb.decide(workflowId, { decider: 'alice', decision: 'reject', reason: 'out of scope' });
    expect(outcome.effect?.ok).toBe(true);
    const res = await result(workflowId);
    expect(res.status).toBe('rejected');
    expect(res.artifacts).toEqual([]);
    expect(await h.control.journal({ platform: 'webagent', route: INTERVENE })).toHaveLength(0);
    const cancels = await h.control.journal({ platform: 'webagent', route: CANCEL });
    expect(cancels).toHaveLength(1);
    expect(JSON.stringify(cancels[0]!.body)).toContain('out of scope');
  });

  it('handles another outline round', async () => {
    const { workflowId, gate } = await startAndWait({ topic: 'Two rounds please rounds:2' });
    await h.sb.decide(workflowId, { decider: 'alice', decision: 'approve_with_edits', edits: ['More on costs'] });
    const second = await eventually(async () => {
      const g = await h.sb.gate(workflowId);
      return g.open && g.requestId !== gate.requestId ? g : undefined;
    });
    expect(second.subject).toContain('round 2');
    await h.sb.decide(workflowId, { decider: 'alice', decision: 'approve' });
    const res = await result(workflowId);
    expect(res.status).toBe('completed');
    expect(res.rounds).toBe(2);
    expect(res.audit.map((a) => a.decision)).toEqual(['approve_with_edits', 'approve']);
    expect(await h.control.journal({ platform: 'webagent', route: INTERVENE })).toHaveLength(2);
  });

  it('rejects an unauthorised decider, a stale request and a bad payload with no history event', async () => {
    const { workflowId, gate } = await startAndWait({ topic: 'Guarded outline' });
    const before = await historyLength(workflowId);
    const attempts = [
      h.sb.decide(workflowId, { decider: 'mallory', decision: 'approve' }),
      h.sb.decide(workflowId, { decider: 'alice', decision: 'approve', requestId: 'ir_stale' }),
      h.sb.decide(workflowId, { decider: 'alice', decision: 'approve', digest: 'not-what-was-shown' }),
    ];
    const errors = await Promise.all(attempts.map((p) => p.catch((e: unknown) => e)));
    expect(errors.map((e) => (e as SwitchboardClientError).code)).toEqual(['rejected', 'rejected', 'rejected']);
    expect((errors[0] as Error).message).toContain('mallory is not an approver');
    expect((errors[1] as Error).message).toContain('stale or unknown');
    expect((errors[2] as Error).message).toContain('not what is open now');
    // Client-side schema failures never reach the server.
    const bad = await h.sb
      .decide(workflowId, { decider: 'alice', decision: 'approve_with_edits' })
      .catch((e: unknown) => e);
    expect((bad as SwitchboardClientError).code).toBe('invalid_input');
    const noReason = await h.sb.decide(workflowId, { decider: 'alice', decision: 'reject' }).catch((e: unknown) => e);
    expect((noReason as Error).message).toContain('reject needs a reason');
    // And the raw update (bypassing the client) is refused by the validator too.
    const { decideUpdate } = await import('../../src/workflows/gate/gate.js');
    const raw = await h.client.workflow
      .getHandle(workflowId)
      .executeUpdate(decideUpdate, {
        args: [{ requestId: gate.requestId!, decider: 'alice', decision: 'approve_with_edits' }],
      })
      .catch((e: unknown) => e);
    expect(String((raw as Error).cause ?? raw)).toContain('approve_with_edits needs a non-empty edits list');
    expect(await historyLength(workflowId)).toBe(before);
    expect((await h.sb.gate(workflowId)).open).toBe(true);
    await h.sb.decide(workflowId, { decider: 'alice', decision: 'approve' });
    expect((await result(workflowId)).status).toBe('completed');
  });

  it('the same decision twice returns the first outcome (one intervene); a different one is refused with the one that stands', async () => {
    const { workflowId, gate } = await startAndWait({ topic: 'Idempotent decisions' });
    // Two identical decisions at once: both get the first outcome, whichever lands first.
    const [a, b] = await Promise.all([
      h.sb.decide(workflowId, { decider: 'alice', decision: 'approve', requestId: gate.requestId }),
      h.sb.decide(workflowId, { decider: 'alice', decision: 'approve', requestId: gate.requestId }),
    ]);
    expect(b).toEqual(a);
    const again = await h.sb.decide(workflowId, { decider: 'alice', decision: 'approve', requestId: gate.requestId });
    expect(again).toEqual(a);
    const other = await h.sb
      .decide(workflowId, {
        decider: 'alice',
        decision: 'reject',
        reason: 'changed my mind',
        requestId: gate.requestId,
      })
      .catch((e: unknown) => e);
    expect((other as Error).message).toMatch(/already decided: approve by alice/);
    await result(workflowId);
    expect(await h.control.journal({ platform: 'webagent', route: INTERVENE })).toHaveLength(1);
  });
});

describe('deadlines and expiry policies', () => {
  const webhookEvents = async () =>
    // Ours only: the receiver keeps every file's deliveries (other files use named inboxes and secrets).
    (await h.control.webhooks())
      .filter((d) => d.inbox === undefined)
      .map((d) => {
        // Every notification is signed (Standard Webhooks) with the configured secret.
        new Webhook(SECRET).verify(JSON.stringify(d.body), d.headers);
        return d.body as { type: string; data: { approvers: string[] } };
      });

  it('reject on expiry', async () => {
    const { workflowId } = await startAndWait({
      topic: 'Nobody answers',
      deadlineSeconds: 1,
      onExpiry: { policy: 'reject' },
    });
    const res = await result(workflowId);
    expect(res.status).toBe('rejected');
    expect(res.decisions[0]).toMatchObject({ decision: 'reject', decider: 'switchboard:expiry', auto: true });
    expect(await h.control.journal({ platform: 'webagent', route: CANCEL })).toHaveLength(1);
  });

  it('approve on expiry', async () => {
    const { workflowId } = await startAndWait({
      topic: 'Silence is consent',
      deadlineSeconds: 1,
      onExpiry: { policy: 'approve' },
    });
    const res = await result(workflowId);
    expect(res.status).toBe('completed');
    expect(res.audit[0]).toMatchObject({ decision: 'approve', auto: true });
  });

  it('escalate to a second approver with a new deadline, who then decides', async () => {
    const { workflowId } = await startAndWait({
      topic: 'Escalate me',
      deadlineSeconds: 1,
      onExpiry: { policy: 'escalate', to: ['bob'], extendSeconds: 60 },
    });
    const g = await eventually(async () => {
      const v = await h.sb.gate(workflowId);
      return v.escalated ? v : undefined;
    });
    expect(g.approvers).toEqual(['bob']);
    const err = await h.sb.decide(workflowId, { decider: 'alice', decision: 'approve' }).catch((e: unknown) => e);
    expect((err as Error).message).toContain('alice is not an approver');
    await h.sb.decide(workflowId, { decider: 'bob', decision: 'approve' });
    expect((await result(workflowId)).status).toBe('completed');
    const events = await webhookEvents();
    expect(events.map((e) => e.type)).toContain('gate.escalation');
    // Sent through the webhook outbox: one durable delivery per message id.
    const escalation = (await h.control.webhooks()).find(
      (d) => (d.body as { type: string }).type === 'gate.escalation',
    )!;
    expect(escalation.headers['webhook-id']).toMatch(/^gate\.escalation\.[0-9a-f]{40}$/);
    const delivery = await h.sb.outbox.show(`outbox-default-${escalation.headers['webhook-id']}`);
    expect(delivery).toMatchObject({ status: 'delivered', eventType: 'gate.escalation', attemptCount: 1 });
    expect(events.find((e) => e.type === 'gate.escalation')!.data.approvers).toEqual(['bob']);
    // A worker without the gateway's origin and secret attaches no decision links.
    expect(events.find((e) => e.type === 'gate.escalation')!.data).not.toHaveProperty('decisionLinks');
  });

  it('wait with reminders until someone decides', async () => {
    const { workflowId } = await startAndWait({
      topic: 'Remind me',
      deadlineSeconds: 1,
      onExpiry: { policy: 'wait', remindEverySeconds: 1 },
    });
    await eventually(async () => (await webhookEvents()).filter((e) => e.type === 'gate.reminder').length >= 2, {
      timeoutMs: 15_000,
    });
    expect((await h.sb.gate(workflowId)).open).toBe(true);
    await h.sb.decide(workflowId, { decider: 'alice', decision: 'approve' });
    expect((await result(workflowId)).status).toBe('completed');
  });
});

describe('edges', () => {
  it('unknown workflow ids and wrong gate kinds give clear errors', async () => {
    const missing = await h.sb
      .decide('no-such-workflow', { decider: 'alice', decision: 'approve' })
      .catch((e: unknown) => e);
    expect((missing as SwitchboardClientError).code).toBe('not_found');
    const session = await h.sb.startSession({ platform: 'webagent', task: 'not a gate script:long' });
    const wrong = await h.sb
      .decide(session.workflowId, { decider: 'alice', decision: 'approve' })
      .catch((e: unknown) => e);
    expect((wrong as SwitchboardClientError).code).toBe('rejected');
    expect((wrong as Error).message).toContain('has no approval gate');
    await h.sb.cancel(session.workflowId);
    const { workflowId } = await startAndWait({ topic: 'Kind check' });
    const kind = await h.sb
      .decide(workflowId, { decider: 'alice', decision: 'approve' }, { expectKind: 'mycel_join' })
      .catch((e: unknown) => e);
    expect((kind as Error).message).toContain('waits on a research_outline gate, not mycel_join');
    await h.sb.decide(workflowId, { decider: 'alice', decision: 'reject', reason: 'cleanup' });
  });

  it('a worker killed between the decision and intervene → exactly one intervene reaches the platform', async () => {
    const taskQueue = `research-crash-${Date.now()}`;
    const sb = new SwitchboardClient({ connection: h.client.connection as Connection, taskQueue });
    const spawnWorker = (): ChildProcess =>
      spawn(process.execPath, ['--import', 'tsx', 'worker.ts'], {
        env: {
          ...process.env,
          ...sandboxEnv(),
          TEMPORAL_ADDRESS: inject('temporalAddress'),
          SWITCHBOARD_TASK_QUEUE: taskQueue,
          SWITCHBOARD_DATA_DIR: mkdtempSync(join(tmpdir(), 'sb-dr-')),
          SWITCHBOARD_LOG_LEVEL: 'WARN',
        },
        stdio: 'ignore',
      });
    const first = spawnWorker();
    let second: ChildProcess | undefined;
    try {
      const { workflowId } = await startAndWait({ topic: 'Crash after deciding' }, sb);
      await h.control.fault({
        platform: 'webagent',
        method: 'POST',
        route: INTERVENE,
        phase: 'after',
        latencyMs: 4_000,
        times: 1,
      });
      const decision = sb.decide(workflowId, { decider: 'alice', decision: 'approve' });
      await eventually(async () => (await h.control.journal({ platform: 'webagent', route: INTERVENE })).length > 0);
      first.kill('SIGKILL');
      second = spawnWorker();
      expect(await decision).toMatchObject({ decision: 'approve', effect: { ok: true } });
      expect((await result(workflowId)).status).toBe('completed');
      const calls = await h.control.journal({ platform: 'webagent', route: INTERVENE });
      // The platform ignores Idempotency-Key: the retry's intervene meets 409 (already answered), which counts as done.
      expect(calls.filter((c) => c.status < 300)).toHaveLength(1);
      expect(calls.some((c) => c.replayed)).toBe(false);
      expect(calls.filter((c) => c.status !== 409 && c.status >= 300)).toEqual([]);
    } finally {
      first.kill('SIGKILL');
      second?.kill('SIGTERM');
      if (second && second.exitCode === null) await new Promise((r) => second!.once('exit', r));
    }
  }, 90_000);

  it('the CLI starts research, shows the outline, approves and lists the inbox', async () => {
    const cli = switchboardCli(h);
    const started = await cli(
      '--json',
      'research',
      'start',
      '--topic',
      'CLI research',
      '--approver',
      'carol',
      '--deadline',
      '1h',
      '--on-expiry',
      'escalate:dave@2h',
    );
    expect(started.code).toBe(0);
    const { workflowId } = JSON.parse(started.stdout) as { workflowId: string };
    await eventually(async () => (await h.sb.gate(workflowId)).open);
    const inbox = await cli('--json', 'inbox');
    expect(JSON.parse(inbox.stdout)).toEqual(
      expect.arrayContaining([expect.objectContaining({ workflowId, kind: 'research_outline', approvers: ['carol'] })]),
    );
    const outline = await cli('research', 'outline', workflowId);
    expect(outline.stdout).toContain('waiting for carol');
    const wrong = await cli('approve', workflowId, '--as', 'dave');
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toContain('dave is not an approver');
    const missing = await cli('approve', 'no-such-workflow', '--as', 'carol');
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('no workflow with id no-such-workflow');
    const noReason = await cli('reject', workflowId, '--as', 'carol');
    expect(noReason.code).toBe(2);
    const badExpiry = await cli('research', 'start', '--topic', 'x y z', '--on-expiry', 'escalate:');
    expect(badExpiry.code).toBe(2);
    // Bad input at the edge: exit 2 with a reason, nothing listed without a bound, the gate untouched.
    const badLimit = await cli('inbox', '--limit', 'abc');
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toContain('expected a whole number');
    expect((await cli('joins', 'list', '--limit', '0')).code).toBe(2);
    const missingEdits = await cli('--json', 'approve', workflowId, '--as', 'carol', '--edits', '@/no/such/edits.json');
    expect(missingEdits.code).toBe(2);
    expect(JSON.parse(missingEdits.stderr)).toMatchObject({ error: 'invalid_input' });
    expect((await h.sb.gate(workflowId)).open).toBe(true);
    const ok = await cli('approve', workflowId, '--as', 'carol', '--comment', 'ship it');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('approve by carol');
    expect((await result(workflowId)).status).toBe('completed');
  });
});
