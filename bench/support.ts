/**
 * Shared set-up for the benchmarks: a local dev server, the sandbox, and a real `worker.ts`
 * process (so RSS is the worker's own), all on 127.0.0.1 and torn down at the end.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { bundleOptions, diagnosticsBundleOptions, diagnosticsTaskQueue } from '../src/worker/create.js';
import { SwitchboardClient } from '../src/client/index.js';
import { PLATFORM_ENV } from '../src/config.js';
import { findTemporalCli, freePort, startDevServer } from '../src/devserver/index.js';
import { PLATFORMS } from '../src/providers/errors.js';
import { SandboxControl } from '../src/sandbox/control.js';
import { KeyRing, type RunningSandbox, startSandbox } from '../src/sandbox/server.js';

export const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
export const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;
export const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const quietLogger = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } as never;

export interface BenchEnv {
  address: string;
  /** Web UI, when started with `ui: true`. */
  uiUrl?: string;
  sandbox: RunningSandbox;
  control: SandboxControl;
  client: Client;
  sb: SwitchboardClient;
  taskQueue: string;
  worker: ChildProcess;
  /** Peak RSS (VmHWM) of the worker process, MB. */
  peakRssMb(): number;
  /** Current RSS of the worker process, MB. */
  rssMb(): number;
  /** Resets the worker's high-water mark (Linux clear_refs 5). */
  resetPeak(): void;
  /** How the worker process actually ran (node flags, glibc malloc settings), for the results file. */
  workerProcess(): { nodeFlags: string[]; malloc: Record<string, string> };
  machine: { cpus: number; node: string };
  close(): Promise<void>;
}

function procStatus(pid: number, field: string): number {
  const kb = Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return kb / 1024;
}

