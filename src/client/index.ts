/**
 * The typed Switchboard client library. `SwitchboardClient` connects once and holds one small
 * sub-client per area — `sessions`, `research`, `gates`, `monitors`, `scheduledMonitors`, `mycel`,
 * `outbox` — each in its own file, all starting workflows through the one `startWorkflow` and
 * validating every input with the same zod schemas the workflows' validators use, so bad input
 * fails before a workflow starts or an update is sent. The CLI and the gateway use the sub-clients.
 */
import { clientInterceptors, setupTracing } from '../telemetry/tracing.js';
import { Client, type Connection, type WorkflowExecutionDescription } from '@temporalio/client';
import type {
  AgentSessionInputRaw,
  AgentSessionResult,
  AgentSessionState,
  TranscriptEntry,
} from '../contracts/sessions.js';
import type { AuditEntry, DecisionInput, GateOutcome, GateView } from '../contracts/gates.js';
import { parseEnv } from '../config.js';
import { connectClient, temporalTarget } from '../worker/connect.js';
import type { UpdateOutcome } from '../workflows/agentSession/definitions.js';
import type { DeepResearchInput, DeepResearchState } from '../workflows/deepResearch.js';
import type { MycelInboxInput } from '../workflows/mycel/types.js';
import { type DecideOptions, GateClient, type InboxItem } from './gates.js';
import { MonitorClient } from './monitors.js';
import { MycelClient } from './mycel.js';
import { OutboxClient } from './outbox.js';
import { ResearchClient } from './research.js';
import { ScheduledMonitorClient } from './scheduledMonitors.js';
import { SessionClient, type SessionSummary, type StartIdOptions } from './sessions.js';
import { listWorkflowsOfType, type WorkflowRow } from './shared.js';

export * from './shared.js';
export * from './sessions.js';
export * from './research.js';
export * from './gates.js';
export * from './monitors.js';
export * from './scheduledMonitors.js';
export * from './mycel.js';
export * from './outbox.js';

/** How a {@link SwitchboardClient} reaches Temporal. */
export interface SwitchboardClientOptions {
  connection: Connection;
  namespace?: string;
  /** @default 'switchboard' */
  taskQueue?: string;
}

/** The entry point of the client library: one Temporal client, one sub-client per area. */
export class SwitchboardClient {
  readonly temporal: Client;
  readonly taskQueue: string;
  /** Agent sessions. */
  readonly sessions: SessionClient;
  /** Deep research runs. */
  readonly research: ResearchClient;
  /** Approval gates of every workflow, and the inbox. */
  readonly gates: GateClient;
  /** Web Agent Track monitors. */
  readonly monitors: MonitorClient;
  /** Cron-scheduled monitors (Switchboard owns the schedule). */
  readonly scheduledMonitors: ScheduledMonitorClient;
  /** Mycel inboxes and request workflows. */
  readonly mycel: MycelClient;
  /** The webhook outbox. */
  readonly outbox: OutboxClient;

  constructor(opts: SwitchboardClientOptions) {
    // With tracing on (setupTracing), every start, signal, update and query opens a span the workflow continues.
    this.temporal = new Client({
      connection: opts.connection,
      namespace: opts.namespace ?? 'default',
      interceptors: clientInterceptors(),
    });
    this.taskQueue = opts.taskQueue ?? 'switchboard';
    this.sessions = new SessionClient(this.temporal, this.taskQueue);
    this.research = new ResearchClient(this.temporal, this.taskQueue);
    this.gates = new GateClient(this.temporal, this.taskQueue);
    this.monitors = new MonitorClient(this.temporal, this.taskQueue);
    this.scheduledMonitors = new ScheduledMonitorClient(this.temporal, this.taskQueue);
    this.mycel = new MycelClient(this.temporal, this.taskQueue);
    this.outbox = new OutboxClient(this.temporal, this.taskQueue);
  }

  /** Connects from the environment (TEMPORAL_ADDRESS etc., else the embedded dev server). */
  static async fromEnv(raw: NodeJS.ProcessEnv = process.env): Promise<SwitchboardClient> {
    const env = parseEnv(raw);
    await setupTracing({ endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: 'switchboard-client' });
    const target = temporalTarget(env);
    const connection = await connectClient(target);
    return new SwitchboardClient({ connection, namespace: target.namespace, taskQueue: env.SWITCHBOARD_TASK_QUEUE });
  }

  /** Closes the Temporal connection. */
  async close(): Promise<void> {
    await this.temporal.connection.close();
  }

  /** Any Switchboard workflow as Temporal describes it (type, status, run chain); Temporal's errors as they are. */
  describe(workflowId: string): Promise<WorkflowExecutionDescription> {
    return this.temporal.workflow.getHandle(workflowId).describe();
  }

