/**
 * `npm run bench:monitors`: MONITORS scheduled monitors (Temporal Schedules, one tick a minute each)
 * on one production-shaped worker process, against a local dev server and the sandbox. Writes
 * bench/results/monitors.json.
 *
 * Measures, over a WINDOW after every monitor exists:
 * - worker RSS (peak in the window);
 * - history events per tick across every workflow involved (the tick workflow and the entity), for a
 *   sample of quiet monitors (no alert);
 * - ticks that started late by more than 5 s, from the Schedules' own record (`recentActions`:
 *   started − scheduled, jitter included in "scheduled");
 * - webhook delivery latency (a `webhookDelivery` workflow's start → the receiver) for the alerting
 *   monitors, beside the floor (`postFloor`: one activity doing a bare POST to the same receiver,
 *   started from the bench in the same window), both from the server's start time;
 * - deliveries per second on one worker: a burst of BURST deliveries started at once.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { diagnosticsTaskQueue } from '../src/worker/create.js';
import { scheduledMonitorStateQuery } from '../src/workflows/monitors/scheduledMonitor.js';
import { bounded, percentile, pool, round, runMain, startBenchEnv, sum, writeResults } from './support.js';

const MONITORS = Number(process.env.BENCH_MONITORS ?? 1000);
/** How many of them alert on every tick (the rest never do). */
const ALERTING = Number(process.env.BENCH_ALERTING ?? 100);
const WINDOW_S = Number(process.env.BENCH_WINDOW_S ?? 180);
const JITTER_S = Number(process.env.BENCH_JITTER_S ?? 30);
const SAMPLE = Number(process.env.BENCH_SAMPLE ?? 20);
const FLOOR = Number(process.env.BENCH_FLOOR ?? 150);
const BURST = Number(process.env.BENCH_BURST ?? 500);
const SECRET = 'whsec_' + Buffer.from('switchboard-bench-monitors-0123456789').toString('base64');

interface Arrival {
  at: number;
}

