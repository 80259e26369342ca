/**
 * Wyse Mate browsers (seed: `client.browser`): info, the browsers of a session, release, and a
 * browser's pages. A session opens a browser when it is created and a second one at the agent's
 * second progress step (./sessions.ts), each with three pages; browsers stay `open` after the
 * session ends until released, so clean-up has real work to do. Releasing twice is a no-op.
 */
import { HttpError, newId, pageOf, type Route, type SandboxRequest } from '../../framework.js';
import { ROUTES as R } from '../../../providers/wysemate/routes.js';
import { ISO, need, ok, paging } from './common.js';

export interface SimPage {
  index: number;
  url: string;
  status: string;
  video_url: string;
  ws_debugger_url: string;
  front_debugger_url: string;
  page_id: string;
  debugger_host: string;
}

export interface SimBrowser {
  browser_id: string;
  user_id: string;
  session_id: string;
  status: 'open' | 'closed';
  createdMs: number;
  releasedMs?: number;
  pages: SimPage[];
}

export type Browsers = ReturnType<typeof createBrowsers>;

/** `browsersOf(req, sessionId)`: the caller's session's browser ids (404 when not theirs). */
export function createBrowsers(deps: { browsersOf(req: SandboxRequest, sessionId: string): string[] }) {
  const browsers = new Map<string, SimBrowser>();

  function browserFor(req: SandboxRequest, id: string): SimBrowser {
    const b = browsers.get(id);
    if (!b || b.user_id !== req.identity) throw new HttpError(404, 'not_found', `browser ${id} not found`);
    return b;
  }

  /** Opens a browser with three pages for a session; returns its id. */
  function open(owner: string, sessionId: string): string {
    const browser_id = newId('browser');
    const now = Date.now();
    const pages: SimPage[] = [
      'https://example.com/',
      'https://example.com/search?q=weather',
      'https://example.com/results',
    ].map((url, index) => ({
      index,
      url,
      status: 'completed',
      video_url: '',
      ws_debugger_url: `ws://sandbox.invalid/devtools/${browser_id}/page/${index}`,
      front_debugger_url: `http://sandbox.invalid/devtools/${browser_id}/${index}`,
      page_id: `${browser_id}_page_${index}`,
      debugger_host: 'sandbox.invalid',
    }));
    browsers.set(browser_id, {
      browser_id,
      user_id: owner,
      session_id: sessionId,
      status: 'open',
      createdMs: now,
      pages,
    });
    return browser_id;
  }

  function browserView(b: SimBrowser) {
    const end = b.releasedMs ?? Date.now();
    return {
      browser_id: b.browser_id,
      user_id: b.user_id,
      session_id: b.session_id,
      status: b.status,
      width: 1280,
      height: 800,
      ws_endpoint: `ws://sandbox.invalid/browser/${b.browser_id}`,
      solve_captcha: false,
      timezone: 'UTC',
      user_agent: 'Mozilla/5.0 (sandbox)',
      duration_seconds: Math.floor((end - b.createdMs) / 1000),
      created_at: ISO(b.createdMs),
      pages: b.pages,
    };
  }

  const routes: Route[] = [
    {
      method: 'GET',
      pattern: R.browserInfo,
      handler: (req) => ok(browserView(browserFor(req, req.params.browser_id!))),
    },
    {
      method: 'GET',
      pattern: R.browserList,
      handler: (req) => {
        const ids = deps.browsersOf(req, need(req.query, 'session_id'));
        const { pageNum, pageSize } = paging(req, 20);
        const all = ids.map((id) => browserView(browsers.get(id)!));
        const page = pageOf(all, pageNum, pageSize);
        return ok({ browsers: page.data, total: page.total });
      },
    },
    {
      method: 'DELETE',
      pattern: R.browserRelease,
      handler: (req) => {
        const b = browserFor(req, req.params.browser_id!);
        if (b.status !== 'closed') {
          b.status = 'closed';
          b.releasedMs = Date.now();
        }
        return ok(null);
      },
    },
    {
      method: 'GET',
      pattern: R.browserPages,
      handler: (req) => {
        const b = browserFor(req, need(req.query, 'browser_id'));
        const { pageNum, pageSize } = paging(req, 20);
        const page = pageOf(b.pages, pageNum, pageSize);
        return ok({ pages: page.data, total: page.total });
      },
    },
  ];

  return {
    routes,
    open,
    snapshot: (): SimBrowser[] => [...browsers.values()],
    /** Restores a {@link snapshot} into an empty state (after {@link reset}). */
    restore(list: SimBrowser[]): void {
      for (const b of list) browsers.set(b.browser_id, b);
    },
    reset(): void {
      browsers.clear();
    },
  };
}
