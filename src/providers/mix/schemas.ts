/**
 * Mix request types, the seed's create checks, and partial zod schemas for every response we read.
 * Wire names are camelCase, except the message-send body (see `./wire.ts`, from mix-python-sdk 0.8.1).
 */
import { z } from 'zod';

/** Browser automation modes (seed: `CreateSessionBrowserMode`). */
export const MIX_BROWSER_MODES = [
  'electron-embedded-browser',
  'local-browser-service',
  'remote-cdp-websocket',
] as const;
export type MixBrowserMode = (typeof MIX_BROWSER_MODES)[number];

/** Custom prompt handling modes (seed: `PromptMode`). */
export const MIX_PROMPT_MODES = ['default', 'append', 'replace'] as const;
export type MixPromptMode = (typeof MIX_PROMPT_MODES)[number];

/** Seed: "50KB (51,200 bytes) for append mode". */
export const APPEND_PROMPT_MAX_BYTES = 51_200;
/** Seed: "100KB (102,400 bytes) for replace mode". */
export const REPLACE_PROMPT_MAX_BYTES = 102_400;

/** Callback kinds. The seed's example uses `send_message`; the others come from the public Mix SDK. */
export const MIX_CALLBACK_TYPES = ['bash_script', 'sub_agent', 'send_message'] as const;
export type MixCallbackType = (typeof MIX_CALLBACK_TYPES)[number];

/** A session-level callback that runs after tool completion (seed: `models.Callback`). */
export interface MixCallback {
  /** Tool to attach to, `*` for all tools. */
  toolName: string;
  type: MixCallbackType;
  /** Human-readable name. */
  name?: string;
  /** `send_message`: text injected as a user message. */
  messageContent?: string;
  /** `bash_script`: command to run. */
  bashCommand?: string;
  /** `bash_script`: timeout in ms. */
  bashTimeout?: number;
  /** `sub_agent`: prompt for the spawned sub-agent. */
  subAgentPrompt?: string;
  subAgentType?: string;
  excludeFromContext?: boolean;
  includeFullHistory?: boolean;
}

/** Arguments of {@link MixClient.create} (seed: `sessions.create`). */
export interface CreateSessionParams {
  /** Required, non-blank (`missing_title`). */
  title: string;
  /** Required by the seed. */
  browserMode: MixBrowserMode;
  /** Required for `remote-cdp-websocket`; must start with ws:// or wss://. */
  cdpUrl?: string;
  /** ≤ 51,200 bytes in append mode, ≤ 102,400 in replace mode, dropped in default mode. */
  customSystemPrompt?: string;
  /** @default 'default' (on the platform) */
  promptMode?: MixPromptMode;
  /** Only `main` can be created through the API (`invalid_session_type`). */
  sessionType?: 'main';
  /** Must not be set (`subagent_type_not_allowed`); an empty string counts as unset, as in the seed's examples. */
  subagentType?: string;
  callbacks?: MixCallback[];
}

/** A create check that failed, named like the seed's error examples. */
export interface MixCheckFailure {
  code: string;
  field: string;
  detail: string;
}

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

const CALLBACK_KEYS: Record<string, keyof MixCallback> = {
  tool_name: 'toolName',
  message_content: 'messageContent',
  bash_command: 'bashCommand',
  bash_timeout: 'bashTimeout',
  sub_agent_prompt: 'subAgentPrompt',
  sub_agent_type: 'subAgentType',
  exclude_from_context: 'excludeFromContext',
  include_full_history: 'includeFullHistory',
};

/**
 * Accepts a callback written either the seed's way (Python `tool_name`, `message_content`) or the
 * wire's way (`toolName`, `messageContent`) and returns the wire form. People copy callbacks out of
 * the seed, so both spellings are welcome in workflow input.
 */
export function normalizeCallback(raw: Record<string, unknown>): MixCallback {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) out[CALLBACK_KEYS[k] ?? k] = v;
  return out as unknown as MixCallback;
}

/** Checks one callback; the per-type required fields follow the public Mix SDK. */
export function checkCallback(cb: MixCallback, index: number): MixCheckFailure | undefined {
  const fail = (detail: string): MixCheckFailure => ({
    code: 'invalid_callback',
    field: `callbacks[${index}]`,
    detail,
  });
  if (cb === null || typeof cb !== 'object') return fail('callback must be an object');
  if (typeof cb.toolName !== 'string' || cb.toolName.trim() === '') return fail('toolName is required');
  if (!(MIX_CALLBACK_TYPES as readonly string[]).includes(cb.type))
    return fail(`type must be one of ${MIX_CALLBACK_TYPES.join(', ')}`);
  if (cb.type === 'send_message' && !cb.messageContent) return fail('messageContent is required for send_message');
  if (cb.type === 'send_message' && cb.excludeFromContext)
    return fail('excludeFromContext is not allowed for send_message');
  if (cb.type === 'bash_script' && !cb.bashCommand) return fail('bashCommand is required for bash_script');
  if (cb.type === 'sub_agent' && !cb.subAgentPrompt) return fail('subAgentPrompt is required for sub_agent');
  return undefined;
}

