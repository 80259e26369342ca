/**
 * One-time decision links, shared by the gateway (which issues them on request and redeems them)
 * and the worker (whose outbox attaches them to gate notifications at send time). A link is
 * `<gateway origin>/ui/l/<token>`, the token being HMAC-sealed claims (workflow, gate request,
 * digest, decision, person, expiry, link id) under the gateway secret. Only the gateway redeems
 * one: it checks the MAC, the expiry, that the id was never used, and (through the gate) that the
 * request and digest are still the ones open.
 *
 * A link is a bearer capability: it never enters a workflow's input, history or logs. The worker
 * mints links inside the activity that sends the notification, from what the gate shows then.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * Signs values with the gateway secret (HMAC-SHA256): session cookies, CSRF tokens and decision
 * links. Each use has its own label inside the MAC, so a value made for one can never pass as
 * another. A sealed value is `<base64url JSON>.<base64url MAC>`.
 */
export class Signer {
  constructor(private readonly secret: Buffer) {}

  /** The MAC of `text` under `label` (base64url). */
  mac(label: string, text: string): string {
    return createHmac('sha256', this.secret).update(`${label}\n${text}`).digest('base64url');
  }

  /** True when `mac` is the MAC of `text` under `label` (constant time). */
  check(label: string, text: string, mac: string): boolean {
    const want = Buffer.from(this.mac(label, text));
    const got = Buffer.from(mac);
    return want.length === got.length && timingSafeEqual(want, got);
  }

  /** `value` as JSON with its MAC under `label`. */
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

/** A random value for link ids and session nonces (18 bytes, base64url). */
export function newNonce(): string {
  return randomBytes(18).toString('base64url');
}

/** What a decision link carries (all of it is visible to whoever holds the link; none of it is secret). */
export const linkClaims = z
  .object({
    v: z.literal(1),
    /** Link id: used once, recorded in the gateway's `used-links.jsonl`. */
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
/** The claims of a decision link. */
export type LinkClaims = z.infer<typeof linkClaims>;

/** Longest a decision link may live. */
export const MAX_LINK_TTL_SECONDS = 7 * 86_400;

/** Seals a link's claims; `id` defaults to a fresh random one. */
export function sealLink(
  s: Signer,
  claims: Omit<LinkClaims, 'v' | 'id'> & { id?: string },
): { token: string; claims: LinkClaims } {
  const full: LinkClaims = { v: 1, ...claims, id: claims.id ?? newNonce() };
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

/** The page that redeems a link, on the gateway at `origin`. */
export function linkUrl(origin: string, token: string): string {
  return `${origin.replace(/\/+$/, '')}/ui/l/${token}`;
}

/** How a worker mints links for notifications (from `SWITCHBOARD_GATEWAY_ORIGIN` and `SWITCHBOARD_GATEWAY_SECRET`). */
export interface NotificationLinkSettings {
  /** The gateway's public origin, e.g. `https://switchboard.example.com`. */
  origin: string;
  /** The gateway secret (the same value the gateway signs with). */
  secret: string;
  /** How long a notification's links live, from the message's own time. @default 86400 */
  ttlSeconds?: number;
}

/** One approver's links in a notification. */
export interface ApproverLinks {
  approve?: string;
  reject?: string;
}

/** What a gate notification carries as `decisionLinks`. */
export interface NotificationLinks {
  requestId: string;
  digest: string;
  expiresAt: string;
  /** Approver name → their own approve / reject links (each decides as that person, once). */
  approvers: Record<string, ApproverLinks>;
}

/**
 * Links for every approver of an open gate, bound to its request and digest. Ids and expiry are
 * derived from the message id and time, so every attempt of one delivery sends the same body (a
 * receiver de-duplicating on `webhook-id` loses nothing) and the ids stay unguessable (a MAC).
 * Undefined when the links would already have expired (a dead letter replayed late).
 */
export function notificationLinks(
  settings: NotificationLinkSettings,
  gate: { workflowId: string; requestId: string; digest: string; approvers: string[]; allowed?: string[] },
  message: { messageId: string; createdAt: string },
  now = Date.now(),
): NotificationLinks | undefined {
  const ttl = Math.min(settings.ttlSeconds ?? 86_400, MAX_LINK_TTL_SECONDS);
  const exp = Date.parse(message.createdAt) + ttl * 1000;
  if (!Number.isFinite(exp) || exp <= now) return undefined;
  const signer = new Signer(Buffer.from(settings.secret, 'utf8'));
  const decisions = (['approve', 'reject'] as const).filter((d) => !gate.allowed || gate.allowed.includes(d));
  const approvers: Record<string, ApproverLinks> = Object.create(null) as Record<string, ApproverLinks>;
  for (const person of gate.approvers) {
    const links: ApproverLinks = {};
    for (const decision of decisions) {
      const id = signer
        .mac('notification-link-id', `${message.messageId}\n${gate.requestId}\n${person}\n${decision}`)
        .slice(0, 32);
      const { token } = sealLink(signer, {
        id,
        workflowId: gate.workflowId,
        requestId: gate.requestId,
        digest: gate.digest,
        decision,
        decider: person,
        exp,
      });
      links[decision] = linkUrl(settings.origin, token);
    }
    approvers[person] = links;
  }
  return {
    requestId: gate.requestId,
    digest: gate.digest,
    expiresAt: new Date(exp).toISOString(),
    approvers: { ...approvers },
  };
}
