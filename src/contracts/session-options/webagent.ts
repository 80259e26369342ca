import { z } from 'zod';
import { lazy } from '../lazy.js';

/** Web Agent DoAnything options (CreateSessionRequest fields beyond `instructions`). */
export const webAgentOptions = lazy(() =>
  z
    .object({
      /** Free-form metadata attached to the session. */
      metadata: z.record(z.string()).optional(),
    })
    .strict(),
);
