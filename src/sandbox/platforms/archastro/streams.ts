/**
 * ArchAstro simulator, status streams (Server-Sent Events), as the SDKs read them
 * (`runtime/http-client.js` `streamSSE`, `runtime/http_client.py` `stream_sse`: `event:` + JSON `data:`):
 *
 * - `GET /api/v1/agent_sessions/{id}/stream`: `session_update` (data: the AgentSession) on connect
 *   and on every status change, `session_event` (data: an AgentSessionEvent) for each harness event
 *   as it happens (archastro-sdk@0.11.0 `AgentSessionStreamEvent`); closed after a terminal status.
 * - `GET /api/v1/agent_routine_runs/{id}/stream`: `run_update` (data: the AgentRoutineRun) on
 *   connect and on every status change; closed after a terminal run status.
 *
 * Neither stream has event ids or a resume point: a reader that was cut re-reads the session's
 * events from its own cursor (`/events?after=`). Keepalive comments hold idle connections open, and
 * a stream that outlives {@link MAX_STREAM_MS} ends with an `error` event `stream_timeout`, as the
 * SDK documents for the run stream.
 */
import type { ServerResponse } from 'node:http';
import type { SandboxResponse } from '../../framework.js';
import type { SandboxContext } from '../../server.js';
import type { HarnessEvent } from './sessions.js';
import { TERMINAL, TERMINAL_RUN, type SimRun, type SimSession } from './shared.js';

/** Longest a stream stays open before `stream_timeout` (the platform's figure is not published). */
const MAX_STREAM_MS = 10 * 60_000;

type Writer = (event: string, data: unknown, last?: boolean) => void;

export function createStreams(ctx: SandboxContext) {
  const bySession = new Map<string, Set<Writer>>();
  const byRun = new Map<string, Set<Writer>>();
  const open = new Set<() => void>();
  const keepaliveMs = () => ctx.heartbeatMs ?? Math.min(1000, Math.max(20, ctx.tickMs * 20));

  /** One SSE response registered under `id` in `registry`; `first` is written on connect. */
  function stream(
    registry: Map<string, Set<Writer>>,
    id: string,
    first: { event: string; data: unknown; last: boolean },
  ): SandboxResponse {
    return {
      status: 200,
      stream: (res: ServerResponse) => {
        let closed = false;
        const close = () => {
          if (closed) return;
          closed = true;
          registry.get(id)?.delete(write);
          if (registry.get(id)?.size === 0) registry.delete(id);
          clearInterval(keepalive);
          clearTimeout(timeout);
          open.delete(close);
          if (!res.writableEnded) res.end();
        };
        const write: Writer = (event, data, last) => {
          if (closed) return;
          res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
          if (last) close();
        };
        // Comments: every SSE parser skips them, so they never reach the SDK's iterator.
        const keepalive = setInterval(() => !closed && res.write(': keepalive\n\n'), keepaliveMs());
        keepalive.unref?.();
        const timeout = setTimeout(
          () => write('error', { error: 'stream_timeout', message: 'maximum stream duration reached' }, true),
          MAX_STREAM_MS,
        );
        timeout.unref?.();
        let set = registry.get(id);
        if (!set) registry.set(id, (set = new Set()));
        set.add(write);
        open.add(close);
        res.on('close', close);
        write(first.event, first.data, first.last);
      },
    };
  }

  return {
    /** The session's stream: its current status first. */
    session: (s: SimSession, view: unknown) =>
      stream(bySession, s.id, { event: 'session_update', data: view, last: TERMINAL.has(s.status) }),
    /** The run's stream: its current status first. */
    run: (r: SimRun, view: unknown) =>
      stream(byRun, r.id, { event: 'run_update', data: view, last: TERMINAL_RUN.has(r.status) }),
    sessionChanged(s: SimSession, view: unknown): void {
      for (const w of [...(bySession.get(s.id) ?? [])]) w('session_update', view, TERMINAL.has(s.status));
    },
    sessionEvent(s: SimSession, e: HarnessEvent): void {
      for (const w of [...(bySession.get(s.id) ?? [])]) w('session_event', e);
    },
    runChanged(r: SimRun, view: unknown): void {
      for (const w of [...(byRun.get(r.id) ?? [])]) w('run_update', view, TERMINAL_RUN.has(r.status));
    },
    /** Ends every open stream (reset, restore). */
    closeAll(): void {
      for (const c of [...open]) c();
    },
  };
}
