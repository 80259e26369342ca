/**
 * `npm start`: the main job on the embedded default. Starts the Temporal dev server (unless
 * TEMPORAL_ADDRESS or a profile is set), the platform sandbox (for every platform whose base URL is
 * not configured), the worker and the gateway (`switchboard serve`: API and web inbox on
 * 127.0.0.1:7390 unless SWITCHBOARD_GATEWAY=0); prints the addresses and a first command to try.
 * State lives in a SQLite file under SWITCHBOARD_DATA_DIR, so a restart keeps every workflow.
 */
import { join } from 'node:path';
import { exitWithStartupError, runWorker } from '../worker.js';
import { metricsBindAddress, parseEnv, PLATFORM_ENV } from './config.js';
import { type DevServer, findTemporalCli, portInUse, startDevServer } from './devserver/index.js';
import { PLATFORMS } from './providers/errors.js';
import { KeyRing, type RunningSandbox, startSandbox } from './sandbox/server.js';
import { connectWorker, temporalTarget } from './worker/connect.js';
import { installRuntime } from './worker/runtime.js';

const say = (line: string) => process.stderr.write(line + '\n');

async function main(): Promise<void> {
  let env = parseEnv();
  const target = temporalTarget(env);
  let devServer: DevServer | undefined;
  let sandbox: RunningSandbox | undefined;
  let gateway: { close(): Promise<void> } | undefined;
  const stopAll = async () => {
    await gateway?.close();
    await sandbox?.close();
    await devServer?.stop();
  };
  try {
    let uiUrl: string | undefined;
    if (target.embedded) {
      if (await portInUse(env.SWITCHBOARD_TEMPORAL_PORT)) {
        say(`Temporal: reusing the server already on ${target.address}`);
        uiUrl = `http://127.0.0.1:${env.SWITCHBOARD_UI_PORT}`;
      } else {
        const cli = await findTemporalCli({ log: say });
        const dbFile = join(env.SWITCHBOARD_DATA_DIR, 'temporal.db');
        devServer = await startDevServer({
          cliPath: cli,
          dbFile,
          port: env.SWITCHBOARD_TEMPORAL_PORT,
          uiPort: env.SWITCHBOARD_UI_PORT,
        });
        uiUrl = devServer.uiUrl;
        say(`Temporal dev server on ${devServer.address} (state in ${dbFile})`);
      }
    }

    // Connect before starting anything else, so a wrong TEMPORAL_ADDRESS fails with one clear line.
    installRuntime({ logLevel: env.SWITCHBOARD_LOG_LEVEL, metricsAddress: metricsBindAddress(env) });
    const connection = await connectWorker(target);

    const unconfigured = PLATFORMS.filter((p) => !process.env[PLATFORM_ENV[p].baseUrl]);
    if (unconfigured.length > 0) {
      sandbox = await startSandbox({
        port: env.SWITCHBOARD_SANDBOX_PORT,
        tickMs: 200,
        stateFile: join(env.SWITCHBOARD_DATA_DIR, 'sandbox.json'),
      });
      for (const p of unconfigured) {
        process.env[PLATFORM_ENV[p].baseUrl] = sandbox.baseUrl(p);
        const keyVar = p === 'mycel' ? `${PLATFORM_ENV[p].key}_DEFAULT` : PLATFORM_ENV[p].key;
        process.env[keyVar] ??= KeyRing.defaultKey(p);
        if (p === 'webagent') process.env.WEBAGENT_PROJECT_ID ??= 'proj_sandbox';
      }
      say(`Sandbox on ${sandbox.origin} for: ${unconfigured.join(', ')}`);
      env = parseEnv();
    }

    if (process.env.SWITCHBOARD_GATEWAY !== '0') {
      if (await portInUse(env.SWITCHBOARD_GATEWAY_PORT))
        say(`Gateway: port ${env.SWITCHBOARD_GATEWAY_PORT} is taken; not started (SWITCHBOARD_GATEWAY_PORT)`);
      else {
        const { gatewayEnvOptions, startGateway } = await import('./gateway/server.js');
        const { SwitchboardClient } = await import('./client/index.js');
        const sb = await SwitchboardClient.fromEnv();
        const gw = await startGateway({
          sb,
          host: env.SWITCHBOARD_GATEWAY_HOST,
          port: env.SWITCHBOARD_GATEWAY_PORT,
          ...gatewayEnvOptions(env),
        });
        gateway = { close: () => gw.close().then(() => sb.close()) };
        say(
          `Gateway (API and web inbox) on ${gw.url}/ui/inbox — add a person with: npm run switchboard -- users add <name>`,
        );
      }
    }

    await runWorker({
      env,
      connection,
      onReady: (i) => {
        say(`Worker polling task queue "${i.taskQueue}" on ${i.address}, namespace ${i.namespace}`);
        if (uiUrl) say(`\nTemporal Web UI: ${uiUrl}/namespaces/${i.namespace}/workflows`);
        say(
          'Try:  npm run switchboard -- session start --provider webagent --task "Summarise today\'s top stories" --follow',
        );
        say('Stop with Ctrl-C; state is kept for the next start.\n');
      },
    });
  } finally {
    await stopAll();
  }
}

main().catch(exitWithStartupError);
