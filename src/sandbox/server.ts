/**
 * The sandbox HTTP server: the five platform simulators plus the control API, on 127.0.0.1.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { PLATFORMS, type Platform } from '../providers/errors.js';
import { ScriptBook, type ScriptStep } from './agent.js';
import { type IdempotencyReplay, type IdempotentAnswer, SandboxCore } from './framework.js';
import { createPlatformSims } from './platforms/index.js';

/** Which credential each platform accepts, and whose it is. */
export class KeyRing {
  private keys = new Map<string, string>();

  constructor() {
    this.reset();
  }

  /** The key every platform accepts out of the box (alias `default`). */
  static defaultKey(platform: Platform): string {
    return `sb_${platform}_default`;
  }

  add(platform: Platform, key: string, identity: string): void {
    this.keys.set(`${platform} ${key}`, identity);
  }

  identity(platform: Platform, key: string | undefined): string | undefined {
    return key ? this.keys.get(`${platform} ${key}`) : undefined;
  }

  reset(): void {
    this.keys.clear();
    for (const p of PLATFORMS) this.add(p, KeyRing.defaultKey(p), 'default');
  }

  /** Keys added on top of the defaults, as `[platform, key, identity]`, for persistence. */
  snapshot(): [string, string, string][] {
    const out: [string, string, string][] = [];
    for (const [pk, identity] of this.keys) {
      const i = pk.indexOf(' ');
      const platform = pk.slice(0, i);
      const key = pk.slice(i + 1);
      if (key === KeyRing.defaultKey(platform as Platform) && identity === 'default') continue;
      out.push([platform, key, identity]);
    }
    return out;
  }

  restore(data: [string, string, string][]): void {
    this.reset();
    for (const [platform, key, identity] of data) this.add(platform as Platform, key, identity);
  }
}

/** One notification received at `POST /_control/webhooks`. */
export interface WebhookDelivery {
  at: number;
  /** The `inbox` query parameter of the POST, when given. */
  inbox?: string;
  headers: Record<string, string>;
  body: unknown;
  /** The body exactly as received (what a signature covers). */
  raw: string;
}

/** Shared state handed to every platform simulator. */
export interface SandboxContext {
  keys: KeyRing;
  scripts: ScriptBook;
  /** Milliseconds per scripted agent step. */
  tickMs: number;
  /** How often an idle event stream sends a heartbeat; unset: 20 ticks, between 20 ms and 1 s. */
  heartbeatMs?: number;
  /**
   * Real milliseconds per second of a Track monitor's schedule (the sandbox's time scale): with 10,
   * an `every_seconds: 60` monitor ticks every 600 ms. Unset: `tickMs`.
   */
  trackSecondMs?: number;
  /**
   * Where callbacks to a host go, as a resolver would answer (`hooks.example.com` → `http://127.0.0.1:PORT`),
   * set with `POST /_control/hosts`. The sandbox POSTs only to loopback hosts and to hosts named
   * here: it never reaches the internet (loopback only, like every server in the house).
   */
  callbackHosts: Map<string, string>;
}

export interface SandboxOptions {
  /** @default 0 (any free port) */
  port?: number;
  /** @default 20 */
  tickMs?: number;
  /** Idle SSE heartbeat interval. @default 20 ticks, between 20 ms and 1 s */
  heartbeatMs?: number;
  /** Real milliseconds per second of a Track monitor schedule. @default tickMs */
  trackSecondMs?: number;
  /**
   * Keep platform state in this JSON file: restored at start (a missing file starts empty, an
   * unreadable one too, with a warning), saved atomically on `close()` and every ~2 s while it
   * changes. Without it the sandbox is in-memory only. The journal and fault rules are not kept.
   */
  stateFile?: string;
  /**
   * `Idempotency-Key` replay for tests that want it ({@link IdempotencyReplay}). @default false:
   * each platform behaves as the real one (none of the simulated SDKs documents the header).
   */
  replayIdempotencyKeys?: IdempotencyReplay;
}

/** Layout of the state file. */
interface SandboxStateFile {
  version: 1;
  savedAt: string;
  keys: [string, string, string][];
  scripts: [string, ScriptStep[]][];
  idempotency: [string, IdempotentAnswer][];
  platforms: Record<string, unknown>;
}

const STATE_VERSION = 1;
const SAVE_EVERY_MS = 2_000;

export interface RunningSandbox {
  server: Server;
  core: SandboxCore;
  ctx: SandboxContext;
  port: number;
  /** `http://127.0.0.1:PORT` */
  origin: string;
  /** Base URL of one platform: `http://127.0.0.1:PORT/<platform>`. */
  baseUrl(platform: Platform): string;
  close(): Promise<void>;
}