  /**
   * Asks Temporal to cancel any workflow (for types without a cancel update of their own); Temporal's errors as they
   * are.
   */
  async requestCancel(workflowId: string): Promise<void> {
    await this.temporal.workflow.getHandle(workflowId).cancel();
  }

  /** Workflows of one type, newest first. */
  listWorkflows(type: string, opts: { limit?: number } = {}): Promise<WorkflowRow[]> {
    return listWorkflowsOfType(this.temporal, type, opts);
  }

  // ---- Compatibility surface: the methods of the one-class client, each one line over a
  // sub-client, so tests, benchmarks and scripts written against it keep working. New code (the
  // CLI, the gateway) calls the sub-clients. ----

  /** {@link SessionClient.start} */
  startSession(input: AgentSessionInputRaw, opts: StartIdOptions = {}): Promise<{ workflowId: string; runId: string }> {
    return this.sessions.start(input, opts);
  }
  /** {@link SessionClient.sendMessage} */
  sendMessage(workflowId: string, text: string): Promise<UpdateOutcome> {
    return this.sessions.sendMessage(workflowId, text);
  }
  /** {@link SessionClient.answerInput} */
  answerInput(workflowId: string, requestId: string, response: unknown): Promise<UpdateOutcome> {
    return this.sessions.answerInput(workflowId, requestId, response);
  }
  /** {@link SessionClient.followUp} */
  followUp(workflowId: string, task: string): Promise<UpdateOutcome> {
    return this.sessions.followUp(workflowId, task);
  }
  /** {@link SessionClient.rename} */
  rename(workflowId: string, name: string): Promise<UpdateOutcome> {
    return this.sessions.rename(workflowId, name);
  }
  /** {@link SessionClient.setCallbacks} */
  setCallbacks(workflowId: string, callbacks: Record<string, unknown>[]): Promise<UpdateOutcome> {
    return this.sessions.setCallbacks(workflowId, callbacks);
  }
  /** {@link SessionClient.rewind} */
  rewind(workflowId: string, messageId: string, cleanMedia = false): Promise<UpdateOutcome> {
    return this.sessions.rewind(workflowId, messageId, cleanMedia);
  }
  /** {@link SessionClient.cancel} */
  cancel(workflowId: string, reason?: string): Promise<UpdateOutcome> {
    return this.sessions.cancel(workflowId, reason);
  }
  /** {@link SessionClient.state} */
  state(workflowId: string): Promise<AgentSessionState> {
    return this.sessions.state(workflowId);
  }
  /** {@link SessionClient.transcriptTail} */
  transcriptTail(workflowId: string, n = 20): Promise<TranscriptEntry[]> {
    return this.sessions.transcriptTail(workflowId, n);
  }
  /** {@link SessionClient.result} */
  result(workflowId: string): Promise<AgentSessionResult> {
    return this.sessions.result(workflowId);
  }
  /** {@link SessionClient.follow} */
  follow(
    workflowId: string,
    onEntry: (e: TranscriptEntry) => void,
    opts: { intervalMs?: number } = {},
  ): Promise<AgentSessionState> {
    return this.sessions.follow(workflowId, onEntry, opts);
  }
  /** {@link SessionClient.list} */
  listSessions(
    filter: { provider?: string; status?: string; awaiting?: boolean; limit?: number } = {},
  ): Promise<SessionSummary[]> {
    return this.sessions.list(filter);
  }
  /** {@link ResearchClient.start} */
  startResearch(input: DeepResearchInput, opts: StartIdOptions = {}): Promise<{ workflowId: string; runId: string }> {
    return this.research.start(input, opts);
  }
  /** {@link ResearchClient.state} */
  researchState(workflowId: string): Promise<DeepResearchState> {
    return this.research.state(workflowId);
  }
  /** {@link GateClient.show} */
  gate(workflowId: string): Promise<GateView> {
    return this.gates.show(workflowId);
  }
  /** {@link GateClient.audit} */
  audit(workflowId: string): Promise<AuditEntry[]> {
    return this.gates.audit(workflowId);
  }
  /** {@link GateClient.decide} */
  decide(
    workflowId: string,
    d: Omit<DecisionInput, 'requestId'> & { requestId?: string },
    opts: DecideOptions = {},
  ): Promise<GateOutcome> {
    return this.gates.decide(workflowId, d, opts);
  }
  /** {@link GateClient.inbox} */
  inbox(opts: { limit?: number } = {}): Promise<InboxItem[]> {
    return this.gates.inbox(opts);
  }
  /** {@link MycelClient.startInbox} */
  startMycelInbox(input: MycelInboxInput): Promise<{ workflowId: string; runId: string }> {
    return this.mycel.startInbox(input);
  }
}
