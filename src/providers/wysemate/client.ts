/**
 * Wyse Mate provider client: the seed's five services (`user`, `team`, `agent`, `session`,
 * `browser`) over the one {@link HttpClient}. Pure HTTP + zod, no Temporal imports.
 *
 * Paths, the auth header and the `{code, msg, data}` envelope are described (and marked as
 * assumptions where the seed is silent) in `./routes.ts`.
 */
import { z } from 'zod';
import type { PlatformEndpoint } from '../../config.js';
import { errorFromResponse, ResponseValidationError } from '../errors.js';
import { type CallOptions, HttpClient, type HttpMethod, path, type QueryValue } from '../http.js';
import { pageNumberPages, paginate } from '../pagination.js';
import { API_KEY_HEADER, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, ROUTES, SUCCESS_CODE } from './routes.js';
import {
  agentInfoSchema,
  apiKeySchema,
  betweenMessagesSchema,
  browserInfoSchema,
  createSessionResponseSchema,
  envelopeSchema,
  listBrowserPagesSchema,
  listBrowsersSchema,
  messagesPageSchema,
  paginated,
  sessionInfoSchema,
  teamInfoSchema,
  type AgentInfo,
  type ApiKey,
  type BrowserInfo,
  type BrowserPageInfo,
  type CreateSessionResponse,
  type GetMessagesResponse,
  type ListBrowserPagesResponse,
  type ListBrowsersResponse,
  type MessageResponse,
  type Paginated,
  type SessionInfo,
  type TeamInfo,
} from './schemas.js';

export type * from './schemas.js';

/** Seed `ListOptions`: 1-indexed `page_num`, `page_size` in 1–100. */
export interface ListOptions {
  /** @default 1 */
  page_num?: number;
  /** @default 20 */
  page_size?: number;
}

/** Seed `MessageFilter`. Timestamps are inclusive bounds. */
export interface MessageFilter {
  /** Sender role, e.g. `user`, `assistant`, `system`. */
  role?: string;
  /** Case-insensitive substring of the content. */
  content?: string;
  from_timestamp?: Date | string;
  to_timestamp?: Date | string;
}

/** Seed `CreateSessionRequest`. */
export interface CreateSessionRequest {
  team_id: string;
  /** The initial task; guides the agents. */
  task?: string;
  title?: string;
}

/** Seed `UpdateSessionNameRequest`. */
export interface UpdateSessionNameRequest {
  session_id: string;
  title: string;
}

/** Options for the `iterate*` helpers that walk every page. */
export interface IterateOptions {
  /** Page size for each request. @default 100 (the seed's maximum) */
  pageSize?: number;
}

/** Client for one Wyse Mate endpoint (base URL + credential alias). */
export class WyseMateClient {
  readonly http: HttpClient;
  readonly user: UserService;
  readonly team: TeamService;
  readonly agent: AgentService;
  readonly session: SessionService;
  readonly browser: BrowserService;

  /**
   * @param endpoint base URL, credential and alias; `timeoutMs`/`userAgent` come from `mate.yaml`
   * (see `src/config.ts`).
   */
  constructor(endpoint: PlatformEndpoint) {
    this.http = new HttpClient({
      platform: 'wysemate',
      baseUrl: endpoint.baseUrl,
      alias: endpoint.alias,
      authHeaders: endpoint.secret ? { [API_KEY_HEADER]: endpoint.secret } : {},
      timeoutMs: endpoint.timeoutMs,
      userAgent: endpoint.userAgent,
    });
    const call = new Caller(this.http);
    this.user = new UserService(call);
    this.team = new TeamService(call);
    this.agent = new AgentService(call);
    this.session = new SessionService(call);
    this.browser = new BrowserService(call);
  }

  /** One cheap authenticated read (a one-item page of API keys) to check the credential works. */
  async ping(call: CallOptions = {}): Promise<void> {
    await this.user.listApiKeys({ page_num: 1, page_size: 1 }, call);
  }
}

/** Sends one call and unwraps the `{code, msg, data}` envelope. */
class Caller {
  constructor(readonly http: HttpClient) {}

