/**
 * Everything the gateway signs with its secret (HMAC-SHA256): session cookies, CSRF tokens and
 * one-time decision links. Each use has its own label inside the MAC, so a value made for one
 * can never pass as another.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** A value and its MAC: `<base64url JSON>.<base64url MAC>`. */
export class Signer {
  constructor(private readonly secret: Buffer) {}

  mac(label: string, text: string): string {
    return createHmac('sha256', this.secret).update(`${label}\n${text}`).digest('base64url');
  }

  /** True when `mac` is the MAC of `text` under `label` (constant time). */
  check(label: string, text: string, mac: string): boolean {
    const want = Buffer.from(this.mac(label, text));
    const got = Buffer.from(mac);
    return want.length === got.length && timingSafeEqual(want, got);
  }

  seal(label: string, value: unknown): string {
    const body = Buffer.from(JSON.stringify(value)).toString('base64url');
    return `${body}.${this.mac(label, body)}`;
  }

  /** The sealed value, or undefined when malformed or its MAC does not hold. */
  open(label: string, sealed: string): unknown {
    const [body, mac, extra] = sealed.split('.');
    if (!body || !mac || extra !== undefined || !this.check(label, body, mac)) return undefined;
    try {
      return JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
  }
}

export const SESSION_COOKIE = 'sb_session';
/** Before sign-in: a nonce the sign-in form's CSRF token is bound to. */
export const PRE_COOKIE = 'sb_pre';
/** Session lifetime. @default 12 h */
export const SESSION_TTL_MS = 12 * 3600_000;

const sessionValue = z.object({ u: z.string(), n: z.string(), exp: z.number() }).strict();
export type WebSession = z.infer<typeof sessionValue>;

export function newNonce(): string {
  return randomBytes(18).toString('base64url');
}

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

/** What a decision link carries (all of it is visible to whoever holds the link; none of it is secret). */
export const linkClaims = z
  .object({
    v: z.literal(1),
    /** Link id: used once, recorded in `used-links.jsonl`. */
    id: z.string().min(8).max(64),
    workflowId: z.string().min(1).max(1000),
    requestId: z.string().min(1).max(500),
    /** The digest of what the person is asked about: a changed outline makes the link stale. */
    digest: z.string().min(1).max(200),
    decision: z.enum(['approve', 'reject']),
    /** Who decides through the link (the person it was sent to; they must be an approver). */
    decider: z.string().min(1).max(100),
    /** Expiry, ms since the epoch. */
    exp: z.number().int().positive(),
  })
  .strict();
export type LinkClaims = z.infer<typeof linkClaims>;

/** Longest a decision link may live. */
export const MAX_LINK_TTL_SECONDS = 7 * 86_400;

export function sealLink(s: Signer, claims: Omit<LinkClaims, 'v' | 'id'>): { token: string; claims: LinkClaims } {
  const full: LinkClaims = { v: 1, id: newNonce(), ...claims };
  return { token: s.seal('decision-link', full), claims: full };
}

/** Why a link is refused (`tampered`, `expired`), or its claims. Used-ness is checked by the caller. */
export function openLink(
  s: Signer,
  token: string,
  now = Date.now(),
): { ok: true; claims: LinkClaims } | { ok: false; why: 'tampered' | 'expired'; claims?: LinkClaims } {
  if (token.length > 4096) return { ok: false, why: 'tampered' };
  const parsed = linkClaims.safeParse(s.open('decision-link', token));
  if (!parsed.success) return { ok: false, why: 'tampered' };
  if (parsed.data.exp <= now) return { ok: false, why: 'expired', claims: parsed.data };
  return { ok: true, claims: parsed.data };
}
