/**
 * Mix simulator, one file per product area: sessions + messages (./sessions.ts), the event stream
 * (./stream.ts), notifications + permissions (./notifications.ts), over shared state (./core.ts).
 *
 * Wire truth is the published SDK (mix-python-sdk 0.8.1), not our guesses (see src/providers/mix/wire.ts):
 * - Auth: the SDK sends no credential at all, so a request without one is served (identity
 *   `default`); a Bearer key the sandbox knows scopes a tenant for tests, an unknown one is a 401.
 * - Errors: `{error: {code: <status>, type: <one of five>, message}}`; the seed's example names
 *   (`missing_title`, …) lead the message.
 * - No Idempotency-Key: a repeated request is a new one.
 */
import { bearer, type PlatformSim } from '../../framework.js';
import type { SandboxContext } from '../../server.js';
import { createMixCore, errorBody } from './core.js';
import { createAsks } from './notifications.js';
import { createSessionArea } from './sessions.js';
import { createStreamHandler } from './stream.js';

export function createMixSim(ctx: SandboxContext): PlatformSim {
  const core = createMixCore(ctx);
  const asks = createAsks(core);
  const sessions = createSessionArea(core, asks);
  return {
    platform: 'mix',
    authenticate(headers) {
      const key = bearer(headers);
      // The SDK authenticates nothing: no credential is the ordinary case (tenant `default`).
      if (!key) return { identity: 'default', credential: '' };
      const identity = ctx.keys.identity('mix', key);
      return identity ? { identity, credential: key } : undefined;
    },
    errorBody,
    // mix-python-sdk sends and documents no Idempotency-Key: a repeated request is a new one.
    honoursIdempotencyKey: false,
    reset: sessions.reset,
    snapshot: sessions.snapshot,
    restore: sessions.restore,
    routes: [
      ...sessions.routes,
      { method: 'GET', pattern: '/stream', handler: createStreamHandler(core) },
      ...asks.routes,
    ],
  };
}
