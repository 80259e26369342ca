/**
 * Partial, tolerant zod schemas for Web Agent responses: only the fields Switchboard uses plus a
 * few obvious ones. Status words stay plain strings so a new platform status does not fail
 * parsing; the constants below document the ones we know. Field names are the wire's (snake_case).
 *
 * Wire shapes are assumptions where the seed shows only the Python SDK surface (see routes.ts);
 * the fields the seed does show (`session.tasks[0]`, `listing.items`, `event.type`/`event.data`,
 * `task["task_id"]`/`["status"]`/`["session_id"]`, `result["results"]["results"]`, `mon["id"]`,
 * `snapshots["items"]`, `artifacts[0]["id"]`) are kept as the seed names them.
 */
import { z } from 'zod';

/** Task statuses (seed: `TaskStatus`). */
export const TASK_STATUSES = ['queued', 'running', 'awaiting_input', 'completed', 'failed', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const TERMINAL_TASK_STATUSES: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);

/** Session statuses (assumption: the seed filters `list(status="running")`; the rest are ours). */
export const SESSION_STATUSES = ['running', 'idle', 'stopping', 'stopped'] as const;

const ts = z.string().nullish();

export const pendingInputRequestSchema = z.object({
  id: z.string(),
  prompt: z.string().nullish(),
  /** SSE id of the `task.input_request` event that opened it. */
  event_id: z.string().nullish(),
});

export const taskSchema = z.object({
  id: z.string(),
  session_id: z.string().nullish(),
  status: z.string(),
  instructions: z.string().nullish(),
  result: z.string().nullish(),
  error: z.string().nullish(),
  pending_input_request: pendingInputRequestSchema.nullish(),
  last_event_id: z.string().nullish(),
  created_at: ts,
  updated_at: ts,
});
export type Task = z.output<typeof taskSchema>;

export const sessionSchema = z.object({
  id: z.string(),
  status: z.string(),
  project_id: z.string().nullish(),
  metadata: z.record(z.unknown()).nullish(),
  tasks: z
    .array(taskSchema)
    .nullish()
    .transform((t) => t ?? []),
  created_at: ts,
  updated_at: ts,
});
export type Session = z.output<typeof sessionSchema>;

/** One page of a `limit` + `cursor` listing. */
export function pageSchema<T extends z.ZodTypeAny>(item: T) {
  return z.object({
    items: z.array(item),
    next_cursor: z.string().nullish(),
    has_more: z.boolean().nullish(),
  });
}
export const sessionPageSchema = pageSchema(sessionSchema);
export type SessionPage = z.output<typeof sessionPageSchema>;

export const messageSchema = z.object({
  id: z.string(),
  task_id: z.string().nullish(),
  content: z.string().nullish(),
  status: z.string().nullish(),
  created_at: ts,
});
export type Message = z.output<typeof messageSchema>;

/** What `intervene` answers: the task after the answer was accepted. */
export const interveneResultSchema = z.object({
  task_id: z.string().nullish(),
  input_request_id: z.string().nullish(),
  status: z.string().nullish(),
  accepted: z.boolean().nullish(),
});
export type InterveneResult = z.output<typeof interveneResultSchema>;

/** The JSON in an SSE `data:` line (the Event dataclass on the wire). */
export const eventPayloadSchema = z.object({
  id: z.union([z.string(), z.number()]).nullish(),
  type: z.string().nullish(),
  task_id: z.string().nullish(),
  session_id: z.string().nullish(),
  created_at: ts,
  data: z.record(z.unknown()).nullish(),
});

/** Known event types on the DoAnything SSE channel. */
export const EVENT_TYPES = [
  'task.started',
  'task.progress',
  'task.message',
  'task.input_request',
  'task.input_answered',
  'task.completed',
  'task.failed',
  'task.cancelled',
  'heartbeat',
] as const;
export const TERMINAL_EVENT_TYPES: ReadonlySet<string> = new Set(['task.completed', 'task.failed', 'task.cancelled']);

// ---- DeepResearch ----

export const deepResearchTaskSchema = z.object({
  task_id: z.string(),
  session_id: z.string(),
  status: z.string(),
  topic: z.string().nullish(),
  depth: z.string().nullish(),
  created_at: ts,
});
export type DeepResearchTask = z.output<typeof deepResearchTaskSchema>;

