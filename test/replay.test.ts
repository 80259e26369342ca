/**
 * Workflow code must replay: every recorded history in test/fixtures/histories replays against
 * the current workflow bundle without nondeterminism.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Worker } from '@temporalio/worker';
import { payloadConverterPath } from '../src/worker/create.js';
import { installRuntime } from '../src/worker/runtime.js';
import { expect, inject, it } from 'vitest';
import { TEST_WORKER_LOG } from './support/logfile.js';

// Replay workers log like the test workers do: to the file, so the console keeps the summary.
installRuntime({ logLevel: 'WARN', logFile: TEST_WORKER_LOG });

const dir = 'test/fixtures/histories';
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

it('has fixtures for every workflow type', () => {
  const types = new Set(files.map((f) => f.split('-')[0]));
  expect([...types].sort()).toEqual(
    expect.arrayContaining([
      'agentSession',
      'deepResearch',
      'joinRequest',
      'mycelInbox',
      'platformProbe',
      'relationshipRequest',
      'webhookDelivery',
      'webhookEndpoint',
      'trackMonitor',
      'scheduledMonitor',
      'scheduledMonitorTick',
    ]),
  );
  for (const platform of ['webagent', 'archastro', 'wysemate', 'mix'])
    expect(files.some((f) => f.includes(`agentSession-${platform}`))).toBe(true);
});

it.each(files)('%s replays deterministically', async (file) => {
  // The worker converts the CLI/Web UI JSON format itself.
  const history: unknown = JSON.parse(readFileSync(`${dir}/${file}`, 'utf8'));
  const code = readFileSync(inject('workflowBundlePath'), 'utf8');
  // Replay under the recorded workflow id (the started event carries it): a workflow that derives
  // ids from its own (the gate's outbox message ids, an endpoint marker) must see the same one.
  const started = (history as { events?: { workflowExecutionStartedEventAttributes?: { workflowId?: string } }[] })
    .events?.[0];
  await Worker.runReplayHistory(
    { workflowBundle: { code }, dataConverter: { payloadConverterPath: payloadConverterPath() } },
    history,
    started?.workflowExecutionStartedEventAttributes?.workflowId ?? file.replace(/\.json$/, ''),
  );
});
