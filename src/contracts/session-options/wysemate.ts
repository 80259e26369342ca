import { z } from 'zod';
import { lazy } from '../lazy.js';

/**
 * Wyse Mate session options (the task itself is the common `task` field; `title` becomes the
 * session's name).
 */
export const wyseMateOptions = lazy(() =>
  z
    .object({
      /** The team the session runs on: a `team_id` as `team.get_list` returns it. */
      teamId: z.string().min(1),
    })
    .strict(),
);
