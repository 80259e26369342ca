/**
 * `probePlatform`: one cheap authenticated read against a platform, to check that a credential
 * alias works (`switchboard doctor`, and the foundation's retry/failure tests).
 */
import { Context } from '@temporalio/activity';
import type { Platform } from '../providers/errors.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { mapFailures } from './failures.js';

/**
 * One reachability check of a platform for a credential alias (platformProbe); a ProviderError
 * becomes the Temporal failure.
 */
export function createProbeActivities(deps: { providers: ProviderRegistry }) {
  return {
    async probePlatform(args: {
      platform: Platform;
      alias: string;
    }): Promise<{ platform: Platform; alias: string; ok: true; attempt: number }> {
      const ctx = Context.current();
      await mapFailures(() =>
        deps.providers.client(args.platform, args.alias).ping({ signal: ctx.cancellationSignal }),
      );
      return { platform: args.platform, alias: args.alias, ok: true, attempt: ctx.info.attempt };
    },
  };
}
