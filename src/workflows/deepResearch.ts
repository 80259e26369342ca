/**
 * `deepResearch`: a Web Agent DeepResearch run whose outline waits at an approval gate before the
 * agent spends hours on it.
 *
 * run → follow the DoAnything SSE channel → at `task.input_request` hold the outline in the gate →
 * approve / approve_with_edits → `intervene` exactly once (stable idempotency key per request) →
 * another outline round if asked → on completion collect final.md, citations.json and
 * confidence.json. `reject` cancels the task on the platform and ends as `rejected`.
 */
import {
  CancellationScope,
  allHandlersFinished,
  condition,
  defineQuery,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { z } from 'zod';
import type { createResearchActivities, ResearchSummary } from '../activities/research.js';
import type { createSessionActivities } from '../activities/sessions/activities.js';
import type { ArtifactRef, SessionRef } from '../contracts/sessions.js';
import { ApprovalGate } from './gate/gate.js';
import { type AuditEntry, gateSettings, type GateOutcome, quorumFits } from '../contracts/gates.js';
import { SwitchboardProvider, SwitchboardStatus } from '../contracts/searchAttributes.js';
import { parseWorkflowInput } from './validation.js';
import { lazy } from '../contracts/lazy.js';
import { credentialAlias } from '../contracts/aliases.js';

type Acts = ReturnType<typeof createResearchActivities> & ReturnType<typeof createSessionActivities>;
const retry = { initialInterval: '200 ms', backoffCoefficient: 2, maximumInterval: '10 s' };
const acts = proxyActivities<Acts>({ startToCloseTimeout: '30 s', retry });
/** Acting on a decision is a steering call: a local activity, as in agentSession (see there). */
const steer = proxyLocalActivities<Acts>({ startToCloseTimeout: '15 s', retry });
const follow = proxyActivities<Acts>({ startToCloseTimeout: '5 m', heartbeatTimeout: '10 s', retry });

export const deepResearchInput = lazy(() =>
  z
    .object({
      topic: z.string().trim().min(3, 'topic must be at least 3 characters').max(2_000),
      depth: z.enum(['light', 'standard', 'deep']).default('standard'),
      requireOutlineApproval: z.boolean().default(true),
      credentialAlias: credentialAlias('credentialAlias must be an alias, never a key').default('default'),
      ...gateSettings(),
    })
    .strict()
    .superRefine(quorumFits),
);
export type DeepResearchInput = z.input<ReturnType<typeof deepResearchInput>>;

export const RESEARCH_STATUSES = [
  'starting',
  'researching',
  'awaiting_approval',
  'completed',
  'rejected',
  'failed',
  'cancelled',
] as const;
export type ResearchStatus = (typeof RESEARCH_STATUSES)[number];

export interface DeepResearchState {
  status: ResearchStatus;
  topic: string;
  taskId?: string;
  sessionId?: string;
  rounds: number;
  platformEvents: number;
}

export interface DeepResearchResult extends DeepResearchState {
  artifacts: ArtifactRef[];
  summary?: ResearchSummary;
  decisions: GateOutcome[];
  audit: AuditEntry[];
  error?: string;
}

/**
 * Status, outline rounds and platform event count of a research run, for the CLI and the Web UI.
 */
export const researchStateQuery = defineQuery<DeepResearchState>('researchState');

/**
 * A Web Agent DeepResearch run whose outline waits at an approval gate (approve, approve with
 * edits, reject, or the expiry policy) before the platform researches; returns the artifacts,
 * summary, decisions and audit.
 */
export async function deepResearch(raw: DeepResearchInput): Promise<DeepResearchResult> {
  const input = parseWorkflowInput(deepResearchInput(), raw);
  const info = workflowInfo();
  const keyBase = `${info.workflowId}/${info.firstExecutionRunId}`;
  // Artifacts are keyed by workflow id and run chain, so a later run reusing this id keeps its own
  // files. Runs recorded before that keep the bare id.
  const owner = patched('artifacts-keyed-by-run-chain')
    ? { workflowId: info.workflowId, chain: info.firstExecutionRunId }
    : info.workflowId;
  const gate = new ApprovalGate();
  const st: DeepResearchState = { status: 'starting', topic: input.topic, rounds: 0, platformEvents: 0 };
  let artifacts: ArtifactRef[] = [];
  let summary: ResearchSummary | undefined;
  let error: string | undefined;
  setHandler(researchStateQuery, () => st);

  const setStatus = (status: ResearchStatus) => {
    st.status = status;
    upsertSearchAttributes([
      { key: SwitchboardProvider, value: 'webagent' },
      { key: SwitchboardStatus, value: status },
    ]);
    if (status !== 'awaiting_approval')
      setCurrentDetails(`Deep research "${input.topic}" (${input.depth}): ${status}, ${st.rounds} outline round(s)`);
  };
  const finish = (): DeepResearchResult => ({
    ...st,
    artifacts,
    summary,
    decisions: gate.snapshot().decided,
    audit: gate.audit,
    error,
  });

  setStatus('starting');
  try {
    const run = await acts.researchStart({
      alias: input.credentialAlias,
      topic: input.topic,
      depth: input.depth,
      requireOutlineApproval: input.requireOutlineApproval,
      key: `${keyBase}/start`,
    });
    st.taskId = run.taskId;
    st.sessionId = run.sessionId;
    const ref: SessionRef = {
      platform: 'webagent',
      alias: input.credentialAlias,
      sessionId: run.sessionId,
      taskId: run.taskId,
    };
    setStatus('researching');
    let cursor: string | undefined;
    for (;;) {
      const batch = await follow.sessionFollow({ ref, cursor, owner });
      cursor = batch.cursor;
      st.platformEvents += batch.platformEvents;
      if (batch.status === 'awaiting_input' && batch.pendingInput) {
        const req = batch.pendingInput;
        st.rounds += 1;
        setStatus('awaiting_approval');
        const outcome = await gate.wait({
          requestId: req.requestId,
          kind: 'research_outline',
          subject: `Outline for "${input.topic}" (round ${st.rounds})`,
          approvers: input.approvers,
          deadlineSeconds: input.deadlineSeconds,
          onExpiry: input.onExpiry,
          quorum: input.quorum,
          separateDuties: input.separateDuties,
          digest: req.digest ?? '',
          shown: req.data ?? req.prompt,
          allowed: ['approve', 'approve_with_edits', 'reject'],
        });
        if (outcome.decision === 'reject') {
          await steer.researchCancel({
            alias: input.credentialAlias,
            taskId: run.taskId,
            reason: `outline_rejected: ${outcome.reason ?? ''}`,
            key: `${keyBase}/cancel/${req.requestId}`,
          });
          gate.applied(req.requestId, { ok: true, detail: 'task cancelled on the platform' });
          setStatus('rejected');
          break;
        }
        const response =
          outcome.decision === 'approve'
            ? ('approve' as const)
            : { action: 'approve_with_edits' as const, edits: outcome.edits ?? [] };
        // One key per request: a retry (or a new worker after a crash) replays, never re-sends.
        await steer.researchAnswer({
          alias: input.credentialAlias,
          taskId: run.taskId,
          requestId: req.requestId,
          response,
          key: `${keyBase}/intervene/${req.requestId}`,
        });
        gate.applied(req.requestId, { ok: true, detail: `intervene sent (${outcome.decision})` });
        setStatus('researching');
        continue;
      }
      if (batch.status === 'completed') {
        const collected = await acts.researchCollect({ alias: input.credentialAlias, taskId: run.taskId, owner });
        artifacts = collected.artifacts;
        summary = collected.summary;
        setStatus('completed');
        break;
      }
      if (batch.status === 'failed' || batch.status === 'cancelled') {
        error = batch.error;
        setStatus(batch.status);
        break;
      }
    }
    await condition(allHandlersFinished);
    return finish();
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(async () => {
        if (st.taskId)
          await acts.researchCancel({
            alias: input.credentialAlias,
            taskId: st.taskId,
            reason: 'workflow_cancelled',
            key: `${keyBase}/cancel/workflow`,
          });
        setStatus('cancelled');
      });
    } else setStatus('failed');
    throw err;
  }
}
