/**
 * `agentSession`: one durable workflow for a long-running agent session on Web Agent, ArchAstro,
 * Wyse Mate or Mix.
 *
 * States: starting → running ⇄ awaiting_input → completed | failed | cancelled, with the platform's
 * own status kept beside ours. People steer it through Updates whose validators reject bad or
 * out-of-state requests before anything is written to history.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  patched,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  setWorkflowOptions,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createSessionActivities, FollowBatch, SessionOperation } from '../../activities/sessions/activities.js';
import {
  AwaitingHuman,
  GateDeadline,
  GateKind,
  SwitchboardProvider,
  SwitchboardStatus,
} from '../../contracts/searchAttributes.js';
import type { GateMemo } from '../../contracts/gates.js';
import {
  answerInputUpdate,
  artifactsQuery,
  cancelUpdate,
  followUpUpdate,
  renameUpdate,
  rewindUpdate,
  sendMessageUpdate,
  setCallbacksUpdate,
  stateQuery,
  transcriptTailQuery,
  type UpdateOutcome,
} from './definitions.js';
import {
  type AgentSessionInputRaw,
  type AgentSessionResult,
  type AgentSessionState,
  type ArtifactOwner,
  type ArtifactRef,
  agentSessionInput,
  answerInputArgs,
  carriedSession,
  cancelArgs,
  followUpArgs,
  MESSAGE_RESUMES_WAITING,
  type PendingInput,
  renameArgs,
  rewindArgs,
  sendMessageArgs,
  type SessionRef,
  type SessionStatus,
  setCallbacksArgs,
  SUPPORTED_OPERATIONS,
  TERMINAL_STATUSES,
  type TranscriptEntry,
} from '../../contracts/sessions.js';
import {
  parseAccepted,
  parseMessage,
  parseWorkflowInput,
  refuseCronSchedule,
  requireOwnContinuation,
  singleArg,
} from '../validation.js';
import type { z } from 'zod';
import { FailureType } from '../../contracts/failures.js';
import { continueOnCurrentVersion, LONG_LIVED } from '../versioning.js';
import { ApprovalGate } from '../gate/gate.js';
import {
  allowedDecisions,
  answerFromDecision,
  answerFromResponse,
  type PlatformGateAnswer,
  type PlatformGateShown,
  platformGateDeadline,
  platformGateExpiry,
  platformGateOf,
  platformGateSubject,
} from '../../contracts/platformGates.js';

type Acts = ReturnType<typeof createSessionActivities>;

const retry = { initialInterval: '200 ms', backoffCoefficient: 2, maximumInterval: '10 s' };

/** Short platform calls: a crashed worker is noticed within the start-to-close timeout. */
const acts = proxyActivities<Acts>({ startToCloseTimeout: '20 s', retry });
/**
 * Steering calls (answer, follow-up, cancel, …; messages only in runs from before the
 * `send-message-requested-at` patch, see `sendActs`) run as local activities: a person is waiting on the
 * update, and a local activity skips the activity-task round trip through the server. They are
 * still retried (locally, then with timers) and keep their idempotency key, so a worker crash
 * mid-call re-runs them safely on the next worker.
 */
const steer = proxyLocalActivities<Acts>({ startToCloseTimeout: '15 s', retry });
/**
 * Steering messages, from the `send-message-requested-at` patch on, and answers to a platform's own
 * request (`answer-platform-request-activity`): a regular activity, so the workflow task that
 * accepted the update (and the time read in it) is in history before the call starts, and a crash
 * mid-call retries it with the same arguments and a higher attempt count (see the sendMessage and
 * answerInput handlers). Measured against the sandbox it costs what the local activity did (~35 ms
 * an update).
 */
const sendActs = proxyActivities<Acts>({ startToCloseTimeout: '15 s', retry });
/** Following progress: long, heartbeated, resumable from the heartbeated cursor. */
const followActs = proxyActivities<Acts>({ startToCloseTimeout: '5 m', heartbeatTimeout: '10 s', retry });
/**
 * Clean-up must finish even on a cancelled workflow; bounded in time (not attempts) so a dead
 * platform cannot pin it. A clean-up makes several calls (Wyse Mate: info, browsers, release), so
 * on a flaky platform (a third of calls failing) one attempt often fails: ten attempts ran out in
 * ≈1 of 10 chaos runs, five minutes of retries do not.
 */
