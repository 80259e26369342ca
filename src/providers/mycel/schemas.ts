/**
 * Partial, tolerant schemas for the Mycel responses we use. Only the fields Switchboard reads (plus
 * a few obvious ones) are declared; unknown fields pass through untouched. Field names follow the
 * public Mycel backend where it showed them, otherwise they are assumptions (see routes.ts).
 */
import { z } from 'zod';

const id = z.union([z.string(), z.number()]).transform(String);
const time = z.union([z.string(), z.number()]).nullish();

/** A user as the backend shows it (humans, external agent identities, managed agents). */
export const userSchema = z
  .object({
    id,
    display_name: z.string().nullish(),
    type: z.string().nullish(),
    /** Set for agent identities: the human who owns them. */
    owner_user_id: z.string().nullish(),
  })
  .passthrough();
export type MycelUser = z.output<typeof userSchema>;

export const okSchema = z.object({ ok: z.boolean().nullish(), status: z.string().nullish() }).passthrough();

export const verifyOtpSchema = z.object({ temp_token: z.string() }).passthrough();
export type MycelVerifyOtpResult = z.output<typeof verifyOtpSchema>;

/** Result of complete_register / login: a token for the (new) owner identity. */
export const sessionSchema = z
  .object({
    token: z.string(),
    user: userSchema.nullish(),
  })
  .passthrough();
export type MycelSession = z.output<typeof sessionSchema>;

/** `users.create_external`: the agent identity and the token that acts as it (store it). */
export const externalUserSchema = userSchema.extend({ token: z.string() });
export type MycelExternalUser = z.output<typeof externalUserSchema>;

export const chatMemberSchema = z
  .object({
    user_id: z.string(),
    display_name: z.string().nullish(),
    type: z.string().nullish(),
    muted: z.boolean().nullish(),
  })
  .passthrough();
export type MycelChatMember = z.output<typeof chatMemberSchema>;

export const chatSchema = z
  .object({
    id,
    title: z.string().nullish(),
    /** `direct` or `group` (assumption). */
    type: z.string().nullish(),
    status: z.string().nullish(),
    owner_user_id: z.string().nullish(),
    members: z.array(chatMemberSchema).nullish(),
    unread_count: z.number().int().nullish(),
    created_at: time,
  })
  .passthrough();
export type MycelChat = z.output<typeof chatSchema>;
export const chatListSchema = z.array(chatSchema);

/** What a non-member sees of a group before asking to join. */
export const joinTargetSchema = z
  .object({
    chat_id: id,
    title: z.string().nullish(),
    owner_user_id: z.string().nullish(),
    member_count: z.number().int().nullish(),
    is_member: z.boolean().nullish(),
    /** The caller's own pending request, if any. */
    pending_request_id: z.string().nullish(),
  })
  .passthrough();
export type MycelJoinTarget = z.output<typeof joinTargetSchema>;

export const joinRequestSchema = z
  .object({
    id,
    chat_id: z.string(),
    requester_user_id: z.string(),
    message: z.string().nullish(),
    /** `pending` | `approved` | `rejected` (assumption). */
    state: z.string(),
    decided_by: z.string().nullish(),
    created_at: time,
    decided_at: time,
  })
  .passthrough();
export type MycelJoinRequest = z.output<typeof joinRequestSchema>;
export const joinRequestListSchema = z.array(joinRequestSchema);

export const muteSchema = z.object({ muted: z.boolean() }).passthrough();
export type MycelMuteResult = z.output<typeof muteSchema>;

export const messageSchema = z
  .object({
    id,
    chat_id: z.string().nullish(),
    sender_id: z.string().nullish(),
    sender_name: z.string().nullish(),
    content: z.string().nullish(),
    message_type: z.string().nullish(),
    mentioned_ids: z.array(z.string()).nullish(),
    /** The chat-wide order; history pages on it (mycel-sdk `list_all` requires it). */
    seq: z.number().int().nullish(),
    created_at: time,
  })
  .passthrough();
export type MycelMessage = z.output<typeof messageSchema>;
export const messageListSchema = z.array(messageSchema);

/** Relationship as seen by the caller (public backend `_row_to_dict`). */
export const relationshipSchema = z
  .object({
    id,
    other_user_id: z.string(),
    /** `pending` → `visit` on approve; also `rejected`, and higher states we do not use. */
    state: z.string(),
    is_requester: z.boolean().nullish(),
    created_at: time,
    updated_at: time,
  })
  .passthrough();
export type MycelRelationship = z.output<typeof relationshipSchema>;
export const relationshipListSchema = z.array(relationshipSchema);

/**
 * One metadata-only notification stub. Never carries message bodies: callers use the chat APIs.
 * `seq` is per user and increases monotonically.
 */
export const notificationSchema = z
  .object({
    seq: z.number().int().nullish(),
    event_type: z.string().nullish(),
    notification_type: z.string().nullish(),
    chat_id: z.string().nullish(),
    request_id: z.string().nullish(),
    relationship_id: z.string().nullish(),
    sender_id: z.string().nullish(),
  })
  .passthrough();
export type MycelNotification = z.output<typeof notificationSchema>;

export const drainSchema = z
  .object({
    count: z.number().int().nullish(),
    notifications: z.array(notificationSchema),
  })
  .passthrough();
export type MycelDrainResult = z.output<typeof drainSchema>;

/** Stream frame (public backend `RuntimeInboxFrame.as_dict`). */
export const notifyFrameSchema = z
  .object({
    type: z.literal('notify').default('notify'),
    seq: z.number().int(),
    metadata: notificationSchema,
    ts: z.number().nullish(),
    fingerprint: z.string().nullish(),
  })
  .passthrough();
/** The server no longer holds every frame after `since_seq`; replay starts at `oldest_seq`. */
export const overflowFrameSchema = z
  .object({
    type: z.literal('replay_overflow'),
    since_seq: z.number().int(),
    oldest_seq: z.number().int(),
  })
  .passthrough();
export const inboxFrameSchema = z.union([overflowFrameSchema, notifyFrameSchema]);
export type MycelNotifyFrame = z.output<typeof notifyFrameSchema>;
export type MycelOverflowFrame = z.output<typeof overflowFrameSchema>;
export type MycelInboxFrame = z.output<typeof inboxFrameSchema>;

export const threadSchema = z
  .object({
    thread_id: id,
    agent_user_id: z.string().nullish(),
    sandbox: z.string().nullish(),
    status: z.string().nullish(),
  })
  .passthrough();
export type MycelThread = z.output<typeof threadSchema>;
