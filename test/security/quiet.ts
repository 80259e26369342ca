/**
 * Installs the process-wide Temporal runtime at ERROR before the harness does (it installs at WARN,
 * and only the first install counts): this suite sends hundreds of payloads the workflows drop with
 * a warning on purpose, and its assertions read the histories, not the logs. Import it first.
 */
import { installRuntime } from '../../src/worker/runtime.js';
import { TEST_WORKER_LOG } from '../support/logfile.js';

installRuntime({ logLevel: 'ERROR', logFile: TEST_WORKER_LOG });
