/**
 * ArchAstro simulator. Auth: `Authorization: Bearer <key>` (see src/providers/archastro/routes.ts).
 */
import { bearer, type PlatformSim } from '../framework.js';
import type { SandboxContext } from '../server.js';

export function createArchAstroSim(ctx: SandboxContext): PlatformSim {
  return {
    platform: 'archastro',
    authenticate(headers) {
      const key = bearer(headers);
      const identity = ctx.keys.identity('archastro', key);
      return identity && key ? { identity, credential: key } : undefined;
    },
    errorBody: (_status, code, detail, requestId) => ({ code, detail, request_id: requestId }),
    routes: [],
  };
}
