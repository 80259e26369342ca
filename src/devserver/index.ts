/**
 * Finds or builds the Temporal CLI, then runs `temporal server start-dev` with a SQLite file, the
 * Web UI, the `default` namespace and Switchboard's search attributes.
 *
 * Lookup order (DESIGN.md "Running it"): `TEMPORAL_CLI_PATH`, `temporal` on PATH, a cached build
 * outside the clone, `go install …@v1.5.1` into that cache, and last the SDK's own download.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The CLI version we build: later tags carry a `replace` directive that `go install` refuses. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';

/** Custom search attributes every Switchboard namespace needs. */
export const SEARCH_ATTRIBUTES = {
  SwitchboardProvider: 'Keyword',
  SwitchboardStatus: 'Keyword',
  AwaitingHuman: 'Bool',
  GateKind: 'Keyword',
  GateDeadline: 'Datetime',
  MonitorLastSnapshotAt: 'Datetime',
  MonitorLastChangeAt: 'Datetime',
} as const;

/** Directory for the cached CLI build: outside the clone so CI and later runs reuse it. */
export function cliCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.SWITCHBOARD_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'switchboard');
  return join(base, `temporal-${TEMPORAL_CLI_VERSION}`);
}

/** Raised when no way of getting the CLI worked; the message lists each attempt and the fix. */
export class TemporalCliNotFoundError extends Error {
  constructor(readonly attempts: string[]) {
    super(
      [
        'Could not find or build the Temporal CLI. Tried:',
        ...attempts.map((a, i) => `  ${i + 1}. ${a}`),
        'Fix: install Go ≥ 1.22 and run',
        `  GOTOOLCHAIN=local GOBIN=${cliCacheDir()} go install github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`,
        'or set TEMPORAL_CLI_PATH to a temporal binary, or TEMPORAL_ADDRESS to a running server.',
      ].join('\n'),
    );
    this.name = 'TemporalCliNotFoundError';
  }
}

