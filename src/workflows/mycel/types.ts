/**
 * Inputs, states and results of the Mycel approval workflows (`joinRequest`,
 * `relationshipRequest`, `mycelInbox`), shared with the client. Workflow-safe: zod only.
 *
 * Deciders are credential aliases: approving on Mycel acts with the decider's own bearer token
 * (`MYCEL_TOKEN_<ALIAS>` in the worker's environment), so the platform records who approved.
 */
import { z } from 'zod';
import {
  type AuditEntry,
  type ExpiryPolicy,
  gateSettings,
  type GateOutcome,
  quorumFits,
} from '../../contracts/gates.js';
import { credentialAlias, isAlias } from '../../contracts/aliases.js';
import { lazy } from '../../contracts/lazy.js';

/** A credential alias (same rule as `aliasSchema` in src/config.ts): a name, never a token. */
export const mycelAlias = lazy(() =>
  credentialAlias('must be a credential alias (letters, digits, - or _), never a token'),
);

/** A platform id (chat, join request, relationship, user). */
const platformId = z.string().trim().min(1).max(200);

/**
 * Every name that may decide must also be a credential alias, since the workflow acts on the
 * platform with that alias's token (approvers, and escalation targets who replace them).
 */
function decidersAreAliases(
  v: { approvers?: string[]; onExpiry?: ExpiryPolicy; quorum?: number },
  ctx: z.RefinementCtx,
): void {
  quorumFits(v, ctx);
  (v.approvers ?? []).forEach((a, i) => {
    if (!isAlias(a))
      ctx.addIssue({
        code: 'custom',
        path: ['approvers', i],
        message: `approver ${a} must be a Mycel credential alias (letters, digits, - or _)`,
      });
  });
  if (v.onExpiry?.policy === 'escalate') {
    v.onExpiry.to.forEach((a, i) => {
      if (!isAlias(a))
        ctx.addIssue({
          code: 'custom',
          path: ['onExpiry', 'to', i],
          message: `escalation target ${a} must be a Mycel credential alias`,
        });
    });
  }
}

/** Event types of the notification frames the inbox acts on. */
export const JOIN_REQUEST_EVENT = 'chat.join_request';
export const RELATIONSHIP_REQUEST_EVENT = 'relationship.request';

// ---- joinRequest ------------------------------------------------------------------------------

export const joinRequestInput = lazy(() =>
  z
    .object({
      /** The group chat to join. */
      chatId: platformId,
      /** The platform's join request id. Absent: the workflow first asks to join as `visitorAlias`. */
      requestId: platformId.optional(),
      /** Visitor side: the alias that asks to join (required when `requestId` is absent). */
      visitorAlias: mycelAlias().optional(),
      /** The visitor's note to the owner (sent with the request; shown to the deciders). */
      message: z.string().max(2_000).optional(),
      /** User id of the requester, when known (the inbox passes the notification's sender). */
      requester: platformId.optional(),
      /** Owner alias used to look the request up when `requester`/`message` are not given. @default approvers[0] */
      ownerAlias: mycelAlias().optional(),
      /** After an approval, post this into the chat as `alias` (read first, `enforce_caught_up`). */
      postMessage: z
        .object({ alias: mycelAlias(), text: z.string().trim().min(1).max(10_000) })
        .strict()
        .optional(),
      ...gateSettings(),
    })
    .strict()
    .superRefine((v, ctx) => {
      if (!v.requestId && !v.visitorAlias) {
        ctx.addIssue({
          code: 'custom',
          path: ['visitorAlias'],
          message: 'visitorAlias is required when requestId is absent (the workflow asks to join as the visitor)',
        });
      }
      decidersAreAliases(v, ctx);
    }),
);
export type JoinRequestInput = z.input<ReturnType<typeof joinRequestInput>>;

export const JOIN_STATUSES = [
  'requesting',
  'awaiting_approval',
  'approving',
  'posting',
  'approved',
  'rejected',
  'failed',
  'cancelled',
] as const;
export type JoinStatus = (typeof JOIN_STATUSES)[number];

export interface JoinRequestState {
  status: JoinStatus;
  chatId: string;
  requestId?: string;
  requester?: string;
  message?: string;
  /** Who decided (an alias, or `switchboard:expiry`). */
  decider?: string;
  /** The alias whose token approved on the platform. */
  actingAlias?: string;
  /** The optional post after approval. */
  posted?: { ok: boolean; messageId?: string; tries?: number; error?: string };
  /** Why acting on the decision failed (status `failed`). */
  error?: string;
  /** Visitor side: the approval workflow that holds this request's gate (`mycel-join-<chat>-<request>`). */
  gateWorkflowId?: string;
}

export interface JoinRequestResult extends JoinRequestState {
  decisions: GateOutcome[];
  audit: AuditEntry[];
}

