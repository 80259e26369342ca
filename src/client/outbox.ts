/**
 * The webhook outbox (`client.outbox`): send a message through it, list deliveries (dead letters
 * first of all), replay them, enable an endpoint a 410 disabled.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/client';
import { z } from 'zod';
import { credentialAlias } from '../contracts/aliases.js';
import {
  type AttemptRecord,
  DELIVERY_STATUSES,
  type DeliveryMemo,
  type DeliveryView,
  deliveryWorkflowId,
  endpointMarkerId,
  type ReplayInput,
  replayInput,
  type WebhookDeliveryInput,
  webhookDeliveryInput,
} from '../contracts/outbox.js';
import { SwitchboardStatus } from '../contracts/searchAttributes.js';
import { deliveryQuery, enableUpdate, replayUpdate } from '../workflows/outbox/delivery.js';
import { type ClientErrorCode, listVisible, SubClient, SwitchboardClientError, validate } from './shared.js';

/** One row of `switchboard outbox list`. */
export interface OutboxItem extends Partial<DeliveryMemo> {
  workflowId: string;
  status?: string;
  workflowStatus: string;
  startTime: string;
}

/** What `replay` did for one delivery. */
export type ReplayResult =
  | { workflowId: string; ok: true; attempt: AttemptRecord }
  | { workflowId: string; ok: false; code: ClientErrorCode; message: string };

const outboxFilter = z
  .object({
    status: z.enum(DELIVERY_STATUSES).optional(),
    endpoint: credentialAlias().optional(),
    limit: z.number().int().positive().optional(),
  })
  .strict();

/** Client for `webhookDelivery` workflows and the endpoint markers a 410 opens. */
export class OutboxClient extends SubClient {
  /**
   * Queues one message for an endpoint alias. The workflow id is `outbox-<endpoint>-<messageId>`
   * and the start refuses a duplicate: sending the same message id again returns
   * `duplicate: true` and posts nothing more. (Not through `startWorkflow`: a duplicate is an
   * answer here, not an error, and a delivery carries no provider or awaiting-human attribute.)
   */
  async send(input: WebhookDeliveryInput): Promise<{ workflowId: string; duplicate: boolean }> {
    const parsed = validate(webhookDeliveryInput(), input, 'invalid webhook message');
    const workflowId = deliveryWorkflowId(parsed.endpoint, parsed.messageId);
    try {
      await this.temporal.workflow.start('webhookDelivery', {
        taskQueue: this.taskQueue,
        workflowId,
        args: [input],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        staticSummary: `${parsed.eventType} to ${parsed.endpoint}`,
        typedSearchAttributes: [{ key: SwitchboardStatus, value: 'delivering' }],
      });
      return { workflowId, duplicate: false };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, duplicate: true };
      throw err;
    }
  }

  /** Deliveries, newest first, through one visibility query (`--status dead`: the dead letters). */
  list(filter: { status?: string; endpoint?: string; limit?: number } = {}): Promise<OutboxItem[]> {
    const f = validate(outboxFilter, filter, 'invalid filter');
    const clauses = [`WorkflowType = 'webhookDelivery'`];
    if (f.status) clauses.push(`SwitchboardStatus = '${f.status}'`);
    // The endpoint is filtered here, not in the query: prefix matching on ids is not in every visibility store.
    return listVisible(this.temporal, clauses.join(' AND '), f.limit ?? 100, (wf) =>
      f.endpoint && !wf.workflowId.startsWith(`outbox-${f.endpoint}-`)
        ? undefined
        : {
            workflowId: wf.workflowId,
            ...(wf.memo as { outbox?: DeliveryMemo } | undefined)?.outbox,
            status: wf.typedSearchAttributes.get(SwitchboardStatus),
            workflowStatus: wf.status.name,
            startTime: wf.startTime.toISOString(),
          },
    );
  }

  /** One delivery: status, attempts, why it is dead, until when it can be replayed. */
  show(workflowId: string): Promise<DeliveryView> {
    return this.runQuery(workflowId, deliveryQuery);
  }

  /**
   * Replays dead letters: each tries once more (or the whole schedule again with `fullSchedule`)
   * and answers with that attempt. One result per id; a refused or unknown id does not stop the rest.
   */
  async replay(workflowIds: string[], opts: ReplayInput = {}): Promise<ReplayResult[]> {
    const args = validate(replayInput(), opts, 'invalid replay');
    if (workflowIds.length === 0)
      throw new SwitchboardClientError('invalid_input', 'name at least one delivery to replay');
    return Promise.all(
      workflowIds.map(async (workflowId): Promise<ReplayResult> => {
        try {
          const attempt = await this.runUpdate(workflowId, replayUpdate, args);
          return { workflowId, ok: true, attempt };
        } catch (err) {
          const e = err instanceof SwitchboardClientError ? err : new SwitchboardClientError('failed', String(err));
          if (e.code === 'not_found') {
            // An update to a closed workflow is answered "not found": say what it ended as.
            const ended = await this.temporal.workflow
              .getHandle(workflowId)
              .describe()
              .catch(() => undefined);
            if (ended) {
              const status = ended.typedSearchAttributes.get(SwitchboardStatus) ?? ended.status.name.toLowerCase();
              return {
                workflowId,
                ok: false,
                code: 'rejected',
                message: `delivery ${workflowId} has ended (${status}), not a dead letter; only dead letters are replayed`,
              };
            }
          }
          return { workflowId, ok: false, code: e.code, message: e.message };
        }
      }),
    );
  }

  /** Enables an endpoint a 410 disabled; later deliveries to it are attempted again. */
  async enable(endpoint: string, by?: string): Promise<{ endpoint: string; disabledSince: string }> {
    validate(credentialAlias(), endpoint, 'invalid endpoint');
    const id = endpointMarkerId(endpoint);
    try {
      const r = await this.runUpdate(id, enableUpdate, by ? { by } : {});
      return { endpoint, disabledSince: r.disabledSince };
    } catch (err) {
      if (
        err instanceof SwitchboardClientError &&
        (err.code === 'not_found' || /already ended|already completed/i.test(err.message))
      )
        throw new SwitchboardClientError('rejected', `endpoint ${endpoint} is not disabled`);
      throw err;
    }
  }

  /** Endpoints disabled now (their markers are open). */
  async disabled(): Promise<{ endpoint: string; since: string; reason?: string }[]> {
    const out = [];
    for await (const wf of this.temporal.workflow.list({
      query: `WorkflowType = 'webhookEndpoint' AND ExecutionStatus = 'Running'`,
    })) {
      const memo = (wf.memo as { outboxEndpoint?: { endpoint: string; reason?: string } } | undefined)?.outboxEndpoint;
      out.push({
        endpoint: memo?.endpoint ?? wf.workflowId.replace(/^webhook-endpoint-/, ''),
        since: wf.startTime.toISOString(),
        reason: memo?.reason,
      });
    }
    return out;
  }
}
