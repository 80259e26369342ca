/**
 * Who decides, proven (issue 10): Ed25519-signed decisions checked by the worker, refused attempts
 * in the audit, quorum (N of M distinct approvers), separation of duties, and decisions sent as a
 * `decide` signal (the Temporal CLI) going through the same checks. Real dev server + sandbox.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SwitchboardClientError } from '../../src/client/index.js';
import { createKey, loadPrivateKey, signDecision } from '../../src/identity/keys.js';
import { MYCEL_DEMO_AGENT } from '../../src/sandbox/platforms/mycel/index.js';
import type { DeepResearchInput, DeepResearchResult } from '../../src/workflows/deepResearch.js';
import { createHarness, eventually, type Harness, switchboardCli } from '../support/harness.js';

const run = promisify(execFile);
const INTERVENE = '/v1/deep_research/{task_id}/intervene';

async function startGate(h: Harness, input: Partial<DeepResearchInput>) {
  const { workflowId } = await h.sb.startResearch({
    topic: 'Trust boundaries in agent systems',
    approvers: ['alice'],
    ...input,
  });
  const gate = await eventually(async () => {
    const g = await h.sb.gate(workflowId);
    return g.open ? g : undefined;
  });
  return { workflowId, gate };
}

const result = (h: Harness, id: string) => h.client.workflow.getHandle(id).result() as Promise<DeepResearchResult>;
/** Successful, not replayed `intervene` calls that reached the platform for a research task. */
const intervenes = async (h: Harness, taskId: string | undefined) =>
  (await h.control.journal({ platform: 'webagent', route: INTERVENE })).filter(
    (r) => r.status < 300 && !r.replayed && r.path.includes(taskId ?? '-'),
  ).length;

/** The `switchboard` CLI against the harness's task queue and keys directory. */
function cliFor(h: Harness, keysDir: string) {
  return switchboardCli(h, { SWITCHBOARD_KEYS_DIR: keysDir });
}

/** The Temporal CLI, as someone with namespace access would use it. */
const temporal = (...args: string[]) =>
  run(inject('temporalCliPath'), [...args, '--address', inject('temporalAddress'), '--namespace', 'default']).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

describe('signed decisions required (SWITCHBOARD_DECISION_PROOF=required)', () => {
  let h: Harness;
  const keysDir = mkdtempSync(join(tmpdir(), 'sb-keys-'));
  beforeAll(async () => {
    h = await createHarness({
      name: 'signed',
      extraEnv: { SWITCHBOARD_DECISION_PROOF: 'required', SWITCHBOARD_KEYS_DIR: keysDir },
    });
  });
  afterAll(async () => h?.close());

  it('keys create; a typed --as alice without her key is refused and audited; her signed approval goes through', async () => {
    const cli = cliFor(h, keysDir);
    const created = await cli('--json', 'keys', 'create', '--as', 'alice');
    expect(created.code).toBe(0);
    const { keyId } = JSON.parse(created.stdout) as { keyId: string };
    expect(keyId).toMatch(/^[0-9a-f]{16}$/);
    const listed = await cli('keys', 'list');
    expect(listed.stdout).toContain(`alice  ${keyId}  can sign here  trusted`);
    expect((await cli('keys', 'create', '--as', 'alice')).code).not.toBe(0); // never overwrites a key

    const { workflowId, gate } = await startGate(h, { approvers: ['alice', 'bob'] });
    const typed = await cli('approve', workflowId, '--as', 'alice', '--no-sign');
    expect(typed.code).toBe(4);
    expect(typed.stderr).toContain('not signed');
    // Bob has no key anywhere: his decision cannot be proven either.
    const bob = await cli('reject', workflowId, '--as', 'bob', '--reason', 'no');
    expect(bob.code).toBe(4);
    expect((await h.sb.gate(workflowId)).open).toBe(true); // the gate is as it was

    const audit = await cli('audit', workflowId);
    expect(audit.stdout).toMatch(/REFUSED approve claimed by alice via update: .*not signed/);
    expect(audit.stdout).toMatch(/REFUSED reject claimed by bob via update/);

    const ok = await cli('approve', workflowId, '--as', 'alice', '--comment', 'signed');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('approve by alice (verified)');
    const res = await result(h, workflowId);
    expect(res.status).toBe('completed');
    const decided = res.audit.filter((a) => a.outcome !== 'refused');
    expect(decided).toEqual([
      expect.objectContaining({ decider: 'alice', decision: 'approve', identity: 'verified', digest: gate.digest }),
    ]);
    expect(res.audit.filter((a) => a.outcome === 'refused').map((a) => a.decider)).toEqual(['alice', 'bob']);
    expect(await intervenes(h, res.taskId)).toBe(1);
  });

  it('a proof signed for another workflow, or by another key, is refused', async () => {
    const key = loadPrivateKey(keysDir, 'alice')!;
    const a = await startGate(h, { approvers: ['alice'] });
    const b = await startGate(h, { approvers: ['alice'] });
    // A valid signature for workflow A replayed onto workflow B.
    const proof = signDecision(key, {
      workflowId: a.workflowId,
      chain: b.gate.chain!,
      requestId: b.gate.requestId!,
      decider: 'alice',
      decision: 'approve',
      digest: b.gate.digest!,
    });
    const err = (await h.sb
      .decide(b.workflowId, { decider: 'alice', decision: 'approve', requestId: b.gate.requestId, proof })
      .catch((e: unknown) => e)) as SwitchboardClientError;
    expect(err.code).toBe('rejected');
    expect(err.message).toContain('signature does not match');
    // Mallory's own key, claiming to be alice.
    const mallory = mkdtempSync(join(tmpdir(), 'sb-mallory-'));
    createKey(mallory, 'alice');
    const forged = await h.sb
      .decide(b.workflowId, { decider: 'alice', decision: 'approve' }, { signWith: loadPrivateKey(mallory, 'alice')! })
      .catch((e: unknown) => e as SwitchboardClientError);
    expect((forged as SwitchboardClientError).message).toContain('signature does not match');
    expect((await h.sb.gate(b.workflowId)).open).toBe(true);
    // An unsigned decision sent as a signal: refused and audited, the gate unchanged.
    const sig = await temporal(
      'workflow',
      'signal',
      '--workflow-id',
      a.workflowId,
      '--name',
      'decide',
      '--input',
      JSON.stringify({ requestId: a.gate.requestId, decider: 'alice', decision: 'approve' }),
    );
    expect(sig.code).toBe(0);
    await eventually(async () =>
      (await h.sb.audit(a.workflowId)).some((e) => e.outcome === 'refused' && e.via === 'signal'),
    );
    expect((await h.sb.gate(a.workflowId)).open).toBe(true);
    // Both still decide with alice's real key.
    for (const w of [a, b]) {
      expect(
        await h.sb.decide(
          w.workflowId,
          { decider: 'alice', decision: 'reject', reason: 'done here' },
          { signWith: key },
        ),
      ).toMatchObject({
        decision: 'reject',
        identity: 'verified',
      });
    }
  });
});

