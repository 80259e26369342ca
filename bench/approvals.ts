/**
 * `npm run bench:approvals`: 1,000 research-outline gates open at once on a local dev server with
 * a real `worker.ts` process. Writes bench/results/approvals.json.
 *
 * Measures: worker RSS with every gate open; history events per gate per hour while nobody
 * decides (measured over an idle window, scaled to an hour); decision → platform (`intervene`)
 * latency over 200 decisions (p50/p99 at the sandbox's clock) beside the `updateFloor` floor in
 * the same run; and how long `switchboard inbox` takes with 1,000 open gates (library call and
 * the CLI end to end).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  bounded,
  runMain,
  messageContent,
  percentile,
  platformLatency,
  pool,
  round,
  startBenchEnv,
  startFloor,
  sum,
  writeResults,
} from './support.js';

const GATES = Number(process.env.BENCH_GATES ?? 1000);
const DECISIONS = Number(process.env.BENCH_DECISIONS ?? 200);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
const PHASE_MS = 10 * 60_000;
/**
 * How long each research runs after its outline is approved (the sandbox's `takes:` directive).
 * Real DeepResearch runs take hours; 0 makes every approved run finish at once, so the measured
 * decisions then share the worker with the follow/collect work of the runs approved before them.
 */
const RESEARCH_TAKES_S = Number(process.env.BENCH_RESEARCH_TAKES_S ?? 600);
const run = promisify(execFile);

