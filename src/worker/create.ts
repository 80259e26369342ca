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
 * Modules evaluated once per reusable V8 context instead of once per workflow. Only zod itself:
 * the SDK deep-freezes preloaded modules, and zod schema objects cache into themselves on first
 * use (and reset `lastIndex` on regex checks), so our schema modules stay per-workflow. Without
 * this every cached workflow (and every replay) evaluates its own copy of the zod library.
 */
export function preloadModules(): string[] {
  return ['zod'];
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
