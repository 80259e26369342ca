/**
 * Mix's own human-in-the-loop as approval gates (issue 9): a `permission` request or a
 * `notification` question of a Mix session is listed by `switchboard inbox`, decided with
 * `switchboard approve`/`reject` by a proven approver, and answered on the platform exactly once —
 * also when the worker dies while the answer is on its way. Real dev server + sandbox.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwitchboardClient } from '../../src/client/index.js';
import type { GateView } from '../../src/contracts/gates.js';
import { platformGateDeadline, platformGateExpiry, type PlatformGateShown } from '../../src/contracts/platformGates.js';
import { type AgentSessionInputRaw, type AgentSessionResult, agentSessionInput } from '../../src/contracts/sessions.js';
import type { ScriptStep } from '../../src/sandbox/agent.js';
import { createHarness, eventually, type Harness, switchboardCli } from '../support/harness.js';
import { exited, holdAnswerOnce, spawnWorker } from '../support/workers.js';

const GRANT = '/api/permissions/{id}/grant';
const DENY = '/api/permissions/{id}/deny';
const RESPOND = '/api/notifications/{id}/respond';

const permissionScript = (tool = 'Bash', action = 'rm -rf build/'): ScriptStep[] => [
  { type: 'emit', count: 1 },
  { type: 'ask', prompt: 'Clean the build directory', meta: { mix: 'permission', toolName: tool, action } },
  { type: 'emit', count: 1 },
  { type: 'finish', result: 'cleaned' },
];
const questionScript = (meta: Record<string, unknown>): ScriptStep[] => [
  { type: 'emit', count: 1 },
  { type: 'ask', prompt: 'Which region should the report cover?', meta },
  { type: 'emit', count: 1 },
  { type: 'finish', result: 'reported' },
];

/** alice approves the open permission: granted, the session completes, one grant reaches Mix. */
async function approvedOnce(h: Harness, workflowId: string, requestId: string): Promise<void> {
  const ok = await h.sb.gates.decide(workflowId, { requestId, decider: 'alice', decision: 'approve' });
  expect(ok).toMatchObject({ decision: 'approve', effect: { ok: true, detail: 'granted' } });
  expect((await result(h, workflowId)).status).toBe('completed');
  expect((await answered(h, GRANT)).filter((r) => r.path.includes(requestId))).toHaveLength(1);
}

let seq = 0;
async function startMix(h: Harness, steps: ScriptStep[], platformGates: Record<string, unknown>) {
  const name = `mixgate-${process.pid}-${++seq}`;
  await h.control.script(name, steps);
  const input = { platform: 'mix', task: `Gate test script:${name}`, platformGates } as AgentSessionInputRaw;
  return h.sb.startSession(input);
}

async function openGate(h: Harness, workflowId: string): Promise<GateView> {
  return eventually(
    async () => {
      const g = await h.sb.gates.show(workflowId).catch(() => undefined);
      return g?.open ? g : undefined;
    },
    { timeoutMs: 30_000 },
  );
}

const result = (h: Harness, id: string) => h.client.workflow.getHandle(id).result() as Promise<AgentSessionResult>;
const answered = async (h: Harness, route: string) =>
  (await h.control.journal({ platform: 'mix', method: 'POST', route })).filter((r) => r.status < 300 && !r.fault);
const historyLength = async (h: Harness, id: string) =>
  (await h.client.workflow.getHandle(id).fetchHistory()).events?.length ?? 0;

