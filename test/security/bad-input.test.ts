/**
 * Trust nothing that enters a workflow (issue 10), on a real dev server and the platform sandbox.
 *
 * Anyone who can reach the namespace can start workflows and send signals and updates, with any
 * payload. Each case here sends one hostile payload — undecodable, wrong-shaped, oversized, with
 * extra arguments, or forged — three ways where they can express it (the SDK or our client, raw
 * gRPC with hand-built payloads, the Temporal CLI) and checks the clean refusal:
 *
 * - a start ends Failed with a non-retryable `InvalidInput`, calls no activity, and no workflow
 *   task ever fails;
 * - an update is rejected by its validator with nothing written to history and the state unchanged;
 * - a signal is dropped: no workflow task fails and the workflow keeps working;
 * - continue-as-new state is accepted only from a continued run, and a forged outcome signal
 *   decides nothing;
 * - workflows nobody attacked (bystanders) are unaffected.
 */
import './quiet.js';
import type { WorkflowStartOptions } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwitchboardClientError } from '../../src/client/index.js';
import { MYCEL_DEMO_AGENT } from '../../src/sandbox/platforms/mycel/index.js';
import type { AgentSessionInputRaw, AgentSessionState, SessionRef } from '../../src/contracts/sessions.js';
import { auditQuery, decideUpdate, gateQuery } from '../../src/workflows/gate/gate.js';
import type { DecisionInput, GateOutcome, GateView } from '../../src/contracts/gates.js';
import { joinStateQuery } from '../../src/workflows/mycel/joinRequest.js';
import { inboxStateQuery } from '../../src/workflows/mycel/mycelInbox.js';
import type { JoinRequestResult } from '../../src/workflows/mycel/types.js';
import { createHarness, eventually, type Harness } from '../support/harness.js';
import {
  cliOrThrow,
  closedOrStuck,
  expectInvalidInput,
  historyOf,
  eventName,
  isClose,
  json,
  jsonText,
  nestedJson,
  rawSignal,
  rawStart,
  rawUpdate,
  rejectionOf,
  settled,
  sideEffects,
  signalNames,
  signalsHandled,
  taskFailures,
  UNDECODABLE,
  uniqueId,
  updateEvents,
  WRONG_TYPE,
} from './support.js';

const MYCEL_ENV = { MYCEL_TOKEN_OWNER: 'sb_mycel_owner', MYCEL_TOKEN_VISITOR: 'sb_mycel_visitor' };
const REQUEST_JOIN = '/api/chats/{chat_id}/join-requests';
const MESSAGES = '/api/chats/{chat_id}/messages';

let h: Harness;
/** Every workflow this file leaves running: terminated at the end. */
const started: string[] = [];

// ---- the workflows under attack (started once, in parallel, before any case runs) -------------------

interface SessionTarget {
  id: string;
  requestId: string;
  ref: SessionRef;
}
interface GateTarget {
  id: string;
  requestId: string;
  digest: string;
}
const T = {} as {
  /** Web Agent session waiting for input: sendMessage, answerInput, followUp, cancel. */
  webagent: SessionTarget;
  /** Mix session running: setCallbacks, rewind. */
  mix: { id: string };
  /** Wyse Mate session running: rename. */
  wyse: { id: string };
  research: GateTarget;
  join: GateTarget;
  rel: GateTarget;
  /** Signal targets. */
  sigJoin: GateTarget;
  sigRel: GateTarget;
  sigSession: SessionTarget;
  /** Targets of the `decide` signal (same payload as the update). */
  decJoin: GateTarget;
  decResearch: GateTarget;
  /** Throwaway gates for decisions with extra arguments (an accepted one would close them). */
  extraSdk: GateTarget;
  extraRaw: GateTarget;
  extraCli: GateTarget;
  /** Sessions whose refs a starter tries to hijack. */
  victim: SessionTarget;
  cronVictim: SessionTarget;
  floorVictim: SessionTarget;
  /** Nobody attacks these. */
  bystanderSession: SessionTarget;
  bystanderJoin: GateTarget;
};

const FOLLOW_QUIETLY = { maxEvents: 10_000, maxSeconds: 240 };

async function askingSession(what: string): Promise<SessionTarget> {
  const { workflowId: id } = await h.sb.startSession(
    { platform: 'webagent', task: `${what} script:ask` },
    { workflowId: uniqueId(what) },
  );
  started.push(id);
  const st = await eventually(
    async () => {
      const s = await h.sb.state(id);
      return s.status === 'awaiting_input' && s.pendingInput ? s : undefined;
    },
    { timeoutMs: 30_000 },
  );
  await settled(h, id);
  return { id, requestId: st.pendingInput!.requestId, ref: st.ref! };
}

async function runningSession(input: AgentSessionInputRaw): Promise<{ id: string }> {
  const { workflowId: id } = await h.sb.startSession(input, { workflowId: uniqueId(input.platform) });
  started.push(id);
  await eventually(async () => (await h.sb.state(id)).status === 'running', { timeoutMs: 30_000 });
  await settled(h, id);
  return { id };
}

async function openGate(id: string): Promise<GateTarget> {
  const g = await eventually(
    async () => {
      const v = await h.client.workflow.getHandle(id).query(gateQuery);
      return v.open ? v : undefined;
    },
    { timeoutMs: 30_000 },
  );
  await settled(h, id);
  return { id, requestId: g.requestId!, digest: g.digest! };
}

/** Owner side of a join request (what the inbox starts): opens its gate without any platform call. */
async function ownerJoin(what: string): Promise<GateTarget> {
  const id = uniqueId(`join-${what}`);
  await h.client.workflow.start('joinRequest', {
    taskQueue: h.taskQueue,
    workflowId: id,
    args: [
      {
        chatId: `chat_${what}`,
        requestId: `jr_${what}`,
        requester: 'usr_visitor',
        message: 'let me in',
        approvers: ['owner'],
      },
    ],
  });
  started.push(id);
  return openGate(id);
}

async function ownerRelationship(what: string): Promise<GateTarget> {
  const id = uniqueId(`rel-${what}`);
  await h.client.workflow.start('relationshipRequest', {
    taskQueue: h.taskQueue,
    workflowId: id,
    args: [
      { relationshipId: `rel_${what}`, requester: 'usr_someone', targetUserId: 'usr_owner', approvers: ['owner'] },
    ],
  });
  started.push(id);
  return openGate(id);
}

async function research(what: string): Promise<GateTarget> {
  const { workflowId: id } = await h.sb.startResearch(
    { topic: `Security review of ${what}`, approvers: ['alice'] },
    { workflowId: uniqueId(what) },
  );
  started.push(id);
  return openGate(id);
}

beforeAll(async () => {
  h = await createHarness({ name: 'security', extraEnv: MYCEL_ENV });
  await h.control.reset();
  const targets = {
    webagent: askingSession('steer'),
    mix: runningSession({ platform: 'mix', task: 'Work on script:long', followBatch: FOLLOW_QUIETLY }),
    wyse: runningSession({
      platform: 'wysemate',
      task: 'Work on script:long',
      wysemate: { teamId: 'team_01' },
      followBatch: FOLLOW_QUIETLY,
    }),
    research: research('update-target'),
    join: ownerJoin('update'),
    rel: ownerRelationship('update'),
    sigJoin: ownerJoin('signal'),
    sigRel: ownerRelationship('signal'),
    sigSession: askingSession('signalled'),
    decJoin: ownerJoin('decide-signal'),
    decResearch: research('decide-signal'),
    extraSdk: ownerJoin('extra-sdk'),
    extraRaw: ownerJoin('extra-raw'),
    extraCli: ownerJoin('extra-cli'),
    victim: askingSession('victim'),
    cronVictim: askingSession('cron-victim'),
    floorVictim: askingSession('floor-victim'),
    bystanderSession: askingSession('bystander'),
    bystanderJoin: ownerJoin('bystander'),
  };
  const entries = await Promise.all(Object.entries(targets).map(async ([k, p]) => [k, await p] as const));
  Object.assign(T, Object.fromEntries(entries));
}, 120_000);

afterAll(async () => {
  if (!h) return;
  await Promise.all(
    started.map((id) =>
      h.client.workflow
        .getHandle(id)
        .terminate('security suite over')
        .catch(() => undefined),
    ),
  );
  await h.close();
});

