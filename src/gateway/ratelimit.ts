/**
 * Rate limits on what can be guessed at: web sign-in (a password), the OIDC callback, and
 * decision-link redemption. Counted per remote address *and* per name (the person signing in, or
 * the person a link decides as), so one address cannot try many passwords for one person, and a
 * second, looser limit per address alone stops it from spraying across names. Only refusals count
 * (a successful sign-in or a link that opens is free), so a person who types their password right
 * is never held up. Counters live in this gateway process (`hono-rate-limiter`'s memory store):
 * replicas behind a load balancer each count their own.
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { every } from 'hono/combine';
import { rateLimiter } from 'hono-rate-limiter';
import type { GatewayAudit } from './state.js';

/** Limits per window. */
export interface RateLimits {
  /** @default 900000 (15 min) */
  windowMs: number;
  /** Refused attempts per (address, name) in a window. @default 10 */
  perName: number;
  /** Refused attempts per address, whatever the name. @default 100 */
  perAddress: number;
}

/** 10 refusals per (address, name) and 100 per address in 15 minutes. */
export const DEFAULT_RATE_LIMITS: RateLimits = { windowMs: 15 * 60_000, perName: 10, perAddress: 100 };

/** The peer address of the connection (the gateway binds loopback or sits behind its own TLS proxy). */
export function remoteAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Two limiters in a row (per name, then per address) answering 429 with `Retry-After` and a body
 * that says what happened; each refusal is audited once. `nameOf` reads the name the attempt is
 * for (the form's `name`, a link's decider).
 */
export function attemptLimit(
  what: string,
  limits: RateLimits,
  audit: GatewayAudit,
  /** The name an attempt is for; without it only the per-address limit applies. */
  nameOf: ((c: Context) => Promise<string>) | undefined,
  answer: (c: Context, message: string) => Response,
): MiddlewareHandler {
  // The name each attempt is for, as the per-name key generator read it (it runs first, for this
  // same context). The limiter types `handler` as synchronous (it answers with what the handler
  // returns), so a refusal looks the name up here instead of awaiting `nameOf` again.
  const names = new WeakMap<Context, string>();
  const refusal = (scope: 'name' | 'address') => (c: Context) => {
    const name = names.get(c) ?? '';
    const minutes = Math.ceil(limits.windowMs / 60_000);
    const message =
      scope === 'name'
        ? `Too many failed ${what} attempts for ${name || 'this name'} from your address. Try again in ${minutes} minutes.`
        : `Too many failed ${what} attempts from your address. Try again in ${minutes} minutes.`;
    audit.write({
      event: `${what.replace(/\W+/g, '_')}.rate_limited`,
      who: name.slice(0, 100) || undefined,
      ip: remoteAddress(c),
      detail: `per ${scope}`,
    });
    c.header('Retry-After', String(Math.ceil(limits.windowMs / 1000)));
    return answer(c, message);
  };
  const common = {
    windowMs: limits.windowMs,
    standardHeaders: 'draft-6' as const,
    // Only refusals count: a person who signs in at the first try spends nothing.
    skipSuccessfulRequests: true,
  };
  const perName = rateLimiter({
    ...common,
    limit: limits.perName,
    keyGenerator: async (c) => {
      const name = (await nameOf?.(c)) ?? '';
      names.set(c, name);
      return `${remoteAddress(c)}\n${name.toLowerCase()}`;
    },
    handler: refusal('name'),
  });
  const perAddress = rateLimiter({
    ...common,
    limit: limits.perAddress,
    keyGenerator: (c) => remoteAddress(c),
    handler: refusal('address'),
  });
  // `every` runs them in order and makes either one's 429 the response.
  return nameOf ? every(perName, perAddress) : perAddress;
}
