/**
 * `deliverWebhook`: one attempt of one outbox delivery. The `webhookDelivery` workflow owns the
 * schedule (immediately, 5 s, 5 min … with timers between single attempts), so this activity
 * never throws for an answer it understood: it returns what the attempt came to and the workflow
 * decides. Why not Temporal's retry policy: its backoff is exponential, while webhooks follow a
 * fixed schedule that must survive being replayed by a person, and 410 must stop more than this
 * one message.
 *
 * Before sending it checks, in order: the endpoint alias is configured and accepts the event
 * type; the endpoint is not disabled (its marker workflow is not open); the target passes the SSRF guard. The URL and
 * the
 * secrets never leave the worker.
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { eventAllowed, type WebhookEndpoints } from '../config.js';
import {
  type AttemptOutcome,
  type DeliveryRequest,
  endpointMarkerId,
  GATE_NOTIFY_ENDPOINT,
  MAX_RETRY_AFTER_SECONDS,
  type WebhookDeliveryInput,
} from '../contracts/outbox.js';
import { OutboxClient } from '../client/outbox.js';
import { postSigned, resolveTarget, TargetPolicy, TargetRefused } from '../providers/webhooks.js';
import { METRICS } from '../contracts/metrics.js';
import type { GateView } from '../contracts/gates.js';
import { type NotificationLinks, type NotificationLinkSettings, notificationLinks } from '../identity/links.js';

export interface OutboxDeps {
  /** Endpoints from the environment; without it only the default endpoint of the old variables exists. */
  webhooks?: WebhookEndpoints;
  /** Per-attempt timeout. @default 15000 */
  webhookTimeoutMs?: number;
  /**
   * Attach one-time approve/reject links to gate notifications (`gate.*` events), minted at send
   * time so they never enter history. Undefined: notifications carry no links.
   */
  decisionLinks?: NotificationLinkSettings;
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
      if (r.endpoint === 'default')
        return {
          outcome: 'unconfigured',
          reason: 'no default webhook endpoint is configured (SWITCHBOARD_NOTIFY_WEBHOOK)',
        };
      return {
        outcome: 'refused',
        reason: `endpoint ${r.endpoint} is not configured (${deps.webhooks?.variableFor(r.endpoint) ?? 'SWITCHBOARD_WEBHOOK_<ALIAS>_URL'})`,
      };
    }
    if (!eventAllowed(ep.events, r.eventType)) {
      return {
        outcome: 'refused',
        reason: `endpoint ${r.endpoint} does not accept ${r.eventType} events (it accepts ${ep.events!.join(', ')})`,
      };
    }
    const disabled = await markerOpen(ctx, endpointMarkerId(r.endpoint));
    if (disabled)
      return {
        outcome: 'disabled',
        reason: `endpoint ${r.endpoint} is disabled (${disabled}); enable it with \`switchboard outbox enable ${r.endpoint}\``,
      };
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
    const links = deps.decisionLinks ? await gateLinks(ctx, deps.decisionLinks, r) : undefined;
    const data = links ? { ...(r.payload as Record<string, unknown>), decisionLinks: links } : r.payload;
    const body = JSON.stringify({ type: r.eventType, timestamp: r.createdAt, data });
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
      if (answer.status === 410)
        return { outcome: 'gone', status: 410, reason: `endpoint ${r.endpoint} answered 410 Gone` };
      const retryAfterSeconds =
        answer.retryAfterSeconds === undefined
          ? undefined
          : Math.min(answer.retryAfterSeconds, MAX_RETRY_AFTER_SECONDS);
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
    /**
     * Queues a message from a workflow as a delivery of its own (not a child): the gate announces
     * itself this way, so once a gate is visible its history no longer grows on its own (a child's
     * completion would land in it moments later). Same start as `client.outbox.send`.
     */
    async queueWebhook(
      input: WebhookDeliveryInput,
    ): Promise<{ queued: true; workflowId: string; duplicate: boolean } | { queued: false; reason: string }> {
      const ctx = Context.current();
      // Every gate announces itself: without a default endpoint that would be one delivery
      // workflow per gate that can only end `skipped`. The message is logged instead.
      if (input.endpoint === 'default' && !deps.webhooks?.get('default')) {
        ctx.log.info('webhook not queued: no default endpoint configured', {
          messageId: input.messageId,
          eventType: input.eventType,
        });
        return { queued: false, reason: 'no default webhook endpoint is configured (SWITCHBOARD_NOTIFY_WEBHOOK)' };
      }
      return { queued: true, ...(await new OutboxClient(ctx.client, ctx.info.taskQueue).send(input)) };
    },
    async deliverWebhook(r: DeliveryRequest): Promise<AttemptOutcome> {
      const out = await attempt(r);
      Context.current()
        .metricMeter.createCounter(METRICS.webhookDeliveries, 'attempts', 'webhook delivery attempts by outcome')
        .add(1, { outcome: out.outcome });
      return out;
    },
  };
}

/**
 * Decision links for a gate notification, from what the gate shows now: only while the request
 * the notification is about is still open (a late attempt for a decided gate carries none). A
 * gate that cannot be asked never holds the notification up: it goes out without links. Only for
 * the endpoint gates notify: a delivery's input is data anyone in the namespace can start, so a
 * `gate.*` message for another endpoint (one its sender may read) gets no approver's links.
 */
async function gateLinks(
  ctx: Context,
  settings: NotificationLinkSettings,
  r: DeliveryRequest,
): Promise<NotificationLinks | undefined> {
  if (r.endpoint !== GATE_NOTIFY_ENDPOINT) return undefined;
  if (!r.eventType.startsWith('gate.') || typeof r.payload !== 'object' || r.payload === null) return undefined;
  const p = r.payload as { workflowId?: unknown; requestId?: unknown };
  if (typeof p.workflowId !== 'string' || typeof p.requestId !== 'string') return undefined;
  try {
    const view = await ctx.client.workflow.getHandle(p.workflowId).query<GateView>('gate');
    if (!view.open || view.requestId !== p.requestId || !view.digest || !view.approvers?.length) return undefined;
    const links = notificationLinks(
      settings,
      {
        workflowId: p.workflowId,
        requestId: view.requestId,
        digest: view.digest,
        approvers: view.approvers,
        allowed: view.allowed,
      },
      { messageId: r.messageId, createdAt: r.createdAt },
    );
    // The links themselves are bearer capabilities: logged by count only.
    ctx.log.info('decision links attached', {
      messageId: r.messageId,
      workflowId: p.workflowId,
      approvers: view.approvers.length,
      expiresAt: links?.expiresAt,
    });
    return links;
  } catch (err) {
    ctx.log.warn('decision links not attached: the gate could not be read', {
      messageId: r.messageId,
      workflowId: p.workflowId,
      error: errText(err),
    });
    return undefined;
  }
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
