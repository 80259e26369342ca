#!/usr/bin/env node
// The `switchboard` CLI. Runs the TypeScript sources through tsx so there is no build step.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/client/cli.ts');
// exitCode, not exit(): a large --json answer on a pipe must be flushed before the process ends.
process.exitCode = await runCli(process.argv.slice(2));
