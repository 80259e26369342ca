/**
 * `npm run temporal -- <args>`: runs the acquired Temporal CLI against the configured server
 * (TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE, else the embedded dev server's address).
 */
import { spawn } from 'node:child_process';
import { ConfigError, parseEnv } from '../config.js';
import { findTemporalCli } from './index.js';

async function main(): Promise<void> {
  const env = parseEnv();
  const cli = await findTemporalCli({ log: (l) => process.stderr.write(l + '\n') });
  const args = process.argv.slice(2);
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: env.TEMPORAL_ADDRESS ?? `127.0.0.1:${env.SWITCHBOARD_TEMPORAL_PORT}`,
    TEMPORAL_NAMESPACE: env.TEMPORAL_NAMESPACE,
  };
  const child = spawn(cli, args, { stdio: 'inherit', env: childEnv });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

main().catch((err: unknown) => {
  process.stderr.write(
    `${err instanceof ConfigError ? err.message : err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(2);
});
