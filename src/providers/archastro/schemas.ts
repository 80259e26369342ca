/**
 * Partial, tolerant zod schemas for the ArchAstro responses Switchboard reads. Only the fields we
 * use plus a few obvious ones; `.nullish()` where the platform may omit or null a field. Unknown
 * fields are dropped (not an error), so a platform that adds fields never breaks us.
 * Shapes come from the published SDKs (types/common.d.ts, types/common.py); assumptions are listed in `./wire.ts`.
 */
import { z } from 'zod';
import { HANDLER_TYPES, PRESET_SESSION_MODES, PRESET_SESSION_SCOPES } from './wire.js';

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

/**
 * A preset's runtime configuration, as Switchboard sends it (sdk archastro-sdk@0.11.0 types/common.py
 * `PresetConfig`; @archastro/sdk@0.19.0 `presetConfigSchema`). Strict: a misspelt key is refused at
 * our edge rather than silently ignored by the platform.
 */
export const presetConfigInputSchema = z
  .object({
    /** Custom task or behaviour instructions (the SDK documents max 10,000 chars). */
    instructions: z.string().max(10_000).optional(),
    llm: z
      .object({ model: z.string().min(1).max(200).optional() })
      .strict()
      .optional(),
    session_mode: z.enum(PRESET_SESSION_MODES).optional(),
    session_scope: z.enum(PRESET_SESSION_SCOPES).optional(),
    structured_message_template_ids: z.array(z.string().min(1)).max(100).optional(),
  })
  .strict()
  .refine((c) => c.session_scope === undefined || c.session_mode === 'session', {
    message: 'session_scope only applies when session_mode is "session"',
    path: ['session_scope'],
  });
export type ArchAstroPresetConfig = z.input<typeof presetConfigInputSchema>;

/** The preset fields of a routine (create or update), checked together. */
export const presetFieldsSchema = z
  .object({
    handler_type: z.enum(HANDLER_TYPES).optional(),
    /** A registered preset's stable name (`RoutinePreset.name`, e.g. `do_task`). */
    preset_name: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,63}$/, "preset_name is a preset's machine name (lower snake case)")
      .optional(),
    preset_config: presetConfigInputSchema.optional(),
  })
  .refine((r) => r.handler_type !== 'preset' || r.preset_name !== undefined, {
    message: 'preset_name is required when handler_type is "preset"',
    path: ['preset_name'],
  });

/** A routine (`arn_…`). */
export const routineSchema = z.object({
  id: z.string(),
  /** `draft`, `active` or `paused` (sdk); kept a string so a new status never fails parsing. */
  status: z.string().nullish(),
  name: z.string().nullish(),
  description: z.string().nullish(),
  lookup_key: z.string().nullish(),
  agent: z.string().nullish(),
  event_type: z.string().nullish(),
  handler_type: z.string().nullish(),
  preset_name: z.string().nullish(),
  /** The resolved preset config (sdk `PresetConfig`); read tolerantly. */
  preset_config: z.record(z.unknown()).nullish(),
  schedule: z.string().nullish(),
  metadata,
  updated_at: z.string().nullish(),
});
export type ArchAstroRoutine = z.output<typeof routineSchema>;

export const routineListSchema = z.object({ data: z.array(routineSchema) });

/** A routine preset (sdk archastro-sdk@0.11.0 types/common.py `RoutinePreset`; every field required there). */
export const presetSchema = z.object({
  name: z.string(),
  /** Human-readable display name. */
  label: z.string().nullish(),
  description: z.string().nullish(),
  /** Event types routines with this preset may be triggered by; `["*"]` = any. */
  applicable_events: z.array(z.string()).nullish(),
  chainable: z.boolean().nullish(),
  sessionable: z.boolean().nullish(),
  /** At most one routine with this preset per agent. */
  unique: z.boolean().nullish(),
});
export type ArchAstroPreset = z.output<typeof presetSchema>;

/** The SDKs answer a bare array; accept a `{data}` wrapper too and hand back the array. */
export const presetListSchema = z
  .union([z.array(presetSchema), z.object({ data: z.array(presetSchema) })])
  .transform((v) => (Array.isArray(v) ? v : v.data));

/**
 * A routine run (`arr_…`), sdk archastro-sdk@0.11.0 types/common.py `AgentRoutineRun`: `result` and
 * `structured_response` are objects (null until the run completes). The SDK models neither an
 * `error` nor an `agent_session` field: a run's sessions are found with the sessions list's
 * `routine_run[]` filter, and a failure's reason is read from `result` (see ./wire.ts).
 */
export const runSchema = z.object({
  id: z.string(),
  /** Optional in the SDK; an unknown new status must not fail parsing. */
  status: z
    .string()
    .nullish()
    .transform((v) => v ?? 'pending'),
  routine: z.string().nullish(),
  agent: z.string().nullish(),
  idempotency_key: z.string().nullish(),
  event_id: z.string().nullish(),
  payload: z.record(z.unknown()).nullish(),
  metadata,
  result: resultValue,
  structured_response: z.record(z.unknown()).nullish(),
  duration_ms: z.number().nullish(),
  created_at: z.string().nullish(),
  updated_at: z.string().nullish(),
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
