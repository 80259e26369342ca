/**
 * Partial, tolerant zod schemas for the ArchAstro responses Switchboard reads. Only the fields we
 * use plus a few obvious ones; `.nullish()` where the platform may omit or null a field. Unknown
 * fields are dropped (not an error), so a platform that adds fields never breaks us.
 * Shapes come from the published SDKs (types/common.d.ts, types/common.py); assumptions are listed in `./wire.ts`.
 */
import { z } from 'zod';

const metadata = z.record(z.unknown()).nullish();

/** One inbox message: sdk `id, role, content, sender_id, sender_type, sent_at, metadata`. */
export const inboxMessageSchema = z.object({
  id: z.string().nullish(),
  role: z.string().nullish(),
  content: z.string().nullish(),
  metadata,
  sent_at: z.string().nullish(),
});
export type ArchAstroInboxMessage = z.output<typeof inboxMessageSchema>;

/** One harness event of a session (sdk archastro-sdk@0.11.0 `AgentSessionEvent`); every field optional there. */
export const sessionEventSchema = z.object({
  id: z.string(),
  event: z.string().nullish(),
  harness: z.string().nullish(),
  occurred_at: z.string().nullish(),
  payload: z.record(z.unknown()).nullish(),
});
export type ArchAstroSessionEvent = z.output<typeof sessionEventSchema>;
export const sessionEventListSchema = z.array(sessionEventSchema);

/** The SDKs type results as objects; a bare string from an older server is kept too. */
const resultValue = z.union([z.record(z.unknown()), z.string()]).nullish();

/** An agent session (`ase_…`). `status` is kept as a string: an unknown new status must not fail parsing. */
export const sessionSchema = z.object({
  id: z.string(),
  /** Optional in the SDK; an unknown new status must not fail parsing. */
  status: z
    .string()
    .nullish()
    .transform((v) => v ?? 'pending'),
  agent: z.string().nullish(),
  name: z.string().nullish(),
  instructions: z.string().nullish(),
  metadata,
  routine_run: z.string().nullish(),
  max_turns: z.number().nullish(),
  max_tokens: z.number().nullish(),
  max_runs_per_turn: z.number().nullish(),
  inbox: z.array(inboxMessageSchema).nullish(),
  /** The id (`trj_…`) of the session's Trajectory; null until the session starts. */
  trajectory: z.string().nullish(),
  result: resultValue,
  error: z.string().nullish(),
  created_at: z.string().nullish(),
  started_at: z.string().nullish(),
  completed_at: z.string().nullish(),
  updated_at: z.string().nullish(),
});
export type ArchAstroSession = z.output<typeof sessionSchema>;

export const sessionListSchema = z.object({ data: z.array(sessionSchema) });
export type ArchAstroSessionList = z.output<typeof sessionListSchema>;

/** A routine (`arn_…`). */
export const routineSchema = z.object({
  id: z.string(),
  status: z.string().nullish(),
  name: z.string().nullish(),
  description: z.string().nullish(),
  lookup_key: z.string().nullish(),
  agent: z.string().nullish(),
  event_type: z.string().nullish(),
  handler_type: z.string().nullish(),
  preset_name: z.string().nullish(),
  preset_config: z.record(z.unknown()).nullish(),
  schedule: z.string().nullish(),
  metadata,
  updated_at: z.string().nullish(),
});
export type ArchAstroRoutine = z.output<typeof routineSchema>;

export const routineListSchema = z.object({ data: z.array(routineSchema) });

/** A routine preset. */
export const presetSchema = z.object({
  name: z.string(),
  display_name: z.string().nullish(),
  description: z.string().nullish(),
  config_schema: z.record(z.unknown()).nullish(),
});
export type ArchAstroPreset = z.output<typeof presetSchema>;

/** The seed says "Array of" presets; accept a `{data}` wrapper too and hand back the array. */
export const presetListSchema = z.union([z.array(presetSchema), z.object({ data: z.array(presetSchema) })]).transform((v) => (Array.isArray(v) ? v : v.data));

/** A routine run (`arr_…`). */
export const runSchema = z.object({
  id: z.string(),
  status: z.string(),
  routine: z.string().nullish(),
  agent_session: z.string().nullish(),
  idempotency_key: z.string().nullish(),
  payload: z.record(z.unknown()).nullish(),
  metadata,
  result: z.string().nullish(),
  structured_response: z.unknown().optional(),
  error: z.string().nullish(),
  duration_ms: z.number().nullish(),
  created_at: z.string().nullish(),
  completed_at: z.string().nullish(),
});
export type ArchAstroRun = z.output<typeof runSchema>;

/** One page of runs, `{data, before_cursor, after_cursor}` (sdk @archastro/sdk@0.19.0 types/common.d.ts). */
export const runPageSchema = z.object({
  data: z.array(runSchema),
  before_cursor: z.string().nullish(),
  after_cursor: z.string().nullish(),
});
export type ArchAstroRunPage = z.output<typeof runPageSchema>;
