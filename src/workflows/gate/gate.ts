/**
 * The approval gate: one mechanism for every place a workflow waits for a person (research
 * outlines, Mycel join and relationship requests). See "Human decisions" in DESIGN.md.
 *
 * - A decision arrives as the `decide` Update. Its validator rejects, before anything is written
 *   to history: a gate that is not open, a stale request id, a decider not on the approver list, a
 *   decision the gate does not allow, a payload that fails its schema, a digest that does not match.
 * - The same decision sent twice returns the first outcome; a different one after the gate closed
 *   is rejected with the decision that stands.
 * - Every gate has a deadline and an expiry policy (reject, approve, escalate, wait with reminders).
 * - While open: `AwaitingHuman`, `GateKind`, `GateDeadline`, a memo for the inbox and current
 *   details, so the Web UI and `switchboard inbox` list it without polling.
 * - Each decision is audited (who, when, what, comment, digest of what was shown).
 */
import {
  condition,
  defineQuery,
  defineUpdate,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createNotifyActivities } from '../../activities/notify.js';
import { AwaitingHuman, GateDeadline, GateKind as GateKindKey } from '../searchAttributes.js';
import { formatZodError } from '../validation.js';
import {
  type AuditEntry,
  type DecisionInput,
  type DecisionValue,
  decisionInput,
  type ExpiryPolicy,
  type GateKind,
  type GateMemo,
  type GateOutcome,
  type GateView,
} from './types.js';

/** The one decision update every gated workflow answers. */
export const decideUpdate = defineUpdate<GateOutcome, [DecisionInput]>('decide');
export const gateQuery = defineQuery<GateView>('gate');
export const auditQuery = defineQuery<AuditEntry[]>('audit');

const { notifyPeople } = proxyActivities<ReturnType<typeof createNotifyActivities>>({
  startToCloseTimeout: '30 s',
  retry: { initialInterval: '1 s', maximumInterval: '1 m', maximumAttempts: 10 },
});

/** What a workflow asks the gate to hold. */
export interface GateRequest {
  requestId: string;
  kind: GateKind;
  subject: string;
  approvers: string[];
  deadlineSeconds: number;
  onExpiry: ExpiryPolicy;
  /** Digest of `shown` (computed by the activity that read it). */
  digest: string;
  shown?: unknown;
  allowed: DecisionValue[];
}

interface OpenGate extends GateRequest {
  since: Date;
  deadline: Date;
  escalated: boolean;
  remindersSent: number;
}

/** Name used for decisions taken by the expiry policy. */
export const EXPIRY_DECIDER = 'switchboard:expiry';

function sameDecision(a: GateOutcome, d: { decision: DecisionValue; edits?: unknown[]; reason?: string }): boolean {
  return a.decision === d.decision && JSON.stringify(a.edits ?? []) === JSON.stringify(d.edits ?? []) && (a.reason ?? '') === (d.reason ?? '');
}

/**
 * Create one per workflow run (it installs the update and query handlers). Decided outcomes and
 * the audit carry over continue-as-new through {@link ApprovalGate.snapshot}.
 */
export class ApprovalGate {
  private open?: OpenGate;
  private pending?: GateOutcome;
  private readonly decided = new Map<string, GateOutcome>();
  private readonly appliedIds = new Set<string>();
  readonly audit: AuditEntry[] = [];

  constructor(snapshot?: { decided: GateOutcome[]; audit: AuditEntry[] }) {
    for (const o of snapshot?.decided ?? []) {
      this.decided.set(o.requestId, o);
      if (o.effect) this.appliedIds.add(o.requestId);
    }
    this.audit.push(...(snapshot?.audit ?? []));
    setHandler(gateQuery, () => this.view());
    setHandler(auditQuery, () => this.audit);
    setHandler(decideUpdate, (d) => this.onDecide(d), { validator: (d) => this.validate(d) });
  }