const handle = (id: string) => h.client.workflow.getHandle(id);
/** Any arguments, none included: the SDK sends what it is given. */
const sdkUpdate = (id: string, name: string, ...args: unknown[]) =>
  handle(id).executeUpdate(name, { args: args as [unknown] });
const decide = (id: string, d: DecisionInput): Promise<GateOutcome> =>
  handle(id).executeUpdate(decideUpdate, { args: [d] });
const gateOf = (id: string): Promise<GateView> => handle(id).query(gateQuery);
const stateOf = (id: string): Promise<AgentSessionState> => h.sb.state(id);
const cliUpdate = (id: string, name: string, ...flags: string[]) =>
  cliOrThrow('workflow', 'update', 'execute', '--workflow-id', id, '--name', name, ...flags);
const cliSignal = (id: string, name: string, ...flags: string[]) =>
  cliOrThrow('workflow', 'signal', '--workflow-id', id, '--name', name, ...flags);
const CLI_UNKNOWN_ENCODING = ['--input-meta', 'encoding=binary/unknown', '--input', 'not-for-you'];
const CLI_UNKNOWN_PROTO = [
  '--input',
  '{}',
  '--input-meta',
  'encoding=json/protobuf',
  '--input-meta',
  'messageType=evil.Type',
];

async function lastJournalSeq(): Promise<number> {
  return (await h.control.journal()).at(-1)?.seq ?? 0;
}

/** Platform requests about a session (any method) since a journal position. */
async function touching(ref: SessionRef, since: number) {
  return (await h.control.journal({ platform: ref.platform, since })).filter((e) => e.path.includes(ref.sessionId));
}

// ---- starts ------------------------------------------------------------------------------------------

const TYPES = [
  'agentSession',
  'deepResearch',
  'joinRequest',
  'relationshipRequest',
  'mycelInbox',
  'platformProbe',
  'webhookDelivery',
  'webhookEndpoint',
  'trackMonitor',
  'scheduledMonitor',
  'scheduledMonitorTick',
] as const;

describe.concurrent('a start with an undecodable input ends Failed/InvalidInput, with no failed workflow task', () => {
  const cases = TYPES.flatMap((type) => UNDECODABLE.map(([what, payload]) => [type, what, payload] as const));
  it.each(cases)('raw gRPC: %s, %s', async (type, _what, payload) => {
    await expectInvalidInput(h, await rawStart(h, type, [payload]), /undecodable payload/);
  });

  it.each(TYPES)('Temporal CLI: %s with --input-meta encoding=binary/unknown', async (type) => {
    const id = uniqueId(`cli-${type}`);
    await cliOrThrow(
      'workflow',
      'start',
      '--type',
      type,
      '--task-queue',
      h.taskQueue,
      '--workflow-id',
      id,
      ...CLI_UNKNOWN_ENCODING,
    );
    await expectInvalidInput(h, id, /undecodable payload/);
  });

  it.each(['agentSession', 'joinRequest'])(
    'Temporal CLI: %s with json/protobuf of an unknown message type',
    async (type) => {
      const id = uniqueId(`cli-proto-${type}`);
      await cliOrThrow(
        'workflow',
        'start',
        '--type',
        type,
        '--task-queue',
        h.taskQueue,
        '--workflow-id',
        id,
        ...CLI_UNKNOWN_PROTO,
      );
      await expectInvalidInput(h, id, /undecodable payload/);
    },
  );
});

