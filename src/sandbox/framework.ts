/**
 * The sandbox framework: routing, auth, error envelopes, `Idempotency-Key` replay, fault injection
 * and the request journal, shared by the five platform simulators in `./platforms/`.
 *
 * Every platform lives under its own prefix on one 127.0.0.1 server: `http://127.0.0.1:PORT/<platform>`
 * is that platform's base URL. The control API for tests is under `/_control`.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { PLATFORMS, type Platform } from '../providers/errors.js';

/** A parsed request as a route handler sees it. */
export interface SandboxRequest {
  platform: Platform;
  method: string;
  /** Path below the platform prefix, e.g. `/v1/projects/p/sessions`. */
  path: string;
  /** Route pattern that matched, e.g. `/v1/projects/{pid}/sessions`. */
  route: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  /** Who the credential belongs to (platform-defined; e.g. a Mycel user id). */
  identity: string;
  /** The credential that authenticated the call (sandbox keys only). */
  credential: string;
}

/** What a handler returns: JSON, or a stream writer for SSE. */
export interface SandboxResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** When set, the response is an event stream; the function owns `res` until it ends it. */
  stream?: (res: ServerResponse, req: IncomingMessage) => void;
}

export type Handler = (req: SandboxRequest) => SandboxResponse | Promise<SandboxResponse>;

/** Thrown by handlers to answer with the platform's error envelope. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(`${status} ${code}: ${detail}`);
  }
}

/** One platform simulator: its routes, how it authenticates, and its error envelope. */
export interface PlatformSim {
  platform: Platform;
  /** Returns the identity a credential belongs to, or undefined (→ 401). */
  authenticate(headers: IncomingHttpHeaders): { identity: string; credential: string } | undefined;
  /** Shapes an error body the way this platform does. */
  errorBody(status: number, code: string, detail: string, requestId: string): unknown;
  routes: Route[];
  /**
   * WebSocket endpoints (`GET` + Upgrade). The handler owns the socket once the handshake passed
   * auth and fault rules; it is journalled like any route (status 101).
   */
  sockets?: { pattern: string; handler: (ws: WebSocket, req: { identity: string; query: URLSearchParams }) => void }[];
  /**
   * Whether the simulator replays an answer for a repeated `Idempotency-Key` on its own. False for
   * every platform whose published SDK or seed neither sends nor documents the header (Mix,
   * ArchAstro, Web Agent, Wyse Mate): the real service would run the side effect again, so the
   * sandbox does too, and Switchboard's exactly-once must come from what the platform really
   * offers (a tag and a lookup, a state read before a re-send). Tests that want replay turn it on
   * with {@link SandboxCore.setIdempotencyReplay}. Mycel's SDK documents none either. @default false
   */
  honoursIdempotencyKey?: boolean;
  /** Drops all state (between tests). */
  reset?(): void;
  /** The platform's state as JSON-serialisable data (no timers, sockets or listeners). */
  snapshot?(): unknown;
  /** Replaces the platform's state with a {@link snapshot}, resuming scripted runs where they were. */
  restore?(data: unknown): void;
}

/** A remembered answer to an idempotent request. */
export interface IdempotentAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface Route {
  method: string;
  pattern: string;
  handler: Handler;
  /** Routes like health checks may skip auth. @default true */
  auth?: boolean;
}

/** A fault rule, set through `POST /_control/faults`. */
export interface FaultRule {
  id?: string;
  platform?: Platform;
  method?: string;
  /** Matches the route pattern exactly, or the concrete path as a regular expression. */
  route?: string;
  /** Answer with this status instead of running the handler. */
  status?: number;
  /** The platform error code to put in the envelope. */
  code?: string;
  /** `Retry-After` header value (seconds or an HTTP date). */
  retryAfter?: string;
  /** Fraction of matching requests affected (0–1). @default 1 */
  rate?: number;
  /** Affect only the next N matching requests. */
  times?: number;
  /** Delay before answering (with `phase: 'after'`: after the handler ran, before the answer). */
  latencyMs?: number;
  /** Event streams only: cut the connection this long after the stream opened. */
  cutStreamAfterMs?: number;
  /** Destroy the socket instead of answering. */
  reset?: boolean;
  /** Answer 200 with a body that is not JSON. */
  malformed?: boolean;
  /**
   * `before` (default): the fault replaces the handler, nothing happens on the platform.
   * `after`: the handler runs (the side effect happens), then the answer is lost/replaced —
   * what a crash between "platform answered" and "activity completed" looks like.
   */
  phase?: 'before' | 'after';
}

