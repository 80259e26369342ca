/**
 * Test-only workflow (not in the production bundle): runs the `webSearch` activity under a retry
 * policy, so a test can show the 202 → poll path going through Temporal's retries.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { createWebSearchActivities, WebSearchArgs, WebSearchOutcome } from '../../src/activities/websearch.js';

const { webSearch } = proxyActivities<ReturnType<typeof createWebSearchActivities>>({
  startToCloseTimeout: '40 s',
  // Polls come from the failure's nextRetryDelay; the policy bounds how many.
  retry: { initialInterval: '100 ms', backoffCoefficient: 1, maximumAttempts: 30, nonRetryableErrorTypes: ['UnprocessableError', 'NotFoundError'] },
});

export async function webSearchProbe(args: WebSearchArgs): Promise<WebSearchOutcome> {
  return webSearch(args);
}
