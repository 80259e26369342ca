/**
 * Who may do what at the gateway: sign-in and decision-link attempts are rate limited per address
 * and name (429, audited); a viewer reads the inbox and gates but sees no decision forms, and every
 * change they try (form or API) is refused with 403 and changes nothing in history; sign-in through
 * an OIDC provider (a small provider started here on 127.0.0.1: discovery, JWKS, /authorize,
 * /token with PKCE) maps the provider's subject to a Switchboard person, whose own key then proves
 * their decisions. Without OIDC configuration the login page and routes are as before.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealLink } from '../../src/identity/links.js';
import { createHarness, type Harness } from '../support/harness.js';
import {
  type ApiProblem,
  browser,
  researchAtGate,
  startTestGateway,
  type TestGateway,
  testKeysDir,
} from './support.js';

let h: Harness;
let gw: TestGateway;
let plain: TestGateway;
let idp: FakeIdp;
let keysDir: string;
beforeAll(async () => {
  keysDir = testKeysDir();
  h = await createHarness({
    name: 'gw-access',
    extraEnv: { SWITCHBOARD_KEYS_DIR: keysDir, SWITCHBOARD_DECISION_PROOF: 'required' },
  });
  idp = await startFakeIdp();
  gw = await startTestGateway({
    sb: h.sb,
    artifactDir: h.artifactsDir,
    keysDir,
    people: ['alice', 'bob', 'dave', 'victor'],
    viewers: ['victor'],
    options: {
      rateLimits: { windowMs: 60_000, perName: 3, perAddress: 30 },
      oidc: { issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret, label: 'Test IdP' },
    },
  });
  idp.redirectUri = `${gw.url}/ui/oidc/callback`;
  // The same people, no OIDC configured: nothing about sign-in changes.
  plain = await startTestGateway({ sb: h.sb, artifactDir: h.artifactsDir, keysDir, people: ['alice'], dir: gw.dir });
});
afterAll(async () => {
  await plain?.close();
  await gw?.close();
  await idp?.close();
  await h?.close();
});

const historyLength = async (id: string) => (await h.client.workflow.getHandle(id).fetchHistory()).events?.length ?? 0;

describe('rate limits', () => {
  it('sign-in: after 3 refusals for a name from one address, 429 (even with the right password); another name still signs in', async () => {
    const b = browser(gw.url);
    for (let i = 0; i < 3; i++) expect((await b.signIn('bob', `wrong-password-${i}00`)).status).toBe(401);
    const limited = await b.signIn('bob', gw.people.bob!.password);
    expect(limited.status).toBe(429);
    expect(limited.text).toContain('Too many failed sign-in attempts for bob');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(b.jar.has('sb_session')).toBe(false);
    // Names are counted apart; a successful sign-in costs nothing.
    const other = browser(gw.url);
    expect((await other.signIn('alice', gw.people.alice!.password)).status).toBe(303);
    expect((await other.signIn('alice', gw.people.alice!.password)).status).toBe(303);
    expect(gw.deps.audit.read()).toEqual(
      expect.arrayContaining([expect.objectContaining({ event: 'sign_in.rate_limited', who: 'bob', ip: '127.0.0.1' })]),
    );
  });

  it('decision links: after 3 refused links for a person, 429 — even for their valid link, which stays unused', async () => {
    const { workflowId, gate } = await researchAtGate(h, 'Rate-limited links', ['dave']);
    const claims = {
      workflowId,
      requestId: gate.requestId!,
      digest: gate.digest!,
      decision: 'approve' as const,
      decider: 'dave',
    };
    const b = browser(gw.url);
    for (let i = 0; i < 3; i++) {
      const expired = sealLink(gw.deps.signer, { ...claims, exp: Date.now() - 1000 });
      expect((await b.request(`/ui/l/${expired.token}`)).status).toBe(410);
    }
    const valid = sealLink(gw.deps.signer, { ...claims, exp: Date.now() + 600_000 });
    const limited = await b.request(`/ui/l/${valid.token}`);
    expect(limited.status).toBe(429);
    expect(limited.text).toContain('Too many failed decision-link attempts for dave');
    expect(gw.deps.usedLinks.has(valid.claims.id)).toBe(false);
    expect((await h.sb.gate(workflowId)).open).toBe(true);
    await h.sb.cancel(workflowId).catch(() => undefined);
  });
});

describe('sessions', () => {
  it('a password reset ends the person’s signed-in browser sessions (pages and the API’s cookie reads)', async () => {
    const first = 'first-password-1234';
    await gw.deps.users.add('reset-me', { password: first });
    const b = browser(gw.url);
    expect((await b.signIn('reset-me', first)).status).toBe(303);
    expect((await b.request('/ui/inbox')).status).toBe(200);
    expect((await b.request('/inbox')).status).toBe(200);
    // The password leaked: `switchboard users add reset-me --reset`.
    const second = 'second-password-1234';
    await gw.deps.users.add('reset-me', { reset: true, password: second });
    const page = await b.request('/ui/inbox');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toContain('/ui/login');
    expect((await b.request('/inbox')).status).toBe(401);
    // The new password signs in as before.
    expect((await b.signIn('reset-me', second)).status).toBe(303);
    expect((await b.request('/ui/inbox')).status).toBe(200);
  });
});

describe('roles', () => {
  it('a viewer sees the inbox and the gate without decision forms; their posts and API changes are refused 403 and change nothing', async () => {
    const { workflowId, gate } = await researchAtGate(h, 'Viewed, not decided', ['alice', 'victor']);
    const b = browser(gw.url);
    expect((await b.signIn('victor', gw.people.victor!.password)).status).toBe(303);
    const inbox = await b.request('/ui/inbox');
    expect(inbox.status).toBe(200);
    expect(inbox.text).toContain(workflowId);
    const page = await b.request(`/ui/gates/${workflowId}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(gate.digest!);
    expect(page.text).not.toContain('/decide"');
    expect(page.text).toContain('is a viewer');
    // An approver with the decider role sees the forms on the same gate.
    const a = browser(gw.url);
    await a.signIn('alice', gw.people.alice!.password);
    expect((await a.request(`/ui/gates/${workflowId}`)).text).toContain('/decide"');

    const before = await historyLength(workflowId);
    const post = await b.request(`/ui/gates/${workflowId}/decide`, {
      method: 'POST',
      form: { _csrf: b.csrfOf(page.text), decision: 'approve', requestId: gate.requestId!, digest: gate.digest! },
    });
    expect(post.status).toBe(403);
    expect(post.text).toContain('victor is a viewer');
    const api = await gw.call<ApiProblem>(`/workflows/${workflowId}/decision`, {
      method: 'POST',
      as: 'victor',
      json: { decision: 'approve', digest: gate.digest },
    });
    expect(api.status).toBe(403);
    expect(api.body.error.type).toBe('forbidden');
    expect((await gw.call(`/workflows/${workflowId}/cancel`, { method: 'POST', as: 'victor', json: {} })).status).toBe(
      403,
    );
    expect(
      (await gw.call('/links', { method: 'POST', as: 'victor', json: { workflowId, decision: 'approve' } })).status,
    ).toBe(403);
    // Reading through the API is fine.
    expect((await gw.call(`/workflows/${workflowId}/gate`, { as: 'victor' })).status).toBe(200);
    // A link made out to a viewer (e.g. minted by a worker that does not know roles) does not decide either.
    const link = sealLink(gw.deps.signer, {
      workflowId,
      requestId: gate.requestId!,
      digest: gate.digest!,
      decision: 'approve',
      decider: 'victor',
      exp: Date.now() + 60_000,
    });
    const shown = await b.request(`/ui/l/${link.token}`);
    expect(
      (await b.request(`/ui/l/${link.token}`, { method: 'POST', form: { _csrf: b.csrfOf(shown.text) } })).status,
    ).toBe(403);
    expect(await historyLength(workflowId)).toBe(before);
    expect((await h.sb.gate(workflowId)).decided).toHaveLength(0);
    const refused = gw.deps.audit.read().filter((e) => e.who === 'victor');
    expect(refused.map((e) => e.event)).toEqual(expect.arrayContaining(['viewer.refused', 'link.refused.viewer']));

    // The role is read on each request: promoted, the same session decides.
    gw.deps.users.update('victor', { role: 'decider' });
    const again = await b.request(`/ui/gates/${workflowId}`);
    expect(again.text).toContain('/decide"');
    const decided = await b.request(`/ui/gates/${workflowId}/decide`, {
      method: 'POST',
      form: { _csrf: b.csrfOf(again.text), decision: 'approve', requestId: gate.requestId!, digest: gate.digest! },
    });
    expect(decided.status).toBe(200);
    expect((await h.sb.gate(workflowId)).decided).toEqual([
      expect.objectContaining({ decider: 'victor', identity: 'verified' }),
    ]);
    gw.deps.users.update('victor', { role: 'viewer' });
  });
});

describe('OIDC sign-in', () => {
  /** Runs the whole flow as a browser: start → provider → callback. */
  async function oidcSignIn(b: ReturnType<typeof browser>, tamper?: (callback: URL) => void) {
    const start = await b.request('/ui/oidc/start?next=/ui/inbox');
    expect(start.status).toBe(302);
    const authorize = new URL(start.headers.get('location')!);
    expect(authorize.origin).toBe(idp.issuer);
    const atIdp = await b.request(authorize.toString());
    expect(atIdp.status).toBe(302);
    const callback = new URL(atIdp.headers.get('location')!);
    tamper?.(callback);
    return b.request(callback.pathname + callback.search);
  }

  it('the provider’s subject signs in as the person it is mapped to, who then decides with their own key', async () => {
    gw.deps.users.update('alice', { oidcSubjects: ['idp|alice-0001'] });
    const b = browser(gw.url);
    const login = await b.request('/ui/login');
    expect(login.text).toContain('Sign in with Test IdP');
    const start = await b.request('/ui/oidc/start?next=/ui/inbox');
    const flowCookie = start.headers.getSetCookie().find((c) => c.startsWith('sb_oidc='))!;
    expect(flowCookie).toMatch(/SameSite=Lax/);
    expect(flowCookie).toMatch(/HttpOnly/);
    const authorize = new URL(start.headers.get('location')!);
    // PKCE S256, state and nonce on the way out.
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get('state')).toBeTruthy();
    expect(authorize.searchParams.get('nonce')).toBeTruthy();
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${gw.url}/ui/oidc/callback`);

    idp.nextSubject = 'idp|alice-0001';
    const done = await oidcSignIn(b);
    expect(done.status).toBe(200);
    expect(done.text).toContain('Signed in as alice');
    expect(b.jar.has('sb_session')).toBe(true);
    expect(b.jar.has('sb_oidc')).toBe(false);
    const inbox = await b.request('/ui/inbox');
    expect(inbox.status).toBe(200);
    expect(inbox.text).toContain('alice');
    expect(idp.tokenRequests.at(-1)).toMatchObject({ pkceOk: true, clientAuthOk: true });

    const { workflowId, gate } = await researchAtGate(h, 'Decided after OIDC sign-in', ['alice']);
    const page = await b.request(`/ui/gates/${workflowId}`);
    const decided = await b.request(`/ui/gates/${workflowId}/decide`, {
      method: 'POST',
      form: { _csrf: b.csrfOf(page.text), decision: 'approve', requestId: gate.requestId!, digest: gate.digest! },
    });
    expect(decided.status).toBe(200);
    expect((await h.sb.gate(workflowId)).decided).toEqual([
      expect.objectContaining({ decider: 'alice', identity: 'verified' }),
    ]);
    expect(gw.deps.audit.read()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ event: 'signin', who: 'alice', detail: 'oidc idp|alice-0001' }),
      ]),
    );
  });

  it('refused and audited: an unmapped subject, a forged state, no flow cookie, a token signed by another key, a wrong nonce', async () => {
    idp.nextSubject = 'idp|stranger';
    const b1 = browser(gw.url);
    const unmapped = await oidcSignIn(b1);
    expect(unmapped.status).toBe(403);
    expect(unmapped.text).toContain('no Switchboard person');
    expect(b1.jar.has('sb_session')).toBe(false);

    idp.nextSubject = 'idp|alice-0001';
    const b2 = browser(gw.url);
    const forged = await oidcSignIn(b2, (u) => u.searchParams.set('state', 'forged-state'));
    expect(forged.status).toBe(401);
    expect(forged.text).toContain('state');

    const b3 = browser(gw.url);
    const noCookie = await oidcSignIn(b3, () => b3.jar.delete('sb_oidc'));
    expect(noCookie.status).toBe(401);

    idp.forgeNext = 'key';
    const b4 = browser(gw.url);
    const badKey = await oidcSignIn(b4);
    expect(badKey.status).toBe(401);
    expect(badKey.text).toContain('does not verify');

    idp.forgeNext = 'nonce';
    const b5 = browser(gw.url);
    const badNonce = await oidcSignIn(b5);
    expect(badNonce.status).toBe(401);
    expect(badNonce.text).toContain('nonce');
    for (const b of [b2, b3, b4, b5]) expect(b.jar.has('sb_session')).toBe(false);

    const audit = gw.deps.audit.read().filter((e) => e.event === 'signin.refused' && e.detail?.startsWith('oidc:'));
    expect(audit.length).toBeGreaterThanOrEqual(5);
    expect(audit.some((e) => e.detail!.includes('idp|stranger'))).toBe(true);
  });

  it('the ID token’s issuer, audience, expiry and algorithm are checked (another client’s, an expired, an HS256 token are refused)', async () => {
    for (const forge of ['audience', 'issuer', 'expired', 'hs256'] as const) {
      idp.nextSubject = 'idp|alice-0001';
      idp.forgeNext = forge;
      const b = browser(gw.url);
      const refused = await oidcSignIn(b);
      expect([forge, refused.status]).toEqual([forge, 401]);
      expect(refused.text).toContain('does not verify');
      expect(b.jar.has('sb_session')).toBe(false);
    }
  });

  it('a provider whose clock runs a few seconds ahead (its token issued “in the future”) still signs people in', async () => {
    gw.deps.users.update('alice', { oidcSubjects: ['idp|alice-0001'] });
    idp.nextSubject = 'idp|alice-0001';
    idp.clockAheadSeconds = 5;
    try {
      const b = browser(gw.url);
      const done = await oidcSignIn(b);
      expect(done.text).toContain('Signed in as alice');
      expect(done.status).toBe(200);
    } finally {
      idp.clockAheadSeconds = 0;
    }
  });

  it('without OIDC configuration: no button, and the routes answer 404', async () => {
    const b = browser(plain.url);
    const login = await b.request('/ui/login');
    expect(login.status).toBe(200);
    expect(login.text).not.toContain('/ui/oidc/start');
    expect((await b.request('/ui/oidc/start')).status).toBe(404);
    expect((await b.request('/ui/oidc/callback?code=x&state=y')).status).toBe(404);
    expect((await b.signIn('alice', plain.people.alice!.password)).status).toBe(303);
  });
});

// ---- a small OIDC provider on 127.0.0.1 (test-side stand-in for an external IdP) ----

interface FakeIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  nextSubject: string;
  /**
   * The next ID token is signed by a key not in the JWKS, carries another nonce, is for another
   * client or from another issuer, has expired, or is HMAC-signed with the client secret.
   */
  forgeNext?: 'key' | 'nonce' | 'audience' | 'issuer' | 'expired' | 'hs256';
  /** How far ahead of the gateway's clock the provider's runs (its tokens' `iat`), in seconds. */
  clockAheadSeconds: number;
  tokenRequests: { pkceOk: boolean; clientAuthOk: boolean }[];
  close(): Promise<void>;
}

async function startFakeIdp(): Promise<FakeIdp> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const stranger = await generateKeyPair('RS256');
  const kid = 'test-key-1';
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const codes = new Map<string, { challenge: string; nonce: string; sub: string; redirectUri: string }>();
  const state: FakeIdp = {
    issuer: '',
    clientId: 'switchboard-test',
    clientSecret: randomBytes(16).toString('hex'),
    redirectUri: '',
    nextSubject: '',
    clockAheadSeconds: 0,
    tokenRequests: [],
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url!, state.issuer);
    if (req.method === 'GET' && url.pathname === '/.well-known/openid-configuration')
      return json(res, 200, {
        issuer: state.issuer,
        authorization_endpoint: `${state.issuer}/authorize`,
        token_endpoint: `${state.issuer}/token`,
        jwks_uri: `${state.issuer}/jwks`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
      });
    if (req.method === 'GET' && url.pathname === '/jwks') return json(res, 200, { keys: [jwk] });
    if (req.method === 'GET' && url.pathname === '/authorize') {
      const q = url.searchParams;
      if (
        q.get('client_id') !== state.clientId ||
        q.get('redirect_uri') !== state.redirectUri ||
        q.get('response_type') !== 'code'
      )
        return json(res, 400, { error: 'invalid_request' });
      if (q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge'))
        return json(res, 400, { error: 'invalid_request', detail: 'PKCE required' });
      const code = randomBytes(16).toString('hex');
      codes.set(code, {
        challenge: q.get('code_challenge')!,
        nonce: q.get('nonce') ?? '',
        sub: state.nextSubject,
        redirectUri: q.get('redirect_uri')!,
      });
      const back = new URL(state.redirectUri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state') ?? '');
      res.writeHead(302, { location: back.toString() });
      return res.end();
    }
    if (req.method === 'POST' && url.pathname === '/token') {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        void (async () => {
          const form = new URLSearchParams(text);
          const auth = req.headers.authorization ?? '';
          const clientAuthOk =
            auth === `Basic ${Buffer.from(`${state.clientId}:${state.clientSecret}`).toString('base64')}`;
          const grant = codes.get(form.get('code') ?? '');
          codes.delete(form.get('code') ?? '');
          const pkceOk =
            !!grant &&
            createHash('sha256')
              .update(form.get('code_verifier') ?? '')
              .digest('base64url') === grant.challenge;
          state.tokenRequests.push({ pkceOk, clientAuthOk });
          if (
            !grant ||
            !clientAuthOk ||
            !pkceOk ||
            form.get('redirect_uri') !== grant.redirectUri ||
            form.get('grant_type') !== 'authorization_code'
          )
            return json(res, 400, { error: 'invalid_grant' });
          const forge = state.forgeNext;
          state.forgeNext = undefined;
          const key: KeyLike | Uint8Array =
            forge === 'key'
              ? stranger.privateKey
              : forge === 'hs256'
                ? new TextEncoder().encode(state.clientSecret)
                : privateKey;
          const at = Math.floor(Date.now() / 1000) + state.clockAheadSeconds - (forge === 'expired' ? 3600 : 0);
          const idToken = await new SignJWT({ nonce: forge === 'nonce' ? 'another-nonce' : grant.nonce })
            .setProtectedHeader({ alg: forge === 'hs256' ? 'HS256' : 'RS256', kid })
            .setIssuer(forge === 'issuer' ? 'http://127.0.0.1:1/other-issuer' : state.issuer)
            .setAudience(forge === 'audience' ? 'another-client' : state.clientId)
            .setSubject(grant.sub)
            .setIssuedAt(at)
            .setExpirationTime(at + 300)
            .sign(key);
          json(res, 200, { access_token: 'unused', token_type: 'Bearer', expires_in: 300, id_token: idToken });
        })();
      });
      return;
    }
    json(res, 404, { error: 'not_found' });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  state.issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}
