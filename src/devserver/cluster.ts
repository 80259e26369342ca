/**
 * A real Temporal cluster on one machine, the shape of docker-compose.yml without Docker:
 * PostgreSQL (Debian's `postgresql` package), the schema (`temporal-sql-tool` with the versioned
 * schema files shipped in the server module), the Temporal server (postgres12 persistence, SQL
 * advanced visibility), the `default` namespace, Switchboard's search attributes, the Web UI,
 * Prometheus (scraping every worker and the server), the platform sandbox (for platforms without a
 * configured base URL) and N workers.
 *
 * Everything runs detached, on 127.0.0.1 only, with state, logs and pid files under
 * `<data dir>/cluster/`, so `npm run cluster -- stop` (another process) can take it down and a
 * second `npm run cluster` reuses the database. The server binaries are found or built like the
 * CLI ({@link findServerBinaries}).
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { tracedBundlePath } from '../telemetry/tracing.js';
import { findTemporalCli, portInUse, SEARCH_ATTRIBUTES, waitForPort } from './index.js';

const run = promisify(execFile);

/** The server and sql tool version we build (matches docker-compose.yml's images). */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
const SERVER_MODULE = 'go.temporal.io/server';
/** History shards: fixed when the database is first set up (docker-compose's server uses 4 too). */
const HISTORY_SHARDS = 4;
/** Repository root (for worker.ts, the sandbox and deploy/). */
const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

/**
 * The Temporal Web UI server we build: the version the Temporal CLI (v1.5.1, `src/devserver`)
 * embeds for its dev server, so its module is usually in the Go module cache already.
 */
export const UI_SERVER_VERSION = 'v2.42.1';
const UI_SERVER_MODULE = 'github.com/temporalio/ui-server/v2';

/** The Prometheus we build: compose's `prom/prometheus` image version. */
export const PROMETHEUS_VERSION = 'v3.5.0';
const PROMETHEUS_MODULE = 'github.com/prometheus/prometheus';
/** Prometheus's Go module numbers releases v0.<major><minor>.<patch>: v0.305.0 is Prometheus v3.5.0. */
const PROMETHEUS_MODULE_VERSION = 'v0.305.0';

function cacheBase(env: NodeJS.ProcessEnv): string {
  return env.SWITCHBOARD_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'switchboard');
}

/** Directory for the cached server build, outside the clone (next to the CLI's). */
export function serverCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheBase(env), `temporal-server-${TEMPORAL_SERVER_VERSION}`);
}

/** Directory for the cached Web UI server build, beside the server's. */
export function uiCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheBase(env), `temporal-ui-server-${UI_SERVER_VERSION}`);
}

/** Directory for the cached Prometheus build, beside the server's. */
export function prometheusCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheBase(env), `prometheus-${PROMETHEUS_VERSION}`);
}

export interface ServerBinaries {
  /** `temporal-server` (cmd/server). */
  server: string;
  /** `temporal-sql-tool` (cmd/tools/sql). */
  sql: string;
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) if (dir && existsSync(join(dir, name))) return join(dir, name);
  return undefined;
}

async function works(bin: string): Promise<boolean> {
  return run(bin, ['--version'], { timeout: 20_000 }).then(
    () => true,
    () => false,
  );
}

/**
 * Finds the Temporal server and sql tool: `TEMPORAL_SERVER_PATH` / `TEMPORAL_SQL_TOOL_PATH`, a
 * cached build, else `GOTOOLCHAIN=local go install` of both into the cache (about ten minutes,
 * once). The message of a failure lists every attempt and the command to run by hand.
 */
export async function findServerBinaries(
  opts: { env?: NodeJS.ProcessEnv; log?: (l: string) => void } = {},
): Promise<ServerBinaries> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => {});
  const dir = serverCacheDir(env);
  const server = env.TEMPORAL_SERVER_PATH ?? join(dir, 'server');
  const sql = env.TEMPORAL_SQL_TOOL_PATH ?? join(dir, 'sql');
  if ((await works(server)) && (await works(sql))) return { server, sql };
  log(
    `Building the Temporal server and sql tool ${TEMPORAL_SERVER_VERSION} with Go into ${dir} (about ten minutes, once)…`,
  );
  await goInstall(env, dir, 'the Temporal server', [
    `${SERVER_MODULE}/cmd/server@${TEMPORAL_SERVER_VERSION}`,
    `${SERVER_MODULE}/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`,
  ]);
  const built = { server: join(dir, 'server'), sql: join(dir, 'sql') };
  if (!(await works(built.server)) || !(await works(built.sql)))
    throw new Error(`go install finished but ${dir} holds no working server/sql binaries`);
  return built;
}

/**
 * `GOTOOLCHAIN=local go install <packages>` into `dir`: from the Go module proxy, or the module
 * cache when the modules are there. A failure names the last lines of Go's output and the command.
 */
