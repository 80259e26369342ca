/**
 * Wire helpers every Wyse Mate product area shares: the `{code: 0, msg, data}` success envelope,
 * required query parameters, and 1-indexed `page_num`/`page_size` paging.
 */
import { HttpError, intParam, pageOf, type SandboxRequest, type SandboxResponse } from '../../framework.js';

export const ISO = (ms: number) => new Date(ms).toISOString();

export const ok = (data: unknown): SandboxResponse => ({ status: 200, body: { code: 0, msg: 'success', data } });

export const need = (q: URLSearchParams, name: string): string => {
  const v = q.get(name);
  if (!v) throw new HttpError(400, 'bad_request', `${name} is required`);
  return v;
};

export const paging = (req: SandboxRequest, defSize: number) => ({
  pageNum: intParam(req.query, 'page_num', 1, { min: 1, max: 1_000_000 }),
  pageSize: intParam(req.query, 'page_size', defSize, { min: 1, max: 100 }),
});

export const paged = <T>(items: T[], pageNum: number, pageSize: number) => ({
  page_num: pageNum,
  page_size: pageSize,
  ...pageOf(items, pageNum, pageSize),
});
