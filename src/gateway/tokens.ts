/**
 * Everything the gateway signs with its secret (HMAC-SHA256): session cookies, CSRF tokens and
 * one-time decision links. Each use has its own label inside the MAC, so a value made for one
 * can never pass as another.
 */
import { timingSafeEqual } from 'node:crypto';
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

/** Person, nonce (CSRF tokens are bound to it), expiry, and the person's credential generation. */
const sessionValue = z.object({ u: z.string(), n: z.string(), exp: z.number(), g: z.string() }).strict();
export type WebSession = z.infer<typeof sessionValue>;

/**
 * A person's credential generation: a MAC of their stored password hash (fresh salt on every
 * `users add --reset`). A session carries the generation it was signed in under, so a reset ends
 * every session signed in before it — as it replaces their API token.
 */
export function sessionGeneration(s: Signer, user: { name: string; password: string }): string {
  return s.mac('session-generation', `${user.name}\n${user.password}`).slice(0, 22);
}

export function sealSession(
  s: Signer,
  user: { name: string; password: string },
  now = Date.now(),
): { value: string; session: WebSession } {
  const session = { u: user.name, n: newNonce(), exp: now + SESSION_TTL_MS, g: sessionGeneration(s, user) };
  return { value: s.seal('session', session), session };
}

export function openSession(s: Signer, value: string | undefined, now = Date.now()): WebSession | undefined {
  if (!value) return undefined;
  const parsed = sessionValue.safeParse(s.open('session', value));
  return parsed.success && parsed.data.exp > now ? parsed.data : undefined;
}

/**
 * The session's person as stored now, or undefined when the cookie is missing, forged or old, the
 * person is gone, or their password was reset since (read on each request).
 */
export function sessionPerson<U extends { name: string; password: string }>(
  s: Signer,
  value: string | undefined,
  lookup: (name: string) => U | undefined,
  now = Date.now(),
): { session: WebSession; user: U } | undefined {
  const session = openSession(s, value, now);
  const user = session ? lookup(session.u) : undefined;
  if (!session || !user) return undefined;
  const want = Buffer.from(sessionGeneration(s, user));
  const got = Buffer.from(session.g);
  return want.length === got.length && timingSafeEqual(want, got) ? { session, user } : undefined;
}

/** The CSRF token of a nonce (the session's, or the pre-sign-in cookie's): forms carry it. */
export function csrfToken(s: Signer, nonce: string): string {
  return s.mac('csrf', nonce);
}

export function checkCsrf(s: Signer, nonce: string | undefined, token: unknown): boolean {
  return typeof nonce === 'string' && typeof token === 'string' && token.length > 0 && s.check('csrf', nonce, token);
}
