/**
 * The gateway's JSON API on a real dev server, sandbox and worker: starts (idempotent by id or
 * Idempotency-Key), decisions made as the token's person and proven with their key, and every
 * kind of bad request refused with a clear status and body — changing nothing in history.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InboxItem, SessionSummary } from '../../src/client/index.js';
import type { GateView } from '../../src/contracts/gates.js';
import type { DeepResearchResult } from '../../src/workflows/deepResearch.js';
import { createHarness, eventually, type Harness } from '../support/harness.js';
import {
  type ApiProblem,
  type CallResult,
  type Shown,
  type Started,
  startTestGateway,
  type TestGateway,
  testKeysDir,
} from './support.js';

let h: Harness;
let gw: TestGateway;
beforeAll(async () => {
  const keysDir = testKeysDir();
  // Decisions must be proven: the gateway's signatures are what lets them through.
  h = await createHarness({
    name: 'gw-api',
    extraEnv: { SWITCHBOARD_KEYS_DIR: keysDir, SWITCHBOARD_DECISION_PROOF: 'required' },
  });
  gw = await startTestGateway({ sb: h.sb, artifactDir: h.artifactsDir, keysDir, people: ['alice', 'bob'] });
});
afterAll(async () => {
  await gw?.close();
  await h?.close();
});

const historyLength = async (id: string) => (await h.client.workflow.getHandle(id).fetchHistory()).events?.length ?? 0;
const countRuns = async (id: string) => {
  const runs: string[] = [];
  for await (const wf of h.client.workflow.list({ query: `WorkflowId = '${id}'` })) runs.push(wf.runId);
  return runs.length;
};

async function openGate(workflowId: string) {
  return eventually(async () => {
    const r = await gw.call<GateView>(`/workflows/${workflowId}/gate`, { as: 'alice' });
    return r.status === 200 && r.body.open ? r.body : undefined;
  });
}

describe('starts', () => {
  it('an Idempotency-Key maps to one workflow: a retried POST starts nothing new', async () => {
    const key = `retry-${Date.now()}`;
    const input = { topic: 'Idempotent research start', approvers: ['alice'] };
    const first = await gw.call<Started>('/research', {
      method: 'POST',
      as: 'alice',
      json: { input },
      headers: { 'idempotency-key': key },
    });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ created: true });
    const second = await gw.call<Started>('/research', {
      method: 'POST',
      as: 'alice',
      json: { input },
      headers: { 'idempotency-key': key },
    });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ workflowId: first.body.workflowId, created: false });
    // The same key from another person is another start.
    const bobs = await gw.call<Started>('/research', {
      method: 'POST',
      as: 'bob',
      json: { input },
      headers: { 'idempotency-key': key },
    });
    expect(bobs.status).toBe(201);
    expect(bobs.body.workflowId).not.toBe(first.body.workflowId);
    expect(await countRuns(first.body.workflowId)).toBe(1);
    await h.client.workflow.getHandle(bobs.body.workflowId).terminate('test done');
    // Even after the run ends, a retry starts nothing (the id is never reused).
    await h.client.workflow.getHandle(first.body.workflowId).terminate('test done');
    const third = await gw.call('/research', {
      method: 'POST',
      as: 'alice',
      json: { input },
      headers: { 'idempotency-key': key },
    });
    expect(third.status).toBe(200);
    expect(third.body).toMatchObject({ created: false, status: 'TERMINATED' });
    expect(await countRuns(first.body.workflowId)).toBe(1);
  });

  it('a client-chosen workflow id is the idempotency key of a session start', async () => {
    const workflowId = `gw-session-${Date.now()}`;
    const body = { workflowId, input: { platform: 'webagent', task: 'List the top 3 stories script:default' } };
    const a = await gw.call('/sessions', { method: 'POST', as: 'alice', json: body });
    const b = await gw.call('/sessions', { method: 'POST', as: 'alice', json: body });
    expect([a.status, b.status]).toEqual([201, 200]);
    expect(b.body).toMatchObject({ workflowId, created: false });
    const shown = await eventually(async () => {
      const r = await gw.call<Shown>(`/workflows/${workflowId}`, { as: 'bob' });
      return r.body.workflowStatus === 'COMPLETED' ? r.body : undefined;
    });
    expect(shown).toMatchObject({ type: 'agentSession', state: { status: 'completed' } });
    const list = await gw.call<{ sessions: SessionSummary[] }>('/sessions?provider=webagent&limit=500', { as: 'bob' });
    expect(list.body.sessions.map((s: { workflowId: string }) => s.workflowId)).toContain(workflowId);
  });
});

describe('decisions', () => {
  it('approve through the API is made as the token’s person, proven with their key', async () => {
    const started = await gw.call<Started>('/research', {
      method: 'POST',
      as: 'alice',
      json: { input: { topic: 'Gateway decisions', approvers: ['alice'] } },
    });
    const { workflowId } = started.body;
    const gate = await openGate(workflowId);
    const inbox = await gw.call<{ items: InboxItem[] }>('/inbox', { as: 'bob' });
    expect(inbox.body.items.find((i: { workflowId: string }) => i.workflowId === workflowId)).toMatchObject({
      kind: 'research_outline',
      approvers: ['alice'],
    });

    // Refused requests change nothing in history.
    const before = await historyLength(workflowId);
    const refused: CallResult<ApiProblem>[] = [
      await gw.call(`/workflows/${workflowId}/decision`, { method: 'POST', json: { decision: 'approve' } }),
      await gw.call(`/workflows/${workflowId}/decision`, {
        method: 'POST',
        as: 'alice',
        body: '{"decision":',
        headers: { 'content-type': 'application/json' },
      }),
      await gw.call(`/workflows/${workflowId}/decision`, { method: 'POST', as: 'alice', json: { decision: 'reject' } }),
      await gw.call(`/workflows/${workflowId}/decision`, {
        method: 'POST',
        as: 'alice',
        json: { decision: 'approve', comment: 'x'.repeat(400_000) },
      }),
      await gw.call(`/workflows/${workflowId}/decision`, {
        method: 'POST',
        as: 'alice',
        body: 'decision=approve',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      await gw.call(`/workflows/${workflowId}/decision`, {
        method: 'POST',
        as: 'alice',
        json: { decision: 'approve', decider: 'mallory' },
      }),
      await gw.call(`/workflows/${workflowId}/decision`, { method: 'POST', as: 'bob', json: { decision: 'approve' } }),
      await gw.call(`/workflows/${workflowId}/decision`, {
        method: 'POST',
        as: 'alice',
        json: { decision: 'approve', digest: 'not-what-was-shown' },
      }),
    ];
    expect(refused.map((r) => r.status)).toEqual([401, 400, 422, 413, 415, 422, 409, 409]);
    expect(refused.map((r) => r.body.error.type)).toEqual([
      'unauthenticated',
      'malformed_json',
      'invalid_input',
      'payload_too_large',
      'unsupported_media_type',
      'invalid_input',
      'rejected',
      'rejected',
    ]);
    expect(refused[2]!.body.error.issues).toEqual([{ path: 'reason', message: 'reject needs a reason' }]);
    expect(refused[5]!.body.error.issues[0]!.message).toMatch(/decider/);
    expect(refused[6]!.body.error.message).toMatch(/bob/);
    expect(refused[7]!.body.error.message).toMatch(/not what is open now/);
    expect(await historyLength(workflowId)).toBe(before);

    const ok = await gw.call(`/workflows/${workflowId}/decision`, {
      method: 'POST',
      as: 'alice',
      json: { decision: 'approve', digest: gate.digest, comment: 'from the API' },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ decision: 'approve', decider: 'alice', identity: 'verified' });
    const res = (await h.client.workflow.getHandle(workflowId).result()) as DeepResearchResult;
    expect(res.status).toBe('completed');
    expect(res.audit).toEqual([
      expect.objectContaining({ decider: 'alice', identity: 'verified', comment: 'from the API', digest: gate.digest }),
    ]);
  });

  it('reject with a reason and cancel', async () => {
    const { body } = await gw.call<Started>('/research', {
      method: 'POST',
      as: 'alice',
      json: { input: { topic: 'Rejected through the API', approvers: ['alice'] } },
    });
    await openGate(body.workflowId);
    const r = await gw.call(`/workflows/${body.workflowId}/decision`, {
      method: 'POST',
      as: 'alice',
      json: { decision: 'reject', reason: 'out of scope' },
    });
    expect(r.body).toMatchObject({ decision: 'reject', reason: 'out of scope', identity: 'verified' });
    expect(((await h.client.workflow.getHandle(body.workflowId).result()) as DeepResearchResult).status).toBe(
      'rejected',
    );

    const s = await gw.call<Started>('/sessions', {
      method: 'POST',
      as: 'alice',
      json: { input: { platform: 'webagent', task: 'Work for a long time script:long' } },
    });
    await eventually(
      async () =>
        (await gw.call<Shown>(`/workflows/${s.body.workflowId}`, { as: 'alice' })).body.state?.status === 'running',
    );
    const c = await gw.call(`/workflows/${s.body.workflowId}/cancel`, {
      method: 'POST',
      as: 'alice',
      json: { reason: 'enough' },
    });
    expect(c.status).toBe(200);
    expect(c.body).toMatchObject({ accepted: true, status: 'cancelled' });
  });
});

describe('bad input', () => {
  it('starts: unauthenticated, malformed, oversized and invalid are refused and start nothing', async () => {
    const workflowId = `gw-refused-${Date.now()}`;
    const good = { workflowId, input: { topic: 'Never started', approvers: ['alice'] } };
    const rs: CallResult<ApiProblem>[] = [
      await gw.call('/research', { method: 'POST', json: good }),
      await gw.call('/research', { method: 'POST', json: good, headers: { authorization: 'Bearer sbg_forged' } }),
      await gw.call('/research', {
        method: 'POST',
        as: 'alice',
        body: '{',
        headers: { 'content-type': 'application/json' },
      }),
      await gw.call('/research', {
        method: 'POST',
        as: 'alice',
        json: { ...good, input: { ...good.input, topic: 'x'.repeat(600_000) } },
      }),
      await gw.call('/research', {
        method: 'POST',
        as: 'alice',
        json: { ...good, input: { topic: 'ab', approvers: [] } },
      }),
      await gw.call('/research', { method: 'POST', as: 'alice', json: { ...good, workflowId: '../etc' } }),
      await gw.call('/research', {
        method: 'POST',
        as: 'alice',
        json: good,
        headers: { 'idempotency-key': 'k'.repeat(300) },
      }),
    ];
    expect(rs.map((r) => r.status)).toEqual([401, 401, 400, 413, 422, 422, 400]);
    for (const r of rs)
      expect(r.body.error).toEqual({
        type: expect.any(String),
        message: expect.any(String),
        issues: expect.any(Array),
      });
    expect(rs[4]!.body.error.issues.map((i: { path: string }) => i.path)).toEqual(
      expect.arrayContaining(['input.topic', 'input.approvers']),
    );
    expect(await countRuns(workflowId)).toBe(0);
    const unknown = await gw.call<ApiProblem>('/workflows/no-such-workflow', { as: 'alice' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.type).toBe('not_found');
  });

  it('serves an OpenAPI document generated from the same schemas', async () => {
    const r = await gw.call<{ paths: Record<string, { post: { requestBody: unknown } }> }>('/openapi.json');
    expect(r.status).toBe(200);
    expect(Object.keys(r.body.paths)).toEqual(
      expect.arrayContaining([
        '/sessions',
        '/research',
        '/monitors',
        '/inbox',
        '/workflows/{id}/decision',
        '/workflows/{id}/events',
      ]),
    );
    const schema = JSON.stringify(r.body.paths['/research']!.post.requestBody);
    expect(schema).toContain('requireOutlineApproval');
  });
});

describe('answers and monitors', () => {
  it('answers a session’s input request; a wrong request id is refused without a history event', async () => {
    const s = await gw.call<Started>('/sessions', {
      method: 'POST',
      as: 'alice',
      json: { input: { platform: 'webagent', task: 'Pick one script:ask' } },
    });
    const { workflowId } = s.body;
    const pending = await eventually(
      async () => (await gw.call<Shown>(`/workflows/${workflowId}`, { as: 'alice' })).body.state?.pendingInput,
    );
    const inbox = await gw.call<{ items: InboxItem[] }>('/inbox', { as: 'alice' });
    expect(inbox.body.items.find((i: { workflowId: string }) => i.workflowId === workflowId)).toMatchObject({
      kind: 'session_input',
    });
    const before = await historyLength(workflowId);
    const stale = await gw.call(`/workflows/${workflowId}/answer`, {
      method: 'POST',
      as: 'alice',
      json: { requestId: 'ir_nope', response: 'A' },
    });
    expect(stale.status).toBe(409);
    const bad = await gw.call(`/workflows/${workflowId}/answer`, {
      method: 'POST',
      as: 'alice',
      json: { requestId: pending.requestId },
    });
    expect(bad.status).toBe(422);
    expect(await historyLength(workflowId)).toBe(before);
    const ok = await gw.call(`/workflows/${workflowId}/answer`, {
      method: 'POST',
      as: 'alice',
      json: { requestId: pending.requestId, response: 'option A' },
    });
    expect(ok.status).toBe(200);
    await eventually(
      async () =>
        (await gw.call<Shown>(`/workflows/${workflowId}`, { as: 'alice' })).body.workflowStatus === 'COMPLETED',
    );
  });

  it('creates a monitor once, pauses and resumes it; it has no event stream', async () => {
    const key = `gw-monitor-${Date.now()}`;
    const body = {
      key,
      input: {
        intent: 'Watch the phone listing price',
        schedule: { kind: 'interval', every_seconds: 3600 },
        notifyChannel: { kind: 'callback_url', url: 'https://hooks.example.com/track' },
        approvers: ['alice'],
        pollSeconds: 1,
      },
    };
    const a = await gw.call('/monitors', { method: 'POST', as: 'alice', json: body });
    const b = await gw.call('/monitors', { method: 'POST', as: 'alice', json: body });
    expect([a.status, b.status]).toEqual([201, 200]);
    expect(b.body).toMatchObject({ workflowId: `monitor-${key}`, created: false });
    await eventually(
      async () => (await gw.call<Shown>(`/workflows/monitor-${key}`, { as: 'alice' })).body.state?.status === 'active',
    );
    expect(
      (await gw.call(`/monitors/${key}/pause`, { method: 'POST', as: 'alice', json: { reason: 'holiday' } })).body,
    ).toMatchObject({
      ok: true,
      status: 'paused',
    });
    expect((await gw.call(`/monitors/${key}/pause`, { method: 'POST', as: 'alice', json: {} })).status).toBe(409);
    expect((await gw.call(`/monitors/${key}/resume`, { method: 'POST', as: 'alice' })).body).toMatchObject({
      ok: true,
      status: 'active',
    });
    expect((await gw.call(`/workflows/monitor-${key}/events`, { as: 'alice' })).status).toBe(409);
    const c = await gw.call(`/workflows/monitor-${key}/cancel`, { method: 'POST', as: 'alice', json: {} });
    expect(c.status).toBe(200);
  });
});