async function goInstall(env: NodeJS.ProcessEnv, dir: string, what: string, packages: string[]): Promise<void> {
  const manual = `GOTOOLCHAIN=local GOBIN=${dir} go install ${packages.join(' ')}`;
  const go = onPath('go', env);
  if (!go) throw new Error(`${what} is not built and Go is not on PATH.\nFix: install Go ≥ 1.23 and run\n  ${manual}`);
  mkdirSync(dir, { recursive: true });
  try {
    await run(go, ['install', ...packages], {
      env: { ...env, GOTOOLCHAIN: 'local', GOBIN: dir },
      timeout: 60 * 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    throw new Error(`go install of ${what} failed (${goTail(err)}).\nRun by hand:\n  ${manual}`);
  }
}

/**
 * The last lines of a failed Go command's output, on one line (`go mod download -json` reports
 * its error in the JSON on stdout).
 */
function goTail(err: unknown): string {
  const { stderr, stdout } = err as { stderr?: string; stdout?: string };
  return String(stderr?.trim() || stdout?.trim() || err)
    .trim()
    .split('\n')
    .slice(-3)
    .join(' | ');
}

/**
 * Finds the Temporal Web UI server (`ui-server/v2/cmd/server`, the same server `temporalio/ui`
 * runs in compose): `TEMPORAL_UI_SERVER_PATH`, a cached build, else `go install` into the cache
 * (a minute or two with the module cached, once).
 */
export async function findUiServer(opts: { env?: NodeJS.ProcessEnv; log?: (l: string) => void } = {}): Promise<string> {
  const env = opts.env ?? process.env;
  const dir = uiCacheDir(env);
  const bin = env.TEMPORAL_UI_SERVER_PATH ?? join(dir, 'server');
  if (await works(bin)) return bin;
  opts.log?.(`Building the Temporal Web UI server ${UI_SERVER_VERSION} with Go into ${dir} (once)…`);
  await goInstall(env, dir, 'the Temporal Web UI server', [`${UI_SERVER_MODULE}/cmd/server@${UI_SERVER_VERSION}`]);
  if (!(await works(join(dir, 'server'))))
    throw new Error(`go install finished but ${dir} holds no working Web UI server`);
  return join(dir, 'server');
}

/**
 * Finds Prometheus (the server compose runs from `prom/prometheus`): `PROMETHEUS_PATH`, a cached
 * build, else a build from the Go module proxy into the cache (a few minutes, once).
 *
 * Not `go install module@version`: Go refuses it for a module whose go.mod has `replace`
 * directives, and Prometheus's has. So the module is downloaded (`go mod download`, answered from
 * the module cache when it is there) and built inside its own directory, where the replaces apply.
 * The version is stamped as Prometheus's release build does (`prometheus --version`); the web
 * pages are not built in (that needs Prometheus's npm build), the HTTP API is.
 */
export async function findPrometheus(
  opts: { env?: NodeJS.ProcessEnv; log?: (l: string) => void } = {},
): Promise<string> {
  const env = opts.env ?? process.env;
  const dir = prometheusCacheDir(env);
  const bin = env.PROMETHEUS_PATH ?? join(dir, 'prometheus');
  if (await works(bin)) return bin;
  opts.log?.(`Building Prometheus ${PROMETHEUS_VERSION} with Go into ${dir} (a few minutes, once)…`);
  const out = join(dir, 'prometheus');
  const ldflags = `-X github.com/prometheus/common/version.Version=${PROMETHEUS_VERSION.slice(1)}`;
  const build = `GOTOOLCHAIN=local GOFLAGS=-mod=mod go build -ldflags "${ldflags}" -o ${out} ./cmd/prometheus`;
  const download = `GOTOOLCHAIN=local go mod download -json ${PROMETHEUS_MODULE}@${PROMETHEUS_MODULE_VERSION}`;
  const manual = (src: string) => `  ${download}\n  cd ${src} && ${build}`;
  const go = onPath('go', env);
  if (!go)
    throw new Error(
      `Prometheus is not built and Go is not on PATH.\nFix: install Go ≥ 1.23, then run\n${manual('<its "Dir">')}`,
    );
  mkdirSync(dir, { recursive: true });
  let src: string;
  try {
    const { stdout } = await run(
      go,
      ['mod', 'download', '-json', `${PROMETHEUS_MODULE}@${PROMETHEUS_MODULE_VERSION}`],
      {
        env: { ...env, GOTOOLCHAIN: 'local' },
        cwd: dir,
        timeout: 30 * 60_000,
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    src = (JSON.parse(stdout) as { Dir: string }).Dir;
  } catch (err) {
    throw new Error(`go mod download of Prometheus failed (${goTail(err)}).\nRun by hand:\n${manual('<its "Dir">')}`);
  }
  try {
    await run(go, ['build', '-ldflags', ldflags, '-o', out, './cmd/prometheus'], {
      env: { ...env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' },
      cwd: src,
      timeout: 60 * 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    throw new Error(`go build of Prometheus failed (${goTail(err)}).\nRun by hand:\n${manual(src)}`);
  }
  if (!(await works(out))) throw new Error(`go build finished but ${out} is no working Prometheus`);
  return out;
}

/**
 * The PostgreSQL schema directory (`…/schema/postgresql/v12`) of the server module, downloading the module if needed.
 */
export async function findSchemaDir(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.TEMPORAL_SCHEMA_DIR) return env.TEMPORAL_SCHEMA_DIR;
  const go = onPath('go', env);
  if (!go)
    throw new Error(
      'TEMPORAL_SCHEMA_DIR is not set and Go is not on PATH to find the schema files of the server module',
    );
  // `go mod download -json` answers from the module cache when the module is there (no network).
  const { stdout } = await run(go, ['mod', 'download', '-json', `${SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}`], {
    env: { ...env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' },
    cwd: serverCacheDir(env),
    timeout: 10 * 60_000,
  });
  const dir = join((JSON.parse(stdout) as { Dir: string }).Dir, 'schema', 'postgresql', 'v12');
  if (!existsSync(join(dir, 'temporal', 'versioned'))) throw new Error(`no PostgreSQL schema in ${dir}`);
  return dir;
}

/** PostgreSQL's bin directory: `PG_BIN`, `pg_ctl` on PATH, else the newest `/usr/lib/postgresql/<v>/bin`. */
export function findPostgresBin(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PG_BIN) return env.PG_BIN;
  const fromPath = onPath('pg_ctl', env);
  if (fromPath) return resolve(fromPath, '..');
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'pg_ctl'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (!versions[0])
    throw new Error(
      'PostgreSQL not found: install it (apt-get install postgresql) or set PG_BIN to the directory holding pg_ctl and initdb',
    );
  return join(base, versions[0], 'bin');
}

/** Ports of one local cluster; all on 127.0.0.1, derived from one base port unless set. */
export interface ClusterPorts {
  postgres: number;
  frontend: number;
  frontendHttp: number;
  history: number;
  matching: number;
  internalWorker: number;
  /** The server's own Prometheus endpoint. */
  serverMetrics: number;
  sandbox: number;
  /** First worker metrics port; worker i (1-based) uses `workerMetrics + i - 1`. */
  workerMetrics: number;
  /** The Web UI (npm run cluster passes 8233 instead). */
  ui: number;
  /** Prometheus (npm run cluster passes 9090 instead); above the metrics ports of 32 workers. */
  prometheus: number;
}

/** Port layout from the base (frontend gRPC) port. Membership ports are `rpc + 100`. */
export function clusterPorts(base: number): ClusterPorts {
  return {
    frontend: base,
    history: base + 1,
    matching: base + 2,
    internalWorker: base + 6,
    frontendHttp: base + 10,
    serverMetrics: base + 20,
    postgres: base + 30,
    sandbox: base + 40,
    workerMetrics: base + 50,
    ui: base + 60,
    prometheus: base + 90,
  };
}

export interface ClusterOptions {
  /** State, logs and pid files. @default <SWITCHBOARD_DATA_DIR>/cluster */
  dir: string;
  /** Frontend gRPC port; every other port derives from it ({@link clusterPorts}). @default 17233 */
  basePort: number;
  workers: number;
  /** Web UI port on 127.0.0.1 (`--ui-port`); `false`: no Web UI. @default base + 60 */
  uiPort?: number | false;
  /** Prometheus port on 127.0.0.1 (`--prometheus-port`); `false`: no Prometheus. @default base + 90 */
  prometheusPort?: number | false;
  /** Environment the workers inherit (platform URLs and keys; a sandbox fills the missing ones). */
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

/** What a running cluster wrote down in `<dir>/cluster.json`. */
export interface ClusterState {
  address: string;
  namespace: string;
  ports: ClusterPorts;
  workers: number;
  sandboxOrigin?: string;
  /** The Web UI, when it was started. */
  uiUrl?: string;
  /** Prometheus, when it was started (it scrapes every worker and the server). */
  prometheusUrl?: string;
  /** The environment each worker gets, besides its metrics port (no secrets: sandbox keys only). */
  workerEnv: Record<string, string>;
}

const pidFile = (dir: string, name: string) => join(dir, 'pids', `${name}.pid`);
const logFile = (dir: string, name: string) => join(dir, 'logs', `${name}.log`);

/** True when `pid` is alive and its command line contains `marker` (a reused pid is not ours). */
function ours(pid: number, marker: string): boolean {
  try {
    process.kill(pid, 0);
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
  } catch {
    return false;
  }
}

function readPid(dir: string, name: string): number | undefined {
  const f = pidFile(dir, name);
  if (!existsSync(f)) return undefined;
  const pid = Number(readFileSync(f, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * How the processes this one started ended, by pid: a start that fails says the exit code or the
 * signal instead of guessing from /proc.
 */
const exits = new Map<number, { code: number | null; signal: NodeJS.Signals | null }>();

/** Starts a detached process with its output in `<dir>/logs/<name>.log` and a pid file. */
function spawnDetached(
  dir: string,
  name: string,
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd = ROOT,
): number {
  mkdirSync(join(dir, 'logs'), { recursive: true });
  mkdirSync(join(dir, 'pids'), { recursive: true });
  const out = openSync(logFile(dir, name), 'a');
  const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${name}: ${cmd}`);
  const pid = child.pid;
  child.once('exit', (code, signal) => exits.set(pid, { code, signal }));
  writeFileSync(pidFile(dir, name), String(child.pid));
  return child.pid;
}

/** Sends `signal`, then waits (bounded) for the process to go; SIGKILL after `graceMs`. */
async function stopPid(pid: number, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

// ---------------------------------------------------------------- PostgreSQL

/** As root, PostgreSQL refuses to run: its commands run as the `postgres` user instead. */
function asPgUser(cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

function pgOwn(path: string): void {
  if (process.getuid?.() !== 0) return;
  const { uid, gid } = userInfoOf('postgres');
  chownSync(path, uid, gid);
}

function userInfoOf(name: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line)
    throw new Error(`running as root needs a "${name}" user to run PostgreSQL (apt-get install postgresql creates it)`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** The database password, made once and kept (mode 0600) beside the data directory. */
function dbPassword(dir: string): string {
  const f = join(dir, 'db-password');
  if (!existsSync(f)) writeFileSync(f, randomBytes(18).toString('base64url'), { mode: 0o600 });
  return readFileSync(f, 'utf8').trim();
}

async function startPostgres(dir: string, port: number, log: (l: string) => void): Promise<void> {
  const bin = findPostgresBin();
  const pgDir = join(dir, 'pg');
  const data = join(pgDir, 'data');
  mkdirSync(pgDir, { recursive: true });
  pgOwn(pgDir);
  if (!existsSync(join(data, 'PG_VERSION'))) {
    log(`PostgreSQL: initialising ${data}`);
    // The superuser is `temporal` with a password; host logins need it (scram), the socket is the owner's only.
    const pw = join(pgDir, 'pwfile');
    writeFileSync(pw, dbPassword(dir), { mode: 0o600 });
    pgOwn(pw);
    try {
      const [cmd, args] = asPgUser(join(bin, 'initdb'), [
        '-D',
        data,
        '-U',
        'temporal',
        `--pwfile=${pw}`,
        '--auth-host=scram-sha-256',
        '--auth-local=peer',
        '-E',
        'UTF8',
      ]);
      await run(cmd, args, { timeout: 120_000 });
    } finally {
      rmSync(pw, { force: true });
    }
  }
  if (await portInUse(port)) {
    if (existsSync(join(data, 'postmaster.pid'))) return log(`PostgreSQL: already running on 127.0.0.1:${port}`);
    throw new Error(`port ${port} (PostgreSQL) is in use by something else; choose another base port with --port`);
  }
  const opts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${pgDir} -c max_connections=200`;
  const [cmd, args] = asPgUser(join(bin, 'pg_ctl'), [
    '-D',
    data,
    '-l',
    join(pgDir, 'postgres.log'),
    '-o',
    opts,
    '-w',
    '-t',
    '60',
    'start',
  ]);
  await run(cmd, args, { timeout: 90_000 });
  log(`PostgreSQL on 127.0.0.1:${port} (data in ${data})`);
}

async function stopPostgres(dir: string, log: (l: string) => void): Promise<void> {
  const data = join(dir, 'pg', 'data');
  if (!existsSync(join(data, 'postmaster.pid'))) return;
  const [cmd, args] = asPgUser(join(findPostgresBin(), 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
  await run(cmd, args, { timeout: 90_000 }).catch((err: unknown) =>
    log(`PostgreSQL: stop failed: ${(err as Error).message.split('\n')[0]}`),
  );
  log('PostgreSQL stopped');
}

/** Creates both databases and brings their schema to the version this server needs (idempotent). */
async function setupSchema(dir: string, sqlTool: string, port: number, log: (l: string) => void): Promise<void> {
  const schema = await findSchemaDir();
  const env = {
    ...process.env,
    SQL_PLUGIN: 'postgres12',
    SQL_HOST: '127.0.0.1',
    SQL_PORT: String(port),
    SQL_USER: 'temporal',
    SQL_PASSWORD: dbPassword(dir),
  };
  for (const [db, sub] of [
    ['temporal', 'temporal'],
    ['temporal_visibility', 'visibility'],
  ] as const) {
    const marker = join(dir, `schema-${db}.done`);
    if (!existsSync(marker)) {
      // A database left by an interrupted first run is dropped: its schema may be half-made.
      await run(sqlTool, ['--db', db, 'drop-database', '--force'], { env, timeout: 60_000 }).catch(() => {});
      await run(sqlTool, ['--db', db, 'create-database'], { env, timeout: 60_000 });
      await run(sqlTool, ['--db', db, 'setup-schema', '-v', '0.0'], { env, timeout: 120_000 });
    }
    // update-schema applies only the versions the database lacks.
    await run(sqlTool, ['--db', db, 'update-schema', '-d', join(schema, sub, 'versioned')], { env, timeout: 300_000 });
    writeFileSync(marker, TEMPORAL_SERVER_VERSION);
  }
  log('Schema: temporal and temporal_visibility up to date');
}

// ---------------------------------------------------------------- Temporal server

/** The server config: development-postgres12 with SQL advanced visibility, 127.0.0.1 everywhere. */
export function serverConfig(
  ports: ClusterPorts,
  password: string,
  dynamicConfigFile: string,
): Record<string, unknown> {
  const store = (db: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName: db,
      connectAddr: `127.0.0.1:${ports.postgres}`,
      connectProtocol: 'tcp',
      user: 'temporal',
      password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const svc = (grpcPort: number, extra: Record<string, unknown> = {}) => ({
    rpc: { grpcPort, membershipPort: grpcPort + 100, bindOnLocalHost: true, ...extra },
  });
  return {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: HISTORY_SHARDS,
      datastores: {
        'postgres-default': store('temporal', 20),
        'postgres-visibility': store('temporal_visibility', 10),
      },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      metrics: {
        prometheus: { framework: 'tally', timerType: 'histogram', listenAddress: `127.0.0.1:${ports.serverMetrics}` },
      },
    },
    services: {
      frontend: svc(ports.frontend, { httpPort: ports.frontendHttp }),
      matching: svc(ports.matching),
      history: svc(ports.history),
      worker: svc(ports.internalWorker),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `127.0.0.1:${ports.frontend}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: dynamicConfigFile, pollInterval: '10s' },
  };
}

const SERVER_MARKER = 'switchboard-cluster';

/** Starts the Temporal server (detached) and waits until its frontend answers. */
export async function startServer(
  relDir: string,
  server: string,
  ports: ClusterPorts,
  log: (l: string) => void,
): Promise<void> {
  // The server runs with its own working directory: every path it sees is absolute.
  const dir = resolve(relDir);
  const pid = readPid(dir, 'server');
  if (pid && ours(pid, server)) return log(`Temporal server: already running (pid ${pid})`);
  if (await portInUse(ports.frontend))
    throw new Error(
      `port ${ports.frontend} (Temporal frontend) is in use by something else; choose another base port with --port`,
    );
  const configDir = join(dir, 'config');
  mkdirSync(configDir, { recursive: true });
  const cfg = serverConfig(ports, dbPassword(dir), join(ROOT, 'deploy', 'temporal-dynamicconfig.yaml'));
  writeFileSync(
    join(configDir, 'development.yaml'),
    `# Written by npm run cluster (${SERVER_MARKER}); regenerated on every start.\n${toYaml(cfg)}`,
    {
      mode: 0o600,
    },
  );
  // Loopback-only cluster: no authorizer, which the server wants said out loud.
  spawnDetached(
    dir,
    'server',
    server,
    ['--root', dir, '--config', 'config', '--env', 'development', '--allow-no-auth', 'start'],
    process.env,
    dir,
  );
  const started = readPid(dir, 'server')!;
  await waitForPort('127.0.0.1', ports.frontend, 120_000, () =>
    ours(started, server) ? undefined : `the Temporal server exited; see ${logFile(dir, 'server')}`,
  );
  log(`Temporal server on 127.0.0.1:${ports.frontend} (pid ${started}, log ${logFile(dir, 'server')})`);
}

/** Stops the Temporal server: SIGTERM, SIGKILL after `graceMs`. */
export async function stopServer(dir: string, graceMs = 20_000): Promise<void> {
  const pid = readPid(dir, 'server');
  if (pid && ours(pid, '--allow-no-auth')) await stopPid(pid, 'SIGTERM', graceMs);
  rmSync(pidFile(dir, 'server'), { force: true });
}

const UI_MARKER = 'switchboard-cluster-ui';

/**
 * Starts the Temporal Web UI server (detached) for the frontend at `address`, on
 * `127.0.0.1:<port>`, and waits until it answers. Its config (`<dir>/switchboard-cluster-ui/config/`)
 * is written on every start. Returns the UI's URL.
 */
export async function startUi(
  relDir: string,
  bin: string,
  address: string,
  port: number,
  log: (l: string) => void,
): Promise<string> {
  const dir = resolve(relDir);
  const url = `http://127.0.0.1:${port}`;
  const pid = readPid(dir, 'ui');
  if (pid && ours(pid, UI_MARKER)) {
    log(`Web UI: already running on ${url} (pid ${pid})`);
    return url;
  }
  if (await portInUse(port))
    throw new Error(`port ${port} (Web UI) is in use by something else; choose another with --ui-port`);
  const root = join(dir, UI_MARKER);
  mkdirSync(join(root, 'config'), { recursive: true });
  const cfg = {
    temporalGrpcAddress: address,
    host: '127.0.0.1',
    port,
    enableUi: true,
    defaultNamespace: 'default',
    refreshInterval: '1m',
    // Plain HTTP on loopback: the session cookie cannot be `Secure`.
    cors: { cookieInsecure: true, allowOrigins: [url] },
    notifyOnNewVersion: false,
  };
  writeFileSync(
    join(root, 'config', 'development.yaml'),
    `# Written by npm run cluster; regenerated on every start.
${toYaml(cfg)}`,
  );
  spawnDetached(
    dir,
    'ui',
    bin,
    ['--root', root, '--config', 'config', '--env', 'development', 'start'],
    process.env,
    dir,
  );
  const started = readPid(dir, 'ui')!;
  await waitForPort('127.0.0.1', port, 60_000, () =>
    ours(started, UI_MARKER) ? undefined : `the Web UI server exited; see ${logFile(dir, 'ui')}`,
  );
  log(`Web UI on ${url} (pid ${started}, log ${logFile(dir, 'ui')})`);
  return url;
}

/** The pid of the detached service `name` (started with `marker` in its command line) when it runs. */
function servicePid(relDir: string, name: string, marker: string): number | undefined {
  const pid = readPid(resolve(relDir), name);
  return pid && ours(pid, marker) ? pid : undefined;
}

/** Stops the detached service `name` if it runs (SIGTERM, SIGKILL after 10 s) and forgets its pid. */
async function stopService(relDir: string, name: string, marker: string): Promise<void> {
  const pid = servicePid(relDir, name, marker);
  if (pid) await stopPid(pid, 'SIGTERM', 10_000);
  rmSync(pidFile(resolve(relDir), name), { force: true });
}

/** Stops the Web UI server started by {@link startUi}, if it runs. */
export async function stopUi(relDir: string): Promise<void> {
  await stopService(relDir, 'ui', UI_MARKER);
}

/** The pid of the Web UI server when it runs. */
export function uiPid(relDir: string): number | undefined {
  return servicePid(relDir, 'ui', UI_MARKER);
}

const PROMETHEUS_MARKER = 'switchboard-cluster-prometheus';

/** What Prometheus scrapes, all on 127.0.0.1. */
export interface PrometheusTargets {
  /** Metrics ports of the workers (job `switchboard-worker`). */
  workers: number[];
  /** The Temporal server's metrics port (job `temporal-server`), when there is one. */
  server?: number;
}

/** The targets of a cluster with `workers` workers: {@link ClusterPorts}' metrics ports. */
export function clusterTargets(ports: ClusterPorts, workers: number): PrometheusTargets {
  return {
    workers: Array.from({ length: workers }, (_, i) => ports.workerMetrics + i),
    server: ports.serverMetrics,
  };
}

/**
 * deploy/prometheus.yml for processes instead of containers: the same job names, with static
 * loopback targets where compose finds worker replicas through Docker's DNS.
 */
export function prometheusConfig(targets: PrometheusTargets, scrapeInterval = '15s'): Record<string, unknown> {
  const at = (port: number) => `127.0.0.1:${port}`;
  return {
    global: { scrape_interval: scrapeInterval },
    scrape_configs: [
      { job_name: 'switchboard-worker', static_configs: [{ targets: targets.workers.map(at) }] },
      ...(targets.server !== undefined
        ? [{ job_name: 'temporal-server', static_configs: [{ targets: [at(targets.server)] }] }]
        : []),
    ],
  };
}

/** Job name → static targets of a Prometheus configuration (ours, or the one Prometheus says it loaded). */
function scrapeJobs(cfg: unknown): string {
  const jobs = (cfg as { scrape_configs?: { job_name: string; static_configs?: { targets?: string[] }[] }[] })
    .scrape_configs;
  return JSON.stringify(
    (jobs ?? []).map((j) => [j.job_name, (j.static_configs ?? []).flatMap((c) => c.targets ?? [])]),
  );
}

/** The `--web.listen-address` a running Prometheus was started with (its own command line). */
function listenUrl(pid: number): string | undefined {
  const arg = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    .split('\0')
    .find((a) => a.startsWith('--web.listen-address='));
  return arg && `http://${arg.slice('--web.listen-address='.length)}`;
}

/**
 * Starts Prometheus (detached) on `127.0.0.1:<port>`, scraping `targets`, and waits until it is
 * ready (`/-/ready`). Its config (`<dir>/switchboard-cluster-prometheus/prometheus.yml`) is written
 * on every start and its data kept in `data/` beside it. When it already runs, the config is
 * rewritten and Prometheus reloads it (SIGHUP), so a changed number of workers is scraped; this
 * waits until Prometheus reports the new targets. Returns Prometheus's URL.
 */
export async function startPrometheus(
  relDir: string,
  bin: string,
  targets: PrometheusTargets,
  port: number,
  log: (l: string) => void,
  opts: { scrapeInterval?: string } = {},
): Promise<string> {
  const dir = resolve(relDir);
  const root = join(dir, PROMETHEUS_MARKER);
  mkdirSync(join(root, 'data'), { recursive: true });
  const cfg = prometheusConfig(targets, opts.scrapeInterval);
  const config = join(root, 'prometheus.yml');
  writeFileSync(config, `# Written by npm run cluster; regenerated on every start.\n${toYaml(cfg)}`);
  const pid = readPid(dir, 'prometheus');
  if (pid && ours(pid, PROMETHEUS_MARKER)) {
    const url = listenUrl(pid) ?? `http://127.0.0.1:${port}`;
    process.kill(pid, 'SIGHUP');
    const want = scrapeJobs(cfg);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const loaded = await fetch(`${url}/api/v1/status/config`)
        .then(async (r) => scrapeJobs(parseYaml(((await r.json()) as { data: { yaml: string } }).data.yaml)))
        .catch(() => undefined);
      if (loaded === want) break;
      if (Date.now() > deadline)
        throw new Error(
          `Prometheus (pid ${pid}) did not load ${config} within 15 s; see ${logFile(dir, 'prometheus')}`,
        );
      await new Promise((r) => setTimeout(r, 250));
    }
    log(`Prometheus: already running on ${url} (pid ${pid}), configuration reloaded`);
    return url;
  }
  if (await portInUse(port))
    throw new Error(`port ${port} (Prometheus) is in use by something else; choose another with --prometheus-port`);
  const url = `http://127.0.0.1:${port}`;
  spawnDetached(
    dir,
    'prometheus',
    bin,
    [`--config.file=${config}`, `--storage.tsdb.path=${join(root, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
    process.env,
    root,
  );
  const started = readPid(dir, 'prometheus')!;
  const gone = () =>
    ours(started, PROMETHEUS_MARKER) ? undefined : `Prometheus exited; see ${logFile(dir, 'prometheus')}`;
  await waitForPort('127.0.0.1', port, 60_000, gone);
  // The port opens before the storage is; ready means it scrapes and answers queries.
  const deadline = Date.now() + 60_000;
  while (
    !(await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    const dead = gone();
    if (dead) throw new Error(dead);
    if (Date.now() > deadline)
      throw new Error(`Prometheus on ${url} was not ready within 60 s; see ${logFile(dir, 'prometheus')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  log(`Prometheus on ${url} (pid ${started}, config ${config}, log ${logFile(dir, 'prometheus')})`);
  return url;
}

/** Stops Prometheus started by {@link startPrometheus}, if it runs (its data is kept). */
export async function stopPrometheus(relDir: string): Promise<void> {
  await stopService(relDir, 'prometheus', PROMETHEUS_MARKER);
}

/** The pid of Prometheus when it runs. */
export function prometheusPid(relDir: string): number | undefined {
  return servicePid(relDir, 'prometheus', PROMETHEUS_MARKER);
}

/**
 * Registers the namespace (30 days retention, like docker-compose's temporal-setup) and the
 * search attributes through the Temporal CLI; each step waits, bounded, for the server to be ready.
 */
export async function setupNamespace(address: string, namespace: string, log: (l: string) => void): Promise<void> {
  const cli = await findTemporalCli({ log });
  const t = (args: string[]) => run(cli, [...args, '--address', address], { timeout: 30_000 });
  const retry = async <T>(what: string, f: () => Promise<T>, tries = 60): Promise<T> => {
    for (let i = 1; ; i++) {
      try {
        return await f();
      } catch (err) {
        if (i >= tries) throw new Error(`${what}: ${String((err as { stderr?: string }).stderr ?? err).trim()}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  };
  await retry('cluster health', () => t(['operator', 'cluster', 'health']));
  const exists = await t(['operator', 'namespace', 'describe', '--namespace', namespace]).then(
    () => true,
    () => false,
  );
  if (!exists)
    await retry('namespace create', () =>
      t(['operator', 'namespace', 'create', '--namespace', namespace, '--retention', '30d']),
    );
  const { stdout } = await retry('search-attribute list', () =>
    t(['operator', 'search-attribute', 'list', '--namespace', namespace, '-o', 'json']),
  );
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) {
    if (stdout.includes(`"${name}"`)) continue;
    // A namespace just created reaches every frontend's cache within ~10 s: retry until then.
    await retry(`search attribute ${name}`, () =>
      t(['operator', 'search-attribute', 'create', '--namespace', namespace, '--name', name, '--type', type]),
    );
  }
  log(`Namespace ${namespace}: registered, search attributes ${Object.keys(SEARCH_ATTRIBUTES).join(', ')}`);
}

// ---------------------------------------------------------------- sandbox and workers

const WORKER_MARKER = 'worker.ts';

/**
 * Starts worker `i` (1-based) detached; its metrics port is `workerMetrics + i - 1`. Resolves
 * once its log says it polls (bounded by `timeoutMs`).
 */
export async function startWorkerProcess(
  dir: string,
  state: ClusterState,
  i: number,
  extraEnv: NodeJS.ProcessEnv = {},
  timeoutMs = 120_000,
): Promise<number> {
  const env = {
    ...process.env,
    ...state.workerEnv,
    SWITCHBOARD_METRICS_PORT: String(state.ports.workerMetrics + i - 1),
    ...extraEnv,
  };
  // The log is appended to across restarts: only what this start writes counts.
  const from = existsSync(logFile(dir, `worker-${i}`)) ? statSync(logFile(dir, `worker-${i}`)).size : 0;
  const pid = spawnDetached(dir, `worker-${i}`, process.execPath, ['--import', 'tsx', join(ROOT, WORKER_MARKER)], env);
  await waitForWorker(dir, i, pid, from, timeoutMs);
  return pid;
}

/** The pid of worker `i` when it runs. */
export function workerPid(dir: string, i: number): number | undefined {
  const pid = readPid(dir, `worker-${i}`);
  return pid && ours(pid, WORKER_MARKER) ? pid : undefined;
}

/** Stops worker `i`: SIGTERM drains it (SIGKILL after `graceMs`); pass SIGKILL to crash it. */
export async function stopWorkerProcess(
  dir: string,
  i: number,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 20_000,
): Promise<void> {
  const pid = workerPid(dir, i);
  if (pid) await stopPid(pid, signal, graceMs);
  rmSync(pidFile(dir, `worker-${i}`), { force: true });
}

/** Waits (bounded) for a worker's log to say it polls; a worker that ends first says how it ended. */
async function waitForWorker(dir: string, i: number, pid: number, from: number, timeoutMs: number): Promise<void> {
  const file = logFile(dir, `worker-${i}`);
  const startedText = () => (existsSync(file) ? readFileSync(file).subarray(from).toString('utf8') : '');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = startedText();
    if (text.includes('switchboard worker polling')) return;
    // Our own child: its exit event is the truth. /proc is only asked about a process another
    // invocation started (then `exits` has no entry for it).
    const exit = exits.get(pid);
    if (exit || !alive(pid)) {
      const how = exit ? (exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`) : 'gone';
      const tail = text.trim().split('\n').slice(-8).join('\n');
      throw new Error(`worker ${i} (pid ${pid}) ended before polling (${how}); see ${file}:\n${tail || '(no output)'}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`worker ${i} did not start polling within ${timeoutMs} ms; see ${file}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const PLATFORM_VARS: [string, string, string][] = [
  ['webagent', 'WEBAGENT_BASE_URL', 'WEBAGENT_API_KEY'],
  ['archastro', 'ARCHASTRO_BASE_URL', 'ARCHASTRO_API_KEY'],
  ['wysemate', 'WYSEMATE_BASE_URL', 'WYSEMATE_API_KEY'],
  ['mix', 'MIX_SERVER_URL', 'MIX_API_KEY'],
  ['mycel', 'MYCEL_BASE_URL', 'MYCEL_TOKEN_DEFAULT'],
];

/** Reads the running cluster's state, or undefined when none was started in `dir`. */
export function readClusterState(dir: string): ClusterState | undefined {
  const f = join(dir, 'cluster.json');
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as ClusterState) : undefined;
}

/**
 * Brings the whole cluster up (or the parts that are down) and returns its state. Idempotent:
 * a second call with the cluster running changes nothing but missing workers.
 */
export async function startCluster(opts: ClusterOptions): Promise<ClusterState> {
  const { log } = opts;
  // PostgreSQL and the server run from other working directories: every path they see is absolute.
  const dir = resolve(opts.dir);
  mkdirSync(dir, { recursive: true });
  const ports = clusterPorts(opts.basePort);
  const bins = await findServerBinaries({ log });
  await startPostgres(dir, ports.postgres, log);
  await setupSchema(dir, bins.sql, ports.postgres, log);
  await startServer(dir, bins.server, ports, log);
  const address = `127.0.0.1:${ports.frontend}`;
  const namespace = 'default';
  await setupNamespace(address, namespace, log);
  // The Web UI is for people: a cluster whose UI cannot be built or bound still runs, and says why.
  let uiUrl: string | undefined;
  if (opts.uiPort !== false) {
    try {
      uiUrl = await startUi(dir, await findUiServer({ env: opts.env, log }), address, opts.uiPort ?? ports.ui, log);
    } catch (err) {
      log(`Web UI not started: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  // Prometheus too: the cluster runs without it, and says why. It may start before the workers:
  // a target that is not up yet is scraped once it is.
  let prometheusUrl: string | undefined;
  if (opts.prometheusPort !== false) {
    try {
      prometheusUrl = await startPrometheus(
        dir,
        await findPrometheus({ env: opts.env, log }),
        clusterTargets(ports, opts.workers),
        opts.prometheusPort ?? ports.prometheus,
        log,
      );
    } catch (err) {
      log(`Prometheus not started: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  // Platforms without a configured base URL go to the sandbox, as in `npm start`.
  const workerEnv: Record<string, string> = {
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: namespace,
    SWITCHBOARD_DATA_DIR: join(dir, 'worker-data'),
  };
  let sandboxOrigin: string | undefined;
  const missing = PLATFORM_VARS.filter(([, url]) => !opts.env[url]);
  if (missing.length > 0) {
    sandboxOrigin = `http://127.0.0.1:${ports.sandbox}`;
    const pid = readPid(dir, 'sandbox');
    if (!(pid && ours(pid, 'sandbox/main.ts'))) {
      if (await portInUse(ports.sandbox))
        throw new Error(`port ${ports.sandbox} (sandbox) is in use by something else`);
      spawnDetached(dir, 'sandbox', process.execPath, ['--import', 'tsx', join(ROOT, 'src/sandbox/main.ts')], {
        ...process.env,
        SWITCHBOARD_SANDBOX_PORT: String(ports.sandbox),
        SWITCHBOARD_DATA_DIR: join(dir, 'sandbox-data'),
      });
      await waitForPort('127.0.0.1', ports.sandbox, 60_000);
    }
    const { KeyRing } = await import('../sandbox/server.js');
    for (const [p, url, key] of missing) {
      workerEnv[url] = `${sandboxOrigin}/${p}`;
      workerEnv[key] = KeyRing.defaultKey(p as Parameters<typeof KeyRing.defaultKey>[0]);
    }
    if (!opts.env.WEBAGENT_PROJECT_ID) workerEnv.WEBAGENT_PROJECT_ID = 'proj_sandbox';
    // Sandbox webhooks and callbacks live on loopback, which the outbox refuses unless allowed.
    workerEnv.SWITCHBOARD_WEBHOOK_ALLOW = opts.env.SWITCHBOARD_WEBHOOK_ALLOW ?? '127.0.0.1';
    log(`Sandbox on ${sandboxOrigin} for: ${missing.map(([p]) => p).join(', ')}`);
  }

  // One bundle for every worker: N webpack builds at once would take minutes on a small machine.
  // It has a traced twin, which workers load when OTEL_EXPORTER_OTLP_ENDPOINT is set (workflowBundleFor).
  const bundle = join(dir, 'workflow-bundle.js');
  workerEnv.SWITCHBOARD_WORKFLOW_BUNDLE = bundle;
  if (!existsSync(bundle) || !existsSync(tracedBundlePath(bundle)) || opts.env.SWITCHBOARD_REBUNDLE) {
    log('Bundling the workflows once for all workers…');
    await run(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/build-workflows.ts'), bundle], {
      cwd: ROOT,
      timeout: 600_000,
    });
  }

  const state: ClusterState = {
    address,
    namespace,
    ports,
    workers: opts.workers,
    sandboxOrigin,
    uiUrl,
    prometheusUrl,
    workerEnv,
  };
  writeFileSync(join(dir, 'cluster.json'), JSON.stringify(state, null, 2));
  const starting: Promise<number>[] = [];
  for (let i = 1; i <= opts.workers; i++) if (!workerPid(dir, i)) starting.push(startWorkerProcess(dir, state, i));
  await Promise.all(starting);
  log(
    `${opts.workers} workers polling (metrics on 127.0.0.1:${ports.workerMetrics}…${ports.workerMetrics + opts.workers - 1}, logs in ${join(dir, 'logs')})`,
  );
  return state;
}

/** Takes the cluster down: workers (drained), Web UI, Prometheus, sandbox, server, then PostgreSQL. Data is kept. */
export async function stopCluster(relDir: string, log: (l: string) => void): Promise<void> {
  const dir = resolve(relDir);
  const pids = existsSync(join(dir, 'pids')) ? readdirSync(join(dir, 'pids')) : [];
  const workers = pids
    .filter((f) => f.startsWith('worker-'))
    .map((f) => Number(f.slice('worker-'.length, -'.pid'.length)));
  await Promise.all(workers.map((i) => stopWorkerProcess(dir, i)));
  if (workers.length) log(`Workers stopped: ${workers.length}`);
  if (uiPid(dir)) {
    await stopUi(dir);
    log('Web UI stopped');
  }
  if (prometheusPid(dir)) {
    await stopPrometheus(dir);
    log('Prometheus stopped');
  }
  const sandbox = readPid(dir, 'sandbox');
  if (sandbox && ours(sandbox, 'sandbox/main.ts')) await stopPid(sandbox, 'SIGTERM', 10_000);
  rmSync(pidFile(dir, 'sandbox'), { force: true });
  await stopServer(dir);
  log('Temporal server stopped');
  await stopPostgres(dir, log);
}
