/**
 * Configuration from the environment, parsed with zod. A bad value stops start-up with one line
 * naming the variable ({@link ConfigError}).
 *
 * Secrets (API keys, tokens) live only here, in the worker process: workflows name a credential
 * alias and activities resolve it through {@link Credentials}.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { Platform } from './providers/errors.js';
import { credentialAlias } from './contracts/aliases.js';

/** A configuration problem, reported as one line naming the variable. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

const url = z
  .string()
  .trim()
  .refine((s) => {
    try {
      const u = new URL(s);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an absolute http:// or https:// URL');

const port = z.coerce.number().int().min(0).max(65535);
const hostPort = z
  .string()
  .trim()
  .regex(/^[^\s:/]+(:\d{1,5})?$|^\[[0-9a-fA-F:]+\](:\d{1,5})?$/, 'must be host:port (for example localhost:7233)');
const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', ''])
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

/** Every variable Switchboard reads (besides per-alias credentials), with its rule. */
const envSchema = z.object({
  TEMPORAL_ADDRESS: hostPort.optional(),
  TEMPORAL_NAMESPACE: z.string().trim().min(1).default('default'),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS: bool.optional(),
  TEMPORAL_TLS_CLIENT_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: z.string().min(1).optional(),
  TEMPORAL_PROFILE: z.string().min(1).optional(),
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  SWITCHBOARD_TASK_QUEUE: z.string().min(1).default('switchboard'),
  SWITCHBOARD_DATA_DIR: z.string().min(1).default('.switchboard'),
  SWITCHBOARD_ARTIFACT_DIR: z.string().min(1).optional(),
  SWITCHBOARD_METRICS_PORT: port.optional(),
  /**
   * Where the Prometheus endpoint binds, as host:port, when it must be reachable from another host
   * (`0.0.0.0:9464` in a container scraped by Prometheus). Wins over SWITCHBOARD_METRICS_PORT,
   * which binds 127.0.0.1.
   */
  SWITCHBOARD_METRICS_ADDRESS: hostPort.optional(),
  /**
   * Worker Versioning: the Worker Deployment this worker belongs to. Set, the worker is versioned
   * (build id SWITCHBOARD_BUILD_ID): long-lived workflows stay PINNED to their build, the rest
   * AUTO_UPGRADE (src/workflows/versioning.ts). Unset, the worker is unversioned.
   */
  SWITCHBOARD_DEPLOYMENT_NAME: z.string().trim().min(1).max(200).optional(),
  /** Build id of this worker within its deployment. @default the package version */
  SWITCHBOARD_BUILD_ID: z.string().trim().min(1).max(200).optional(),
  /** OTLP/HTTP collector (e.g. http://127.0.0.1:4318): traces are exported there; unset, tracing is off. */
  OTEL_EXPORTER_OTLP_ENDPOINT: url.optional(),
  SWITCHBOARD_TEMPORAL_PORT: port.default(7233),
  SWITCHBOARD_UI_PORT: port.default(8233),
  SWITCHBOARD_SANDBOX_PORT: port.default(7380),
  /**
   * `npm run sandbox` only: replay a repeated `Idempotency-Key` (`1`/`all`, or `mix,webagent`).
   * Unset, each simulated platform ignores the header as the real one does.
   */
  SWITCHBOARD_SANDBOX_REPLAY_IDEMPOTENCY: z.string().trim().max(200).optional(),
  SWITCHBOARD_WORKFLOW_BUNDLE: z.string().min(1).optional(),
  /**
   * `required`: every decision must carry an Ed25519 proof from a trusted approver key (unproven
   * ones are refused and audited). `optional` (development default): typed names are accepted and
   * audited as `unverified`; a proof that is present must still hold.
   */
  SWITCHBOARD_DECISION_PROOF: z.enum(['required', 'optional']).default('optional'),
  /** Keys directory shared by the CLI and a local worker (`private/`, `trusted/`). @default <data dir>/keys */
  SWITCHBOARD_KEYS_DIR: z.string().min(1).optional(),
  /** Public keys the worker trusts (`<name>.pub.pem`). @default <keys dir>/trusted */
  SWITCHBOARD_TRUSTED_KEYS_DIR: z.string().min(1).optional(),
  /**
   * Benchmarks only: a bundle of the diagnostic workflows (src/workflows/diagnostics.ts). When set,
   * the process also runs a diagnostics worker on `<task queue>-diagnostics`; the production
   * worker never registers them.
   */
  SWITCHBOARD_DIAGNOSTICS_BUNDLE: z.string().min(1).optional(),
  SWITCHBOARD_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).optional(),
  /**
   * Activities running at once. Following a session or a research run holds one for as long as
   * the platform streams (hours for deep research), and they are I/O-bound, so the SDK's default
   * of 100 would leave the 101st approved research waiting for a slot.
   */
  SWITCHBOARD_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).default(2000),
  /** `switchboard serve`: the address to bind. Loopback unless you mean otherwise. @default 127.0.0.1 */
  SWITCHBOARD_GATEWAY_HOST: z.string().min(1).default('127.0.0.1'),
  SWITCHBOARD_GATEWAY_PORT: port.default(7390),
  /** The gateway's state (people, secret, used links, audit). @default <data dir>/gateway */
  SWITCHBOARD_GATEWAY_DIR: z.string().min(1).optional(),
  /** Signs cookies, CSRF tokens and decision links; else a generated file in the gateway dir. */
  SWITCHBOARD_GATEWAY_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** The gateway's public origin (links, form Origin check), e.g. https://switchboard.example.com. */
  SWITCHBOARD_GATEWAY_ORIGIN: z
    .string()
    .regex(/^https?:\/\/[^/\s]+$/, 'must be an origin: scheme://host[:port], no path')
    .optional(),
  /**
   * How long the decision links a worker attaches to gate notifications live (links are attached
   * only when the worker has both `SWITCHBOARD_GATEWAY_ORIGIN` and `SWITCHBOARD_GATEWAY_SECRET`).
   * @default 86400
   */
  SWITCHBOARD_NOTIFY_LINK_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(7 * 86_400)
    .default(86_400),
  /** Sign-in through an OpenID Connect provider (optional): its issuer URL. Needs SWITCHBOARD_OIDC_CLIENT_ID. */
  SWITCHBOARD_OIDC_ISSUER: url.optional(),
  SWITCHBOARD_OIDC_CLIENT_ID: z.string().min(1).max(500).optional(),
  /** Confidential clients only (sent with HTTP Basic to the token endpoint); PKCE is used either way. */
  SWITCHBOARD_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  /** Registered redirect URL. @default <gateway origin>/ui/oidc/callback */
  SWITCHBOARD_OIDC_REDIRECT_URL: url.optional(),
  /** The sign-in button's label. @default the issuer's host */
  SWITCHBOARD_OIDC_LABEL: z.string().min(1).max(100).optional(),
  SWITCHBOARD_LOG_LEVEL: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  SWITCHBOARD_NOTIFY_WEBHOOK: url.optional(),
  SWITCHBOARD_NOTIFY_SECRET: z
    .string()
    .regex(
      /^whsec_[A-Za-z0-9+/=]+(\s*,\s*whsec_[A-Za-z0-9+/=]+)*$/,
      'must be Standard Webhooks secrets (whsec_<base64>), comma-separated',
    )
    .optional(),
  /**
   * Targets the webhook outbox may reach although they resolve to loopback, private, link-local
   * or metadata addresses: comma-separated CIDRs (`10.1.0.0/16`), addresses or host names.
   */
  SWITCHBOARD_WEBHOOK_ALLOW: z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(
        z
          .string()
          .refine(isAllowEntry, 'each entry must be a CIDR (10.0.0.0/8, fd00::/8), an IP address or a host name'),
      ),
    )
    .optional(),
  WEBAGENT_BASE_URL: url.optional(),
  WEBAGENT_API_KEY: z.string().min(1).optional(),
  WEBAGENT_PROJECT_ID: z.string().min(1).optional(),
  ARCHASTRO_BASE_URL: url.optional(),
  ARCHASTRO_API_KEY: z.string().min(1).optional(),
  /** An app-scoped user (bot/worker) access token: sent as `Authorization: Bearer` (SDK `withToken`). */
  ARCHASTRO_ACCESS_TOKEN: z.string().min(1).optional(),
  WYSEMATE_BASE_URL: url.optional(),
  WYSEMATE_API_KEY: z.string().min(1).optional(),
  WYSEMATE_CONFIG: z.string().min(1).optional(),
  MIX_SERVER_URL: url.optional(),
  MIX_API_KEY: z.string().min(1).optional(),
  MYCEL_BASE_URL: url.optional(),
});

