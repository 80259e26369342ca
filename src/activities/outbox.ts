/**
 * `deliverWebhook`: one attempt of one outbox delivery. The `webhookDelivery` workflow owns the
 * schedule (immediately, 5 s, 5 min … with timers between single attempts), so this activity
 * never throws for an answer it understood: it returns what the attempt came to and the workflow
 * decides. Why not Temporal's retry policy: its backoff is exponential, while webhooks follow a
 * fixed schedule that must survive being replayed by a person, and 410 must stop more than this
 * one message.
 *
 * Before sending it checks, in order: the endpoint alias is configured and accepts the event
 * type; the endpoint is not disabled (its marker workflow is not open); the target passes the SSRF guard. The URL and the
 * secrets never leave the worker.
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { eventAllowed, type WebhookEndpoints } from '../config.js';
import { type AttemptOutcome, type DeliveryRequest, endpointMarkerId, MAX_RETRY_AFTER_SECONDS } from '../contracts/outbox.js';
import { postSigned, resolveTarget, TargetPolicy, TargetRefused } from '../providers/webhooks.js';
import { METRICS } from '../contracts/metrics.js';

export interface OutboxDeps {
  /** Endpoints from the environment; without it only the default endpoint of the old variables exists. */
  webhooks?: WebhookEndpoints;
  /** Per-attempt timeout. @default 15000 */
  webhookTimeoutMs?: number;
}

/**
 * The outbox's one activity: a single signed delivery attempt to an endpoint alias; the delivery
 * workflow owns the retry schedule.
 */
export function createOutboxActivities(deps: OutboxDeps) {
  const policy = new TargetPolicy(deps.webhooks?.allow ?? []);
  const timeoutMs = deps.webhookTimeoutMs ?? 15_000;
  const attempt = async (r: DeliveryRequest): Promise<AttemptOutcome> => {
    const ctx = Context.current();
    const log = { endpoint: r.endpoint, messageId: r.messageId, eventType: r.eventType, attempt: r.attempt };
    const ep = deps.webhooks?.get(r.endpoint);
    if (!ep) {
      ctx.log.info('webhook not sent: no endpoint configured', log);
      // The default endpoint is optional (notifications are then only logged); a named one is a mistake.
      if (r.endpoint === 'default') return { outcome: 'unconfigured', reason: 'no default webhook endpoint is configured (SWITCHBOARD_NOTIFY_WEBHOOK)' };
      return {
        outcome: 'refused',
        reason: `endpoint ${r.endpoint} is not configured (${deps.webhooks?.variableFor(r.endpoint) ?? 'SWITCHBOARD_WEBHOOK_<ALIAS>_URL'})`,
      };
    }
    if (!eventAllowed(ep.events, r.eventType)) {
      return { outcome: 'refused', reason: `endpoint ${r.endpoint} does not accept ${r.eventType} events (it accepts ${ep.events!.join(', ')})` };
    }
    const disabled = await markerOpen(ctx, endpointMarkerId(r.endpoint));
    if (disabled)
      return { outcome: 'disabled', reason: `endpoint ${r.endpoint} is disabled (${disabled}); enable it with \`switchboard outbox enable ${r.endpoint}\`` };
    let target;
    try {
      target = await resolveTarget(new URL(ep.url), policy);
    } catch (err) {
      if (err instanceof TargetRefused) {
        ctx.log.warn('webhook target refused', { ...log, reason: err.message });
        return { outcome: 'refused', reason: `target refused: ${err.message}` };
      }
      return { outcome: 'failed', reason: `cannot resolve the endpoint's host: ${errText(err)}` };
    }
    const body = JSON.stringify({ type: r.eventType, timestamp: r.createdAt, data: r.payload });
    try {
      const answer = await postSigned({
        url: ep.url,
        address: target,
        messageId: r.messageId,
        body,
        secrets: ep.secrets,
        timeoutMs,
        signal: ctx.cancellationSignal,
      });
      ctx.log.info('webhook attempt', { ...log, status: answer.status });
      if (answer.status >= 200 && answer.status < 300) return { outcome: 'delivered', status: answer.status };
      if (answer.status === 410) return { outcome: 'gone', status: 410, reason: `endpoint ${r.endpoint} answered 410 Gone` };
      const retryAfterSeconds = answer.retryAfterSeconds === undefined ? undefined : Math.min(answer.retryAfterSeconds, MAX_RETRY_AFTER_SECONDS);
      return {
        outcome: 'failed',
        status: answer.status,
        reason: `endpoint answered ${answer.status}`,
        ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
      };
    } catch (err) {
      if (ctx.cancellationSignal.aborted) throw err;
      return { outcome: 'failed', reason: `no answer: ${errText(err)}` };
    }
  };
  return {
    async deliverWebhook(r: DeliveryRequest): Promise<AttemptOutcome> {
      const out = await attempt(r);
      Context.current()
        .metricMeter.createCounter(METRICS.webhookDeliveries, 'attempts', 'webhook delivery attempts by outcome')
        .add(1, { outcome: out.outcome });
      return out;
    },
  };
}

/** Why the endpoint marker is open (its start time), or undefined when there is none running. */
async function markerOpen(ctx: Context, workflowId: string): Promise<string | undefined> {
  try {
    const d = await ctx.client.workflow.getHandle(workflowId).describe();
    return d.status.name === 'RUNNING' ? `disabled since ${d.startTime.toISOString()}` : undefined;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

function errText(err: unknown): string {
  const e = err as { message?: string; code?: string; cause?: { message?: string; code?: string } };
  return [e?.code, e?.message, e?.cause?.code ?? e?.cause?.message].filter(Boolean).join(': ') || String(err);
}