  snapshot(): { decided: GateOutcome[]; audit: AuditEntry[] } {
    return { decided: [...this.decided.values()], audit: this.audit };
  }

  view(): GateView {
    const g = this.open;
    return {
      open: g !== undefined,
      requestId: g?.requestId,
      kind: g?.kind,
      subject: g?.subject,
      approvers: g?.approvers,
      since: g?.since.toISOString(),
      deadline: g?.deadline.toISOString(),
      digest: g?.digest,
      shown: g?.shown,
      allowed: g?.allowed,
      escalated: g?.escalated,
      remindersSent: g?.remindersSent,
      decided: [...this.decided.values()],
    };
  }

  /** Synchronous checks: throwing here rejects the update with nothing written to history. */
  private validate(raw: DecisionInput): void {
    const parsed = decisionInput().safeParse(raw);
    if (!parsed.success) throw new Error(`invalid decision: ${formatZodError(parsed.error)}`);
    const d = parsed.data;
    const stands = this.decided.get(d.requestId);
    if (stands) {
      if (sameDecision(stands, d)) return; // idempotent: the handler returns the first outcome
      throw new Error(`request ${d.requestId} is already decided: ${stands.decision} by ${stands.decider} at ${stands.at} stands`);
    }
    const g = this.open;
    if (!g) throw new Error('no gate is open on this workflow');
    if (d.requestId !== g.requestId) throw new Error(`request ${d.requestId} is stale or unknown; the open request is ${g.requestId}`);
    if (this.pending) {
      // The same decision arriving while the first is being applied waits for the same outcome.
      if (this.pending.requestId === d.requestId && sameDecision(this.pending, d)) return;
      throw new Error(`request ${d.requestId} is already decided: ${this.pending.decision} by ${this.pending.decider} stands`);
    }
    if (!g.approvers.includes(d.decider)) throw new Error(`${d.decider} is not an approver of this ${g.kind} gate (approvers: ${g.approvers.join(', ')})`);
    if (!g.allowed.includes(d.decision)) throw new Error(`${d.decision} is not allowed here (allowed: ${g.allowed.join(', ')})`);
    if (d.digest !== undefined && d.digest !== g.digest)
      throw new Error(`what you were shown (digest ${d.digest.slice(0, 12)}…) is not what is open now (${g.digest.slice(0, 12)}…); look again`);
  }

  private async onDecide(raw: DecisionInput): Promise<GateOutcome> {
    const d = decisionInput().parse(raw);
    const stands = this.decided.get(d.requestId) ?? (this.pending?.requestId === d.requestId ? this.pending : undefined);
    if (!stands) {
      this.pending = {
        requestId: d.requestId,
        decision: d.decision,
        decider: d.decider,
        at: new Date().toISOString(),
        edits: d.edits,
        reason: d.reason,
        comment: d.comment,
        auto: false,
      };
    }
    // Answer once the workflow has acted on the decision, so the caller learns the effect.
    await condition(() => this.appliedIds.has(d.requestId));
    return this.decided.get(d.requestId)!;
  }

