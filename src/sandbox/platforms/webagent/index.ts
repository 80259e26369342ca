/**
 * Web Agent simulator, one file per product area of the seed's one `Client`:
 * - ./sessions.ts: DoAnything sessions, tasks, messages, input requests and the SSE channel;
 * - ./deep-research.ts: DeepResearch (pidless), a DoAnything task with an outline gate;
 * - ./web-search.ts: WebSearch;
 * - ./track.ts: Track monitors, snapshots and webhook deliveries.
 * Auth: `Authorization: Bearer <key>`; the error envelope is the seed's `{code, detail, extra}`.
 * Routes and wire shapes follow src/providers/webagent/routes.ts and schemas.ts (most of them
 * assumptions, marked there). Each file lists its own error-path triggers.
 */
import { bearer, type PlatformSim } from '../../framework.js';
import type { SandboxContext } from '../../server.js';
import { checkSafety, cursorPage } from './common.js';
import { createDeepResearch } from './deep-research.js';
import { createDoAnything, type DoAnythingSnapshot } from './sessions.js';
import { createTrackSim, type TrackMonitor } from './track.js';
import { createWebSearch, type WsTask } from './web-search.js';

/** The simulator's state as JSON (one shape for all product areas, as persisted since before the split). */
interface WaSnapshot extends DoAnythingSnapshot {
  searches: WsTask[];
  monitors: TrackMonitor[];
}

/** Extra details per error code, like the platform's `extra` (seed: `e.detail, e.extra`). */
function extraFor(code: string): Record<string, unknown> {
  if (code === 'insufficient_credits') return { balance_credits: 0, top_up_url: 'https://webagent.example/billing' };
  if (code === 'budget_exceeded') return { budget_credits: 100, used_credits: 100 };
  if (code === 'rate_limit_exceeded') return { limit_per_minute: 60 };
  return {};
}

export function createWebAgentSim(ctx: SandboxContext): PlatformSim {
  const doAnything = createDoAnything(ctx);
  const deepResearch = createDeepResearch(doAnything);
  const webSearch = createWebSearch(ctx);
  const track = createTrackSim(ctx, { cursorPage, checkSafety });

  function reset(): void {
    doAnything.reset();
    webSearch.reset();
    track.reset();
  }

  return {
    platform: 'webagent',
    authenticate(headers) {
      const key = bearer(headers);
      const identity = ctx.keys.identity('webagent', key);
      return identity && key ? { identity, credential: key } : undefined;
    },
    // The seed's envelope: `{code, detail, extra}` (request id beside it).
    errorBody: (_status, code, detail, requestId) => ({ code, detail, extra: extraFor(code), request_id: requestId }),
    // The seed documents no Idempotency-Key: a repeated request is a new one, as on the real service.
    honoursIdempotencyKey: false,
    routes: [...doAnything.routes, ...deepResearch.routes, ...webSearch.routes, ...track.routes],
    reset,
    snapshot(): WaSnapshot {
      return { ...doAnything.snapshot(), searches: webSearch.snapshot(), monitors: track.snapshot() };
    },
    restore(data: unknown) {
      const snap = structuredClone(data) as WaSnapshot;
      reset();
      doAnything.restore(snap);
      webSearch.restore(snap.searches);
      track.restore(snap.monitors);
    },
  };
}
