/**
 * `npm run build:workflows [out]`: bundles the workflow code once (default dist/workflow-bundle.js),
 * and its traced twin beside it (`…-traced.js`, with the OpenTelemetry workflow interceptors).
 * Point SWITCHBOARD_WORKFLOW_BUNDLE at the first and the worker starts without webpack — faster
 * and with a smaller resident set — loading the twin instead when OTEL_EXPORTER_OTLP_ENDPOINT is
 * set. Rebuild whenever src/workflows changes (the Dockerfile does).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { tracedBundlePath } from '../src/telemetry/tracing.js';
import { bundleOptions } from '../src/worker/create.js';

const out = resolve(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'dist/workflow-bundle.js');
mkdirSync(dirname(out), { recursive: true });
// One after the other: two webpack builds at once only compete for the same cores.
for (const [path, tracing] of [
  [out, false],
  [tracedBundlePath(out), true],
] as const) {
  const { code } = await bundleWorkflowCode(bundleOptions({ tracing }));
  writeFileSync(path, code);
  console.log(`wrote ${path} (${(code.length / 1024 / 1024).toFixed(2)} MB)`);
}
