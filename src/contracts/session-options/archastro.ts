import { z } from 'zod';
import { lazy } from '../lazy.js';
import { jsonBytes, MAX_OBJECT_BYTES } from '../limits.js';

/** ArchAstro agent-session options (create input beyond the task, which becomes `instructions`). */
export const archAstroOptions = lazy(() =>
  z
    .object({
      /** The agent that runs the session (`agi_…`, an agent the app owns). */
      agentId: z.string().min(1).max(200),
      /** Turns before the platform terminates the session. @default 100 (platform) */
      maxTurns: z.number().int().positive().optional(),
      /** Tokens across all turns. @default 20000 (platform) */
      maxTokens: z.number().int().positive().optional(),
      /** Tool invocations per turn. @default 25 (platform) */
      maxRunsPerTurn: z.number().int().positive().optional(),
      /** Create the session idle (`waiting`); it runs its first turn on the first inbox message. */
      startIdle: z.boolean().optional(),
      /** Attached to the session as-is; `switchboard_key` is reserved for exactly-once create. */
      metadata: z
        .record(z.unknown())
        .refine((v) => jsonBytes(v) <= MAX_OBJECT_BYTES, `must be at most ${MAX_OBJECT_BYTES} bytes as JSON`)
        .optional(),
      /** Team (`tea_…`) for access control and attribution. */
      team: z.string().min(1).max(200).optional(),
      /** Thread (`thr_…`) to link the session to. */
      thread: z.string().min(1).max(200).optional(),
      /** User id the session is attributed to. */
      user: z.string().min(1).max(200).optional(),
    })
    .strict(),
);
