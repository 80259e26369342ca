/**
 * Optional sign-in through an OpenID Connect provider: the authorization-code flow with PKCE
 * (S256), a `state` and a `nonce`, the ID token verified with `jose` against the provider's
 * published keys (issuer, audience, expiry — with 60 s of clock leeway — and nonce). The token's
 * `sub` is mapped to a Switchboard person (`oidcSubjects` in `users.json`, set with
 * `switchboard users set <name> --oidc-subject`);
 * the provider proves who signed in, and that person's own signing key still proves each decision.
 * A subject no person claims is refused and audited. Without configuration none of this is mounted.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import type { Signer } from '../identity/links.js';

/** The provider and this gateway's registration with it (`SWITCHBOARD_OIDC_*`). */
export interface OidcSettings {
  /**
   * `SWITCHBOARD_OIDC_ISSUER`: the issuer URL; its discovery document is at
   * `<issuer>/.well-known/openid-configuration`.
   */
  issuer: string;
  /** `SWITCHBOARD_OIDC_CLIENT_ID` */
  clientId: string;
  /** `SWITCHBOARD_OIDC_CLIENT_SECRET` (sent with HTTP Basic to the token endpoint); a public client uses PKCE alone. */
  clientSecret?: string;
  /** `SWITCHBOARD_OIDC_REDIRECT_URL`. @default `<gateway origin>/ui/oidc/callback` */
  redirectUrl?: string;
  /** Shown on the sign-in button. @default the issuer's host */
  label?: string;
}

const discoveryDoc = z.object({
  issuer: z.string().url(),
  authorization_endpoint: z.string().url(),
  token_endpoint: z.string().url(),
  jwks_uri: z.string().url(),
});
type Discovery = z.infer<typeof discoveryDoc>;

/** The flow's secrets, kept in a sealed, short-lived cookie between the redirect and the callback. */
const flowValue = z.object({ s: z.string(), n: z.string(), v: z.string(), next: z.string(), exp: z.number() }).strict();
/** State, nonce, PKCE verifier, where to go after, expiry. */
export type OidcFlow = z.infer<typeof flowValue>;

/** The cookie that carries {@link OidcFlow} (SameSite=Lax: the callback is a cross-site redirect). */
export const OIDC_COOKIE = 'sb_oidc';
/** How long a person has to sign in at the provider. */
export const OIDC_FLOW_TTL_MS = 10 * 60_000;

/** Leeway for the ID token's times (`iat`, `exp`, `nbf`) against a provider's clock. */
export const OIDC_CLOCK_TOLERANCE = '60 s';

/** Why a sign-in through the provider failed: shown to the person and audited. */
export class OidcError extends Error {}

/** One configured provider: discovery (cached once it succeeded), the redirect, the code exchange. */
export class OidcClient {
  private discovery?: Promise<{ doc: Discovery; jwks: ReturnType<typeof createRemoteJWKSet> }>;

  /** `origin`: the gateway's own origin once it listens (the default redirect URL is under it). */
  constructor(
    readonly settings: OidcSettings,
    private readonly origin: () => string,
  ) {}

  /** Where the provider sends the person back. */
  get redirectUrl(): string {
    return this.settings.redirectUrl ?? `${this.origin()}/ui/oidc/callback`;
  }

  /** The button label. */
  get label(): string {
    return this.settings.label ?? new URL(this.settings.issuer).host;
  }

