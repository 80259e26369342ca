import { z } from 'zod';

/** Web Agent DoAnything options (CreateSessionRequest fields beyond `instructions`). */
export const webAgentOptions = z
  .object({
    /** Free-form metadata attached to the session. */
    metadata: z.record(z.string()).optional(),
  })
  .strict();
