/**
 * `npm run bench:sessions`: 200 concurrent agent sessions through the sandbox on a local dev
 * server, with a real `worker.ts` process. Writes bench/results/sessions.json and prints a summary.
 *
 * Measures: sessions per minute; history events per session and per platform event; worker peak
 * RSS (VmHWM of the worker process); `sendMessage` update → platform latency (p50/p99, measured
 * at the sandbox's clock) beside the same figure for `updateFloor`, a bare workflow whose update
 * handler calls the same activity — the floor on this server, measured in the same run.
 *
 * Bounded: N sessions (default 200), M updates (default 200), and a global deadline.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { SwitchboardClient } from '../src/client/index.js';
import { PLATFORM_ENV } from '../src/config.js';
import { findTemporalCli, freePort, startDevServer } from '../src/devserver/index.js';
import { PLATFORMS } from '../src/providers/errors.js';
import { SandboxControl } from '../src/sandbox/control.js';
import { KeyRing, startSandbox } from '../src/sandbox/server.js';
import type { AgentSessionInputRaw, SessionPlatform } from '../src/workflows/agentSession/types.js';
import { floorDoneUpdate, floorSendUpdate } from '../src/workflows/diagnostics.js';

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 200);
const UPDATES = Number(process.env.BENCH_UPDATES ?? 200);
const EVENTS_PER_SESSION = Number(process.env.BENCH_EVENTS ?? 500);
const DEADLINE_MS = 15 * 60_000;

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

async function withDeadline<T>(p: Promise<T>, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, rej) => (t = setTimeout(() => rej(new Error(`${what}: bench deadline`)), DEADLINE_MS)))]);
  } finally {
    clearTimeout(t);
  }
}

async function main(): Promise<void> {
  const cli = await findTemporalCli({ log: console.log });
  const server = await startDevServer({ cliPath: cli, port: await freePort(), httpPort: await freePort(), metricsPort: await freePort(), uiPort: 0 });
  const sandbox = await startSandbox({ tickMs: 5 });
  const control = new SandboxControl(sandbox.origin);
  await control.script('bench', [{ type: 'emit', count: EVENTS_PER_SESSION }, { type: 'finish', result: 'bench done' }]);
  const taskQueue = 'bench-sessions';
  const env: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_ADDRESS: server.address, SWITCHBOARD_TASK_QUEUE: taskQueue, WEBAGENT_PROJECT_ID: 'proj_bench', SWITCHBOARD_LOG_LEVEL: 'WARN', SWITCHBOARD_DATA_DIR: mkdtempSync(join(tmpdir(), 'sb-bench-')) };
  for (const p of PLATFORMS) {
    env[PLATFORM_ENV[p].baseUrl] = sandbox.baseUrl(p);
    env[p === 'mycel' ? 'MYCEL_TOKEN_DEFAULT' : PLATFORM_ENV[p].key] = KeyRing.defaultKey(p);
  }
  const worker: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'worker.ts'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const sb = new SwitchboardClient({ connection, taskQueue });

  try {
    // Warm up (the worker bundles workflow code at start-up), note that peak, then reset the
    // high-water mark so the load figure is the worker under load.
    const warm = await sb.startSession({ platform: 'webagent', task: 'warm-up script:default' }, { workflowId: 'bench-warmup' });
    await withDeadline(sb.result(warm.workflowId), 'warm-up');
    const startupRss = peakRssMb(worker.pid!);
    writeFileSync(`/proc/${worker.pid}/clear_refs`, '5');

    // ---- 1. throughput and history size ----
    const platforms: SessionPlatform[] = ['webagent', 'archastro', 'wysemate', 'mix'];
    const inputFor = (i: number): AgentSessionInputRaw => {
      const platform = platforms[i % platforms.length]!;
      const task = `bench session ${i} script:bench`;
      if (platform === 'archastro') return { platform, task, archastro: { agentId: 'agi_bench' } };
      if (platform === 'wysemate') return { platform, task, wysemate: { teamId: 'team_01' } };
      return { platform, task } as AgentSessionInputRaw;
    };
    const t0 = Date.now();
    const started = await Promise.all(Array.from({ length: SESSIONS }, (_, i) => sb.startSession(inputFor(i), { workflowId: `bench-${i}` })));
    const results = await withDeadline(Promise.all(started.map((s) => sb.result(s.workflowId))), 'sessions');
    const elapsedMs = Date.now() - t0;
    const completed = results.filter((r) => r.status === 'completed').length;
    const perPlatform: Record<string, { sessions: number; historyEvents: number[]; platformEvents: number[] }> = {};
    for (const [i, s] of started.entries()) {
      const p = inputFor(i).platform;
      const hist = await client.workflow.getHandle(s.workflowId).fetchHistory();
      perPlatform[p] ??= { sessions: 0, historyEvents: [], platformEvents: [] };
      perPlatform[p].sessions += 1;
      perPlatform[p].historyEvents.push(hist.events?.length ?? 0);
      perPlatform[p].platformEvents.push(results[i]!.counts.platformEvents);
    }
    const allHistory = Object.values(perPlatform).flatMap((p) => p.historyEvents);
    const allPlatform = Object.values(perPlatform).flatMap((p) => p.platformEvents);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

    // ---- 2. update → platform latency: agentSession vs the bare-workflow floor ----
    const LAT_SESSIONS = 10;
    const latStarted = await Promise.all(
      Array.from({ length: LAT_SESSIONS }, (_, i) => sb.startSession({ platform: 'webagent', task: `latency ${i} script:long` }, { workflowId: `bench-lat-${i}` })),
    );
    const refs = [];
    for (const s of latStarted) {
      for (;;) {
        const st = await sb.state(s.workflowId);
        if (st.status === 'running' && st.ref) {
          refs.push(st.ref);
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const floors = await Promise.all(
      refs.map((ref, i) => client.workflow.start('updateFloor', { taskQueue, workflowId: `bench-floor-${i}`, args: [ref] })),
    );
    const measure = async (label: string, send: (i: number, text: string) => Promise<unknown>) => {
      const sentAt = new Map<string, number>();
      const since = (await control.journal()).at(-1)?.seq ?? 0;
      // Alternate warm-up-free, bounded concurrency: one update per session at a time.
      for (let i = 0; i < UPDATES; i += LAT_SESSIONS) {
        await Promise.all(
          Array.from({ length: Math.min(LAT_SESSIONS, UPDATES - i) }, async (_, k) => {
            const text = `${label}-${i + k}`;
            sentAt.set(text, Date.now());
            await send(k, text);
          }),
        );
      }
      const rows = await control.journal({ platform: 'webagent', method: 'POST', since });
      const lat: number[] = [];
      for (const r of rows) {
        const text = (r.body as { content?: string } | undefined)?.content;
        const t = text ? sentAt.get(text) : undefined;
        if (t !== undefined && r.status < 300 && !r.replayed) lat.push(r.at - t);
      }
      return lat;
    };
    const floorLat = await measure('floor', (k, text) => floors[k]!.executeUpdate(floorSendUpdate, { args: [text] }));
    const sessionLat = await measure('session', (k, text) => sb.sendMessage(latStarted[k]!.workflowId, text));
    const floorLat2 = await measure('floor2', (k, text) => floors[k]!.executeUpdate(floorSendUpdate, { args: [text] }));
    const floorAll = [...floorLat, ...floorLat2];
    await Promise.all(floors.map((f) => f.executeUpdate(floorDoneUpdate)));
    await Promise.all(latStarted.map((s) => sb.cancel(s.workflowId)));

    const rss = peakRssMb(worker.pid!);
    const figures = {
      command: 'npm run bench:sessions',
      at: new Date().toISOString(),
      machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
      sessions: {
        count: SESSIONS,
        completed,
        platformEventsPerSession: EVENTS_PER_SESSION,
        elapsedSeconds: round(elapsedMs / 1000, 2),
        sessionsPerMinute: round((completed / elapsedMs) * 60_000, 0),
        historyEventsPerSession: { median: percentile(allHistory, 50), max: Math.max(...allHistory) },
        historyEventsPerPlatformEvent: round(sum(allHistory) / Math.max(1, sum(allPlatform)), 3),
        perPlatform: Object.fromEntries(
          Object.entries(perPlatform).map(([p, v]) => [
            p,
            {
              sessions: v.sessions,
              historyEventsMedian: percentile(v.historyEvents, 50),
              platformEventsMedian: percentile(v.platformEvents, 50),
              historyPerPlatformEvent: round(sum(v.historyEvents) / Math.max(1, sum(v.platformEvents)), 3),
            },
          ]),
        ),
      },
      workerPeakRssMb: { underLoad: round(rss, 0), startup: round(startupRss, 0) },
      sendMessageLatencyMs: {
        updates: sessionLat.length,
        agentSession: { p50: percentile(sessionLat, 50), p99: percentile(sessionLat, 99) },
        floor: { updates: floorAll.length, p50: percentile(floorAll, 50), p99: percentile(floorAll, 99) },
        p50RatioToFloor: round(percentile(sessionLat, 50) / percentile(floorAll, 50), 2),
      },
    };
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/sessions.json', JSON.stringify(figures, null, 2) + '\n');
    console.log(JSON.stringify(figures, null, 2));
  } finally {
    worker.kill('SIGTERM');
    await new Promise((r) => worker.once('exit', r));
    await connection.close();
    await sandbox.close();
    await server.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
