/**
 * Builds the Switchboard worker. The process entry (`worker.ts`), `npm start`, the tests and the
 * benchmarks all create workers through this one function, so they run the same wiring.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createDiagnosticActivities } from '../activities/diagnostics.js';
import { createActivities, type ActivityDeps } from '../activities/index.js';
import { metricsActivityInterceptor } from '../telemetry/metrics.js';
import { tracedBundlePath, tracingEnabled, workerTracing, workflowTracingModule } from '../telemetry/tracing.js';

const require = createRequire(import.meta.url);

export interface SwitchboardWorkerOptions extends ActivityDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** Pre-bundled workflow code (tests bundle once); otherwise bundled from src/workflows. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /**
   * Worker Versioning: the deployment and build id of this worker. Long-lived workflows are PINNED
   * by their definition (src/workflows/versioning.ts); every other one AUTO_UPGRADEs.
   */
  deployment?: { name: string; buildId: string };
  /** Extra worker options (tuning for benchmarks). */
  tuning?: Partial<
    Pick<
      WorkerOptions,
      | 'maxConcurrentActivityTaskExecutions'
      | 'maxConcurrentWorkflowTaskExecutions'
      | 'maxCachedWorkflows'
      | 'shutdownGraceTime'
    >
  >;
}

/** Path of the workflows entry module, for bundling. */
export function workflowsPath(): string {
  return require.resolve('../workflows/index.ts');
}

/**
 * Path of the payload converter (src/contracts/payload-converter.cjs): undecodable payloads become
 * a value every schema refuses instead of a failing workflow task. The worker and the workflow
 * bundle must both use it (`npm run build` copies it into dist/ beside the compiled code).
 */
export function payloadConverterPath(): string {
  return require.resolve('../contracts/payload-converter.cjs');
}

/**
 * Modules evaluated once per reusable V8 context instead of once per workflow: zod, the SDK's
 * workflow API and the whole workflow graph (through its entry module). Without this every cached
 * workflow, and every replay, evaluates its own copy of each module it imports (≈0.3 MB of heap
 * per waiting gate, measured); with it a cached gate holds only its own state.
 *
 * The SDK deep-freezes what preloaded modules export and shares their module scope between
 * workflows, so workflow modules keep no mutable state at module scope (an ESLint rule) and export
 * zod schemas only through `lazy` (src/contracts/lazy.ts), out of the freeze's reach.
 */
export function preloadModules(): string[] {
  return ['zod', '@temporalio/workflow', workflowsPath()];
}

/**
 * The one set of bundler options: tests, scripts and the worker bundle the same way. `tracing`
 * adds the OpenTelemetry workflow interceptors (src/workflows/interceptors/tracing.ts); a bundle
 * without them never traces workflows, whatever the worker's environment says.
 */
export function bundleOptions(opts: { tracing?: boolean } = {}) {
  return {
    workflowsPath: workflowsPath(),
    preloadModules: preloadModules(),
    payloadConverterPath: payloadConverterPath(),
    ...(opts.tracing ? { workflowInterceptorModules: [workflowTracingModule()] } : {}),
  };
}

/**
 * The pre-built bundle this worker loads: the traced twin when this process traces (workflow
 * interceptors can only come from the bundle), else the bundle itself. Without a twin a tracing
 * worker says so once: its activities and HTTP requests are traced, its workflows are not.
 */
export function workflowBundleFor(bundlePath: string): string {
  if (!tracingEnabled()) return bundlePath;
  const traced = tracedBundlePath(bundlePath);
  if (existsSync(traced)) return traced;
  Runtime.instance().logger.warn(
    `No traced workflow bundle beside ${bundlePath} (npm run build:workflows writes ${traced}): workflow spans are off`,
  );
  return bundlePath;
}

/**
 * Interceptors and sinks of every Switchboard worker: operator metrics always (free without a
 * metrics endpoint), and tracing of activities plus the sink for workflow spans when
 * {@link setupTracing} turned tracing on in this process.
 */
function telemetryOptions(bundled: boolean): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  const tracing = workerTracing();
  return {
    interceptors: {
      activity: [metricsActivityInterceptor, ...(tracing?.activityInterceptors ?? [])],
      // A pre-built bundle carries its workflow interceptors already (its traced twin: workflowBundleFor).
      ...(tracing && !bundled ? { workflowModules: [workflowTracingModule()] } : {}),
    },
    ...(tracing ? { sinks: tracing.sinks } : {}),
  };
}

/** Task queue of the diagnostics worker that serves a Switchboard task queue's benchmarks. */
export const diagnosticsTaskQueue = (taskQueue: string) => `${taskQueue}-diagnostics`;

/** Bundler options of the diagnostic workflows (benchmarks only; never in the production bundle). */
export function diagnosticsBundleOptions() {
  return {
    workflowsPath: require.resolve(
      import.meta.url.endsWith('.ts') ? '../workflows/diagnostics.ts' : '../workflows/diagnostics.js',
    ),
    payloadConverterPath: payloadConverterPath(),
  };
}

/**
 * A worker for the benchmark and diagnostic workflows (`updateFloor`) on its own task queue
 * ({@link diagnosticsTaskQueue}), with the same activities: they measure the production call
 * path, but must never be startable on the production task queue.
 */
export async function createDiagnosticsWorker(
  opts: SwitchboardWorkerOptions & { workflowBundle: WorkerOptions['workflowBundle'] },
): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: diagnosticsTaskQueue(opts.taskQueue),
    activities: { ...createActivities(opts), ...createDiagnosticActivities() },
    dataConverter: { payloadConverterPath: payloadConverterPath() },
    workflowBundle: opts.workflowBundle,
    ...telemetryOptions(true),
    shutdownGraceTime: '10 s',
  });
}

export async function createSwitchboardWorker(opts: SwitchboardWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: createActivities(opts),
    dataConverter: { payloadConverterPath: payloadConverterPath() },
    ...(opts.workflowBundle
      ? { workflowBundle: opts.workflowBundle }
      : { workflowsPath: workflowsPath(), bundlerOptions: { preloadModules: preloadModules() } }),
    ...telemetryOptions(opts.workflowBundle !== undefined),
    ...(opts.deployment
      ? {
          workerDeploymentOptions: {
            version: { deploymentName: opts.deployment.name, buildId: opts.deployment.buildId },
            useWorkerVersioning: true,
            defaultVersioningBehavior: 'AUTO_UPGRADE' as const,
          },
        }
      : {}),
    shutdownGraceTime: '10 s',
    ...opts.tuning,
  });
}