const cleanupActs = proxyActivities<Acts>({
  startToCloseTimeout: '30 s',
  scheduleToCloseTimeout: '5 m',
  retry: { ...retry, maximumInterval: '5 s' },
});

/** Transcript entries kept in workflow state (the full transcript is in the artifact store). */
const TAIL = 50;

/** What survives continue-as-new. */
export interface CarriedSession {
  ref?: SessionRef;
  cursor?: string;
  status: SessionStatus;
  platformStatus: string;
  pendingInput?: PendingInput;
  counts: AgentSessionState['counts'];
  tail: TranscriptEntry[];
  opSeq: number;
  artifacts: ArtifactRef[];
  title: string;
  /** Where this chain's artifacts live (absent: a chain from before artifacts were keyed by run chain). */
  owner?: ArtifactOwner;
  /** Decisions and audit of the platform gates (Mix permissions and questions) so far. */
  gate?: ReturnType<ApprovalGate['snapshot']>;
}

/** Replay guard: runs from before starts were checked for cron schedules and foreign carries. */
export const START_CHECKS_PATCH = 'agent-session-start-checks';
/**
 * Replay guard: a platform's own permission request or question (Mix) becomes an approval gate
 * (with `platformGates` in the input) or an input request answered in the platform's own terms.
 * Runs recorded before it treated a Mix question as plain text and never stopped on a permission.
 */
export const PLATFORM_GATES_PATCH = 'agent-session-platform-gates';
/**
 * Replay guard: a steering message carries the workflow time it was accepted at (`requestedAt`), so
 * a platform without a message tag (Mix) can tell its earlier send on a crash re-run. Runs recorded
 * before it sent the text alone.
 */
export const SEND_REQUESTED_AT_PATCH = 'send-message-requested-at';
/**
 * Replay guard: `answerInput` on a platform's own request (a Mix permission or question without
 * `platformGates`) runs as a regular activity, as a gate's answer does. Mix answers an id once and
 * refuses the next answer (404), which the adapter takes as an earlier attempt's answer only when
 * `attempt > 1`; a local activity re-run by a new worker after a crash starts again at attempt 1,
 * so the landed answer was reported as a failure and the session stayed waiting for ever. Runs
 * recorded before it answered through a local activity.
 */
export const ANSWER_PLATFORM_REQUEST_PATCH = 'answer-platform-request-activity';
/** Platform-gate decisions and audit rows kept across continue-as-new. */
const GATE_CARRY = { decided: 100, audit: 200 };

/**
 * One agent session on Web Agent, ArchAstro, Wyse Mate or Mix, from create to clean-up: follows the
 * platform's events into a bounded transcript and takes steering updates. `carriedRaw` is its own
 * state across continue-as-new, accepted only from its own previous run.
 */