export type Env = z.output<typeof envSchema>;

/** The worker's Prometheus bind address (host:port), or undefined when metrics are off. */
export function metricsBindAddress(env: Env): string | undefined {
  return (
    env.SWITCHBOARD_METRICS_ADDRESS ??
    (env.SWITCHBOARD_METRICS_PORT !== undefined ? `127.0.0.1:${env.SWITCHBOARD_METRICS_PORT}` : undefined)
  );
}

/** Environment variable prefix per platform. */
export const PLATFORM_ENV: Record<Platform, { baseUrl: string; key: string }> = {
  webagent: { baseUrl: 'WEBAGENT_BASE_URL', key: 'WEBAGENT_API_KEY' },
  archastro: { baseUrl: 'ARCHASTRO_BASE_URL', key: 'ARCHASTRO_API_KEY' },
  wysemate: { baseUrl: 'WYSEMATE_BASE_URL', key: 'WYSEMATE_API_KEY' },
  mix: { baseUrl: 'MIX_SERVER_URL', key: 'MIX_API_KEY' },
  mycel: { baseUrl: 'MYCEL_BASE_URL', key: 'MYCEL_TOKEN' },
};

/**
 * Parses the environment. Empty strings count as unset (a blank line in an env file should not
 * fail start-up). Throws {@link ConfigError} naming the first bad variable.
 */
