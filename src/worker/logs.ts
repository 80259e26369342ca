/**
 * What the worker's JSON log lines say about errors, and what they never say: a secret.
 *
 * `JSON.stringify(new Error('x'))` is `{}` (an Error's own fields are not enumerable), which is how
 * 71 of 72 error lines in one worker log read `"error":{}`. Every Error in a line's metadata is
 * written as {@link SerializedError} instead, and the finished line is redacted: every secret
 * value the process registered ({@link registerSecrets}) and anything shaped like an
 * `Authorization` or `x-api-key` header value.
 */

/** An Error as a log line shows it. `details` of an ApplicationFailure are left out (payload data). */
export interface SerializedError {
  name: string;
  /** ApplicationFailure's `type` (for us: the ProviderError class name). */
  type?: string;
  message: string;
  /** A ProviderError's HTTP status, platform error code and request id. */
  status?: number;
  code?: string;
  requestId?: string;
  nonRetryable?: boolean;
  cause?: SerializedError;
  /** The first {@link STACK_FRAMES} frames only. */
  stack?: string;
}

/** Stack frames kept per error: where it was thrown, not the whole async trail. */
export const STACK_FRAMES = 3;
/** Causes followed before the chain is cut (failures nest ActivityFailure → ApplicationFailure → …). */
const MAX_CAUSES = 8;
/** Depth of plain objects walked looking for errors. */
const MAX_DEPTH = 6;
/** Shorter values are not treated as secrets: redacting them would mangle ordinary words. */
const MIN_SECRET_LENGTH = 4;
const REDACTED = '[REDACTED]';

const secrets = new Set<string>();

/**
 * Registers secret values (API keys, bearer tokens, webhook secrets) that no log line may print.
 * Called at start-up with every credential the process read; safe to call more than once.
 */
export function registerSecrets(values: Iterable<string | undefined>): void {
  for (const v of values) {
    if (typeof v !== 'string' || v.length < MIN_SECRET_LENGTH) continue;
    secrets.add(v);
    // The same value as it appears inside a JSON string (a secret with quotes or backslashes).
    secrets.add(JSON.stringify(v).slice(1, -1));
  }
}

/** Forgets every registered secret (tests). */
export function clearSecrets(): void {
  secrets.clear();
}

/** Header-shaped credentials: `Authorization: Bearer …`, `"x-api-key":"…"`, a bare `Bearer …`. */
const HEADER_PATTERNS: [RegExp, string][] = [
  [
    /((?:authorization|x-api-key|api-key|apikey)(?:\\?["'])?\s*[:=]\s*(?:\\?["'])?)(?:(?:bearer|basic|token)\s+)?[^\s"',;}\\]+/gi,
    `$1${REDACTED}`,
  ],
  [/\b(bearer\s+)[A-Za-z0-9._~+/=-]{4,}/gi, `$1${REDACTED}`],
];

/** Removes registered secrets and header-shaped credentials from text. */
export function redact(text: string): string {
  let out = text;
  // Longest first, so a secret that contains another is removed whole.
  for (const s of [...secrets].sort((a, b) => b.length - a.length))
    if (out.includes(s)) out = out.split(s).join(REDACTED);
  for (const [re, to] of HEADER_PATTERNS) out = out.replace(re, to);
  return out;
}

/**
 * Whether `v` is an Error. Not `instanceof`: errors logged from workflow code come from another V8
 * context (or were cloned across a worker thread), whose `Error` is a different constructor.
 */
function isError(v: unknown): v is Error {
  if (v instanceof Error) return true;
  return (
    typeof v === 'object' &&
    v !== null &&
    (Object.prototype.toString.call(v) === '[object Error]' ||
      (typeof (v as Error).message === 'string' && 'stack' in v))
  );
}

function firstFrames(stack: unknown): string | undefined {
  if (typeof stack !== 'string') return undefined;
  const frames = stack
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('at '))
    .slice(0, STACK_FRAMES);
  return frames.length > 0 ? frames.join('\n') : undefined;
}

/** An Error and its cause chain as plain JSON (see {@link SerializedError}). */
export function serializeError(err: Error, seen = new Set<unknown>(), depth = 0): SerializedError {
  seen.add(err);
  const e = err as Error & {
    type?: unknown;
    status?: unknown;
    code?: unknown;
    requestId?: unknown;
    nonRetryable?: unknown;
    cause?: unknown;
  };
  const out: SerializedError = {
    name: typeof e.name === 'string' && e.name ? e.name : 'Error',
    message: String(e.message ?? ''),
  };
  if (typeof e.type === 'string') out.type = e.type;
  if (typeof e.status === 'number') out.status = e.status;
  if (typeof e.code === 'string' || typeof e.code === 'number') out.code = String(e.code);
  if (typeof e.requestId === 'string') out.requestId = e.requestId;
  if (typeof e.nonRetryable === 'boolean') out.nonRetryable = e.nonRetryable;
  const cause = e.cause;
  if (cause !== undefined && cause !== null) {
    if (seen.has(cause) || depth >= MAX_CAUSES) out.cause = { name: 'Error', message: '(cause chain cut)' };
    else if (isError(cause)) out.cause = serializeError(cause, seen, depth + 1);
    else out.cause = { name: typeof cause, message: typeof cause === 'string' ? cause : safeJson(cause) };
  }
  const stack = firstFrames(e.stack);
  if (stack) out.stack = stack;
  return out;
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** A copy of log metadata with every Error (at any depth) replaced by {@link serializeError}. */
export function serializeMeta(value: unknown, depth = 0, seen = new Set<unknown>()): unknown {
  if (isError(value)) return serializeError(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value) || depth >= MAX_DEPTH) return '[…]';
  // Dates, URLs, Buffers and the like keep their own toJSON.
  if (!Array.isArray(value) && typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
  // `seen` holds the ancestors only: a cycle is cut, an object shown twice side by side is not.
  seen.add(value);
  const out = Array.isArray(value)
    ? value.map((v) => serializeMeta(v, depth + 1, seen))
    : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, serializeMeta(v, depth + 1, seen)]));
  seen.delete(value);
  return out;
}

/** One redacted JSON log line (no trailing newline). */
export function formatLogLine(fields: {
  ts: string;
  level: string;
  msg: string;
  meta?: Record<string, unknown>;
}): string {
  const meta = fields.meta ? (serializeMeta(fields.meta) as Record<string, unknown>) : {};
  return redact(safeJson({ ts: fields.ts, level: fields.level, msg: fields.msg, ...meta }));
}
