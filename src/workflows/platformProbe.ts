/**
 * `platformProbe`: checks that a platform answers for a credential alias. Transient failures
 * (5xx, 429, resets) are retried by Temporal with the platform's `Retry-After`; a bad credential
 * fails at once.
 */
import { proxyActivities } from '@temporalio/workflow';
import { z } from 'zod';
import type { createProbeActivities } from '../activities/probe.js';
import { parseWorkflowInput } from './validation.js';
import { lazy } from '../contracts/lazy.js';
import { credentialAlias } from '../contracts/aliases.js';
import { PLATFORMS } from '../contracts/platforms.js';

const { probePlatform } = proxyActivities<ReturnType<typeof createProbeActivities>>({
  startToCloseTimeout: '20 s',
  retry: { initialInterval: '200 ms', backoffCoefficient: 2, maximumInterval: '10 s', maximumAttempts: 20 },
});

export const platformProbeInput = lazy(() =>
  z
    .object({
      platform: z.enum(PLATFORMS),
      credentialAlias: credentialAlias().default('default'),
    })
    .strict(),
);

/**
 * Checks that a platform answers for a credential alias; Temporal retries transient failures, a bad
 * credential fails at once.
 */
export async function platformProbe(raw: z.input<ReturnType<typeof platformProbeInput>>) {
  const input = parseWorkflowInput(platformProbeInput(), raw);
  return probePlatform({ platform: input.platform, alias: input.credentialAlias });
}
