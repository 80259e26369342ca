/**
 * Wyse Mate simulator, one file per product area: ./sessions.ts (API keys, teams, agents and team
 * sessions with their messages) and ./browsers.ts (a session's browsers and their pages).
 * Auth: `x-api-key: <key>`; paths, envelopes and status words as in src/providers/wysemate/routes.ts
 * (most are assumptions: the seed names operations, not paths).
 */
import { headerOf, type PlatformSim } from '../../framework.js';
import type { SandboxContext } from '../../server.js';
import { createBrowsers, type SimBrowser } from './browsers.js';
import { createTeamSessions, type SimSessionState } from './sessions.js';

/** The simulator's state as JSON (the catalogue is fixed and not part of it). */
interface WmSnapshot {
  sessions: SimSessionState[];
  browsers: SimBrowser[];
}

export function createWyseMateSim(ctx: SandboxContext): PlatformSim {
  const sessions = createTeamSessions(ctx, () => browsers);
  const browsers = createBrowsers({ browsersOf: (req, id) => sessions.browsersOf(req, id) });

  function reset(): void {
    sessions.reset();
    browsers.reset();
  }

  return {
    platform: 'wysemate',
    authenticate(headers) {
      const key = headerOf(headers, 'x-api-key');
      const identity = ctx.keys.identity('wysemate', key);
      return identity && key ? { identity, credential: key } : undefined;
    },
    // `{code, msg}` as the SDK's error handler reads it (assumption: the seed shows no error body).
    errorBody: (_status, code, detail, requestId) => ({ code, msg: detail, request_id: requestId }),
    // The seed documents no Idempotency-Key (its client sets only the API key): a repeated request is a new one.
    honoursIdempotencyKey: false,
    routes: [...sessions.routes, ...browsers.routes],
    reset,
    snapshot(): WmSnapshot {
      return { sessions: sessions.snapshot(), browsers: browsers.snapshot() };
    },
    restore(data: unknown) {
      const snap = structuredClone(data) as WmSnapshot;
      reset();
      browsers.restore(snap.browsers);
      sessions.restore(snap.sessions);
    },
  };
}
