/**
 * Decision links in notifications: a worker that knows the gateway's origin and secret attaches
 * each approver's one-time approve/reject links to the gate's notifications at send time. The
 * receiver gets a signed message with the links; following one through the gateway decides the
 * gate once as that person (proven with their key), a second use is refused and audited, and no
 * link token ever reaches the workflow's history (or the delivery's).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SandboxControl } from '../../src/sandbox/control.js';
import type { DeepResearchResult } from '../../src/workflows/deepResearch.js';
import { Webhook } from 'standardwebhooks';
import { createHarness, eventually, type Harness } from '../support/harness.js';
import { freePort, startTestGateway, type TestGateway, testKeysDir } from './support.js';

const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const GATEWAY_SECRET = randomBytes(32).toString('base64url');

let h: Harness;
let gw: TestGateway;
let inbox: string;
/** Another configured endpoint (not where gates send their notifications). */
let opsInbox: string;
beforeAll(async () => {
  const keysDir = testKeysDir();
  const port = await freePort();
  inbox = `gw-links-${Date.now()}`;
  opsInbox = `gw-links-ops-${Date.now()}`;
  const origin = `http://127.0.0.1:${port}`;
  // The receiver: the sandbox's webhook inbox on 127.0.0.1, as the default endpoint.
  const control = new SandboxControl(inject('sandboxOrigin'));
  h = await createHarness({
    name: 'gw-links',
    extraEnv: {
      SWITCHBOARD_KEYS_DIR: keysDir,
      SWITCHBOARD_DECISION_PROOF: 'required',
      SWITCHBOARD_GATEWAY_ORIGIN: origin,
      SWITCHBOARD_GATEWAY_SECRET: GATEWAY_SECRET,
      SWITCHBOARD_NOTIFY_WEBHOOK: control.webhookUrl(inbox),
      SWITCHBOARD_NOTIFY_SECRET: WEBHOOK_SECRET,
      SWITCHBOARD_WEBHOOK_OPS_URL: control.webhookUrl(opsInbox),
      SWITCHBOARD_WEBHOOK_OPS_SECRET: WEBHOOK_SECRET,
    },
  });
  gw = await startTestGateway({
    sb: h.sb,
    artifactDir: h.artifactsDir,
    keysDir,
    people: ['alice', 'bob'],
    port,
    secret: GATEWAY_SECRET,
  });
});
afterAll(async () => {
  await gw?.close();
  await h?.close();
});

interface GateMessage {
  type: string;
  data: {
    workflowId: string;
    requestId: string;
    approvers: string[];
    decisionLinks?: {
      requestId: string;
      digest: string;
      expiresAt: string;
      approvers: Record<string, { approve?: string; reject?: string }>;
    };
  };
}

/** The gate notifications the receiver got for a workflow, after checking each one's signature. */
async function received(workflowId: string, at = inbox): Promise<GateMessage[]> {
  const wh = new Webhook(WEBHOOK_SECRET);
  return (await h.control.webhooks(at))
    .map((d) => wh.verify(d.raw, d.headers) as GateMessage)
    .filter((m) => m.data.workflowId === workflowId);
}

/** A history as text with every payload decoded (payload bytes would hide a token from a plain search). */
function readable(history: unknown): string {
  return JSON.stringify(history, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v));
}

/** GET a link page, then post its form (as a browser would: its cookie, its CSRF token, our Origin). */
async function follow(url: string, form: Record<string, string> = {}, browser?: { cookie: string; csrf: string }) {
  const shown = await fetch(url, { redirect: 'manual', headers: browser ? { cookie: browser.cookie } : {} });
  const html = await shown.text();
  const cookie =
    browser?.cookie ??
    shown.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
  const csrf = browser?.csrf ?? /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const res = await fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, origin: new URL(url).origin },
    body: new URLSearchParams({ _csrf: csrf, ...form }).toString(),
  });
  return { shownStatus: shown.status, html, status: res.status, text: await res.text(), browser: { cookie, csrf } };
}