describe.concurrent(
  'a start with a malformed or hostile input ends Failed/InvalidInput, with no failed workflow task',
  () => {
    const wrongType = TYPES.flatMap((type) => WRONG_TYPE.map(([what, payload]) => [type, what, payload] as const));
    it.each(wrongType)('raw gRPC: %s, %s', async (type, _what, payload) => {
      await expectInvalidInput(h, await rawStart(h, type, [payload]));
    });

    it.each(TYPES)('raw gRPC: %s without any input', async (type) => {
      await expectInvalidInput(h, await rawStart(h, type, undefined));
    });

    it.each(TYPES)('Temporal CLI: %s without --input', async (type) => {
      const id = uniqueId(`cli-none-${type}`);
      await cliOrThrow('workflow', 'start', '--type', type, '--task-queue', h.taskQueue, '--workflow-id', id);
      await expectInvalidInput(h, id);
    });

    it.each(TYPES)('raw gRPC: %s with a 100,000-deep nested JSON input', async (type) => {
      await expectInvalidInput(h, await rawStart(h, type, [jsonText(nestedJson(100_000))]));
    });

    /** Own `__proto__` / `constructor` keys, as JSON.parse makes them. */
    const polluted = (base: object, key: '__proto__' | 'constructor') =>
      JSON.parse(
        `{${JSON.stringify(base).slice(1, -1)},"${key}":{"credentialAlias":"admin","approvers":["mallory"]}}`,
      ) as unknown;
    const session = { platform: 'webagent', task: 'x' };
    const topic = { topic: 'A fine topic', approvers: ['alice'] };
    const owner = { chatId: 'chat_1', requestId: 'jr_1', approvers: ['owner'] };
    const hook = { endpoint: 'ops', messageId: 'm-1', eventType: 'test.event', payload: {} };
    const mon = {
      intent: 'Watch a price',
      schedule: { kind: 'interval', every_seconds: 3600 },
      notifyChannel: { kind: 'callback_url', url: 'https://hooks.example.com/t' },
      approvers: ['alice'],
    };
    const smon = {
      key: 'k1',
      check: { kind: 'web_search', query: 'x' },
      schedule: { everySeconds: [60] },
      approvers: ['alice'],
    };
    const MALFORMED: [string, string, unknown, RegExp?][] = [
      ['agentSession', 'an empty object', {}],
      ['agentSession', 'null', null],
      ['agentSession', 'an array of a valid input', [session]],
      [
        'agentSession',
        'a key where an alias belongs',
        { ...session, credentialAlias: 'sk-live 1234' },
        /credentialAlias/,
      ],
      ['agentSession', 'a task over 100,000 characters', { ...session, task: 'x'.repeat(100_001) }, /task/],
      [
        'agentSession',
        'an extra field (a base URL)',
        { ...session, baseUrl: 'http://169.254.169.254' },
        /Unrecognized key/,
      ],
      ['agentSession', 'an own __proto__ key', polluted(session, '__proto__')],
      ['agentSession', 'an own constructor key', polluted(session, 'constructor')],
      ['agentSession', 'a platform without sessions (mycel)', { platform: 'mycel', task: 'x' }],
      [
        'agentSession',
        'a follow batch past its bounds',
        { ...session, followBatch: { maxEvents: 1e9, maxSeconds: 1e9 } },
      ],
      ['deepResearch', 'an empty object', {}],
      ['deepResearch', 'a two-letter topic', { ...topic, topic: 'ab' }, /topic/],
      ['deepResearch', 'a topic over 2,000 characters', { ...topic, topic: 'x'.repeat(2_001) }, /topic/],
      ['deepResearch', 'no approvers', { ...topic, approvers: [] }, /at least one approver/],
      ['deepResearch', '51 approvers', { ...topic, approvers: Array.from({ length: 51 }, (_, i) => `a${i}`) }],
      [
        'deepResearch',
        'an approver that is a shell command',
        { ...topic, approvers: ['alice; rm -rf /'] },
        /decider must be a name/,
      ],
      ['deepResearch', 'a negative deadline', { ...topic, deadlineSeconds: -5 }],
      [
        'deepResearch',
        'an expiry policy with extra fields',
        { ...topic, onExpiry: { policy: 'approve', to: ['mallory'] } },
        /Unrecognized key/,
      ],
      ['deepResearch', 'an own __proto__ key', polluted(topic, '__proto__')],
      [
        'joinRequest',
        'neither a request id nor a visitor alias',
        { chatId: 'chat_1', approvers: ['owner'] },
        /visitorAlias is required/,
      ],
      [
        'joinRequest',
        'an approver that is not an alias',
        { ...owner, approvers: ['owner.example@x'] },
        /Mycel credential alias/,
      ],
      [
        'joinRequest',
        'a token where the visitor alias belongs',
        { chatId: 'chat_1', visitorAlias: 'Bearer sb_mycel_visitor', approvers: ['owner'] },
      ],
      ['joinRequest', 'a chat id over 200 characters', { ...owner, chatId: 'c'.repeat(201) }],
      [
        'joinRequest',
        'a post over 10,000 characters',
        { ...owner, postMessage: { alias: 'owner', text: 'x'.repeat(10_001) } },
      ],
      [
        'joinRequest',
        'an escalation to a non-alias',
        { ...owner, onExpiry: { policy: 'escalate', to: ['boss@corp'] } },
        /escalation target/,
      ],
      ['joinRequest', 'an own __proto__ key', polluted(owner, '__proto__')],
      [
        'relationshipRequest',
        'neither a relationship nor a requester',
        { approvers: ['owner'] },
        /requesterAlias is required/,
      ],
      ['relationshipRequest', 'an empty relationship id', { relationshipId: '', approvers: ['owner'] }],
      [
        'relationshipRequest',
        'a requester without a target',
        { requesterAlias: 'visitor', approvers: ['owner'] },
        /targetUserId is required/,
      ],
      [
        'relationshipRequest',
        'an extra field',
        { relationshipId: 'rel_1', approvers: ['owner'], decider: 'owner' },
        /Unrecognized key/,
      ],
      ['mycelInbox', 'an empty object', {}],
      ['mycelInbox', 'a token where the alias belongs', { alias: 'Bearer sb_mycel_owner' }],
      ['mycelInbox', 'zero loops', { alias: 'owner', maxLoops: 0 }],
      ['mycelInbox', 'a 10 ms poll', { alias: 'owner', pollMaxMs: 10 }],
      ['mycelInbox', 'a negative sequence', { alias: 'owner', sinceSeq: -1 }],
      ['platformProbe', 'an unknown platform', { platform: 'nope' }],
      ['platformProbe', 'a key where an alias belongs', { platform: 'webagent', credentialAlias: 'sk live' }],
      [
        'platformProbe',
        'a URL to probe',
        { platform: 'webagent', url: 'http://169.254.169.254/latest/meta-data' },
        /Unrecognized key/,
      ],
      ['platformProbe', 'a bare string', 'webagent'],
      [
        'webhookDelivery',
        'a URL where the endpoint alias belongs',
        { ...hook, endpoint: 'http://169.254.169.254/latest' },
        /endpoint must be an alias/,
      ],
      ['webhookDelivery', 'a signing secret in the input', { ...hook, secret: 'whsec_abc' }, /Unrecognized key/],
      ['webhookDelivery', 'a payload over 64 KB', { ...hook, payload: 'x'.repeat(70_000) }, /at most 65536/],
      [
        'webhookDelivery',
        'a retry schedule past its bounds',
        { ...hook, retrySchedule: Array.from({ length: 50 }, () => 1e9) },
        /retrySchedule/,
      ],
      ['webhookDelivery', 'a message id with spaces', { ...hook, messageId: 'a b' }, /messageId/],
      ['trackMonitor', 'an empty object', {}],
      [
        'trackMonitor',
        'a bad cron expression',
        { ...mon, schedule: { kind: 'cron', expression: 'rm -rf /' } },
        /cron expression/,
      ],
      [
        'trackMonitor',
        'an unknown trigger condition',
        { ...mon, triggerDsl: { op: 'eval', field: 'price', value: 1 } },
        /op/,
      ],
      [
        'trackMonitor',
        'a callback that is not http(s)',
        { ...mon, notifyChannel: { kind: 'callback_url', url: 'gopher://x' } },
        /url/,
      ],
      ['trackMonitor', 'a poll every millisecond', { ...mon, pollSeconds: 0.001 }, /pollSeconds/],
      [
        'trackMonitor',
        'an extra field (a base URL)',
        { ...mon, baseUrl: 'http://169.254.169.254' },
        /Unrecognized key/,
      ],
      ['trackMonitor', 'an own __proto__ key', polluted(mon, '__proto__')],
      ['scheduledMonitor', 'an empty object', {}],
      ['scheduledMonitor', 'a bad cron expression', { ...smon, schedule: { cron: ['rm -rf /'] } }, /bad cron/],
      [
        'scheduledMonitor',
        'an unknown condition',
        { ...smon, condition: { op: 'eval', field: 'price', value: 1 } },
        /unknown condition/,
      ],
      [
        'scheduledMonitor',
        'a URL where the outbox endpoint alias belongs',
        { ...smon, notify: { endpoint: 'http://10.0.0.1/hook' } },
        /endpoint alias/,
      ],
      ['scheduledMonitor', 'a sub-second interval', { ...smon, schedule: { everySeconds: [0.001] } }, /everySeconds/],
      [
        'scheduledMonitor',
        'an extra field (a base URL)',
        { ...smon, baseUrl: 'http://169.254.169.254' },
        /Unrecognized key/,
      ],
      ['scheduledMonitor', 'an own __proto__ key', polluted(smon, '__proto__')],
      [
        'scheduledMonitor',
        'a monitor under another id (the Schedule would never wake it)',
        smon,
        /must run as monitor-k1/,
      ],
      ['scheduledMonitorTick', 'an empty object', {}],
      ['scheduledMonitorTick', 'a key that is not a key', { key: '../../etc' }, /key/],
      [
        'webhookEndpoint',
        'a marker under another id',
        { endpoint: 'ops', reason: 'forged' },
        /must run as webhook-endpoint-ops/,
      ],
    ];
    it.each(MALFORMED)('SDK: %s with %s', async (type, _what, input, message) => {
      const id = uniqueId(`bad-${type}`);
      await h.client.workflow.start(type, { taskQueue: h.taskQueue, workflowId: id, args: [input] });
      await expectInvalidInput(h, id, message);
    });

    it('raw gRPC: agentSession with an own __proto__ key that would name another credential', async () => {
      const text = '{"platform":"webagent","task":"x","__proto__":{"credentialAlias":"admin"}}';
      await expectInvalidInput(h, await rawStart(h, 'agentSession', [jsonText(text)]), /Unrecognized key/);
    });

    it('our client refuses the same inputs before anything starts', async () => {
      for (const input of [
        { ...session, credentialAlias: 'sk-live 1234' },
        { ...session, task: 'x'.repeat(100_001) },
        { platform: 'mycel', task: 'x' },
      ]) {
        const err = await h.sb.startSession(input as AgentSessionInputRaw).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(SwitchboardClientError);
        expect((err as SwitchboardClientError).code).toBe('invalid_input');
      }
      const err = await h.sb.startResearch({ topic: 'ab', approvers: [] }).catch((e: unknown) => e);
      expect((err as SwitchboardClientError).code).toBe('invalid_input');
    });
  },
);

// ---- continue-as-new state and workflows that are not ours -----------------------------------------

