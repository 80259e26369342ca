/**
 * `npm run sandbox`: runs the platform sandbox on its own (127.0.0.1:SWITCHBOARD_SANDBOX_PORT) and
 * prints each platform's base URL and key, for pointing another worker or a script at it.
 */
import { join } from 'node:path';
import { parseEnv, PLATFORM_ENV } from '../config.js';
import { parseIdempotencyReplay } from './framework.js';
import { KeyRing, startSandbox } from './server.js';

const env = parseEnv();
const sandbox = await startSandbox({
  port: env.SWITCHBOARD_SANDBOX_PORT,
  tickMs: 200,
  stateFile: join(env.SWITCHBOARD_DATA_DIR, 'sandbox.json'),
  replayIdempotencyKeys: parseIdempotencyReplay(env.SWITCHBOARD_SANDBOX_REPLAY_IDEMPOTENCY),
});
process.stderr.write(`Sandbox on ${sandbox.origin} (control API: ${sandbox.origin}/_control/…)\n`);
for (const p of sandbox.core.platforms()) {
  const keyVar = p === 'mycel' ? 'MYCEL_TOKEN_DEFAULT' : PLATFORM_ENV[p].key;
  process.stdout.write(`${PLATFORM_ENV[p].baseUrl}=${sandbox.baseUrl(p)}\n${keyVar}=${KeyRing.defaultKey(p)}\n`);
}
const stop = () => void sandbox.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
