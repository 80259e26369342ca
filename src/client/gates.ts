/**
 * Approval gates (`client.gates`): what a workflow's gate shows, its audit trail, a decision (signed
 * with the decider's key where the worker requires proof), and the inbox of everything waiting on a
 * person. One gate mechanism serves research outlines, Mycel requests and monitor questions.
 */
import type { KeyObject } from 'node:crypto';
import {
  type AuditEntry,
  type DecisionInput,
  decisionInput,
  type ExpiryPolicyInput,
  type GateMemo,
  type GateOutcome,
  type GateView,
} from '../contracts/gates.js';
import { GateDeadline, GateKind } from '../contracts/searchAttributes.js';
import { signDecision } from '../identity/keys.js';
import { auditQuery, decideUpdate, gateQuery } from '../workflows/gate/gate.js';
import { joinStateQuery } from '../workflows/mycel/joinRequest.js';
import { relationshipStateQuery } from '../workflows/mycel/relationshipRequest.js';
import { explain, listVisible, SubClient, SwitchboardClientError, validate } from './shared.js';

/** One row of `switchboard inbox`. */
export interface InboxItem {
  workflowId: string;
  workflowType: string;
  kind?: string;
  subject?: string;
  waitingSince?: string;
  deadline?: string;
  approvers: string[];
  requestId?: string;
}

