/**
 * Mix simulator. Auth: `Authorization: Bearer <key>` (see src/providers/mix/routes.ts).
 */
import { bearer, type PlatformSim } from '../framework.js';
import type { SandboxContext } from '../server.js';

export function createMixSim(ctx: SandboxContext): PlatformSim {
  return {
    platform: 'mix',
    authenticate(headers) {
      const key = bearer(headers);
      const identity = ctx.keys.identity('mix', key);
      return identity && key ? { identity, credential: key } : undefined;
    },
    errorBody: (_status, code, detail, requestId) => ({ code, detail, request_id: requestId }),
    routes: [],
  };
}