// ---- relationshipRequest ----------------------------------------------------------------------

export const relationshipRequestInput = lazy(() =>
  z
    .object({
      /** The platform's relationship id. Absent: the workflow first requests as `requesterAlias`. */
      relationshipId: platformId.optional(),
      /** Requester side: the alias that asks (required when `relationshipId` is absent). */
      requesterAlias: mycelAlias().optional(),
      /** The user asked (required when `relationshipId` is absent; shown to deciders otherwise). */
      targetUserId: platformId.optional(),
      /** User id of the requester, when known (the inbox passes the notification's sender). */
      requester: platformId.optional(),
      ...gateSettings(),
    })
    .strict()
    .superRefine((v, ctx) => {
      if (!v.relationshipId) {
        if (!v.requesterAlias)
          ctx.addIssue({
            code: 'custom',
            path: ['requesterAlias'],
            message: 'requesterAlias is required when relationshipId is absent',
          });
        if (!v.targetUserId)
          ctx.addIssue({
            code: 'custom',
            path: ['targetUserId'],
            message: 'targetUserId is required when relationshipId is absent',
          });
      }
      decidersAreAliases(v, ctx);
    }),
);
export type RelationshipRequestInput = z.input<ReturnType<typeof relationshipRequestInput>>;

export const RELATIONSHIP_STATUSES = [
  'requesting',
  'awaiting_approval',
  'approving',
  'approved',
  'rejected',
  'failed',
  'cancelled',
] as const;
export type RelationshipStatus = (typeof RELATIONSHIP_STATUSES)[number];

export interface RelationshipRequestState {
  status: RelationshipStatus;
  relationshipId?: string;
  requester?: string;
  targetUserId?: string;
  decider?: string;
  actingAlias?: string;
  /** Relationship state on the platform after approval (`visit`). */
  platformState?: string;
  error?: string;
  /** Requester side: the approval workflow that holds this request's gate (`mycel-rel-<relationship>`). */
  gateWorkflowId?: string;
}

export interface RelationshipRequestResult extends RelationshipRequestState {
  decisions: GateOutcome[];
  audit: AuditEntry[];
}

// ---- mycelInbox -------------------------------------------------------------------------------

const counts = z.object({ join: z.number().int().min(0), relationship: z.number().int().min(0) }).strict();

export const mycelInboxInput = lazy(() =>
  z
    .object({
      /** The identity whose notifications are read (one inbox per identity). */
      alias: mycelAlias(),
      /** Aliases acting for this identity; the default approvers. @default [alias] */
      ownerAliases: z.array(mycelAlias()).min(1).max(50).optional(),
      /** Who decides the requests this inbox finds. @default ownerAliases */
      approvers: gateSettings().approvers.optional(),
      deadlineSeconds: gateSettings().deadlineSeconds,
      onExpiry: gateSettings().onExpiry,
      quorum: gateSettings().quorum,
      separateDuties: gateSettings().separateDuties,
      /** Notifications with a greater `seq` are read. Durable: carried over continue-as-new. @default 0 */
      sinceSeq: z.number().int().min(0).default(0),
      /** Reads per run before continuing as new. @default 100 */
      maxLoops: z.number().int().min(1).max(10_000).default(100),
      /** How long one read may wait for notifications. @default 30000 */
      pollMaxMs: z.number().int().min(100).max(300_000).default(30_000),
      /** Set by the workflow itself when it continues as new. */
      carry: z
        .object({
          me: z.string().optional(),
          generation: z.number().int().min(0),
          started: counts,
          alreadyStarted: counts,
          gaps: z.number().int().min(0),
          recent: z.array(z.string()).max(20),
        })
        .strict()
        .optional(),
    })
    .strict()
    .superRefine(decidersAreAliases),
);
export type MycelInboxInput = z.input<ReturnType<typeof mycelInboxInput>>;

export interface MycelInboxState {
  alias: string;
  /** The user id behind `alias`. */
  me?: string;
  /** Highest notification `seq` fully handled. */
  sinceSeq: number;
  /** How many times this inbox continued as new. */
  generation: number;
  /** Reads in the current run. */
  loops: number;
  /** Child workflows this inbox started. */
  started: { join: number; relationship: number };
  /** Requests whose child already existed (a replayed notification): not started again. */
  alreadyStarted: { join: number; relationship: number };
  /** Replay gaps the platform reported (frames it no longer held). */
  gaps: number;
  /** The latest child workflow ids (at most 20). */
  recent: string[];
}

/** Deterministic child ids: one workflow per platform request, ever. */
export const joinWorkflowId = (chatId: string, requestId: string) => `mycel-join-${chatId}-${requestId}`;
export const relationshipWorkflowId = (relationshipId: string) => `mycel-rel-${relationshipId}`;
