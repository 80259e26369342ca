import { z } from 'zod';

/** ArchAstro agent-session options (create input beyond the task). */
export const archAstroOptions = z
  .object({
    /** The agent that runs the session (an agent the app owns). */
    agentId: z.string().min(1),
    maxTurns: z.number().int().positive().optional(),
    maxTokens: z.number().int().positive().optional(),
    /** Create the session idle; it starts on the first inbox message. */
    startIdle: z.boolean().optional(),
    metadata: z.record(z.unknown()).optional(),
  })
  .strict();