export function parseEnv(raw: NodeJS.ProcessEnv = process.env): Env {
  const cleaned = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== ''));
  const res = envSchema.safeParse(cleaned);
  if (!res.success) {
    const issue = res.error.issues[0]!;
    const variable = String(issue.path[0]);
    const value = cleaned[variable];
    const shown = value !== undefined && !/KEY|TOKEN|SECRET/.test(variable) ? ` (got "${value}")` : '';
    throw new ConfigError(variable, `${issue.message}${shown}`);
  }
  if (res.data.SWITCHBOARD_OIDC_ISSUER && !res.data.SWITCHBOARD_OIDC_CLIENT_ID)
    throw new ConfigError(
      'SWITCHBOARD_OIDC_CLIENT_ID',
      'must be set with SWITCHBOARD_OIDC_ISSUER (the client id registered with the provider)',
    );
  return res.data;
}

/** An alias is a short name, never a secret: letters, digits, `-`, `_`. */
export const aliasSchema = credentialAlias('credential alias must be 1-63 letters, digits, - or _');

/** True for `10.0.0.0/8`, `fd00::/8`, `127.0.0.1`, `::1` or a host name. */
function isAllowEntry(s: string): boolean {
  const [addr, bits, extra] = s.split('/');
  if (extra !== undefined || !addr) return false;
  const family = isIP(addr);
  if (bits !== undefined) {
    const n = Number(bits);
    return family !== 0 && /^\d{1,3}$/.test(bits) && n <= (family === 4 ? 32 : 128);
  }
  return (
    family !== 0 || /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$/.test(addr)
  );
}

function aliasSuffix(alias: string): string {
  return alias.toUpperCase().replace(/-/g, '_');
}

/** Settings read from a Wyse Mate `mate.yaml` (as the seed's `load_default_config` does). */
export interface MateConfig {
  api_key?: string;
  base_url?: string;
  timeout?: number;
  user_agent?: string;
}

