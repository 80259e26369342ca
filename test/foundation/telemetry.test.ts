/**
 * Tracing and metrics as an operator sees them: one approval traced from the client call through
 * the workflow and its activities to the platform HTTP request, exported over OTLP/HTTP to a
 * receiver on 127.0.0.1; and Switchboard's own metrics on the worker's Prometheus endpoint.
 */
import {
  closeReceiver,
  contentTypes,
  metricsPort,
  otlpEndpoint,
  received,
  tracing,
} from '../support/telemetryRuntime.js';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import type { Connection } from '@temporalio/client';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { METRICS } from '../../src/contracts/metrics.js';
import { SwitchboardClient } from '../../src/client/index.js';
import { tracedBundlePath } from '../../src/telemetry/tracing.js';
import { bundleOptions } from '../../src/worker/create.js';
import { createHarness, eventually, type Harness, sandboxEnv } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  // A bundle with the OpenTelemetry workflow interceptors, as the traced twin `npm run build:workflows` writes.
  const { code } = await bundleWorkflowCode({
    ...bundleOptions({ tracing: true }),
    logger: { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} },
  });
  const bundle = join(mkdtempSync(join(tmpdir(), 'sb-traced-')), 'bundle.js');
  writeFileSync(bundle, code);
  h = await createHarness({
    name: 'telemetry',
    workflowBundlePath: bundle,
    extraEnv: {
      SWITCHBOARD_NOTIFY_WEBHOOK: `${inject('sandboxOrigin')}/_control/webhooks`,
      SWITCHBOARD_NOTIFY_SECRET: 'whsec_' + Buffer.from('telemetry-test-secret-0123456789').toString('base64'),
    },
  });
  await h.control.reset();
});
afterAll(async () => {
  await h?.close();
  await closeReceiver();
});

async function openGate(input: Record<string, unknown>) {
  const { workflowId } = await h.sb.startResearch({ topic: 'Tracing Temporal', approvers: ['alice'], ...input });
  const gate = await eventually(async () => {
    const g = await h.sb.gate(workflowId);
    return g.open ? g : undefined;
  });
  return { workflowId, gate };
}

describe('tracing', () => {
  it('one approval: client → workflow → activity → HTTP spans share one trace, exported as OTLP/HTTP JSON', async () => {
    const { workflowId } = await openGate({});
    await h.sb.decide(workflowId, { decider: 'alice', decision: 'approve' });
    await h.client.workflow.getHandle(workflowId).result();
    await tracing.spanProcessor.forceFlush();

    const start = await eventually(async () =>
      received.find((s) => s.name === 'StartWorkflow:deepResearch' && attr(s, 'temporalWorkflowId') === workflowId),
    );
    const trace = () => received.filter((s) => s.traceId === start.traceId);
    // The run, the activities it scheduled and their platform requests, all in the start call's trace.
    await eventually(
      async () =>
        trace().some((s) => s.name.startsWith('HTTP POST webagent')) &&
        trace().some((s) => s.name === 'RunWorkflow:deepResearch'),
      {
        timeoutMs: 10_000,
      },
    );
    const names = trace().map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['StartWorkflow:deepResearch', 'RunWorkflow:deepResearch']));
    expect(names.some((n) => n.startsWith('StartActivity:'))).toBe(true);
    expect(names.some((n) => n.startsWith('RunActivity:'))).toBe(true);

    // Parent links: HTTP span → RunActivity → StartActivity → RunWorkflow → StartWorkflow.
    const byId = new Map(trace().map((s) => [s.spanId, s]));
    const http = trace().find(
      (s) => s.name === 'HTTP POST webagent' && String(attr(s, 'url.path')).endsWith('/v1/deep_research'),
    )!;
    expect(http).toBeDefined();
    const chain: string[] = [];
    for (
      let s: (typeof received)[number] | undefined = http;
      s && chain.length < 10;
      s = s.parentSpanId ? byId.get(s.parentSpanId) : undefined
    )
      chain.push(s.name.split(':')[0]!);
    expect(chain, JSON.stringify(trace().map((s) => s.name))).toEqual([
      'HTTP POST webagent',
      'RunActivity',
      'StartActivity',
      'RunWorkflow',
      'StartWorkflow',
    ]);
    expect(attr(http, 'http.response.status_code')).toBe(201);

    // The decision itself is its own client call: its update span and the workflow's handling of it share a trace.
    const update = received.find(
      (s) => s.name === 'StartWorkflowUpdate:decide' && attr(s, 'temporalWorkflowId') === workflowId,
    );
    expect(update).toBeDefined();
    expect(received.some((s) => s.name === 'HandleUpdate:decide' && s.traceId === update!.traceId)).toBe(true);

    expect([...contentTypes]).toContain('application/json');
  });
});

