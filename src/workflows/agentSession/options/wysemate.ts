import { z } from 'zod';

/** Wyse Mate session options. */
export const wyseMateOptions = z
  .object({
    /** The team the session runs on. */
    teamId: z.string().min(1),
  })
  .strict();
