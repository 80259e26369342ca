/**
 * The one transport for every platform: undici with per-request timeouts, the caller's
 * cancellation signal, per-platform auth, an `Idempotency-Key` on every mutating call, and every
 * response parsed with zod. It never retries: Temporal owns retries (see DESIGN.md).
 */
import { randomUUID } from 'node:crypto';
import { Agent, type Dispatcher, request } from 'undici';
import { withHttpSpan } from '../telemetry/tracing.js';
import type { z } from 'zod';
import {
  ConnectionError,
  errorFromResponse,
  type Platform,
  type ProviderErrorContext,
  ResponseValidationError,
  TimeoutError,
} from './errors.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export type QueryValue = string | number | boolean | null | undefined | readonly (string | number)[];

/** Per-call options every provider method accepts. */
export interface CallOptions {
  /** Aborts the request (pass the activity's `cancellationSignal`). */
  signal?: AbortSignal;
  /**
   * Sent as `Idempotency-Key` on mutating calls. Activities derive it from workflow id + step so it
   * is the same on every retry; when omitted a random key is used (one-off calls outside Temporal).
   */
  idempotencyKey?: string;
  /** Overrides the client's default timeout for this call. */
  timeoutMs?: number;
  /**
   * The activity attempt making this call (1 = first). Adapters whose platform ignores
   * `Idempotency-Key` look for an earlier attempt's effect before repeating it only when this is > 1.
   */
  attempt?: number;
}

export interface RequestSpec<S extends z.ZodTypeAny | undefined = undefined> extends CallOptions {
  method: HttpMethod;
  /** Path below the base URL, ids already substituted (use {@link path}). */
  path: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** Schema for a 2xx body. Omit for calls whose body we ignore (e.g. 204). */
  schema?: S;
  headers?: Record<string, string>;
}

export interface HttpClientOptions {
  platform: Platform;
  baseUrl: string;
  /** Credential alias, for error messages only. */
  alias?: string;
  /** Headers that authenticate every request (e.g. `Authorization: Bearer …`). */
  authHeaders?: Record<string, string>;
  /** @default 30000 */
  timeoutMs?: number;
  dispatcher?: Dispatcher;
  /** Dispatcher for event streams. @default an uncapped process-wide agent, apart from `dispatcher`'s */
  streamDispatcher?: Dispatcher;
  userAgent?: string;
  /**
   * How an array query value is written: `repeat` (`status=a&status=b`) or `brackets`
   * (`status[]=a&status[]=b`, what Phoenix/Plug servers read as a list: ArchAstro). @default 'repeat'
   */
  arrayQuery?: 'repeat' | 'brackets';
}

/** Process-wide keep-alive pool shared by all clients, for request/response calls. */
let sharedAgent: Agent | undefined;
function defaultDispatcher(): Agent {
  sharedAgent ??= new Agent({ keepAliveTimeout: 10_000, connections: 256 });
  return sharedAgent;
}

/**
 * Event streams get their own agent, without a connection cap: a stream holds its connection for
 * as long as the platform streams (hours for deep research), so in the shared pool a few hundred
 * followed runs would leave steering calls (a decision's `intervene`, a message) queued behind
 * them. Measured: with 400 research streams open, decisions waited up to 55 s for a connection.
 */
let streamAgent: Agent | undefined;
function defaultStreamDispatcher(): Agent {
  streamAgent ??= new Agent({ keepAliveTimeout: 10_000 });
  return streamAgent;
}

/** Builds a path from a template, URL-encoding each parameter: `path('/s/{id}', {id})`. */
export function path(template: string, params: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => {
    const v = params[k];
    if (v === undefined) throw new Error(`missing path parameter ${k} for ${template}`);
    return encodeURIComponent(String(v));
  });
}

const MUTATING: ReadonlySet<HttpMethod> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** A small typed HTTP client bound to one platform, base URL and credential. */
export class HttpClient {
  readonly platform: Platform;
  readonly baseUrl: string;
  readonly alias?: string;
  private readonly authHeaders: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly dispatcher: Dispatcher;
  private readonly streamDispatcher: Dispatcher;
  private readonly userAgent: string;
  private readonly arrayQuery: 'repeat' | 'brackets';

  constructor(opts: HttpClientOptions) {
    this.platform = opts.platform;
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.alias = opts.alias;
    this.authHeaders = opts.authHeaders ?? {};
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.dispatcher = opts.dispatcher ?? defaultDispatcher();
    this.streamDispatcher = opts.streamDispatcher ?? defaultStreamDispatcher();
    this.userAgent = opts.userAgent ?? 'switchboard/0.1';
    this.arrayQuery = opts.arrayQuery ?? 'repeat';
  }

