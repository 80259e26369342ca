/**
 * Track monitor contracts: the `trackMonitor` workflow's start input, its update arguments and
 * outcomes, its state and its continue-as-new carry. Shared by the workflow, the client library and
 * the CLI. Workflow-safe: zod only.
 */
import { z } from 'zod';
import { credentialAlias } from './aliases.js';
import { type AuditEntry, gateSettings, type GateOutcome, quorumFits } from './gates.js';
import { lazy } from './lazy.js';
import { privateCallbackReason } from './addresses.js';

/** The monitor's lifecycle as the platform reports it (seed: Track), plus our own start and end. */
export const MONITOR_STATUSES = [
  'creating',
  'active',
  'paused',
  'pending_clarification',
  'cancelled',
  'failed',
] as const;
export type MonitorStatus = (typeof MONITOR_STATUSES)[number];

/** Conditions of the trigger DSL the seed shows (`{"op": "lt", "field": "price", "value": 999}`). */
export const TRIGGER_OPS = ['lt', 'gt', 'eq', 'changed', 'contains'] as const;

/** The trigger DSL: one condition on one field of a snapshot. */
export const triggerDsl = lazy(() =>
  z
    .object({
      op: z.enum(TRIGGER_OPS),
      field: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_.]{0,99}$/, 'field must be a field name (letters, digits, _ and .)'),
      value: z.union([z.number().finite(), z.string().max(1_000), z.boolean()]).optional(),
    })
    .strict()
    .superRefine((d, ctx) => {
      if (d.op !== 'changed' && d.value === undefined)
        ctx.addIssue({ code: 'custom', path: ['value'], message: `${d.op} needs a value` });
      if ((d.op === 'lt' || d.op === 'gt') && typeof d.value !== 'number')
        ctx.addIssue({ code: 'custom', path: ['value'], message: `${d.op} compares numbers` });
    }),
);
export type TriggerDsl = z.output<ReturnType<typeof triggerDsl>>;

