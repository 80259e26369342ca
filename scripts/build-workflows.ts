/**
 * `npm run build:workflows [out]`: bundles the workflow code once (default dist/workflow-bundle.js).
 * Point SWITCHBOARD_WORKFLOW_BUNDLE at it and the worker starts without webpack — faster and
 * with a smaller resident set. Rebuild whenever src/workflows changes (the Dockerfile does).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { bundleOptions } from '../src/worker/create.js';

const out = resolve(process.argv[2] ?? 'dist/workflow-bundle.js');
const { code } = await bundleWorkflowCode(bundleOptions());
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, code);
console.log(`wrote ${out} (${(code.length / 1024 / 1024).toFixed(2)} MB)`);
