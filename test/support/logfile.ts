/**
 * Where the worker logs of in-process test workers go: a file, so the test output stays a summary.
 * `SWITCHBOARD_TEST_LOG` overrides it; read it after a failed run.
 */
import { resolve } from 'node:path';

export const TEST_WORKER_LOG = resolve(process.env.SWITCHBOARD_TEST_LOG ?? '.switchboard/test-worker.log');
