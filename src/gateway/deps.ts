/**
 * What every part of the gateway shares: the client library, the people, the signer, and the
 * helpers that turn errors into `{ error: { type, message, issues } }` bodies and decide as a
 * proven person.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import { type ClientErrorCode, SwitchboardClientError, type SwitchboardClient } from '../client/index.js';
import type { DecisionValue, GateOutcome } from '../contracts/gates.js';
import { loadPrivateKey } from '../identity/keys.js';
import type { OidcClient } from './oidc.js';
import type { RateLimits } from './ratelimit.js';
import type { GatewayAudit, UsedLinks, UserStore } from './state.js';
import type { Signer } from './tokens.js';
import type { TranscriptTails } from './transcript.js';

export interface GatewayDeps {
  sb: SwitchboardClient;
  users: UserStore;
  signer: Signer;
  audit: GatewayAudit;
  usedLinks: UsedLinks;
  /** Where people's private signing keys are (`SWITCHBOARD_KEYS_DIR`). */
  keysDir: string;
  /** The worker's artifact store directory (transcripts are read from it). */
  artifactDir: string;
  /** Origins a form may be posted from (the gateway's own). The first one is used in links. */
  origins: string[];
  tails: TranscriptTails;
  /** SSE comment-line interval. @default 15000 */
  heartbeatMs: number;
  /** How often a stream checks whether its workflow has ended. @default 1000 */
  endCheckMs: number;
  /** A stream ends after this long; the client reconnects with Last-Event-ID. @default 1 h */
  maxStreamMs: number;
  /** Sign-in and link-redemption limits. */
  rateLimits: RateLimits;
  /** The OIDC provider people may sign in with, when configured. */
  oidc?: OidcClient;
}

/** One field problem in a refused request. */
export interface Issue {
  path: string;
  message: string;
}

/** A refusal with its HTTP status and the body's `type`. */
export class HttpProblem extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly type: string,
    message: string,
    readonly issues: Issue[] = [],
  ) {
    super(message);
  }
}

const STATUS: Record<ClientErrorCode, ContentfulStatusCode> = {
  invalid_input: 422,
  not_found: 404,
  rejected: 409,
  already_exists: 409,
  failed: 502,
};

/** The JSON error body every endpoint answers with. */
export function problemBody(p: HttpProblem): { error: { type: string; message: string; issues: Issue[] } } {
  return { error: { type: p.type, message: p.message, issues: p.issues } };
}

/** Maps any error to an {@link HttpProblem} (unknown errors become a 500 without internals). */
export function toProblem(err: unknown): HttpProblem {
  if (err instanceof HttpProblem) return err;
  if (err instanceof SwitchboardClientError) return new HttpProblem(STATUS[err.code], err.code, err.message);
  return new HttpProblem(500, 'internal', 'internal error (see the gateway log)');
}

export function zodIssues(error: z.ZodError): Issue[] {
  return error.issues.slice(0, 20).map((i) => ({ path: i.path.join('.'), message: i.message }));
}

/** Parses with a schema or throws a 422 naming every bad field. */
export function parseOr422<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new HttpProblem(422, 'invalid_input', `invalid ${what}`, zodIssues(r.error));
  return r.data;
}

/** Reads a JSON body (the size limit is enforced before, by the body-limit middleware). */
export async function jsonBody(c: Context): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type))
    throw new HttpProblem(415, 'unsupported_media_type', 'send the body as application/json');
  const text = await c.req.text();
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpProblem(400, 'malformed_json', 'the body is not valid JSON');
  }
}

/** A decision as a person makes it through the gateway (the decider is who signed in). */
export interface PersonDecision {
  decision: DecisionValue;
  edits?: (string | Record<string, unknown>)[];
  reason?: string;
  comment?: string;
  requestId?: string;
  /** The digest of what the person was shown; a gate that has changed since is refused. */
  digest?: string;
}

/**
 * Decides as `person`, proven: the gateway holds the person's Ed25519 key (created by
 * `switchboard users add`) and signs the decision over the digest the person was shown, so the
 * worker checks it like a CLI-signed one. A person without a key decides unsigned (accepted as
 * `unverified` where proof is optional, refused and audited where it is required).
 */
export async function decideAs(
  deps: GatewayDeps,
  person: string,
  workflowId: string,
  d: PersonDecision,
): Promise<GateOutcome> {
  // One gate query (inside decide, to sign over what is open); a digest other than the one open
  // now, or a stale request id, is refused there or by the gate's validator.
  const key = loadPrivateKey(deps.keysDir, person);
  return deps.sb.gates.decide(
    workflowId,
    {
      decider: person,
      decision: d.decision,
      edits: d.edits,
      reason: d.reason,
      comment: d.comment,
      requestId: d.requestId,
      digest: d.digest,
    },
    { signWith: key },
  );
}
