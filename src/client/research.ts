/**
 * Deep research (`client.research`): start a `deepResearch` run whose outline waits at an
 * approval gate (decided through `client.gates`), read its state, list runs.
 */
import { randomUUID } from 'node:crypto';
import {
  type DeepResearchInput,
  type DeepResearchState,
  deepResearchInput,
  researchStateQuery,
} from '../workflows/deepResearch.js';
import type { StartIdOptions } from './sessions.js';
import { listWorkflowsOfType, SubClient, validate, type WorkflowRow } from './shared.js';

/** Client for `deepResearch` workflows. */
export class ResearchClient extends SubClient {
  /** Starts a deep-research run whose outline waits for approval (options as for a session start). */
  async start(input: DeepResearchInput, opts: StartIdOptions = {}): Promise<{ workflowId: string; runId: string }> {
    const parsed = validate(deepResearchInput(), input, 'invalid research input');
    const workflowId = opts.workflowId ?? `research-${randomUUID().slice(0, 8)}`;
    return this.startOnQueue('deepResearch', {
      workflowId,
      input,
      summary: `Deep research: ${parsed.topic.slice(0, 80)}`,
      details: `depth ${parsed.depth}; approvers ${parsed.approvers.join(', ')}; on expiry ${parsed.onExpiry.policy}`,
      provider: 'webagent',
      status: 'starting',
      reusePolicy: opts.reusePolicy,
      running: `a workflow with id ${workflowId} is already running`,
    });
  }

  /** The run's state (outline, sections, report). */
  state(workflowId: string): Promise<DeepResearchState> {
    return this.runQuery(workflowId, researchStateQuery);
  }

  /** Research runs, newest first. */
  list(opts: { limit?: number } = {}): Promise<WorkflowRow[]> {
    return listWorkflowsOfType(this.temporal, 'deepResearch', opts);
  }
}