/** Starts the sandbox on 127.0.0.1. */
export async function startSandbox(opts: SandboxOptions = {}): Promise<RunningSandbox> {
  const ctx: SandboxContext = {
    keys: new KeyRing(),
    scripts: new ScriptBook(),
    tickMs: opts.tickMs ?? 20,
    heartbeatMs: opts.heartbeatMs,
    trackSecondMs: opts.trackSecondMs,
    callbackHosts: new Map(),
  };
  const core = new SandboxCore(opts.replayIdempotencyKeys ?? false);
  const sims = createPlatformSims(ctx);
  for (const sim of sims) core.register(sim);

  const stateFile = opts.stateFile;
  /** Everything but the header, as JSON: compared with the last save to skip unchanged writes. */
  const snapshotBody = (): string => {
    const body: Omit<SandboxStateFile, 'version' | 'savedAt'> = {
      keys: ctx.keys.snapshot(),
      scripts: ctx.scripts.snapshot(),
      idempotency: core.snapshotIdempotency(),
      platforms: Object.fromEntries(core.persistentSims().map((sim) => [sim.platform, sim.snapshot!()])),
    };
    return JSON.stringify(body);
  };
  let lastSaved: string | undefined;
  let closed = false;
  const save = (): void => {
    if (!stateFile || closed) return;
    const body = snapshotBody();
    if (body === lastSaved) return;
    const header = JSON.stringify({ version: STATE_VERSION, savedAt: new Date().toISOString() });
    mkdirSync(dirname(stateFile), { recursive: true });
    const tmp = `${stateFile}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, `${header.slice(0, -1)},${body.slice(1)}`);
      renameSync(tmp, stateFile);
      lastSaved = body;
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
  };
  if (stateFile) {
    let raw: string | undefined;
    try {
      raw = readFileSync(stateFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        process.stderr.write(`sandbox: cannot read ${stateFile} (${String(err)}); starting empty\n`);
    }
    if (raw !== undefined) {
      try {
        const state = JSON.parse(raw) as SandboxStateFile;
        if (state?.version !== STATE_VERSION) throw new Error(`unsupported state version ${String(state?.version)}`);
        ctx.keys.restore(state.keys ?? []);
        ctx.scripts.restore(state.scripts ?? []);
        core.restoreIdempotency(state.idempotency ?? []);
        for (const sim of core.persistentSims())
          if (state.platforms?.[sim.platform] !== undefined) sim.restore!(state.platforms[sim.platform]);
        lastSaved = snapshotBody();
      } catch (err) {
        core.reset();
        ctx.keys.reset();
        ctx.scripts.reset();
        process.stderr.write(
          `sandbox: state file ${stateFile} is unreadable (${err instanceof Error ? err.message : String(err)}); starting empty\n`,
        );
      }
    }
  }
  const saveTimer = stateFile
    ? setInterval(() => {
        try {
          save();
        } catch (err) {
          process.stderr.write(`sandbox: could not save ${stateFile}: ${String(err)}\n`);
        }
      }, SAVE_EVERY_MS)
    : undefined;
  saveTimer?.unref();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      void (async () => {
        try {
          if (url.pathname.startsWith('/_control/')) return control(url, req.method ?? 'GET', raw, res, req);
          if (!(await core.handle(req, res, url, raw))) {
            res.writeHead(404, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ error: `unknown platform prefix in ${url.pathname}` }));
          }
        } catch (err) {
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: String(err) }));
        }
      })();
    });
  });
  server.keepAliveTimeout = 5_000;
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (!core.upgrade(req, socket, head, url)) socket.destroy();
  });

  const webhooks: WebhookDelivery[] = [];
  function control(url: URL, method: string, raw: string, res: ServerResponse, req: IncomingMessage): void {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    // Control bodies are tests' own requests; each endpoint below reads its fields defensively.
    let body: Record<string, unknown> = {};
    try {
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    } catch {
      return json(400, { error: 'body is not JSON' });
    }
    const what = url.pathname.slice('/_control/'.length);
    if (what === 'health') return json(200, { ok: true, platforms: core.platforms() });
    if (what === 'reset' && method === 'POST') {
      core.reset();
      webhooks.length = 0;
      ctx.callbackHosts.clear();
      ctx.keys.reset();
      ctx.scripts.reset();
      return json(200, { ok: true });
    }
    if (what === 'faults' && method === 'POST') return json(200, core.addFault(body));
    // The replay switch: `{replay: true | false | [platforms]}`; `reset` puts back the start value.
    if (what === 'idempotency' && method === 'POST') {
      const r = body.replay;
      const known = core.platforms();
      if (!(typeof r === 'boolean' || (Array.isArray(r) && r.every((p) => known.includes(p as Platform)))))
        return json(422, { error: `replay must be true, false or a list of ${known.join(', ')}` });
      core.setIdempotencyReplay(r as IdempotencyReplay);
      return json(200, { replay: core.idempotencyReplay() });
    }
    if (what === 'idempotency' && method === 'GET') return json(200, { replay: core.idempotencyReplay() });
    if (what === 'faults' && method === 'DELETE') {
      core.clearFaults();
      return json(200, { ok: true });
    }
    if (what === 'journal' && method === 'GET') {
      const q = url.searchParams;
      const since = Number(q.get('since') ?? 0);
      const rows = core.journal.filter(
        (e) =>
          e.seq > since &&
          (!q.get('platform') || e.platform === q.get('platform')) &&
          (!q.get('method') || e.method === q.get('method')) &&
          (!q.get('route') || e.route === q.get('route')),
      );
      return json(200, { entries: rows });
    }
    if (what === 'journal' && method === 'DELETE') {
      core.journal.length = 0;
      return json(200, { ok: true });
    }
    if (what === 'scripts' && method === 'POST') {
      ctx.scripts.set(String(body.name), body.steps as ScriptStep[]);
      return json(200, { ok: true });
    }
    // A resolver entry for platform callbacks: `{host, origin}` sends callbacks naming `host` to
    // `origin` (a loopback receiver); `{host}` alone removes it.
    if (what === 'hosts' && method === 'POST') {
      const host = typeof body.host === 'string' ? body.host.toLowerCase() : '';
      if (!host) return json(422, { error: 'host is required' });
      const target = typeof body.origin === 'string' ? body.origin : undefined;
      if (target !== undefined && !/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(target))
        return json(422, { error: 'origin must be a loopback http origin' });
      if (target) ctx.callbackHosts.set(host, target);
      else ctx.callbackHosts.delete(host);
      return json(200, { ok: true });
    }
    if (what === 'keys' && method === 'POST') {
      ctx.keys.add(
        body.platform as Platform,
        String(body.key),
        typeof body.identity === 'string' ? body.identity : 'default',
      );
      return json(200, { ok: true });
    }
    // A webhook receiver for tests: notifications (reminders, escalations, outbox deliveries) land
    // here. The query chooses the answer: `inbox` names a receiver (kept apart), `status` (and
    // `retry_after`) what it answers, `fail_first=N` answers `status` only to the first N POSTs
    // of that inbox and 200 after.
    if (what === 'webhooks' && method === 'POST') {
      const q = url.searchParams;
      const inbox = q.get('inbox') ?? undefined;
      const seen = webhooks.filter((w) => w.inbox === inbox).length;
      webhooks.push({
        at: Date.now(),
        inbox,
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        body,
        raw,
      });
      const failFirst = q.get('fail_first');
      const status = Number(q.get('status') ?? 200);
      const answer = failFirst !== null && seen >= Number(failFirst) ? 200 : status;
      res.writeHead(answer, {
        'content-type': 'application/json',
        ...(q.get('retry_after') && answer !== 200 ? { 'retry-after': q.get('retry_after')! } : {}),
      });
      return void res.end(JSON.stringify({ ok: answer < 300 }));
    }
    if (what === 'webhooks' && method === 'GET') {
      const inbox = url.searchParams.get('inbox');
      return json(200, { deliveries: inbox === null ? webhooks : webhooks.filter((w) => w.inbox === inbox) });
    }
    if (what === 'config' && method === 'GET') {
      return json(200, {
        platforms: Object.fromEntries(
          core.platforms().map((p) => [p, { baseUrl: `${origin}/${p}`, key: KeyRing.defaultKey(p) }]),
        ),
      });
    }
    return json(404, { error: `unknown control route ${method} ${url.pathname}` });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => {
      // Not started: stop the save timer and any restored runs; the state file stays as it was.
      clearInterval(saveTimer);
      closed = true;
      core.reset();
      reject(err);
    });
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  return {
    server,
    core,
    ctx,
    port,
    origin,
    baseUrl: (p) => `${origin}/${p}`,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(saveTimer);
        try {
          save();
        } catch (err) {
          process.stderr.write(`sandbox: could not save ${stateFile}: ${String(err)}\n`);
        }
        closed = true;
        core.reset();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
