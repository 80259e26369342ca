import { z } from 'zod';
import { lazy } from '../lazy.js';
import { jsonBytes, MAX_OBJECT_BYTES } from '../limits.js';

/** Web Agent DoAnything options (CreateSessionRequest fields beyond `instructions`). */
export const webAgentOptions = lazy(() =>
  z
    .object({
      /** Free-form metadata attached to the session. */
      metadata: z
        .record(z.string())
        .refine((v) => jsonBytes(v) <= MAX_OBJECT_BYTES, `must be at most ${MAX_OBJECT_BYTES} bytes as JSON`)
        .optional(),
    })
    .strict(),
);
