/**
 * Mycel (`client.mycel`): start an identity's inbox workflow (it opens one approval workflow per
 * join or relationship request) and list the request workflows. Their gates are decided through
 * `client.gates`.
 */
import { type MycelInboxInput, mycelInboxInput } from '../workflows/mycel/types.js';
import { listWorkflowsOfType, SubClient, validate, type WorkflowRow } from './shared.js';

/** Client for the Mycel workflows (`mycelInbox`, `joinRequest`, `relationshipRequest`). */
export class MycelClient extends SubClient {
  /**
   * Starts (or finds) the Mycel inbox of an identity: it follows the identity's notifications and
   * starts one approval workflow per join or relationship request. One per alias: the workflow id
   * is `mycel-inbox-<alias>`, so a second start reports `already_exists`.
   */
  async startInbox(input: MycelInboxInput): Promise<{ workflowId: string; runId: string }> {
    const parsed = validate(mycelInboxInput(), input, 'invalid inbox input');
    const workflowId = `mycel-inbox-${parsed.alias}`;
    return this.startOnQueue('mycelInbox', {
      workflowId,
      input,
      summary: `Mycel inbox of ${parsed.alias}`,
      provider: 'mycel',
      running: `the inbox of ${parsed.alias} is already running (${workflowId})`,
    });
  }

  /** Join-request (or relationship-request) workflows, newest first. */
  list(
    type: 'joinRequest' | 'relationshipRequest' = 'joinRequest',
    opts: { limit?: number } = {},
  ): Promise<WorkflowRow[]> {
    return listWorkflowsOfType(this.temporal, type, opts);
  }
}
