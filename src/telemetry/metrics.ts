/**
 * The worker's activity interceptor for operator metrics: every activity attempt that fails with
 * a platform error counts once in `switchboard_platform_errors{platform, class}`, whether the
 * activity threw the ProviderError itself or its ApplicationFailure (src/activities/failures.ts).
 */
import type { Context } from '@temporalio/activity';
import type { ActivityInboundCallsInterceptor, ActivityInterceptors } from '@temporalio/worker';
import { METRICS } from '../contracts/metrics.js';
import { ProviderError } from '../providers/errors.js';

/** The ProviderError in `err` or its cause chain (bounded), if any. */
function providerError(err: unknown): ProviderError | undefined {
  let e: unknown = err;
  for (let i = 0; i < 5 && e; i++) {
    if (e instanceof ProviderError) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Activity interceptor factory for Worker options `interceptors.activity`. */
export function metricsActivityInterceptor(ctx: Context): ActivityInterceptors {
  const inbound: ActivityInboundCallsInterceptor = {
    async execute(input, next) {
      try {
        return await next(input);
      } catch (err) {
        const pe = providerError(err);
        if (pe)
          ctx.metricMeter
            .createCounter(METRICS.platformErrors, 'errors', 'activity attempts failed by a platform error')
            .add(1, { platform: pe.platform, class: pe.name });
        throw err;
      }
    },
  };
  return { inbound };
}
