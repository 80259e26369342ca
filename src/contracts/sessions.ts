/**
 * Types and zod schemas shared by the `agentSession` workflow, its activities and its clients.
 * Workflow-safe: zod only.
 */
import { z } from 'zod';
import { archAstroOptions } from './session-options/archastro.js';
import { mixCallback, mixOptions } from './session-options/mix.js';
import { webAgentOptions } from './session-options/webagent.js';
import { wyseMateOptions } from './session-options/wysemate.js';
import { credentialAlias } from './aliases.js';
import { jsonBytes } from './limits.js';
import { lazy } from './lazy.js';
import { platformGatesInput } from './platformGates.js';

export const SESSION_PLATFORMS = ['webagent', 'archastro', 'wysemate', 'mix'] as const;
export type SessionPlatform = (typeof SESSION_PLATFORMS)[number];

export const SESSION_STATUSES = ['starting', 'running', 'awaiting_input', 'completed', 'failed', 'cancelled'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];
export const TERMINAL_STATUSES: readonly SessionStatus[] = ['completed', 'failed', 'cancelled'];

const alias = credentialAlias('credentialAlias must be 1-63 letters, digits, - or _ (an alias, never a key)').default(
  'default',
);

const common = {
  credentialAlias: alias,
  /** What the agent should do (instructions / task text). */
  task: z.string().trim().min(1, 'task must not be empty').max(100_000),
  /** Shown as the workflow's summary in the Web UI. Defaults to the start of the task. */
  title: z.string().trim().min(1).max(200).optional(),
  /** Delete the session on the platform after clean-up. @default false */
  deleteOnEnd: z.boolean().default(false),
  /**
   * Seconds to stay open after the task ends so a `followUp` can start the next task in the same
   * session (Web Agent). 0 ends the workflow as soon as the task ends. @default 0
   */
  followUpWindowSeconds: z
    .number()
    .int()
    .min(0)
    .max(30 * 86_400)
    .default(0),
  /**
   * How much one follow batch may read before it reports back (tuning: bigger batches, fewer
   * history events; smaller, fresher state). @default 1000 events / 60 s
   */
  followBatch: z
    .object({
      maxEvents: z.number().int().min(1).max(10_000).optional(),
      maxSeconds: z.number().int().min(1).max(240).optional(),
    })
    .strict()
    .optional(),
};

/** Input of the `agentSession` workflow, one shape per platform. */
export const agentSessionInput = lazy(() =>
  z.discriminatedUnion('platform', [
    z.object({ platform: z.literal('webagent'), ...common, webagent: webAgentOptions().default({}) }).strict(),
    z.object({ platform: z.literal('archastro'), ...common, archastro: archAstroOptions() }).strict(),
    z.object({ platform: z.literal('wysemate'), ...common, wysemate: wyseMateOptions() }).strict(),
    z
      .object({
        platform: z.literal('mix'),
        ...common,
        mix: mixOptions().default({}),
        /**
         * Mix's own permission requests and questions become approval gates (approvers, deadline,
         * expiry policy, audit, inbox). Absent: they are input requests answered with `answerInput`.
         */
        platformGates: platformGatesInput().optional(),
      })
      .strict(),
  ]),
);

export type AgentSessionInputRaw = z.input<ReturnType<typeof agentSessionInput>>;
export type AgentSessionInput = z.output<ReturnType<typeof agentSessionInput>>;

/** Identifies a session on its platform. Carries ids only, never secrets. */
export interface SessionRef {
  platform: SessionPlatform;
  alias: string;
  sessionId: string;
  /** Web Agent: the current task. */
  taskId?: string;
  /** Platform-specific ids the adapter needs later (e.g. a Wyse Mate team id). */
  extra?: Record<string, string>;
}

export interface PendingInput {
  requestId: string;
  prompt: string;
  since: string;
  /** What the platform attached to the request (e.g. a research outline). */
  data?: unknown;
  /** sha256 of `data` (or the prompt): the digest of what a person is shown. */
  digest?: string;
}

export interface TranscriptEntry {
  /** Platform id of the event/message, unique within the session. */
  id: string;
  role: 'agent' | 'user' | 'system';
  kind: string;
  text: string;
  at?: string;
}

// ---- update payloads (validated in the update validators and again in the client) ----

export const sendMessageArgs = lazy(() =>
  z.object({ text: z.string().trim().min(1, 'text must not be empty').max(50_000) }).strict(),
);
/** Largest answer to an input request, as JSON (it goes into history and to the platform). */
export const MAX_ANSWER_BYTES = 64 * 1024;
export const answerInputArgs = lazy(() =>
  z
    .object({
      requestId: z.string().min(1, 'requestId is required').max(200),
      response: z
        .unknown()
        .refine((v) => v !== undefined, 'response is required')
        .refine((v) => jsonBytes(v) <= MAX_ANSWER_BYTES, `response must be at most ${MAX_ANSWER_BYTES} bytes as JSON`),
    })
    .strict(),
);

