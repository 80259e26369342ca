/**
 * Page helpers for the three pagination styles the platforms use. All three reduce to one
 * mechanism, {@link paginate}: fetch a page for a cursor, get items and the next cursor.
 */

/** One page of results and the cursor of the next page (undefined when this was the last). */
export interface Page<T, C> {
  items: T[];
  next: C | undefined;
}

/**
 * Walks every page, yielding items in order. `maxPages` bounds the walk so a platform that keeps
 * returning a cursor cannot loop us forever.
 */
export async function* paginate<T, C>(
  fetchPage: (cursor: C | undefined) => Promise<Page<T, C>>,
  { maxPages = 10_000 }: { maxPages?: number } = {},
): AsyncGenerator<T> {
  let cursor: C | undefined;
  for (let i = 0; i < maxPages; i++) {
    const page = await fetchPage(cursor);
    yield* page.items;
    if (page.next === undefined || page.items.length === 0) return;
    cursor = page.next;
  }
}

/** Collects an async iterable into an array. */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/**
 * Wyse Mate style: 1-indexed `page_num`/`page_size`, the response says `total_page`.
 */
export function pageNumberPages<T>(
  fetch: (pageNum: number) => Promise<{ data: T[]; page_num?: number | null; total_page?: number | null }>,
): (cursor: number | undefined) => Promise<Page<T, number>> {
  return async (cursor) => {
    const pageNum = cursor ?? 1;
    const res = await fetch(pageNum);
    const total = res.total_page ?? pageNum;
    return { items: res.data, next: pageNum < total ? pageNum + 1 : undefined };
  };
}

/**
 * ArchAstro style: opaque `before_cursor` / `after_cursor`; walking older pages follows
 * `before_cursor` until the platform stops returning one.
 */
export function beforeCursorPages<T>(
  fetch: (beforeCursor: string | undefined) => Promise<{ data: T[]; before_cursor?: string | null }>,
): (cursor: string | undefined) => Promise<Page<T, string>> {
  return async (cursor) => {
    const res = await fetch(cursor);
    return { items: res.data, next: res.before_cursor ?? undefined };
  };
}

/**
 * Web Agent style: `limit` plus a cursor (`next_cursor`/`has_more`; assumption, see
 * src/providers/webagent/routes.ts).
 */
export function limitPages<T>(
  fetch: (
    cursor: string | undefined,
  ) => Promise<{ items: T[]; next_cursor?: string | null; has_more?: boolean | null }>,
): (cursor: string | undefined) => Promise<Page<T, string>> {
  return async (cursor) => {
    const res = await fetch(cursor);
    const more = res.has_more ?? Boolean(res.next_cursor);
    return { items: res.items, next: more && res.next_cursor ? res.next_cursor : undefined };
  };
}