describe("deadlines within the platform's timeout", () => {
  const asked = 1_000_000; // Unix seconds
  const q: PlatformGateShown = {
    gate: 'question',
    platform: 'mix',
    id: 'n1',
    message: 'Region?',
    responseType: 'text',
    timeoutSeconds: 300,
    askedAt: asked,
  };
  const p: PlatformGateShown = { gate: 'permission', platform: 'mix', id: 'p1', toolName: 'Bash' };
  const at = (s: number) => (asked + s) * 1000;

  it("cuts a question's deadline to what is left of the platform's timeout (less a second); a permission keeps its own", () => {
    expect(platformGateDeadline(q, 3_600, at(0))).toBe(299);
    expect(platformGateDeadline(q, 60, at(0))).toBe(60);
    expect(platformGateDeadline(q, 3_600, at(250))).toBe(49);
    expect(platformGateDeadline(q, 3_600, at(400))).toBe(1);
    expect(platformGateDeadline(p, 3_600, at(0))).toBe(3_600);
  });

  it('keeps escalations and reminders within it: wait becomes reject, an escalation gets the time left', () => {
    expect(platformGateExpiry(q, { policy: 'wait', remindEverySeconds: 3_600 }, 299, at(0))).toEqual({
      policy: 'reject',
    });
    expect(platformGateExpiry(q, { policy: 'escalate', to: ['bob'], extendSeconds: 86_400 }, 100, at(0))).toEqual({
      policy: 'escalate',
      to: ['bob'],
      extendSeconds: 199,
    });
    expect(platformGateExpiry(q, { policy: 'escalate', to: ['bob'], extendSeconds: 86_400 }, 299, at(0))).toEqual({
      policy: 'reject',
    });
    expect(platformGateExpiry(p, { policy: 'wait', remindEverySeconds: 60 }, 60, at(0))).toEqual({
      policy: 'wait',
      remindEverySeconds: 60,
    });
  });

  it('validates platformGates in the start input (Mix only)', () => {
    const parse = (raw: unknown) => agentSessionInput().safeParse(raw);
    expect(parse({ platform: 'mix', task: 't', platformGates: { approvers: ['alice'] } }).data).toMatchObject({
      platformGates: { approvers: ['alice'], deadlineSeconds: 3_600, onExpiry: { policy: 'reject' }, quorum: 1 },
    });
    expect(parse({ platform: 'mix', task: 't', platformGates: { approvers: [] } }).success).toBe(false);
    expect(parse({ platform: 'mix', task: 't', platformGates: { approvers: ['a'], quorum: 2 } }).success).toBe(false);
    expect(parse({ platform: 'webagent', task: 't', platformGates: { approvers: ['alice'] } }).success).toBe(false);
  });
});

