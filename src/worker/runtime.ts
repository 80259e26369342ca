/**
 * Process-wide Temporal Runtime: structured JSON logs and a Prometheus endpoint. Must be installed
 * before the first connection is made, and only once per process.
 */
import { DefaultLogger, type LogEntry, type LogLevel, makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatLogLine } from './logs.js';

let installed = false;
/** Where log lines go: stderr, or a file ({@link installRuntime}'s `logFile`). */
let sink = (line: string): void => void process.stderr.write(line);

/**
 * One JSON line per log entry on stderr. Errors in `meta` are written out with their cause chain
 * and registered secrets are redacted ({@link formatLogLine}): an error message can quote a
 * request, even though workflows themselves carry credential aliases only.
 */
export function jsonLine(entry: LogEntry): void {
  const { level, message, meta, timestampNanos } = entry;
  const ts = new Date(Number(timestampNanos / 1_000_000n)).toISOString();
  sink(formatLogLine({ ts, level, msg: message, meta }) + '\n');
}

/**
 * Installs the runtime once per process. `logFile` appends the JSON lines to a file instead of
 * stderr (the tests do, so their output is the summary, not pages of worker logs).
 */
export function installRuntime(opts: { logLevel: LogLevel; metricsAddress?: string; logFile?: string }): void {
  if (installed) return;
  installed = true;
  if (opts.logFile) {
    const file = opts.logFile;
    mkdirSync(dirname(file), { recursive: true });
    sink = (line) => appendFileSync(file, line);
  }
  Runtime.install({
    logger: new DefaultLogger(opts.logLevel, jsonLine),
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
      ...(opts.metricsAddress !== undefined ? { metrics: { prometheus: { bindAddress: opts.metricsAddress } } } : {}),
    },
    // We handle signals ourselves so the dev server and sandbox stop after the worker drains.
    shutdownSignals: [],
  });
}
