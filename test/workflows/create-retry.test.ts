/**
 * A create whose first attempt reached the platform but whose answer was lost (a worker crash, a
 * 503 after the side effect) is retried; by then the session may have ended. The workflow must
 * still collect that session's transcript and result (it used to end `completed` with neither:
 * 3 of 40 sessions in one chaos run).
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dedupeLines } from '../../src/artifacts/store.js';
import type { AgentSessionInputRaw, TranscriptEntry } from '../../src/contracts/sessions.js';
import { createHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ name: 'create-retry' });
});
afterAll(async () => h?.close());
beforeEach(async () => h.control.reset());

/** Platforms whose retried create reports the session's current status (a tag look-up, an info read). */
const CASES = {
  archastro: {
    input: (task: string): AgentSessionInputRaw => ({
      platform: 'archastro',
      task,
      archastro: { agentId: 'agi_retry' },
    }),
    createRoute: '/api/v1/agent_sessions',
    replay: false,
  },
  wysemate: {
    input: (task: string): AgentSessionInputRaw => ({ platform: 'wysemate', task, wysemate: { teamId: 'team_01' } }),
    createRoute: '/session/create',
    // Wyse Mate offers no session lookup, so with the header ignored a lost answer makes a second
    // session (residual risk, README "Exactly once"; test/providers/wysemate.test.ts). What this case
    // checks, a create that reports an already-ended session, comes from the replay switch here.
    replay: true,
  },
} as const;

/** The statuses the workflow's `sessionCreate` activity returned, from its history. */
async function createdStatuses(workflowId: string): Promise<string[]> {
  const { events } = await h.client.workflow.getHandle(workflowId).fetchHistory();
  const scheduled = new Map<string, string>();
  const out: string[] = [];
  for (const e of events ?? []) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(String(e.eventId), s.activityType?.name ?? '');
    const c = e.activityTaskCompletedEventAttributes;
    if (c && scheduled.get(String(c.scheduledEventId)) === 'sessionCreate') {
      const data = c.result?.payloads?.[0]?.data;
      out.push((JSON.parse(Buffer.from(data!).toString('utf8')) as { status: string }).status);
    }
  }
  return out;
}

describe.each(Object.keys(CASES) as (keyof typeof CASES)[])('%s', (platform) => {
  const c = CASES[platform];

  it('a retried create that finds the session already completed still collects its transcript and result', async () => {
    // The platform creates the session, then the answer is lost; the retry (≥ 200 ms later) finds
    // the session, which has finished meanwhile (the sandbox ticks every 10 ms).
    if (c.replay) await h.control.replayIdempotency([platform]);
    await h.control.fault({
      platform,
      method: 'POST',
      route: c.createRoute,
      phase: 'after',
      status: 503,
      latencyMs: 300,
      times: 1,
    });
    const { workflowId } = await h.sb.startSession(c.input('Finish before the retry script:default'));
    const result = await h.sb.result(workflowId);

    // The precondition: the create was retried, and what it returned was already terminal.
    const creates = await h.control.journal({ platform, method: 'POST', route: c.createRoute });
    expect(creates.filter((r) => r.fault === 'status 503')).toHaveLength(1);
    expect(creates.filter((r) => r.status < 300 && !r.replayed)).toHaveLength(1); // one platform session
    expect(await createdStatuses(workflowId)).toEqual(['completed']);

    expect(result.status).toBe('completed');
    expect(result.result).toBeTruthy();
    expect(result.transcriptTail.length).toBeGreaterThan(0);
    expect(result.counts.transcriptEntries).toBeGreaterThan(0);
    const ref = result.artifacts.find((a) => a.name === 'transcript.jsonl');
    const transcript = dedupeLines<TranscriptEntry>(await readFile(new URL(ref!.uri), 'utf8'));
    expect(transcript).toHaveLength(result.counts.transcriptEntries);
  });
});
