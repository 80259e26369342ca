/**
 * What every contract suite shares: the pinned venv's python running one SDK script, whose JSON
 * check lines come back as {@link Check}s (a failed script throws with its output and last stderr).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
    const { stdout } = await run(contractPython(), [script, ...args], {
      env: { ...process.env, ...env },
      timeout: 60_000,
    }).catch((err: { stdout?: string; stderr?: string }) => {
      throw new Error(
        `the SDK run failed:\n${err.stdout ?? ''}\n${(err.stderr ?? '').split('\n').slice(-12).join('\n')}`,
      );
    });
    return stdout
      .split('\n')
      .filter((l) => l.startsWith('{"check"'))
      .map((l) => JSON.parse(l) as Check);
  };
}

/** One request Switchboard sent, named by the SDK operation it must fit. */
export interface SentRequest {
  op: string;
  body: unknown;
}

/**
 * The journal's requests to `platform` that `ops` names (`"<METHOD> <route>"` → SDK operation),
 * written to a file for a contract script's `--requests` mode, which checks each body against the
 * SDK's request model. Returns the requests and the script's checks.
 */
export async function sentBodiesChecked(
  journal: { method: string; route: string; body?: unknown }[],
  ops: Record<string, string>,
  sdk: (args: string[]) => Promise<Check[]>,
): Promise<{ sent: SentRequest[]; checks: Check[] }> {
  const sent = journal
    .filter((e) => ops[`${e.method} ${e.route}`])
    .map((e) => ({ op: ops[`${e.method} ${e.route}`]!, body: e.body ?? {} }));
  const file = join(mkdtempSync(join(tmpdir(), 'sb-contract-')), 'requests.json');
  writeFileSync(file, JSON.stringify(sent));
  return { sent, checks: await sdk(['--requests', file]) };
}
