/**
 * `npm run deploy:rolling`: a rolling deploy with Worker Versioning on the local cluster
 * (src/devserver/cluster.ts, its own directory and ports). v1 workers run; a long-lived monitor
 * (PINNED) and a research run (AUTO_UPGRADE, waiting at its gate) start on v1; v2 workers join
 * and v2 becomes the deployment's current version; new workflows start on v2; the research run
 * moves to v2 at its next task, the monitor stays on v1 until it ends; then v1 is drained.
 * Prints what each workflow ran on and writes bench/results/rolling-deploy.json.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { WorkflowClient } from '@temporalio/client';
import { parseEnv } from '../src/config.js';
import { SwitchboardClient } from '../src/client/index.js';
import { startCluster, startWorkerProcess, stopCluster, stopWorkerProcess } from '../src/devserver/cluster.js';
import { findTemporalCli } from '../src/devserver/index.js';
import { connectClient, temporalTarget } from '../src/worker/connect.js';
import { writeResults } from '../bench/support.js';

const run = promisify(execFile);
const { values } = parseArgs({
  options: { port: { type: 'string', default: '19233' }, keep: { type: 'boolean', default: false } },
});
const DIR = resolve(parseEnv().SWITCHBOARD_DATA_DIR, 'rolling');
const DEPLOYMENT = 'switchboard';
const say = (l: string) => process.stderr.write(`[rolling] ${l}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await sleep(500);
  }
  throw new Error(
    `${what}: not within ${ms} ms${last ? ` (${last instanceof Error ? last.message : JSON.stringify(last)})` : ''}`,
  );
}

async function main(): Promise<void> {
  await stopCluster(DIR, () => {});
  rmSync(DIR, { recursive: true, force: true });
  // No Prometheus: the run reads its results from Temporal, and CI keeps it bounded.
  const state = await startCluster({
    dir: DIR,
    basePort: Number(values.port),
    workers: 0,
    prometheusPort: false,
    env: process.env,
    log: say,
  });
  const cli = await findTemporalCli();
  const temporal = (...args: string[]) => run(cli, [...args, '--address', state.address], { timeout: 30_000 });
  const setCurrent = (buildId: string) =>
    until(`set-current-version ${buildId}`, async () => {
      await temporal(
        'worker',
        'deployment',
        'set-current-version',
        '--deployment-name',
        DEPLOYMENT,
        '--build-id',
        buildId,
        '--yes',
      );
      return true;
    });
  const env = parseEnv({ ...process.env, ...state.workerEnv });
  const connection = await connectClient(temporalTarget(env));
  const sb = new SwitchboardClient({ connection, namespace: state.namespace });
  const wf = new WorkflowClient({ connection, namespace: state.namespace });
  /** The build a workflow's last task ran on, and its versioning behavior, from DescribeWorkflowExecution. */
  const versionOf = async (id: string) => {
    const info = (await wf.getHandle(id).describe()).raw.workflowExecutionInfo?.versioningInfo;
    const behavior = ['UNSPECIFIED', 'PINNED', 'AUTO_UPGRADE'][Number(info?.behavior ?? 0)] ?? String(info?.behavior);
    return { buildId: info?.deploymentVersion?.buildId ?? undefined, behavior };
  };
  const worker = (i: number, buildId: string) =>
    startWorkerProcess(DIR, state, i, { SWITCHBOARD_DEPLOYMENT_NAME: DEPLOYMENT, SWITCHBOARD_BUILD_ID: buildId });
  const monitor = (key: string) =>
    sb.monitors.create(key, {
      intent: `${key}: watch the price`,
      schedule: { kind: 'interval', every_seconds: 60 },
      notifyChannel: { kind: 'callback_url', url: 'https://hooks.example.com/rolling' },
      pollSeconds: 2,
      approvers: ['alice'],
      deadlineSeconds: 86_400,
      onExpiry: { policy: 'reject' },
      credentialAlias: 'default',
    } as never);
  const research = async (id: string) => {
    await sb.startResearch(
      { topic: `${id} rolling deploys`, approvers: ['alice'], deadlineSeconds: 86_400 },
      { workflowId: id },
    );
    return until(`${id} gate`, async () => ((await sb.gate(id)).open ? true : undefined));
  };
  const seen: Record<string, unknown> = {};
  try {
    // ---- v1 ----
    await worker(1, 'v1');
    await setCurrent('v1');
    say('v1 is current');
    await monitor('rolling-m1');
    await research('rolling-r1');
    seen.m1_on_start = await until(
      'm1 on v1',
      async () => (await versionOf('monitor-rolling-m1')).buildId && versionOf('monitor-rolling-m1'),
    );
    seen.r1_on_start = await versionOf('rolling-r1');

    // ---- v2 joins, becomes current ----
    await worker(2, 'v2');
    await setCurrent('v2');
    say('v2 is current (v1 still running)');
    await monitor('rolling-m2');
    await research('rolling-r2');
    seen.m2_on_start = await until(
      'm2 versioned',
      async () => (await versionOf('monitor-rolling-m2')).buildId && versionOf('monitor-rolling-m2'),
    );
    seen.r2_on_start = await versionOf('rolling-r2');

    // ---- running workflows take their next tasks ----
    await sb.decide('rolling-r1', { decider: 'alice', decision: 'approve' });
    await sb.decide('rolling-r2', { decider: 'alice', decision: 'approve' });
    await wf.getHandle('rolling-r1').result();
    await wf.getHandle('rolling-r2').result();
    seen.r1_after_decision = await versionOf('rolling-r1');
    seen.r2_after_decision = await versionOf('rolling-r2');
    await sleep(5_000); // a few monitor polls (2 s apart) on each side
    seen.m1_after_polls = await versionOf('monitor-rolling-m1');
    seen.m2_after_polls = await versionOf('monitor-rolling-m2');

    // ---- drain v1: its pinned monitor ends on v1, then v1 stops ----
    await sb.monitors.cancel('rolling-m1');
    await wf.getHandle('monitor-rolling-m1').result();
    seen.m1_at_end = await versionOf('monitor-rolling-m1');
    await stopWorkerProcess(DIR, 1);
    await sb.monitors.cancel('rolling-m2');
    await wf.getHandle('monitor-rolling-m2').result();
    seen.m2_at_end = await versionOf('monitor-rolling-m2');
    const { stdout } = await temporal('worker', 'deployment', 'describe', '--name', DEPLOYMENT, '-o', 'json');
    seen.deployment = (JSON.parse(stdout) as { routingConfig?: unknown }).routingConfig;

    const expect = {
      'm1 starts pinned on v1': seen.m1_on_start,
      'r1 starts on v1': seen.r1_on_start,
      'm2 (new) starts pinned on v2': seen.m2_on_start,
      'r2 (new) starts on v2': seen.r2_on_start,
      'r1 moved to v2 at its next task': seen.r1_after_decision,
      'm1 stays on v1 while v2 is current': seen.m1_after_polls,
      'm1 finishes on v1': seen.m1_at_end,
    };
    const want: Record<string, [string, string]> = {
      'm1 starts pinned on v1': ['v1', 'PINNED'],
      'r1 starts on v1': ['v1', 'AUTO_UPGRADE'],
      'm2 (new) starts pinned on v2': ['v2', 'PINNED'],
      'r2 (new) starts on v2': ['v2', 'AUTO_UPGRADE'],
      'r1 moved to v2 at its next task': ['v2', 'AUTO_UPGRADE'],
      'm1 stays on v1 while v2 is current': ['v1', 'PINNED'],
      'm1 finishes on v1': ['v1', 'PINNED'],
    };
    const checks = Object.entries(expect).map(([name, got]) => {
      const g = got as { buildId?: string; behavior?: string } | undefined;
      const [buildId, behavior] = want[name]!;
      return {
        check: name,
        want: `${buildId} ${behavior}`,
        got: `${g?.buildId} ${g?.behavior}`,
        ok: g?.buildId === buildId && g?.behavior === behavior,
      };
    });
    writeResults('rolling-deploy', { at: new Date().toISOString(), checks, seen });
    const failed = checks.filter((c) => !c.ok);
    say(failed.length === 0 ? 'PASS: every check held' : `FAIL: ${failed.map((c) => c.check).join('; ')}`);
    if (failed.length) process.exitCode = 1;
  } finally {
    await connection.close();
    if (!values.keep) await stopCluster(DIR, say);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
