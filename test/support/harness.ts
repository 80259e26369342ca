/**
 * Per-file test harness: a worker on its own task queue, wired exactly like production
 * (createSwitchboardWorker), pointed at the shared sandbox and dev server.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { LocalArtifactStore } from '../../src/artifacts/store.js';
import { Credentials, notificationLinkSettings, parseEnv, PLATFORM_ENV, WebhookEndpoints } from '../../src/config.js';
import { PLATFORMS } from '../../src/providers/errors.js';
import { ProviderRegistry } from '../../src/providers/registry.js';
import { SandboxControl } from '../../src/sandbox/control.js';
import { KeyRing } from '../../src/sandbox/server.js';
import { SwitchboardClient } from '../../src/client/index.js';
import { createSwitchboardWorker } from '../../src/worker/create.js';
import { trustedKeysDir } from '../../src/identity/keys.js';
import { installRuntime } from '../../src/worker/runtime.js';
import { TEST_WORKER_LOG } from './logfile.js';

/** The environment a worker in tests sees: every platform on the sandbox with its default key. */
export function sandboxEnv(origin = inject('sandboxOrigin')): NodeJS.ProcessEnv {
  // The sandbox (and its webhook receiver) listens on loopback, which the outbox refuses unless allowed.
  const env: NodeJS.ProcessEnv = { WEBAGENT_PROJECT_ID: 'proj_test', SWITCHBOARD_WEBHOOK_ALLOW: '127.0.0.1' };
  for (const p of PLATFORMS) {
    env[PLATFORM_ENV[p].baseUrl] = `${origin}/${p}`;
    env[p === 'mycel' ? 'MYCEL_TOKEN_DEFAULT' : PLATFORM_ENV[p].key] = KeyRing.defaultKey(p);
  }
  return env;
}

export interface Harness {
  taskQueue: string;
  client: Client;
  sb: SwitchboardClient;
  control: SandboxControl;
  providers: ProviderRegistry;
  artifactsDir: string;
  worker: Worker;
  /** Stops the worker (tests that simulate crashes start a new one). */
  stopWorker(): Promise<void>;
  startWorker(): Promise<void>;
  close(): Promise<void>;
}

let seq = 0;
// Worker logs in tests: warnings and errors only, into a file (TEST_WORKER_LOG), not the console.
installRuntime({ logLevel: 'WARN', logFile: TEST_WORKER_LOG });

/**
 * `workflowBundlePath`: another workflow bundle than the shared one (the tracing test bundles the
 * OpenTelemetry workflow interceptors in).
 */
export async function createHarness(
  opts: { extraEnv?: NodeJS.ProcessEnv; name?: string; workflowBundlePath?: string } = {},
): Promise<Harness> {
  const address = inject('temporalAddress');
  const taskQueue = `test-${opts.name ?? 'q'}-${process.pid}-${++seq}-${Date.now()}`;
  const rawEnv = { ...sandboxEnv(), ...opts.extraEnv };
  const env = parseEnv(rawEnv);
  const providers = new ProviderRegistry(new Credentials(env, rawEnv));
  const artifactsDir = mkdtempSync(join(tmpdir(), 'sb-artifacts-'));
  const artifacts = new LocalArtifactStore(artifactsDir);
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const { readFileSync } = await import('node:fs');
  const code = readFileSync(opts.workflowBundlePath ?? inject('workflowBundlePath'), 'utf8');
  let worker!: Worker;
  let running: Promise<void> | undefined;
  const startWorker = async () => {
    worker = await createSwitchboardWorker({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      providers,
      artifacts,
      notifyWebhook: env.SWITCHBOARD_NOTIFY_WEBHOOK,
      notifySecret: env.SWITCHBOARD_NOTIFY_SECRET,
      webhooks: new WebhookEndpoints(env, rawEnv),
      decisionLinks: notificationLinkSettings(env),
      decisionProof: env.SWITCHBOARD_DECISION_PROOF,
      trustedKeysDir: trustedKeysDir(rawEnv),
      workflowBundle: { code },
    });
    running = worker.run();
  };
  const stopWorker = async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  };
  await startWorker();
  const h: Harness = {
    taskQueue,
    client,
    sb: new SwitchboardClient({ connection, namespace: 'default', taskQueue }),
    control: new SandboxControl(inject('sandboxOrigin')),
    providers,
    artifactsDir,
    get worker() {
      return worker;
    },
    stopWorker,
    startWorker,
    async close() {
      await stopWorker();
      await connection.close();
      await nativeConnection.close();
    },
  };
  return h;
}

/** Polls `fn` until it returns a truthy value, or fails after `timeoutMs`. */
export async function eventually<T>(
  fn: () => Promise<T | undefined | false>,
  { timeoutMs = 20_000, intervalMs = 100 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `condition not met within ${timeoutMs} ms${last ? `: ${last instanceof Error ? last.message : JSON.stringify(last)}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** What a CLI run answered: its exit code and output (a failed run is an answer, not a throw). */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The `switchboard` CLI as a person runs it, against this harness's task queue on the test server. */
export function switchboardCli(
  h: { taskQueue: string },
  extraEnv: NodeJS.ProcessEnv = {},
): (...args: string[]) => Promise<CliRun> {
  return (...args) =>
    promisify(execFile)(process.execPath, ['bin/switchboard.mjs', ...args], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        SWITCHBOARD_TASK_QUEUE: h.taskQueue,
        ...extraEnv,
      },
    }).then(
      (r) => ({ code: 0, ...r }),
      (e: CliRun) => e,
    );
}
