/**
 * Helpers every Web Agent product area shares: timestamps, string fields, the `limit` + `cursor`
 * pagination, the safety trigger, and one-shot timers cleared on reset.
 */
import { HttpError, intParam } from '../../framework.js';

export const now = () => new Date().toISOString();

export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

/** Opaque cursor pagination (`limit` + `cursor` = the last id of the previous page). */
export function cursorPage<T extends { id: string }>(items: T[], q: URLSearchParams, toWire: (t: T) => unknown) {
  const limit = intParam(q, 'limit', 20, { min: 1, max: 100 });
  const cursor = q.get('cursor');
  let start = 0;
  if (cursor) {
    const i = items.findIndex((x) => x.id === cursor);
    if (i < 0) throw new HttpError(422, 'validation_error', 'cursor is not valid for this listing');
    start = i + 1;
  }
  const page = items.slice(start, start + limit);
  const hasMore = start + limit < items.length;
  return { items: page.map(toWire), next_cursor: hasMore ? page[page.length - 1]!.id : null, has_more: hasMore };
}

/** Sandbox trigger: text containing `safety:block` is refused as the platform's safety boundary would. */
export function checkSafety(text: string): void {
  if (/safety:block/.test(text))
    throw new HttpError(403, 'safety_boundary_violated', 'the request crosses a safety boundary');
}

/** One-shot timers of one product area, cleared together on reset. */
export function timerSet() {
  const timers = new Set<NodeJS.Timeout>();
  return {
    later: (ms: number, fn: () => void): void => {
      const t = setTimeout(() => {
        timers.delete(t);
        fn();
      }, ms);
      t.unref?.();
      timers.add(t);
    },
    clear: (): void => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
