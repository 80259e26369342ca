/**
 * Everything the gateway signs with its secret (HMAC-SHA256): session cookies, CSRF tokens and
 * one-time decision links. Each use has its own label inside the MAC, so a value made for one
 * can never pass as another.
 */
import { z } from 'zod';
import { newNonce, type Signer } from '../identity/links.js';

// The signer and decision links live in src/identity/links.ts: the worker mints links too.
export {
  linkClaims,
  type LinkClaims,
  MAX_LINK_TTL_SECONDS,
  newNonce,
  openLink,
  sealLink,
  Signer,
} from '../identity/links.js';

export const SESSION_COOKIE = 'sb_session';
/** Before sign-in: a nonce the sign-in form's CSRF token is bound to. */
export const PRE_COOKIE = 'sb_pre';
/** Session lifetime. @default 12 h */
export const SESSION_TTL_MS = 12 * 3600_000;

const sessionValue = z.object({ u: z.string(), n: z.string(), exp: z.number() }).strict();
export type WebSession = z.infer<typeof sessionValue>;

export function sealSession(s: Signer, user: string, now = Date.now()): { value: string; session: WebSession } {
  const session = { u: user, n: newNonce(), exp: now + SESSION_TTL_MS };
  return { value: s.seal('session', session), session };
}

export function openSession(s: Signer, value: string | undefined, now = Date.now()): WebSession | undefined {
  if (!value) return undefined;
  const parsed = sessionValue.safeParse(s.open('session', value));
  return parsed.success && parsed.data.exp > now ? parsed.data : undefined;
}

/** The CSRF token of a nonce (the session's, or the pre-sign-in cookie's): forms carry it. */
export function csrfToken(s: Signer, nonce: string): string {
  return s.mac('csrf', nonce);
}

export function checkCsrf(s: Signer, nonce: string | undefined, token: unknown): boolean {
  return typeof nonce === 'string' && typeof token === 'string' && token.length > 0 && s.check('csrf', nonce, token);
}