export const outlineSchema = z.object({
  title: z.string().nullish(),
  sections: z.array(z.unknown()).nullish(),
});
export type Outline = z.output<typeof outlineSchema>;

export const artifactSchema = z.object({
  id: z.string(),
  name: z.string(),
  content_type: z.string().nullish(),
  size_bytes: z.number().nullish(),
  created_at: ts,
});
export type Artifact = z.output<typeof artifactSchema>;

/** The seed indexes `list_artifacts(...)[0]`; accept a bare array or an `{items}` envelope. */
export const artifactListSchema = z
  .union([z.array(artifactSchema), z.object({ items: z.array(artifactSchema) })])
  .transform((v) => (Array.isArray(v) ? v : v.items));

export const artifactContentSchema = artifactSchema.extend({
  /** Inline text content (assumption: artifacts are small text files served inline). */
  content: z.string(),
});
export type ArtifactContent = z.output<typeof artifactContentSchema>;

// ---- WebSearch ----

export const searchHitSchema = z.object({
  title: z.string().nullish(),
  url: z.string(),
  snippet: z.string().nullish(),
  engine: z.string().nullish(),
});
export type SearchHit = z.output<typeof searchHitSchema>;

export const webSearchEnvelopeSchema = z.object({
  task_id: z.string(),
  status: z.string(),
  queries: z.array(z.string()).nullish(),
  /** Present once done: the seed reads `result["results"]["results"]`. */
  results: z
    .object({
      results: z.array(searchHitSchema),
      summary: z.string().nullish(),
    })
    .nullish(),
  error: z.string().nullish(),
  created_at: ts,
  updated_at: ts,
});
export type WebSearchEnvelope = z.output<typeof webSearchEnvelopeSchema>;

// ---- Track ----

export const MONITOR_STATUSES = ['active', 'paused', 'pending_clarification', 'cancelled'] as const;

export const monitorSchema = z.object({
  id: z.string(),
  status: z.string(),
  intent: z.string().nullish(),
  schedule: z.record(z.unknown()).nullish(),
  notify_channel: z.record(z.unknown()).nullish(),
  trigger_dsl: z.unknown().optional(),
  pause_reason: z.string().nullish(),
  pending_request: z.object({ id: z.string(), prompt: z.string().nullish() }).nullish(),
  created_at: ts,
  updated_at: ts,
});
export type Monitor = z.output<typeof monitorSchema>;
export const monitorPageSchema = pageSchema(monitorSchema);
export type MonitorPage = z.output<typeof monitorPageSchema>;

export const snapshotSchema = z.object({
  id: z.string(),
  monitor_id: z.string().nullish(),
  created_at: ts,
  notified: z.boolean().nullish(),
  data: z.unknown().optional(),
});
export type Snapshot = z.output<typeof snapshotSchema>;
export const snapshotListSchema = z.object({
  items: z.array(snapshotSchema),
  next_cursor: z.string().nullish(),
  has_more: z.boolean().nullish(),
});
export type SnapshotList = z.output<typeof snapshotListSchema>;

export const deliverySchema = z.object({
  id: z.string(),
  snapshot_id: z.string().nullish(),
  /** `track.snapshot` or `alignment.input_request` (assumption: the seed names the event, not the row's field). */
  event_type: z.string().nullish(),
  status: z.string(),
  attempts: z.number().nullish(),
  last_error: z.string().nullish(),
  payload: z.unknown().optional(),
  created_at: ts,
});
export type Delivery = z.output<typeof deliverySchema>;
export const deliveryListSchema = z.object({ items: z.array(deliverySchema), next_cursor: z.string().nullish() });
export type DeliveryList = z.output<typeof deliveryListSchema>;

/** What `run_now` returns: the per-tick payload. */
export const tickOutcomeSchema = z.object({
  monitor_id: z.string().nullish(),
  snapshot: snapshotSchema.nullish(),
  notified: z.boolean().nullish(),
  delivery_id: z.string().nullish(),
});
export type TickOutcome = z.output<typeof tickOutcomeSchema>;

/** Acknowledgement of intervene / message on a monitor. */
export const ackSchema = z.object({
  id: z.string().nullish(),
  status: z.string().nullish(),
  accepted: z.boolean().nullish(),
});
export type Ack = z.output<typeof ackSchema>;
