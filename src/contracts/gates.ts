/**
 * The approval gate's payloads, shared by every workflow that waits for a person, the client
 * library and the CLI. Workflow-safe: zod only.
 */
import { z } from 'zod';
import { lazy } from './lazy.js';
import { jsonBytes, MAX_OBJECT_BYTES } from './limits.js';

/** What a gate is about: shown as `GateKind` in the Web UI and `switchboard inbox`. */
export const GATE_KINDS = [
  'research_outline',
  'mycel_join',
  'mycel_relationship',
  'session_input',
  'monitor_clarification',
  /** A session platform's own permission request (Mix: grant/deny a tool). */
  'session_permission',
  /** A session platform's own question (Mix: acknowledge, text or choice). */
  'session_question',
] as const;
export type GateKind = (typeof GATE_KINDS)[number];

export const DECISIONS = ['approve', 'approve_with_edits', 'reject'] as const;
export type DecisionValue = (typeof DECISIONS)[number];

/** A person (or an app acting for one): the name approvers are listed by. */
export const deciderName = lazy(() =>
  z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/, 'decider must be a name (letters, digits, . _ @ -)'),
);

/** One edit to an outline: free text (a section to add) or a structured change. */
export const outlineEdit = lazy(() =>
  z.union([
    z.string().trim().min(1).max(2_000),
    z
      .record(z.unknown())
      .refine(
        (v) => jsonBytes(v) <= MAX_OBJECT_BYTES,
        `a structured edit must be at most ${MAX_OBJECT_BYTES} bytes as JSON`,
      ),
  ]),
);

/**
 * Proof of who decided: an Ed25519 signature over {@link decisionStatement} (src/contracts/decisions.ts)
 * by the decider's private key, which never leaves their machine. The worker checks it against the
 * decider's registered public key (`switchboard keys create`); nothing secret enters history.
 */
export const decisionProof = lazy(() =>
  z
    .object({
      alg: z.literal('ed25519'),
      /** When the signature stops being accepted (ISO 8601); at most a day ahead. */
      expiresAt: z.string().datetime({ offset: true }),
      /** Base64 signature (64 bytes). */
      signature: z.string().min(1).max(200),
      /** Fingerprint of the signing key (for the audit; the worker looks the key up by decider). */
      keyId: z.string().max(100).optional(),
    })
    .strict(),
);
export type DecisionProof = z.output<ReturnType<typeof decisionProof>>;

/** A decision as it arrives in the `decide` update (or the `decide` signal). */
export const decisionInput = lazy(() =>
  z
    .object({
      /** The open request this decision answers (see the `gate` query). */
      requestId: z.string().min(1, 'requestId is required').max(500),
      decider: deciderName(),
      decision: z.enum(DECISIONS),
      edits: z.array(outlineEdit()).max(100).optional(),
      reason: z.string().trim().min(1).max(2_000).optional(),
      comment: z.string().max(2_000).optional(),
      /** Digest of what the decider was shown; when given it must match the open gate's. */
      digest: z.string().max(20_000).optional(),
      /** Proof of who decided (required when the deployment requires signed decisions). */
      proof: decisionProof().optional(),
    })
    .strict()
    .superRefine((d, ctx) => {
      if (d.decision === 'approve_with_edits' && !d.edits?.length)
        ctx.addIssue({ code: 'custom', path: ['edits'], message: 'approve_with_edits needs a non-empty edits list' });
      if (d.decision !== 'approve_with_edits' && d.edits?.length)
        ctx.addIssue({
          code: 'custom',
          path: ['edits'],
          message: `edits only go with approve_with_edits, not ${d.decision}`,
        });
      if (d.decision === 'reject' && !d.reason)
        ctx.addIssue({ code: 'custom', path: ['reason'], message: 'reject needs a reason' });
    }),
);
export type DecisionInput = z.input<ReturnType<typeof decisionInput>>;

/** What happens when nobody decides before the deadline. */
export const expiryPolicy = lazy(() =>
  z.discriminatedUnion('policy', [
    z.object({ policy: z.literal('reject') }).strict(),
    z.object({ policy: z.literal('approve') }).strict(),
    z
      .object({
        policy: z.literal('escalate'),
        /** Who decides after the first deadline (they replace the first approvers). */
        to: z.array(deciderName()).min(1),
        /** The new deadline, counted from the first one. @default 86400 */
        extendSeconds: z
          .number()
          .int()
          .positive()
          .max(90 * 86_400)
          .default(86_400),
      })
      .strict(),
    z
      .object({
        policy: z.literal('wait'),
        /** A reminder goes out at the deadline and then this often. @default 3600 */
        remindEverySeconds: z
          .number()
          .int()
          .positive()
          .max(30 * 86_400)
          .default(3_600),
      })
      .strict(),
  ]),
);
export type ExpiryPolicy = z.output<ReturnType<typeof expiryPolicy>>;
export type ExpiryPolicyInput = z.input<ReturnType<typeof expiryPolicy>>;

