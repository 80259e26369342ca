/**
 * WyseMate simulator. Auth: `x-api-key: <key>` (see src/providers/wysemate/routes.ts).
 */
import { headerOf, type PlatformSim } from '../framework.js';
import type { SandboxContext } from '../server.js';

export function createWyseMateSim(ctx: SandboxContext): PlatformSim {
  return {
    platform: 'wysemate',
    authenticate(headers) {
      const key = headerOf(headers, 'x-api-key');
      const identity = ctx.keys.identity('wysemate', key);
      return identity && key ? { identity, credential: key } : undefined;
    },
    errorBody: (_status, code, detail, requestId) => ({ code, detail, request_id: requestId }),
    routes: [],
  };
}