describe("Mycel with proofs required: the decider's token is used only once the decision proved them", () => {
  let h: Harness;
  const keysDir = mkdtempSync(join(tmpdir(), 'sb-keys-'));
  const APPROVE = '/api/chats/{chat_id}/join-requests/{request_id}/approve';
  beforeAll(async () => {
    h = await createHarness({
      name: 'signed-mycel',
      extraEnv: {
        SWITCHBOARD_DECISION_PROOF: 'required',
        SWITCHBOARD_KEYS_DIR: keysDir,
        MYCEL_TOKEN_OWNER: 'sb_mycel_owner',
        MYCEL_TOKEN_VISITOR: 'sb_mycel_visitor',
      },
    });
  });
  afterAll(async () => h?.close());

  it('a typed owner decision never reaches approve_join; the signed one approves once, as the owner', async () => {
    const owner = h.providers.client('mycel', 'owner');
    const chatId = (await owner.chats.create([MYCEL_DEMO_AGENT], 'Signed lobby')).id;
    const jr = await h.providers.client('mycel', 'visitor').chats.requestJoin(chatId, 'signed please');
    const workflowId = `mycel-join-signed-${Date.now()}`;
    await h.client.workflow.start('joinRequest', {
      workflowId,
      taskQueue: h.taskQueue,
      args: [{ chatId, requestId: jr.id, approvers: ['owner'] }],
    });
    await eventually(async () => (await h.sb.gate(workflowId)).open);
    const typed = (await h.sb
      .decide(workflowId, { decider: 'owner', decision: 'approve' })
      .catch((e: unknown) => e)) as SwitchboardClientError;
    expect(typed.message).toContain('not signed');
    expect(await h.control.journal({ platform: 'mycel', route: APPROVE })).toEqual([]);

    createKey(keysDir, 'owner');
    const ok = await h.sb.decide(
      workflowId,
      { decider: 'owner', decision: 'approve' },
      { signWith: loadPrivateKey(keysDir, 'owner')! },
    );
    expect(ok).toMatchObject({ decision: 'approve', decider: 'owner', identity: 'verified', effect: { ok: true } });
    const approvals = await h.control.journal({ platform: 'mycel', route: APPROVE });
    expect(approvals.filter((r) => r.status < 300 && !r.replayed)).toHaveLength(1);
    expect(await h.client.workflow.getHandle(workflowId).result()).toMatchObject({
      status: 'approved',
      actingAlias: 'owner',
    });
  });

  it('an approval by the expiry policy (start input, not a person) spends no token', async () => {
    const owner = h.providers.client('mycel', 'owner');
    const chatId = (await owner.chats.create([MYCEL_DEMO_AGENT], 'Expiry lobby')).id;
    const jr = await h.providers.client('mycel', 'visitor').chats.requestJoin(chatId, 'let me in by expiry');
    const workflowId = `mycel-join-expiry-${Date.now()}`;
    await h.client.workflow.start('joinRequest', {
      workflowId,
      taskQueue: h.taskQueue,
      args: [
        {
          chatId,
          requestId: jr.id,
          approvers: ['owner'],
          deadlineSeconds: 1,
          onExpiry: { policy: 'approve' },
          postMessage: { alias: 'owner', text: 'hi' },
        },
      ],
    });
    const res: unknown = await h.client.workflow.getHandle(workflowId).result();
    expect(res).toMatchObject({ status: 'failed', error: expect.stringContaining('require proof') });
    expect(
      (await h.control.journal({ platform: 'mycel', route: APPROVE })).filter((r) => r.path.includes(jr.id)),
    ).toEqual([]);
  });
});