export const followUpArgs = lazy(() =>
  z.object({ task: z.string().trim().min(1, 'task must not be empty').max(100_000) }).strict(),
);
export const renameArgs = lazy(() =>
  z.object({ name: z.string().trim().min(1, 'name must not be empty').max(200) }).strict(),
);
/** Only Mix has callbacks, so its callback schema is the payload schema (an empty list clears them). */
export const setCallbacksArgs = lazy(() => z.object({ callbacks: z.array(mixCallback()).max(50) }).strict());
export const rewindArgs = lazy(() =>
  z
    .object({ messageId: z.string().min(1, 'messageId is required').max(200), cleanMedia: z.boolean().default(false) })
    .strict(),
);
export const cancelArgs = lazy(() => z.object({ reason: z.string().max(500).optional() }).strict());

export type SendMessageArgs = z.input<ReturnType<typeof sendMessageArgs>>;
export type AnswerInputArgs = z.input<ReturnType<typeof answerInputArgs>>;
export type FollowUpArgs = z.input<ReturnType<typeof followUpArgs>>;
export type RenameArgs = z.input<ReturnType<typeof renameArgs>>;
export type SetCallbacksArgs = z.input<ReturnType<typeof setCallbacksArgs>>;
export type RewindArgs = z.input<ReturnType<typeof rewindArgs>>;
export type CancelArgs = z.input<ReturnType<typeof cancelArgs>>;

/** Which steering operations each platform has; the rest are rejected by the validator. */
export const SUPPORTED_OPERATIONS: Record<SessionPlatform, readonly string[]> = {
  webagent: ['sendMessage', 'answerInput', 'followUp', 'cancel'],
  archastro: ['sendMessage', 'cancel'],
  wysemate: ['rename', 'cancel'],
  mix: ['sendMessage', 'answerInput', 'setCallbacks', 'rewind', 'cancel'],
};

/**
 * Platforms where a plain message answers a waiting agent (ArchAstro: an inbox message resumes a
 * `waiting` session), so `sendMessage` clears the pending input like `answerInput` does.
 */
export const MESSAGE_RESUMES_WAITING: Record<SessionPlatform, boolean> = {
  webagent: false,
  archastro: true,
  wysemate: false,
  mix: false,
};

/** The continue-as-new carry of `agentSession` (`CarriedSession` in workflow.ts), checked on arrival. */
export const carriedSession = lazy(() => {
  const id = z.string().min(1).max(1_000);
  const entry = z.object({
    id: z.string(),
    role: z.enum(['agent', 'user', 'system']),
    kind: z.string(),
    text: z.string(),
    at: z.string().optional(),
  });
  const count = z.number().int().min(0);
  return z.object({
    ref: z
      .object({
        platform: z.enum(SESSION_PLATFORMS),
        alias: credentialAlias(),
        sessionId: id,
        taskId: id.optional(),
        extra: z.record(z.string()).optional(),
      })
      .optional(),
    cursor: z.string().max(10_000).optional(),
    status: z.enum(SESSION_STATUSES),
    platformStatus: z.string().max(200),
    pendingInput: z
      .object({
        requestId: id,
        prompt: z.string(),
        since: z.string(),
        data: z.unknown().optional(),
        digest: z.string().optional(),
      })
      .optional(),
    counts: z.object({
      platformEvents: count,
      transcriptEntries: count,
      messagesSent: count,
      followUps: count,
      tasks: count,
    }),
    tail: z.array(entry).max(1_000),
    opSeq: count,
    artifacts: z
      .array(z.object({ name: z.string(), uri: z.string(), bytes: count.optional(), sha256: z.string().optional() }))
      .max(100),
    title: z.string().max(1_000),
    owner: z
      .union([z.string().max(2_000), z.object({ workflowId: z.string().max(2_000), chain: z.string().max(200) })])
      .optional(),
    /** Decisions and audit of the session's platform gates (bounded by the workflow). */
    gate: z.object({ decided: z.array(z.any()).max(200), audit: z.array(z.any()).max(400) }).optional(),
  });
});

/** What the `state` query returns. */
export interface AgentSessionState {
  status: SessionStatus;
  platformStatus: string;
  platform: SessionPlatform;
  ref?: SessionRef;
  pendingInput?: PendingInput;
  counts: { platformEvents: number; transcriptEntries: number; messagesSent: number; followUps: number; tasks: number };
  title: string;
  result?: string;
  error?: string;
  artifacts: ArtifactRef[];
  cleanupDone: boolean;
}

/** Whose artifacts: a workflow id and its run chain (a bare id: chains from before that layout). */
export type ArtifactOwner = string | { workflowId: string; chain: string };

/** A pointer into the artifact store. */
export interface ArtifactRef {
  name: string;
  uri: string;
  bytes?: number;
  sha256?: string;
}

export interface AgentSessionResult {
  status: SessionStatus;
  platformStatus: string;
  ref?: SessionRef;
  result?: string;
  error?: string;
  transcriptTail: TranscriptEntry[];
  artifacts: ArtifactRef[];
  counts: AgentSessionState['counts'];
}
