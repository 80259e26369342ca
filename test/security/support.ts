/**
 * Hostile payloads and the three ways this suite sends them (the SDK, raw gRPC, the Temporal CLI),
 * plus the checks every case makes on a workflow's history. Nothing here mocks Temporal: every
 * payload goes to the dev server and from there to the worker under test.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, type Payload } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { expect, inject } from 'vitest';
import { eventually, type Harness } from '../support/harness.js';

export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const run = promisify(execFile);
const NAMESPACE = 'default';
const IDENTITY = 'security-suite';
/** `UpdateWorkflowExecutionLifecycleStage`: admitted, accepted, completed. */
const STAGE = { admitted: 1, accepted: 2, completed: 3 } as const;

const bytes = (s: string) => new TextEncoder().encode(s);

/** A well-formed `json/plain` payload of `v`. */
export const json = (v: unknown): Payload => ({
  metadata: { encoding: bytes('json/plain') },
  data: bytes(JSON.stringify(v)),
});
/** A `json/plain` payload with exactly this text (which need not be JSON). */
export const jsonText = (text: string): Payload => ({ metadata: { encoding: bytes('json/plain') }, data: bytes(text) });

/** Payloads the SDK's default converter cannot decode (it throws on each). */
export const UNDECODABLE: [string, Payload][] = [
  ['an unknown encoding', { metadata: { encoding: bytes('binary/unknown') }, data: bytes('\u0000\u0001 not for you') }],
  ['malformed JSON in json/plain', jsonText('{not json')],
  ['no metadata', { data: bytes('{"text":"hi"}') }],
  [
    'json/protobuf of an unknown message type',
    { metadata: { encoding: bytes('json/protobuf'), messageType: bytes('evil.Type') }, data: bytes('{}') },
  ],
];

/** Payloads that decode, but to values no schema of ours accepts. */
export const WRONG_TYPE: [string, Payload][] = [
  ['binary/null (decodes to undefined)', { metadata: { encoding: bytes('binary/null') } }],
  ['binary/plain (decodes to bytes)', { metadata: { encoding: bytes('binary/plain') }, data: bytes('{"text":"hi"}') }],
  ['a JSON array', json([1, 2, 3])],
  ['a JSON string', json('approve')],
];

/** `depth` nested arrays around `leaf`, as JSON text (the SDK's own JSON.stringify would overflow). */
export const nestedJson = (depth: number, leaf = '0') => '['.repeat(depth) + leaf + ']'.repeat(depth);

export const uniqueId = (what: string) => `sec-${what}-${randomUUID().slice(0, 8)}`;

// ---- sending -------------------------------------------------------------------------------------

/** StartWorkflowExecution with hand-built payloads (undefined: no input at all). */
export async function rawStart(
  h: Harness,
  workflowType: string,
  payloads: Payload[] | undefined,
  workflowId = uniqueId(workflowType),
): Promise<string> {
  await h.client.workflowService.startWorkflowExecution({
    namespace: NAMESPACE,
    workflowId,
    workflowType: { name: workflowType },
    taskQueue: { name: h.taskQueue },
    input: payloads ? { payloads } : undefined,
    identity: IDENTITY,
    requestId: randomUUID(),
  });
  return workflowId;
}

/** SignalWorkflowExecution with hand-built payloads. */
export async function rawSignal(
  h: Harness,
  workflowId: string,
  signalName: string,
  payloads: Payload[] | undefined,
): Promise<void> {
  await h.client.workflowService.signalWorkflowExecution({
    namespace: NAMESPACE,
    workflowExecution: { workflowId },
    signalName,
    input: payloads ? { payloads } : undefined,
    identity: IDENTITY,
    requestId: randomUUID(),
  });
}

/**
 * UpdateWorkflowExecution with hand-built payloads, waiting for the outcome: resolves when the
 * update was accepted and completed, rejects with the validator's message when it was rejected,
 * and rejects saying so when no outcome came within `timeoutMs` (a stuck workflow task).
 */