describe('continue-as-new state comes only from a continued run', () => {
  const carryOf = (ref: SessionRef, status = 'completed') => ({
    ref,
    status,
    platformStatus: status,
    counts: { platformEvents: 0, transcriptEntries: 0, messagesSent: 0, followUps: 0, tasks: 1 },
    tail: [],
    opSeq: 0,
    artifacts: [],
    title: 'taken over',
  });
  /** With a carried ref, this run would end at once and clean up (stop + delete) the carried session. */
  const hijack: AgentSessionInputRaw = { platform: 'webagent', task: 'Take over script:default', deleteOnEnd: true };
  const SECOND_ARG = /only accepted from a run this workflow continued as new itself|does not run on a cron schedule/;

  it("agentSession with a second argument fails at once, three ways, and the other workflow's session hears nothing", async () => {
    const since = await lastJournalSeq();
    const carries: [string, unknown][] = [
      ["another workflow's session ref (ended: clean it up)", carryOf(T.victim.ref)],
      ["another workflow's session ref (running: follow it)", carryOf(T.victim.ref, 'running')],
      ['an empty object', {}],
      ['the number 1', 1],
      ['null', null],
    ];
    const ids = await Promise.all(
      carries.map(async ([, carry]) => {
        const id = uniqueId('carry-sdk');
        await h.client.workflow.start('agentSession', {
          taskQueue: h.taskQueue,
          workflowId: id,
          args: [hijack, carry],
        });
        return id;
      }),
    );
    ids.push(await rawStart(h, 'agentSession', [json(hijack), json(carryOf(T.victim.ref))]));
    const cliId = uniqueId('carry-cli');
    await cliOrThrow(
      'workflow',
      'start',
      '--type',
      'agentSession',
      '--task-queue',
      h.taskQueue,
      '--workflow-id',
      cliId,
      '--input',
      JSON.stringify(hijack),
      '--input',
      JSON.stringify(carryOf(T.victim.ref)),
    );
    ids.push(cliId);
    for (const id of ids) await expectInvalidInput(h, id, SECOND_ARG);
    expect(await touching(T.victim.ref, since), 'no request about the victim session').toEqual([]);
    const st = await stateOf(T.victim.id);
    expect(st).toMatchObject({ status: 'awaiting_input', pendingInput: { requestId: T.victim.requestId } });
  });

  interface CronRun {
    runId: string;
    continuedFrom?: string | null;
    end: string;
    effects: string[];
    failure?: string;
    taskFailures: string[];
  }
  /**
   * Starts `type` on a 2 s cron schedule and follows its first two runs: the server starts each
   * run after the first as a continuation of the previous one (`continuedFromExecutionRunId`).
   */
  async function cronRuns(
    type: string,
    args: unknown[],
    opts: Partial<WorkflowStartOptions> = { cronSchedule: '@every 2s' },
  ): Promise<CronRun[]> {
    const id = uniqueId(`chain-${type}`);
    const first = await h.client.workflow.start(type, { taskQueue: h.taskQueue, workflowId: id, args, ...opts });
    started.push(id);
    const runs: CronRun[] = [];
    let runId: string | null | undefined = first.firstExecutionRunId;
    try {
      for (let i = 0; i < 2 && runId; i++) {
        const events = await closedOrStuck(h, id, runId, 20_000);
        const close = events.find(isClose);
        const failed = close?.workflowExecutionFailedEventAttributes;
        runs.push({
          runId,
          continuedFrom: events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId,
          end: close ? eventName(close) : 'stuck',
          effects: sideEffects(events).map(eventName),
          failure: failed ? `${failed.failure?.applicationFailureInfo?.type}: ${failed.failure?.message}` : undefined,
          taskFailures: taskFailures(events),
        });
        runId =
          failed?.newExecutionRunId ??
          close?.workflowExecutionCompletedEventAttributes?.newExecutionRunId ??
          close?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
      }
    } finally {
      await handle(id)
        .terminate('cron case over')
        .catch(() => undefined);
    }
    expect(runs.length, JSON.stringify(runs)).toBe(2);
    expect(runs[1]!.continuedFrom, 'the second cron run continues the first').toBe(runs[0]!.runId);
    return runs;
  }

  function expectEveryRunRefused(runs: CronRun[], message: RegExp): void {
    for (const r of runs) {
      expect.soft(r.taskFailures).toEqual([]);
      expect
        .soft(r.failure ?? `ended ${r.end} after ${r.effects.join(', ') || 'nothing'}`, `run ${r.runId}`)
        .toMatch(message);
    }
  }

  it('agentSession on a cron schedule (each run continues the previous one): the starter’s second argument is still refused', async () => {
    const since = await lastJournalSeq();
    const runs = await cronRuns('agentSession', [hijack, carryOf(T.cronVictim.ref)]);
    const victim = await touching(T.cronVictim.ref, since);
    expect
      .soft(
        victim.map((e) => `${e.method} ${e.route} → ${e.status}`),
        'no request about the victim session',
      )
      .toEqual([]);
    expectEveryRunRefused(runs, SECOND_ARG);
  });

  it('mycelInbox on a cron schedule: the starter’s carry is still refused', async () => {
    const input = {
      alias: 'visitor',
      maxLoops: 1,
      pollMaxMs: 100,
      carry: {
        me: 'usr_forged',
        generation: 41,
        started: { join: 0, relationship: 0 },
        alreadyStarted: { join: 0, relationship: 0 },
        gaps: 0,
        recent: [],
      },
    };
    expectEveryRunRefused(
      await cronRuns('mycelInbox', [input]),
      /does not run on a cron schedule|carry is only accepted from a run this workflow continued/,
    );
  });

  it('mycelInbox refuses a carry on a fresh start, three ways', async () => {
    const input = {
      alias: 'owner',
      pollMaxMs: 500,
      carry: {
        me: 'usr_someone_else',
        generation: 7,
        started: { join: 0, relationship: 0 },
        alreadyStarted: { join: 0, relationship: 0 },
        gaps: 0,
        recent: [],
      },
    };
    const sdk = uniqueId('inbox-carry');
    await h.client.workflow.start('mycelInbox', { taskQueue: h.taskQueue, workflowId: sdk, args: [input] });
    const raw = await rawStart(h, 'mycelInbox', [json(input)]);
    const cli = uniqueId('inbox-carry-cli');
    await cliOrThrow(
      'workflow',
      'start',
      '--type',
      'mycelInbox',
      '--task-queue',
      h.taskQueue,
      '--workflow-id',
      cli,
      '--input',
      JSON.stringify(input),
    );
    for (const id of [sdk, raw, cli])
      await expectInvalidInput(h, id, /carry is only accepted from a run this workflow continued as new itself/);
  });

  it('updateFloor is not a workflow of the production task queue: started there with another session’s ref, it delivers nothing', async () => {
    const since = await lastJournalSeq();
    const id = uniqueId('floor');
    await h.client.workflow.start('updateFloor', { taskQueue: h.taskQueue, workflowId: id, args: [T.floorVictim.ref] });
    started.push(id);
    try {
      // Admitted at most: no worker here runs updateFloor, so no handler can accept it.
      await rawUpdate(h, id, 'floorSend', [json('sent through a workflow that is not ours')], {
        timeoutMs: 3_000,
        waitFor: 'admitted',
      }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 2_000));
      // The worker does not know the type: its task fails (which also shows this suite's
      // failed-task detector sees what it looks for).
      const events = await eventually(async () => {
        const ev = await historyOf(h, id);
        return taskFailures(ev).length > 0 ? ev : undefined;
      });
      expect(taskFailures(events)[0]).toMatch(/updateFloor/);
      expect(sideEffects(events), 'no activity, no local activity').toEqual([]);
      expect(events.some(isClose)).toBe(false);
      expect(await touching(T.floorVictim.ref, since)).toEqual([]);
      expect(await stateOf(T.floorVictim.id)).toMatchObject({ status: 'awaiting_input', counts: { messagesSent: 0 } });
    } finally {
      await handle(id)
        .terminate('not a production workflow')
        .catch(() => undefined);
    }
  });
});

// ---- updates -----------------------------------------------------------------------------------------

interface UpdateCase {
  name: string;
  send: () => Promise<unknown>;
  message: RegExp;
}

/**
 * One refused update: the rejection carries `message`, the history has not grown (no update event,
 * no workflow task), no workflow task failed, and `state` reads the same before and after.
 *
 * `heartbeating`: the target runs a heartbeating activity (a session being followed). When a
 * heartbeat reaches the server while the update's speculative workflow task is in flight, the
 * server persists that task (WorkflowTaskScheduled/Started/Completed, nothing else): Temporal's
 * doing, not the validator's. Such a target may grow by those three events only.
 */
async function expectRefused(
  id: string,
  c: UpdateCase,
  state: () => Promise<unknown>,
  { heartbeating = false } = {},
): Promise<void> {
  const before = await historyOf(h, id);
  const stBefore = await state();
  const msg = await rejectionOf(c.send());
  expect(msg).toMatch(c.message);
  const after = await historyOf(h, id);
  expect(taskFailures(after)).toEqual([]);
  expect(updateEvents(after)).toEqual([]);
  const added = after.slice(before.length).map(eventName);
  if (heartbeating) {
    expect(
      added.filter((n) => !/^workflowTask(Scheduled|Started|Completed)$/.test(n)),
      'a refused update writes nothing to history',
    ).toEqual([]);
  } else {
    expect(added, 'a refused update writes nothing to history').toEqual([]);
  }
  expect(await state()).toEqual(stBefore);
}

const UNDECODABLE_MSG = /undecodable payload/;
const ONE_ARG = /exactly one argument/;
/** The gate may name the undecodable payload or just fail the schema; either is a refusal. */
const BAD_DECISION = /undecodable|invalid decision|refused|exactly one argument/;