  url(p: string, query?: Record<string, QueryValue>): string {
    const u = new URL(this.baseUrl + p);
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v === undefined || v === null) continue;
      if (Array.isArray(v))
        for (const item of v) u.searchParams.append(this.arrayQuery === 'brackets' ? `${k}[]` : k, String(item));
      else u.searchParams.set(k, String(v));
    }
    return u.toString();
  }

  private ctx(method: string, p: string): ProviderErrorContext {
    return { platform: this.platform, alias: this.alias, method, path: p };
  }

  /** Sends one request and returns the parsed, validated body. Throws a {@link ProviderError}. */
  async request<S extends z.ZodTypeAny>(spec: RequestSpec<S> & { schema: S }): Promise<z.output<S>>;
  async request(spec: RequestSpec<undefined>): Promise<undefined>;
  async request<S extends z.ZodTypeAny>(spec: RequestSpec<S | undefined>): Promise<unknown> {
    const res = await this.send(spec, 'application/json');
    const text = await res.body.text();
    const ctx = this.ctx(spec.method, spec.path);
    const parsed = parseBody(text);
    if (res.statusCode < 200 || res.statusCode >= 300) {
      throw errorFromResponse(ctx, res.statusCode, parsed.ok ? parsed.value : text, res.headers);
    }
    if (!spec.schema) return undefined;
    if (!parsed.ok) {
      throw new ResponseValidationError({
        ...ctx,
        status: res.statusCode,
        code: 'malformed_body',
        detail: `response is not JSON: ${text.slice(0, 120)}`,
        requestId: headerValue(res.headers, 'x-request-id'),
      });
    }
    const result = spec.schema.safeParse(parsed.value);
    if (!result.success) {
      throw new ResponseValidationError({
        ...ctx,
        status: res.statusCode,
        code: 'schema_mismatch',
        detail: result.error.issues
          .slice(0, 5)
          .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
          .join('; '),
        requestId: headerValue(res.headers, 'x-request-id'),
      });
    }
    return result.data as unknown;
  }

  /**
   * Opens a streaming response (SSE). A non-2xx answer is read and thrown as a ProviderError;
   * otherwise the caller owns the body. No overall timeout applies: only the header timeout.
   */
  async openStream(spec: Omit<RequestSpec<undefined>, 'schema'>): Promise<Dispatcher.ResponseData> {
    const res = await this.send(
      { ...spec, timeoutMs: spec.timeoutMs ?? 0 },
      'text/event-stream',
      this.streamDispatcher,
    );
    if (res.statusCode < 200 || res.statusCode >= 300) {
      const text = await res.body.text().catch(() => '');
      const parsed = parseBody(text);
      throw errorFromResponse(
        this.ctx(spec.method, spec.path),
        res.statusCode,
        parsed.ok ? parsed.value : text,
        res.headers,
      );
    }
    return res;
  }

  private async send(
    spec: RequestSpec<z.ZodTypeAny | undefined>,
    accept: string,
    dispatcher = this.dispatcher,
  ): Promise<Dispatcher.ResponseData> {
    const headers: Record<string, string> = {
      accept,
      'user-agent': this.userAgent,
      ...this.authHeaders,
      ...spec.headers,
    };
    let body: string | undefined;
    if (spec.body !== undefined) {
      body = JSON.stringify(spec.body);
      headers['content-type'] = 'application/json';
    }
    if (MUTATING.has(spec.method)) headers['idempotency-key'] = spec.idempotencyKey ?? randomUUID();

    const timeoutMs = spec.timeoutMs ?? this.timeoutMs;
    const timeout = timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined;
    const signals = [spec.signal, timeout].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    const ctx = this.ctx(spec.method, spec.path);
    try {
      const url = this.url(spec.path, spec.query);
      // A CLIENT span under the activity's span when tracing is on (it also adds `traceparent`).
      return await withHttpSpan({ platform: this.platform, method: spec.method, url, headers }, () =>
        request(url, {
          method: spec.method,
          headers,
          body,
          signal,
          dispatcher,
          headersTimeout: timeoutMs > 0 ? timeoutMs : undefined,
          bodyTimeout: timeoutMs > 0 ? timeoutMs : 0,
        }),
      );
    } catch (err) {
      // The caller's own cancellation is not a platform failure: let it through untouched.
      if (spec.signal?.aborted) throw spec.signal.reason ?? err;
      throw transportError(ctx, err, timeout?.aborted ?? false, timeoutMs);
    }
  }
}

/** Maps an undici/Node transport failure to ConnectionError or TimeoutError. */
export function transportError(ctx: ProviderErrorContext, err: unknown, timedOut: boolean, timeoutMs?: number) {
  const code = (err as { code?: string } | undefined)?.code;
  if (
    timedOut ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT'
  ) {
    return new TimeoutError({
      ...ctx,
      code: code ?? 'timeout',
      detail: `no answer within ${timeoutMs ?? '?'} ms`,
      cause: err,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ConnectionError({ ...ctx, code: code ?? 'connection_failed', detail: message, cause: err });
}

function parseBody(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
