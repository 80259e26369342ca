/**
 * `npm run build:workflows [out]`: bundles the workflow code once (default dist/workflow-bundle.js).
 * Point SWITCHBOARD_WORKFLOW_BUNDLE at it and the worker starts without webpack — faster and
 * with a smaller resident set. Rebuild whenever src/workflows changes (the Dockerfile does).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { bundleOptions } from '../src/worker/create.js';

// `--tracing` bundles the OpenTelemetry workflow interceptors (for workers with OTEL_EXPORTER_OTLP_ENDPOINT).
const args = process.argv.slice(2);
const tracing = args.includes('--tracing');
const out = resolve(args.find((a) => !a.startsWith('--')) ?? 'dist/workflow-bundle.js');
const { code } = await bundleWorkflowCode(bundleOptions({ tracing }));
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, code);
console.log(`wrote ${out} (${(code.length / 1024 / 1024).toFixed(2)} MB)`);