async function works(bin: string): Promise<boolean> {
  try {
    await run(bin, ['--version'], { timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

export interface FindCliOptions {
  env?: NodeJS.ProcessEnv;
  /** Progress lines (the Go build takes minutes the first time). */
  log?: (line: string) => void;
  /** Allow building with Go / downloading when nothing is found. @default true */
  build?: boolean;
}

/** Returns a path to a working `temporal` binary, building or downloading one if needed. */
export async function findTemporalCli(opts: FindCliOptions = {}): Promise<string> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => {});
  const attempts: string[] = [];

  if (env.TEMPORAL_CLI_PATH) {
    if (await works(env.TEMPORAL_CLI_PATH)) return env.TEMPORAL_CLI_PATH;
    attempts.push(`TEMPORAL_CLI_PATH=${env.TEMPORAL_CLI_PATH}: not an executable temporal binary`);
  } else attempts.push('TEMPORAL_CLI_PATH: not set');

  const fromPath = onPath('temporal', env);
  if (fromPath && (await works(fromPath))) return fromPath;
  attempts.push(fromPath ? `temporal on PATH (${fromPath}): does not run` : 'temporal on PATH: not found');

  const cacheDir = cliCacheDir(env);
  const cached = join(cacheDir, 'temporal');
  if (existsSync(cached) && (await works(cached))) return cached;
  attempts.push(`cached build ${cached}: not there`);

  if (opts.build === false) throw new TemporalCliNotFoundError(attempts);

  const go = onPath('go', env);
  if (go) {
    log(`Building the Temporal CLI ${TEMPORAL_CLI_VERSION} with Go into ${cacheDir} (a few minutes, once)…`);
    mkdirSync(cacheDir, { recursive: true });
    try {
      await run(go, ['install', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`], {
        env: { ...env, GOTOOLCHAIN: 'local', GOBIN: cacheDir, GOFLAGS: env.GOFLAGS ?? '' },
        timeout: 40 * 60_000,
        maxBuffer: 64 * 1024 * 1024,
      });
      if (await works(cached)) return cached;
      attempts.push(`go install into ${cacheDir}: finished but produced no working binary`);
    } catch (err) {
      const msg = String((err as { stderr?: string }).stderr ?? err)
        .trim()
        .split('\n')
        .slice(-3)
        .join(' | ');
      attempts.push(`go install github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}: failed (${msg})`);
    }
  } else attempts.push('go install: Go is not on PATH');

  // Last resort: the SDK's own download (needs internet; fails on offline machines).
  try {
    log('Trying the Temporal SDK download of the dev server…');
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    const downloadDir = join(cacheDir, 'sdk-download');
    const testEnv = await TestWorkflowEnvironment.createLocal({
      server: { executable: { type: 'cached-download', downloadDir } },
    });
    await testEnv.teardown();
    const found = await run('find', [downloadDir, '-type', 'f', '-name', 'temporal*', '-perm', '-u+x']).catch(() => ({
      stdout: '',
    }));
    const bin = found.stdout.split('\n').find(Boolean);
    if (bin && (await works(bin))) return bin;
    attempts.push('SDK download: ran but left no temporal binary');
  } catch (err) {
    attempts.push(`SDK download: failed (${(err as Error).message.split('\n')[0]})`);
  }
  throw new TemporalCliNotFoundError(attempts);
}

export interface DevServerOptions {
  cliPath: string;
  /** SQLite file; omit for an in-memory server (tests). */
  dbFile?: string;
  /** @default 7233 */
  port?: number;
  /** Web UI port; 0 disables the UI. @default port + 1000 */
  uiPort?: number;
  /** @default 'default' */
  namespace?: string;
  /** @default 'warn' */
  logLevel?: string;
  /** Extra dynamic config (`key=value`), e.g. a low `limit.historyCount.suggestContinueAsNew` in tests. */
  dynamicConfig?: Record<string, string | number | boolean>;
  /** Ports of the server's HTTP API and metrics (set them when two servers share a machine). */
  httpPort?: number;
  metricsPort?: number;
  /** Where the server's stdout/stderr go. @default 'ignore' */
  stdio?: 'inherit' | 'ignore' | 'pipe';
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Resolves when something accepts TCP connections on host:port, or rejects after `timeoutMs`. */
export async function waitForPort(
  host: string,
  port: number,
  timeoutMs: number,
  isDead?: () => string | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((res) => {
      const s = connect({ host, port }, () => {
        s.destroy();
        res(true);
      });
      s.on('error', () => res(false));
      s.setTimeout(1000, () => {
        s.destroy();
        res(false);
      });
    });
    if (ok) return;
    const dead = isDead?.();
    if (dead) throw new Error(dead);
    if (Date.now() > deadline) throw new Error(`nothing answered on ${host}:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** True when something already listens on 127.0.0.1:port. */
export async function portInUse(port: number): Promise<boolean> {
  return waitForPort('127.0.0.1', port, 0).then(
    () => true,
    () => false,
  );
}

/** Starts `temporal server start-dev` and waits until its gRPC port answers. */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const port = opts.port ?? 7233;
  const uiPort = opts.uiPort ?? port + 1000;
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--namespace',
    opts.namespace ?? 'default',
  ];
  args.push('--log-level', opts.logLevel ?? 'warn');
  if (uiPort > 0) args.push('--ui-port', String(uiPort), '--ui-ip', '127.0.0.1');
  else args.push('--headless');
  if (opts.dbFile) {
    mkdirSync(dirname(resolve(opts.dbFile)), { recursive: true });
    args.push('--db-filename', resolve(opts.dbFile));
  }
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
  // Eager activity dispatch: an activity scheduled by a workflow task goes straight back to the
  // worker that completed it, saving a round trip (steering latency). Off by default on the server.
  args.push('--dynamic-config-value', 'system.enableActivityEagerExecution=true');
  // The dev server runs one history shard, whose mutable-state cache holds 512 workflows by default.
  // Gates wait for days, so a busy inbox holds more than that open; a decision on an evicted one
  // first reloads it from SQLite (measured: +30–40% on decision latency with 1,000 open gates).
  args.push('--dynamic-config-value', 'history.cacheMaxSize=8192');
  for (const [k, v] of Object.entries(opts.dynamicConfig ?? {}))
    args.push('--dynamic-config-value', `${k}=${JSON.stringify(v)}`);
  if (opts.httpPort) args.push('--http-port', String(opts.httpPort));
  if (opts.metricsPort) args.push('--metrics-port', String(opts.metricsPort));

  const child = spawn(opts.cliPath, args, { stdio: opts.stdio ?? 'ignore' });
  let exited: string | undefined;
  child.on(
    'exit',
    (code, sig) =>
      (exited = `temporal server start-dev exited early (code ${code}, signal ${sig}): ${opts.cliPath} ${args.join(' ')}`),
  );
  try {
    await waitForPort('127.0.0.1', port, 60_000, () => exited);
    if (uiPort > 0) await waitForPort('127.0.0.1', uiPort, 30_000, () => exited);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    address: `127.0.0.1:${port}`,
    uiUrl: uiPort > 0 ? `http://127.0.0.1:${uiPort}` : undefined,
    process: child,
    stop: () =>
      new Promise<void>((res) => {
        if (child.exitCode !== null || child.signalCode !== null) return res();
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(t);
          res();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** A free TCP port on 127.0.0.1 (for tests). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}
