/**
 * Mycel runtime notifications, per user, each with a `seq`: the WebSocket
 * (`/api/runtime/inbox/subscribe`, resumable from `since_seq`), the long poll
 * (`POST /api/runtime/inbox/wait?timeout_seconds=`) and `drain`.
 *
 * mycel-sdk 0.1.83 types none of the answers of `wait` and `drain` (untyped dicts; the README
 * reads `payload["notifications"]` of drain). What the sandbox assumes, and the client relies on:
 * - `drain` returns every notification not yet drained, `{count, notifications: [{seq, …metadata}]}`,
 *   and marks them delivered: it is the acknowledgement, and it cannot be replayed.
 * - `wait` holds until the caller has an undrained notification or `timeout_seconds` passed (at most
 *   {@link WAIT_MAX_SECONDS}), then answers like drain but takes nothing: a lost answer is asked
 *   again and nothing is gone. A reader acknowledges with `drain` once it recorded what it got.
 * - The WebSocket replays by `seq` regardless of drain (independent views of one inbox).
 */
import type { WebSocket } from 'ws';
import { HttpError, type Route } from '../../framework.js';
import type { Frame, Inbox, MycelStore } from './store.js';

const HEARTBEAT_MS = 1_000;
/** The SDK's default `timeout_seconds` of `wait`. */
const WAIT_DEFAULT_SECONDS = 25;
/** Longest the sandbox holds one `wait` (a bound on every held request). */
export const WAIT_MAX_SECONDS = 60;

const item = (f: Frame) => ({ seq: f.seq, ...f.metadata });

export function inboxRoutes(s: MycelStore): Route[] {
  const undrained = (inbox: Inbox) => inbox.frames.filter((f) => !f.delivered);
  return [
    {
      method: 'POST',
      pattern: '/api/runtime/inbox/drain',
      handler: (req) => {
        const fresh = undrained(s.inboxOf(req.identity));
        for (const f of fresh) f.delivered = true;
        const notifications = fresh.map(item);
        return { status: 200, body: { count: notifications.length, notifications } };
      },
    },
    {
      method: 'POST',
      pattern: '/api/runtime/inbox/wait',
      handler: async (req) => {
        const raw = req.query.get('timeout_seconds');
        const timeout = raw === null ? WAIT_DEFAULT_SECONDS : Number(raw);
        if (!Number.isFinite(timeout) || timeout < 0)
          throw new HttpError(422, 'validation_error', 'query.timeout_seconds: must be a non-negative number');
        const inbox = s.inboxOf(req.identity);
        if (undrained(inbox).length === 0 && timeout > 0) {
          // Held until a notification lands, the timeout passes, or the sandbox resets.
          await new Promise<void>((resolve) => {
            const done = () => {
              clearTimeout(timer);
              inbox.listeners.delete(done);
              s.open.delete(done);
              resolve();
            };
            const timer = setTimeout(done, Math.min(timeout, WAIT_MAX_SECONDS) * 1000);
            inbox.listeners.add(done);
            s.open.add(done);
          });
        }
        // The inbox may have been replaced by a reset meanwhile: answer from the current one.
        const notifications = undrained(s.inboxOf(req.identity)).map(item);
        return { status: 200, body: { count: notifications.length, notifications } };
      },
    },
  ];
}

/**
 * The notification stream as mycel-sdk 0.1.83 reads it: a WebSocket at
 * `/api/runtime/inbox/subscribe` (bearer token in the handshake); the client sends
 * `{"type":"resume","since_seq":N}` and gets every frame after N, replayed then live, as JSON
 * `{type:"notify", seq, metadata, …}`; `replay_overflow` when N is older than the replay buffer.
 * Replay and subscription happen together, synchronously: a frame produced meanwhile is neither
 * lost nor doubled.
 */
export function subscribeSocket(s: MycelStore) {
  return (ws: WebSocket, req: { identity: string }): void => {
    const inbox = s.inboxOf(req.identity);
    let sent = -1;
    const write = (f: Frame) => {
      if (sent < 0 || f.seq <= sent || ws.readyState !== ws.OPEN) return;
      sent = f.seq;
      ws.send(
        JSON.stringify({ type: 'notify', seq: f.seq, fingerprint: f.fingerprint, ts: f.ts, metadata: f.metadata }),
      );
    };
    const close = () => ws.terminate();
    s.open.add(close);
    const beat = setInterval(() => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'heartbeat' }));
    }, HEARTBEAT_MS);
    ws.on('message', (raw: Buffer) => {
      let msg: { type?: unknown; since_seq?: unknown };
      try {
        msg = JSON.parse(String(raw)) as typeof msg;
      } catch {
        return ws.close(1003, 'frames are JSON');
      }
      if (msg.type !== 'resume' || sent >= 0) return;
      const since = Number.isInteger(msg.since_seq) && (msg.since_seq as number) >= 0 ? (msg.since_seq as number) : 0;
      sent = since;
      const oldest = inbox.frames[0];
      if (oldest && since < oldest.seq - 1)
        ws.send(JSON.stringify({ type: 'replay_overflow', since_seq: since, oldest_seq: oldest.seq }));
      for (const f of inbox.frames) write(f);
      inbox.listeners.add(write);
    });
    ws.on('close', () => {
      clearInterval(beat);
      inbox.listeners.delete(write);
      s.open.delete(close);
    });
  };
}