describe('decision links in notifications', () => {
  it('a gate opens → a signed notification with each approver’s links → one use decides, a second is refused; history holds no link', async () => {
    const { workflowId } = await h.sb.startResearch({
      topic: 'Linked from a notification',
      approvers: ['alice', 'bob'],
    });
    const gate = await eventually(async () => {
      const g = await h.sb.gate(workflowId);
      return g.open ? g : undefined;
    });
    const opened = await eventually(async () => (await received(workflowId)).find((m) => m.type === 'gate.opened'), {
      timeoutMs: 20_000,
    });
    const links = opened.data.decisionLinks!;
    expect(links).toMatchObject({ requestId: gate.requestId, digest: gate.digest });
    expect(Object.keys(links.approvers).sort()).toEqual(['alice', 'bob']);
    expect(links.approvers.alice!.approve).toMatch(new RegExp(`^${gw.url}/ui/l/`));
    expect(Date.parse(links.expiresAt)).toBeGreaterThan(Date.now() + 3600_000);

    // Opening decides nothing; the form decides once, as alice, proven with her key.
    const first = await follow(links.approvers.alice!.approve!);
    expect(first.shownStatus).toBe(200);
    expect(first.html).toContain(gate.digest!);
    expect(first.status).toBe(200);
    const res = (await h.client.workflow.getHandle(workflowId).result()) as DeepResearchResult;
    expect(res.status).toBe('completed');
    const decided = (await h.sb.gate(workflowId)).decided;
    expect(decided).toEqual([
      expect.objectContaining({
        decider: 'alice',
        decision: 'approve',
        identity: 'verified',
        comment: 'via decision link',
      }),
    ]);

    // The same link again, and bob's reject link on the decided gate: refused, audited, nothing changes.
    const historyBefore = (await h.client.workflow.getHandle(workflowId).fetchHistory()).events?.length;
    // (The same browser posting the same form again: its nonce and CSRF token still hold; the link does not.)
    const again = await follow(links.approvers.alice!.approve!, {}, first.browser);
    expect(again.shownStatus).toBe(410);
    expect(again.status).toBe(410);
    expect(again.text).toContain('used');
    const late = await follow(links.approvers.bob!.reject!, { reason: 'too late' }, first.browser);
    expect(late.status).toBeGreaterThanOrEqual(400);
    expect((await h.client.workflow.getHandle(workflowId).fetchHistory()).events?.length).toBe(historyBefore);
    expect((await h.sb.gate(workflowId)).decided).toHaveLength(1);
    const audit = gw.deps.audit.read().filter((e) => e.workflowId === workflowId);
    expect(audit.map((e) => e.event)).toEqual(
      expect.arrayContaining(['link.used', 'link.refused.used', 'link.refused.by_gate']),
    );

    // No link token in any history: the gate's, or the delivery that sent it.
    const tokens = Object.values(links.approvers).flatMap((l) =>
      [l.approve, l.reject].map((u) => new URL(u!).pathname.split('/').pop()!),
    );
    const histories = [
      workflowId,
      `outbox-default-${(await h.control.webhooks(inbox)).find((d) => d.headers['webhook-id']?.startsWith('gate.opened'))!.headers['webhook-id']}`,
    ];
    for (const id of histories) {
      const json = readable(await h.client.workflow.getHandle(id).fetchHistory());
      expect(json).toContain('requestId'); // payloads are decoded (a field name only they carry)
      expect(json.length).toBeGreaterThan(100);
      for (const t of tokens) {
        expect(json).not.toContain(t);
        expect(json).not.toContain(t.split('.')[1]);
      }
      expect(json).not.toContain('/ui/l/');
    }
  });

  it('links go only where the gate sends its notifications: a gate message anyone queues for another endpoint has none', async () => {
    const { workflowId } = await h.sb.startResearch({ topic: 'Not for other endpoints', approvers: ['alice', 'bob'] });
    const gate = await eventually(async () => {
      const g = await h.sb.gate(workflowId);
      return g.open ? g : undefined;
    });
    // Anyone who can start workflows in the namespace can queue a message that names the open
    // gate, for any configured endpoint (the trust model: data, never authority).
    await h.sb.outbox.send({
      endpoint: 'ops',
      messageId: `forged-${Date.now()}`,
      eventType: 'gate.opened',
      payload: { workflowId, requestId: gate.requestId },
    });
    const forged = await eventually(async () => (await received(workflowId, opsInbox))[0], { timeoutMs: 20_000 });
    expect(forged.type).toBe('gate.opened');
    expect(forged.data.decisionLinks).toBeUndefined();
    expect(JSON.stringify(forged)).not.toContain('/ui/l/');
    // The gate's own notification, on the endpoint gates notify, still carries them.
    const opened = await eventually(async () => (await received(workflowId)).find((m) => m.type === 'gate.opened'), {
      timeoutMs: 20_000,
    });
    expect(opened.data.decisionLinks?.approvers.alice?.approve).toMatch(new RegExp(`^${gw.url}/ui/l/`));
  });
});
