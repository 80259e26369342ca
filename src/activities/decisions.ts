/**
 * `verifyDecision`: checks who made a decision, with key material that never enters a workflow.
 * Gates call it as a local activity before a decision counts, so an unproven attempt is refused
 * and recorded in the gate's audit (see src/workflows/gate/gate.ts).
 */
import { Context } from '@temporalio/activity';
import type { DeciderIdentity, DecisionProof } from '../contracts/gates.js';
import type { DecisionStatementFields } from '../contracts/decisions.js';
import { checkProof, fingerprint, loadTrustedKey } from '../identity/keys.js';

/** How a deployment treats decisions without proof. */
export type DecisionProofMode = 'required' | 'optional';

export interface DecisionDeps {
  /**
   * `required`: every decision must be signed by a trusted key. `optional` (development): typed names are accepted and
   * marked `unverified`. @default 'optional'
   */
  decisionProof?: DecisionProofMode;
  /** Directory of trusted approver public keys (`<name>.pub.pem`). */
  trustedKeysDir?: string;
}

/** What is checked: the statement's fields (the workflow id comes from the activity's context) and the proof. */
export type VerifyDecisionArgs = Omit<DecisionStatementFields, 'workflowId' | 'expiresAt'> & { proof?: DecisionProof };

export type VerifyDecisionResult =
  { ok: true; identity: DeciderIdentity; keyId?: string } | { ok: false; reason: string };

/**
 * Who decided: the deployment's proof mode and the check of a decision's signature against trusted
 * keys. Local activities, so key material stays in the worker and never enters history.
 */
export function createDecisionActivities(deps: DecisionDeps) {
  const mode = deps.decisionProof ?? 'optional';
  return {
    /**
     * How this deployment treats unproven decisions (workflows ask before spending a person's token without a person).
     */
    async decisionProofMode(): Promise<{ mode: DecisionProofMode }> {
      return { mode };
    },

    async verifyDecision(args: VerifyDecisionArgs): Promise<VerifyDecisionResult> {
      // The workflow id comes from the activity's own context, not from what the workflow passed.
      const workflowId = Context.current().info.workflowExecution?.workflowId ?? '';
      if (!args.proof) {
        return mode === 'required'
          ? {
              ok: false,
              reason: `decision by ${args.decider} is not signed, and this deployment requires proof of who decides (switchboard keys create --as ${args.decider})`,
            }
          : { ok: true, identity: 'unverified' };
      }
      const key = deps.trustedKeysDir ? loadTrustedKey(deps.trustedKeysDir, args.decider) : undefined;
      if (!key) return { ok: false, reason: `no trusted key is registered for ${args.decider}` };
      const why = checkProof(
        key,
        {
          workflowId,
          chain: args.chain,
          requestId: args.requestId,
          decider: args.decider,
          decision: args.decision,
          digest: args.digest,
          edits: args.edits,
          reason: args.reason,
        },
        args.proof,
      );
      return why ? { ok: false, reason: why } : { ok: true, identity: 'verified', keyId: fingerprint(key) };
    },
  };
}
