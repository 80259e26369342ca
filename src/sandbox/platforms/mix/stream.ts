/**
 * Mix's persistent event stream, `GET /stream?sessionId=` (SDK `streaming.py`, `SSEEventStream`):
 * replays the session's frames after `Last-Event-ID`, then live ones; never ends by itself.
 */
import type { ServerResponse } from 'node:http';
import { headerOf, HttpError, type SandboxRequest, type SandboxResponse } from '../../framework.js';
import type { MixCore, StreamFrame } from './core.js';

/** The stream route's handler. */
export function createStreamHandler(core: MixCore): (req: SandboxRequest) => SandboxResponse {
  const heartbeatMs = () => core.ctx.heartbeatMs ?? Math.min(1000, Math.max(20, core.ctx.tickMs * 20));
  return (req) => {
    const id = req.query.get('sessionId');
    if (!id) throw new HttpError(422, 'missing_session_id', 'sessionId is required');
    const s = core.sessions.get(id);
    if (!s || s.owner !== req.identity) throw new HttpError(404, 'not_found', `session ${id} not found`);
    const raw = headerOf(req.headers, 'last-event-id');
    const after = raw === undefined || raw === '' ? 0 : Number(raw);
    if (!Number.isInteger(after) || after < 0)
      throw new HttpError(422, 'invalid_last_event_id', 'Last-Event-ID must be a non-negative integer');
    return {
      status: 200,
      stream: (res: ServerResponse) => {
        let last = after;
        let closed = false;
        const set = core.listeners.get(s.id) ?? new Set();
        core.listeners.set(s.id, set);
        const write = (f: StreamFrame) => {
          if (closed || f.seq <= last) return;
          res.write(`id: ${f.seq}\nevent: ${f.event}\ndata: ${JSON.stringify(f.data)}\n\n`);
          last = f.seq;
          if (f.event === 'session_deleted') close();
        };
        const close = () => {
          if (closed) return;
          closed = true;
          set.delete(write);
          clearInterval(hb);
          core.openStreams.delete(close);
          if (!res.writableEnded) res.end();
        };
        // The SDK requires an id on every frame; `connected` and heartbeats repeat the newest one, so
        // they never move a client's Last-Event-ID past anything (assumption: the SDK does not say).
        res.write(`id: ${last}\nevent: connected\ndata: ${JSON.stringify({ sessionId: s.id })}\n\n`);
        const hb = setInterval(() => {
          if (!closed) res.write(`id: ${last}\nevent: heartbeat\ndata: ${JSON.stringify({ type: 'heartbeat' })}\n\n`);
        }, heartbeatMs());
        hb.unref?.();
        set.add(write);
        core.openStreams.add(close);
        res.on('close', close);
        for (const f of s.frames) write(f);
      },
    };
  };
}
