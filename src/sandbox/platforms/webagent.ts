/**
 * WebAgent simulator. Auth: `Authorization: Bearer <key>` (see src/providers/webagent/routes.ts).
 */
import { bearer, type PlatformSim } from '../framework.js';
import type { SandboxContext } from '../server.js';

export function createWebAgentSim(ctx: SandboxContext): PlatformSim {
  return {
    platform: 'webagent',
    authenticate(headers) {
      const key = bearer(headers);
      const identity = ctx.keys.identity('webagent', key);
      return identity && key ? { identity, credential: key } : undefined;
    },
    errorBody: (_status, code, detail, requestId) => ({ code, detail, request_id: requestId }),
    routes: [],
  };
}