export async function rawUpdate(
  h: Harness,
  workflowId: string,
  name: string,
  payloads: Payload[] | undefined,
  { timeoutMs = 15_000, waitFor = 'completed' }: { timeoutMs?: number; waitFor?: keyof typeof STAGE } = {},
): Promise<unknown> {
  const res = await h.client.connection.withDeadline(Date.now() + timeoutMs, () =>
    h.client.workflowService.updateWorkflowExecution({
      namespace: NAMESPACE,
      workflowExecution: { workflowId },
      waitPolicy: { lifecycleStage: STAGE[waitFor] as temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage },
      request: {
        meta: { updateId: randomUUID(), identity: IDENTITY },
        input: { name, args: payloads ? { payloads } : undefined },
      },
    }),
  );
  if (res.outcome?.failure) throw new Error(`update rejected: ${res.outcome.failure.message ?? ''}`);
  if (waitFor === 'completed' && !res.outcome) throw new Error(`update ${name} got no outcome (stage ${res.stage})`);
  return res.outcome?.success;
}

/** Runs the Temporal CLI against the dev server; never throws. */
export async function temporalCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(inject('temporalCliPath'), [...args, '--address', inject('temporalAddress'), '--namespace', NAMESPACE], {
    timeout: 30_000,
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string; message: string }) => ({
      code: typeof e.code === 'number' ? e.code : 1,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? e.message,
    }),
  );
}

/** A CLI call as a promise that rejects with its output when it exits non-zero. */
export async function cliOrThrow(...args: string[]): Promise<string> {
  const r = await temporalCli(...args);
  if (r.code !== 0) throw new Error(`temporal exited ${r.code}: ${r.stderr} ${r.stdout}`);
  return r.stdout;
}

// ---- reading --------------------------------------------------------------------------------------

export async function historyOf(h: Harness, workflowId: string, runId?: string): Promise<HistoryEvent[]> {
  return (await h.client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
}

/** The workflow task failures in a history, readable (cause: message). */
export function taskFailures(events: HistoryEvent[]): string[] {
  return events
    .filter((e) => e.workflowTaskFailedEventAttributes)
    .map(
      (e) =>
        `${e.workflowTaskFailedEventAttributes!.cause ?? '?'}: ${e.workflowTaskFailedEventAttributes!.failure?.message ?? ''}`,
    );
}

/** An event's kind, readable (`workflowExecutionCompleted`), from the attributes it carries. */
export function eventName(e: HistoryEvent | undefined): string {
  if (!e) return 'none';
  const key = Object.keys(e).find((k) => k.endsWith('EventAttributes') && (e as Record<string, unknown>)[k]);
  return key ? key.replace(/EventAttributes$/, '') : String(e.eventType);
}

export const isClose = (e: HistoryEvent) =>
  Boolean(
    e.workflowExecutionCompletedEventAttributes ||
    e.workflowExecutionFailedEventAttributes ||
    e.workflowExecutionTerminatedEventAttributes ||
    e.workflowExecutionCanceledEventAttributes ||
    e.workflowExecutionTimedOutEventAttributes ||
    e.workflowExecutionContinuedAsNewEventAttributes,
  );

const isUpdateEvent = (e: HistoryEvent) =>
  Boolean(
    e.workflowExecutionUpdateAcceptedEventAttributes ||
    e.workflowExecutionUpdateRejectedEventAttributes ||
    e.workflowExecutionUpdateAdmittedEventAttributes,
  );

/** Update events in a history (accepted, rejected, admitted). */
export const updateEvents = (events: HistoryEvent[]) => events.filter(isUpdateEvent);

/**
 * Platform side effects a workflow asked for: activities and local activities (their markers; patch markers are not).
 */
export const sideEffects = (events: HistoryEvent[]) =>
  events.filter(
    (e) =>
      e.activityTaskScheduledEventAttributes || e.markerRecordedEventAttributes?.markerName === 'core_local_activity',
  );

/** Waits until the run has closed, or a workflow task has failed; returns its history. */
export async function closedOrStuck(
  h: Harness,
  workflowId: string,
  runId?: string,
  timeoutMs = 20_000,
): Promise<HistoryEvent[]> {
  return eventually(
    async () => {
      const events = await historyOf(h, workflowId, runId);
      return events.some(isClose) || taskFailures(events).length > 0 ? events : undefined;
    },
    { timeoutMs, intervalMs: 150 },
  );
}

/**
 * The start was refused cleanly: the run ends Failed with a non-retryable `InvalidInput` (its
 * message matching `message`), without a single failed workflow task and without asking any
 * platform for anything.
 */
export async function expectInvalidInput(h: Harness, workflowId: string, message?: RegExp): Promise<void> {
  const events = await closedOrStuck(h, workflowId);
  expect(taskFailures(events), 'no workflow task may fail on bad input').toEqual([]);
  const failed = events.find((e) => e.workflowExecutionFailedEventAttributes)?.workflowExecutionFailedEventAttributes;
  expect(failed, `the run must end Failed; it ended with ${eventName(events.find(isClose))}`).toBeDefined();
  expect(failed!.failure?.applicationFailureInfo).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
  if (message) expect(failed!.failure?.message).toMatch(message);
  expect(sideEffects(events), 'a refused start calls no activity').toEqual([]);
  // And the SDK client sees the same thing.
  const err: unknown = await h.client.workflow
    .getHandle(workflowId)
    .result()
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect((err as WorkflowFailedError).cause).toBeInstanceOf(ApplicationFailure);
  expect(((err as WorkflowFailedError).cause as ApplicationFailure).type).toBe('InvalidInput');
}

/** The message a rejected call carries (an update's validator words sit in its cause). */
export async function rejectionOf(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    (v) => new Error(`expected a refusal, but it succeeded with ${JSON.stringify(v)?.slice(0, 300)}`),
    (e: unknown) => e,
  );
  if (err instanceof Error && err.message.startsWith('expected a refusal')) throw err;
  const e = err as Error & { cause?: Error };
  return `${e.message} ${e.cause?.message ?? ''}`;
}

