/**
 * Activities only the diagnostics worker registers (benchmarks): never on the production task
 * queue, since `barePost` sends to any URL it is given.
 */
import { Context } from '@temporalio/activity';
import { request } from 'undici';

/**
 * Benchmarks only: a bare platform POST, the floor the production call path is measured against;
 * never on the production task queue.
 */
export function createDiagnosticActivities() {
  return {
    /** One plain POST (no signing, no target policy, no marker lookups): the webhook floor. */
    async barePost(url: string, id: string, body: string): Promise<number> {
      const res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-floor-id': id },
        body,
        signal: Context.current().cancellationSignal,
      });
      await res.body.dump();
      return res.statusCode;
    },
  };
}
