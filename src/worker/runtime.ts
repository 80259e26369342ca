/**
 * Process-wide Temporal Runtime: structured JSON logs and a Prometheus endpoint. Must be installed
 * before the first connection is made, and only once per process.
 */
import { DefaultLogger, type LogEntry, type LogLevel, makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import { formatLogLine } from './logs.js';

let installed = false;

/**
 * One JSON line per log entry on stderr. Errors in `meta` are written out with their cause chain
 * and registered secrets are redacted ({@link formatLogLine}): an error message can quote a
 * request, even though workflows themselves carry credential aliases only.
 */
export function jsonLine(entry: LogEntry): void {
  const { level, message, meta, timestampNanos } = entry;
  const ts = new Date(Number(timestampNanos / 1_000_000n)).toISOString();
  process.stderr.write(formatLogLine({ ts, level, msg: message, meta }) + '\n');
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
