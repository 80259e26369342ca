/**
 * Process entry of a Switchboard worker: config → Temporal connection → Runtime (logs, metrics) →
 * Worker on task queue `switchboard`; SIGINT/SIGTERM drain it gracefully.
 *
 * `npm start` (src/main.ts) wraps this with the embedded dev server and sandbox; in production
 * (docker-compose.yml) this file runs alone against a real cluster.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  ConfigError,
  Credentials,
  metricsBindAddress,
  notificationLinkSettings,
  parseEnv,
  type Env,
  WebhookEndpoints,
} from './src/config.js';
import { LocalArtifactStore } from './src/artifacts/store.js';
import { ProviderRegistry } from './src/providers/registry.js';
import type { NativeConnection } from '@temporalio/worker';
import { connectWorker, temporalTarget } from './src/worker/connect.js';
import { createDiagnosticsWorker, createSwitchboardWorker, workflowBundleFor } from './src/worker/create.js';
import { registerSecrets } from './src/worker/logs.js';
import { installRuntime } from './src/worker/runtime.js';
import { setupTracing, shutdownTracing } from './src/telemetry/tracing.js';
import { join } from 'node:path';
import { trustedKeysDir } from './src/identity/keys.js';

export interface RunWorkerOptions {
  env: Env;
  /** An already-open connection (npm start connects before starting the sandbox). */
  connection?: NativeConnection;
  /** Called once the worker polls. */
  onReady?: (info: { address: string; namespace: string; taskQueue: string }) => void;
}

/** Runs a worker until SIGINT/SIGTERM, then shuts it down gracefully. */
export async function runWorker({ env, onReady, ...opts }: RunWorkerOptions): Promise<void> {
  const credentials = new Credentials(env);
  // Checks every SWITCHBOARD_WEBHOOK_* variable now: a bad one stops start-up, naming it.
  const webhooks = new WebhookEndpoints(env);
  // Before anything logs: no line may print a key, token or webhook secret this process holds.
  registerSecrets(credentials.secretValues());
  installRuntime({ logLevel: env.SWITCHBOARD_LOG_LEVEL, metricsAddress: metricsBindAddress(env) });
  // Before the worker is created: it picks up the tracing interceptors and sink when this turned them on.
  await setupTracing({ endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: 'switchboard-worker' });
  const target = temporalTarget(env);
  const connection = opts.connection ?? (await connectWorker(target));
  const deps = {
    connection,
    namespace: target.namespace,
    taskQueue: env.SWITCHBOARD_TASK_QUEUE,
    providers: new ProviderRegistry(credentials),
    artifacts: new LocalArtifactStore(env.SWITCHBOARD_ARTIFACT_DIR ?? join(env.SWITCHBOARD_DATA_DIR, 'artifacts')),
    notifyWebhook: env.SWITCHBOARD_NOTIFY_WEBHOOK,
    notifySecret: env.SWITCHBOARD_NOTIFY_SECRET,
    webhooks,
    decisionLinks: notificationLinkSettings(env),
    decisionProof: env.SWITCHBOARD_DECISION_PROOF,
    trustedKeysDir: trustedKeysDir(env),
    deployment: env.SWITCHBOARD_DEPLOYMENT_NAME
      ? { name: env.SWITCHBOARD_DEPLOYMENT_NAME, buildId: env.SWITCHBOARD_BUILD_ID ?? packageVersion() }
      : undefined,
    // A pre-built bundle (npm run build:workflows) keeps webpack out of the worker process; with
    // tracing on, its traced twin.
    workflowBundle: env.SWITCHBOARD_WORKFLOW_BUNDLE
      ? { codePath: workflowBundleFor(env.SWITCHBOARD_WORKFLOW_BUNDLE) }
      : undefined,
    tuning: {
      maxConcurrentActivityTaskExecutions: env.SWITCHBOARD_MAX_CONCURRENT_ACTIVITIES,
      ...(env.SWITCHBOARD_MAX_CACHED_WORKFLOWS !== undefined
        ? { maxCachedWorkflows: env.SWITCHBOARD_MAX_CACHED_WORKFLOWS }
        : {}),
    },
  };
  const worker = await createSwitchboardWorker(deps);
  // Benchmarks only: the diagnostic workflows on their own task queue, never on the production one.
  const diagnostics = env.SWITCHBOARD_DIAGNOSTICS_BUNDLE
    ? await createDiagnosticsWorker({ ...deps, workflowBundle: { codePath: env.SWITCHBOARD_DIAGNOSTICS_BUNDLE } })
    : undefined;
  const stop = () => {
    worker.shutdown();
    diagnostics?.shutdown();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const running = Promise.all([worker.run(), diagnostics?.run()]);
  onReady?.({ address: target.address, namespace: target.namespace, taskQueue: env.SWITCHBOARD_TASK_QUEUE });
  try {
    await running;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await connection.close();
    await shutdownTracing();
  }
}

/** This package's version: the default build id of a versioned worker. */
function packageVersion(): string {
  // From source beside package.json; compiled, one directory below it (dist/).
  for (const rel of ['./package.json', '../package.json']) {
    const file = new URL(rel, import.meta.url);
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}

/** Prints one line for a startup failure and exits non-zero. */
export function exitWithStartupError(err: unknown): never {
  const line =
    err instanceof ConfigError
      ? `switchboard: configuration error: ${err.message}`
      : `switchboard: ${err instanceof Error ? err.message : String(err)}`;
  process.stderr.write(line + '\n');
  process.exit(err instanceof ConfigError ? 2 : 1);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  (async () => {
    const env = parseEnv();
    await runWorker({
      env,
      onReady: (i) =>
        process.stderr.write(`switchboard worker polling ${i.taskQueue} on ${i.address} (${i.namespace})\n`),
    });
  })().catch(exitWithStartupError);
}