/** Five or six cron fields of the usual characters (the platform owns the schedule; this refuses nonsense early). */
const CRON = /^(\S+\s+){4,5}\S+$/;
const CRON_FIELD = /^[0-9*/,\-A-Za-z?LW#]+$/;

/** The monitor's schedule on the platform (seed: cron / interval / event). */
export const monitorSchedule = lazy(() =>
  z.discriminatedUnion('kind', [
    z
      .object({
        kind: z.literal('cron'),
        expression: z
          .string()
          .trim()
          .max(100)
          .refine(
            (e) => CRON.test(e) && e.split(/\s+/).every((f) => CRON_FIELD.test(f)),
            'expression must be a cron expression (5 or 6 fields)',
          ),
        timezone: z.string().max(64).optional(),
      })
      .strict(),
    z
      .object({
        kind: z.literal('interval'),
        /** Seconds between ticks: at least a minute, at most 30 days. */
        every_seconds: z
          .number()
          .int()
          .min(60, 'every_seconds must be at least 60')
          .max(30 * 86_400),
      })
      .strict(),
    z.object({ kind: z.literal('event'), event: z.string().min(1).max(200).optional() }).strict(),
  ]),
);
export type MonitorSchedule = z.output<ReturnType<typeof monitorSchedule>>;

/** Where the platform sends its notifications (seed: `{"kind": "callback_url", "url": …}`). */
export const notifyChannel = lazy(() =>
  z
    .object({
      kind: z.literal('callback_url'),
      url: z
        .string()
        .max(2_000)
        .url()
        .refine((u) => /^https?:\/\//i.test(u), 'url must be http(s)')
        .superRefine((u, ctx) => {
          const why = privateCallbackReason(u);
          if (why) ctx.addIssue({ code: 'custom', message: `url must not point at a private address: ${why}` });
        }),
    })
    .strict(),
);

/** Seconds between two polls of the monitor's state and newest snapshot. @default 300 */
const pollSeconds = () => z.number().int().min(1).max(86_400).default(300);

export const trackMonitorInput = lazy(() =>
  z
    .object({
      intent: z.string().trim().min(3, 'intent must be at least 3 characters').max(2_000),
      schedule: monitorSchedule(),
      notifyChannel: notifyChannel(),
      triggerDsl: triggerDsl().optional(),
      /** How often the workflow reads the monitor's state and newest snapshot. */
      pollSeconds: pollSeconds(),
      /**
       * Retry policy for the platform's dead deliveries: each dead row is retried (`retry_delivery`)
       * up to this many times by the workflow, then left to a person (`retryDelivery`). @default 0
       */
      retryDeadDeliveries: z.number().int().min(0).max(10).default(0),
      credentialAlias: credentialAlias('credentialAlias must be an alias, never a key').default('default'),
      /** Who answers alignment questions (the gate's approvers, deadline and expiry policy). */
      ...gateSettings(),
    })
    .strict()
    .superRefine(quorumFits),
);
export type TrackMonitorInput = z.input<ReturnType<typeof trackMonitorInput>>;
export type TrackMonitorInputParsed = z.output<ReturnType<typeof trackMonitorInput>>;

// ---- update arguments (validated in the validators and again in the client) ----

export const pauseMonitorArgs = lazy(() => z.object({ reason: z.string().trim().min(1).max(500).optional() }).strict());
export const resumeMonitorArgs = lazy(() => z.object({}).strict());
export const refineMonitorArgs = lazy(() => z.object({ triggerDsl: triggerDsl() }).strict());
export const runNowArgs = lazy(() => z.object({}).strict());
export const monitorMessageArgs = lazy(() =>
  z.object({ content: z.string().trim().min(1, 'content is required').max(4_000) }).strict(),
);
export const cancelMonitorArgs = lazy(() =>
  z.object({ reason: z.string().trim().min(1).max(500).optional() }).strict(),
);

/** A platform delivery id (`dlv_…`). */
const deliveryId = () => z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'deliveryId must be a platform delivery id');
export const DELIVERY_STATUSES = ['pending', 'delivered', 'dead'] as const;
export const listDeliveriesArgs = lazy(() =>
  z
    .object({
      status: z.enum(DELIVERY_STATUSES).optional(),
      limit: z.number().int().min(1).max(MAX_DELIVERY_ROWS).optional(),
    })
    .strict(),
);
export const retryDeliveryArgs = lazy(() => z.object({ deliveryId: deliveryId() }).strict());
export type ListDeliveriesArgs = z.input<ReturnType<typeof listDeliveriesArgs>>;
export type RetryDeliveryArgs = z.input<ReturnType<typeof retryDeliveryArgs>>;

export type PauseMonitorArgs = z.input<ReturnType<typeof pauseMonitorArgs>>;
export type RefineMonitorArgs = z.input<ReturnType<typeof refineMonitorArgs>>;
export type MonitorMessageArgs = z.input<ReturnType<typeof monitorMessageArgs>>;
export type CancelMonitorArgs = z.input<ReturnType<typeof cancelMonitorArgs>>;

/** What a monitor update answers. */
export interface MonitorUpdateOutcome {
  ok: boolean;
  status: MonitorStatus;
  detail?: string;
  /** `runNow`: the snapshot the tick produced. */
  snapshotId?: string;
  notified?: boolean;
  /** `runNow` while a clarification waits on a person: not run, counted in `skippedRuns`. */
  skipped?: boolean;
  /** `deliveries`: the platform's outbox rows, newest first. */
  deliveries?: DeliveryRow[];
  /** `retryDelivery`: the row after the retry. */
  delivery?: DeliveryRow;
}

/** Rows a `deliveries` listing answers at most (one platform page). */
export const MAX_DELIVERY_ROWS = 50;

/** One platform delivery (the monitor's webhook outbox row; no payload). */
export interface DeliveryRow {
  id: string;
  status: string;
  attempts: number;
  snapshotId?: string;
  eventType?: string;
  lastError?: string;
  createdAt?: string;
}

/** The platform's outbox as the last sync counted it (newest page). */
export interface DeliverySummary {
  /** Rows on the newest page, by status. */
  delivered: number;
  pending: number;
  dead: number;
  /** Dead rows on that page (at most {@link MAX_DEAD_LISTED}), for the retry policy and people. */
  deadRows: { id: string; attempts: number }[];
  checkedAt?: string;
}
export const MAX_DEAD_LISTED = 10;

/** A stored snapshot: the platform id and where its data went in the artifact store. */
export interface SnapshotRef {
  id: string;
  at?: string;
  /** Artifact store URI of the snapshot's JSON. */
  ref?: string;
  sha256?: string;
}

/** The change between two consecutive snapshots (bounded: field names and a short summary). */
export interface SnapshotChange {
  fromSnapshotId?: string;
  toSnapshotId: string;
  at?: string;
  /** Changed fields (dotted paths, at most {@link MAX_CHANGE_FIELDS}); empty: nothing changed. */
  fields: string[];
  /** e.g. `price 1049 → 1019` (at most 500 characters). */
  summary: string;
  /** Artifact store URI of the change rows (`changes.jsonl`; full values). */
  ref?: string;
}
export const MAX_CHANGE_FIELDS = 20;

/** What one sync read: the monitor, the snapshots new since the last one stored, the outbox. */
export interface MonitorSync extends MonitorView {
  /** Snapshots stored this time (oldest first they were compared). */
  newSnapshots: number;
  latest?: SnapshotRef;
  change?: SnapshotChange;
  deliveries: DeliverySummary;
}

/** A retry of a dead delivery, by policy or by a person. */
export interface DeliveryRetry {
  deliveryId: string;
  by: string;
  at: string;
  status: string;
}

/** An alignment question the platform asked (`pending_clarification`). */
export interface PendingAlignment {
  id: string;
  prompt?: string;
  /** SHA-256 (hex) of what the approvers are shown (id and prompt); the gate binds decisions to it. */
  digest?: string;
}

/** The platform monitor as the activities hand it to the workflow (bounded). */
export interface MonitorView {
  monitorId: string;
  status: string;
  pauseReason?: string;
  pendingRequest?: PendingAlignment;
}

/** What one poll read: the monitor and its newest snapshot. */
export interface MonitorPoll extends MonitorView {
  latestSnapshotId?: string;
  latestSnapshotAt?: string;
}

/** The workflow's state (the `monitorState` query; bounded). */
export interface TrackMonitorState {
  status: MonitorStatus;
  monitorId?: string;
  intent: string;
  pauseReason?: string;
  pendingRequest?: PendingAlignment;
  /** The newest snapshot seen (only its id is kept; the platform holds the history). */
  lastSnapshotId?: string;
  lastSnapshotAt?: string;
  /** Snapshots seen since the monitor was created (over every run of the chain). */
  snapshotsSeen: number;
  polls: number;
  lastPolledAt?: string;
  /** Alignment requests answered with `intervene` (newest last, at most {@link MAX_ANSWERED}). */
  answered: string[];
  opSeq: number;
  /** The newest snapshot stored in the artifact store (the sync's cursor). */
  lastStored?: SnapshotRef;
  /** The change between the two newest consecutive snapshots. */
  lastChange?: SnapshotChange;
  /** When the data last changed (the newest change with changed fields; platform time). */
  lastChangedAt?: string;
  /** The platform's outbox as the last sync saw it. */
  deliveries?: DeliverySummary;
  /** Retries of dead deliveries (newest last, at most {@link MAX_ANSWERED}). */
  retries?: DeliveryRetry[];
  /** `runNow` requests skipped while a clarification waited on a person. */
  skippedRuns?: number;
  /** Polls that did not run while a clarification waited on a person. */
  skippedPolls?: number;
}

/** Answered request ids and gate decisions kept across continue-as-new. */
export const MAX_ANSWERED = 50;

export interface TrackMonitorResult extends TrackMonitorState {
  decisions: GateOutcome[];
  audit: AuditEntry[];
  error?: string;
}

/** What survives continue-as-new: the state and the gate's decisions and audit (both bounded). */
export interface CarriedMonitor {
  state: TrackMonitorState;
  gate: { decided: GateOutcome[]; audit: AuditEntry[] };
}

/** The carry's shape, checked in the continued run (it comes only from a run this workflow continued). */
export const carriedMonitor = lazy(() => {
  const id = z.string().min(1).max(1_000);
  return z.object({
    state: z.object({
      status: z.enum(MONITOR_STATUSES),
      monitorId: id.optional(),
      intent: z.string().max(2_000),
      pauseReason: z.string().max(1_000).optional(),
      pendingRequest: z
        .object({ id, prompt: z.string().max(10_000).optional(), digest: z.string().max(200).optional() })
        .optional(),
      lastSnapshotId: id.optional(),
      lastSnapshotAt: z.string().max(100).optional(),
      snapshotsSeen: z.number().int().min(0),
      polls: z.number().int().min(0),
      lastPolledAt: z.string().max(100).optional(),
      answered: z.array(id).max(MAX_ANSWERED),
      opSeq: z.number().int().min(0),
      lastStored: z
        .object({
          id,
          at: z.string().max(100).optional(),
          ref: z.string().max(4_000).optional(),
          sha256: z.string().max(100).optional(),
        })
        .optional(),
      lastChange: z
        .object({
          fromSnapshotId: id.optional(),
          toSnapshotId: id,
          at: z.string().max(100).optional(),
          fields: z.array(z.string().max(200)).max(MAX_CHANGE_FIELDS),
          summary: z.string().max(500),
          ref: z.string().max(4_000).optional(),
        })
        .optional(),
      deliveries: z
        .object({
          delivered: z.number().int().min(0),
          pending: z.number().int().min(0),
          dead: z.number().int().min(0),
          deadRows: z.array(z.object({ id, attempts: z.number().int().min(0) })).max(MAX_DEAD_LISTED),
          checkedAt: z.string().max(100).optional(),
        })
        .optional(),
      retries: z
        .array(
          z.object({ deliveryId: id, by: z.string().max(200), at: z.string().max(100), status: z.string().max(100) }),
        )
        .max(MAX_ANSWERED)
        .optional(),
      lastChangedAt: z.string().max(100).optional(),
      skippedRuns: z.number().int().min(0).optional(),
      skippedPolls: z.number().int().min(0).optional(),
    }),
    gate: z.object({
      decided: z.array(z.object({ requestId: id }).passthrough()).max(MAX_ANSWERED),
      audit: z.array(z.object({ requestId: id }).passthrough()).max(MAX_ANSWERED * 4),
    }),
  });
});

/** The workflow id for a business key: `monitor-<key>`. */
export function monitorWorkflowId(key: string): string {
  return `monitor-${key}`;
}

/** A monitor's business key (letters, digits, `-`, `_`, `.`). */
export const monitorKey = lazy(() =>
  z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'key must be 1-100 letters, digits, . _ or -'),
);
