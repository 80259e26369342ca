/**
 * How a follow reads a platform's event stream within its budget: one AbortController ends the
 * read for three reasons — the activity's cancellation, the time budget, or the reader breaking out
 * at a boundary (the SSE generator's `finally` then releases the socket).
 */
import type { FollowHooks } from './contract.js';

/**
 * Runs `read` with a signal that aborts on `hooks.signal` or after `maxMs`. The budget running out
 * is not a failure (the caller returns what was read); any other error is thrown.
 */
export async function readWithinBudget(
  hooks: FollowHooks,
  maxMs: number,
  read: (signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const ac = new AbortController();
  const onAbort = () => ac.abort(hooks.signal?.reason);
  hooks.signal?.addEventListener('abort', onAbort, { once: true });
  if (hooks.signal?.aborted) onAbort();
  let outOfTime = false;
  const timer = setTimeout(
    () => {
      outOfTime = true;
      ac.abort(new Error('follow budget elapsed'));
    },
    Math.max(0, maxMs),
  );
  try {
    await read(ac.signal);
  } catch (err) {
    if (!(outOfTime && !hooks.signal?.aborted)) throw err;
  } finally {
    clearTimeout(timer);
    hooks.signal?.removeEventListener('abort', onAbort);
  }
}