async function main(): Promise<void> {
  // Approved research keeps its event stream open for RESEARCH_TAKES_S; like a real stream, an idle one
  // sends a keep-alive every 15 s (the sandbox's default at tickMs 5 would be ten a second).
  const env = await startBenchEnv({ taskQueue: 'bench-approvals', heartbeatMs: 15_000 });
  try {
    // ---- open GATES gates ----
    const t0 = Date.now();
    const ids = await pool(
      Array.from({ length: GATES }, (_, i) => i),
      50,
      async (i) =>
        (
          await env.sb.startResearch(
            {
              topic: `bench topic ${i}${RESEARCH_TAKES_S ? ` takes:${RESEARCH_TAKES_S}s` : ''}`,
              approvers: ['alice'],
              deadlineSeconds: 86_400,
            },
            { workflowId: `gate-${i}` },
          )
        ).workflowId,
    );
    await bounded(
      (async () => {
        for (;;) {
          const open = await env.sb.inbox({ limit: GATES + 10 });
          if (open.length >= GATES) return;
          await new Promise((r) => setTimeout(r, 1_000));
        }
      })(),
      PHASE_MS,
      'opening gates',
    );
    const openSeconds = (Date.now() - t0) / 1000;

    // ---- idle: nobody decides ----
    const historyOf = async () =>
      pool(ids, 50, async (id) => (await env.client.workflow.getHandle(id).fetchHistory()).events?.length ?? 0);
    const before = await historyOf();
    env.resetPeak();
    await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
    const after = await historyOf();
    const idleRss = env.peakRssMb();
    const added = sum(after) - sum(before);

    // ---- inbox with GATES open gates ----
    const inboxMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = Date.now();
      const rows = await env.sb.inbox({ limit: GATES + 10 });
      inboxMs.push(Date.now() - t);
      if (rows.length < GATES) throw new Error(`inbox listed ${rows.length} of ${GATES}`);
    }
    const cliStart = Date.now();
    const cli = await run(process.execPath, ['bin/switchboard.mjs', '--json', 'inbox'], {
      env: { ...process.env, TEMPORAL_ADDRESS: env.address },
      maxBuffer: 64 * 1024 * 1024,
    });
    const cliMs = Date.now() - cliStart;
    const cliRows = (JSON.parse(cli.stdout) as unknown[]).length;

    // ---- decision → platform latency vs the floor ----
    // Two measurements, DECISIONS decisions each, on different gates:
    //  - side by side: floor updates and decisions in flight at the same time (K/2 each), so both
    //    see the same server, worker and background load: the path's own cost. The target is
    //    judged on this one.
    //  - in turn: floor, decisions, floor (K in flight). Each approved research then resumes
    //    following its event stream while the next decisions are measured, so this one also
    //    carries that follow-on work, which the floor phases do not have.
    const K = Number(process.env.BENCH_CONCURRENCY ?? 10);
    const floor = await startFloor(env, K);
    // People decide on gates in no particular order: a fixed-seed shuffle, so runs compare.
    const pick = shuffled(ids, 42).slice(0, 2 * DECISIONS);
    // Request ids come from the inbox (visibility), as for a person deciding from `switchboard inbox`:
    // no query touches the gates first, so a gate the worker evicted from its cache is decided cold.
    const openRequest = new Map(
      (await env.sb.inbox({ limit: GATES + 10 })).map((row) => [row.workflowId, row.requestId!]),
    );
    const gates = pick.map((id) => ({ id, requestId: openRequest.get(id)! }));
    const decideOn = (offset: number, label: string) => ({
      send: async (i: number, marker: string) => {
        const g = gates[offset + i]!;
        await env.sb.decide(g.id, { decider: 'alice', decision: 'approve', requestId: g.requestId, comment: marker });
      },
      // The intervene body carries the request id; map it back to the marker the decision used.
      textOf: (body: unknown) => {
        const rid = (body as { request_id?: string } | undefined)?.request_id;
        const i = rid ? gates.findIndex((g) => g.requestId === rid) : -1;
        return i >= offset && i < offset + DECISIONS ? `${label}-${i - offset}` : undefined;
      },
    });
    const together = decideOn(0, 'together');
    const [floorTogether, decisionTogether] = await Promise.all([
      platformLatency(env.control, DECISIONS, K / 2, floor.send, 'floor-together', messageContent),
      platformLatency(env.control, DECISIONS, K / 2, together.send, 'together', together.textOf),
    ]);
    const inTurn = decideOn(DECISIONS, 'turn');
    const f1 = await platformLatency(env.control, DECISIONS / 2, K, floor.send, 'floor-a', messageContent);
    const decisionInTurn = await platformLatency(env.control, DECISIONS, K, inTurn.send, 'turn', inTurn.textOf);
    const f2 = await platformLatency(env.control, DECISIONS / 2, K, floor.send, 'floor-b', messageContent);
    if (process.env.SWITCHBOARD_METRICS_PORT) {
      // Worker-side evidence (cache size, evictions, replays) for the run, when metrics are on.
      const res = await fetch(`http://127.0.0.1:${process.env.SWITCHBOARD_METRICS_PORT}/metrics`);
      (await import('node:fs')).writeFileSync(
        `bench/results/${process.env.BENCH_RESULT_NAME ?? 'approvals'}-worker-metrics.txt`,
        await res.text(),
      );
    }
    const floorInTurn = [...f1, ...f2];
    await floor.close();
    const stats = (decide: number[], fl: number[], inFlight: number) => ({
      inFlight,
      decide: { n: decide.length, p50: percentile(decide, 50), p99: percentile(decide, 99) },
      floor: { n: fl.length, p50: percentile(fl, 50), p99: percentile(fl, 99) },
      p50RatioToFloor: round(percentile(decide, 50) / percentile(fl, 50), 2),
    });

    writeResults(process.env.BENCH_RESULT_NAME ?? 'approvals', {
      command: 'npm run bench:approvals',
      at: new Date().toISOString(),
      machine: env.machine,
      gates: {
        open: GATES,
        secondsToOpenAll: round(openSeconds, 1),
        researchTakesSecondsAfterApproval: RESEARCH_TAKES_S,
      },
      worker: {
        process: 'bin/switchboard-worker',
        ...env.workerProcess(),
        maxCachedWorkflows: process.env.SWITCHBOARD_MAX_CACHED_WORKFLOWS ?? 'SDK default (from heap size)',
      },
      serverDynamicConfig: process.env.BENCH_SERVER_CONFIG
        ? (JSON.parse(process.env.BENCH_SERVER_CONFIG) as Record<string, unknown>)
        : 'src/devserver defaults',
      idle: {
        windowSeconds: IDLE_SECONDS,
        historyEventsAdded: added,
        historyEventsPerGatePerHour: round((added / GATES) * (3600 / IDLE_SECONDS), 3),
        historyEventsPerGateWhenOpened: { median: percentile(before, 50), max: Math.max(...before) },
      },
      workerRssMb: { peakWhileIdleWithAllGatesOpen: round(idleRss, 0), now: round(env.rssMb(), 0) },
      inbox: {
        rows: GATES,
        libraryMs: { median: percentile(inboxMs, 50), max: Math.max(...inboxMs) },
        cliEndToEndMs: cliMs,
        cliRows,
      },
      decisionToPlatformMs: {
        sideBySide: stats(decisionTogether, floorTogether, K),
        inTurn: stats(decisionInTurn, floorInTurn, K),
      },
    });
  } finally {
    await env.close();
  }
}

/** A deterministic Fisher–Yates shuffle (LCG-seeded). */
function shuffled<T>(xs: T[], seed: number): T[] {
  const out = [...xs];
  let x = seed;
  for (let i = out.length - 1; i > 0; i--) {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

runMain(main);
