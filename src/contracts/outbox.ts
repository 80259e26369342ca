/**
 * The webhook outbox's shared contract: what a delivery is started with, what a person may send
 * it, what it reports. Workflow-safe (zod and noble only); the client validates with the same
 * schemas the workflow parses its input with.
 *
 * A delivery names an endpoint alias, never a URL or a secret: the worker resolves the alias from
 * its own environment (`SWITCHBOARD_WEBHOOK_<ALIAS>_URL`, `…_SECRET`, see src/config.ts).
 */
import { utf8ToBytes } from '@noble/hashes/utils';
import { z } from 'zod';
import { credentialAlias } from './aliases.js';
import { lazy } from './lazy.js';

/**
 * Seconds to wait before each attempt, like Svix's schedule: immediately, 5 s, 5 min, 30 min, 2 h,
 * 5 h, 10 h, 10 h (eight attempts over about 27.6 hours). Each wait gets ±20 % jitter so a
 * receiver that comes back is not hit by every queued delivery in the same second.
 */
export const DEFAULT_RETRY_SCHEDULE_SECONDS: readonly number[] = [0, 5, 300, 1800, 7200, 18_000, 36_000, 36_000];
/** How long a dead letter stays replayable (from the delivery's start). @default 14 days */
export const DEFAULT_RETENTION_SECONDS = 14 * 86_400;
/** Largest JSON payload a delivery carries (UTF-8 bytes of its JSON). */
export const MAX_PAYLOAD_BYTES = 64 * 1024;
/** Replays one delivery accepts: each writes a few events, and history must stay bounded. */
export const MAX_REPLAYS = 20;
/** Attempts kept in workflow state and shown (the oldest are dropped first). */
export const MAX_ATTEMPTS_KEPT = 40;
/** Longest `Retry-After` honoured: a receiver cannot park a delivery for longer than a day. */
export const MAX_RETRY_AFTER_SECONDS = 86_400;

/** The message id rule: 1-200 characters, letters, digits and `._:@+=/-`, starting with a letter or digit. */
export const MESSAGE_ID_SOURCE = '^[A-Za-z0-9][A-Za-z0-9._:@+=/-]{0,199}$';

/**
 * The endpoint every gate notification (`gate.opened`, `gate.reminder`, `gate.escalation`) goes to.
 * Decision links are attached only to gate messages for this endpoint: anyone who can start
 * workflows can queue a `gate.*` message naming an open gate for any endpoint, and the links it
 * would carry decide as each approver.
 */
export const GATE_NOTIFY_ENDPOINT = 'default';

/** The workflow id of one delivery: one per (endpoint, message id); a second start is refused. */
export const deliveryWorkflowId = (endpoint: string, messageId: string) => `outbox-${endpoint}-${messageId}`;
/**
 * The workflow id of an endpoint's "disabled" marker: open while the endpoint is disabled (after a
 * 410 Gone), closed when a person enables it again. Its own prefix: an alias has no `:` and a
 * delivery id starts with `outbox-`, so the two never collide.
 */
export const endpointMarkerId = (endpoint: string) => `webhook-endpoint-${endpoint}`;

/** A JSON value of at most {@link MAX_PAYLOAD_BYTES}. */
function boundedJson() {
  return z.unknown().superRefine((v, ctx) => {
    let text: string | undefined;
    try {
      text = JSON.stringify(v);
    } catch {
      text = undefined;
    }
    if (text === undefined) return void ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be a JSON value' });
    const bytes = utf8ToBytes(text).length;
    if (bytes > MAX_PAYLOAD_BYTES)
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `is ${bytes} bytes of JSON; at most ${MAX_PAYLOAD_BYTES}` });
  });
}

