/**
 * Web Agent WebSearch (seed: project-scoped; `run` blocks ≤30 s with `wait=true`, else 202 and poll
 * with `get`; `refine` re-runs within the same task). A small state-only simulation: a query
 * containing `slow` outlives the server's wait (202), one containing `safety:block` → 403.
 */
import { HttpError, newId, type Route, type SandboxRequest } from '../../framework.js';
import type { SandboxContext } from '../../server.js';
import { WEB_SEARCH_ROUTES as WS } from '../../../providers/webagent/routes.js';
import { checkSafety, now, str, timerSet } from './common.js';

export interface WsTask {
  task_id: string;
  pid: string;
  status: 'running' | 'completed';
  queries: string[];
  engines: string[];
  summarize: boolean;
  refinements: string[];
  results?: { results: { title: string; url: string; snippet: string; engine: string }[]; summary?: string };
  created_at: string;
  updated_at: string;
}

export function createWebSearch(ctx: SandboxContext) {
  const searches = new Map<string, WsTask>();
  const { later, clear } = timerSet();

  function hits(queries: string[], engines: string[], refinements: string[]) {
    const engine = engines[0] ?? 'tavily';
    const suffix = refinements.length ? ` (${refinements.join('; ')})` : '';
    return queries.flatMap((q) =>
      [1, 2, 3].map((i) => ({
        title: `${q}${suffix} — result ${i}`,
        url: `https://example.com/${encodeURIComponent(q.replace(/\s+/g, '-'))}/${i}${refinements.length ? `?r=${refinements.length}` : ''}`,
        snippet: `Result ${i} for "${q}"${suffix}.`,
        engine,
      })),
    );
  }

  function completeSearch(w: WsTask): void {
    const results = hits(w.queries, w.engines, w.refinements);
    w.results = {
      results,
      ...(w.summarize ? { summary: `${results.length} results for ${w.queries.join(', ')}` } : {}),
    };
    w.status = 'completed';
    w.updated_at = now();
  }

  function wsWire(w: WsTask) {
    return {
      task_id: w.task_id,
      status: w.status,
      queries: w.queries,
      results: w.results ?? null,
      created_at: w.created_at,
      updated_at: w.updated_at,
    };
  }

  function getSearch(req: SandboxRequest): WsTask {
    const w = searches.get(req.params.task_id!);
    if (!w || w.pid !== req.params.project_id)
      throw new HttpError(404, 'task_not_found', `web search task ${req.params.task_id} not found`);
    return w;
  }

  const routes: Route[] = [
    // Web Search
    {
      method: 'POST',
      pattern: WS.run,
      handler: (req) => {
        const q: unknown = req.body.queries;
        if (
          !Array.isArray(q) ||
          q.length === 0 ||
          !q.every((x): x is string => typeof x === 'string' && x.trim() !== '')
        ) {
          throw new HttpError(422, 'validation_error', 'queries must be a non-empty list of strings');
        }
        q.forEach((x: string) => checkSafety(x));
        const engines = Array.isArray(req.body.engines) ? (req.body.engines as string[]) : ['tavily'];
        const w: WsTask = {
          task_id: newId('ws'),
          pid: req.params.project_id!,
          status: 'running',
          queries: q,
          engines,
          summarize: req.body.summarize === true,
          refinements: [],
          created_at: now(),
          updated_at: now(),
        };
        searches.set(w.task_id, w);
        const wait = req.body.wait !== false;
        // `slow` stands for a search that outlives the server's ≤30 s wait: it answers 202.
        if (wait && !q.some((x: string) => /slow/.test(x))) {
          completeSearch(w);
          return { status: 200, body: wsWire(w) };
        }
        later(ctx.tickMs * 3, () => completeSearch(w));
        return { status: 202, body: wsWire(w) };
      },
    },
    { method: 'GET', pattern: WS.task, handler: (req) => ({ status: 200, body: wsWire(getSearch(req)) }) },
    {
      method: 'POST',
      pattern: WS.refine,
      handler: (req) => {
        const w = getSearch(req);
        const text = str(req.body.text);
        if (!text) throw new HttpError(422, 'validation_error', 'text is required');
        if (w.status !== 'completed') throw new HttpError(409, 'conflict', `web search ${w.task_id} is still running`);
        w.refinements.push(text);
        w.status = 'running';
        w.results = undefined;
        w.updated_at = now();
        later(ctx.tickMs * 2, () => completeSearch(w));
        return { status: 202, body: wsWire(w) };
      },
    },
  ];

  return {
    routes,
    snapshot: (): WsTask[] => [...searches.values()],
    /** Restores a {@link snapshot} into an empty state (after {@link reset}). */
    restore(list: WsTask[]): void {
      for (const w of list) {
        searches.set(w.task_id, w);
        // The completion timer did not survive: a search still running finishes shortly after the restart.
        if (w.status === 'running') later(ctx.tickMs * 2, () => completeSearch(w));
      }
    },
    reset(): void {
      clear();
      searches.clear();
    },
  };
}