  async call<S extends z.ZodTypeAny>(
    method: HttpMethod,
    p: string,
    schema: S,
    opts: { query?: Record<string, QueryValue>; body?: unknown } & CallOptions = {},
  ): Promise<z.output<S>> {
    const raw = await this.http.request({ method, path: p, schema: z.unknown(), ...opts });
    return this.unwrap(method, p, raw, schema);
  }

  /** For calls whose answer carries nothing we use (rename, release, stop): only the code matters. */
  async callVoid(method: HttpMethod, p: string, opts: { body?: unknown } & CallOptions = {}): Promise<void> {
    const raw = await this.http.request({ method, path: p, schema: z.unknown(), ...opts });
    this.checkCode(method, p, raw);
  }

  private unwrap<S extends z.ZodTypeAny>(method: HttpMethod, p: string, raw: unknown, schema: S): z.output<S> {
    // The SDK's get_paginated accepts a bare body when there is no `{code, data}` wrapper; so do we.
    const data = this.checkCode(method, p, raw) ? (raw as { data: unknown }).data : raw;
    const res = schema.safeParse(data);
    if (!res.success) {
      throw new ResponseValidationError({
        platform: 'wysemate',
        alias: this.http.alias,
        method,
        path: p,
        code: 'schema_mismatch',
        detail: res.error.issues
          .slice(0, 5)
          .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
          .join('; '),
      });
    }
    return res.data as z.output<S>;
  }

  /**
   * Throws when a 2xx answer carries a non-zero `code` (the SDK raises `APIError` for those too).
   * @returns whether the body was an envelope.
   */
  private checkCode(method: HttpMethod, p: string, raw: unknown): boolean {
    const env = envelopeSchema.safeParse(raw);
    if (!env.success || env.data.code === undefined || env.data.code === null) return false;
    if (Number(env.data.code) !== SUCCESS_CODE) {
      // No HTTP error status to go by: an HTTP-like code keeps its class, anything else is the
      // caller's mistake (non-retryable), as the SDK treats it.
      const n = Number(env.data.code);
      const status = Number.isInteger(n) && n >= 400 && n <= 599 ? n : 400;
      throw errorFromResponse({ platform: 'wysemate', alias: this.http.alias, method, path: p }, status, raw);
    }
    return 'data' in env.data;
  }
}

function pageQuery(options: ListOptions | undefined, defaultSize = DEFAULT_PAGE_SIZE): Record<string, number> {
  return { page_num: options?.page_num ?? 1, page_size: options?.page_size ?? defaultSize };
}

function iterSize(o: IterateOptions | undefined): number {
  return Math.min(MAX_PAGE_SIZE, Math.max(1, o?.pageSize ?? MAX_PAGE_SIZE));
}

/** `list_browsers`/`list_browser_pages` answer `{…, total}` without `total_page`: derive it. */
function totalPages(total: number | null | undefined, pageSize: number, pageNum: number, got: number): number {
  if (typeof total === 'number') return Math.max(1, Math.ceil(total / pageSize));
  // Without a total, a full page means "maybe more".
  return got < pageSize ? pageNum : pageNum + 1;
}

/** Seed `UserService`. */
export class UserService {
  constructor(private readonly c: Caller) {}

  /** `list_api_keys`: one page of the current user's API keys. */
  listApiKeys(options?: ListOptions, call: CallOptions = {}): Promise<Paginated<ApiKey>> {
    return this.c.call('GET', ROUTES.apiKeyList, paginated(apiKeySchema), { query: pageQuery(options, 10), ...call });
  }

  /** Every API key, page by page. */
  iterateApiKeys(opts?: IterateOptions, call: CallOptions = {}): AsyncGenerator<ApiKey> {
    const size = iterSize(opts);
    return paginate(pageNumberPages((n) => this.listApiKeys({ page_num: n, page_size: size }, call)));
  }
}

/** Seed `TeamService` (the seed documents list and get only; no create/update methods). */
export class TeamService {
  constructor(private readonly c: Caller) {}

  /** `get_list`: one page of teams, optionally of one `team_type` (empty = `all`). */
  getList(teamType = '', options?: ListOptions, call: CallOptions = {}): Promise<Paginated<TeamInfo>> {
    return this.c.call('GET', ROUTES.teamList, paginated(teamInfoSchema), {
      query: { team_type: teamType || 'all', ...pageQuery(options, 10) },
      ...call,
    });
  }