describe('proven approvers (SWITCHBOARD_DECISION_PROOF=required)', () => {
  let h: Harness;
  const keysDir = mkdtempSync(join(tmpdir(), 'sb-keys-'));
  const cli = () => switchboardCli(h, { SWITCHBOARD_KEYS_DIR: keysDir });
  beforeAll(async () => {
    h = await createHarness({
      name: 'mixgates',
      extraEnv: { SWITCHBOARD_DECISION_PROOF: 'required', SWITCHBOARD_KEYS_DIR: keysDir },
    });
    expect((await cli()('keys', 'create', '--as', 'alice')).code).toBe(0);
  });
  afterAll(async () => h?.close());

  it('a permission request shows in `switchboard inbox`; alice approves with her key → exactly one grant, the session completes', async () => {
    await h.control.script('mixgate-cli', permissionScript());
    const started = await cli()(
      '--json',
      'session',
      'start',
      '--provider',
      'mix',
      '--task',
      'Clean up script:mixgate-cli',
      '--gate-approver',
      'alice',
      '--gate-deadline',
      '10m',
    );
    expect(started.code).toBe(0);
    const { workflowId } = JSON.parse(started.stdout) as { workflowId: string };
    const gate = await openGate(h, workflowId);
    expect(gate).toMatchObject({ kind: 'session_permission', allowed: ['approve', 'reject'], approvers: ['alice'] });
    expect(Date.parse(gate.deadline!) - Date.parse(gate.since!)).toBe(600_000);
    expect(gate.shown).toMatchObject({
      gate: 'permission',
      platform: 'mix',
      toolName: 'Bash',
      action: 'rm -rf build/',
    });
    expect(gate.digest).toMatch(/^[0-9a-f]{64}$/);

    const inbox = await cli()('--json', 'inbox');
    expect(inbox.code).toBe(0);
    const row = (
      JSON.parse(inbox.stdout) as {
        workflowId: string;
        kind: string;
        subject: string;
        approvers: string[];
        requestId: string;
      }[]
    ).find((r) => r.workflowId === workflowId);
    expect(row).toMatchObject({ kind: 'session_permission', approvers: ['alice'], requestId: gate.requestId });
    expect(row!.subject).toContain('permission for Bash (rm -rf build/)');

    // The platform's request is decided through the gate, not answerInput.
    await expect(h.sb.sessions.answerInput(workflowId, gate.requestId!, 'grant')).rejects.toThrow(/approval gate/);
    const typed = await cli()('approve', workflowId, '--as', 'alice', '--no-sign');
    expect(typed.code).toBe(4); // a typed name proves nothing here
    const ok = await cli()('approve', workflowId, '--as', 'alice');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('approve by alice (verified)');
    expect(ok.stdout).toContain('granted');

    const done = await result(h, workflowId);
    expect(done.status).toBe('completed');
    expect(done.result).toBe('cleaned');
    const grants = await answered(h, GRANT);
    expect(grants.filter((r) => r.path.includes(gate.requestId!))).toHaveLength(1);
    expect(await answered(h, DENY)).toHaveLength(0);
    const audit = await h.sb.gates.audit(workflowId);
    expect(audit.filter((a) => a.outcome === 'decided')).toMatchObject([
      { decider: 'alice', decision: 'approve', identity: 'verified', kind: 'session_permission' },
    ]);
    expect(audit.some((a) => a.outcome === 'refused' && a.decider === 'alice')).toBe(true);
  }, 60_000);

  it('reject → the platform gets a deny, once', async () => {
    const { workflowId } = await startMix(h, permissionScript('Write', 'overwrite .env'), { approvers: ['alice'] });
    const gate = await openGate(h, workflowId);
    const no = await cli()('reject', workflowId, '--as', 'alice', '--reason', 'never touch .env');
    expect(no.code).toBe(0);
    expect(no.stdout).toContain('denied');
    expect((await result(h, workflowId)).status).toBe('completed');
    expect((await answered(h, DENY)).filter((r) => r.path.includes(gate.requestId!))).toHaveLength(1);
    expect((await answered(h, GRANT)).filter((r) => r.path.includes(gate.requestId!))).toHaveLength(0);
  }, 60_000);

  it('a choice question: an option not offered is refused with history unchanged; an offered one is the response', async () => {
    const { workflowId } = await startMix(h, questionScript({ responseType: 'choice', choices: ['eu', 'us'] }), {
      approvers: ['alice'],
    });
    const gate = await openGate(h, workflowId);
    expect(gate).toMatchObject({ kind: 'session_question', allowed: ['approve_with_edits', 'reject'] });
    expect(gate.subject).toContain('[choose one: eu | us]');
    const before = await historyLength(h, workflowId);
    const wrong = await cli()('approve', workflowId, '--as', 'alice', '--edits', '["apac"]');
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toContain('not one of the offered choices: eu, us');
    const two = await cli()('approve', workflowId, '--as', 'alice', '--edits', '["eu","us"]');
    expect(two.code).toBe(4);
    expect(await historyLength(h, workflowId)).toBe(before);
    expect((await h.sb.gates.show(workflowId)).open).toBe(true);

    const ok = await cli()('approve', workflowId, '--as', 'alice', '--edits', '["eu"]');
    expect(ok.code).toBe(0);
    expect((await result(h, workflowId)).status).toBe('completed');
    const responses = (await answered(h, RESPOND)).filter((r) => r.path.includes(gate.requestId!));
    expect(responses.map((r) => r.body)).toEqual([{ type: 'choice', value: 'eu' }]);
  }, 60_000);
});

