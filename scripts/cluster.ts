/**
 * `npm run cluster [-- --workers N --port P --ui-port U --prometheus-port M]`: a real PostgreSQL-backed
 * Temporal cluster with N Switchboard workers, its Web UI and a Prometheus scraping them, on this
 * machine (src/devserver/cluster.ts). `npm run cluster -- stop` takes
 * it down (data kept); `npm run cluster -- status` lists what runs.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseEnv } from '../src/config.js';
import {
  prometheusPid,
  readClusterState,
  startCluster,
  stopCluster,
  uiPid,
  workerPid,
} from '../src/devserver/cluster.js';

const say = (l: string) => process.stderr.write(l + '\n');
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    workers: { type: 'string', default: '2' },
    port: { type: 'string', default: process.env.SWITCHBOARD_CLUSTER_PORT ?? '17233' },
    'ui-port': { type: 'string', default: process.env.SWITCHBOARD_CLUSTER_UI_PORT ?? '8233' },
    // 9090 as in docker-compose.yml.
    'prometheus-port': { type: 'string', default: process.env.SWITCHBOARD_CLUSTER_PROMETHEUS_PORT ?? '9090' },
  },
});
const env = parseEnv();
const dir = join(env.SWITCHBOARD_DATA_DIR, 'cluster');
const command = positionals[0] ?? 'start';

try {
  if (command === 'stop') {
    await stopCluster(dir, say);
  } else if (command === 'status') {
    const state = readClusterState(dir);
    if (!state) say(`no cluster was started in ${dir}`);
    else {
      say(`Temporal ${state.address}, namespace ${state.namespace}`);
      const ui = uiPid(dir);
      say(`Web UI: ${ui && state.uiUrl ? `${state.uiUrl} (pid ${ui})` : 'down'}`);
      const prometheus = prometheusPid(dir);
      say(`Prometheus: ${prometheus && state.prometheusUrl ? `${state.prometheusUrl} (pid ${prometheus})` : 'down'}`);
      for (let i = 1; i <= state.workers; i++)
        say(`worker ${i}: ${workerPid(dir, i) ? `running (pid ${workerPid(dir, i)})` : 'down'}`);
    }
  } else if (command === 'start') {
    const workers = Number(values.workers);
    const basePort = Number(values.port);
    if (!Number.isInteger(workers) || workers < 0 || workers > 32)
      throw new Error('--workers must be an integer from 0 to 32');
    if (!Number.isInteger(basePort) || basePort < 1024 || basePort > 65000)
      throw new Error('--port must be an integer from 1024 to 65000');
    // 0 runs no Web UI / no Prometheus.
    const optionalPort = (name: 'ui-port' | 'prometheus-port'): number | false => {
      const p = Number(values[name]);
      if (!Number.isInteger(p) || (p !== 0 && (p < 1024 || p > 65535)))
        throw new Error(`--${name} must be 0 or an integer from 1024 to 65535`);
      return p || false;
    };
    const state = await startCluster({
      dir,
      basePort,
      workers,
      uiPort: optionalPort('ui-port'),
      prometheusPort: optionalPort('prometheus-port'),
      env: process.env,
      log: say,
    });
    say('');
    say(
      `Cluster up. Temporal at ${state.address} (namespace ${state.namespace}); server metrics http://127.0.0.1:${state.ports.serverMetrics}/metrics`,
    );
    if (state.uiUrl) say(`Web UI at ${state.uiUrl}`);
    if (state.prometheusUrl)
      say(`Prometheus at ${state.prometheusUrl} (try ${state.prometheusUrl}/api/v1/query?query=up)`);
    if (state.sandboxOrigin) say(`Sandbox at ${state.sandboxOrigin}`);
    say(
      `Try:  TEMPORAL_ADDRESS=${state.address} npm run switchboard -- session start --provider webagent --task "Summarise today's top stories" --follow`,
    );
    say('Stop: npm run cluster -- stop');
  } else throw new Error(`unknown command "${command}" (start, stop, status)`);
} catch (err) {
  say(`cluster: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
