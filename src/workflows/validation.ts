import { ApplicationFailure } from '@temporalio/workflow';
import type { z } from 'zod';
import { isUndecodable, undecodableReason } from '../contracts/payload-converter.cjs';
import { FailureType } from '../contracts/failures.js';

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
 * An undecodable start argument (see src/contracts/payloads.ts) fails the same way.
 */
export function parseWorkflowInput<S extends z.ZodTypeAny>(schema: S, raw: unknown): z.output<S> {
  if (isUndecodable(raw)) throw ApplicationFailure.create({ type: FailureType.InvalidInput, message: undecodableReason(raw), nonRetryable: true });
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw ApplicationFailure.create({ type: FailureType.InvalidInput, message: formatZodError(parsed.error), nonRetryable: true });
  return parsed.data;
}

/**
 * Parses one message (an update's or a signal's argument) or throws an `Error` naming what is
 * wrong: thrown from an update validator, it rejects the update with nothing written to history.
 */
export function parseMessage<S extends z.ZodTypeAny>(schema: S, raw: unknown, what = 'message'): z.output<S> {
  if (isUndecodable(raw)) throw new Error(`${what} refused: ${undecodableReason(raw)}`);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new Error(`invalid ${what}: ${formatZodError(parsed.error)}`);
  return parsed.data;
}

/**
 * The one argument of an update or signal, or an `Error` when there is not exactly one: the SDK
 * passes every argument the sender gave, and extra ones must be refused, not silently ignored.
 */
export function singleArg(args: unknown[], what: string): unknown {
  if (args.length !== 1) throw new Error(`${what} takes exactly one argument, got ${args.length}`);
  return args[0];
}