/** What a `webhookDelivery` is started with. */
export const webhookDeliveryInput = lazy(() =>
  z
    .object({
      /** Endpoint alias (`default` is `SWITCHBOARD_NOTIFY_WEBHOOK` unless `SWITCHBOARD_WEBHOOK_DEFAULT_URL` is set). */
      endpoint: credentialAlias('endpoint must be an alias (1-63 letters, digits, - or _), never a URL').default(
        'default',
      ),
      /** Sent as `webhook-id`; receivers de-duplicate on it. */
      messageId: z
        .string()
        .regex(
          new RegExp(MESSAGE_ID_SOURCE),
          'messageId must be 1-200 letters, digits or ._:@+=/- starting with a letter or digit',
        ),
      /** The message `type`, e.g. `gate.reminder`. */
      eventType: z
        .string()
        .regex(
          /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/,
          'eventType must be 1-100 letters, digits or ._- (e.g. gate.reminder)',
        ),
      payload: boundedJson(),
      /**
       * Seconds before each attempt (the first is usually 0). Bounded: 1-12 waits of at most 10 h.
       * @default {@link DEFAULT_RETRY_SCHEDULE_SECONDS}
       */
      retrySchedule: z.array(z.number().min(0).max(36_000)).min(1).max(12).optional(),
      /** How long a dead letter stays replayable, from the start. @default {@link DEFAULT_RETENTION_SECONDS} */
      retentionSeconds: z
        .number()
        .int()
        .min(1)
        .max(90 * 86_400)
        .optional(),
    })
    .strict(),
);
export type WebhookDeliveryInput = z.input<ReturnType<typeof webhookDeliveryInput>>;
export type WebhookDeliveryParsed = z.output<ReturnType<typeof webhookDeliveryInput>>;

/** The `replay` update's argument. */
export const replayInput = lazy(() =>
  z
    .object({
      /** Who asked (audited in the attempt list). */
      by: z.string().trim().min(1).max(100).optional(),
      /** Run the whole retry schedule again instead of one attempt. @default false */
      fullSchedule: z.boolean().optional(),
    })
    .strict(),
);
export type ReplayInput = z.input<ReturnType<typeof replayInput>>;

/** What an endpoint's marker (`webhookEndpoint`) is started with. */
export const endpointMarkerInput = lazy(() =>
  z.object({ endpoint: credentialAlias(), reason: z.string().max(300) }).strict(),
);
export type EndpointMarkerInput = z.input<ReturnType<typeof endpointMarkerInput>>;

/** The `enable` update's argument (an endpoint marker). */
export const enableInput = lazy(() => z.object({ by: z.string().trim().min(1).max(100).optional() }).strict());

/** `SwitchboardStatus` of a delivery. `dead` stays open for replay until its retention deadline. */
export const DELIVERY_STATUSES = ['delivering', 'retrying', 'delivered', 'dead', 'skipped', 'expired'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** What one attempt came to (returned by the `deliverWebhook` activity). */
export type AttemptOutcome =
  /** 2xx. */
  | { outcome: 'delivered'; status: number }
  /** Any other answer, a timeout or a connection failure: tried again on schedule. */
  | { outcome: 'failed'; status?: number; reason: string; retryAfterSeconds?: number }
  /** 410 Gone: the endpoint is disabled, nothing more is sent to it until it is enabled. */
  | { outcome: 'gone'; status: 410; reason: string }
  /** Not sent, and retrying will not help: a refused target (SSRF guard), an unknown alias. */
  | { outcome: 'refused'; reason: string }
  /** Not sent: the endpoint is disabled. */
  | { outcome: 'disabled'; reason: string }
  /** Not sent: the default endpoint is not configured (the message is logged only). */
  | { outcome: 'unconfigured'; reason: string };

/** One attempt as recorded by the delivery. */
export type AttemptRecord = AttemptOutcome & { n: number; at: string; replayBy?: string };

/** What the `delivery` query and the workflow result show. */
export interface DeliveryView {
  endpoint: string;
  messageId: string;
  eventType: string;
  status: DeliveryStatus;
  attempts: AttemptRecord[];
  /** Attempts made in all, including ones dropped from `attempts`. */
  attemptCount: number;
  nextAttemptAt?: string;
  deadReason?: string;
  /** Until when a dead letter can be replayed. */
  retainUntil: string;
  replays: number;
}

/** The memo a delivery keeps for `switchboard outbox list`. */
export interface DeliveryMemo {
  endpoint: string;
  messageId: string;
  eventType: string;
  attempts: number;
  lastError?: string;
  deadReason?: string;
}

/** What the `deliverWebhook` activity is asked to send. */
export interface DeliveryRequest {
  endpoint: string;
  messageId: string;
  eventType: string;
  payload: unknown;
  /** The message's own time (the delivery's start): the body is the same on every attempt. */
  createdAt: string;
  attempt: number;
}
