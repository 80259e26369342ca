/**
 * The web inbox as a person uses it: sign-in, CSRF (token and Origin) on every form, one-time
 * decision links (used twice, expired, tampered — refused and audited, also after a restart), and
 * headless Chromium signing in, approving a deep-research outline, watching it complete, and
 * reloading a session page mid-stream without losing or repeating an entry.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { dedupeLines } from '../../src/artifacts/store.js';
import type { TranscriptEntry } from '../../src/contracts/sessions.js';
import type { IssuedLink } from '../../src/gateway/links.js';
import { sealLink } from '../../src/gateway/tokens.js';
import type { DeepResearchResult } from '../../src/workflows/deepResearch.js';
import { createHarness, type Harness, switchboardCli } from '../support/harness.js';
import { browser, researchAtGate, startTestGateway, type TestGateway, testKeysDir } from './support.js';

const CHROMIUM =
  process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
if (!CHROMIUM)
  console.warn(
    '\n*** Chromium not found: the browser test is SKIPPED (apt-get install -y chromium, or set CHROMIUM_PATH) ***\n',
  );

/** The part of a transcript `<li>` read in the page (the tests type-check without the DOM library). */
type TranscriptItem = { getAttribute(name: string): string | null };

let h: Harness;
let gw: TestGateway;
let keysDir: string;
beforeAll(async () => {
  keysDir = testKeysDir();
  h = await createHarness({
    name: 'gw-web',
    extraEnv: { SWITCHBOARD_KEYS_DIR: keysDir, SWITCHBOARD_DECISION_PROOF: 'required' },
  });
  gw = await startTestGateway({ sb: h.sb, artifactDir: h.artifactsDir, keysDir, people: ['alice', 'bob'] });
});
afterAll(async () => {
  await gw?.close();
  await h?.close();
});

const historyLength = async (id: string) => (await h.client.workflow.getHandle(id).fetchHistory()).events?.length ?? 0;