export async function startBenchEnv(opts: {
  taskQueue: string;
  tickMs?: number;
  heartbeatMs?: number;
  workerEnv?: NodeJS.ProcessEnv;
  ui?: boolean;
}): Promise<BenchEnv> {
  const cli = await findTemporalCli({ log: console.log });
  const server = await startDevServer({
    cliPath: cli,
    port: await freePort(),
    httpPort: await freePort(),
    metricsPort: await freePort(),
    uiPort: opts.ui ? await freePort() : 0,
    // BENCH_SERVER_CONFIG='{"history.cacheMaxSize":4096}': dev-server dynamic config for a run.
    dynamicConfig: process.env.BENCH_SERVER_CONFIG
      ? (JSON.parse(process.env.BENCH_SERVER_CONFIG) as Record<string, number>)
      : undefined,
  });
  const sandbox = await startSandbox({ tickMs: opts.tickMs ?? 5, heartbeatMs: opts.heartbeatMs });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: server.address,
    SWITCHBOARD_TASK_QUEUE: opts.taskQueue,
    WEBAGENT_PROJECT_ID: 'proj_bench',
    SWITCHBOARD_LOG_LEVEL: 'WARN',
    SWITCHBOARD_DATA_DIR: mkdtempSync(join(tmpdir(), 'sb-bench-')),
    ...opts.workerEnv,
  };
  for (const p of PLATFORMS) {
    env[PLATFORM_ENV[p].baseUrl] = sandbox.baseUrl(p);
    env[p === 'mycel' ? 'MYCEL_TOKEN_DEFAULT' : PLATFORM_ENV[p].key] = KeyRing.defaultKey(p);
  }
  // Production shape: the compiled worker started by bin/switchboard-worker (as in the Docker
  // image), with the workflow bundle built once, outside the worker process.
  await run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json']);
  // Not TypeScript (see its header): copied beside the compiled worker, as `npm run build` does.
  mkdirSync('dist/src/contracts', { recursive: true });
  copyFileSync('src/contracts/payload-converter.cjs', 'dist/src/contracts/payload-converter.cjs');
  const bundle = join(mkdtempSync(join(tmpdir(), 'sb-bundle-')), 'workflow-bundle.js');
  const { code } = await bundleWorkflowCode({ ...bundleOptions(), logger: quietLogger });
  writeFileSync(bundle, code);
  env.SWITCHBOARD_WORKFLOW_BUNDLE = bundle;
  // The floor workflow (updateFloor) runs in the worker's diagnostics worker, on its own task queue.
  const diagnosticsBundle = join(dirname(bundle), 'diagnostics-bundle.js');
  writeFileSync(
    diagnosticsBundle,
    (await bundleWorkflowCode({ ...diagnosticsBundleOptions(), logger: quietLogger })).code,
  );
  env.SWITCHBOARD_DIAGNOSTICS_BUNDLE = diagnosticsBundle;
  // BENCH_WORKER_NODE_FLAGS='--max-semi-space-size=16 --cpu-prof': node flags instead of the script's.
  if (process.env.BENCH_WORKER_NODE_FLAGS) env.NODE_FLAGS = process.env.BENCH_WORKER_NODE_FLAGS;
  const worker = spawn('bin/switchboard-worker', [], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  let closing = false;
  worker.once('exit', (code, signal) => {
    // A worker that dies mid-run would leave every phase waiting for its bound: stop now instead.
    if (!closing) {
      console.error(`bench: the worker exited (${signal ?? code}) before the benchmark finished`);
      process.exit(1);
    }
  });
  const connection = await Connection.connect({ address: server.address });
  return {
    address: server.address,
    uiUrl: server.uiUrl,
    sandbox,
    control: new SandboxControl(sandbox.origin),
    client: new Client({ connection }),
    sb: new SwitchboardClient({ connection, taskQueue: opts.taskQueue }),
    taskQueue: opts.taskQueue,
    worker,
    peakRssMb: () => procStatus(worker.pid!, 'VmHWM'),
    rssMb: () => procStatus(worker.pid!, 'VmRSS'),
    resetPeak: () => writeFileSync(`/proc/${worker.pid}/clear_refs`, '5'),
    workerProcess: () => {
      const argv = readFileSync(`/proc/${worker.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      const environ = readFileSync(`/proc/${worker.pid}/environ`, 'utf8').split('\0');
      return {
        nodeFlags: argv.slice(1).filter((a) => a.startsWith('--')),
        malloc: Object.fromEntries(
          environ.filter((e) => e.startsWith('MALLOC_')).map((e) => e.split('=', 2) as [string, string]),
        ),
      };
    },
    machine: { cpus: cpus().length, node: process.version },
    async close() {
      closing = true;
      worker.kill('SIGTERM');
      if (worker.exitCode === null) await new Promise((r) => worker.once('exit', r));
      await connection.close();
      await sandbox.close();
      await server.stop();
    },
  };
}

/** Rejects when `p` takes longer than `ms`: every benchmark phase is bounded. */
export async function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, rej) => (t = setTimeout(() => rej(new Error(`${what}: over ${ms} ms`)), ms))),
    ]);
  } finally {
    clearTimeout(t);
  }
}

/** Runs `fn` over `items` with at most `n` in flight. */
export async function pool<T, R>(items: T[], n: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= items.length) return;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

export function writeResults(name: string, figures: unknown): void {
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(`bench/results/${name}.json`, JSON.stringify(figures, null, 2) + '\n');
  console.log(JSON.stringify(figures, null, 2));
}

/**
 * Sends `n` updates (at most `concurrency` at once) and returns, for each, the time from the call
 * to the moment the platform saw it — read from the sandbox journal (same clock, same process).
 * `textOf` pulls the marker back out of a journal row's body.
 */
export async function platformLatency(
  control: SandboxControl,
  n: number,
  concurrency: number,
  send: (i: number, marker: string) => Promise<unknown>,
  label: string,
  textOf: (body: unknown) => string | undefined,
): Promise<number[]> {
  const sentAt = new Map<string, number>();
  const since = (await control.journal()).at(-1)?.seq ?? 0;
  await pool(
    Array.from({ length: n }, (_, i) => i),
    concurrency,
    async (i) => {
      const marker = `${label}-${i}`;
      sentAt.set(marker, Date.now());
      await send(i, marker);
    },
  );
  const lat: number[] = [];
  for (const r of await control.journal({ since })) {
    const marker = textOf(r.body);
    const t = marker ? sentAt.get(marker) : undefined;
    if (t !== undefined && r.status < 300 && !r.replayed) lat.push(r.at - t);
  }
  return lat;
}

/**
 * The floor: `updateFloor` workflows (an update handler that calls one activity) bound to
 * running Web Agent sessions; `send(i, text)` posts a message through one of them.
 */
export interface Floor {
  /** The running agentSession workflows the floor posts into (usable for the comparison). */
  sessions: string[];
  send(this: void, i: number, text: string): Promise<unknown>;
  close(): Promise<void>;
}

export async function startFloor(env: BenchEnv, k: number): Promise<Floor> {
  const { floorDoneUpdate, floorSendUpdate } = await import('../src/workflows/diagnostics.js');
  const sessions = await Promise.all(
    Array.from({ length: k }, (_, i) =>
      env.sb.startSession(
        { platform: 'webagent', task: `floor ${i} script:long` },
        { workflowId: `floor-session-${i}-${Date.now()}` },
      ),
    ),
  );
  const refs = await Promise.all(
    sessions.map(async (s) => {
      for (;;) {
        const st = await env.sb.state(s.workflowId);
        if (st.status === 'running' && st.ref) return st.ref;
        await new Promise((r) => setTimeout(r, 50));
      }
    }),
  );
  const floors = await Promise.all(
    refs.map((ref, i) =>
      env.client.workflow.start('updateFloor', {
        taskQueue: diagnosticsTaskQueue(env.taskQueue),
        workflowId: `floor-${i}-${Date.now()}`,
        args: [ref],
      }),
    ),
  );
  return {
    sessions: sessions.map((s) => s.workflowId),
    send: (i, text) => floors[i % k]!.executeUpdate(floorSendUpdate, { args: [text] }),
    close: async () => {
      await Promise.all(floors.map((f) => f.executeUpdate(floorDoneUpdate)));
      await Promise.all(sessions.map((s) => env.sb.cancel(s.workflowId)));
    },
  };
}

/** Journal body → the `content` of a Web Agent message. */
export const messageContent = (body: unknown): string | undefined =>
  (body as { content?: string } | undefined)?.content;

/** Runs a script's main function and exits 0, or prints the error and exits 1. */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
