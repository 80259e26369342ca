/**
 * What every contract suite shares: the pinned venv's python running one SDK script, whose JSON
 * check lines come back as {@link Check}s (a failed script throws with its output and last stderr).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { contractPython } from './venv.js';

const run = promisify(execFile);

/** One line a contract script printed. */
export interface Check {
  check: string;
  ok: boolean;
  detail: string;
}

/** Runs `script` (a path under test/contracts) with the venv's python; returns its checks. */
export function sdkRunner(script: string): (args: string[], env?: Record<string, string>) => Promise<Check[]> {
  return async (args, env = {}) => {
    const { stdout } = await run(contractPython(), [script, ...args], { env: { ...process.env, ...env }, timeout: 60_000 }).catch(
      (err: { stdout?: string; stderr?: string }) => {
        throw new Error(`the SDK run failed:\n${err.stdout ?? ''}\n${(err.stderr ?? '').split('\n').slice(-12).join('\n')}`);
      },
    );
    return stdout
      .split('\n')
      .filter((l) => l.startsWith('{"check"'))
      .map((l) => JSON.parse(l) as Check);
  };
}
