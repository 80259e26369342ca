/**
 * `notifyPeople`: reminders and escalations for open gates recorded before
 * `gate-notifications-via-outbox` (new ones go through the webhook outbox, src/activities/outbox.ts;
 * this stays registered so those workflows keep running). Posts a Standard Webhooks-signed JSON
 * message to SWITCHBOARD_NOTIFY_WEBHOOK when configured (signed with SWITCHBOARD_NOTIFY_SECRET),
 * and logs it either way. The message id is stable per (workflow, request, event, deadline), so a
 * retried delivery can be de-duplicated by the receiver.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { request } from 'undici';
import { Webhook } from 'standardwebhooks';

export interface Notification {
  event: 'reminder' | 'escalation';
  workflowId: string;
  kind: string;
  subject: string;
  approvers: string[];
  deadline: string;
  requestId: string;
}

/**
 * Tells people a gate needs them (reminders, escalations) through the notify webhook, signed when a
 * secret is set.
 */
export function createNotifyActivities(deps: { notifyWebhook?: string; notifySecret?: string }) {
  // Several secrets (comma-separated, while one is rotated out): each signs.
  const signers = (deps.notifySecret ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
    .map((x) => new Webhook(x));
  return {
    async notifyPeople(n: Notification): Promise<{ delivered: boolean }> {
      const ctx = Context.current();
      ctx.log.info('gate notification', { ...n });
      if (!deps.notifyWebhook) return { delivered: false };
      const id = `${n.workflowId}/${n.requestId}/${n.event}/${n.deadline}`;
      const body = JSON.stringify({ type: `gate.${n.event}`, timestamp: new Date().toISOString(), data: n });
      const headers: Record<string, string> = { 'content-type': 'application/json', 'webhook-id': id };
      if (signers.length) {
        const at = new Date();
        headers['webhook-timestamp'] = String(Math.floor(at.getTime() / 1000));
        headers['webhook-signature'] = signers.map((w) => w.sign(id, at, body)).join(' ');
      }
      const res = await request(deps.notifyWebhook, {
        method: 'POST',
        headers,
        body,
        signal: ctx.cancellationSignal,
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      await res.body.dump();
      if (res.statusCode >= 500 || res.statusCode === 429) throw new Error(`webhook answered ${res.statusCode}`);
      if (res.statusCode >= 300)
        throw ApplicationFailure.nonRetryable(`webhook answered ${res.statusCode}`, 'WebhookRejected');
      return { delivered: true };
    },
  };
}