async function main(): Promise<void> {
  // ---- the receiver: every webhook and floor POST, by id ----
  const arrivals = new Map<string, Arrival>();
  const floorArrivals = new Map<string, Arrival>();
  const receiver = createServer((req: IncomingMessage, res) => {
    const at = Date.now();
    req.resume();
    req.on('end', () => {
      const floorId = req.headers['x-floor-id'];
      const hookId = req.headers['webhook-id'];
      if (typeof floorId === 'string') floorArrivals.set(floorId, { at });
      else if (typeof hookId === 'string' && !arrivals.has(hookId)) arrivals.set(hookId, { at });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

  const env = await startBenchEnv({
    taskQueue: 'bench-monitors',
    heartbeatMs: 15_000,
    workerEnv: {
      SWITCHBOARD_WEBHOOK_BENCH_URL: url,
      SWITCHBOARD_WEBHOOK_BENCH_SECRET: SECRET,
      SWITCHBOARD_WEBHOOK_ALLOW: '127.0.0.1',
    },
  });
  try {
    // ---- MONITORS monitors, ALERTING of them alerting on every tick ----
    const t0 = Date.now();
    const keys = Array.from({ length: MONITORS }, (_, i) => `bench-${i < ALERTING ? 'a' : 'q'}-${i}`);
    await pool(keys, 20, async (key) =>
      env.sb.scheduledMonitors.create({
        key,
        check: { kind: 'web_search', query: `bench ${key}` },
        schedule: { everySeconds: [60], jitterSeconds: JITTER_S },
        condition: key.startsWith('bench-a')
          ? { op: 'gt', field: 'count', value: 0 }
          : { op: 'lt', field: 'count', value: -1 },
        notify: { endpoint: 'bench' },
        approvers: ['alice'],
      }),
    );
    const createSeconds = (Date.now() - t0) / 1000;
    const sample = keys.filter((k) => k.startsWith('bench-q')).slice(0, SAMPLE);
    // Per sampled entity: its history length and how many ticks it has checked (its own count).
    const entityEvents = async () =>
      pool(sample, 10, async (k) => {
        const h = env.client.workflow.getHandle(`monitor-${k}`);
        const [history, st] = await Promise.all([h.fetchHistory(), h.query(scheduledMonitorStateQuery)]);
        return {
          events: history.events?.length ?? 0,
          ticks: st.counts.ticks + st.counts.skippedWhileWaiting + st.counts.skippedOverlap,
        };
      });

    // ---- the window ----
    const windowStart = Date.now();
    const before = await entityEvents();
    env.resetPeak();
    // The floor runs inside the window, spread over it, beside the monitors' own deliveries.
    const floor = (async () => {
      const gap = (WINDOW_S * 1000 * 0.8) / FLOOR;
      await pool(
        Array.from({ length: FLOOR }, (_, i) => i),
        4,
        async (i) => {
          await new Promise((r) => setTimeout(r, gap * 4));
          await env.client.workflow.execute('postFloor', {
            taskQueue: diagnosticsTaskQueue(env.taskQueue),
            workflowId: `floor-post-${i}-${Date.now()}`,
            args: [url, `floor-${i}`, JSON.stringify({ type: 'floor', data: { i } })],
          });
        },
      );
    })();
    await new Promise((r) => setTimeout(r, WINDOW_S * 1000));
    await bounded(floor, 120_000, 'floor posts');
    const rssPeak = env.peakRssMb();
    const after = await entityEvents();
    const windowEnd = Date.now();

    // ---- lateness, from the Schedules' own record ----
    // Paused first (so describing 1,000 Schedules does not compete with their ticks), then each
    // Schedule's recent actions: taken − scheduled, where "scheduled" includes the jitter (the
    // `TemporalScheduledStartTime` stamp on a tick is the nominal time, without it).
    const since = new Date(windowStart).toISOString();
    await pool(keys, 10, async (k) =>
      env.client.schedule
        .getHandle(`monitor-${k}`)
        .pause('bench: measuring')
        .catch(() => undefined),
    );
    const late: number[] = [];
    let describeFailed = 0;
    await pool(keys, 5, async (k) => {
      for (let attempt = 1; ; attempt++) {
        try {
          const d = await env.client.schedule.getHandle(`monitor-${k}`).describe();
          for (const a of d.info.recentActions) {
            const scheduled = a.scheduledAt.getTime();
            if (scheduled >= windowStart && scheduled <= windowEnd) late.push(a.takenAt.getTime() - scheduled);
          }
          return;
        } catch {
          if (attempt >= 3) return void (describeFailed += 1);
          await new Promise((r) => setTimeout(r, 1_000));
        }
      }
    });
    const fired = late.length;
    // What the entities made of them: checks that failed (e.g. the Schedule could not be asked in time).
    const checks = await pool(keys, 20, async (k) => {
      try {
        const st = await env.client.workflow.getHandle(`monitor-${k}`).query(scheduledMonitorStateQuery);
        return { ticks: st.counts.ticks, failed: st.counts.checksFailed, refused: st.counts.wakesRefused };
      } catch {
        return { ticks: 0, failed: 0, refused: 0, unreadable: 1 };
      }
    });

    // ---- events per tick: what the sampled entities added per tick they took (their own count,
    // not visibility, which lags on a busy dev server), plus a tick workflow's own history, read
    // from the sample's tick workflows that visibility already lists.
    const entityAdded = sum(after.map((a) => a.events)) - sum(before.map((b) => b.events));
    const ticks = sum(after.map((a) => a.ticks)) - sum(before.map((b) => b.ticks));
    const tickLengths: number[] = [];
    await pool(sample, 5, async (k) => {
      for await (const wf of env.client.workflow.list({
        query: `WorkflowType = 'scheduledMonitorTick' AND WorkflowId STARTS_WITH 'monitor-${k}.tick' AND ExecutionStatus = 'Completed'`,
      })) {
        const n = (await env.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory()).events?.length;
        if (n) tickLengths.push(n);
        if (tickLengths.length >= 40) break;
      }
    });
    const tickWorkflowEvents = tickLengths.length ? sum(tickLengths) / tickLengths.length : null;

    // ---- delivery latency vs the floor (server start time → receiver) ----
    const startTimes = async (query: string) => {
      const out = new Map<string, number>();
      for await (const wf of env.client.workflow.list({ query })) out.set(wf.workflowId, wf.startTime.getTime());
      return out;
    };
    const deliveries = await startTimes(`WorkflowType = 'webhookDelivery' AND StartTime >= '${since}'`);
    const deliveryLat: number[] = [];
    for (const [id, start] of deliveries) {
      const a = arrivals.get(id.slice('outbox-bench-'.length));
      if (a && a.at <= windowEnd + 60_000) deliveryLat.push(a.at - start);
    }
    const floors = await startTimes(`WorkflowType = 'postFloor' AND StartTime >= '${since}'`);
    const floorLat: number[] = [];
    for (const [id, start] of floors) {
      const i = /^floor-post-(\d+)-/.exec(id)?.[1];
      const a = i === undefined ? undefined : floorArrivals.get(`floor-${i}`);
      if (a) floorLat.push(a.at - start);
    }

    // ---- deliveries per second: a burst straight into the outbox ----
    await pool(keys, 10, async (k) =>
      env.client.schedule
        .getHandle(`monitor-${k}`)
        .pause('bench: burst phase')
        .catch(() => undefined),
    );
    const burstStart = Date.now();
    await pool(
      Array.from({ length: BURST }, (_, i) => i),
      50,
      async (i) =>
        env.client.workflow.start('webhookDelivery', {
          taskQueue: env.taskQueue,
          workflowId: `outbox-bench-burst.${i}`,
          args: [{ endpoint: 'bench', messageId: `burst.${i}`, eventType: 'bench.burst', payload: { i } }],
        }),
    );
    await bounded(
      (async () => {
        while ([...Array(BURST).keys()].some((i) => !arrivals.has(`burst.${i}`)))
          await new Promise((r) => setTimeout(r, 100));
      })(),
      300_000,
      'burst deliveries',
    );
    const burstSeconds = (Date.now() - burstStart) / 1000;

    const p50 = percentile(deliveryLat, 50);
    const floorP50 = percentile(floorLat, 50);
    // The default run writes monitors.json; a smaller one (BENCH_MONITORS) writes monitors-<n>.json beside it.
    writeResults(MONITORS === 1000 ? 'monitors' : `monitors-${MONITORS}`, {
      command: 'npm run bench:monitors',
      at: new Date().toISOString(),
      machine: env.machine,
      setup: {
        monitors: MONITORS,
        alerting: ALERTING,
        everySeconds: 60,
        jitterSeconds: JITTER_S,
        windowSeconds: WINDOW_S,
        createSeconds: round(createSeconds),
      },
      workerRssPeakMb: round(rssPeak),
      ticks: {
        firedInWindow: fired,
        schedulesNotDescribed: describeFailed,
        checkedByEntities: sum(checks.map((c) => c.ticks)),
        checksFailed: sum(checks.map((c) => c.failed)),
        wakesRefused: sum(checks.map((c) => c.refused)),
        startedLateOver5s: late.filter((ms) => ms > 5_000).length,
        lateMs: { p50: percentile(late, 50), p99: percentile(late, 99), max: Math.max(0, ...late) },
      },
      historyEventsPerTick: {
        sampleMonitors: sample.length,
        ticks,
        perTick: ticks && tickWorkflowEvents !== null ? round(tickWorkflowEvents + entityAdded / ticks, 2) : null,
        tickWorkflowPerTick: tickWorkflowEvents === null ? null : round(tickWorkflowEvents, 2),
        entityPerTick: ticks ? round(entityAdded / ticks, 2) : null,
        tickWorkflowsRead: tickLengths.length,
      },
      webhookDelivery: {
        deliveries: deliveryLat.length,
        latencyMs: { p50, p99: percentile(deliveryLat, 99) },
        floorBarePostFromActivityMs: { n: floorLat.length, p50: floorP50, p99: percentile(floorLat, 99) },
        p50RatioToFloor: floorP50 ? round(p50 / floorP50, 2) : null,
        burst: { deliveries: BURST, seconds: round(burstSeconds), perSecond: round(BURST / burstSeconds) },
      },
      targets: { rssMb: 400, eventsPerTick: 12, lateOver5s: 0, p50RatioToFloor: 1.3 },
      workerProcess: env.workerProcess(),
    });
  } finally {
    await env.close();
    receiver.close();
  }
}

runMain(main);
