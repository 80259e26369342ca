/**
 * Sends one message through the webhook outbox from a workflow: a `webhookDelivery` child per
 * (endpoint, message id), abandoned so a slow receiver never holds the sender up. A message id
 * already queued is not queued again (the outbox delivers it once), so a sender whose workflow
 * task is retried, or that continues as new mid-send, cannot send twice.
 */
import { ParentClosePolicy, startChild, WorkflowIdReusePolicy } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { deliveryWorkflowId, type WebhookDeliveryInput } from '../../contracts/outbox.js';

/** Queues `input`; answers false when the message id was queued before. */
export async function sendThroughOutbox(
  input: WebhookDeliveryInput & { endpoint: string },
  summary: string,
): Promise<boolean> {
  try {
    await startChild('webhookDelivery', {
      workflowId: deliveryWorkflowId(input.endpoint, input.messageId),
      args: [input],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      staticSummary: summary.slice(0, 200),
    });
    return true;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
    throw err;
  }
}
