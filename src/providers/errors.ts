/**
 * The one error taxonomy for every platform call.
 *
 * Every non-2xx response, transport failure and schema mismatch becomes a {@link ProviderError}
 * subclass built by {@link errorFromResponse} (or the transport helpers below), so activities need
 * exactly one mapping to Temporal failures (`src/activities/failures.ts`).
 */

/** The five platforms Switchboard orchestrates. */
export { PLATFORMS, type Platform } from '../contracts/platforms.js';
import type { Platform } from '../contracts/platforms.js';

/** Human-readable platform names used in error messages. */
export const PLATFORM_NAMES: Record<Platform, string> = {
  webagent: 'Web Agent',
  archastro: 'ArchAstro',
  wysemate: 'Wyse Mate',
  mix: 'Mix',
  mycel: 'Mycel',
};

/** Where a failed call came from; carried by every {@link ProviderError}. */
export interface ProviderErrorContext {
  platform: Platform;
  /** Credential alias used for the call (never the secret itself). */
  alias?: string;
  method?: string;
  /** Path template or concrete path (no query string: queries may carry ids, never secrets). */
  path?: string;
}

export interface ProviderErrorInit extends ProviderErrorContext {
  status?: number;
  code?: string;
  detail?: string;
  requestId?: string;
  /** Seconds to wait before retrying, from `Retry-After`. */
  retryAfterSeconds?: number;
  extra?: unknown;
  cause?: unknown;
}

/** Base class of every platform failure. */
export class ProviderError extends Error {
  readonly platform: Platform;
  readonly alias?: string;
  readonly status?: number;
  readonly code?: string;
  readonly detail?: string;
  readonly requestId?: string;
  readonly retryAfterSeconds?: number;
  readonly extra?: unknown;
  readonly method?: string;
  readonly path?: string;
  /** Whether retrying the same call may succeed. Subclasses fix this. */
  readonly retryable: boolean = false;

  constructor(init: ProviderErrorInit) {
    super(describe(init), init.cause !== undefined ? { cause: init.cause } : undefined);
    this.name = new.target.name;
    this.platform = init.platform;
    this.alias = init.alias;
    this.status = init.status;
    this.code = init.code;
    this.detail = init.detail;
    this.requestId = init.requestId;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.extra = init.extra;
    this.method = init.method;
    this.path = init.path;
  }
}

function describe(init: ProviderErrorInit): string {
  const parts = [`${PLATFORM_NAMES[init.platform]}`];
  if (init.method && init.path) parts.push(`${init.method} ${init.path}`);
  const head = parts.join(' ');
  const status = init.status !== undefined ? ` ${init.status}` : '';
  const code = init.code ? ` ${init.code}` : '';
  const detail = init.detail ? `: ${init.detail}` : '';
  const alias = init.alias ? ` (credential alias "${init.alias}")` : '';
  const req = init.requestId ? ` [request ${init.requestId}]` : '';
  return `${head} failed${status}${code}${detail}${alias}${req}`;
}

// 4xx: the same call will fail the same way.
export class BadRequestError extends ProviderError {}
export class UnauthorizedError extends ProviderError {}
export class PaymentRequiredError extends ProviderError {}
export class InsufficientCreditsError extends PaymentRequiredError {}
export class BudgetExceededError extends PaymentRequiredError {}
export class ForbiddenError extends ProviderError {}
/** 403 `safety_boundary_violated` (Web Agent): the platform refused the task itself. */
export class SafetyBoundaryViolatedError extends ForbiddenError {}
export class NotFoundError extends ProviderError {}
export class ConflictError extends ProviderError {}
export class UnprocessableError extends ProviderError {}
/** The response did not match the schema we rely on; retrying will not change the platform's mind. */
export class ResponseValidationError extends ProviderError {}

// Transient: Temporal retries these.
export class RequestTimeoutError extends ProviderError {
  override readonly retryable = true;
}
export class RateLimitedError extends ProviderError {
  override readonly retryable = true;
}
export class ServerError extends ProviderError {
  override readonly retryable = true;
}
export class ConnectionError extends ProviderError {
  override readonly retryable = true;
}
export class TimeoutError extends ProviderError {
  override readonly retryable = true;
}

/** Every concrete class, by name: the `type` of the ApplicationFailure an activity throws. */
export const PROVIDER_ERROR_CLASSES = {
  BadRequestError,
  UnauthorizedError,
  PaymentRequiredError,
  InsufficientCreditsError,
  BudgetExceededError,
  ForbiddenError,
  SafetyBoundaryViolatedError,
  NotFoundError,
  ConflictError,
  UnprocessableError,
  ResponseValidationError,
  RequestTimeoutError,
  RateLimitedError,
  ServerError,
  ConnectionError,
  TimeoutError,
} as const;