/** Parses `90s`, `30m`, `24h`, `7d` (or plain seconds) into seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)\s*(s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new SwitchboardClientError('invalid_input', `not a duration: "${text}" (use e.g. 90s, 30m, 24h, 7d)`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[(m[2] ?? 's') as 's'];
}

/** Parses `reject`, `approve`, `escalate:alice,bob[@24h]` or `wait[:1h]` into an expiry policy. */
export function parseExpiry(text: string): ExpiryPolicyInput {
  const [policy, arg] = [text.split(':')[0], text.split(':').slice(1).join(':')];
  if (policy === 'reject' || policy === 'approve') return { policy };
  if (policy === 'wait') return arg ? { policy, remindEverySeconds: parseDuration(arg) } : { policy };
  if (policy === 'escalate') {
    const [who, after] = arg.split('@');
    const to = (who ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (to.length === 0)
      throw new SwitchboardClientError(
        'invalid_input',
        'escalate needs someone to escalate to: escalate:<name>[,<name>][@24h]',
      );
    return after ? { policy, to, extendSeconds: parseDuration(after) } : { policy, to };
  }
  throw new SwitchboardClientError(
    'invalid_input',
    `unknown expiry policy "${text}" (reject, approve, escalate:<who>, wait[:<every>])`,
  );
}

/** How {@link GateClient.decide} checks and signs a decision. */
export interface DecideOptions {
  expectKind?: GateView['kind'];
  /**
   * The decider's private key (see `src/identity/keys.ts`): the decision is signed over the
   * workflow, request, decision and the digest of what is open, so the worker can prove who
   * decided. Needed where the worker requires proof (`SWITCHBOARD_DECISION_PROOF=required`).
   */
  signWith?: KeyObject;
}

/** Client for the approval gate any Switchboard workflow may hold. */
export class GateClient extends SubClient {
  /** The workflow's approval gate: what is open (and shown), or what was decided. */
  async show(workflowId: string): Promise<GateView> {
    try {
      return await this.runQuery(workflowId, gateQuery);
    } catch (err) {
      if (err instanceof SwitchboardClientError && /query|handler/i.test(err.message) && err.code !== 'not_found') {
        throw new SwitchboardClientError('rejected', await this.noGateHere(workflowId));
      }
      throw err;
    }
  }

  /**
   * Why a workflow has no gate to decide on. A Mycel requester side hands its request to an
   * approval workflow: name it (or say it is not started yet).
   */
  private async noGateHere(workflowId: string): Promise<string> {
    const type = (await explain(workflowId, () => this.temporal.workflow.getHandle(workflowId).describe())).type;
    const st =
      type === 'joinRequest'
        ? await this.runQuery(workflowId, joinStateQuery)
        : type === 'relationshipRequest'
          ? await this.runQuery(workflowId, relationshipStateQuery)
          : undefined;
    if (st?.gateWorkflowId)
      return `workflow ${workflowId} made the request; its approval gate is workflow ${st.gateWorkflowId} (decide there)`;
    if (st?.status === 'requesting')
      return `workflow ${workflowId} is still making the request; its approval workflow is not started yet (try again)`;
    return `workflow ${workflowId} has no approval gate`;
  }

  /** Every request, reminder, escalation and decision of the workflow's gate, in order. */
  audit(workflowId: string): Promise<AuditEntry[]> {
    return this.runQuery(workflowId, auditQuery);
  }

  /**
   * Sends a decision to the open gate (or repeats one: the first outcome is returned). Without
   * `requestId`, the open request is used; `expectKind` refuses a gate of another kind.
   */
  async decide(
    workflowId: string,
    d: Omit<DecisionInput, 'requestId'> & { requestId?: string },
    opts: DecideOptions = {},
  ): Promise<GateOutcome> {
    validate(decisionInput(), { ...d, requestId: d.requestId ?? 'pending' }, 'invalid decision');
    // With a request id and no kind to check (and nothing to sign), go straight to the update (one
    // round trip): the validator refuses anything stale or wrong.
    const view = d.requestId && !opts.expectKind && !opts.signWith ? undefined : await this.show(workflowId);
    if (opts.expectKind && view?.kind && view.kind !== opts.expectKind) {
      throw new SwitchboardClientError(
        'rejected',
        `workflow ${workflowId} waits on a ${view.kind} gate, not ${opts.expectKind}`,
      );
    }
    const requestId = d.requestId ?? view?.requestId ?? view?.decided.at(-1)?.requestId;
    if (!requestId)
      throw new SwitchboardClientError('rejected', `workflow ${workflowId} has no open gate and no decision to repeat`);
    // A proof is signed over the digest open now: never over another than the decider was shown
    // (unsigned, the gate's validator refuses the mismatch itself, in the same words).
    if (
      opts.signWith &&
      d.digest &&
      view?.open &&
      view.digest &&
      view.requestId === requestId &&
      d.digest !== view.digest
    ) {
      throw new SwitchboardClientError(
        'rejected',
        `what you were shown (digest ${d.digest.slice(0, 12)}…) is not what is open now (${view.digest.slice(0, 12)}…); look again`,
      );
    }
    let payload = validate(decisionInput(), { ...d, requestId }, 'invalid decision');
    if (opts.signWith && view?.open && view.digest && view.chain && view.requestId === requestId) {
      // Sign what the workflow will check: the parsed (trimmed) fields and the digest now open.
      const proof = signDecision(opts.signWith, {
        workflowId,
        chain: view.chain,
        requestId,
        decider: payload.decider,
        decision: payload.decision,
        digest: view.digest,
        edits: payload.edits,
        reason: payload.reason,
      });
      payload = { ...payload, digest: view.digest, proof };
    }
    return this.runUpdate(workflowId, decideUpdate, payload);
  }

  /** Everything waiting on a person, across workflow types: one visibility query. */
  async inbox({ limit = 1000 }: { limit?: number } = {}): Promise<InboxItem[]> {
    const out = await listVisible(
      this.temporal,
      'AwaitingHuman = true AND ExecutionStatus = "Running"',
      limit,
      (wf): InboxItem => {
        const gate = (wf.memo as { gate?: GateMemo } | undefined)?.gate;
        return {
          workflowId: wf.workflowId,
          workflowType: wf.type,
          kind: gate?.kind ?? wf.typedSearchAttributes.get(GateKind),
          subject: gate?.subject,
          waitingSince: gate?.since,
          deadline: gate?.deadline ?? wf.typedSearchAttributes.get(GateDeadline)?.toISOString(),
          approvers: gate?.approvers ?? [],
          requestId: gate?.requestId,
        };
      },
    );
    return out.sort((a, b) => (a.deadline ?? '').localeCompare(b.deadline ?? ''));
  }
}
