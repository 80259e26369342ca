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
 * - Who decided is checked before a decision counts (`verifyDecision`, a local activity with key
 *   material that never enters history): a signed decision is `verified`; where the deployment
 *   requires proof, an unproven one is refused and the refused attempt is audited; elsewhere a
 *   typed name is accepted and marked `unverified`.
 * - A quorum (N of the M approvers, distinct) and separation of duties (whoever proposes edits
 *   cannot approve them) are gate options; one reject decides.
 * - The same decision can arrive as the `decide` signal (the Temporal CLI, the Web UI's "Send
 *   Signal"): it goes through the same checks; since a signal cannot answer, a refused one is
 *   recorded in the audit and leaves the gate as it was.
 */
import {
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import type { createDecisionActivities, VerifyDecisionResult } from '../../activities/decisions.js';
import type { createNotifyActivities } from '../../activities/notify.js';
import type { createOutboxActivities } from '../../activities/outbox.js';
import { AwaitingHuman, GateDeadline, GateKind as GateKindKey } from '../../contracts/searchAttributes.js';
import { parseAccepted, parseMessage, singleArg } from '../validation.js';
import { countGateEscalation, countGateExpiry, recordDecision } from '../metrics.js';
import { sha256 } from '@noble/hashes/sha256';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils';
import {
  type AuditEntry,
  type DeciderIdentity,
  type DecisionInput,
  type DecisionValue,
  decisionInput,
  type ExpiryPolicy,
  type GateKind,
  type GateMemo,
  type GateOutcome,
  type GateView,
} from '../../contracts/gates.js';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { FailureType } from '../../contracts/failures.js';
import { deliveryWorkflowId, GATE_NOTIFY_ENDPOINT, type WebhookDeliveryInput } from '../../contracts/outbox.js';

/** The one decision update every gated workflow answers. */
export const decideUpdate = defineUpdate<GateOutcome, [DecisionInput]>('decide');
/** The same decision as a signal: same checks; a refused one is audited (a signal cannot answer). */
export const decideSignal = defineSignal<[DecisionInput]>('decide');
/**
 * The gate as a person sees it: the open request (approvers, deadline, what is shown and its
 * digest) and past decisions.
 */
export const gateQuery = defineQuery<GateView>('gate');
/**
 * Every decision, vote and refused attempt on this workflow's gate: who claimed what, and what
 * counted.
 */
export const auditQuery = defineQuery<AuditEntry[]>('audit');

/**
 * Replay guard: decisions that arrived before deciders were checked (no `verifyDecision` call).
 * Runs recorded before it replay as they ran.
 */
export const PROOF_PATCH = 'gate-checks-decider';
/** Replay guard: runs from before the `decide` signal had a handler. */
export const DECIDE_SIGNAL_PATCH = 'gate-decide-signal';
/**
 * Replay guard: reminders and escalations go through the webhook outbox (a `webhookDelivery`
 * child) instead of the `notifyPeople` activity. Runs recorded before it replay as they ran.
 */
export const OUTBOX_PATCH = 'gate-notifications-via-outbox';
/**
 * Replay guard: a `gate.opened` notification is queued in the outbox (by the `queueWebhook` local
 * activity) just before a gate opens, so approvers hear of it before the first reminder, with
 * decision links when the worker mints them. Runs recorded before it replay as they ran.
 */
export const OPENED_NOTIFICATION_PATCH = 'gate-opened-notification';

const { notifyPeople } = proxyActivities<ReturnType<typeof createNotifyActivities>>({
  startToCloseTimeout: '30 s',
  retry: { initialInterval: '1 s', maximumInterval: '1 m', maximumAttempts: 10 },
});
/** Local: queued before the gate is published, in the same workflow task (see `announce`). */
const { queueWebhook } = proxyLocalActivities<ReturnType<typeof createOutboxActivities>>({
  startToCloseTimeout: '10 s',
  retry: { initialInterval: '200 ms', maximumAttempts: 3 },
});
/** Local: a person is waiting on the update, and the check reads only local files. */
const { verifyDecision } = proxyLocalActivities<ReturnType<typeof createDecisionActivities>>({
  startToCloseTimeout: '10 s',
  retry: { initialInterval: '200 ms', maximumAttempts: 3 },
});

/**
 * One message id per (workflow, request, event, deadline): the outbox delivers it once, receivers de-duplicate on
 * `webhook-id`.
 */
function gateMessageId(n: { event: string; workflowId: string; requestId: string; deadline: string }): string {
  return `gate.${n.event}.${bytesToHex(sha256(utf8ToBytes(`${n.workflowId}/${n.requestId}/${n.event}/${n.deadline}`))).slice(0, 40)}`;
}

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
  /** Distinct approvals needed (capped at the approver count). @default 1 */
  quorum?: number;
  /** The proposer of edits cannot approve them. @default false */
  separateDuties?: boolean;
  /**
   * The edit is an answer (a platform's text or choice question): `approve_with_edits` must carry
   * exactly one text edit, one of `choices` when given. Checked by the validator, before history.
   */
  answer?: { choices?: string[] };
}

interface Vote {
  decider: string;
  decision: DecisionValue;
  identity: DeciderIdentity;
  at: string;
  comment?: string;
}

interface OpenGate extends GateRequest {
  since: Date;
  deadline: Date;
  escalated: boolean;
  remindersSent: number;
  /** Digest of `shown` alone; `digest` also covers a proposal's edits once there is one. */
  baseDigest: string;
  /** Approvals of what stands now (the original, or the current proposal). */
  votes: Vote[];
  proposal?: { by: string; edits: unknown[]; at: string };
}

/** Name used for decisions taken by the expiry policy. */
export const EXPIRY_DECIDER = 'switchboard:expiry';

/** Refused attempts kept in the audit: a flood of bad signals must not grow a workflow without limit. */
const MAX_REFUSED = 50;

function sameDecision(a: GateOutcome, d: { decision: DecisionValue; edits?: unknown[]; reason?: string }): boolean {
  return (
    a.decision === d.decision &&
    JSON.stringify(a.edits ?? []) === JSON.stringify(d.edits ?? []) &&
    (a.reason ?? '') === (d.reason ?? '')
  );
}

/** The digest of what stands once edits are proposed: what was shown plus SHA-256 of the edits. */
function proposalDigest(base: string, edits: unknown[]): string {
  return `${base}+edits:sha256:${bytesToHex(sha256(utf8ToBytes(JSON.stringify(edits))))}`;
}

const sameEdits = (a: unknown[] | undefined, b: unknown[] | undefined) =>
  JSON.stringify(a ?? []) === JSON.stringify(b ?? []);

/** A repeat of an approval that counted toward the decision that stands (quorum voters). */
const countedIn = (o: GateOutcome, d: { decider: string; decision: DecisionValue }) =>
  o.decision !== 'reject' && d.decision !== 'reject' && (o.deciders ?? [o.decider]).includes(d.decider);

type Decision = ReturnType<ReturnType<typeof decisionInput>['parse']>;

/**
 * Create one per workflow run (it installs the update, signal and query handlers). Decided
 * outcomes and the audit carry over continue-as-new through {@link ApprovalGate.snapshot}.
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
    setHandler(decideUpdate, (d) => this.onDecide(d, 'update'), {
      validator: (...all: unknown[]) => void this.validate(singleArg(all, 'decide')),
    });
    setHandler(decideSignal, (...all: unknown[]) => this.onDecideSignal(all));
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
      quorum: g && {
        need: this.need(g),
        votes: g.votes.map(({ decider, decision, identity, at }) => ({ decider, decision, identity, at })),
      },
      proposal: g?.proposal,
      separateDuties: g?.separateDuties,
      chain: g && workflowInfo().firstExecutionRunId,
      decided: [...this.decided.values()],
    };
  }

  private need(g: OpenGate): number {
    return Math.max(1, Math.min(g.quorum ?? 1, g.approvers.length));
  }

  /**
   * Synchronous checks: throwing here rejects the update with nothing written to history.
   * Returns the decision when it is new, or undefined when it repeats one that stands.
   */
  private validate(raw: unknown): Decision | undefined {
    return this.check(parseMessage(decisionInput(), raw, 'decision'));
  }

  /** The gate's checks on a parsed decision (see {@link ApprovalGate.validate}). */
  private check(d: Decision): Decision | undefined {
    const stands = this.decided.get(d.requestId);
    if (stands) {
      // idempotent: the handler returns the first outcome
      if (sameDecision(stands, d) || countedIn(stands, d)) return undefined;
      throw new Error(
        `request ${d.requestId} is already decided: ${stands.decision} by ${stands.decider} at ${stands.at} stands`,
      );
    }
    const g = this.open;
    if (!g) throw new Error('no gate is open on this workflow');
    if (d.requestId !== g.requestId)
      throw new Error(`request ${d.requestId} is stale or unknown; the open request is ${g.requestId}`);
    if (this.pending) {
      // The same decision arriving while the first is being applied waits for the same outcome.
      if (this.pending.requestId === d.requestId && (sameDecision(this.pending, d) || countedIn(this.pending, d)))
        return undefined;
      throw new Error(
        `request ${d.requestId} is already decided: ${this.pending.decision} by ${this.pending.decider} stands`,
      );
    }
    if (!g.approvers.includes(d.decider))
      throw new Error(`${d.decider} is not an approver of this ${g.kind} gate (approvers: ${g.approvers.join(', ')})`);
    if (!g.allowed.includes(d.decision))
      throw new Error(`${d.decision} is not allowed here (allowed: ${g.allowed.join(', ')})`);
    if (g.answer && d.decision === 'approve_with_edits') {
      const [edit, ...more] = d.edits ?? [];
      if (typeof edit !== 'string' || more.length > 0)
        throw new Error('the answer is one text edit, e.g. --edits \'["yes"]\'');
      if (g.answer.choices && !g.answer.choices.includes(edit))
        throw new Error(`"${edit.slice(0, 100)}" is not one of the offered choices: ${g.answer.choices.join(', ')}`);
    }
    if (d.digest !== undefined && d.digest !== g.digest)
      throw new Error(
        `what you were shown (digest ${d.digest.slice(0, 12)}…) is not what is open now (${g.digest.slice(0, 12)}…); look again`,
      );
    // Proposing the edits that are already proposed is approving them (or, by their proposer, a repeat).
    const reproposal =
      d.decision === 'approve_with_edits' && g.proposal !== undefined && sameEdits(g.proposal.edits, d.edits);
    if (reproposal && g.proposal!.by === d.decider) return undefined;
    const voted = g.votes.find((v) => v.decider === d.decider);
    if (voted) {
      if (d.decision === 'approve' || reproposal) return undefined; // their approval already counts
      throw new Error(`${d.decider} already voted ${voted.decision} on request ${d.requestId}`);
    }
    if (g.separateDuties && (d.decision === 'approve' || reproposal) && g.proposal?.by === d.decider)
      throw new Error(`separation of duties: ${d.decider} proposed these edits and cannot approve them`);
    if (
      g.separateDuties &&
      d.decision === 'approve_with_edits' &&
      !reproposal &&
      g.approvers.filter((a) => a !== d.decider).length < this.need(g)
    )
      throw new Error(
        `separation of duties: nobody else could approve edits proposed by ${d.decider} (${this.need(g)} approval(s) needed)`,
      );
    return d;
  }

  private async onDecide(raw: DecisionInput, via: 'update' | 'signal'): Promise<GateOutcome> {
    // Lenient here: the validator checked the payload against the rules in force when it arrived,
    // and a replayed handler must not fail on limits added since.
    const parsed = parseAccepted(decisionInput(), raw);
    const recheck = () => {
      try {
        return this.check(parsed);
      } catch (err) {
        throw this.refuse(raw, err instanceof Error ? err.message : String(err), via);
      }
    };
    let d = recheck();
    if (d && patched(PROOF_PATCH)) {
      const g = this.open!;
      const digest = g.digest;
      let checked: VerifyDecisionResult;
      try {
        checked = await verifyDecision({
          chain: workflowInfo().firstExecutionRunId,
          requestId: d.requestId,
          decider: d.decider,
          decision: d.decision,
          digest,
          edits: d.edits,
          reason: d.reason,
          proof: d.proof,
        });
      } catch (err) {
        checked = {
          ok: false,
          reason: `the decider could not be checked: ${err instanceof Error ? err.message : String(err)}`,
        };
      }
      if (!checked.ok) throw this.refuse(raw, checked.reason, via);
      // The gate may have moved while the check ran: new edits make the proof stale; a decision
      // or a new request is judged by the checks again (a repeat then gets the outcome that stands).
      if (this.open === g && g.digest !== digest) {
        throw this.refuse(raw, 'what was open changed while the decision was checked; look again', via);
      }
      d = recheck();
      if (d) return this.cast(d, checked.identity);
    } else if (d) {
      return this.cast(d, 'unverified');
    }
    return this.standing(parsed);
  }

  /** The outcome a repeated decision gets: the one that stands, or the vote already cast. */
  private async standing(d: Decision): Promise<GateOutcome> {
    const g = this.open;
    if (g?.requestId === d.requestId && !this.pending) {
      const vote = g.votes.find((v) => v.decider === d.decider);
      if (vote) return this.voteOutcome(g, d, vote);
      if (g.proposal?.by === d.decider)
        return this.voteOutcome(g, d, {
          decider: d.decider,
          decision: 'approve_with_edits',
          identity: 'unverified',
          at: g.proposal.at,
        });
    }
    await condition(() => this.appliedIds.has(d.requestId));
    return this.decided.get(d.requestId)!;
  }

  private voteOutcome(g: OpenGate, d: Decision, v: Vote): GateOutcome {
    return {
      requestId: g.requestId,
      decision: v.decision,
      decider: d.decider,
      at: v.at,
      auto: false,
      identity: v.identity,
      vote: { have: g.votes.length, need: this.need(g) },
    };
  }

  /** Counts a checked decision; closes the gate when it decides. */
  private async cast(d: Decision, identity: DeciderIdentity): Promise<GateOutcome> {
    const g = this.open!;
    const at = new Date().toISOString();
    const vote: Vote = { decider: d.decider, decision: d.decision, identity, at, comment: d.comment };
    let decision: DecisionValue | undefined;
    let edits: unknown[] | undefined;
    if (d.decision === 'reject') decision = 'reject';
    else {
      if (d.decision === 'approve_with_edits' && !(g.proposal && sameEdits(g.proposal.edits, d.edits))) {
        // A new proposal: what is approved from now on is the outline with these edits.
        g.proposal = { by: d.decider, edits: d.edits ?? [], at };
        g.digest = proposalDigest(g.baseDigest, g.proposal.edits);
        g.votes = g.separateDuties ? [] : [vote];
      } else g.votes.push({ ...vote, decision: 'approve' }); // an approval of what stands now
      if (g.votes.length >= this.need(g)) {
        decision = g.proposal ? 'approve_with_edits' : 'approve';
        edits = g.proposal?.edits;
      }
    }
    if (!decision) {
      this.audit.push({ ...this.auditBase(g, d, at), outcome: 'vote', identity });
      this.publish(g);
      return this.voteOutcome(g, d, vote);
    }
    this.pending = {
      requestId: d.requestId,
      decision,
      decider: d.decider,
      at,
      edits: decision === 'reject' ? undefined : edits,
      reason: d.reason,
      comment: d.comment,
      auto: false,
      identity,
      ...(this.need(g) > 1 || g.separateDuties ? { deciders: this.deciders(g, d) } : {}),
    };
    // Answer once the workflow has acted on the decision, so the caller learns the effect.
    await condition(() => this.appliedIds.has(d.requestId));
    return this.decided.get(d.requestId)!;
  }

  private deciders(g: OpenGate, d: Decision): string[] {
    return d.decision === 'reject' ? [d.decider] : g.votes.map((v) => v.decider);
  }

  private auditBase(
    g: OpenGate,
    d: { decider: string; decision: DecisionValue; comment?: string; reason?: string },
    at: string,
  ) {
    return {
      requestId: g.requestId,
      kind: g.kind,
      decider: d.decider,
      at,
      decision: d.decision,
      comment: d.comment,
      reason: d.reason,
      digest: g.digest,
      auto: false,
    };
  }

  /** Records a refused attempt (claimed identity, reason) and returns the failure for the caller. */
  private refuse(raw: unknown, reason: string, via: 'update' | 'signal'): ApplicationFailure {
    const claimed = raw as { requestId?: unknown; decider?: unknown; decision?: unknown } | null;
    const str = (v: unknown, fallback: string) => (typeof v === 'string' ? v.slice(0, 200) : fallback);
    const decision =
      (['approve', 'approve_with_edits', 'reject'] as const).find((x) => x === claimed?.decision) ?? 'reject';
    this.audit.push({
      requestId: str(claimed?.requestId, this.open?.requestId ?? '(unknown)'),
      kind: this.open?.kind ?? 'research_outline',
      decider: str(claimed?.decider, '(unknown)'),
      at: new Date().toISOString(),
      decision,
      digest: this.open?.digest ?? '',
      auto: false,
      outcome: 'refused',
      refusedReason: reason.slice(0, 500),
      via,
    });
    const refused = this.audit.filter((e) => e.outcome === 'refused');
    if (refused.length > MAX_REFUSED) this.audit.splice(this.audit.indexOf(refused[0]!), 1);
    return ApplicationFailure.create({ type: FailureType.DecisionRefused, message: reason, nonRetryable: true });
  }

  /**
   * The `decide` signal: the update's checks; what is refused is audited, never thrown (a throwing signal handler would
   * fail the workflow task).
   */
  private async onDecideSignal(all: unknown[]): Promise<void> {
    // Runs from before this handler existed left such signals unhandled; they replay that way.
    if (!patched(DECIDE_SIGNAL_PATCH)) return;
    let raw: unknown;
    try {
      raw = singleArg(all, 'decide');
      this.validate(raw);
    } catch (err) {
      this.refuse(raw ?? null, err instanceof Error ? err.message : String(err), 'signal');
      log.info('refused a decide signal', {
        workflowId: workflowInfo().workflowId,
        reason: err instanceof Error ? err.message : String(err),
      });
      return;
    }
    try {
      await this.onDecide(raw as DecisionInput, 'signal');
    } catch (err) {
      // Already audited by refuse(); nobody waits on a signal.
      log.info('refused a decide signal', {
        workflowId: workflowInfo().workflowId,
        reason: err instanceof Error ? err.message : String(err),
      });
    }
  }

  /**
   * Opens a gate and waits until a person decides or the expiry policy does. The caller then acts
   * on the outcome and reports back with {@link ApprovalGate.applied}.
   */
  async wait(req: GateRequest): Promise<GateOutcome> {
    const already = this.decided.get(req.requestId);
    if (already) return already; // continue-as-new or a replayed request: never ask twice
    const now = new Date();
    const g: OpenGate = {
      ...req,
      since: now,
      deadline: new Date(now.getTime() + req.deadlineSeconds * 1000),
      escalated: false,
      remindersSent: 0,
      baseDigest: req.digest,
      votes: [],
    };
    // Announced before it is visible: the local activity's marker lands in the same workflow task
    // as the gate's publication, so nothing is added to history once a person can see the gate.
    if (patched(OPENED_NOTIFICATION_PATCH)) await this.announce(g);
    this.open = g;
    this.publish(g);
    try {
      for (;;) {
        const decided = await condition(
          () => this.pending !== undefined,
          Math.max(1, g.deadline.getTime() - Date.now()),
        );
        if (decided) break;
        const p = req.onExpiry;
        if (p.policy === 'escalate' && !g.escalated) {
          g.escalated = true;
          countGateEscalation(g.kind);
          g.approvers = p.to;
          // Only the new approvers' votes count from now on.
          g.votes = g.votes.filter((v) => p.to.includes(v.decider));
          g.deadline = new Date(g.deadline.getTime() + p.extendSeconds * 1000);
          await this.extend(g, 'escalation');
          const last = g.votes.at(-1);
          if (last && g.votes.length >= this.need(g)) {
            // The approvals kept already meet the (smaller) quorum of the new approvers.
            this.pending = {
              requestId: g.requestId,
              decision: g.proposal ? 'approve_with_edits' : 'approve',
              decider: last.decider,
              at: new Date().toISOString(),
              edits: g.proposal?.edits,
              comment: last.comment,
              auto: false,
              identity: last.identity,
              deciders: g.votes.map((v) => v.decider),
            };
            break;
          }
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
        countGateExpiry(g.kind, p.policy);
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
    } catch (err) {
      // The workflow stopped waiting (its scope was cancelled, e.g. the session was cancelled): the
      // gate closes, so the validator refuses a decision from now on (one accepted now would wait
      // for an effect that never comes, and keep the workflow from ending) and the view says closed.
      this.abandon(g);
      throw err;
    }
    const outcome = this.pending!;
    this.pending = undefined;
    recordDecision(g.kind, outcome.decision, outcome.auto === true, Date.now() - g.since.getTime());
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
      ...(outcome.identity ? { outcome: 'decided' as const, identity: outcome.identity } : {}),
      ...(outcome.deciders ? { deciders: outcome.deciders } : {}),
    });
    this.open = undefined;
    this.publishClosed(g, outcome);
    return outcome;
  }

  /** Publishes a gate whose deadline or approvers just changed, and tells the people on it. */
  private async extend(g: OpenGate, event: 'escalation' | 'reminder'): Promise<void> {
    this.publish(g);
    if (!patched(OUTBOX_PATCH)) {
      await notifyPeople(this.notification(g, event));
      return;
    }
    await this.send(g, event);
  }

  private notification<E extends 'opened' | 'escalation' | 'reminder'>(g: OpenGate, event: E) {
    return {
      event,
      workflowId: workflowInfo().workflowId,
      kind: g.kind,
      subject: g.subject,
      approvers: g.approvers,
      deadline: g.deadline.toISOString(),
      requestId: g.requestId,
    };
  }

  /**
   * `gate.opened` through the outbox, queued by a local activity (a delivery of its own, not a
   * child). A notification that cannot be queued never keeps the gate from opening.
   */
  private async announce(g: OpenGate): Promise<void> {
    const n = this.notification(g, 'opened');
    const input: WebhookDeliveryInput = {
      endpoint: GATE_NOTIFY_ENDPOINT,
      messageId: gateMessageId(n),
      eventType: 'gate.opened',
      payload: n,
    };
    try {
      await queueWebhook(input);
    } catch (err) {
      log.warn('gate.opened notification not queued', {
        workflowId: n.workflowId,
        requestId: g.requestId,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }

  /** Tells the people on a gate through the webhook outbox (decision links are added at send time, never here). */
  private async send(g: OpenGate, event: 'escalation' | 'reminder'): Promise<void> {
    const notification = this.notification(g, event);
    // One message per (workflow, request, event, deadline): the id is stable, so the outbox
    // delivers it once, and receivers de-duplicate on `webhook-id`.
    const messageId = gateMessageId(notification);
    const input: WebhookDeliveryInput = {
      endpoint: GATE_NOTIFY_ENDPOINT,
      messageId,
      eventType: `gate.${event}`,
      payload: notification,
    };
    try {
      // The delivery outlives the gate (ABANDON): a slow receiver never holds the decision up.
      await startChild('webhookDelivery', {
        workflowId: deliveryWorkflowId(GATE_NOTIFY_ENDPOINT, messageId),
        args: [input],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        staticSummary: `gate.${event} for ${notification.workflowId}`,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }

  /**
   * Closes a gate whose wait was given up (cancelled). A decision already cast but not yet taken up
   * stands as decided, with an effect that says nothing was done, so its caller is answered.
   */
  private abandon(g: OpenGate): void {
    const cast = this.pending;
    this.pending = undefined;
    if (this.open === g) this.open = undefined;
    if (cast && !this.decided.has(cast.requestId)) {
      this.decided.set(cast.requestId, {
        ...cast,
        effect: { ok: false, detail: 'not acted on: the workflow stopped waiting for this decision' },
      });
      this.appliedIds.add(cast.requestId);
    }
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
    const need = this.need(g);
    const who = need > 1 ? `${need} of ${g.approvers.join(', ')} (${g.votes.length} so far)` : g.approvers.join(' or ');
    setCurrentDetails(
      `**Waiting for ${who}** to decide on ${g.kind.replace(/_/g, ' ')} \`${g.requestId}\`: ${g.subject}\n\n` +
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
    setCurrentDetails(
      `${g.kind.replace(/_/g, ' ')} \`${g.requestId}\`: **${o.decision}** by ${o.decider} at ${o.at}${o.reason ? ` (${o.reason})` : ''}`,
    );
  }
}
