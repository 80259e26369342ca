/**
 * `switchboard serve`: the gateway process. One Hono app — the JSON API (src/gateway/api.ts), the
 * event streams, and the web inbox (src/gateway/web.ts) — on a Node HTTP server bound to
 * 127.0.0.1 unless configured otherwise.
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { SwitchboardClient } from '../client/index.js';
import { keysDir as defaultKeysDir } from '../identity/keys.js';
import type { Env } from '../config.js';
import { type GatewayEnv, mountApi } from './api.js';
import { OidcClient, type OidcSettings } from './oidc.js';
import { DEFAULT_RATE_LIMITS, type RateLimits } from './ratelimit.js';
import type { GatewayDeps } from './deps.js';
import { GatewayAudit, gatewayDir, loadSecret, UsedLinks, UserStore } from './state.js';
import { Signer } from './tokens.js';
import { TranscriptTails } from './transcript.js';
import { mountWeb } from './web.js';

export interface GatewayOptions {
  sb: SwitchboardClient;
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @default 7390 */
  port?: number;
  /** The gateway's state directory. @default `<data dir>/gateway` */
  dir?: string;
  /** `SWITCHBOARD_GATEWAY_SECRET` (else a generated file in `dir`). */
  secret?: string;
  keysDir?: string;
  /** The worker's artifact directory. @default `<data dir>/artifacts` */
  artifactDir?: string;
  /** The public origin (for links and the form Origin check). @default http://<host>:<port> */
  origin?: string;
  heartbeatMs?: number;
  endCheckMs?: number;
  maxStreamMs?: number;
  /** Sign-in and link-redemption limits. @default {@link DEFAULT_RATE_LIMITS} */
  rateLimits?: Partial<RateLimits>;
  /** Sign-in through an OpenID Connect provider (`SWITCHBOARD_OIDC_*`); off without it. */
  oidc?: OidcSettings;
}

/** The gateway options that come from the environment (shared by `switchboard serve` and `npm start`). */
export function gatewayEnvOptions(
  env: Env,
): Pick<GatewayOptions, 'dir' | 'secret' | 'origin' | 'keysDir' | 'artifactDir' | 'oidc'> {
  return {
    dir: gatewayDir(env),
    secret: env.SWITCHBOARD_GATEWAY_SECRET,
    origin: env.SWITCHBOARD_GATEWAY_ORIGIN,
    keysDir: defaultKeysDir(env),
    artifactDir: env.SWITCHBOARD_ARTIFACT_DIR ?? join(env.SWITCHBOARD_DATA_DIR, 'artifacts'),
    oidc: env.SWITCHBOARD_OIDC_ISSUER
      ? {
          issuer: env.SWITCHBOARD_OIDC_ISSUER,
          clientId: env.SWITCHBOARD_OIDC_CLIENT_ID!,
          clientSecret: env.SWITCHBOARD_OIDC_CLIENT_SECRET,
          redirectUrl: env.SWITCHBOARD_OIDC_REDIRECT_URL,
          label: env.SWITCHBOARD_OIDC_LABEL,
        }
      : undefined,
  };
}

export interface RunningGateway {
  url: string;
  deps: GatewayDeps;
  app: Hono<GatewayEnv>;
  server: ServerType;
  close(): Promise<void>;
}

/** Builds the app (routes, security headers) over `deps`. */
export function createGatewayApp(deps: GatewayDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.use('*', async (c, next) => {
    await next();
    // No page is framed, sniffed or leaks its URL (decision links carry a token) to other sites.
    // `same-origin`, not `no-referrer`: under no-referrer browsers post forms with `Origin: null`,
    // and the Origin check needs the real one.
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('X-Frame-Options', 'DENY');
    c.header('Referrer-Policy', 'same-origin');
    if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
  });
  app.get('/healthz', (c) => c.json({ ok: true }));
  mountApi(app, deps);
  mountWeb(app, deps);
  app.notFound((c) =>
    c.json({ error: { type: 'not_found', message: `no route ${c.req.method} ${c.req.path}`, issues: [] } }, 404),
  );
  app.onError((err, c) => {
    console.error('gateway:', err);
    return c.json({ error: { type: 'internal', message: 'internal error (see the gateway log)', issues: [] } }, 500);
  });
  return app;
}

/** Starts the gateway; resolves once it is listening. */
export async function startGateway(o: GatewayOptions): Promise<RunningGateway> {
  const dir = o.dir ?? gatewayDir();
  const host = o.host ?? '127.0.0.1';
  const deps: GatewayDeps = {
    sb: o.sb,
    users: new UserStore(dir),
    signer: new Signer(loadSecret(dir, o.secret)),
    audit: new GatewayAudit(dir),
    usedLinks: new UsedLinks(dir),
    keysDir: o.keysDir ?? defaultKeysDir(),
    artifactDir: o.artifactDir ?? join(process.env.SWITCHBOARD_DATA_DIR ?? '.switchboard', 'artifacts'),
    origins: [],
    tails: new TranscriptTails(),
    heartbeatMs: o.heartbeatMs ?? 15_000,
    endCheckMs: o.endCheckMs ?? 1_000,
    maxStreamMs: o.maxStreamMs ?? 3600_000,
    rateLimits: { ...DEFAULT_RATE_LIMITS, ...o.rateLimits },
  };
  if (o.oidc) deps.oidc = new OidcClient(o.oidc, () => deps.origins[0]!);
  const app = createGatewayApp(deps);
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port: o.port ?? 7390 }, () => resolve(s));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shown}:${port}`;
  // Forms are accepted from the gateway's own origin only (and its loopback aliases).
  deps.origins.push(o.origin ?? url);
  if (!o.origin && (host === '127.0.0.1' || host === 'localhost'))
    deps.origins.push(`http://localhost:${port}`, `http://127.0.0.1:${port}`);
  // Many long-lived event streams: no per-request timeout on the server side.
  server.setTimeout?.(0);
  return {
    url,
    deps,
    app,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