/** Cases every steering update shares: undecodable payloads (raw, CLI), no and extra arguments. */
function commonUpdateCases(target: () => string, name: string, valid: () => unknown): UpdateCase[] {
  return [
    ...UNDECODABLE.map(([what, p]) => ({
      name: `${name}: raw gRPC, ${what}`,
      send: () => rawUpdate(h, target(), name, [p]),
      message: UNDECODABLE_MSG,
    })),
    {
      name: `${name}: raw gRPC, a valid argument and an undecodable one`,
      send: () => rawUpdate(h, target(), name, [json(valid()), UNDECODABLE[0]![1]]),
      message: ONE_ARG,
    },
    { name: `${name}: raw gRPC, no arguments`, send: () => rawUpdate(h, target(), name, undefined), message: ONE_ARG },
    { name: `${name}: SDK, no arguments`, send: () => sdkUpdate(target(), name), message: ONE_ARG },
    {
      name: `${name}: SDK, two valid arguments`,
      send: () => sdkUpdate(target(), name, valid(), valid()),
      message: ONE_ARG,
    },
    {
      name: `${name}: CLI, --input-meta encoding=binary/unknown`,
      send: () => cliUpdate(target(), name, ...CLI_UNKNOWN_ENCODING),
      message: UNDECODABLE_MSG,
    },
    {
      name: `${name}: CLI, json/protobuf of an unknown type`,
      send: () => cliUpdate(target(), name, ...CLI_UNKNOWN_PROTO),
      message: UNDECODABLE_MSG,
    },
    {
      name: `${name}: CLI, two valid inputs`,
      send: () => cliUpdate(target(), name, '--input', JSON.stringify(valid()), '--input', JSON.stringify(valid())),
      message: ONE_ARG,
    },
  ];
}

describe('updates on a Web Agent session waiting for input are refused with nothing written', () => {
  const id = () => T.webagent.id;
  const R = () => T.webagent.requestId;
  const state = () => stateOf(id());
  const INVALID = /invalid update/;
  const cases: UpdateCase[] = [
    ...commonUpdateCases(id, 'sendMessage', () => ({ text: 'hello' })),
    ...WRONG_TYPE.map(([what, p]) => ({
      name: `sendMessage: raw gRPC, ${what}`,
      send: () => rawUpdate(h, id(), 'sendMessage', [p]),
      message: INVALID,
    })),
    {
      name: 'sendMessage: SDK, an empty object',
      send: () => sdkUpdate(id(), 'sendMessage', {}),
      message: /text: Required/,
    },
    { name: 'sendMessage: SDK, null', send: () => sdkUpdate(id(), 'sendMessage', null), message: INVALID },
    {
      name: 'sendMessage: SDK, empty text',
      send: () => sdkUpdate(id(), 'sendMessage', { text: '   ' }),
      message: /text must not be empty/,
    },
    {
      name: 'sendMessage: SDK, a number for text',
      send: () => sdkUpdate(id(), 'sendMessage', { text: 5 }),
      message: /text: Expected string/,
    },
    {
      name: 'sendMessage: SDK, an extra field',
      send: () => sdkUpdate(id(), 'sendMessage', { text: 'hi', as: 'admin' }),
      message: /Unrecognized key/,
    },
    {
      name: 'sendMessage: SDK, 50,001 characters',
      send: () => sdkUpdate(id(), 'sendMessage', { text: 'x'.repeat(50_001) }),
      message: /50000/,
    },
    {
      name: 'sendMessage: raw gRPC, an own __proto__ key',
      send: () => rawUpdate(h, id(), 'sendMessage', [jsonText('{"text":"hi","__proto__":{"polluted":true}}')]),
      message: /Unrecognized key/,
    },
    {
      name: 'sendMessage: raw gRPC, 100,000-deep nested JSON',
      send: () => rawUpdate(h, id(), 'sendMessage', [jsonText(`{"text":${nestedJson(100_000, '"x"')}}`)]),
      message: /undecodable|invalid update/,
    },
    {
      name: 'sendMessage: our client, 50,001 characters',
      send: async () => h.sb.sendMessage(id(), 'x'.repeat(50_001)),
      message: /invalid message/,
    },

    ...commonUpdateCases(id, 'answerInput', () => ({ requestId: R(), response: 'option A' })),
    {
      name: 'answerInput: SDK, a 1 MB response',
      send: () => sdkUpdate(id(), 'answerInput', { requestId: R(), response: 'x'.repeat(1 << 20) }),
      message: /at most 65536 bytes/,
    },
    {
      name: 'answerInput: SDK, 65,537 bytes of JSON (one over)',
      send: () => sdkUpdate(id(), 'answerInput', { requestId: R(), response: 'x'.repeat(65_535) }),
      message: /at most 65536 bytes/,
    },
    {
      name: 'answerInput: SDK, 65,538 bytes of two-byte characters',
      send: () => sdkUpdate(id(), 'answerInput', { requestId: R(), response: 'é'.repeat(32_768) }),
      message: /at most 65536 bytes/,
    },
    {
      name: 'answerInput: SDK, no response',
      send: () => sdkUpdate(id(), 'answerInput', { requestId: R() }),
      message: /response is required/,
    },
    {
      name: 'answerInput: SDK, a forged request id',
      send: () => sdkUpdate(id(), 'answerInput', { requestId: 'req_forged', response: 'a' }),
      message: /stale or unknown/,
    },
    {
      name: 'answerInput: raw gRPC, a 100,000-deep nested response',
      send: () =>
        rawUpdate(h, id(), 'answerInput', [
          jsonText(`{"requestId":${JSON.stringify(R())},"response":${nestedJson(100_000)}}`),
        ]),
      message: /undecodable|at most 65536 bytes/,
    },
    {
      name: 'answerInput: our client, a 1 MB response',
      send: async () => h.sb.answerInput(id(), R(), 'x'.repeat(1 << 20)),
      message: /invalid answer/,
    },

    ...commonUpdateCases(id, 'followUp', () => ({ task: 'next' })).slice(0, 6),
    ...commonUpdateCases(id, 'cancel', () => ({ reason: 'stop' })).slice(0, 6),
    {
      name: 'cancel: SDK, a 501-character reason',
      send: () => sdkUpdate(id(), 'cancel', { reason: 'x'.repeat(501) }),
      message: /500/,
    },
    {
      name: 'cancel: SDK, a number for reason',
      send: () => sdkUpdate(id(), 'cancel', { reason: 5 }),
      message: /reason/,
    },
    // Unsupported on Web Agent: refused before the payload is even read, still without a trace.
    ...['rename', 'setCallbacks', 'rewind'].map((name) => ({
      name: `${name}: raw gRPC, an unknown encoding on a platform without ${name}`,
      send: () => rawUpdate(h, id(), name, [UNDECODABLE[0]![1]]),
      message: /not supported on webagent|undecodable/,
    })),
    {
      name: 'an update nobody defined, undecodable',
      send: () => rawUpdate(h, id(), 'becomeAdmin', [UNDECODABLE[0]![1]]),
      message: /becomeAdmin|handler/i,
    },
  ];

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    await expectRefused(id(), c, state);
  });

  it('afterwards a valid answer is accepted, and the session finishes', async () => {
    expect(await h.sb.answerInput(id(), R(), 'option A')).toMatchObject({ accepted: true });
    expect((await h.sb.result(id())).status).toBe('completed');
    const events = await historyOf(h, id());
    expect(taskFailures(events)).toEqual([]);
    expect(events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toHaveLength(1);
    expect(events.filter((e) => e.workflowExecutionUpdateRejectedEventAttributes)).toHaveLength(0);
  });
});

