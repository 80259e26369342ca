import { ApplicationFailure } from '@temporalio/workflow';
import type { z } from 'zod';

/**
 * Turns a zod error into one readable line: `path: message; path: message`. Workflow-safe.
 */
export function formatZodError(error: { issues: { path: (string | number)[]; message: string }[] }): string {
  return error.issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

/**
 * Parses a workflow's input, or fails the workflow at once with a non-retryable `InvalidInput`
 * naming every bad field: retrying cannot fix bad input (e.g. a start from the Temporal CLI).
 */
export function parseWorkflowInput<S extends z.ZodTypeAny>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw ApplicationFailure.create({ type: 'InvalidInput', message: formatZodError(parsed.error), nonRetryable: true });
  return parsed.data;
}
