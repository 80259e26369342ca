/**
 * The one mapping from provider errors to Temporal failures (DESIGN.md "Rules of the house").
 *
 * `type` is the error class name; 4xx and schema failures are non-retryable; 408/429/5xx and
 * transport failures are retryable, with `nextRetryDelay` taken from `Retry-After`.
 */
import { ApplicationFailure } from '@temporalio/common';
import { ConfigError } from '../config.js';
import { ProviderError } from '../providers/errors.js';
import { FailureType } from '../contracts/failures.js';

/** Converts any error thrown by a provider call into what an activity should throw. */
export function toApplicationFailure(err: unknown): unknown {
  // A missing base URL or project id will not appear by retrying: fail at once, naming the variable.
  if (err instanceof ConfigError)
    return ApplicationFailure.create({ type: FailureType.ConfigError, message: err.message, nonRetryable: true });
  if (!(err instanceof ProviderError)) return err;
  const details = [
    {
      platform: err.platform,
      alias: err.alias,
      status: err.status,
      code: err.code,
      detail: err.detail,
      requestId: err.requestId,
      retryAfterSeconds: err.retryAfterSeconds,
    },
  ];
  return ApplicationFailure.create({
    type: err.name,
    message: err.message,
    nonRetryable: !err.retryable,
    details,
    nextRetryDelay:
      err.retryable && err.retryAfterSeconds !== undefined
        ? `${Math.round(err.retryAfterSeconds * 1000)} ms`
        : undefined,
    cause: err,
  });
}

/** Runs a provider call, rethrowing its error as an ApplicationFailure. */
export async function mapFailures<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toApplicationFailure(err);
  }
}