/**
 * Reads `mate.yaml` the way the Wyse Mate SDK's `load_default_config` does: from the given path or
 * `./mate.yaml`; a missing file yields undefined, a malformed one is an error.
 * (Assumption: the seed names the file and its fields — api_key, base_url, timeout, user_agent —
 * but not its search path.)
 */
export function loadMateConfig(path?: string): MateConfig | undefined {
  const file = resolve(path ?? 'mate.yaml');
  if (!existsSync(file)) {
    if (path) throw new ConfigError('WYSEMATE_CONFIG', `file not found: ${file}`);
    return undefined;
  }
  const parsed = z
    .object({
      api_key: z.string().optional(),
      base_url: url.optional(),
      timeout: z.number().positive().optional(),
      user_agent: z.string().optional(),
    })
    .passthrough()
    .safeParse(parseYaml(readFileSync(file, 'utf8')) ?? {});
  if (!parsed.success)
    throw new ConfigError(
      'WYSEMATE_CONFIG',
      `${file}: ${parsed.error.issues[0]!.path.join('.')} ${parsed.error.issues[0]!.message}`,
    );
  return parsed.data;
}

/** ArchAstro's second credential kind: an access token (alias `ops` → `ARCHASTRO_ACCESS_TOKEN_OPS`). */
const ARCHASTRO_TOKEN_ENV = 'ARCHASTRO_ACCESS_TOKEN';

/** What a provider client needs to talk to one platform as one credential. */
export interface PlatformEndpoint {
  platform: Platform;
  alias: string;
  baseUrl: string;
  secret?: string;
  /** ArchAstro only: a user/bot access token (`ARCHASTRO_ACCESS_TOKEN[_ALIAS]`), beside or instead of the app key. */
  accessToken?: string;
  /** Web Agent only. */
  projectId?: string;
  timeoutMs?: number;
  userAgent?: string;
}

/**
 * Resolves credential aliases to secrets from the worker's environment:
 * alias `default` → `WEBAGENT_API_KEY`; alias `ops` → `WEBAGENT_API_KEY_OPS`; Mycel → `MYCEL_TOKEN_<ALIAS>`.
 */
export class Credentials {
  private readonly mate?: MateConfig;

  constructor(
    private readonly env: Env,
    private readonly raw: NodeJS.ProcessEnv = process.env,
  ) {
    this.mate = loadMateConfig(env.WYSEMATE_CONFIG);
  }

  baseUrl(platform: Platform): string | undefined {
    switch (platform) {
      case 'webagent':
        return this.env.WEBAGENT_BASE_URL;
      case 'archastro':
        return this.env.ARCHASTRO_BASE_URL;
      case 'wysemate':
        return this.env.WYSEMATE_BASE_URL ?? this.mate?.base_url;
      case 'mix':
        return this.env.MIX_SERVER_URL;
      case 'mycel':
        return this.env.MYCEL_BASE_URL;
    }
  }

  /** The variable that holds the secret for (platform, alias): shown in errors, never the value. */
  variableFor(platform: Platform, alias: string): string {
    const base = PLATFORM_ENV[platform].key;
    if (platform === 'mycel') return `${base}_${aliasSuffix(alias)}`;
    return alias === 'default' ? base : `${base}_${aliasSuffix(alias)}`;
  }

  secret(platform: Platform, alias: string): string | undefined {
    const v = this.raw[this.variableFor(platform, alias)];
    if (v) return v;
    if (platform === 'wysemate' && alias === 'default') return this.mate?.api_key;
    return undefined;
  }

  /**
   * Every secret value this process can see: each platform's keys and tokens under any alias,
   * `TEMPORAL_API_KEY`, every webhook signing secret (whole and without `whsec_`), and `mate.yaml`'s
   * key. The worker registers them so no log line prints one.
   */
  secretValues(): string[] {
    const prefixes = [...Object.values(PLATFORM_ENV).map((p) => p.key), ARCHASTRO_TOKEN_ENV];
    const fromEnv = Object.entries(this.raw)
      .filter(([name]) => prefixes.some((p) => name === p || name.startsWith(`${p}_`)))
      .map(([, v]) => v);
    const webhooks = new WebhookEndpoints(this.env, this.raw).secretValues();
    return [
      ...fromEnv,
      this.env.TEMPORAL_API_KEY,
      this.env.SWITCHBOARD_GATEWAY_SECRET,
      this.env.SWITCHBOARD_OIDC_CLIENT_SECRET,
      ...webhooks,
      this.mate?.api_key,
    ].filter((v): v is string => typeof v === 'string' && v.length > 0);
  }