export async function agentSession(
  raw: AgentSessionInputRaw,
  carriedRaw?: CarriedSession,
): Promise<AgentSessionResult> {
  const input = parseWorkflowInput(agentSessionInput(), raw);
  const info = workflowInfo();
  // Runs recorded before these checks replay as they ran (they took any second argument).
  const checked = patched(START_CHECKS_PATCH);
  if (checked) refuseCronSchedule('agentSession');
  const carried = checked ? parseCarry(carriedRaw) : carriedRaw;
  if (checked && carried?.ref && carried.ref.platform !== input.platform) {
    throw ApplicationFailure.create({
      type: FailureType.InvalidInput,
      message: 'the carried session is on another platform',
      nonRetryable: true,
    });
  }
  // Stable across retries, worker crashes and continue-as-new, unique per workflow run chain.
  const keyBase = `${info.workflowId}/${info.firstExecutionRunId}`;
  // Artifacts are keyed by workflow id and run chain, so a later run reusing this id keeps its own
  // transcript. Runs recorded before that keep the bare id: their transcript stays one file.
  // A continued run keeps the layout its chain started with (a chain started before the change
  // keeps its one transcript file).
  const owner: ArtifactOwner = carried
    ? (carried.owner ?? info.workflowId)
    : patched('artifacts-keyed-by-run-chain')
      ? { workflowId: info.workflowId, chain: info.firstExecutionRunId }
      : info.workflowId;

  const s: CarriedSession = carried ?? {
    status: 'starting',
    platformStatus: 'none',
    counts: { platformEvents: 0, transcriptEntries: 0, messagesSent: 0, followUps: 0, tasks: 1 },
    tail: [],
    opSeq: 0,
    artifacts: [],
    title: input.title ?? input.task.slice(0, 80),
  };
  s.owner = owner;
  let cancelRequested = false;
  let cleanupDone = false;
  let result: string | undefined;
  let error: string | undefined;
  let followScope: CancellationScope | undefined;

  // ---- platform gates (Mix permissions and questions) ----
  let gatesPatched: boolean | undefined;
  /** Asked only where a platform request is pending, so runs recorded before it replay unchanged. */
  const platformGatesOn = () => (gatesPatched ??= patched(PLATFORM_GATES_PATCH));
  /** The pending platform request, when it is one this run handles in the platform's terms. */
  const platformRequest = (): PlatformGateShown | undefined => {
    if (s.status !== 'awaiting_input') return undefined;
    const shown = platformGateOf(s.pendingInput);
    return shown && platformGatesOn() ? shown : undefined;
  };
  const gateSettings = input.platform === 'mix' ? input.platformGates : undefined;
  /** The pending platform request when an approval gate decides it (not `answerInput`). */
  const gatedBy = (): PlatformGateShown | undefined => (gateSettings ? platformRequest() : undefined);
  let gate: ApprovalGate | undefined;
  let gateScope: CancellationScope | undefined;
  /** Set while a gate's answer is on its way: `answerInput` and a second answer are refused. */
  let answering: string | undefined;

  let inboxMemo = false;
  const publish = () => {
    upsertSearchAttributes([
      { key: SwitchboardProvider, value: input.platform },
      { key: SwitchboardStatus, value: s.status },
      { key: AwaitingHuman, value: s.status === 'awaiting_input' },
    ]);
    // Added after the first release: histories recorded before it carry no such commands.
    if (patched('session-input-inbox-memo')) {
      // A platform gate publishes its own memo (approvers, deadline): no session_input beside it.
      const waiting = s.status === 'awaiting_input' && s.pendingInput !== undefined && gatedBy() === undefined;
      if (waiting || inboxMemo) {
        // An input request is not a full gate (the platform owns its lifetime: no approver list,
        // no expiry), but it is listed in `switchboard inbox` the same way.
        upsertSearchAttributes([{ key: GateKind, value: waiting ? 'session_input' : null }]);
        const memo: GateMemo | undefined = waiting
          ? {
              kind: 'session_input',
              subject: `${s.title}: ${s.pendingInput!.prompt}`,
              approvers: [],
              since: s.pendingInput!.since,
              deadline: '',
              requestId: s.pendingInput!.requestId,
            }
          : undefined;
        upsertMemo({ gate: memo });
        inboxMemo = waiting;
      }
    }
    setCurrentDetails(describe());
  };
  const describe = (): string => {
    const where = `${input.platform} session ${s.ref?.sessionId ?? '(creating)'}${s.ref?.taskId ? ` task ${s.ref.taskId}` : ''}`;
    switch (s.status) {
      case 'starting':
        return `Creating the ${input.platform} session.`;
      case 'running':
        return `Following ${where}: ${s.counts.platformEvents} platform events so far.`;
      case 'awaiting_input':
        return `**Waiting for a person** to answer input request \`${s.pendingInput?.requestId}\` on ${where}: ${s.pendingInput?.prompt ?? ''}`;
      default:
        return `${s.status} — ${where}${error ? `: ${error}` : ''}`;
    }
  };
  const setStatus = (status: SessionStatus) => {
    if (s.status === status) return;
    s.status = status;
    publish();
  };

  const state = (): AgentSessionState => ({
    status: s.status,
    platformStatus: s.platformStatus,
    platform: input.platform,
    ref: s.ref,
    pendingInput: s.pendingInput,
    counts: s.counts,
    title: s.title,
    result,
    error,
    artifacts: s.artifacts,
    cleanupDone,
  });

  // ---- queries ----
  setHandler(stateQuery, state);
  setHandler(transcriptTailQuery, (n?: number) => s.tail.slice(-(n && n > 0 ? n : TAIL)));
  setHandler(artifactsQuery, () => s.artifacts);

  // ---- updates: validators reject synchronously, nothing is written for a rejection ----
  const requireSupported = (op: string) => {
    if (!SUPPORTED_OPERATIONS[input.platform].includes(op)) {
      throw new Error(
        `${op} is not supported on ${input.platform} (supported: ${SUPPORTED_OPERATIONS[input.platform].join(', ')})`,
      );
    }
  };
  const requireLive = (op: string) => {
    if (TERMINAL_STATUSES.includes(s.status) || cancelRequested)
      throw new Error(`${op} rejected: the session is ${cancelRequested ? 'being cancelled' : s.status}`);
  };
  // Validators parse strictly (a refusal writes nothing); handlers use parseAccepted: they run again
  // on replay, where a payload accepted under older rules must not fail on a limit added since.
  const parseOrThrow = <S extends z.ZodTypeAny>(schema: S, v: unknown): z.output<S> =>
    parseMessage(schema, v, 'update');
  /** The validator of a steering update that needs a supported operation and a live session. */
  const liveOp =
    (op: string, schema: z.ZodTypeAny) =>
    (...all: unknown[]): void => {
      requireSupported(op);
      requireLive(op);
      parseOrThrow(schema, singleArg(all, op));
    };
  /** Runs one steering operation, as a local activity unless `via` says otherwise. */
  const act = async (operation: SessionOperation, via: Pick<typeof steer, 'sessionAct'> = steer) => {
    await condition(() => s.ref !== undefined);
    const key = `${keyBase}/op/${++s.opSeq}`;
    return via.sessionAct({ ref: s.ref!, operation, key });
  };
  const outcome = (extra: Partial<UpdateOutcome> = {}): UpdateOutcome => ({
    accepted: true,
    status: s.status,
    ...extra,
  });

  setHandler(
    sendMessageUpdate,
    async (args) => {
      const { text } = parseAccepted(sendMessageArgs(), args);
      if (patched(SEND_REQUESTED_AT_PATCH)) {
        // Workflow time is replay-safe only once its workflow task is in history. A local activity
        // holds that task open until it completes, so a crash mid-send loses the task (and the time
        // read in it): the update comes again in a later task with a later time. A regular activity
        // is scheduled by a task that completes at once, so every run of the send (a retry after a
        // crash included, with its attempt count) carries the same `requestedAt`, which Mix's
        // duplicate check needs. (A 1 ms timer before the local activity did the same at ~0.7 s per
        // message on the dev server; the activity costs what the local one did, ~35 ms an update.)
        const requestedAt = Date.now();
        await act({ op: 'sendMessage', text, requestedAt }, sendActs);
      } else await act({ op: 'sendMessage', text });
      s.counts.messagesSent += 1;
      if (MESSAGE_RESUMES_WAITING[input.platform] && s.status === 'awaiting_input') {
        s.pendingInput = undefined;
        setStatus('running');
      }
      return outcome();
    },
    { validator: liveOp('sendMessage', sendMessageArgs()) },
  );

  setHandler(
    answerInputUpdate,
    async (args) => {
      const { requestId, response } = parseAccepted(answerInputArgs(), args);
      const pending = s.pendingInput;
      const platform = platformRequest();
      // Claim the request first so a concurrent duplicate answer is rejected by the validator.
      s.pendingInput = undefined;
      try {
        // A platform's own request is answered in its terms (grant/deny, the question's response type).
        if (platform) {
          const operation: SessionOperation = {
            op: 'answerPlatformGate',
            requestId,
            answer: answerFromResponse(platform, response),
          };
          // A regular activity: its attempt count survives a worker crash (see the patch's note).
          if (patched(ANSWER_PLATFORM_REQUEST_PATCH)) await act(operation, sendActs);
          else await act(operation);
        } else await act({ op: 'answerInput', requestId, response });
      } catch (err) {
        s.pendingInput = pending;
        throw err;
      }
      setStatus('running');
      return outcome();
    },
    {
      validator: (...all: unknown[]) => {
        const args = singleArg(all, 'this update');
        requireSupported('answerInput');
        requireLive('answerInput');
        const { requestId, response } = parseOrThrow(answerInputArgs(), args);
        if (!s.pendingInput) throw new Error(`answerInput rejected: no input request is pending (status ${s.status})`);
        if (s.pendingInput.requestId !== requestId) {
          throw new Error(
            `answerInput rejected: input request ${requestId} is stale or unknown; the pending one is ${s.pendingInput.requestId}`,
          );
        }
        // (No patched() in a validator: the data alone tells a platform request; validators never replay.)
        const platform = s.status === 'awaiting_input' ? platformGateOf(s.pendingInput) : undefined;
        if (platform && (gateSettings || answering))
          throw new Error(
            `answerInput rejected: ${platform.gate} ${requestId} is decided through its approval gate (switchboard approve/reject)`,
          );
        if (platform) {
          try {
            answerFromResponse(platform, response);
          } catch (err) {
            throw new Error(`answerInput rejected: ${(err as Error).message}`);
          }
        }
      },
    },
  );

  setHandler(
    followUpUpdate,
    async (args) => {
      const { task } = parseAccepted(followUpArgs(), args);
      s.status = 'starting'; // claims the session: a second follow-up is rejected until this one lands
      try {
        const { ref } = await act({ op: 'followUp', task });
        s.ref = ref;
        s.cursor = undefined;
        s.counts.followUps += 1;
        s.counts.tasks += 1;
        result = undefined;
        error = undefined;
        setStatus('running');
        return outcome({ taskId: ref?.taskId });
      } catch (err) {
        s.status = 'completed';
        throw err;
      }
    },
    {
      validator: (...all: unknown[]) => {
        const args = singleArg(all, 'this update');
        requireSupported('followUp');
        parseOrThrow(followUpArgs(), args);
        if (cancelRequested || s.status === 'cancelled')
          throw new Error('followUp rejected: the session was cancelled');
        if (!TERMINAL_STATUSES.includes(s.status))
          throw new Error(`followUp rejected: the current task is ${s.status}; a follow-up needs a terminal task`);
      },
    },
  );

  setHandler(
    renameUpdate,
    async (args) => {
      const { name } = parseAccepted(renameArgs(), args);
      await act({ op: 'rename', name });
      s.title = name;
      publish();
      return outcome();
    },
    { validator: liveOp('rename', renameArgs()) },
  );

  setHandler(
    setCallbacksUpdate,
    async (args) => {
      const { callbacks } = parseAccepted(setCallbacksArgs(), args);
      await act({ op: 'setCallbacks', callbacks });
      return outcome();
    },
    { validator: liveOp('setCallbacks', setCallbacksArgs()) },
  );

  setHandler(
    rewindUpdate,
    async (args) => {
      const { messageId, cleanMedia } = parseAccepted(rewindArgs(), args);
      await act({ op: 'rewind', messageId, cleanMedia });
      return outcome();
    },
    { validator: liveOp('rewind', rewindArgs()) },
  );

  setHandler(
    cancelUpdate,
    async (args) => {
      // The validator checked the arguments; nothing to parse again (a replay must not fail on it).
      // In a follow-up window the task has already ended: cancelling just closes the window.
      const live = !TERMINAL_STATUSES.includes(s.status);
      cancelRequested = true;
      if (s.ref && live) await act({ op: 'cancel', reason: args.reason });
      followScope?.cancel();
      gateScope?.cancel();
      await condition(() => TERMINAL_STATUSES.includes(s.status) && cleanupDone);
      return outcome();
    },
    {
      validator: (...all: unknown[]) => {
        const args = singleArg(all, 'this update');
        parseOrThrow(cancelArgs(), args);
        if (cancelRequested) throw new Error('cancel rejected: the session is already being cancelled');
        if (TERMINAL_STATUSES.includes(s.status) && input.followUpWindowSeconds === 0)
          throw new Error(`cancel rejected: the session is ${s.status}`);
      },
    },
  );

  // ---- main loop ----
  const applyBatch = (b: FollowBatch) => {
    s.cursor = b.cursor;
    s.platformStatus = b.platformStatus;
    s.counts.platformEvents += b.platformEvents;
    s.counts.transcriptEntries += b.newEntries;
    s.tail.push(...b.tail);
    if (s.tail.length > TAIL) s.tail.splice(0, s.tail.length - TAIL);
    if (b.result !== undefined) result = b.result;
    if (b.error !== undefined) error = b.error;
    if (b.status === 'awaiting_input' && b.pendingInput) s.pendingInput = b.pendingInput;
    else if (b.status !== 'awaiting_input') s.pendingInput = undefined;
    setStatus(b.status === 'starting' ? 'running' : b.status);
  };

  /**
   * A platform's own request as an approval gate: approvers, deadline (never past the platform's
   * timeout), expiry policy, audit and inbox come from the gate; the decision reaches the platform
   * exactly once (one activity key per request; the platform refuses a second answer, which a
   * retry takes as the first one having landed).
   */
  async function decidePlatformGate(shown: PlatformGateShown): Promise<void> {
    const settings = gateSettings!;
    const pending = s.pendingInput!;
    gate ??= new ApprovalGate(s.gate);
    const deadlineSeconds = platformGateDeadline(shown, settings.deadlineSeconds, Date.now());
    // A cancel of the session must not wait for the decision: the gate waits in a scope it cancels.
    gateScope = new CancellationScope();
    const open = gate;
    const waiting = gateScope.run(() =>
      open.wait({
        requestId: pending.requestId,
        kind: shown.gate === 'permission' ? 'session_permission' : 'session_question',
        subject: platformGateSubject(s.title, shown),
        approvers: settings.approvers,
        deadlineSeconds,
        onExpiry: platformGateExpiry(shown, settings.onExpiry, deadlineSeconds, Date.now()),
        quorum: settings.quorum,
        separateDuties: settings.separateDuties,
        digest: pending.digest ?? '',
        shown,
        allowed: allowedDecisions(shown),
        ...(shown.gate === 'question' && shown.responseType !== 'acknowledge'
          ? { answer: shown.responseType === 'choice' ? { choices: shown.choices ?? [] } : {} }
          : {}),
      }),
    );
    let outcome: Awaited<typeof waiting>;
    try {
      outcome = await waiting;
    } catch (err) {
      if (!(cancelRequested && isCancellation(err))) throw err;
      // Cancelled while open: the session ends unanswered; the inbox stops listing it.
      upsertSearchAttributes([{ key: GateDeadline, value: null }]);
      upsertMemo({ gate: undefined });
      return;
    } finally {
      gateScope = undefined;
    }
    const answer: PlatformGateAnswer | undefined = answerFromDecision(shown, outcome);
    if (!answer) {
      gate.applied(pending.requestId, {
        ok: true,
        detail: `not answered: ${shown.platform} gives up on the question at its own timeout`,
      });
    } else {
      answering = pending.requestId;
      try {
        // A regular activity (not local): its attempt count survives a worker crash, which is what
        // tells a retry that a refusal of the answer means the first attempt's answer landed.
        const out = await acts.sessionAct({
          ref: s.ref!,
          operation: { op: 'answerPlatformGate', requestId: pending.requestId, answer },
          key: `${keyBase}/gate/${pending.requestId}`,
        });
        gate.applied(pending.requestId, { ok: true, detail: out.detail });
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        // The platform refused (the request expired or the session ended): record it, follow on.
        gate.applied(pending.requestId, { ok: false, detail: failureMessage(err) });
      } finally {
        answering = undefined;
      }
    }
    if (s.status === 'awaiting_input' && s.pendingInput?.requestId === pending.requestId) {
      s.pendingInput = undefined;
      setStatus('running');
    }
  }

  const cleanup = async () => {
    if (cleanupDone || !s.ref) {
      cleanupDone = true;
      return;
    }
    // Clean-up runs even when the workflow itself is being cancelled.
    await CancellationScope.nonCancellable(async () => {
      const out = await cleanupActs.sessionCleanup({
        ref: s.ref!,
        owner,
        deleteOnPlatform: input.deleteOnEnd,
        key: `${keyBase}/cleanup`,
      });
      s.artifacts = out.artifacts;
    });
    cleanupDone = true;
  };

  const finish = (): AgentSessionResult => ({
    status: s.status,
    platformStatus: s.platformStatus,
    ref: s.ref,
    result,
    error,
    transcriptTail: s.tail.slice(-20),
    artifacts: s.artifacts,
    counts: s.counts,
  });

  publish();
  try {
    if (!s.ref) {
      const created = await acts.sessionCreate({ input, key: `${keyBase}/create` });
      s.ref = created.ref;
      s.platformStatus = created.platformStatus;
      // A retried create can find the session already ended (the first attempt created it, then
      // its answer was lost to a crash): follow it from the start all the same, so its transcript
      // and result are collected; the follow reports the ending. Runs recorded before this did not.
      const endedAtCreate = TERMINAL_STATUSES.includes(created.status) && patched('follow-session-ended-at-create');
      setStatus(created.status === 'starting' || endedAtCreate ? 'running' : created.status);
    }
    for (;;) {
      if (cancelRequested) break;
      if (TERMINAL_STATUSES.includes(s.status)) {
        if (input.followUpWindowSeconds === 0) break;
        // Stay open for follow-ups; no history is written while nobody acts.
        const reopened = await condition(
          () => !TERMINAL_STATUSES.includes(s.status) || cancelRequested,
          input.followUpWindowSeconds * 1000,
        );
        if (!reopened || cancelRequested) break;
        continue;
      }
      if (s.status === 'awaiting_input' || s.status === 'starting') {
        const gated = gatedBy();
        if (gated) {
          await decidePlatformGate(gated);
          continue;
        }
        await condition(() => (s.status !== 'awaiting_input' && s.status !== 'starting') || cancelRequested);
        continue;
      }
      if (workflowInfo().continueAsNewSuggested) {
        await condition(allHandlersFinished);
        if (gate) {
          const snap = gate.snapshot();
          s.gate = { decided: snap.decided.slice(-GATE_CARRY.decided), audit: snap.audit.slice(-GATE_CARRY.audit) };
        }
        await continueOnCurrentVersion<typeof agentSession>()(raw, s);
      }
      followScope = new CancellationScope();
      try {
        const limits = input.followBatch
          ? {
              maxEvents: input.followBatch.maxEvents,
              maxMs: input.followBatch.maxSeconds && input.followBatch.maxSeconds * 1000,
            }
          : undefined;
        const batch = await followScope.run(() =>
          followActs.sessionFollow({ ref: s.ref!, cursor: s.cursor, owner, limits }),
        );
        if (!cancelRequested) applyBatch(batch);
      } catch (err) {
        if (cancelRequested && isCancellation(err)) break;
        throw err;
      } finally {
        followScope = undefined;
      }
    }
    if (cancelRequested && !TERMINAL_STATUSES.includes(s.status)) setStatus('cancelled');
    await cleanup();
    publish();
    await condition(allHandlersFinished);
    return finish();
  } catch (err) {
    if (isCancellation(err)) {
      // handle.cancel(): cancel on the platform too, clean up, then end as Cancelled.
      cancelRequested = true;
      await CancellationScope.nonCancellable(async () => {
        if (s.ref) await cleanupActs.sessionAct({ ref: s.ref, operation: { op: 'cancel' }, key: `${keyBase}/cancel` });
        s.status = 'cancelled';
        await cleanup();
        publish();
      });
      throw err;
    }
    // A non-retryable platform failure (401, 422, …): clean up, then fail the workflow with the cause.
    error = failureMessage(err);
    s.status = 'failed';
    await cleanup().catch(() => undefined);
    publish();
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
      throw ApplicationFailure.create({
        type: err.cause.type ?? 'ActivityFailure',
        message: err.cause.message,
        nonRetryable: true,
        details: err.cause.details as unknown[],
      });
    }
    throw err;
  }
}

/**
 * The continue-as-new carry, accepted only in a run that continued a previous one (a starter can
 * pass a second argument too: a crafted `ref` would steer or stop another workflow's session) and
 * only in the shape this workflow writes.
 */
function parseCarry(raw: unknown): CarriedSession | undefined {
  if (raw === undefined) return undefined;
  requireOwnContinuation("agentSession's second argument (continue-as-new state)");
  // Schema-checked, but not held to the start-input ceiling: it is this workflow's own state.
  return parseWorkflowInput(carriedSession(), raw, Number.POSITIVE_INFINITY);
}

function failureMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}

// Lives for weeks: stays on the build that started it until continue-as-new (src/workflows/versioning.ts).
setWorkflowOptions(LONG_LIVED, agentSession);
