/**
 * Mycel simulator: bearer-token identities, direct and group chats, messages with per-member read
 * cursors and the caught-up rule, join requests, member mute, relationships, per-user runtime
 * notifications (WebSocket with `seq` resume, `wait` long poll, `drain`), and managed-agent threads.
 * One file per product area: identities.ts, chats.ts (chats and messages), joinRequests.ts,
 * relationships.ts, inbox.ts (notifications); the state and shared rules are in store.ts.
 *
 * Identities: a token maps to a user id through `ctx.keys` (`POST /_control/keys {platform:'mycel',
 * key, identity}`; `sb_mycel_default` is user `default`) or through the sim's own token table, which
 * holds the seeded tokens plus tokens issued by login/register/create_external. The sim's table
 * exists because `/_control/reset` resets the KeyRing *after* the sims, so keys a sim added to
 * `ctx.keys` during its reset would be wiped at once. Any identity a token names is a user
 * (created on first sight), so tests can invent users with one control call.
 *
 * Idempotency-Key: mycel-sdk 0.1.83 neither sends nor documents it, so the sandbox ignores it, as
 * the real service would (a repeated request is a new one). The sandbox-wide replay switch
 * (`replayIdempotencyKeys`, `/_control/idempotency`) turns replay on for a test that wants it.
 */
import { bearer, type PlatformSim } from '../../framework.js';
import type { SandboxContext } from '../../server.js';
import { chatRoutes } from './chats.js';
import { identityRoutes } from './identities.js';
import { inboxRoutes, subscribeSocket } from './inbox.js';
import { joinRequestRoutes } from './joinRequests.js';
import { relationshipRoutes } from './relationships.js';
import { MycelStore } from './store.js';

export { MYCEL_DEMO_AGENT, MYCEL_SANDBOX_OTP, MYCEL_SEED_TOKENS } from './store.js';
export { WAIT_MAX_SECONDS } from './inbox.js';

export function createMycelSim(ctx: SandboxContext): PlatformSim {
  const s = new MycelStore();
  return {
    platform: 'mycel',
    authenticate(headers) {
      const key = bearer(headers);
      if (!key) return undefined;
      // ctx.keys first, so a test can point any token (even a seeded one) at another user.
      const identity = ctx.keys.identity('mycel', key) ?? s.tokens.get(key);
      if (!identity) return undefined;
      s.ensureUser(identity);
      return { identity, credential: key };
    },
    // FastAPI's `{detail}`, plus a machine code and the request id (what a custom handler adds).
    errorBody: (_status, code, detail, requestId) => ({ detail, code, request_id: requestId }),
    routes: [
      ...identityRoutes(s),
      ...chatRoutes(s),
      ...joinRequestRoutes(s),
      ...relationshipRoutes(s),
      ...inboxRoutes(s),
    ],
    sockets: [{ pattern: '/api/runtime/inbox/subscribe', handler: subscribeSocket(s) }],
    honoursIdempotencyKey: false,
    reset: () => s.reset(),
    snapshot: () => s.snapshot(),
    restore: (data) => s.restore(data),
  };
}
