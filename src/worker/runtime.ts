/**
 * Process-wide Temporal Runtime: structured JSON logs and a Prometheus endpoint. Must be installed
 * before the first connection is made, and only once per process.
 */
import { DefaultLogger, type LogEntry, type LogLevel, makeTelemetryFilterString, Runtime } from '@temporalio/worker';

let installed = false;

/** One JSON line per log entry on stderr (secrets never reach logs: workflows carry aliases only). */
function jsonLine(entry: LogEntry): void {
  const { level, message, meta, timestampNanos } = entry;
  const ts = new Date(Number(timestampNanos / 1_000_000n)).toISOString();
  process.stderr.write(JSON.stringify({ ts, level, msg: message, ...meta }) + '\n');
}

export function installRuntime(opts: { logLevel: LogLevel; metricsPort?: number }): void {
  if (installed) return;
  installed = true;
  Runtime.install({
    logger: new DefaultLogger(opts.logLevel, jsonLine),
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
      ...(opts.metricsPort !== undefined ? { metrics: { prometheus: { bindAddress: `127.0.0.1:${opts.metricsPort}` } } } : {}),
    },
    // We handle signals ourselves so the dev server and sandbox stop after the worker drains.
    shutdownSignals: [],
  });
}