/**
 * Waits until the history stops growing: no workflow task in flight, the same length twice in a
 * row `quietMs` apart. Returns it.
 */
export async function settled(
  h: Harness,
  workflowId: string,
  { quietMs = 600, timeoutMs = 30_000 } = {},
): Promise<HistoryEvent[]> {
  let last = -1;
  return eventually(
    async () => {
      const events = await historyOf(h, workflowId);
      const tail = events.at(-1);
      const busy = Boolean(tail?.workflowTaskScheduledEventAttributes || tail?.workflowTaskStartedEventAttributes);
      const same = events.length === last;
      last = events.length;
      return same && !busy ? events : undefined;
    },
    { timeoutMs, intervalMs: quietMs },
  );
}

/**
 * Waits until every signal recorded so far has been handled: a workflow task completed (or
 * failed) after the last `WorkflowExecutionSignaled` event. Returns the history.
 */
export async function signalsHandled(h: Harness, workflowId: string, atLeast: number): Promise<HistoryEvent[]> {
  return eventually(
    async () => {
      const events = await historyOf(h, workflowId);
      const signalled = events
        .map((e, i) => (e.workflowExecutionSignaledEventAttributes ? i : -1))
        .filter((i) => i >= 0);
      if (signalled.length < atLeast) return undefined;
      const lastSignal = signalled.at(-1)!;
      const after = events.slice(lastSignal + 1);
      return after.some((e) => e.workflowTaskCompletedEventAttributes || e.workflowTaskFailedEventAttributes)
        ? events
        : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 150 },
  );
}

/** Names of the signals a history recorded, in order. */
export const signalNames = (events: HistoryEvent[]) =>
  events
    .filter((e) => e.workflowExecutionSignaledEventAttributes)
    .map((e) => e.workflowExecutionSignaledEventAttributes!.signalName);