describe('expiry and crashes', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ name: 'mixgates-expiry' });
  });
  afterAll(async () => h?.close());

  it("a question's gate expires before the platform's timeout; policy reject leaves it unanswered and the agent goes on", async () => {
    // The platform waits 4 s; the configured hour is cut to what is left of that.
    const { workflowId } = await startMix(h, questionScript({ responseType: 'text', timeoutSeconds: 4 }), {
      approvers: ['alice'],
      deadlineSeconds: 3_600,
      onExpiry: { policy: 'wait' },
    });
    const gate = await openGate(h, workflowId);
    const left = Date.parse(gate.deadline!) - Date.now();
    expect(left).toBeLessThanOrEqual(4_000);
    const done = await result(h, workflowId);
    expect(done.status).toBe('completed');
    const view = await h.sb.gates.show(workflowId);
    expect(view.decided).toMatchObject([
      { requestId: gate.requestId, decision: 'reject', decider: 'switchboard:expiry', auto: true },
    ]);
    expect((await answered(h, RESPOND)).filter((r) => r.path.includes(gate.requestId!))).toHaveLength(0);
  }, 60_000);

  it('a permission with policy approve is granted at the deadline, once', async () => {
    const { workflowId } = await startMix(h, permissionScript(), {
      approvers: ['alice'],
      deadlineSeconds: 1,
      onExpiry: { policy: 'approve' },
    });
    const gate = await openGate(h, workflowId);
    expect((await result(h, workflowId)).status).toBe('completed');
    expect((await h.sb.gates.show(workflowId)).decided).toMatchObject([
      { decision: 'approve', decider: 'switchboard:expiry', effect: { ok: true } },
    ]);
    expect((await answered(h, GRANT)).filter((r) => r.path.includes(gate.requestId!))).toHaveLength(1);
  }, 60_000);

  it('without platformGates a question is an input request answered in its own terms (a choice checked before history)', async () => {
    const name = `mixgate-plain-${process.pid}`;
    await h.control.script(name, questionScript({ responseType: 'choice', choices: ['eu', 'us'] }));
    const { workflowId } = await h.sb.startSession({ platform: 'mix', task: `Plain script:${name}` });
    const waiting = await eventually(async () => {
      const st = await h.sb.sessions.state(workflowId);
      return st.status === 'awaiting_input' ? st : undefined;
    });
    await expect(h.sb.sessions.answerInput(workflowId, waiting.pendingInput!.requestId, 'apac')).rejects.toThrow(
      /offered choices/,
    );
    await h.sb.sessions.answerInput(workflowId, waiting.pendingInput!.requestId, 'us');
    expect((await result(h, workflowId)).status).toBe('completed');
    const responses = (await answered(h, RESPOND)).filter((r) => r.path.includes(waiting.pendingInput!.requestId));
    expect(responses.map((r) => r.body)).toEqual([{ type: 'choice', value: 'us' }]);
  }, 60_000);

  it('a permission for a long command (action over 2,000 characters) still opens its approval gate and is granted once', async () => {
    const command = `cat > notes.md <<'EOF'\n${'a long line of text to write\n'.repeat(100)}EOF`;
    expect(command.length).toBeGreaterThan(2_000);
    const { workflowId } = await startMix(h, permissionScript('Bash', command), { approvers: ['alice'] });
    const gate = await openGate(h, workflowId);
    expect(gate).toMatchObject({ kind: 'session_permission', shown: { gate: 'permission', toolName: 'Bash' } });
    expect((gate.shown as { action: string }).action.startsWith("cat > notes.md <<'EOF'")).toBe(true);
    await approvedOnce(h, workflowId, gate.requestId!);
  }, 60_000);

  it('a Write permission carrying a whole file (2 MB of params) opens its gate with the params bounded, and is granted once', async () => {
    const content = 'x'.repeat(2_000_000);
    const steps: ScriptStep[] = [
      { type: 'emit', count: 1 },
      {
        type: 'ask',
        prompt: 'Write the report',
        meta: { mix: 'permission', toolName: 'Write', path: 'report.md', params: { file_path: 'report.md', content } },
      },
      { type: 'finish', result: 'written' },
    ];
    const { workflowId } = await startMix(h, steps, { approvers: ['alice'] });
    const gate = await openGate(h, workflowId);
    const params = (gate.shown as { params: Record<string, unknown> }).params;
    // The small value whole, the file clipped, and the cut said: never megabytes in history.
    expect(params.file_path).toBe('report.md');
    expect((params.content as string).length).toBeLessThanOrEqual(500);
    expect(params['…truncated']).toBe(true);
    await approvedOnce(h, workflowId, gate.requestId!);
  }, 60_000);

  it('cancelling the session closes its open gate: a decision sent during clean-up is refused (the workflow still ends), and the gate shows closed', async () => {
    const { workflowId } = await startMix(h, permissionScript('Bash', 'make clean'), { approvers: ['alice'] });
    const gate = await openGate(h, workflowId);
    // A slow clean-up (the transcript export) keeps the workflow running after the gate was dropped.
    await h.control.fault({
      platform: 'mix',
      method: 'GET',
      route: '/api/sessions/{id}/export',
      latencyMs: 4_000,
      times: 1,
    });
    const cancelled = h.sb.sessions.cancel(workflowId);
    await eventually(async () => (await h.sb.sessions.state(workflowId)).status === 'cancelled', {
      timeoutMs: 20_000,
      intervalMs: 100,
    });
    const late = await Promise.race([
      h.sb.gates.decide(workflowId, { requestId: gate.requestId, decider: 'alice', decision: 'approve' }).then(
        () => 'accepted',
        (err: unknown) => (err as Error).message,
      ),
      new Promise<string>((r) => setTimeout(() => r('no answer'), 10_000)),
    ]);
    expect(late).toMatch(/no gate is open/);
    await cancelled;
    expect((await result(h, workflowId)).status).toBe('cancelled');
    expect((await h.sb.gates.show(workflowId)).open).toBe(false);
    expect(await answered(h, GRANT).then((rows) => rows.filter((r) => r.path.includes(gate.requestId!)))).toEqual([]);
  }, 60_000);

  it('without platformGates: SIGKILL while an answerInput reply is on its way → one response reaches Mix, the update succeeds, the session goes on', async () => {
    const taskQueue = `mixanswer-crash-${Date.now()}`;
    const sb = new SwitchboardClient({ connection: h.client.connection as Connection, taskQueue });
    // The response lands on the platform, then its answer is held back long enough to kill the worker.
    await holdAnswerOnce(h.control, 'mix', RESPOND);
    const first = spawnWorker(taskQueue);
    let second: ChildProcess | undefined;
    try {
      const name = `mixanswer-crash-${process.pid}`;
      await h.control.script(name, questionScript({ responseType: 'choice', choices: ['eu', 'us'] }));
      const { workflowId } = await sb.startSession({ platform: 'mix', task: `Answer crash script:${name}` });
      const waiting = await eventually(
        async () => {
          const st = await sb.sessions.state(workflowId).catch(() => undefined);
          return st?.status === 'awaiting_input' ? st : undefined;
        },
        { timeoutMs: 30_000 },
      );
      const requestId = waiting.pendingInput!.requestId;
      const answer = sb.sessions.answerInput(workflowId, requestId, 'eu').catch((err: unknown) => err);
      const responsesOfThis = async () =>
        (await h.control.journal({ platform: 'mix', method: 'POST', route: RESPOND })).filter((r) =>
          r.path.includes(requestId),
        );
      await eventually(async () => (await responsesOfThis()).length > 0, { timeoutMs: 30_000 });
      first.kill('SIGKILL');
      await exited(first);
      second = spawnWorker(taskQueue);
      // The answer landed before the crash: the run on the new worker must take Mix's refusal of a
      // second answer as that, not fail the update and leave the session waiting for ever.
      expect(await answer).toMatchObject({ accepted: true });
      expect((await sb.result(workflowId)).status).toBe('completed');
      const ok = (await responsesOfThis()).filter((r) => r.status < 300);
      expect(ok.map((r) => r.body)).toEqual([{ type: 'choice', value: 'eu' }]);
    } finally {
      first.kill('SIGKILL');
      second?.kill('SIGTERM');
      if (second) await exited(second);
    }
  }, 120_000);

  it('SIGKILL while the grant is on its way → exactly one grant reaches Mix, and the gate records it', async () => {
    const taskQueue = `mixgate-crash-${Date.now()}`;
    const sb = new SwitchboardClient({ connection: h.client.connection as Connection, taskQueue });
    // The grant lands on the platform, then its answer is held back long enough to kill the worker.
    await holdAnswerOnce(h.control, 'mix', GRANT);
    const first = spawnWorker(taskQueue);
    let second: ChildProcess | undefined;
    try {
      const name = `mixgate-crash-${process.pid}`;
      await h.control.script(name, permissionScript());
      const { workflowId } = await sb.startSession({
        platform: 'mix',
        task: `Crash script:${name}`,
        platformGates: { approvers: ['alice'] },
      });
      const gate = await eventually(
        async () => {
          const g = await sb.gates.show(workflowId).catch(() => undefined);
          return g?.open ? g : undefined;
        },
        { timeoutMs: 30_000 },
      );
      const decided = sb.gates.decide(workflowId, { requestId: gate.requestId, decider: 'alice', decision: 'approve' });
      const grantsOfThis = async () =>
        (await h.control.journal({ platform: 'mix', method: 'POST', route: GRANT })).filter((r) =>
          r.path.includes(gate.requestId!),
        );
      await eventually(async () => (await grantsOfThis()).length > 0, { timeoutMs: 30_000 });
      first.kill('SIGKILL');
      await exited(first);
      second = spawnWorker(taskQueue);
      const outcome = await decided;
      expect(outcome).toMatchObject({ decision: 'approve', decider: 'alice', effect: { ok: true } });
      expect(outcome.effect?.detail).toBe('granted (by an earlier attempt)');
      expect((await sb.result(workflowId)).status).toBe('completed');
      const grants = await grantsOfThis();
      expect(grants.length).toBeGreaterThanOrEqual(2); // the lost answer, then the retry (refused: already answered)
      expect(grants.filter((r) => r.status < 300)).toHaveLength(1);
    } finally {
      first.kill('SIGKILL');
      second?.kill('SIGTERM');
      if (second) await exited(second);
    }
  }, 120_000);
});