  /** Every team of `teamType`, page by page. */
  iterate(teamType = '', opts?: IterateOptions, call: CallOptions = {}): AsyncGenerator<TeamInfo> {
    const size = iterSize(opts);
    return paginate(pageNumberPages((n) => this.getList(teamType, { page_num: n, page_size: size }, call)));
  }

  /** `get_info`. */
  getInfo(teamId: string, call: CallOptions = {}): Promise<TeamInfo> {
    return this.c.call('GET', path(ROUTES.teamInfo, { team_id: teamId }), teamInfoSchema, call);
  }
}

/** Seed `AgentService`. */
export class AgentService {
  constructor(private readonly c: Caller) {}

  /** `get_list`: one page of agents, optionally of one `agent_type` (empty = `all`). */
  getList(agentType = '', options?: ListOptions, call: CallOptions = {}): Promise<Paginated<AgentInfo>> {
    return this.c.call('GET', ROUTES.agentList, paginated(agentInfoSchema), {
      query: { agent_type: agentType || 'all', ...pageQuery(options, 10) },
      ...call,
    });
  }

  /** Every agent of `agentType`, page by page. */
  iterate(agentType = '', opts?: IterateOptions, call: CallOptions = {}): AsyncGenerator<AgentInfo> {
    const size = iterSize(opts);
    return paginate(pageNumberPages((n) => this.getList(agentType, { page_num: n, page_size: size }, call)));
  }

  /** `get_info`. */
  getInfo(agentId: string, call: CallOptions = {}): Promise<AgentInfo> {
    return this.c.call('GET', path(ROUTES.agentInfo, { agent_id: agentId }), agentInfoSchema, call);
  }
}

/** Seed `SessionService` (+ `stop`, which the seed does not document; see routes.ts). */
export class SessionService {
  constructor(private readonly c: Caller) {}

  /** `create`: starts a session on a team with a task. Send a stable `idempotencyKey`. */
  create(request: CreateSessionRequest, call: CallOptions = {}): Promise<CreateSessionResponse> {
    const body: Record<string, unknown> = { team_id: request.team_id, task: request.task ?? '' };
    if (request.title !== undefined) body.title = request.title;
    return this.c.call('POST', ROUTES.sessionCreate, createSessionResponseSchema, { body, ...call });
  }

  /** `get_info`: status, result, error and the rest of the seed's `SessionInfo`. */
  getInfo(sessionId: string, call: CallOptions = {}): Promise<SessionInfo> {
    return this.c.call('GET', path(ROUTES.sessionInfo, { session_id: sessionId }), sessionInfoSchema, call);
  }

  /** `get_messages`: one page of messages (oldest first), optionally filtered. */
  async getMessages(
    sessionId: string,
    opts: { page_num?: number; page_size?: number; filter?: MessageFilter } = {},
    call: CallOptions = {},
  ): Promise<GetMessagesResponse> {
    const f = opts.filter ?? {};
    const ts = (v: Date | string | undefined) => (v instanceof Date ? v.toISOString() : v);
    const page = await this.c.call('GET', ROUTES.sessionMessages, messagesPageSchema, {
      query: {
        session_id: sessionId,
        page_num: opts.page_num ?? 1,
        page_size: opts.page_size ?? DEFAULT_PAGE_SIZE,
        role: f.role,
        content: f.content,
        from_timestamp: ts(f.from_timestamp),
        to_timestamp: ts(f.to_timestamp),
      },
      ...call,
    });
    // The SDK derives has_next/has_prev from page_num × page_size vs total; so do we.
    const pageNum = page.page_num ?? opts.page_num ?? 1;
    const pageSize = page.page_size ?? opts.page_size ?? DEFAULT_PAGE_SIZE;
    const total = page.total ?? page.data.length;
    return {
      messages: page.data,
      total_count: total,
      has_next: pageNum * pageSize < total,
      has_prev: pageNum > 1,
      page_num: pageNum,
      page_size: pageSize,
      total_page: page.total_page ?? Math.max(1, Math.ceil(total / pageSize)),
    };
  }

