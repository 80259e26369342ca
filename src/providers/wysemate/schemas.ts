/**
 * Partial, tolerant zod schemas for Wyse Mate responses: only the fields Switchboard uses plus a
 * few obvious ones, `.nullish()` wherever the platform may leave a field out. Field names follow
 * the seed's pydantic models (`APIKey`, `TeamInfo`, `AgentInfo`, `SessionInfo`, `MessageResponse`,
 * `BrowserInfo`, `BrowserPageInfo`, `PaginatedResponse`, …).
 */
import { z } from 'zod';

/** Ids the platform may send as numbers (the seed types `APIKey.id` as int) become strings. */
const id = z.union([z.string(), z.number()]).transform(String);
const optStr = z.string().nullish();
const optNum = z.number().nullish();
/** A list that may be missing or null: always an array afterwards. */
const list = <T extends z.ZodTypeAny>(item: T) =>
  z
    .array(item)
    .nullish()
    .transform((v): z.output<T>[] => v ?? []);

/**
 * The `{code, msg, data}` wrapper around every answer (see routes.ts). Parsed loosely: the client
 * unwraps it and validates `data` with the operation's own schema.
 */
export const envelopeSchema = z
  .object({
    code: z.union([z.number(), z.string()]).nullish(),
    msg: optStr,
    data: z.unknown(),
  })
  .passthrough();

/** Seed `PaginatedResponse[T]`. */
export const paginated = <T extends z.ZodTypeAny>(item: T) =>
  z.object({
    page_num: optNum,
    page_size: optNum,
    total: optNum,
    total_page: optNum,
    data: list(item),
  });

export interface Paginated<T> {
  page_num?: number | null;
  page_size?: number | null;
  total?: number | null;
  total_page?: number | null;
  data: T[];
}

/** Seed `APIKey`. */
export const apiKeySchema = z.object({
  id,
  name: z.string(),
  api_key: optStr,
  created_at: optStr,
  last_used_at: optStr,
});
export type ApiKey = z.output<typeof apiKeySchema>;

/** Seed `ModelInfo` (partial). */
export const modelInfoSchema = z.object({
  system_model_id: optStr,
  provider: optStr,
  model_type: optStr,
});

/** Seed `AgentInfo` (partial). */
export const agentInfoSchema = z.object({
  agent_id: id,
  name: z.string(),
  description: optStr,
  agent_type: optStr,
  component_type: optStr,
  user_id: optStr,
  model: modelInfoSchema.nullish(),
  created_at: optStr,
  updated_at: optStr,
});
export type AgentInfo = z.output<typeof agentInfoSchema>;

/** Seed `TeamInfo` (partial). */
export const teamInfoSchema = z.object({
  team_id: id,
  name: z.string(),
  description: optStr,
  team_type: optStr,
  component_type: optStr,
  user_id: optStr,
  agents: list(agentInfoSchema),
  termination: optStr,
  model: modelInfoSchema.nullish(),
  created_at: optStr,
  updated_at: optStr,
  deleted_at: z.union([z.number(), z.string()]).nullish(),
});
export type TeamInfo = z.output<typeof teamInfoSchema>;

/** Seed `CreateSessionResponse`. */
export const createSessionResponseSchema = z.object({ session_id: id });
export type CreateSessionResponse = z.output<typeof createSessionResponseSchema>;

/** Seed `UserTaskMessage`. */
export const userTaskMessageSchema = z.object({
  role: z.string(),
  content: z.string(),
  metadata: z.record(z.unknown()).nullish(),
});

/** Seed `MessageResponse` (partial: `message`, the raw payload, is kept opaque). */
export const messageSchema = z.object({
  message_id: id,
  source: z.string(),
  source_type: optStr,
  source_component: optStr,
  content: z
    .string()
    .nullish()
    .transform((v) => v ?? ''),
  message: z.unknown().optional(),
  type: optStr,
  created_at: optStr,
  attachments: list(z.unknown()),
  session_round: optNum,
});
export type MessageResponse = z.output<typeof messageSchema>;

/**
 * Seed `SessionInfo` (partial). `messages` is deliberately not parsed: followers page them
 * through `get_messages` instead, so a long session does not make every status poll huge.
 */
export const sessionInfoSchema = z.object({
  session_id: id,
  status: z.string(),
  browser_id: optStr,
  team_id: optStr,
  intent_id: optStr,
  name: optStr,
  task: list(userTaskMessageSchema),
  task_result: z.record(z.unknown()).nullish(),
  duration: optNum,
  error_message: optStr,
  platform: optStr,
  visibility: optStr,
  created_at: optStr,
  updated_at: optStr,
});
export type SessionInfo = z.output<typeof sessionInfoSchema>;

/** Wire shape of `get_messages`: a `PaginatedResponse[MessageResponse]` inside the envelope. */
export const messagesPageSchema = paginated(messageSchema);

/**
 * Wire shape of `get_between_messages`: the SDK reads `data` as a bare list; a paginated object or
 * `{messages}` is accepted too.
 */
export const betweenMessagesSchema = z.union([
  z.array(messageSchema),
  z.object({ data: z.array(messageSchema) }).transform((o) => o.data),
  z.object({ messages: z.array(messageSchema) }).transform((o) => o.messages),
]);

/** Seed `GetMessagesResponse`, plus the page metadata the wire carried. */
export interface GetMessagesResponse {
  messages: MessageResponse[];
  total_count: number;
  has_next: boolean;
  has_prev: boolean;
  page_num?: number;
  page_size?: number;
  total_page?: number;
}

/** Seed `BrowserPageInfo`. */
export const browserPageSchema = z.object({
  index: z.number(),
  url: z.string(),
  status: optStr,
  page_id: optStr,
  video_url: optStr,
  ws_debugger_url: optStr,
  front_debugger_url: optStr,
  debugger_host: optStr,
});
export type BrowserPageInfo = z.output<typeof browserPageSchema>;

/** Seed `BrowserInfo` (partial). */
export const browserInfoSchema = z.object({
  browser_id: id,
  session_id: optStr,
  user_id: optStr,
  status: z.string(),
  width: optNum,
  height: optNum,
  ws_endpoint: optStr,
  solve_captcha: z.boolean().nullish(),
  timezone: optStr,
  user_agent: optStr,
  duration_seconds: optNum,
  created_at: optStr,
  pages: list(browserPageSchema),
});
export type BrowserInfo = z.output<typeof browserInfoSchema>;

/** Seed `ListBrowsersResponse`. */
export const listBrowsersSchema = z.object({ browsers: list(browserInfoSchema), total: optNum });
export type ListBrowsersResponse = z.output<typeof listBrowsersSchema>;

/** Seed `ListBrowserPagesResponse`. */
export const listBrowserPagesSchema = z.object({ pages: list(browserPageSchema), total: optNum });
export type ListBrowserPagesResponse = z.output<typeof listBrowserPagesSchema>;
