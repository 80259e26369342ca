/**
 * Real `worker.ts` processes for the crash tests, and the fault that times them: SIGKILL one while
 * the platform's answer is held back, start another, and see what reached the platform. One helper
 * so every crash test runs the worker the same way production does (same entry point, same
 * environment shape).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { sandboxEnv } from './harness.js';
import type { Platform } from '../../src/contracts/platforms.js';
import type { SandboxControl } from '../../src/sandbox/control.js';

/** Starts `worker.ts` on `taskQueue` against the test run's Temporal and sandbox, plus `env` (e.g. Mycel aliases). */
export function spawnWorker(taskQueue: string, env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'worker.ts'], {
    env: {
      ...process.env,
      ...sandboxEnv(),
      ...env,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      SWITCHBOARD_TASK_QUEUE: taskQueue,
      SWITCHBOARD_DATA_DIR: mkdtempSync(join(tmpdir(), 'sb-crash-')),
      SWITCHBOARD_LOG_LEVEL: 'WARN',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

/** Resolves once the process has exited (at once if it already has). */
export async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((r) => child.once('exit', r));
}

/**
 * The crash tests' fault: the platform carries out the next `POST route` (the side effect happens),
 * then its answer is held back for `latencyMs`, long enough to SIGKILL the worker that is waiting
 * for it. Once only.
 */
export async function holdAnswerOnce(
  control: SandboxControl,
  platform: Platform,
  route: string,
  latencyMs = 4_000,
): Promise<void> {
  await control.fault({ platform, method: 'POST', route, phase: 'after', latencyMs, times: 1 });
}
