/**
 * What a decider signs, shared by the signer (the client library and CLI) and the checker (the
 * worker's `verifyDecision` activity). Workflow-safe: no Node built-ins.
 *
 * The statement binds everything that makes a decision: the workflow and its run chain, the gate request, the
 * claimed decider, the decision with its edits and reason, the digest of what the decider was
 * shown, and an expiry. A signature for one of these cannot be replayed onto another workflow,
 * request, decision or version of what was shown, nor after it expires.
 */

/** The fields a decision proof covers. */
export interface DecisionStatementFields {
  workflowId: string;
  /** The run chain (the workflow's first run id): a later run under the same id is another workflow. */
  chain: string;
  requestId: string;
  decider: string;
  decision: string;
  /** The open gate's digest at the time of deciding (what the decider was shown). */
  digest: string;
  edits?: unknown[];
  reason?: string;
  /** ISO 8601. */
  expiresAt: string;
}

/** Version tag: a statement of another version never verifies. */
export const DECISION_STATEMENT_VERSION = 'switchboard-decision/v1';

/** Longest a proof may be valid for: a signature is a short-lived statement, not a credential. */
export const MAX_PROOF_LIFETIME_MS = 24 * 60 * 60 * 1000;

/** The exact bytes (as a string) that are signed: a JSON array, so field order is fixed. */
export function decisionStatement(f: DecisionStatementFields): string {
  return JSON.stringify([
    DECISION_STATEMENT_VERSION,
    f.workflowId,
    f.requestId,
    f.decider,
    f.decision,
    f.digest,
    f.edits ?? [],
    f.reason ?? '',
    f.expiresAt,
  ]);
}