  private discover() {
    this.discovery ??= (async () => {
      const issuer = this.settings.issuer.replace(/\/+$/, '');
      const res = await fetch(`${issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new OidcError(`the provider's discovery document answered ${res.status}`);
      const doc = discoveryDoc.safeParse(await res.json());
      if (!doc.success) throw new OidcError("the provider's discovery document is not valid");
      // OpenID Connect Discovery §4.3: the issuer in the document is exactly the one configured.
      if (doc.data.issuer.replace(/\/+$/, '') !== issuer)
        throw new OidcError(`the provider says it is ${doc.data.issuer}, not ${this.settings.issuer}`);
      return { doc: doc.data, jwks: createRemoteJWKSet(new URL(doc.data.jwks_uri), { timeoutDuration: 10_000 }) };
    })();
    // A provider that was down is asked again next time.
    this.discovery.catch(() => (this.discovery = undefined));
    return this.discovery;
  }

  /** Starts a sign-in: the provider URL to redirect to, and the sealed flow for the cookie. */
  async begin(signer: Signer, next: string, now = Date.now()): Promise<{ url: string; cookie: string }> {
    const { doc } = await this.discover();
    const flow: OidcFlow = { s: rand(), n: rand(), v: rand(32), next, exp: now + OIDC_FLOW_TTL_MS };
    const url = new URL(doc.authorization_endpoint);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: this.settings.clientId,
      redirect_uri: this.redirectUrl,
      scope: 'openid',
      state: flow.s,
      nonce: flow.n,
      code_challenge: createHash('sha256').update(flow.v).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    return { url: url.toString(), cookie: signer.seal('oidc-flow', flow) };
  }

  /** The flow a callback belongs to, or undefined when the cookie is missing, forged or old. */
  static flow(signer: Signer, cookie: string | undefined, now = Date.now()): OidcFlow | undefined {
    if (!cookie) return undefined;
    const f = flowValue.safeParse(signer.open('oidc-flow', cookie));
    return f.success && f.data.exp > now ? f.data : undefined;
  }

  /**
   * Finishes a sign-in: checks `state`, exchanges the code (with the PKCE verifier) at the token
   * endpoint and verifies the ID token (signature by the provider's keys, issuer, audience,
   * expiry, nonce). Returns the token's subject and claims.
   */
  async finish(flow: OidcFlow, q: { code?: string; state?: string }): Promise<{ sub: string; claims: JWTPayload }> {
    if (!q.state || !sameText(q.state, flow.s))
      throw new OidcError('the sign-in answer does not belong to this browser (state)');
    if (!q.code || q.code.length > 4096) throw new OidcError('the provider sent no authorization code');
    const { doc, jwks } = await this.discover();
    const body = new URLSearchParams({
      grant_type: 'authorization_code',
      code: q.code,
      redirect_uri: this.redirectUrl,
      code_verifier: flow.v,
      client_id: this.settings.clientId,
    });
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (this.settings.clientSecret)
      headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(this.settings.clientId)}:${encodeURIComponent(this.settings.clientSecret)}`).toString('base64')}`;
    const res = await fetch(doc.token_endpoint, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
    const tokens = (await res.json().catch(() => ({}))) as { id_token?: unknown; error?: unknown };
    if (!res.ok || typeof tokens.id_token !== 'string')
      throw new OidcError(
        `the provider refused the code (${res.status}${typeof tokens.error === 'string' ? ` ${tokens.error}` : ''})`,
      );
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(tokens.id_token, jwks, {
        issuer: doc.issuer,
        audience: this.settings.clientId,
        maxTokenAge: '10 min',
        // The provider's clock is not ours: without leeway a token it issued in the second before
        // our clock ticks over (its `iat` "in the future") is refused at random.
        clockTolerance: OIDC_CLOCK_TOLERANCE,
      }));
    } catch (err) {
      throw new OidcError(`the ID token does not verify: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (typeof claims.nonce !== 'string' || !sameText(claims.nonce, flow.n))
      throw new OidcError('the ID token was not issued for this sign-in (nonce)');
    // Several audiences: the token must have been issued to us (azp), OpenID Connect Core §3.1.3.7.
    if (Array.isArray(claims.aud) && claims.aud.length > 1 && claims.azp !== this.settings.clientId)
      throw new OidcError('the ID token was issued to another client');
    if (typeof claims.sub !== 'string' || !claims.sub) throw new OidcError('the ID token names no subject');
    return { sub: claims.sub, claims };
  }
}

function rand(bytes = 18): string {
  return randomBytes(bytes).toString('base64url');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