/**
 * The seed's create checks, run client-side so bad input never leaves the process. Returns the
 * first failure, named like the seed's error examples (`missing_title`, `invalid_prompt_mode`,
 * `invalid_session_type`, `prompt_size_exceeded_append`, `prompt_size_exceeded_replace`,
 * `subagent_type_not_allowed`); `invalid_browser_mode`, `missing_cdp_url`, `invalid_cdp_url` and
 * `invalid_callback` are our names for checks the seed states without an example.
 */
export function checkCreateSession(p: CreateSessionParams): MixCheckFailure | undefined {
  if (typeof p.title !== 'string' || p.title.trim() === '')
    return { code: 'missing_title', field: 'title', detail: 'title is required' };
  if (!(MIX_BROWSER_MODES as readonly string[]).includes(p.browserMode))
    return {
      code: 'invalid_browser_mode',
      field: 'browserMode',
      detail: `browserMode must be one of ${MIX_BROWSER_MODES.join(', ')}`,
    };
  if (p.browserMode === 'remote-cdp-websocket' && !p.cdpUrl)
    return {
      code: 'missing_cdp_url',
      field: 'cdpUrl',
      detail: 'cdpUrl is required when browserMode is remote-cdp-websocket',
    };
  if (p.cdpUrl !== undefined && !/^wss?:\/\//.test(p.cdpUrl))
    return { code: 'invalid_cdp_url', field: 'cdpUrl', detail: "cdpUrl must start with 'ws://' or 'wss://'" };
  if (p.promptMode !== undefined && !(MIX_PROMPT_MODES as readonly string[]).includes(p.promptMode))
    return {
      code: 'invalid_prompt_mode',
      field: 'promptMode',
      detail: `promptMode must be one of ${MIX_PROMPT_MODES.join(', ')}`,
    };
  if (p.customSystemPrompt !== undefined && p.promptMode !== undefined && p.promptMode !== 'default') {
    const size = byteLength(p.customSystemPrompt);
    const max = p.promptMode === 'append' ? APPEND_PROMPT_MAX_BYTES : REPLACE_PROMPT_MAX_BYTES;
    if (size > max)
      return {
        code: `prompt_size_exceeded_${p.promptMode}`,
        field: 'customSystemPrompt',
        detail: `customSystemPrompt is ${size} bytes; ${p.promptMode} mode allows ${max}`,
      };
  }
  if (p.sessionType !== undefined && p.sessionType !== 'main')
    return {
      code: 'invalid_session_type',
      field: 'sessionType',
      detail: "only 'main' sessions can be created through the API",
    };
  if (p.subagentType !== undefined && p.subagentType !== '')
    return {
      code: 'subagent_type_not_allowed',
      field: 'subagentType',
      detail: 'subagentType must not be set for API-created sessions',
    };
  for (const [i, cb] of (p.callbacks ?? []).entries()) {
    const bad = checkCallback(cb, i);
    if (bad) return bad;
  }
  return undefined;
}

/**
 * The JSON body actually sent: unset fields omitted, the prompt dropped in default mode (the
 * platform ignores it there, so 100 KB need not travel), an empty `subagentType` omitted.
 */
export function createSessionBody(p: CreateSessionParams): Record<string, unknown> {
  const mode = p.promptMode ?? 'default';
  const body: Record<string, unknown> = { title: p.title, browserMode: p.browserMode };
  if (p.cdpUrl !== undefined) body.cdpUrl = p.cdpUrl;
  if (p.promptMode !== undefined) body.promptMode = p.promptMode;
  if (mode !== 'default' && p.customSystemPrompt !== undefined) body.customSystemPrompt = p.customSystemPrompt;
  if (p.sessionType !== undefined) body.sessionType = p.sessionType;
  if (p.callbacks !== undefined) body.callbacks = p.callbacks;
  return body;
}

// ---------------------------------------------------------------- responses (partial, tolerant)

export const mixCallbackSchema = z
  .object({
    toolName: z.string().nullish(),
    type: z.string().nullish(),
    name: z.string().nullish(),
    messageContent: z.string().nullish(),
    bashCommand: z.string().nullish(),
    subAgentPrompt: z.string().nullish(),
  })
  .passthrough();

/** SDK `models.SessionData` (mix-python-sdk 0.8.1 models/sessiondata.py): the fields we read. */
export const sessionDataSchema = z.object({
  id: z.string(),
  title: z.string().nullish(),
  createdAt: z.string().nullish(),
  userMessageCount: z.number().nullish(),
  assistantMessageCount: z.number().nullish(),
  toolCallCount: z.number().nullish(),
  cost: z.number().nullish(),
  firstUserMessage: z.string().nullish(),
  sessionType: z.string().nullish(),
  /** Optional in the SDK's SessionData; update_session_callbacks' answer shows what is stored. */
  callbacks: z.array(mixCallbackSchema).nullish(),
});
export type MixSession = z.output<typeof sessionDataSchema>;

export const sessionListSchema = z.array(sessionDataSchema);

export const exportToolCallSchema = z
  .object({
    id: z.string().nullish(),
    name: z.string().nullish(),
    input: z.unknown().optional(),
    result: z.unknown().optional(),
  })
  .passthrough();

export const exportMessageSchema = z
  .object({
    id: z.string(),
    /** user | assistant | tool (public SDK). */
    role: z.string(),
    content: z.string().nullish(),
    createdAt: z.string().nullish(),
    finishReason: z.string().nullish(),
    reasoning: z.string().nullish(),
    toolCalls: z.array(exportToolCallSchema).nullish(),
  })
  .passthrough();
export type MixExportMessage = z.output<typeof exportMessageSchema>;

/**
 * Seed: `models.ExportSessionResponse`. Passthrough on purpose: the export is stored verbatim as the
 * session's transcript artifact, so fields we do not read must survive.
 */
export const exportSessionSchema = z
  .object({
    id: z.string(),
    title: z.string().nullish(),
    messages: z.array(exportMessageSchema),
  })
  .passthrough();
export type MixExport = z.output<typeof exportSessionSchema>;

/** SDK `SendMessageResponse` (202): `{sessionId, status}`. */
export const sendMessageResponseSchema = z
  .object({ sessionId: z.string().nullish(), status: z.string().nullish() })
  .passthrough();

/** SDK `BackendMessage` (list of a session's messages): the fields the re-send lookup reads. */
export const backendMessageSchema = z
  .object({
    id: z.string(),
    role: z.string(),
    userInput: z.string().nullish(),
    assistantResponse: z.string().nullish(),
  })
  .passthrough();
export const backendMessageListSchema = z.array(backendMessageSchema);
export type MixBackendMessage = z.output<typeof backendMessageSchema>;

/** The send-message body (snake_case on the wire, SDK `SendMessageRequest`). */
export interface SendMessageParams {
  text: string;
  maxSteps?: number;
  planMode?: boolean;
  thinkingLevel?: 'off' | 'basic' | 'medium' | 'maximum';
}

/** Seed: `models.CancelSessionProcessingResponse`. */
export const cancelProcessingSchema = z.object({ cancelled: z.boolean().nullish() }).passthrough();
export type MixCancelResult = z.output<typeof cancelProcessingSchema>;

/** SDK `GrantPermissionResponse` (200). */
export const grantPermissionSchema = z.object({ granted: z.boolean().nullish() }).passthrough();
/** SDK `DenyPermissionResponse` (200). */
export const denyPermissionSchema = z.object({ denied: z.boolean().nullish() }).passthrough();

/** SDK `RespondToNotificationRequestBody.type` (and `SSENotificationEventData.responseType`). */
export const MIX_RESPONSE_TYPES = ['acknowledge', 'text', 'choice'] as const;
export type MixResponseType = (typeof MIX_RESPONSE_TYPES)[number];

/** SDK `SSEPermissionEventData` (mix-python-sdk 0.8.1 models/sseeventstream.py): a tool asks to run. */
export const permissionEventSchema = z
  .object({
    id: z.string(),
    sessionId: z.string().nullish(),
    /** A core tool (`Bash`, `Write`, …) or an MCP tool `{serverName}_{toolName}`. */
    toolName: z.string(),
    action: z.string().nullish(),
    description: z.string().nullish(),
    params: z.record(z.unknown()).nullish(),
    path: z.string().nullish(),
    parentToolCallId: z.string().nullish(),
  })
  .passthrough();
export type MixPermissionEvent = z.output<typeof permissionEventSchema>;

/** SDK `SSENotificationEventData`: a notification; `question`s wait for a response. */
export const notificationEventSchema = z
  .object({
    id: z.string(),
    sessionId: z.string().nullish(),
    title: z.string().nullish(),
    message: z.string().nullish(),
    notificationType: z.string(),
    responseType: z.enum(MIX_RESPONSE_TYPES).catch('text'),
    /** Required when responseType is `choice`. */
    choices: z.array(z.string()).nullish(),
    /** Seconds the platform waits for the response. */
    timeout: z.number().nullish(),
    /** Unix timestamp (seconds) of the notification. */
    createdAt: z.number().nullish(),
    parentToolCallId: z.string().nullish(),
  })
  .passthrough();
export type MixNotificationEvent = z.output<typeof notificationEventSchema>;
