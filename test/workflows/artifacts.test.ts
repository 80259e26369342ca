/**
 * Artifact keys on a real server: a workflow id is anyone's choice, so `../..` ids stay inside the
 * artifact directory, and a second run reusing the id of an ended one gets its own transcript
 * (before run chains it appended to the first run's file).
 */
import { readFile } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { dedupeLines } from '../../src/artifacts/store.js';
import type { AgentSessionResult, TranscriptEntry } from '../../src/contracts/sessions.js';
import { createHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ name: 'artifacts' });
});
afterAll(async () => h?.close());
beforeEach(async () => h.control.reset());

async function transcriptOf(result: AgentSessionResult): Promise<{ uri: string; entries: TranscriptEntry[] }> {
  const ref = result.artifacts.find((a) => a.name === 'transcript.jsonl');
  expect(ref, 'transcript reference').toBeDefined();
  return { uri: ref!.uri, entries: dedupeLines<TranscriptEntry>(await readFile(new URL(ref!.uri), 'utf8')) };
}

function insideArtifacts(uri: string): boolean {
  const rel = relative(h.artifactsDir, fileURLToPath(uri));
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`);
}

it('two runs reusing one workflow id (the first ended) each keep their own transcript with all their rows', async () => {
  const workflowId = `reused-${Date.now()}`;
  const runs: { result: AgentSessionResult; uri: string; entries: TranscriptEntry[] }[] = [];
  for (const n of [1, 2]) {
    await h.sb.startSession({ platform: 'webagent', task: `Run ${n} script:default` }, { workflowId });
    const result = await h.sb.result(workflowId);
    expect(result.status).toBe('completed');
    runs.push({ result, ...(await transcriptOf(result)) });
  }
  const [first, second] = runs as [(typeof runs)[0], (typeof runs)[0]];
  expect(second.uri).not.toBe(first.uri);
  for (const run of runs) {
    expect(run.entries.length).toBeGreaterThan(0);
    expect(run.entries).toHaveLength(run.result.counts.transcriptEntries);
    // Web Agent entry ids are `<taskId>:<eventId>`: every row is this run's own.
    expect(run.entries.every((e) => e.id.startsWith(`${run.result.ref!.taskId}:`))).toBe(true);
  }
});

it.each([
  ['..', '..'],
  ['1,000 characters of ../../', '../../'.repeat(200).slice(0, 1_000)],
])('a workflow id that climbs out (%s) still writes inside the artifact directory', async (_, workflowId) => {
  await h.sb.startSession({ platform: 'webagent', task: 'Escape script:default' }, { workflowId });
  const result = await h.sb.result(workflowId);
  expect(result.status).toBe('completed');
  const { uri, entries } = await transcriptOf(result);
  expect(insideArtifacts(uri), uri).toBe(true);
  expect(entries).toHaveLength(result.counts.transcriptEntries);
});