/** One journal row per request reaching a platform route. */
export interface JournalEntry {
  seq: number;
  at: number;
  platform: Platform;
  method: string;
  path: string;
  route: string;
  status: number;
  /** The raw query string (without `?`), when the request had one. */
  query?: string;
  idempotencyKey?: string;
  /** The answer was replayed from the idempotency cache: no new side effect. */
  replayed?: boolean;
  /** A fault rule answered instead of (or after) the handler. */
  fault?: string;
  body?: unknown;
  /** The JSON answer, only while {@link SandboxCore.captureResponses} is on (operation fixtures). */
  response?: unknown;
}

interface CompiledRoute extends Route {
  regex: RegExp;
  keys: string[];
}

function compile(route: Route): CompiledRoute {
  const keys: string[] = [];
  const src = route.pattern
    .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
    .replace(/\\?\{(\w+)\\?\}|\{(\w+)\}/g, (_m, a: string | undefined, b: string | undefined) => {
      keys.push((a ?? b)!);
      return '([^/]+)';
    });
  return { ...route, regex: new RegExp(`^${src}/?$`), keys };
}

/**
 * The sandbox-wide `Idempotency-Key` replay switch: `false` (the default) leaves each simulator as
 * its platform is (see {@link PlatformSim.honoursIdempotencyKey}: none of the five replays); `true` replays for every
 * platform; a list replays for those platforms only. For tests that want replay, not for proving
 * exactly-once (that must hold with the header ignored).
 */
export type IdempotencyReplay = boolean | Platform[];

/**
 * Parses the standalone sandbox's env value: `1`/`true`/`all`, `0`/`false`/empty, or a platform
 * list (`mix,webagent`). Throws on a name that is not a platform, so a typo does not pass silently.
 */
export function parseIdempotencyReplay(raw: string | undefined): IdempotencyReplay {
  const v = (raw ?? '').trim().toLowerCase();
  if (v === '' || v === '0' || v === 'false' || v === 'off') return false;
  if (v === '1' || v === 'true' || v === 'all' || v === 'on') return true;
  const names = v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(PLATFORMS as readonly string[]).includes(n));
  if (unknown.length > 0)
    throw new Error(
      `SWITCHBOARD_SANDBOX_REPLAY_IDEMPOTENCY: not a platform: ${unknown.join(', ')} (known: ${PLATFORMS.join(', ')})`,
    );
  return names as Platform[];
}

/** Cap on remembered idempotent answers so a long soak cannot grow memory without bound. */
const IDEMPOTENCY_CACHE_MAX = 50_000;

/** Routing, auth, faults, idempotency and journal for all platforms. */
export class SandboxCore {
  readonly journal: JournalEntry[] = [];
  private seq = 0;
  private faults: FaultRule[] = [];
  private readonly idem = new Map<string, IdempotentAnswer>();
  private readonly sims = new Map<Platform, { sim: PlatformSim; routes: CompiledRoute[] }>();
  /** Journal is capped; tests clear it between cases. */
  journalMax = 200_000;
  /**
   * Keep each JSON answer in its journal row. Off by default (memory in long soaks); the
   * per-operation fixture tests (test/providers/fixtures.ts) turn it on.
   */
  captureResponses = false;
  /** See {@link IdempotencyReplay}; {@link reset} puts back the value given at construction. */
  private replay: IdempotencyReplay;

  constructor(private readonly initialReplay: IdempotencyReplay = false) {
    this.replay = initialReplay;
  }

  /** Turns `Idempotency-Key` replay on (for all platforms or the listed ones) or back off. */
  setIdempotencyReplay(replay: IdempotencyReplay): void {
    this.replay = Array.isArray(replay) ? [...replay] : replay;
  }

