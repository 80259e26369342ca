/**
 * `npm run bench:sessions`: 200 concurrent agent sessions through the sandbox on a local dev
 * server, with a real `worker.ts` process. Writes bench/results/sessions.json.
 *
 * Measures: sessions per minute; history events per session and per platform event (a chatty
 * stream: BENCH_EVENTS platform events per session); worker peak RSS (start-up, then under load);
 * `sendMessage` update → platform latency (p50/p99 at the sandbox's clock) beside `updateFloor`,
 * a bare workflow whose update handler calls the same activity, measured in the same run.
 */
import type { AgentSessionInputRaw, SessionPlatform } from '../src/contracts/sessions.js';
import {
  bounded,
  runMain,
  messageContent,
  percentile,
  platformLatency,
  round,
  startBenchEnv,
  startFloor,
  sum,
  writeResults,
} from './support.js';

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 200);
const UPDATES = Number(process.env.BENCH_UPDATES ?? 200);
const EVENTS_PER_SESSION = Number(process.env.BENCH_EVENTS ?? 500);
const PHASE_MS = 10 * 60_000;

async function main(): Promise<void> {
  const env = await startBenchEnv({ taskQueue: 'bench-sessions' });
  try {
    await env.control.script('bench', [
      { type: 'emit', count: EVENTS_PER_SESSION },
      { type: 'finish', result: 'bench done' },
    ]);
    // Warm up (the worker bundles workflow code at start-up), note that peak, then reset the
    // high-water mark so the load figure is the worker under load.
    const warm = await env.sb.startSession(
      { platform: 'webagent', task: 'warm-up script:default' },
      { workflowId: 'bench-warmup' },
    );
    await bounded(env.sb.result(warm.workflowId), PHASE_MS, 'warm-up');
    const startupRss = env.peakRssMb();
    env.resetPeak();

    // ---- 1. throughput and history size ----
    const platforms: SessionPlatform[] = ['webagent', 'archastro', 'wysemate', 'mix'];
    const inputFor = (i: number): AgentSessionInputRaw => {
      const platform = platforms[i % platforms.length]!;
      const task = `bench session ${i} script:bench`;
      if (platform === 'archastro') return { platform, task, archastro: { agentId: 'agi_bench' } };
      if (platform === 'wysemate') return { platform, task, wysemate: { teamId: 'team_01' } };
      return { platform, task };
    };
    const t0 = Date.now();
    const started = await Promise.all(
      Array.from({ length: SESSIONS }, (_, i) => env.sb.startSession(inputFor(i), { workflowId: `bench-${i}` })),
    );
    const results = await bounded(Promise.all(started.map((s) => env.sb.result(s.workflowId))), PHASE_MS, 'sessions');
    const elapsedMs = Date.now() - t0;
    const completed = results.filter((r) => r.status === 'completed').length;
    const perPlatform: Record<string, { sessions: number; historyEvents: number[]; platformEvents: number[] }> = {};
    for (const [i, s] of started.entries()) {
      const p = inputFor(i).platform;
      const hist = await env.client.workflow.getHandle(s.workflowId).fetchHistory();
      perPlatform[p] ??= { sessions: 0, historyEvents: [], platformEvents: [] };
      perPlatform[p].sessions += 1;
      perPlatform[p].historyEvents.push(hist.events?.length ?? 0);
      perPlatform[p].platformEvents.push(results[i]!.counts.platformEvents);
    }
    const allHistory = Object.values(perPlatform).flatMap((p) => p.historyEvents);
    const allPlatform = Object.values(perPlatform).flatMap((p) => p.platformEvents);
    const loadRss = env.peakRssMb();

    // ---- 2. update → platform latency: agentSession vs the bare-workflow floor ----
    const K = 10;
    const floor = await startFloor(env, K);
    const sessions = floor.sessions;
    // floor, sessions, floor again: neither side always runs on a warmer server.
    const f1 = await platformLatency(env.control, UPDATES / 2, K, floor.send, 'floor-a', messageContent);
    const sessionLat = await platformLatency(
      env.control,
      UPDATES,
      K,
      (i, text) => env.sb.sendMessage(sessions[i % K]!, text),
      'session',
      messageContent,
    );
    const f2 = await platformLatency(env.control, UPDATES / 2, K, floor.send, 'floor-b', messageContent);
    const floorLat = [...f1, ...f2];
    await floor.close();

    writeResults('sessions', {
      command: 'npm run bench:sessions',
      at: new Date().toISOString(),
      machine: env.machine,
      worker: { process: 'bin/switchboard-worker', ...env.workerProcess() },
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
      workerPeakRssMb: { startup: round(startupRss, 0), underLoad: round(loadRss, 0) },
      sendMessageLatencyMs: {
        updates: sessionLat.length,
        agentSession: { p50: percentile(sessionLat, 50), p99: percentile(sessionLat, 99) },
        floor: { updates: floorLat.length, p50: percentile(floorLat, 50), p99: percentile(floorLat, 99) },
        p50RatioToFloor: round(percentile(sessionLat, 50) / percentile(floorLat, 50), 2),
      },
    });
  } finally {
    await env.close();
  }
}

runMain(main);