describe('updates on a running Mix and Wyse Mate session are refused with nothing written', () => {
  const mix = () => T.mix.id;
  const wyse = () => T.wyse.id;
  const cb = { tool_name: 'bash', type: 'bash_script', bash_command: 'echo hi' };
  const mixCases: UpdateCase[] = [
    ...commonUpdateCases(mix, 'setCallbacks', () => ({ callbacks: [cb] })),
    {
      name: 'setCallbacks: SDK, callbacks not a list',
      send: () => sdkUpdate(mix(), 'setCallbacks', { callbacks: 'all' }),
      message: /invalid update/,
    },
    {
      name: 'setCallbacks: SDK, a bash callback without a command',
      send: () => sdkUpdate(mix(), 'setCallbacks', { callbacks: [{ tool_name: 'bash', type: 'bash_script' }] }),
      message: /bashCommand is required/,
    },
    ...commonUpdateCases(mix, 'rewind', () => ({ messageId: 'msg_1' })),
    {
      name: 'rewind: SDK, an empty message id',
      send: () => sdkUpdate(mix(), 'rewind', { messageId: '' }),
      message: /messageId is required/,
    },
    {
      name: 'rewind: SDK, cleanMedia not a boolean',
      send: () => sdkUpdate(mix(), 'rewind', { messageId: 'm', cleanMedia: 'yes' }),
      message: /cleanMedia/,
    },
  ];
  const wyseCases: UpdateCase[] = [
    ...commonUpdateCases(wyse, 'rename', () => ({ name: 'Renamed' })),
    {
      name: 'rename: SDK, an empty name',
      send: () => sdkUpdate(wyse(), 'rename', { name: ' ' }),
      message: /name must not be empty/,
    },
    {
      name: 'rename: SDK, 201 characters',
      send: () => sdkUpdate(wyse(), 'rename', { name: 'n'.repeat(201) }),
      message: /200/,
    },
    {
      name: 'rename: SDK, an extra field',
      send: () => sdkUpdate(wyse(), 'rename', { name: 'ok', sessionId: 'other' }),
      message: /Unrecognized key/,
    },
  ];

  it.each(mixCases.map((c) => [c.name, c] as const))('mix %s', async (_n, c) => {
    await expectRefused(mix(), c, () => stateOf(mix()), { heartbeating: true });
  });
  it.each(wyseCases.map((c) => [c.name, c] as const))('wysemate %s', async (_n, c) => {
    await expectRefused(wyse(), c, () => stateOf(wyse()), { heartbeating: true });
  });

  it('afterwards valid updates are accepted', async () => {
    expect(await h.sb.setCallbacks(mix(), [cb])).toMatchObject({ accepted: true });
    expect(await h.sb.rename(wyse(), 'Renamed by a person')).toMatchObject({ accepted: true });
    for (const id of [mix(), wyse()]) expect(taskFailures(await historyOf(h, id))).toEqual([]);
  });
});

