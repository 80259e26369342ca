/**
 * ArchAstro simulator: agent sessions (./sessions.ts), agent routines and runs (./routines.ts) and
 * their status streams (./streams.ts) under `/api/v1/…`, the paths in
 * src/providers/archastro/wire.ts (which also lists every wire-shape source and assumption).
 *
 * Auth as the published SDKs send it: an app key in `x-archastro-api-key`, a user/bot access token
 * in `Authorization: Bearer` (both resolve through the sandbox key ring). Errors:
 * `{error: {code, message, request_id}}`. Multi-value filters are read the way Phoenix's Plug reads
 * them: `key[]` gives a list, a bare repeated key keeps only its last value.
 */
import { bearer, headerOf, type PlatformSim } from '../../framework.js';
import type { SandboxContext } from '../../server.js';
import { createRoutineArea } from './routines.js';
import { createSessionArea } from './sessions.js';
import type { AaSnapshot, AaState, SimSession } from './shared.js';
import { createStreams } from './streams.js';

export function createArchAstroSim(ctx: SandboxContext): PlatformSim {
  const st: AaState = {
    sessions: new Map(),
    routines: new Map(),
    runs: new Map(),
    runsByKey: new Map(),
    sessionsByKey: new Map(),
    seq: 0,
  };
  const streams = createStreams(ctx);
  const sessions = createSessionArea(ctx, st, {
    onStatus(s) {
      routines.settle(s);
      streams.sessionChanged(s, sessions.view(s));
    },
    onEvent: (s, e) => streams.sessionEvent(s, e),
    stream: (s) => streams.session(s, sessions.view(s)),
  });
  const routines = createRoutineArea(st, {
    createSession: sessions.createSession,
    deliver: sessions.deliver,
    lastAssistant: sessions.lastAssistant,
    onRunChange: (r) => streams.runChanged(r, routines.runView(r)),
    stream: (r) => streams.run(r, routines.runView(r)),
  });

  routines.seedRoutines();

  return {
    platform: 'archastro',
    authenticate(headers) {
      // App key header (SDK withSecretKey) or a bearer access token (SDK withToken / bot tokens).
      const key = headerOf(headers, 'x-archastro-api-key') ?? bearer(headers);
      const identity = ctx.keys.identity('archastro', key);
      return identity && key ? { identity, credential: key } : undefined;
    },
    errorBody: (_status, code, detail, requestId) => ({ error: { code, message: detail, request_id: requestId } }),
    // Neither SDK sends or documents Idempotency-Key (only invoke's body `idempotency_key`): a
    // repeated request is a new one, as on the real service.
    honoursIdempotencyKey: false,
    routes: [...sessions.routes, ...routines.routes],
    reset,
    snapshot(): AaSnapshot {
      return {
        sessions: [...st.sessions.values()].map(({ run, pickup: _p, ...s }) => ({ ...s, run: run?.toJSON() })),
        routines: [...st.routines.values()],
        runs: [...st.runs.values()],
        runsByKey: [...st.runsByKey],
        sessionsByKey: [...st.sessionsByKey],
        seq: st.seq,
      };
    },
    restore(data: unknown) {
      const snap = structuredClone(data) as AaSnapshot;
      reset();
      st.routines.clear();
      for (const r of snap.routines) st.routines.set(r.id, r);
      for (const r of snap.runs) st.runs.set(r.id, r);
      for (const [k, v] of snap.runsByKey) st.runsByKey.set(k, v);
      for (const [k, v] of snap.sessionsByKey) st.sessionsByKey.set(k, v);
      st.seq = snap.seq;
      for (const { run: state, ...rest } of snap.sessions) {
        const s: SimSession = rest;
        if (state) sessions.revive(s, state);
        st.sessions.set(s.id, s);
      }
    },
  };

  function reset(): void {
    streams.closeAll();
    sessions.disposeAll();
    st.sessions.clear();
    st.routines.clear();
    st.runs.clear();
    st.runsByKey.clear();
    st.sessionsByKey.clear();
    st.seq = 0;
    routines.seedRoutines();
  }
}