  /**
   * Opens a gate and waits until a person decides or the expiry policy does. The caller then acts
   * on the outcome and reports back with {@link ApprovalGate.applied}.
   */
  async wait(req: GateRequest): Promise<GateOutcome> {
    const already = this.decided.get(req.requestId);
    if (already) return already; // continue-as-new or a replayed request: never ask twice
    const now = new Date();
    const g: OpenGate = { ...req, since: now, deadline: new Date(now.getTime() + req.deadlineSeconds * 1000), escalated: false, remindersSent: 0 };
    this.open = g;
    this.publish(g);
    for (;;) {
      const decided = await condition(() => this.pending !== undefined, Math.max(1, g.deadline.getTime() - Date.now()));
      if (decided) break;
      const p = req.onExpiry;
      if (p.policy === 'escalate' && !g.escalated) {
        g.escalated = true;
        g.approvers = p.to;
        g.deadline = new Date(g.deadline.getTime() + p.extendSeconds * 1000);
        await this.extend(g, 'escalation');
        continue;
      }
      if (p.policy === 'wait') {
        g.remindersSent += 1;
        g.deadline = new Date(g.deadline.getTime() + p.remindEverySeconds * 1000);
        await this.extend(g, 'reminder');
        continue;
      }
      // reject, approve, or an escalation that expired too (it falls back to reject).
      const decision: DecisionValue = p.policy === 'approve' && g.allowed.includes('approve') ? 'approve' : 'reject';
      this.pending = {
        requestId: g.requestId,
        decision,
        decider: EXPIRY_DECIDER,
        at: new Date().toISOString(),
        reason:
          decision === 'reject'
            ? `no decision by ${g.deadline.toISOString()} (${p.policy === 'escalate' ? 'escalation expired' : 'expiry policy reject'})`
            : undefined,
        auto: true,
      };
      break;
    }
    const outcome = this.pending!;
    this.pending = undefined;
    this.decided.set(outcome.requestId, outcome);
    this.audit.push({
      requestId: outcome.requestId,
      kind: g.kind,
      decider: outcome.decider,
      at: outcome.at,
      decision: outcome.decision,
      comment: outcome.comment,
      reason: outcome.reason,
      digest: g.digest,
      auto: outcome.auto,
    });
    this.open = undefined;
    this.publishClosed(g, outcome);
    return outcome;
  }

  /** Publishes a gate whose deadline or approvers just changed, and tells the people on it. */
  private async extend(g: OpenGate, event: 'escalation' | 'reminder'): Promise<void> {
    this.publish(g);
    await notifyPeople({
      event,
      workflowId: workflowInfo().workflowId,
      kind: g.kind,
      subject: g.subject,
      approvers: g.approvers,
      deadline: g.deadline.toISOString(),
      requestId: g.requestId,
    });
  }

  /** Records what acting on a decision did; releases the decider's pending update. */
  applied(requestId: string, effect: { ok: boolean; detail?: string }): void {
    const o = this.decided.get(requestId);
    if (o) o.effect = effect;
    this.appliedIds.add(requestId);
  }

  /** True once every decision's update has been answered (before continue-as-new or the end). */
  get idle(): boolean {
    return this.open === undefined && this.pending === undefined;
  }

  private publish(g: OpenGate): void {
    upsertSearchAttributes([
      { key: AwaitingHuman, value: true },
      { key: GateKindKey, value: g.kind },
      { key: GateDeadline, value: g.deadline },
    ]);
    const memo: GateMemo = {
      kind: g.kind,
      subject: g.subject,
      approvers: g.approvers,
      since: g.since.toISOString(),
      deadline: g.deadline.toISOString(),
      requestId: g.requestId,
    };
    upsertMemo({ gate: memo });
    setCurrentDetails(
      `**Waiting for ${g.approvers.join(' or ')}** to decide on ${g.kind.replace(/_/g, ' ')} \`${g.requestId}\`: ${g.subject}\n\n` +
        `Deadline ${g.deadline.toISOString()}, then ${g.onExpiry.policy}${g.escalated ? ' (escalated)' : ''}. ` +
        `Decide with \`switchboard approve ${workflowInfo().workflowId} --as <name>\` or \`switchboard reject …\`.`,
    );
  }

  private publishClosed(g: OpenGate, o: GateOutcome): void {
    upsertSearchAttributes([
      { key: AwaitingHuman, value: false },
      { key: GateKindKey, value: g.kind },
      { key: GateDeadline, value: null },
    ]);
    upsertMemo({ gate: undefined });
    setCurrentDetails(`${g.kind.replace(/_/g, ' ')} \`${g.requestId}\`: **${o.decision}** by ${o.decider} at ${o.at}${o.reason ? ` (${o.reason})` : ''}`);
  }
}