describe('decisions that are undecodable, malformed, oversized or forged are refused with nothing written', () => {
  const R = () => T.research;
  const d = (extra: Partial<DecisionInput> & Record<string, unknown> = {}) => ({
    requestId: R().requestId,
    decider: 'alice',
    decision: 'approve',
    ...extra,
  });
  const send = (x: unknown) => () => sdkUpdate(R().id, 'decide', x);
  /** A decision built when sent (the gate's request id is known only then). */
  const sendD = (extra: Partial<DecisionInput> & Record<string, unknown>) => () =>
    sdkUpdate(R().id, 'decide', d(extra));
  const researchCases: UpdateCase[] = [
    ...UNDECODABLE.map(([what, p]) => ({
      name: `raw gRPC, ${what}`,
      send: () => rawUpdate(h, R().id, 'decide', [p]),
      message: BAD_DECISION,
    })),
    ...WRONG_TYPE.map(([what, p]) => ({
      name: `raw gRPC, ${what}`,
      send: () => rawUpdate(h, R().id, 'decide', [p]),
      message: BAD_DECISION,
    })),
    { name: 'raw gRPC, no arguments', send: () => rawUpdate(h, R().id, 'decide', undefined), message: BAD_DECISION },
    {
      name: 'CLI, --input-meta encoding=binary/unknown',
      send: () => cliUpdate(R().id, 'decide', ...CLI_UNKNOWN_ENCODING),
      message: BAD_DECISION,
    },
    {
      name: 'CLI, json/protobuf of an unknown type',
      send: () => cliUpdate(R().id, 'decide', ...CLI_UNKNOWN_PROTO),
      message: BAD_DECISION,
    },
    { name: 'SDK, an empty object', send: send({}), message: /invalid decision/ },
    { name: 'SDK, null', send: send(null), message: /invalid decision/ },
    { name: 'SDK, a bare "approve"', send: send('approve'), message: /invalid decision/ },
    { name: 'SDK, an unknown decision', send: sendD({ decision: 'maybe' as never }), message: /invalid decision/ },
    { name: 'SDK, an extra field', send: sendD({ auto: true }), message: /Unrecognized key/ },
    { name: 'SDK, a request id that is a number', send: sendD({ requestId: 5 as never }), message: /invalid decision/ },
    {
      name: 'SDK, a decider that is not a name',
      send: sendD({ decider: 'alice bob' }),
      message: /decider must be a name/,
    },
    {
      name: 'SDK, the expiry policy as decider',
      send: sendD({ decider: 'switchboard:expiry' }),
      message: /decider must be a name/,
    },
    { name: 'SDK, a reject without a reason', send: sendD({ decision: 'reject' }), message: /reject needs a reason/ },
    {
      name: 'SDK, approve_with_edits without edits',
      send: sendD({ decision: 'approve_with_edits' }),
      message: /needs a non-empty edits list/,
    },
    {
      name: 'SDK, a reason of 2,001 characters',
      send: sendD({ decision: 'reject', reason: 'r'.repeat(2_001) }),
      message: /2000/,
    },
    { name: 'SDK, a comment of 2,001 characters', send: sendD({ comment: 'c'.repeat(2_001) }), message: /2000/ },
    { name: 'SDK, a 1 MB comment', send: sendD({ comment: 'c'.repeat(1 << 20) }), message: /2000/ },
    {
      name: 'SDK, 101 edits',
      send: sendD({ decision: 'approve_with_edits', edits: Array.from({ length: 101 }, (_, i) => `e${i}`) }),
      message: /100/,
    },
    {
      name: 'SDK, an edit of 2,001 characters',
      send: sendD({ decision: 'approve_with_edits', edits: ['e'.repeat(2_001)] }),
      message: /invalid decision/,
    },
    {
      name: 'SDK, a decider not on the approver list',
      send: sendD({ decider: 'mallory' }),
      message: /mallory is not an approver/,
    },
    { name: 'SDK, a forged request id', send: sendD({ requestId: 'req_forged' }), message: /stale or unknown/ },
    {
      name: 'SDK, a 1 MB request id',
      send: sendD({ requestId: 'r'.repeat(1 << 20) }),
      message: /stale or unknown|invalid decision/,
    },
    { name: 'SDK, a digest of something else', send: sendD({ digest: 'f'.repeat(64) }), message: /look again/ },
    {
      name: 'raw gRPC, an own __proto__ key',
      send: () =>
        rawUpdate(h, R().id, 'decide', [
          jsonText(
            `{"requestId":${JSON.stringify(R().requestId)},"decider":"alice","decision":"approve","__proto__":{"auto":true}}`,
          ),
        ]),
      message: /Unrecognized key/,
    },
    {
      name: 'our client, a reject without a reason',
      send: async () => h.sb.decide(R().id, { decider: 'alice', decision: 'reject' }),
      message: /invalid decision/,
    },
    {
      name: 'our client, a 2,001-character comment',
      send: async () => h.sb.decide(R().id, { decider: 'alice', decision: 'approve', comment: 'c'.repeat(2_001) }),
      message: /invalid decision/,
    },
  ];
  const ownerCases = (target: () => GateTarget, approver: string): UpdateCase[] => [
    ...UNDECODABLE.map(([what, p]) => ({
      name: `raw gRPC, ${what}`,
      send: () => rawUpdate(h, target().id, 'decide', [p]),
      message: BAD_DECISION,
    })),
    {
      name: 'CLI, --input-meta encoding=binary/unknown',
      send: () => cliUpdate(target().id, 'decide', ...CLI_UNKNOWN_ENCODING),
      message: BAD_DECISION,
    },
    {
      name: 'SDK, the visitor deciding',
      send: () => decide(target().id, { requestId: target().requestId, decider: 'visitor', decision: 'approve' }),
      message: /not an approver/,
    },
    {
      name: 'SDK, approve_with_edits where only approve/reject are allowed',
      send: () =>
        decide(target().id, {
          requestId: target().requestId,
          decider: approver,
          decision: 'approve_with_edits',
          edits: ['x'],
        }),
      message: /not allowed here/,
    },
    {
      name: 'SDK, a reason of 2,001 characters',
      send: () =>
        decide(target().id, {
          requestId: target().requestId,
          decider: approver,
          decision: 'reject',
          reason: 'r'.repeat(2_001),
        }),
      message: /2000/,
    },
  ];

  it.each(researchCases.map((c) => [c.name, c] as const))('deepResearch: %s', async (_n, c) => {
    await expectRefused(R().id, c, () => gateOf(R().id));
  });
  it.each(ownerCases(() => T.join, 'owner').map((c) => [c.name, c] as const))(
    'joinRequest (owner side): %s',
    async (_n, c) => {
      await expectRefused(T.join.id, c, () => gateOf(T.join.id));
    },
  );
  it.each(ownerCases(() => T.rel, 'owner').map((c) => [c.name, c] as const))(
    'relationshipRequest (owner side): %s',
    async (_n, c) => {
      await expectRefused(T.rel.id, c, () => gateOf(T.rel.id));
    },
  );

  describe.concurrent('a decision with an extra argument is refused, even when the first one is valid', () => {
    const reject = (g: GateTarget) => ({
      requestId: g.requestId,
      decider: 'owner',
      decision: 'reject',
      reason: 'extra argument',
    });
    it('SDK: a valid decision and a second one', async () => {
      const g = T.extraSdk;
      await expectRefused(
        g.id,
        {
          name: 'sdk',
          send: () => sdkUpdate(g.id, 'decide', reject(g), { decider: 'owner', decision: 'approve' }),
          message: /./,
        },
        () => gateOf(g.id),
      );
    });
    it('raw gRPC: a valid decision and an undecodable one', async () => {
      const g = T.extraRaw;
      await expectRefused(
        g.id,
        { name: 'raw', send: () => rawUpdate(h, g.id, 'decide', [json(reject(g)), UNDECODABLE[0]![1]]), message: /./ },
        () => gateOf(g.id),
      );
    });
    it('Temporal CLI: two --input', async () => {
      const g = T.extraCli;
      const args = ['--input', JSON.stringify(reject(g)), '--input', '{}'];
      await expectRefused(g.id, { name: 'cli', send: () => cliUpdate(g.id, 'decide', ...args), message: /./ }, () =>
        gateOf(g.id),
      );
    });
  });

  it('afterwards valid decisions are accepted and act', async () => {
    const [research, join, rel] = await Promise.all([
      h.sb.decide(R().id, { decider: 'alice', decision: 'approve', digest: R().digest }),
      decide(T.join.id, { requestId: T.join.requestId, decider: 'owner', decision: 'reject', reason: 'not today' }),
      decide(T.rel.id, { requestId: T.rel.requestId, decider: 'owner', decision: 'reject', reason: 'not today' }),
    ]);
    expect(research).toMatchObject({ decision: 'approve', decider: 'alice', effect: { ok: true } });
    expect(join).toMatchObject({ decision: 'reject', effect: { ok: true } });
    expect(rel).toMatchObject({ decision: 'reject', effect: { ok: true } });
    expect(await handle(T.join.id).result()).toMatchObject({ status: 'rejected' });
    expect(await handle(T.rel.id).result()).toMatchObject({ status: 'rejected' });
    for (const id of [R().id, T.join.id, T.rel.id]) {
      const events = await historyOf(h, id);
      expect(taskFailures(events)).toEqual([]);
      expect(events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toHaveLength(1);
    }
  });
});

// ---- signals ------------------------------------------------------------------------------------------

/**
 * The bad signals one workflow gets, three ways. Returns how many it sent (each is one
 * `WorkflowExecutionSignaled` event).
 */
async function sendBadSignals(id: string, name: string, valid: unknown): Promise<number> {
  const sends: (() => Promise<unknown>)[] = [
    ...[...UNDECODABLE, ...WRONG_TYPE].map(
      ([, p]) =>
        () =>
          rawSignal(h, id, name, [p]),
    ),
    () => rawSignal(h, id, name, undefined),
    () => rawSignal(h, id, name, [json(valid), UNDECODABLE[0]![1]]),
    () => rawSignal(h, id, name, [jsonText(nestedJson(100_000))]),
    () => handle(id).signal(name),
    () => handle(id).signal(name, valid, valid),
    () => handle(id).signal(name, {}),
    () => handle(id).signal(name, null),
    () => handle(id).signal(name, { workflowId: 5, requestId: 5 }),
    () => handle(id).signal(name, { ...(valid as object), extra: 'x'.repeat(100_000) }),
    () => cliSignal(id, name, ...CLI_UNKNOWN_ENCODING),
    () => cliSignal(id, name, ...CLI_UNKNOWN_PROTO),
    () => cliSignal(id, name, '--input', JSON.stringify(valid), '--input', JSON.stringify(valid)),
  ];
  for (const s of sends) await s();
  return sends.length;
}

/** After the signals: all handled, none failed a workflow task, the gate is still open and undecided. */
async function expectSignalsDropped(g: GateTarget, count: number, name: string): Promise<void> {
  const events = await signalsHandled(h, g.id, count);
  expect(signalNames(events).filter((n) => n === name)).toHaveLength(count);
  expect(taskFailures(events)).toEqual([]);
  expect(await gateOf(g.id)).toMatchObject({ open: true, requestId: g.requestId, decided: [] });
  expect((await handle(g.id).describe()).status.name).toBe('RUNNING');
}

describe('signals with bad payloads are dropped, never a failed workflow task', () => {
  it.concurrent.each([
    ['joinRequest (owner side)', () => T.sigJoin],
    ['relationshipRequest (owner side)', () => T.sigRel],
  ] as const)('mycelWatchOutcome on %s; a decision afterwards still works', async (_n, target) => {
    const g = target();
    let n = await sendBadSignals(g.id, 'mycelWatchOutcome', { workflowId: uniqueId('watcher') });
    // Valid, but hostile: make the approval tell itself, and a workflow that is not a requester.
    for (const workflowId of [g.id, T.bystanderSession.id.replace(/^sec-/, 'sec-none-')]) {
      await handle(g.id).signal('mycelWatchOutcome', { workflowId });
      n += 1;
    }
    await expectSignalsDropped(g, n, 'mycelWatchOutcome');
    expect(
      await decide(g.id, { requestId: g.requestId, decider: 'owner', decision: 'reject', reason: 'after the noise' }),
    ).toMatchObject({
      decision: 'reject',
      effect: { ok: true },
    });
    expect(await handle(g.id).result()).toMatchObject({ status: 'rejected' });
    expect(taskFailures(await historyOf(h, g.id))).toEqual([]);
  });

  it('signals an agentSession has no handler for (update names, outcome signals) leave it working', async () => {
    const s = T.sigSession;
    let n = 0;
    for (const name of ['sendMessage', 'cancel', 'mycelOutcome', 'whatever'])
      n += await sendBadSignals(s.id, name, { text: 'hi' });
    const events = await signalsHandled(h, s.id, n);
    expect(taskFailures(events)).toEqual([]);
    expect(await stateOf(s.id)).toMatchObject({
      status: 'awaiting_input',
      counts: { messagesSent: 0 },
      pendingInput: { requestId: s.requestId },
    });
    expect(await h.sb.answerInput(s.id, s.requestId, 'fine')).toMatchObject({ accepted: true });
    expect((await h.sb.result(s.id)).status).toBe('completed');
    expect(taskFailures(await historyOf(h, s.id))).toEqual([]);
  });
});

/**
 * A `decide` signal (same payload as the update) is being added. Whether or not the worker has a
 * handler for it yet, a bad one must never fail a workflow task or decide anything.
 */
describe('a decide signal with bad payloads decides nothing and fails no workflow task', () => {
  it.concurrent.each([
    ['joinRequest (owner side)', () => T.decJoin, 'owner'],
    ['deepResearch', () => T.decResearch, 'alice'],
  ] as const)('%s', async (_n, target, approver) => {
    const g = target();
    const valid = {
      requestId: g.requestId,
      decider: approver,
      decision: 'reject',
      reason: 'sent as a signal with extras',
    };
    let n = await sendBadSignals(g.id, 'decide', valid);
    // Well-formed, but not from an approver / not the open request / oversized.
    for (const forged of [
      { requestId: g.requestId, decider: 'mallory', decision: 'approve' },
      { requestId: 'req_forged', decider: approver, decision: 'approve' },
      { requestId: g.requestId, decider: 'switchboard:expiry', decision: 'approve' },
      { requestId: g.requestId, decider: approver, decision: 'reject', reason: 'r'.repeat(2_001) },
    ]) {
      await handle(g.id).signal('decide', forged);
      n += 1;
    }
    await expectSignalsDropped(g, n, 'decide');
    // Refused attempts may be audited as such; none counted as a decision or a vote.
    const audit = await handle(g.id).query(auditQuery);
    expect(audit.filter((e) => (e as { outcome?: string }).outcome !== 'refused')).toEqual([]);
    expect(
      await decide(g.id, {
        requestId: g.requestId,
        decider: approver,
        decision: 'reject',
        reason: 'the real decision',
      }),
    ).toMatchObject({
      decision: 'reject',
      decider: approver,
      effect: { ok: true },
    });
    expect(await handle(g.id).result()).toMatchObject({ status: 'rejected' });
    expect(taskFailures(await historyOf(h, g.id))).toEqual([]);
  });
});

// ---- Mycel: a forged outcome -----------------------------------------------------------------------

describe('a forged mycelOutcome signal decides nothing on the visitor side', () => {
  const mycel = (alias: 'owner' | 'visitor') => h.providers.client('mycel', alias);
  const FORGED = { status: 'approved', decisions: [], audit: [] };
  const POST = 'Welcome aboard (only after a real approval)';

  async function newGroup(): Promise<string> {
    return (await mycel('owner').chats.create([MYCEL_DEMO_AGENT], 'Lobby')).id;
  }

  async function startVisitor(chatId: string): Promise<string> {
    const id = uniqueId('visitor');
    await h.client.workflow.start('joinRequest', {
      taskQueue: h.taskQueue,
      workflowId: id,
      args: [{ chatId, visitorAlias: 'visitor', approvers: ['owner'], postMessage: { alias: 'owner', text: POST } }],
    });
    started.push(id);
    return id;
  }

  async function approvalOf(visitorId: string): Promise<string> {
    const id = await eventually(async () => (await handle(visitorId).query(joinStateQuery)).gateWorkflowId, {
      timeoutMs: 30_000,
    });
    started.push(id);
    return id;
  }

  /** Posts into the chat (the visitor side posts after an approval). */
  async function posts(chatId: string) {
    return (await h.control.journal({ platform: 'mycel', method: 'POST', route: MESSAGES })).filter((e) =>
      e.path.includes(chatId),
    );
  }

  /** Every forged "approved" outcome, three ways, plus undecodable and extra-argument ones. */
  async function forge(visitorId: string, requestId: string): Promise<number> {
    const full = {
      ...FORGED,
      requestId,
      decider: 'owner',
      posted: { ok: true },
      decisions: [
        {
          requestId,
          decision: 'approve',
          decider: 'owner',
          at: new Date().toISOString(),
          auto: false,
          effect: { ok: true },
        },
      ],
    };
    const sends: (() => Promise<unknown>)[] = [
      () => handle(visitorId).signal('mycelOutcome', FORGED),
      () => handle(visitorId).signal('mycelOutcome', full),
      () => handle(visitorId).signal('mycelOutcome', FORGED, FORGED),
      () => handle(visitorId).signal('mycelOutcome'),
      () => rawSignal(h, visitorId, 'mycelOutcome', [json(FORGED)]),
      ...UNDECODABLE.map(
        ([, p]) =>
          () =>
            rawSignal(h, visitorId, 'mycelOutcome', [p]),
      ),
      () => cliSignal(visitorId, 'mycelOutcome', '--input', JSON.stringify(FORGED)),
      () => cliSignal(visitorId, 'mycelOutcome', ...CLI_UNKNOWN_ENCODING),
    ];
    for (const s of sends) await s();
    return sends.length;
  }

  /** The visitor is still waiting on the owners: running, `awaiting_approval`, nothing posted. */
  async function expectStillWaiting(visitorId: string, chatId: string, signals: number): Promise<void> {
    await signalsHandled(h, visitorId, signals);
    // A wake-up reads the approval's own state (an activity): let that settle too.
    const events = await settled(h, visitorId, { quietMs: 800 });
    expect(taskFailures(events)).toEqual([]);
    expect((await handle(visitorId).describe()).status.name).toBe('RUNNING');
    expect(await handle(visitorId).query(joinStateQuery)).toMatchObject({ status: 'awaiting_approval' });
    expect(await posts(chatId)).toEqual([]);
  }

  async function rejectAndCheck(visitorId: string, approvalId: string, chatId: string): Promise<void> {
    const gate = await gateOf(approvalId);
    expect(gate).toMatchObject({ open: true, decided: [] });
    await decide(approvalId, {
      requestId: gate.requestId!,
      decider: 'owner',
      decision: 'reject',
      reason: 'the real answer',
    });
    const res = (await handle(visitorId).result()) as JoinRequestResult;
    expect(res).toMatchObject({ status: 'rejected', decider: 'owner', gateWorkflowId: approvalId });
    expect(res.decisions).toEqual([
      expect.objectContaining({ decision: 'reject', decider: 'owner', reason: 'the real answer' }),
    ]);
    expect(res.posted).toBeUndefined();
    expect(await posts(chatId)).toEqual([]);
    expect((await mycel('owner').messages.list(chatId)).map((m) => m.content)).not.toContain(POST);
    expect(taskFailures(await historyOf(h, visitorId))).toEqual([]);
  }

  it("when the owner's inbox started the approval (the visitor waits for a wake-up)", async () => {
    const inboxId = uniqueId('inbox');
    await h.client.workflow.start('mycelInbox', {
      taskQueue: h.taskQueue,
      workflowId: inboxId,
      args: [{ alias: 'owner', approvers: ['owner'], pollMaxMs: 500 }],
    });
    started.push(inboxId);
    try {
      await eventually(async () => ((await handle(inboxId).query(inboxStateQuery)).me ? true : undefined));
      const chatId = await newGroup();
      // The visitor's request is answered 2 s late, so the inbox starts the approval first.
      await h.control.fault({
        platform: 'mycel',
        method: 'POST',
        route: REQUEST_JOIN,
        phase: 'after',
        latencyMs: 2_000,
        times: 1,
      });
      const visitorId = await startVisitor(chatId);
      const approvalId = await approvalOf(visitorId);
      const gate = await openGate(approvalId);
      expect((await handle(approvalId).describe()).parentExecution?.workflowId, 'the inbox won the race').toBe(inboxId);
      // The visitor has asked the approval for its outcome and waits (a timer for its hourly check).
      await eventually(async () => {
        const events = await historyOf(h, visitorId);
        return events.some((e) => e.externalWorkflowExecutionSignaledEventAttributes) &&
          events.some((e) => e.timerStartedEventAttributes)
          ? true
          : undefined;
      });
      const n = await forge(visitorId, gate.requestId);
      await expectStillWaiting(visitorId, chatId, n);
      await rejectAndCheck(visitorId, approvalId, chatId);
    } finally {
      await handle(inboxId)
        .terminate('case over')
        .catch(() => undefined);
    }
  });

  it('when the visitor started the approval itself (it waits for its child)', async () => {
    const chatId = await newGroup();
    const visitorId = await startVisitor(chatId);
    const approvalId = await approvalOf(visitorId);
    const gate = await openGate(approvalId);
    expect((await handle(approvalId).describe()).parentExecution?.workflowId).toBe(visitorId);
    const n = await forge(visitorId, gate.requestId);
    await expectStillWaiting(visitorId, chatId, n);
    await rejectAndCheck(visitorId, approvalId, chatId);
  });
});

// ---- bystanders ----------------------------------------------------------------------------------------

describe('workflows nobody attacked are unaffected', () => {
  it('a session and an approval running beside all of the above still work', async () => {
    const s = T.bystanderSession;
    const g = T.bystanderJoin;
    for (const id of [s.id, g.id]) {
      const events = await historyOf(h, id);
      expect(taskFailures(events)).toEqual([]);
      expect(updateEvents(events)).toEqual([]);
      expect(signalNames(events)).toEqual([]);
    }
    expect(await stateOf(s.id)).toMatchObject({ status: 'awaiting_input', pendingInput: { requestId: s.requestId } });
    expect(await h.sb.answerInput(s.id, s.requestId, 'B')).toMatchObject({ accepted: true });
    expect(
      await decide(g.id, { requestId: g.requestId, decider: 'owner', decision: 'reject', reason: 'no' }),
    ).toMatchObject({ decision: 'reject' });
    expect((await h.sb.result(s.id)).status).toBe('completed');
    expect(await handle(g.id).result()).toMatchObject({ status: 'rejected' });
  });

  it('the worker never failed a workflow task of a workflow this suite started, apart from updateFloor (not registered here)', async () => {
    const failing: string[] = [];
    for (const id of started.filter((x) => !x.startsWith('sec-floor-'))) {
      const f = taskFailures(await historyOf(h, id));
      if (f.length) failing.push(`${id}: ${f.join(' | ')}`);
    }
    expect(failing).toEqual([]);
  });
});
