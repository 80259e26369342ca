/**
 * One-time decision links: `<origin>/ui/l/<token>`, where the token is HMAC-sealed claims
 * (workflow, gate request, digest, decision, person, expiry, link id). Opening one shows what is
 * decided; posting its form decides as that person (signed with their key). A link is refused —
 * and the refusal audited — when tampered with, expired, already used (ids are recorded on disk,
 * so a restart does not revive one), or stale (the gate moved to another request or digest).
 * Links in notifications are minted by the worker with the same claims (src/identity/links.ts).
 */
import { type ClientErrorCode, type SwitchboardClient, SwitchboardClientError } from '../client/index.js';
import { HttpProblem } from './deps.js';
import { GatewayAudit, loadSecret } from './state.js';
import { linkUrl, MAX_LINK_TTL_SECONDS, sealLink, Signer } from '../identity/links.js';

export interface IssuedLink {
  url: string;
  expiresAt: string;
  requestId: string;
  digest: string;
  linkId: string;
}

/** Issues a link for `person` on the gate open now. Refused when nothing is open or they are not an approver. */
export async function issueLink(
  o: { sb: SwitchboardClient; signer: Signer; audit: GatewayAudit; origin: string },
  person: string,
  workflowId: string,
  decision: 'approve' | 'reject',
  ttlSeconds: number,
): Promise<IssuedLink> {
  if (!(ttlSeconds > 0 && ttlSeconds <= MAX_LINK_TTL_SECONDS))
    throw new HttpProblem(422, 'invalid_input', `a link lives at most ${MAX_LINK_TTL_SECONDS} seconds`);
  const view = await o.sb.gates.show(workflowId);
  if (!view.open || !view.requestId || !view.digest)
    throw new HttpProblem(409, 'gate_closed', `workflow ${workflowId} has no open gate`);
  if (!view.approvers?.includes(person))
    throw new HttpProblem(403, 'not_an_approver', `${person} is not an approver of this gate`);
  const exp = Date.now() + ttlSeconds * 1000;
  const { token, claims } = sealLink(o.signer, {
    workflowId,
    requestId: view.requestId,
    digest: view.digest,
    decision,
    decider: person,
    exp,
  });
  o.audit.write({
    event: 'link.issued',
    who: person,
    workflowId,
    detail: `${decision} ${claims.id} until ${new Date(exp).toISOString()}`,
  });
  return {
    url: linkUrl(o.origin, token),
    expiresAt: new Date(exp).toISOString(),
    requestId: view.requestId,
    digest: view.digest,
    linkId: claims.id,
  };
}

/**
 * The same, from the CLI: reads the gateway's secret from its directory (or the environment). A
 * refusal is a client error, so the CLI answers it with its usual exit code (2 invalid input, 3 not
 * found, 4 refused) and `--json` shape.
 */
export async function issueLinkFor(
  o: { sb: SwitchboardClient; dir: string; secret?: string; origin: string },
  person: string,
  workflowId: string,
  decision: 'approve' | 'reject',
  ttlSeconds: number,
): Promise<IssuedLink> {
  try {
    return await issueLink(
      { sb: o.sb, signer: new Signer(loadSecret(o.dir, o.secret)), audit: new GatewayAudit(o.dir), origin: o.origin },
      person,
      workflowId,
      decision,
      ttlSeconds,
    );
  } catch (err) {
    if (!(err instanceof HttpProblem)) throw err;
    const code: ClientErrorCode = err.status === 422 ? 'invalid_input' : err.status === 404 ? 'not_found' : 'rejected';
    throw new SwitchboardClientError(code, err.message);
  }
}
