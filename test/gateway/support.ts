/**
 * Helpers for the gateway tests: a gateway over a harness (its own state directory, people with
 * decision keys the harness's worker trusts), HTTP calls with a person's token, and an SSE reader.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createParser } from 'eventsource-parser';
import type { SwitchboardClient } from '../../src/client/index.js';
import type { ShownWorkflow } from '../../src/gateway/api.js';
import type { problemBody } from '../../src/gateway/deps.js';
import { createKey } from '../../src/identity/keys.js';
import { type GatewayOptions, type RunningGateway, startGateway } from '../../src/gateway/server.js';
import { UserStore } from '../../src/gateway/state.js';
import { eventually, type Harness } from '../support/harness.js';

/** Where the test people's keys live: the harness worker trusts `<dir>/trusted`. */
export function testKeysDir(): string {
  return mkdtempSync(join(tmpdir(), 'sb-gw-keys-'));
}

/** A gateway answer: `body` is the parsed JSON (or the text when it is not JSON). */
export interface CallResult<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** The body of every refused API request. */
export type ApiProblem = ReturnType<typeof problemBody>;

/** What `POST /sessions`, `/research` and `/monitors` answer (a new start or the existing one). */
export interface Started {
  workflowId: string;
  created: boolean;
  status?: string;
}

/** `GET /workflows/{id}` with the parts of `state` the tests read. */
export type Shown = ShownWorkflow & { state?: { status?: string; pendingInput?: { requestId: string } } };

export interface TestGateway extends RunningGateway {
  dir: string;
  /** Each person's API token and password. */
  people: Record<string, { token: string; password: string }>;
  /**
   * fetch against the gateway as a person (or anonymously with `as: undefined`). `T` is what the
   * caller expects the body to be: it is not checked, so the assertions on it are what test it.
   */
  call<T = unknown>(path: string, init?: RequestInit & { as?: string; json?: unknown }): Promise<CallResult<T>>;
}

export async function startTestGateway(o: {
  sb: SwitchboardClient;
  artifactDir: string;
  keysDir: string;
  people: string[];
  dir?: string;
  port?: number;
  heartbeatMs?: number;
  secret?: string;
  /** Extra gateway options (roles, OIDC, rate limits). */
  options?: Partial<GatewayOptions>;
  /** People who may only look (role `viewer`). */
  viewers?: string[];
}): Promise<TestGateway> {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'sb-gw-'));
  const store = new UserStore(dir);
  const people: TestGateway['people'] = {};
  for (const name of o.people) {
    const existing = store.get(name);
    const added = await store.add(name, {
      reset: Boolean(existing),
      password: `${name}-password-123`,
      role: o.viewers?.includes(name) ? 'viewer' : undefined,
    });
    people[name] = { token: added.token, password: added.password };
    try {
      createKey(o.keysDir, name);
    } catch {
      // already there (a restarted gateway)
    }
  }
  const gw = await startGateway({
    sb: o.sb,
    port: o.port ?? 0,
    dir,
    secret: o.secret,
    ...o.options,
    keysDir: o.keysDir,
    artifactDir: o.artifactDir,
    heartbeatMs: o.heartbeatMs ?? 500,
    endCheckMs: 200,
  });
  const call = async <T = unknown>(
    path: string,
    init: RequestInit & { as?: string; json?: unknown } = {},
  ): Promise<CallResult<T>> => {
    const headers = new Headers(init.headers);
    if (init.as) headers.set('authorization', `Bearer ${people[init.as]!.token}`);
    let body = init.body;
    if (init.json !== undefined) {
      headers.set('content-type', 'application/json');
      body = JSON.stringify(init.json);
    }
    const res = await fetch(gw.url + path, { ...init, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  };
  return Object.assign(gw, { dir, people, call });
}

export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/**
 * Reads an event stream until `stopAfter` entries arrived (then disconnects) or the stream ends.
 * Returns the events and the comment lines (heartbeats) seen.
 */
export async function readSse(
  url: string,
  o: { token?: string; lastEventId?: string; stopAfter?: number; timeoutMs?: number },
): Promise<{ events: SseEvent[]; comments: number; status: number; ended: boolean }> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), o.timeoutMs ?? 30_000);
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  if (o.lastEventId) headers['last-event-id'] = o.lastEventId;
  const events: SseEvent[] = [];
  let comments = 0;
  let ended = false;
  let res: Response;
  try {
    res = await fetch(url, { headers, signal: ac.signal });
  } catch (err) {
    clearTimeout(timer);
    throw err;
  }
  if (res.status !== 200 || !res.body) {
    clearTimeout(timer);
    return { events, comments, status: res.status, ended };
  }
  const parser = createParser({
    onEvent: (e) => {
      // After we hang up, the rest of the chunk in hand is not "received".
      if (ac.signal.aborted) return;
      events.push({ id: e.id, event: e.event, data: e.data });
      if (e.event === 'end') ended = true;
      if (o.stopAfter !== undefined && events.filter((x) => x.event === 'entry').length >= o.stopAfter) ac.abort();
    },
    onComment: () => {
      comments += 1;
    },
  });
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      parser.feed(decoder.decode(chunk, { stream: true }));
      if (ended) break;
    }
  } catch (err) {
    if (!ac.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
  }
  return { events, comments, status: res.status, ended };
}

/** A free loopback port (for a gateway whose origin the worker must know before it starts). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts a research run for `approvers` and waits until its outline gate is open. */
export async function researchAtGate(h: Harness, topic: string, approvers: string[] = ['alice']) {
  const { workflowId } = await h.sb.startResearch({ topic, approvers });
  const gate = await eventually(async () => {
    const g = await h.sb.gate(workflowId);
    return g.open ? g : undefined;
  });
  return { workflowId, gate };
}

/**
 * A browser-like client over fetch: a cookie jar for the gateway's origin, that origin as `Origin`
 * (`origin` sets another, `null` none), forms URL-encoded, no redirect following. `url` is a path on
 * the gateway or a full URL (another origin gets neither cookies nor `Origin`).
 */
export function browser(base: string | (() => string)) {
  const baseOf = typeof base === 'string' ? () => base : base;
  const jar = new Map<string, string>();
  const request = async (
    url: string,
    init: RequestInit & { form?: Record<string, string>; origin?: string | null } = {},
  ) => {
    const full = url.startsWith('http') ? url : baseOf() + url;
    const ours = new URL(full).origin === baseOf();
    const headers = new Headers(init.headers);
    if (ours) {
      headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
      if (init.origin !== null) headers.set('origin', init.origin ?? baseOf());
    }
    let body = init.body;
    if (init.form) {
      headers.set('content-type', 'application/x-www-form-urlencoded');
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(full, { ...init, headers, body, redirect: 'manual' });
    if (ours)
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const [k, v] = pair!.split('=');
        if (/Max-Age=0/i.test(c) || v === '') jar.delete(k!);
        else jar.set(k!, v!);
      }
    return { status: res.status, text: await res.text(), headers: res.headers };
  };
  const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const signIn = async (name: string, password: string) => {
    const login = await request('/ui/login');
    return request('/ui/login', { method: 'POST', form: { _csrf: csrfOf(login.text), name, password } });
  };
  return { jar, request, csrfOf, signIn };
}