  /** Everything needed to build a client; throws {@link ConfigError} when the platform is not configured. */
  endpoint(platform: Platform, alias = 'default'): PlatformEndpoint {
    const baseUrl = this.baseUrl(platform);
    if (!baseUrl) throw new ConfigError(PLATFORM_ENV[platform].baseUrl, 'not set');
    return {
      platform,
      alias,
      baseUrl,
      secret: this.secret(platform, alias),
      accessToken:
        platform === 'archastro'
          ? this.raw[alias === 'default' ? ARCHASTRO_TOKEN_ENV : `${ARCHASTRO_TOKEN_ENV}_${aliasSuffix(alias)}`] ||
            undefined
          : undefined,
      projectId: platform === 'webagent' ? this.env.WEBAGENT_PROJECT_ID : undefined,
      timeoutMs: platform === 'wysemate' && this.mate?.timeout ? this.mate.timeout * 1000 : undefined,
      userAgent: platform === 'wysemate' ? this.mate?.user_agent : undefined,
    };
  }
}

/** One webhook endpoint as the worker resolves it: where to POST and the secrets that sign. */
export interface WebhookEndpoint {
  alias: string;
  url: string;
  /** Standard Webhooks secrets (`whsec_…`); every one signs (rotation: receivers accept any). */
  secrets: string[];
  /**
   * Event types this endpoint accepts (`gate.reminder`, or a prefix `gate.*`), from
   * `SWITCHBOARD_WEBHOOK_<ALIAS>_EVENTS`; undefined: any. Anyone who can start workflows can ask
   * the outbox to sign a message, so a receiver that acts on some types only should say which.
   */
  events?: string[];
  /** The variable that holds the URL (shown in errors, never a secret). */
  variable: string;
}

const WEBHOOK_VAR = /^SWITCHBOARD_WEBHOOK_([A-Z0-9_]+)_(URL|SECRET|EVENTS)$/;
const eventPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(\.\*)?$|^\*$/;
const whsec = /^whsec_[A-Za-z0-9+/=]+$/;

/**
 * The webhook outbox's endpoints, from the worker's environment: alias `ops` is
 * `SWITCHBOARD_WEBHOOK_OPS_URL` with `SWITCHBOARD_WEBHOOK_OPS_SECRET` (several secrets
 * comma-separated while one is rotated out: each signs) and optionally
 * `SWITCHBOARD_WEBHOOK_OPS_EVENTS` (the event types it accepts). Alias `default` is
 * `SWITCHBOARD_WEBHOOK_DEFAULT_URL`, else `SWITCHBOARD_NOTIFY_WEBHOOK` with
 * `SWITCHBOARD_NOTIFY_SECRET`. Every such variable is checked at start-up: a bad URL or secret
 * stops the worker with one line naming it ({@link ConfigError}).
 */
export class WebhookEndpoints {
  /** CIDRs, addresses and host names the SSRF guard lets through (`SWITCHBOARD_WEBHOOK_ALLOW`). */
  readonly allow: string[];

  constructor(
    private readonly env: Pick<
      Env,
      'SWITCHBOARD_NOTIFY_WEBHOOK' | 'SWITCHBOARD_NOTIFY_SECRET' | 'SWITCHBOARD_WEBHOOK_ALLOW'
    >,
    private readonly raw: NodeJS.ProcessEnv = process.env,
  ) {
    this.allow = env.SWITCHBOARD_WEBHOOK_ALLOW ?? [];
    for (const [name, value] of Object.entries(raw)) {
      const m = WEBHOOK_VAR.exec(name);
      if (!m || value === undefined || value === '') continue;
      if (m[2] === 'URL' && !url.safeParse(value).success)
        throw new ConfigError(name, `must be an absolute http:// or https:// URL (got "${value}")`);
      if (m[2] === 'SECRET' && !splitSecrets(value).every((s) => whsec.test(s)))
        throw new ConfigError(name, 'must be Standard Webhooks secrets (whsec_<base64>), comma-separated');
      if (m[2] === 'EVENTS' && !splitSecrets(value).every((s) => eventPattern.test(s)))
        throw new ConfigError(
          name,
          `must be event types or prefixes (gate.reminder, gate.*), comma-separated (got "${value}")`,
        );
    }
  }

