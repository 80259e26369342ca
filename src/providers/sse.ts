/**
 * The one Server-Sent Events reader (eventsource-parser underneath).
 *
 * It reads one connection and yields events in order. It does not reconnect by itself: a cut
 * stream throws a retryable {@link ConnectionError}, and the caller (an activity) resumes by opening
 * again with the last event id it heartbeated — so Temporal owns the retry, as everywhere else.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { ConnectionError } from './errors.js';
import { type CallOptions, type HttpClient, type QueryValue, transportError } from './http.js';

/** One server-sent event. `data` is parsed JSON when it parses, else the raw string. */
export interface SseEvent {
  id?: string;
  event: string;
  data: unknown;
}

export interface SseOptions extends Pick<CallOptions, 'signal'> {
  path: string;
  query?: Record<string, QueryValue>;
  /** Sent as `Last-Event-ID`: the server replays only events after it. */
  lastEventId?: string;
  /** Heartbeat events are dropped unless this is true (connection-health UIs). @default false */
  includeHeartbeats?: boolean;
}

const HEARTBEAT = new Set(['heartbeat', 'ping', 'keepalive']);

/**
 * Streams events from `path`. Ends when the server closes the stream cleanly; throws
 * ConnectionError when the connection breaks mid-stream.
 */
export async function* readSse(http: HttpClient, opts: SseOptions): AsyncGenerator<SseEvent> {
  const headers: Record<string, string> = {};
  if (opts.lastEventId) headers['last-event-id'] = opts.lastEventId;
  const res = await http.openStream({
    method: 'GET',
    path: opts.path,
    query: opts.query,
    headers,
    signal: opts.signal,
  });
  const queue: SseEvent[] = [];
  const parser = createParser({
    onEvent(msg: EventSourceMessage) {
      const event = msg.event ?? 'message';
      if (!opts.includeHeartbeats && HEARTBEAT.has(event)) return;
      queue.push({ id: msg.id, event, data: parseData(msg.data) });
    },
  });
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.body) {
      parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
      while (queue.length > 0) yield queue.shift()!;
    }
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? err;
    // Deliver what was fully parsed before the cut, then report the cut.
    while (queue.length > 0) yield queue.shift()!;
    const e = transportError(
      { platform: http.platform, alias: http.alias, method: 'GET', path: opts.path },
      err,
      false,
    );
    throw e instanceof ConnectionError
      ? e
      : new ConnectionError({ platform: http.platform, alias: http.alias, detail: e.message, cause: err });
  } finally {
    // Closing early (the consumer broke out) must release the socket.
    res.body.destroy();
  }
  while (queue.length > 0) yield queue.shift()!;
}

function parseData(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}
