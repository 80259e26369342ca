/**
 * Builds the Switchboard worker. The process entry (`worker.ts`), `npm start`, the tests and the
 * benchmarks all create workers through this one function, so they run the same wiring.
 */
import { createRequire } from 'node:module';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.js';

const require = createRequire(import.meta.url);

export interface SwitchboardWorkerOptions extends ActivityDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** Pre-bundled workflow code (tests bundle once); otherwise bundled from src/workflows. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Extra worker options (tuning for benchmarks). */
  tuning?: Partial<
    Pick<WorkerOptions, 'maxConcurrentActivityTaskExecutions' | 'maxConcurrentWorkflowTaskExecutions' | 'maxCachedWorkflows' | 'shutdownGraceTime'>
  >;
}

/** Path of the workflows entry module, for bundling. */
export function workflowsPath(): string {
  return require.resolve('../workflows/index.ts');
}

/**
 * Modules evaluated once per reusable V8 context instead of once per workflow: zod, the SDK's
 * workflow API and the whole workflow graph (through its entry module). Without this every cached
 * workflow, and every replay, evaluates its own copy of each module it imports (≈0.3 MB of heap
 * per waiting gate, measured); with it a cached gate holds only its own state.
 *
 * The SDK deep-freezes what preloaded modules export and shares their module scope between
 * workflows, so workflow modules keep no mutable state at module scope (an ESLint rule) and export
 * zod schemas only through `lazy` (src/workflows/lazy.ts), out of the freeze's reach.
 */
export function preloadModules(): string[] {
  return ['zod', '@temporalio/workflow', workflowsPath()];
}

/** The one set of bundler options: tests, scripts and the worker bundle the same way. */
export function bundleOptions() {
  return { workflowsPath: workflowsPath(), preloadModules: preloadModules() };
}

export async function createSwitchboardWorker(opts: SwitchboardWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: createActivities(opts),
    ...(opts.workflowBundle
      ? { workflowBundle: opts.workflowBundle }
      : { workflowsPath: workflowsPath(), bundlerOptions: { preloadModules: preloadModules() } }),
    shutdownGraceTime: '10 s',
    ...opts.tuning,
  });
}
