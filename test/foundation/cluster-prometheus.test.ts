/**
 * The Prometheus of `npm run cluster` (src/devserver/cluster.ts): Prometheus v3.5.0 built from its
 * Go module (cached beside the server build), started on 127.0.0.1 with the cluster's jobs
 * (`switchboard-worker`, `temporal-server`, as deploy/prometheus.yml), scrapes a real `worker.ts`
 * process's metrics port — the way the cluster starts its workers — and the test run's Temporal
 * server; its HTTP API answers `up` per target and Switchboard's own series. Then a changed worker
 * list is reloaded in place, and it stops.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { SwitchboardClient } from '../../src/client/index.js';
import { METRICS } from '../../src/contracts/metrics.js';
import { findPrometheus, prometheusPid, startPrometheus, stopPrometheus } from '../../src/devserver/cluster.js';
import { freePort, waitForPort } from '../../src/devserver/index.js';
import { createHarness, eventually, type Harness } from '../support/harness.js';
import { exited, spawnWorker } from '../support/workers.js';

/** The part of Prometheus's `/api/v1/query` answer (an instant vector) read here. */
const vector = z.object({
  status: z.literal('success'),
  data: z.object({
    result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: z.tuple([z.number(), z.string()]) })),
  }),
});
/** The part of `/api/v1/targets` read here. */
const targetList = z.object({
  data: z.object({ activeTargets: z.array(z.object({ labels: z.record(z.string(), z.string()) })) }),
});

let h: Harness;
let connection: Connection | undefined;
let worker: ChildProcess | undefined;
let workerOutput = '';
const dir = mkdtempSync(join(tmpdir(), 'sb-prometheus-'));
beforeAll(async () => {
  h = await createHarness({ name: 'prometheus' });
});
afterAll(async () => {
  await stopPrometheus(dir);
  if (worker) {
    worker.kill('SIGTERM');
    await exited(worker);
  }
  await connection?.close();
  await h?.close();
});

it(
  'Prometheus scrapes a worker process and the server, answers up and switchboard_ series, reloads its targets, and stops',
  async () => {
    // A worker process as the cluster runs it: worker.ts with SWITCHBOARD_METRICS_PORT, a pre-built bundle.
    const taskQueue = `test-prometheus-worker-${process.pid}-${Date.now()}`;
    const workerPort = await freePort();
    const deadPort = await freePort(); // nothing listens there: its target must be down
    worker = spawnWorker(taskQueue, {
      SWITCHBOARD_METRICS_PORT: String(workerPort),
      SWITCHBOARD_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
    });
    worker.stderr?.on('data', (d: Buffer) => (workerOutput = (workerOutput + d.toString()).slice(-4000)));
    const child = worker;
    await waitForPort('127.0.0.1', workerPort, 120_000, () =>
      child.exitCode !== null || child.signalCode !== null ? `worker.ts ended: ${workerOutput}` : undefined,
    );

    // One decided gate on that worker records a Switchboard series (time to decision).
    connection = await Connection.connect({ address: inject('temporalAddress') });
    const sb = new SwitchboardClient({ connection, namespace: 'default', taskQueue });
    const { workflowId } = await sb.startResearch({ topic: 'Scraped by Prometheus', approvers: ['alice'] });
    await eventually(async () => (await sb.gate(workflowId)).open, { timeoutMs: 60_000 });
    await sb.decide(workflowId, { decider: 'alice', decision: 'approve' });
    await h.client.workflow.getHandle(workflowId).result();

    // Built once into the cache (a few minutes from the module proxy), then reused.
    const bin = await findPrometheus({ log: (l) => console.log(l) });
    const port = await freePort();
    const serverMetrics = inject('temporalMetricsPort');
    const url = await startPrometheus(
      dir,
      bin,
      { workers: [workerPort, deadPort], server: serverMetrics },
      port,
      () => {},
      {
        scrapeInterval: '1s',
      },
    );
    expect(url).toBe(`http://127.0.0.1:${port}`);
    const pid = prometheusPid(dir);
    expect(pid).toBeGreaterThan(0);

    const query = async (q: string) => {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(q)}`);
      return vector.parse(await res.json()).data.result;
    };
    const upOf = (result: Awaited<ReturnType<typeof query>>, port: number) =>
      result.find((r) => r.metric.instance === `127.0.0.1:${port}`)?.value[1];

    // Every target scraped once: the worker up, the closed port down, the server up.
    const up = await eventually(
      async () => {
        const r = await query('up{job="switchboard-worker"}');
        return upOf(r, workerPort) !== undefined && upOf(r, deadPort) !== undefined ? r : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(upOf(up, workerPort)).toBe('1');
    expect(upOf(up, deadPort)).toBe('0');
    const server = await eventually(async () => upOf(await query('up{job="temporal-server"}'), serverMetrics), {
      timeoutMs: 30_000,
      intervalMs: 500,
    });
    expect(server).toBe('1');

    // Switchboard's own series, from the worker's endpoint, with the cluster's job label.
    const names = await eventually(
      async () => {
        const r = await query('count by (__name__) ({__name__=~"switchboard_.+", job="switchboard-worker"})');
        return r.length > 0 ? r.map((s) => s.metric.__name__) : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(names).toContain(`${METRICS.timeToDecision}_count`);
    // …and the workflow's own tags came along.
    const decided = await query(`${METRICS.timeToDecision}_count{decision="approve",by="person"}`);
    expect(decided.find((s) => s.metric.taskQueue === taskQueue)?.value[1]).toBe('1');

    // A second start (e.g. `npm run cluster -- --workers 1` after 2) rewrites the config and
    // Prometheus reloads it in place: same process, the dead target gone.
    expect(await startPrometheus(dir, bin, { workers: [workerPort], server: serverMetrics }, port, () => {})).toBe(url);
    expect(prometheusPid(dir)).toBe(pid);
    await eventually(
      async () => {
        const res = targetList.parse(await (await fetch(`${url}/api/v1/targets`)).json());
        const instances = res.data.activeTargets.map((t) => t.labels.instance);
        return instances.includes(`127.0.0.1:${workerPort}`) && !instances.includes(`127.0.0.1:${deadPort}`);
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );

    await stopPrometheus(dir);
    expect(prometheusPid(dir)).toBeUndefined();
    await expect(fetch(`${url}/-/ready`)).rejects.toThrow();
  },
  20 * 60_000,
);