  /** The endpoint behind an alias, or undefined when the worker has none by that name. */
  get(alias: string): WebhookEndpoint | undefined {
    const suffix = aliasSuffix(alias);
    const variable = `SWITCHBOARD_WEBHOOK_${suffix}_URL`;
    const own = this.raw[variable];
    const eventsVar = this.raw[`SWITCHBOARD_WEBHOOK_${suffix}_EVENTS`];
    const events = eventsVar ? splitSecrets(eventsVar) : undefined;
    if (own)
      return {
        alias,
        url: own.trim(),
        secrets: splitSecrets(this.raw[`SWITCHBOARD_WEBHOOK_${suffix}_SECRET`] ?? ''),
        variable,
        events,
      };
    if (alias === 'default' && this.env.SWITCHBOARD_NOTIFY_WEBHOOK) {
      return {
        alias,
        url: this.env.SWITCHBOARD_NOTIFY_WEBHOOK,
        secrets: splitSecrets(this.env.SWITCHBOARD_NOTIFY_SECRET ?? ''),
        variable: 'SWITCHBOARD_NOTIFY_WEBHOOK',
        events,
      };
    }
    return undefined;
  }

  /** The variable an alias's URL would be read from (for "not configured" messages). */
  variableFor(alias: string): string {
    return `SWITCHBOARD_WEBHOOK_${aliasSuffix(alias)}_URL`;
  }

  /** Every signing secret, whole and without `whsec_`, so no log line prints one. */
  secretValues(): string[] {
    const all = Object.entries(this.raw)
      .filter(([name]) => WEBHOOK_VAR.exec(name)?.[2] === 'SECRET')
      .flatMap(([, v]) => splitSecrets(v ?? ''));
    if (this.env.SWITCHBOARD_NOTIFY_SECRET) all.push(...splitSecrets(this.env.SWITCHBOARD_NOTIFY_SECRET));
    return all.flatMap((s) => [s, s.replace(/^whsec_/, '')]);
  }
}

function splitSecrets(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** True when `eventType` is one of `patterns` (`gate.reminder`, `gate.*`, `*`). */
export function eventAllowed(patterns: readonly string[] | undefined, eventType: string): boolean {
  if (!patterns) return true;
  return patterns.some(
    (p) => p === '*' || p === eventType || (p.endsWith('.*') && eventType.startsWith(p.slice(0, -1))),
  );
}

/**
 * Whether the worker attaches one-time decision links to gate notifications, and how: only when
 * it knows the gateway's public origin and shares its secret (`SWITCHBOARD_GATEWAY_ORIGIN`,
 * `SWITCHBOARD_GATEWAY_SECRET`). Without either, notifications go out as before, without links.
 */
export function notificationLinkSettings(
  env: Pick<Env, 'SWITCHBOARD_GATEWAY_ORIGIN' | 'SWITCHBOARD_GATEWAY_SECRET' | 'SWITCHBOARD_NOTIFY_LINK_TTL_SECONDS'>,
): { origin: string; secret: string; ttlSeconds: number } | undefined {
  if (!env.SWITCHBOARD_GATEWAY_ORIGIN || !env.SWITCHBOARD_GATEWAY_SECRET) return undefined;
  return {
    origin: env.SWITCHBOARD_GATEWAY_ORIGIN,
    secret: env.SWITCHBOARD_GATEWAY_SECRET,
    ttlSeconds: env.SWITCHBOARD_NOTIFY_LINK_TTL_SECONDS,
  };
}
