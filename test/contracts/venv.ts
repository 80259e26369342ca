/**
 * The Python venv the contract suite runs the platforms' own SDKs in (`.switchboard/venv`, pinned by
 * test/contracts/requirements.txt). Made once, reused while the requirements file is unchanged.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const VENV = resolve('.switchboard/venv');
const REQUIREMENTS = resolve('test/contracts/requirements.txt');

/** Returns the venv's python, creating the venv and installing the pinned SDKs when needed. */
export function contractPython(): string {
  const python = join(VENV, 'bin', 'python');
  const stamp = join(VENV, 'requirements.stamp');
  const wanted = readFileSync(REQUIREMENTS, 'utf8');
  if (existsSync(python) && existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) return python;
  execFileSync('python3', ['-m', 'venv', VENV], { stdio: 'ignore' });
  execFileSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', REQUIREMENTS], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  writeFileSync(stamp, wanted);
  return python;
}