describe('quorum, separation of duties, decisions by signal (typed names: development default)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ name: 'quorum' });
  });
  afterAll(async () => h?.close());

  it('a 2-of-3 quorum gate needs two distinct people; a repeated vote counts once', async () => {
    const { workflowId } = await startGate(h, { approvers: ['ann', 'ben', 'cat'], quorum: 2 });
    const first = await h.sb.decide(workflowId, { decider: 'ann', decision: 'approve' });
    expect(first).toMatchObject({
      decision: 'approve',
      decider: 'ann',
      identity: 'unverified',
      vote: { have: 1, need: 2 },
    });
    const again = await h.sb.decide(workflowId, { decider: 'ann', decision: 'approve' });
    expect(again.vote).toEqual({ have: 1, need: 2 });
    const g = await h.sb.gate(workflowId);
    expect(g.open).toBe(true);
    expect(g.quorum).toMatchObject({ need: 2, votes: [{ decider: 'ann', decision: 'approve' }] });
    const second = await h.sb.decide(workflowId, { decider: 'ben', decision: 'approve' });
    expect(second).toMatchObject({
      decision: 'approve',
      decider: 'ben',
      deciders: ['ann', 'ben'],
      effect: { ok: true },
    });
    const res = await result(h, workflowId);
    expect(res.status).toBe('completed');
    expect(await intervenes(h, res.taskId)).toBe(1);
    expect(res.audit.map((a) => `${a.outcome}:${a.decider}`)).toEqual(['vote:ann', 'decided:ben']);
  });

  it('repeats of a proposal count once; an identical proposal by another approver approves it; a proposal nobody else could approve is refused', async () => {
    const { workflowId } = await startGate(h, { approvers: ['ann', 'ben', 'cat'], quorum: 2, separateDuties: true });
    const edits = ['Add a section on key rotation'];
    expect((await h.sb.decide(workflowId, { decider: 'ann', decision: 'approve_with_edits', edits })).vote).toEqual({
      have: 0,
      need: 2,
    });
    // A client retry of the same proposal is a repeat, not a new proposal that would reset votes.
    await h.sb.decide(workflowId, { decider: 'ben', decision: 'approve' });
    expect((await h.sb.decide(workflowId, { decider: 'ann', decision: 'approve_with_edits', edits })).vote).toEqual({
      have: 1,
      need: 2,
    });
    // Cat proposes exactly the same edits: that approves them.
    const done = await h.sb.decide(workflowId, { decider: 'cat', decision: 'approve_with_edits', edits });
    expect(done).toMatchObject({ decision: 'approve_with_edits', edits, deciders: ['ben', 'cat'] });
    // Ben's approval counted toward the decision: repeating it returns the decision.
    expect(await h.sb.decide(workflowId, { decider: 'ben', decision: 'approve' })).toMatchObject({
      decision: 'approve_with_edits',
    });
    expect((await result(h, workflowId)).status).toBe('completed');

    const solo = await startGate(h, { approvers: ['ann'], separateDuties: true });
    const err = (await h.sb
      .decide(solo.workflowId, { decider: 'ann', decision: 'approve_with_edits', edits })
      .catch((e: unknown) => e)) as SwitchboardClientError;
    expect(err.message).toContain('nobody else could approve');
    await h.sb.decide(solo.workflowId, { decider: 'ann', decision: 'reject', reason: 'done' });
  });

  it('an escalation whose new approvers already approved decides at once', async () => {
    const { workflowId } = await startGate(h, {
      approvers: ['ann', 'ben'],
      quorum: 2,
      deadlineSeconds: 2,
      onExpiry: { policy: 'escalate', to: ['ann'], extendSeconds: 3600 },
    });
    await h.sb.decide(workflowId, { decider: 'ann', decision: 'approve' });
    const res = await result(h, workflowId);
    expect(res.status).toBe('completed');
    expect(res.decisions).toEqual([
      expect.objectContaining({ decision: 'approve', decider: 'ann', auto: false, deciders: ['ann'] }),
    ]);
  });

  it('one reject decides a quorum gate', async () => {
    const { workflowId } = await startGate(h, { approvers: ['ann', 'ben', 'cat'], quorum: 2 });
    await h.sb.decide(workflowId, { decider: 'ann', decision: 'approve' });
    expect(await h.sb.decide(workflowId, { decider: 'cat', decision: 'reject', reason: 'out of scope' })).toMatchObject(
      { decision: 'reject', decider: 'cat' },
    );
    expect((await result(h, workflowId)).status).toBe('rejected');
  });

  it('a quorum larger than the approver list is refused at start', async () => {
    const err = (await h.sb
      .startResearch({ topic: 'quorum too big', approvers: ['ann'], quorum: 2 })
      .catch((e: unknown) => e)) as SwitchboardClientError;
    expect(err.code).toBe('invalid_input');
    expect(err.message).toContain('quorum 2 is more than the 1 approver');
  });

  it('separation of duties: the proposer of edits cannot approve them; another approver can', async () => {
    const { workflowId, gate } = await startGate(h, { approvers: ['ann', 'ben'], separateDuties: true });
    const proposed = await h.sb.decide(workflowId, {
      decider: 'ann',
      decision: 'approve_with_edits',
      edits: ['Add a section on audit trails'],
    });
    expect(proposed.vote).toEqual({ have: 0, need: 1 });
    const open = await h.sb.gate(workflowId);
    expect(open.proposal).toMatchObject({ by: 'ann', edits: ['Add a section on audit trails'] });
    expect(open.digest).not.toBe(gate.digest); // what is approved now includes the edits
    const self = (await h.sb
      .decide(workflowId, { decider: 'ann', decision: 'approve' })
      .catch((e: unknown) => e)) as SwitchboardClientError;
    expect(self.code).toBe('rejected');
    expect(self.message).toContain('separation of duties');
    // An approval of the old outline (its digest) is stale.
    const stale = (await h.sb
      .decide(workflowId, { decider: 'ben', decision: 'approve', digest: gate.digest })
      .catch((e: unknown) => e)) as SwitchboardClientError;
    expect(stale.message).toContain('is not what is open now');
    const ok = await h.sb.decide(workflowId, { decider: 'ben', decision: 'approve', digest: open.digest });
    expect(ok).toMatchObject({
      decision: 'approve_with_edits',
      decider: 'ben',
      edits: ['Add a section on audit trails'],
      deciders: ['ben'],
    });
    expect((await result(h, workflowId)).status).toBe('completed');
  });

  it('a decide signal from the Temporal CLI: refused ones are audited and change nothing; a valid one decides', async () => {
    const { workflowId, gate } = await startGate(h, { approvers: ['ann'] });
    const signal = (input: string) =>
      temporal('workflow', 'signal', '--workflow-id', workflowId, '--name', 'decide', '--input', input);
    expect(
      (await signal(JSON.stringify({ requestId: gate.requestId, decider: 'eve', decision: 'approve' }))).code,
    ).toBe(0);
    expect((await signal(JSON.stringify({ requestId: 'stale', decider: 'ann', decision: 'approve' }))).code).toBe(0);
    expect((await signal('{"decision":"approve"}')).code).toBe(0);
    const refused = await eventually(async () => {
      const a = await h.sb.audit(workflowId);
      return a.filter((e) => e.outcome === 'refused').length === 3 ? a : undefined;
    });
    expect(refused.map((e) => e.refusedReason)).toEqual([
      expect.stringContaining('eve is not an approver'),
      expect.stringContaining('stale or unknown'),
      expect.stringContaining('invalid decision'),
    ]);
    expect((await h.sb.gate(workflowId)).open).toBe(true);
    const history = await h.client.workflow.getHandle(workflowId).fetchHistory();
    expect(history.events?.some((e) => e.workflowTaskFailedEventAttributes)).toBe(false);

    expect(
      (
        await signal(
          JSON.stringify({ requestId: gate.requestId, decider: 'ann', decision: 'approve', comment: 'by signal' }),
        )
      ).code,
    ).toBe(0);
    const res = await result(h, workflowId);
    expect(res.status).toBe('completed');
    expect(res.decisions).toEqual([
      expect.objectContaining({ decision: 'approve', decider: 'ann', identity: 'unverified', comment: 'by signal' }),
    ]);
    expect(res.audit.find((a) => a.outcome === 'decided')).toMatchObject({ decider: 'ann', identity: 'unverified' });
  });
});