describe('forms', () => {
  it('sign-in and decisions need the CSRF token and the gateway’s Origin; refusals change nothing', async () => {
    const b = browser(() => gw.url);
    const login = await b.request('/ui/login');
    expect(login.status).toBe(200);
    expect(login.headers.get('content-security-policy')).toContain("script-src 'self'");
    const csrf = b.csrfOf(login.text);
    // No token, a wrong Origin, no Origin at all: refused.
    expect(
      (await b.request('/ui/login', { method: 'POST', form: { name: 'alice', password: gw.people.alice!.password } }))
        .status,
    ).toBe(403);
    expect(
      (
        await b.request('/ui/login', {
          method: 'POST',
          origin: 'http://evil.example',
          form: { _csrf: csrf, name: 'alice', password: gw.people.alice!.password },
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await b.request('/ui/login', {
          method: 'POST',
          origin: null,
          form: { _csrf: csrf, name: 'alice', password: gw.people.alice!.password },
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await b.request('/ui/login', {
          method: 'POST',
          form: { _csrf: csrf, name: 'alice', password: 'wrong-password-000' },
        })
      ).status,
    ).toBe(401);
    const ok = await b.request('/ui/login', {
      method: 'POST',
      form: { _csrf: csrf, name: 'alice', password: gw.people.alice!.password },
    });
    expect(ok.status).toBe(303);
    const cookie = ok.headers.getSetCookie().find((c) => c.startsWith('sb_session='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);

    const { workflowId, gate } = await researchAtGate(h, 'CSRF-protected decisions');
    const page = await b.request(`/ui/gates/${workflowId}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(gate.digest!);
    expect(page.text).not.toContain(gw.people.alice!.token);
    const token = b.csrfOf(page.text);
    const before = await historyLength(workflowId);
    const form = { decision: 'approve', requestId: gate.requestId!, digest: gate.digest! };
    expect((await b.request(`/ui/gates/${workflowId}/decide`, { method: 'POST', form })).status).toBe(403);
    expect(
      (await b.request(`/ui/gates/${workflowId}/decide`, { method: 'POST', form: { ...form, _csrf: 'forged' } }))
        .status,
    ).toBe(403);
    expect(
      (
        await b.request(`/ui/gates/${workflowId}/decide`, {
          method: 'POST',
          origin: 'http://evil.example',
          form: { ...form, _csrf: token },
        })
      ).status,
    ).toBe(403);
    // Another person's session token does not pass either.
    const other = browser(() => gw.url);
    await other.request('/ui/login');
    expect(
      (await other.request(`/ui/gates/${workflowId}/decide`, { method: 'POST', form: { ...form, _csrf: token } }))
        .status,
    ).toBe(401);
    expect(await historyLength(workflowId)).toBe(before);
    // The API refuses a cookie for a state change (forms go through the CSRF-checked routes).
    expect(
      (
        await b.request(`/workflows/${workflowId}/decision`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"decision":"approve"}',
        })
      ).status,
    ).toBe(401);
    expect(gw.deps.audit.read().filter((e) => e.event === 'csrf.refused').length).toBeGreaterThanOrEqual(5);

    const done = await b.request(`/ui/gates/${workflowId}/decide`, { method: 'POST', form: { ...form, _csrf: token } });
    expect(done.status).toBe(200);
    expect(done.text).toContain('approve recorded');
    expect(done.text).toContain('verified');
    expect((await h.sb.gate(workflowId)).decided).toEqual([
      expect.objectContaining({ decider: 'alice', identity: 'verified' }),
    ]);
  });
});

describe('decision links', () => {
  it('a link decides once; used, expired and tampered links are refused and audited, also after a restart', async () => {
    const { workflowId, gate } = await researchAtGate(h, 'Decided by a link');
    const issued = await gw.call<IssuedLink>('/links', {
      method: 'POST',
      as: 'alice',
      json: { workflowId, decision: 'approve', ttlSeconds: 600 },
    });
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({ requestId: gate.requestId, digest: gate.digest });
    // Not for someone who is not an approver.
    expect(
      (await gw.call('/links', { method: 'POST', as: 'bob', json: { workflowId, decision: 'approve' } })).status,
    ).toBe(403);
    const path = new URL(issued.body.url).pathname;

    const b = browser(() => gw.url);
    const shown = await b.request(path);
    expect(shown.status).toBe(200);
    expect(shown.text).toContain(gate.digest!);
    // Opening the link decides nothing (mail scanners open links); the form does.
    expect((await h.sb.gate(workflowId)).open).toBe(true);
    const used = await b.request(path, { method: 'POST', form: { _csrf: b.csrfOf(shown.text) } });
    expect(used.status).toBe(200);
    expect((await h.sb.gate(workflowId)).decided).toEqual([
      expect.objectContaining({ decider: 'alice', decision: 'approve', identity: 'verified' }),
    ]);
    const again = await b.request(path, { method: 'POST', form: { _csrf: b.csrfOf(shown.text) } });
    expect(again.status).toBe(410);
    expect(again.text).toContain('used');

    const { workflowId: wf2, gate: g2 } = await researchAtGate(h, 'Expired and tampered links');
    const expired = sealLink(gw.deps.signer, {
      workflowId: wf2,
      requestId: g2.requestId!,
      digest: g2.digest!,
      decision: 'approve',
      decider: 'alice',
      exp: Date.now() - 1000,
    });
    const live = sealLink(gw.deps.signer, {
      workflowId: wf2,
      requestId: g2.requestId!,
      digest: g2.digest!,
      decision: 'approve',
      decider: 'alice',
      exp: Date.now() + 60_000,
    });
    // Tampered: the claims say bob (not signed so), or the MAC is changed.
    const [body, mac] = live.token.split('.');
    const claims = JSON.parse(Buffer.from(body!, 'base64url').toString());
    const forged = `${Buffer.from(JSON.stringify({ ...claims, decider: 'bob' })).toString('base64url')}.${mac}`;
    const flipped = `${body}.${mac!.slice(0, -2)}${mac!.endsWith('AA') ? 'BB' : 'AA'}`;
    const before = await historyLength(wf2);
    for (const [token, why] of [
      [expired.token, 'expired'],
      [forged, 'tampered'],
      [flipped, 'tampered'],
    ] as const) {
      const c = browser(() => gw.url);
      const got = await c.request(`/ui/l/${token}`);
      expect(got.status).toBe(410);
      const posted = await c.request(`/ui/l/${token}`, {
        method: 'POST',
        form: { _csrf: c.csrfOf((await c.request('/ui/login')).text) },
      });
      expect(posted.status).toBe(410);
      expect(posted.text).toContain(why);
    }
    expect(await historyLength(wf2)).toBe(before);

    // A restarted gateway (same state directory) still refuses the used link.
    const dir = gw.dir;
    await gw.close();
    gw = await startTestGateway({ sb: h.sb, artifactDir: h.artifactsDir, keysDir, people: ['alice', 'bob'], dir });
    const c = browser(() => gw.url);
    const after = await c.request(path);
    expect(after.status).toBe(410);
    const events = gw.deps.audit.read().map((e) => e.event);
    expect(events).toEqual(
      expect.arrayContaining([
        'link.issued',
        'link.used',
        'link.refused.used',
        'link.refused.expired',
        'link.refused.tampered',
      ]),
    );
  });
});

describe('the CLI', () => {
  it('users add issues a token the running gateway accepts; link issues a one-time link it honours', async () => {
    const cli = switchboardCli(h, {
      SWITCHBOARD_GATEWAY_DIR: gw.dir,
      SWITCHBOARD_KEYS_DIR: keysDir,
      SWITCHBOARD_GATEWAY_ORIGIN: gw.url,
    });
    const added = await cli('--json', 'users', 'add', 'erin');
    expect(added.code).toBe(0);
    const erin = JSON.parse(added.stdout) as { token: string; password: string; keyId: string };
    expect(erin.token).toMatch(/^sbg_/);
    expect(readFileSync(join(gw.dir, 'users.json'), 'utf8')).not.toContain(erin.token);
    expect(readFileSync(join(gw.dir, 'users.json'), 'utf8')).not.toContain(erin.password);
    const inbox = await fetch(`${gw.url}/inbox`, { headers: { authorization: `Bearer ${erin.token}` } });
    expect(inbox.status).toBe(200);
    expect((await cli('users', 'add', 'erin')).code).toBe(2);

    const { workflowId, gate } = await researchAtGate(h, 'Linked from the CLI');
    // Refusals are typed like every other command's: 4 refused, 2 invalid input (JSON with --json).
    const refused = await cli('link', workflowId, '--for', 'bob');
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('not an approver');
    const tooLong = await cli('--json', 'link', workflowId, '--for', 'alice', '--ttl', '8d');
    expect(tooLong.code).toBe(2);
    expect(JSON.parse(tooLong.stderr.trim().split('\n').pop()!)).toMatchObject({ error: 'invalid_input' });
    const made = await cli('--json', 'link', workflowId, '--for', 'alice', '--ttl', '30m');
    expect(made.code).toBe(0);
    const link = JSON.parse(made.stdout) as { url: string; requestId: string };
    expect(link.requestId).toBe(gate.requestId);
    const b = browser(() => gw.url);
    const path = new URL(link.url).pathname;
    const shown = await b.request(path);
    expect((await b.request(path, { method: 'POST', form: { _csrf: b.csrfOf(shown.text) } })).status).toBe(200);
    expect((await h.sb.gate(workflowId)).decided).toEqual([
      expect.objectContaining({ decider: 'alice', identity: 'verified', comment: 'via decision link' }),
    ]);
  });
});

describe.skipIf(!CHROMIUM)('in a browser (headless Chromium)', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });
  afterAll(async () => browser?.close());

  it('signs in, approves an outline from the inbox, watches the research complete, reloads a live session without loss or repeat', async () => {
    const { workflowId, gate } = await researchAtGate(h, 'Browser-approved research');
    const page = await browser.newPage();
    await page.goto(`${gw.url}/ui/inbox`);
    // Not signed in: the sign-in page, then back to the inbox.
    await page.fill('input[name=name]', 'alice');
    await page.fill('input[name=password]', gw.people.alice!.password);
    await page.click('button:has-text("Sign in")');
    await page.waitForURL(/\/ui\/inbox$/);
    const row = page.locator(`tr[data-workflow="${workflowId}"]`);
    await expect(row.textContent()).resolves.toContain('research_outline');
    await row.locator('a').first().click();
    await page.waitForSelector('#digest');
    expect(await page.textContent('#digest')).toBe(gate.digest);
    expect(await page.textContent('#shown')).toContain('sections');
    await page.click('#approve');
    await page.waitForSelector('#outcome');
    expect(await page.textContent('#outcome')).toContain('approve recorded');
    await page.click(`a:has-text("Follow ${workflowId}")`);
    await page.waitForSelector('#stream-status[data-ended], #stream-status:has-text("ended")', { timeout: 30_000 });
    expect(await page.textContent('#stream-status')).toContain('COMPLETED');
    const research = (await h.client.workflow.getHandle(workflowId).result()) as DeepResearchResult;
    expect(research.status).toBe('completed');

    // A slow session: reload the page while it streams; every entry once, in order.
    await h.control.script('gw-web-slow', [
      ...Array.from({ length: 30 }, () => [
        { type: 'emit' as const, count: 1 },
        { type: 'wait' as const, ms: 100 },
      ]).flat(),
      { type: 'finish', result: 'done' },
    ]);
    const { workflowId: sid } = await h.sb.startSession({ platform: 'webagent', task: 'Stream me script:gw-web-slow' });
    await page.goto(`${gw.url}/ui/sessions/${sid}`);
    await page.waitForSelector('#transcript li:nth-child(6)', { timeout: 20_000 });
    await page.reload();
    await page.waitForSelector('#stream-status[data-ended]', { timeout: 30_000 });
    const shown = await page.$$eval('#transcript li', (lis: TranscriptItem[]) =>
      lis.map((li) => ({ pos: Number(li.getAttribute('data-pos')), id: li.getAttribute('data-id') })),
    );
    const result = await h.sb.result(sid);
    const file = result.artifacts.find((a) => a.name === 'transcript.jsonl')!;
    const transcript = dedupeLines<TranscriptEntry>(readFileSync(new URL(file.uri), 'utf8'));
    expect(shown.map((s) => s.pos)).toEqual(transcript.map((_, i) => i + 1));
    expect(shown.map((s) => s.id)).toEqual(transcript.map((t) => t.id));
    expect(transcript.filter((t) => t.kind === 'progress')).toHaveLength(30);
    await page.close();
  }, 90_000);
});