describe('tracing from the pre-built bundle', () => {
  let worker: ChildProcess | undefined;
  afterAll(async () => {
    if (worker && worker.exitCode === null && worker.signalCode === null) {
      const exited = new Promise((r) => worker!.once('exit', r));
      worker.kill('SIGTERM');
      await exited;
    }
  });

  it('a worker process on the bundle `npm run build` writes, with OTEL_EXPORTER_OTLP_ENDPOINT set, exports workflow spans', async () => {
    // The build as the Dockerfile runs it (`npm run build` → scripts/build-workflows.ts), then the
    // production entry (worker.ts, as dist/worker.js runs it) pointed at the plain bundle's path.
    const bundle = join(mkdtempSync(join(tmpdir(), 'sb-prebuilt-')), 'workflow-bundle.js');
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/build-workflows.ts', bundle], {
      timeout: 240_000,
    });
    expect(existsSync(tracedBundlePath(bundle))).toBe(true);
    const taskQueue = `prebuilt-traced-${Date.now()}`;
    worker = spawn(process.execPath, ['--import', 'tsx', 'worker.ts'], {
      env: {
        ...process.env,
        ...sandboxEnv(),
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        SWITCHBOARD_TASK_QUEUE: taskQueue,
        SWITCHBOARD_DATA_DIR: mkdtempSync(join(tmpdir(), 'sb-prebuilt-data-')),
        SWITCHBOARD_LOG_LEVEL: 'WARN',
        SWITCHBOARD_WORKFLOW_BUNDLE: bundle,
        OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    worker.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    await eventually(async () => stderr.includes('switchboard worker polling'), { timeoutMs: 90_000 }).catch(
      (err: unknown) => {
        throw new Error(`the worker did not start: ${stderr}`, { cause: err });
      },
    );

    // Only that worker polls this task queue: a run span in the start call's trace is its own.
    const sb = new SwitchboardClient({ connection: h.client.connection as Connection, taskQueue });
    const { workflowId } = await sb.startResearch({
      topic: 'Traced from the bundle',
      approvers: ['alice'],
      requireOutlineApproval: false,
    });
    await sb.temporal.workflow.getHandle(workflowId).result();
    await tracing.spanProcessor.forceFlush();
    const start = await eventually(async () =>
      received.find((s) => s.name === 'StartWorkflow:deepResearch' && attr(s, 'temporalWorkflowId') === workflowId),
    );
    const run = await eventually(
      async () => received.find((s) => s.name === 'RunWorkflow:deepResearch' && s.traceId === start.traceId),
      { timeoutMs: 15_000 },
    );
    expect(run.parentSpanId).toBe(start.spanId);
    // Activities scheduled by the traced workflow carry its trace on, down to the platform request.
    await eventually(
      async () => received.some((s) => s.traceId === start.traceId && s.name.startsWith('HTTP POST webagent')),
      { timeoutMs: 15_000 },
    );
    expect(stderr).not.toContain('workflow spans are off');
  }, 300_000);
});

describe('metrics', () => {
  it('the worker endpoint shows time to decision, expiries, escalations, webhook deliveries and platform errors', async () => {
    const approved = await openGate({});
    await h.sb.decide(approved.workflowId, { decider: 'alice', decision: 'approve' });
    const expired = await openGate({ deadlineSeconds: 1, onExpiry: { policy: 'reject' } });
    const escalated = await openGate({
      deadlineSeconds: 1,
      onExpiry: { policy: 'escalate', to: ['bob'], extendSeconds: 60 },
    });
    await eventually(async () => (await h.sb.gate(escalated.workflowId)).escalated, { timeoutMs: 15_000 });
    await h.sb.decide(escalated.workflowId, { decider: 'bob', decision: 'approve' });
    // One platform error: the research create answers 503 once (retried, then created).
    await h.control.fault({
      platform: 'webagent',
      method: 'POST',
      route: '/v1/deep_research',
      phase: 'before',
      status: 503,
      times: 1,
    });
    const retried = await openGate({});
    await h.sb.decide(retried.workflowId, { decider: 'alice', decision: 'reject', reason: 'not now' });
    for (const id of [approved.workflowId, expired.workflowId, escalated.workflowId, retried.workflowId])
      await h.client.workflow.getHandle(id).result();

    const text = await eventually(
      async () => {
        const t = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        return t.includes(METRICS.platformErrors) &&
          t.includes(METRICS.webhookDeliveries) &&
          t.includes(METRICS.gateEscalations)
          ? t
          : undefined;
      },
      { timeoutMs: 15_000 },
    );
    const lines = text.split('\n').filter((l) => l.startsWith('switchboard_'));
    if (process.env.SHOW_METRICS) console.log(lines.join('\n'));
    const has = (name: string, ...tags: string[]) =>
      lines.some((l) => l.startsWith(name) && tags.every((t) => l.includes(t)));
    expect(has(`${METRICS.timeToDecision}`, 'kind="research_outline"', 'by="person"', 'decision="approve"')).toBe(true);
    expect(has(`${METRICS.timeToDecision}`, 'by="expiry"', 'decision="reject"')).toBe(true);
    expect(has(METRICS.gateExpiries, 'policy="reject"')).toBe(true);
    expect(has(METRICS.gateEscalations, 'kind="research_outline"')).toBe(true);
    expect(has(METRICS.webhookDeliveries, 'outcome="delivered"')).toBe(true);
    expect(has(METRICS.platformErrors, 'platform="webagent"', 'class="')).toBe(true);
  });
});

function attr(s: { attributes: { key: string; value: Record<string, unknown> }[] }, key: string): unknown {
  const v = s.attributes.find((a) => a.key === key)?.value;
  if (!v) return undefined;
  const raw = v.stringValue ?? v.intValue ?? v.boolValue ?? v.doubleValue;
  return typeof raw === 'string' && /^\d+$/.test(raw) && key.includes('status') ? Number(raw) : raw;
}