/** Error type names that Temporal must never retry. */
export const NON_RETRYABLE_ERROR_TYPES: readonly string[] = Object.entries(PROVIDER_ERROR_CLASSES)
  .filter(([, cls]) => !new cls({ platform: 'mix' }).retryable)
  .map(([name]) => name);

/**
 * Parses `Retry-After` given either as delta-seconds or as an HTTP date.
 * @returns seconds to wait (≥ 0), or undefined when absent or unparseable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value == null) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * Pulls code / detail / request id out of any of the platforms' error envelopes:
 * Web Agent `{code, detail, extra}` (optionally under `error`), ArchAstro `{error: {code, message, fields?}}`
 * or `{error: "<code>", message}`,
 * Mix `{error: "…"}`/`{message}`, Wyse Mate `{code, msg}`, Mycel/FastAPI `{detail}`.
 */
export function parseErrorEnvelope(body: unknown): {
  code?: string;
  detail?: string;
  requestId?: string;
  extra?: unknown;
} {
  if (typeof body === 'string') return { detail: body.slice(0, 500) || undefined };
  if (body === null || typeof body !== 'object') return {};
  const b = body as Record<string, unknown>;
  const inner = b.error && typeof b.error === 'object' ? (b.error as Record<string, unknown>) : undefined;
  const code =
    str(inner?.code) ??
    str(inner?.type) ??
    str(b.code) ??
    str(b.error_code) ??
    (typeof b.code === 'number' ? String(b.code) : undefined) ??
    // ArchAstro's other form `{error: "<code>", message}`: both SDKs read the string as the code
    // (@archastro/sdk runtime/http-client.js, archastro-sdk runtime/http_client.py `_parse_error`).
    (str(b.message) ? str(b.error) : undefined);
  let detail =
    str(inner?.detail) ?? str(inner?.message) ?? str(b.detail) ?? str(b.message) ?? str(b.msg) ?? str(b.error);
  // ArchAstro names each bad field (`fields: [{field, message}]`); its SDKs add them to the message.
  const fields = Array.isArray(inner?.fields)
    ? (inner.fields as unknown[])
        .map((f) => f as { field?: unknown; message?: unknown })
        .filter((f) => typeof f?.field === 'string' && typeof f.message === 'string')
        .map((f) => `${String(f.field)}: ${String(f.message)}`)
    : [];
  if (fields.length > 0) detail = `${detail ?? 'invalid request'} (${fields.join(', ')})`.slice(0, 1000);
  // FastAPI validation errors put a list under `detail`.
  if (!detail && Array.isArray(b.detail)) detail = JSON.stringify(b.detail).slice(0, 500);
  const requestId = str(inner?.request_id) ?? str(b.request_id) ?? str(b.requestId);
  const extra = inner?.extra ?? b.extra;
  return { code, detail, requestId, extra };
}

/**
 * The one factory: builds the right {@link ProviderError} from an HTTP status, the parsed body and
 * the response headers.
 */
export function errorFromResponse(
  ctx: ProviderErrorContext,
  status: number,
  body: unknown,
  headers: Headers = {},
): ProviderError {
  const env = parseErrorEnvelope(body);
  const init: ProviderErrorInit = {
    ...ctx,
    status,
    code: env.code,
    detail: env.detail,
    extra: env.extra,
    requestId: header(headers, 'x-request-id') ?? header(headers, 'request-id') ?? env.requestId,
    retryAfterSeconds: parseRetryAfter(header(headers, 'retry-after')),
  };
  switch (status) {
    case 400:
      return new BadRequestError(init);
    case 401:
      return new UnauthorizedError(init);
    case 402:
      if (env.code === 'insufficient_credits') return new InsufficientCreditsError(init);
      if (env.code === 'budget_exceeded') return new BudgetExceededError(init);
      return new PaymentRequiredError(init);
    case 403:
      if (env.code === 'safety_boundary_violated') return new SafetyBoundaryViolatedError(init);
      return new ForbiddenError(init);
    case 404:
      return new NotFoundError(init);
    case 408:
      return new RequestTimeoutError(init);
    case 409:
      return new ConflictError(init);
    case 422:
      return new UnprocessableError(init);
    case 429:
      return new RateLimitedError(init);
  }
  if (status >= 500) return new ServerError(init);
  // Other 4xx (405, 410, 413, …) are the caller's mistake: not worth retrying.
  return new BadRequestError(init);
}
