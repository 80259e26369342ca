/**
 * What every sub-client shares: the client's error type, input validation with the workflows' own
 * zod schemas, the one start helper, the Temporal-error wrapper, and the small base class
 * ({@link SubClient}) that carries the Temporal client and task queue and sends updates and
 * queries through {@link explain}. Nothing here knows a workflow type.
 */
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowExecutionInfo,
  type WorkflowIdReusePolicy,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import type { z } from 'zod';
import type { QueryDefinition, UpdateDefinition } from '@temporalio/common';
import { AwaitingHuman, SwitchboardProvider, SwitchboardStatus } from '../contracts/searchAttributes.js';
import { formatZodError } from '../workflows/validation.js';

/** Why a client call failed; the CLI maps each to an exit code. */
export type ClientErrorCode = 'invalid_input' | 'not_found' | 'rejected' | 'already_exists' | 'failed';

/** A typed client error with a clear reason. */
export class SwitchboardClientError extends Error {
  constructor(
    readonly code: ClientErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SwitchboardClientError';
  }
}

/** Parses `v` with `schema`, or throws an `invalid_input` error that starts with `what`. */
export function validate<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: z.ZodError } },
  v: unknown,
  what: string,
): T {
  const r = schema.safeParse(v);
  if (!r.success) throw new SwitchboardClientError('invalid_input', `${what}: ${formatZodError(r.error)}`);
  return r.data;
}

/** The innermost failure message (an update's ActivityFailure wraps the platform's answer). */
function rootMessage(err: Error): string {
  let e: Error = err;
  while (e.cause instanceof Error) e = e.cause;
  return e.message;
}

/** What {@link startWorkflow} needs besides the workflow type. */
export interface StartOptions {
  workflowId: string;
  input: unknown;
  summary: string;
  details?: string;
  provider: string;
  /** The first `SwitchboardStatus`; absent for workflows that set no status (the inbox). */
  status?: string;
  reusePolicy?: WorkflowIdReusePolicy;
  running: string;
}

/**
 * The one way the client starts a Switchboard workflow: on its task queue, with its summary for
 * the Web UI and the search attributes lists and the inbox read from the first moment, and a
 * taken workflow id reported as `already_exists` (`running` says what is running).
 */
export async function startWorkflow(
  temporal: Client,
  taskQueue: string,
  type: string,
  o: StartOptions,
): Promise<{ workflowId: string; runId: string }> {
  try {
    const h = await temporal.workflow.start(type, {
      taskQueue,
      workflowId: o.workflowId,
      args: [o.input],
      ...(o.reusePolicy !== undefined ? { workflowIdReusePolicy: o.reusePolicy } : {}),
      staticSummary: o.summary,
      ...(o.details !== undefined ? { staticDetails: o.details } : {}),
      typedSearchAttributes: [
        { key: SwitchboardProvider, value: o.provider },
        ...(o.status !== undefined
          ? [
              { key: SwitchboardStatus, value: o.status },
              { key: AwaitingHuman, value: false },
            ]
          : []),
      ],
    });
    return { workflowId: o.workflowId, runId: h.firstExecutionRunId };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError)
      throw new SwitchboardClientError('already_exists', o.running);
    throw err;
  }
}

/** Wraps Temporal errors in {@link SwitchboardClientError}s with the reason a person needs. */
export async function explain<T>(workflowId: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof SwitchboardClientError) throw err;
    if (err instanceof WorkflowNotFoundError)
      throw new SwitchboardClientError('not_found', `no workflow with id ${workflowId}`);
    if (err instanceof WorkflowUpdateFailedError) throw new SwitchboardClientError('rejected', rootMessage(err));
    const msg = err instanceof Error ? err.message : String(err);
    if (/not found|NOT_FOUND/i.test(msg))
      throw new SwitchboardClientError('not_found', `no workflow with id ${workflowId}`);
    if (/already completed|workflow execution already completed/i.test(msg))
      throw new SwitchboardClientError('rejected', `workflow ${workflowId} has already ended`);
    throw new SwitchboardClientError('failed', msg);
  }
}

/**
 * Rows of one visibility query, at most `limit` (no scanning): `row` maps an execution to a row,
 * or to `undefined` to pass over it (a filter the query cannot say).
 */
export async function listVisible<T>(
  temporal: Client,
  query: string,
  limit: number,
  row: (wf: WorkflowExecutionInfo) => T | undefined,
): Promise<T[]> {
  const out: T[] = [];
  for await (const wf of temporal.workflow.list({ query })) {
    const r = row(wf);
    if (r === undefined) continue;
    out.push(r);
    if (out.length >= limit) break;
  }
  return out;
}

/** The columns every list shows: the workflow, its Switchboard status, whether it waits on a person. */
export interface StatusRow {
  workflowId: string;
  status?: string;
  awaitingHuman?: boolean;
  workflowStatus: string;
  startTime: string;
}

/** {@link StatusRow} of one execution, read from its search attributes. */
export function statusRow(wf: WorkflowExecutionInfo): StatusRow {
  return {
    workflowId: wf.workflowId,
    status: wf.typedSearchAttributes.get(SwitchboardStatus),
    awaitingHuman: wf.typedSearchAttributes.get(AwaitingHuman),
    workflowStatus: wf.status.name,
    startTime: wf.startTime.toISOString(),
  };
}

/** One row of a list of workflows of one type. */
export interface WorkflowRow {
  workflowId: string;
  status: string;
  switchboardStatus?: string;
  awaitingHuman?: boolean;
  startTime: string;
}

/** Workflows of one type, newest first (the research and join-request lists). */
export function listWorkflowsOfType(
  temporal: Client,
  type: string,
  { limit = 100 }: { limit?: number } = {},
): Promise<WorkflowRow[]> {
  return listVisible(temporal, `WorkflowType = '${type.replace(/'/g, '')}'`, limit, (wf) => ({
    workflowId: wf.workflowId,
    status: wf.status.name,
    switchboardStatus: wf.typedSearchAttributes.get(SwitchboardStatus),
    awaitingHuman: wf.typedSearchAttributes.get(AwaitingHuman),
    startTime: wf.startTime.toISOString(),
  }));
}

/**
 * The base of every sub-client: the Temporal client and task queue it was made with, and the
 * one way each sends a start, an update or a query (errors explained the same way everywhere).
 */
export abstract class SubClient {
  constructor(
    protected readonly temporal: Client,
    protected readonly taskQueue: string,
  ) {}

  /** {@link startWorkflow} on this client's task queue. */
  protected startOnQueue(type: string, o: StartOptions): Promise<{ workflowId: string; runId: string }> {
    return startWorkflow(this.temporal, this.taskQueue, type, o);
  }

  /** Executes an update with one (already validated) argument; Temporal errors explained. */
  protected runUpdate<R, A>(workflowId: string, def: UpdateDefinition<R, [A]>, args: A): Promise<R> {
    return explain(workflowId, () => this.temporal.workflow.getHandle(workflowId).executeUpdate(def, { args: [args] }));
  }

  /** Runs a query (nothing is written to history); Temporal errors explained. */
  protected runQuery<R, A extends unknown[]>(workflowId: string, def: QueryDefinition<R, A>, ...args: A): Promise<R> {
    return explain(workflowId, () => this.temporal.workflow.getHandle(workflowId).query(def, ...args));
  }
}