  idempotencyReplay(): IdempotencyReplay {
    return Array.isArray(this.replay) ? [...this.replay] : this.replay;
  }

  /** Whether a repeated key on `sim` gets the first answer again: the switch, else the simulator's own behaviour. */
  private replays(sim: PlatformSim): boolean {
    if (this.replay === true || (Array.isArray(this.replay) && this.replay.includes(sim.platform))) return true;
    return sim.honoursIdempotencyKey === true;
  }

  register(sim: PlatformSim): void {
    this.sims.set(sim.platform, { sim, routes: sim.routes.map(compile) });
  }

  platforms(): Platform[] {
    return [...this.sims.keys()];
  }

  addFault(rule: FaultRule): FaultRule {
    const withId = { ...rule, id: rule.id ?? randomUUID() };
    this.faults.push(withId);
    return withId;
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** The idempotency cache, oldest first, for persistence. */
  snapshotIdempotency(): [string, IdempotentAnswer][] {
    return [...this.idem];
  }

  restoreIdempotency(entries: [string, IdempotentAnswer][]): void {
    this.idem.clear();
    for (const [k, v] of entries.slice(-IDEMPOTENCY_CACHE_MAX)) this.idem.set(k, v);
  }

  /** The simulators that can persist their state. */
  persistentSims(): PlatformSim[] {
    return [...this.sims.values()]
      .map((e) => e.sim)
      .filter((sim) => sim.snapshot !== undefined && sim.restore !== undefined);
  }

  reset(): void {
    this.faults = [];
    this.journal.length = 0;
    this.idem.clear();
    this.replay = this.initialReplay;
    for (const { sim } of this.sims.values()) sim.reset?.();
  }

  private pickFault(platform: Platform, method: string, route: string, p: string): FaultRule | undefined {
    for (const f of this.faults) {
      if (f.platform && f.platform !== platform) continue;
      if (f.method && f.method.toUpperCase() !== method) continue;
      if (f.route && f.route !== route && !safeRegex(f.route)?.test(p)) continue;
      if (f.times !== undefined && f.times <= 0) continue;
      if (f.rate !== undefined && Math.random() >= f.rate) continue;
      if (f.times !== undefined) f.times -= 1;
      return f;
    }
    return undefined;
  }

  private record(e: Omit<JournalEntry, 'seq' | 'at'>): void {
    if (this.journal.length >= this.journalMax) this.journal.splice(0, this.journal.length - this.journalMax + 1);
    this.journal.push({ ...e, seq: ++this.seq, at: Date.now() });
  }

  private readonly wss = new WebSocketServer({ noServer: true });

  /**
   * Handles a WebSocket upgrade under `/<platform>/…`: the same auth, fault rules (a `status` refuses
   * the handshake, `cutStreamAfterMs` cuts the socket) and journal as any route. Returns false when
   * nothing matched (the caller destroys the socket).
   */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): boolean {
    const [, prefix, ...rest] = url.pathname.split('/');
    const entry = this.sims.get(prefix as Platform);
    const p = '/' + rest.join('/');
    const target = entry?.sim.sockets
      ?.map((s) => ({
        ...s,
        regex: compile({ method: 'GET', pattern: s.pattern, handler: () => ({ status: 500 }) }).regex,
      }))
      .find((s) => s.regex.test(p));
    if (!entry || !target) return false;
    const base = {
      platform: entry.sim.platform,
      method: 'GET',
      path: p,
      route: target.pattern,
      ...(url.search ? { query: url.search.slice(1) } : {}),
    };
    const refuse = (status: number) => {
      this.record({ ...base, status });
      socket.end(
        `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Refused'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
      );
      return true;
    };
    const fault = this.pickFault(entry.sim.platform, 'GET', target.pattern, p);
    if (fault?.status) return refuse(fault.status);
    const auth = entry.sim.authenticate(req.headers);
    if (!auth) return refuse(401);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.record({ ...base, status: 101 });
      if (fault?.cutStreamAfterMs !== undefined || fault?.reset) {
        const t = setTimeout(() => ws.terminate(), fault.cutStreamAfterMs ?? 0);
        ws.once('close', () => clearTimeout(t));
      }
      target.handler(ws, { identity: auth.identity, query: url.searchParams });
    });
    return true;
  }

  /** Handles a request under `/<platform>/…`. Returns false when no platform prefix matched. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL, rawBody: string): Promise<boolean> {
    const [, prefix, ...rest] = url.pathname.split('/');
    const entry = this.sims.get(prefix as Platform);
    if (!entry) return false;
    const { sim, routes } = entry;
    const method = (req.method ?? 'GET').toUpperCase();
    const p = '/' + rest.join('/');
    const requestId = `req_${randomUUID().slice(0, 12)}`;
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      if (res.headersSent || res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': requestId, ...headers });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    const fail = (status: number, code: string, detail: string, headers: Record<string, string> = {}) =>
      send(status, sim.errorBody(status, code, detail, requestId), headers);

    let match: { route: CompiledRoute; params: Record<string, string> } | undefined;
    let pathMatched = false;
    /** A path parameter that is not valid percent-encoding (`%zz`): the caller's mistake, a 400. */
    let undecodable: string | undefined;
    for (const r of routes) {
      const m = r.regex.exec(p);
      if (!m) continue;
      pathMatched = true;
      if (r.method !== method) continue;
      const params: Record<string, string> = {};
      r.keys.forEach((k, i) => {
        try {
          params[k] = decodeURIComponent(m[i + 1]!);
        } catch {
          undecodable ??= k;
        }
      });
      match = { route: r, params };
      break;
    }
    if (!match) {
      fail(pathMatched ? 405 : 404, pathMatched ? 'method_not_allowed' : 'not_found', `no route ${method} ${p}`);
      return true;
    }
    if (undecodable !== undefined) {
      this.record({ platform: sim.platform, method, path: p, route: match.route.pattern, status: 400 });
      fail(400, 'bad_request', `path parameter ${undecodable} is not valid percent-encoding`);
      return true;
    }
    const routeName = match.route.pattern;
    const idemKey = headerOf(req.headers, 'idempotency-key');
    const journalBase = {
      platform: sim.platform,
      method,
      path: p,
      route: routeName,
      idempotencyKey: idemKey,
      ...(url.search ? { query: url.search.slice(1) } : {}),
    };

    const fault = this.pickFault(sim.platform, method, routeName, p);
    if (fault?.latencyMs && fault.phase !== 'after') await sleep(fault.latencyMs);
    const applyFault = (f: FaultRule): boolean => {
      if (f.reset) {
        this.record({ ...journalBase, status: 0, fault: 'reset' });
        req.socket.destroy();
        return true;
      }
      if (f.malformed) {
        this.record({ ...journalBase, status: 200, fault: 'malformed' });
        if (!res.headersSent) {
          res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': requestId });
          res.end('{"this is": not json');
        }
        return true;
      }
      if (f.status) {
        const headers: Record<string, string> = f.retryAfter ? { 'retry-after': f.retryAfter } : {};
        this.record({ ...journalBase, status: f.status, fault: `status ${f.status}` });
        fail(f.status, f.code ?? defaultCode(f.status), 'injected fault', headers);
        return true;
      }
      return false;
    };
    if (fault && (fault.phase ?? 'before') === 'before' && applyFault(fault)) return true;

    let auth: { identity: string; credential: string } | undefined = { identity: 'anonymous', credential: '' };
    if (match.route.auth !== false) {
      auth = sim.authenticate(req.headers);
      if (!auth) {
        this.record({ ...journalBase, status: 401 });
        fail(401, 'unauthorized', 'missing or invalid credentials');
        return true;
      }
    }

    // Idempotency-Key replay: the same key on the same route by the same credential gets the
    // first answer again, and the handler (the side effect) does not run twice.
    const honours = this.replays(sim);
    const idemId =
      honours && idemKey && method !== 'GET'
        ? `${sim.platform} ${auth.credential} ${method} ${p} ${idemKey}`
        : undefined;
    const cached = idemId ? this.idem.get(idemId) : undefined;
    if (cached) {
      this.record({ ...journalBase, status: cached.status, replayed: true });
      if (!(fault && fault.phase === 'after' && applyFault(fault))) {
        send(cached.status, cached.body, { ...cached.headers, 'idempotent-replayed': 'true' });
      }
      return true;
    }

    let body: unknown;
    if (rawBody) {
      try {
        body = JSON.parse(rawBody);
      } catch {
        this.record({ ...journalBase, status: 400 });
        fail(400, 'invalid_json', 'request body is not JSON');
        return true;
      }
      // Every platform's operations take a JSON object (or nothing); handlers read fields off it.
      if (body !== null && (typeof body !== 'object' || Array.isArray(body))) {
        this.record({ ...journalBase, status: 422, body });
        fail(422, 'validation_error', 'request body must be a JSON object');
        return true;
      }
    }
    const sreq: SandboxRequest = {
      platform: sim.platform,
      method,
      path: p,
      route: routeName,
      params: match.params,
      query: url.searchParams,
      headers: req.headers,
      body: (body as Record<string, unknown> | null | undefined) ?? {},
      identity: auth.identity,
      credential: auth.credential,
    };
    let out: SandboxResponse;
    try {
      out = await match.route.handler(sreq);
    } catch (err) {
      if (err instanceof HttpError) {
        this.record({ ...journalBase, status: err.status, body });
        fail(err.status, err.code, err.detail, err.headers);
        return true;
      }
      this.record({ ...journalBase, status: 500, body });
      fail(500, 'internal_error', err instanceof Error ? err.message : String(err));
      return true;
    }
    if (out.stream) {
      this.record({ ...journalBase, status: out.status, body });
      res.writeHead(out.status, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-request-id': requestId,
        ...out.headers,
      });
      out.stream(res, req);
      if (fault?.cutStreamAfterMs !== undefined) {
        const t = setTimeout(() => req.socket.destroy(), fault.cutStreamAfterMs);
        res.once('close', () => clearTimeout(t));
      }
      return true;
    }
    if (idemId && out.status < 500) {
      if (this.idem.size >= IDEMPOTENCY_CACHE_MAX) this.idem.delete(this.idem.keys().next().value!);
      this.idem.set(idemId, { status: out.status, body: out.body, headers: out.headers });
    }
    this.record({
      ...journalBase,
      status: out.status,
      body,
      ...(this.captureResponses ? { response: out.body } : {}),
      ...(fault?.phase === 'after' ? { fault: 'after' } : {}),
    });
    if (fault?.phase === 'after' && fault.latencyMs) await sleep(fault.latencyMs);
    if (fault && fault.phase === 'after' && applyFault(fault)) return true;
    send(out.status, out.body, out.headers);
    return true;
  }
}

function defaultCode(status: number): string {
  return (
    {
      400: 'bad_request',
      401: 'unauthorized',
      403: 'forbidden',
      404: 'not_found',
      409: 'conflict',
      422: 'validation_error',
      429: 'rate_limit_exceeded',
    }[status] ?? (status >= 500 ? 'server_error' : 'error')
  );
}

function safeRegex(s: string): RegExp | undefined {
  try {
    return new RegExp(s);
  } catch {
    return undefined;
  }
}

export function headerOf(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Reads `Authorization: Bearer <token>`. */
export function bearer(headers: IncomingHttpHeaders): string | undefined {
  const h = headerOf(headers, 'authorization');
  const m = h ? /^Bearer\s+(.+)$/i.exec(h) : null;
  return m?.[1]?.trim();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Short random id with a prefix, like the platforms use (`sess_…`). */
export function newId(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
}

/** Slices `items` for a 1-indexed page. */
export function pageOf<T>(
  items: T[],
  pageNum: number,
  pageSize: number,
): { data: T[]; total: number; total_page: number } {
  const total = items.length;
  const total_page = Math.max(1, Math.ceil(total / pageSize));
  return { data: items.slice((pageNum - 1) * pageSize, pageNum * pageSize), total, total_page };
}

/** Parses a positive integer query parameter or throws a 422 the platform way. */
export function intParam(q: URLSearchParams, name: string, def: number, { min = 1, max = 1000 } = {}): number {
  const raw = q.get(name);
  if (raw === null) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new HttpError(422, 'validation_error', `${name} must be an integer in [${min}, ${max}]`);
  return n;
}
