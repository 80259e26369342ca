import { ApplicationFailure, workflowInfo } from '@temporalio/workflow';
import type { z } from 'zod';
import { isUndecodable, undecodableReason } from '../contracts/payload-converter.cjs';
import { jsonBytes, MAX_MESSAGE_BYTES, MAX_START_INPUT_BYTES } from '../contracts/limits.js';
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
 * An undecodable start argument (src/contracts/payload-converter.cjs) fails the same way, and so
 * does one over `maxBytes` as JSON (src/contracts/limits.ts).
 */
export function parseWorkflowInput<S extends z.ZodTypeAny>(
  schema: S,
  raw: unknown,
  maxBytes = MAX_START_INPUT_BYTES,
): z.output<S> {
  const invalid = (message: string) =>
    ApplicationFailure.create({ type: FailureType.InvalidInput, message, nonRetryable: true });
  if (isUndecodable(raw)) throw invalid(undecodableReason(raw));
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw invalid(formatZodError(parsed.error));
  // After the fields' own bounds (their messages say more): the ceiling over the whole.
  const bytes = jsonBytes(raw);
  if (bytes > maxBytes) throw invalid(tooBig('input', bytes, maxBytes));
  return parsed.data as z.output<S>;
}

function tooBig(what: string, bytes: number, max: number): string {
  return Number.isFinite(bytes)
    ? `${what} is ${bytes} bytes as JSON; at most ${max}`
    : `${what} cannot be measured as JSON (at most ${max} bytes)`;
}

/**
 * Parses one message (an update's or a signal's argument) or throws an `Error` naming what is
 * wrong: thrown from an update validator, it rejects the update with nothing written to history.
 */
export function parseMessage<S extends z.ZodTypeAny>(schema: S, raw: unknown, what = 'message'): z.output<S> {
  if (isUndecodable(raw)) throw new Error(`${what} refused: ${undecodableReason(raw)}`);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new Error(`invalid ${what}: ${formatZodError(parsed.error)}`);
  const bytes = jsonBytes(raw);
  if (bytes > MAX_MESSAGE_BYTES) throw new Error(`${what} refused: ${tooBig(what, bytes, MAX_MESSAGE_BYTES)}`);
  return parsed.data as z.output<S>;
}

/**
 * Parses a message a validator already accepted, inside its handler: the data when it still
 * parses, else the value as it arrived. Handlers run again on replay, and a payload accepted under
 * older rules must not fail the workflow task because a limit was added since.
 */
export function parseAccepted<S extends z.ZodTypeAny>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw);
  return (parsed.success ? parsed.data : raw) as z.output<S>;
}

/**
 * The one argument of an update or signal, or an `Error` when there is not exactly one: the SDK
 * passes every argument the sender gave, and extra ones must be refused, not silently ignored.
 */
export function singleArg(args: unknown[], what: string): unknown {
  if (args.length !== 1) throw new Error(`${what} takes exactly one argument, got ${args.length}`);
  return args[0];
}

/**
 * Refuses continue-as-new state handed in by a starter. Such state is accepted only in a run this
 * workflow continued itself: the server also links cron runs and retries to the run before them
 * (`continuedFromExecutionRunId`), with the first run's arguments, so those are refused too — and
 * the workflows that carry state refuse to run on a cron schedule at all
 * ({@link refuseCronSchedule}): a Temporal Schedule starts fresh runs instead.
 */
export function requireOwnContinuation(what: string): void {
  const info = workflowInfo();
  if (info.continuedFromExecutionRunId === undefined || info.cronSchedule || info.attempt > 1) {
    throw ApplicationFailure.create({
      type: FailureType.InvalidInput,
      message: `${what} is only accepted from a run this workflow continued as new itself`,
      nonRetryable: true,
    });
  }
}

/** Fails a workflow started with a cron schedule (see {@link requireOwnContinuation}). */
export function refuseCronSchedule(workflowType: string): void {
  if (workflowInfo().cronSchedule) {
    throw ApplicationFailure.create({
      type: FailureType.InvalidInput,
      message: `${workflowType} does not run on a cron schedule (its continue-as-new state would pass between runs); start it from a Temporal Schedule instead`,
      nonRetryable: true,
    });
  }
}