  /** Every message matching `filter`, page by page (oldest first). */
  iterateMessages(
    sessionId: string,
    opts: IterateOptions & { filter?: MessageFilter } = {},
    call: CallOptions = {},
  ): AsyncGenerator<MessageResponse> {
    const size = iterSize(opts);
    return paginate(
      pageNumberPages(async (n) => {
        const r = await this.getMessages(sessionId, { page_num: n, page_size: size, filter: opts.filter }, call);
        return { data: r.messages, page_num: r.page_num, total_page: r.total_page };
      }),
    );
  }

  /** `get_between_messages`: messages from `fromMessageId` to `toMessageId`, both inclusive. */
  async getBetweenMessages(
    sessionId: string,
    fromMessageId: string,
    toMessageId: string,
    call: CallOptions = {},
  ): Promise<GetMessagesResponse> {
    const messages = await this.c.call('GET', ROUTES.sessionMessagesBetween, betweenMessagesSchema, {
      query: { session_id: sessionId, from_message_id: fromMessageId, to_message_id: toMessageId },
      ...call,
    });
    // The seed: only total_count, has_next, has_prev and the messages are meaningful here.
    return { messages, total_count: messages.length, has_next: false, has_prev: false };
  }

  /** `update_session_name`: sets the session's title. */
  updateSessionName(request: UpdateSessionNameRequest, call: CallOptions = {}): Promise<void> {
    return this.c.callVoid('PUT', path(ROUTES.sessionInfo, { session_id: request.session_id }), {
      body: { session_id: request.session_id, title: request.title },
      ...call,
    });
  }

  /**
   * Stops a running session. Not in the seed (assumption: the public SDK's later `session.stop`,
   * `POST /session/stop/{id}`); stopping a session that already ended is a no-op in our sandbox.
   */
  stop(sessionId: string, call: CallOptions = {}): Promise<void> {
    return this.c.callVoid('POST', path(ROUTES.sessionStop, { session_id: sessionId }), call);
  }
}

/** Seed `BrowserService`. */
export class BrowserService {
  constructor(private readonly c: Caller) {}

  /** `get_info`: one browser with its pages. */
  getInfo(browserId: string, call: CallOptions = {}): Promise<BrowserInfo> {
    return this.c.call('GET', path(ROUTES.browserInfo, { browser_id: browserId }), browserInfoSchema, call);
  }

  /** `list_browsers`: one page of a session's browsers. */
  listBrowsers(sessionId: string, options?: ListOptions, call: CallOptions = {}): Promise<ListBrowsersResponse> {
    return this.c.call('GET', ROUTES.browserList, listBrowsersSchema, {
      query: { session_id: sessionId, ...pageQuery(options) },
      ...call,
    });
  }

  /** Every browser of a session, page by page. */
  iterateBrowsers(sessionId: string, opts?: IterateOptions, call: CallOptions = {}): AsyncGenerator<BrowserInfo> {
    const size = iterSize(opts);
    return paginate(
      pageNumberPages(async (n) => {
        const r = await this.listBrowsers(sessionId, { page_num: n, page_size: size }, call);
        return { data: r.browsers, total_page: totalPages(r.total, size, n, r.browsers.length) };
      }),
    );
  }

  /** `release_browser`: frees a browser. Releasing one that is already released succeeds. */
  releaseBrowser(browserId: string, call: CallOptions = {}): Promise<void> {
    return this.c.callVoid('DELETE', path(ROUTES.browserRelease, { browser_id: browserId }), call);
  }

  /** `list_browser_pages`: one page of a browser's open pages. */
  listBrowserPages(
    browserId: string,
    options?: ListOptions,
    call: CallOptions = {},
  ): Promise<ListBrowserPagesResponse> {
    return this.c.call('GET', ROUTES.browserPages, listBrowserPagesSchema, {
      query: { browser_id: browserId, ...pageQuery(options) },
      ...call,
    });
  }

  /** Every page of a browser. */
  iteratePages(browserId: string, opts?: IterateOptions, call: CallOptions = {}): AsyncGenerator<BrowserPageInfo> {
    const size = iterSize(opts);
    return paginate(
      pageNumberPages(async (n) => {
        const r = await this.listBrowserPages(browserId, { page_num: n, page_size: size }, call);
        return { data: r.pages, total_page: totalPages(r.total, size, n, r.pages.length) };
      }),
    );
  }
}
