/**
 * Starts one real Temporal dev server (through src/devserver) and one sandbox for the whole test
 * run, and bundles the workflow code once. Nothing mocks Temporal.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { findTemporalCli, freePort, startDevServer } from '../../src/devserver/index.js';
import { startSandbox } from '../../src/sandbox/server.js';
import { bundleOptions } from '../../src/worker/create.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    sandboxOrigin: string;
    workflowBundlePath: string;
    temporalCliPath: string;
    /** The dev server's Prometheus endpoint port (`127.0.0.1:<port>/metrics`). */
    temporalMetricsPort: number;
  }
}

export default async function setup(project: TestProject) {
  const cli = await findTemporalCli({ log: (l) => console.log(l) });
  const [port, httpPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const server = await startDevServer({ cliPath: cli, port, httpPort, metricsPort, uiPort: 0 });
  const sandbox = await startSandbox({ tickMs: 10 });
  const dir = resolve('.switchboard/test');
  mkdirSync(dir, { recursive: true });
  const bundle = await bundleWorkflowCode({
    ...bundleOptions(),
    logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} },
  });
  const bundlePath = join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  project.provide('temporalAddress', server.address);
  project.provide('sandboxOrigin', sandbox.origin);
  project.provide('workflowBundlePath', bundlePath);
  project.provide('temporalCliPath', cli);
  project.provide('temporalMetricsPort', metricsPort);
  return async () => {
    await sandbox.close();
    await server.stop();
  };
}