/** Common gate settings every approval workflow takes. */
export const gateSettings = lazy(() => ({
  /** Names allowed to decide. */
  approvers: z.array(deciderName()).min(1, 'at least one approver is required').max(50),
  /** Seconds until the expiry policy applies. @default 86400 (24 h) */
  deadlineSeconds: z
    .number()
    .int()
    .positive()
    .max(90 * 86_400)
    .default(86_400),
  onExpiry: expiryPolicy().default({ policy: 'reject' }),
  /** How many distinct approvers must approve (N of the M approvers); one reject decides. @default 1 */
  quorum: z.number().int().min(1).max(50).default(1),
  /** Separation of duties: whoever proposes edits (approve with edits) cannot approve them. @default false */
  separateDuties: z.boolean().default(false),
}));

/** A zod refinement for inputs with gate settings: a quorum no larger than the approver list. */
export function quorumFits(v: { approvers?: string[]; quorum?: number }, ctx: z.RefinementCtx): void {
  if (v.approvers && v.quorum !== undefined && v.quorum > v.approvers.length)
    ctx.addIssue({
      code: 'custom',
      path: ['quorum'],
      message: `quorum ${v.quorum} is more than the ${v.approvers.length} approver(s)`,
    });
}

/**
 * Whether the decider was proven: `verified` (a signature the worker checked against the decider's
 * registered key) or `unverified` (a typed name, accepted where the deployment does not require
 * proof).
 */
export type DeciderIdentity = 'verified' | 'unverified';

/** The decision that stands, as returned to the decider. */
export interface GateOutcome {
  requestId: string;
  decision: DecisionValue;
  decider: string;
  at: string;
  edits?: unknown[];
  reason?: string;
  comment?: string;
  /** Made by the expiry policy, not a person. */
  auto: boolean;
  /** Whether `decider` was proven (absent on decisions recorded before proofs existed). */
  identity?: DeciderIdentity;
  /** With a quorum: everyone whose approval counted (`decider` cast the last one). */
  deciders?: string[];
  /** A vote that did not decide yet: the gate stays open until `have` reaches `need`. */
  vote?: { have: number; need: number };
  /** What acting on the decision did on the platform (filled once it has run). */
  effect?: { ok: boolean; detail?: string };
}

/** One audit row per decision: who, when, what, and a digest of what they were shown. */
export interface AuditEntry {
  requestId: string;
  kind: GateKind;
  decider: string;
  at: string;
  decision: DecisionValue;
  comment?: string;
  reason?: string;
  digest: string;
  auto: boolean;
  /**
   * `decided` (the decision that stands), `vote` (one vote toward a quorum) or `refused` (an attempt that was not
   * accepted). Absent: decided.
   */
  outcome?: 'decided' | 'vote' | 'refused';
  identity?: DeciderIdentity;
  deciders?: string[];
  /** Why an attempt was refused (the claimed identity is `decider`). */
  refusedReason?: string;
  /** How the attempt arrived. */
  via?: 'update' | 'signal';
}

/** The open gate, as the `gate` query shows it. */
export interface GateView {
  open: boolean;
  requestId?: string;
  kind?: GateKind;
  subject?: string;
  approvers?: string[];
  since?: string;
  deadline?: string;
  digest?: string;
  /** What the decider is asked about (an outline, a join request, …). */
  shown?: unknown;
  allowed?: DecisionValue[];
  escalated?: boolean;
  remindersSent?: number;
  /** Approvals needed and cast so far (for the current proposal, when edits were proposed). */
  quorum?: {
    need: number;
    votes: { decider: string; decision: DecisionValue; identity: DeciderIdentity; at: string }[];
  };
  /** Edits proposed by an approver, waiting for the quorum (the digest then covers them too). */
  proposal?: { by: string; edits: unknown[]; at: string };
  separateDuties?: boolean;
  /**
   * The workflow's run chain (first run id): signed proofs name it, so they cannot be replayed on a later run with the
   * same id.
   */
  chain?: string;
  /** Every decision taken so far (latest last). */
  decided: GateOutcome[];
}

/** Memo written while a gate is open: what `switchboard inbox` shows without scanning. */
export interface GateMemo {
  kind: GateKind;
  subject: string;
  approvers: string[];
  since: string;
  deadline: string;
  requestId: string;
}
