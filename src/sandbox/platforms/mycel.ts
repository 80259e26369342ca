/**
 * Mycel simulator. Auth: `Authorization: Bearer <key>` (see src/providers/mycel/routes.ts).
 */
import { bearer, type PlatformSim } from '../framework.js';
import type { SandboxContext } from '../server.js';

export function createMycelSim(ctx: SandboxContext): PlatformSim {
  return {
    platform: 'mycel',
    authenticate(headers) {
      const key = bearer(headers);
      const identity = ctx.keys.identity('mycel', key);
      return identity && key ? { identity, credential: key } : undefined;
    },
    errorBody: (_status, code, detail, requestId) => ({ code, detail, request_id: requestId }),
    routes: [],
  };
}
