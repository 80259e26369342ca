/**
 * Mycel chats and messages: direct chats (find-or-create per pair) and group chats (humans need a
 * `visit` relationship with the creator), member mute, history paged by `seq`, the caught-up send
 * (`enforce_caught_up` → 409 while the sender has unread messages), and the atomic read-and-mark.
 *
 * Sending notifies every other member that has not muted (a mention does not override mute).
 */
import { HttpError, intParam, newId, type Route } from '../../framework.js';
import { type Message, type MycelStore, now, str } from './store.js';

export function chatRoutes(s: MycelStore): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/api/chats',
      handler: (req) => ({
        status: 200,
        body: [...s.chats.values()].filter((c) => c.members.has(req.identity)).map((c) => s.chatView(c, req.identity)),
      }),
    },
    {
      method: 'POST',
      pattern: '/api/chats',
      handler: (req) => {
        const ids: unknown = req.body.user_ids;
        if (!Array.isArray(ids) || ids.some((x) => typeof x !== 'string')) {
          throw new HttpError(422, 'validation_error', 'body.user_ids: must be a list of strings');
        }
        const title = str(req.body, 'title', { required: false }) ?? null;
        const others = [...new Set(ids as string[])].filter((id) => id !== req.identity);
        // mycel-sdk 0.1.83 CreateChatBody.kind: auto (default) | direct | group; `auto` makes a direct
        // chat for one other participant, as a real backend may.
        const kind = req.body.kind ?? 'auto';
        if (kind !== 'auto' && kind !== 'direct' && kind !== 'group')
          throw new HttpError(422, 'validation_error', 'body.kind: must be auto, direct or group');
        if (kind === 'direct' || (kind === 'auto' && others.length === 1 && !title)) {
          if (others.length !== 1)
            throw new HttpError(400, 'invalid_target', 'A direct chat has exactly one other participant');
          const target = others[0]!;
          if (!s.users.has(target)) throw new HttpError(404, 'user_not_found', `User ${target} not found`);
          const key = s.pairKey(req.identity, target).join(' ');
          let chat = [...s.chats.values()].find((c) => c.direct_key === key);
          if (!chat) {
            chat = s.newChat('direct', null, null, [req.identity, target]);
            chat.direct_key = key;
          }
          return { status: 200, body: s.chatView(chat, req.identity) };
        }
        for (const id of others) {
          const u = s.users.get(id);
          if (!u) throw new HttpError(400, 'unknown_participant', `Unknown chat participant id: ${id}`);
          // Seed: "visit is enough for ordinary group chat creation". Agents follow backend policy: allowed.
          if (u.type === 'agent' || u.owner_user_id === req.identity) continue;
          const r = s.relationshipBetween(req.identity, id);
          if (r?.state !== 'visit') {
            throw new HttpError(
              400,
              'relationship_required',
              `Active relationship required for group chat participant: ${id}`,
            );
          }
        }
        const chat = s.newChat('group', req.identity, title, [req.identity, ...others]);
        return { status: 200, body: s.chatView(chat, req.identity) };
      },
    },
    {
      method: 'GET',
      pattern: '/api/chats/{chat_id}',
      handler: (req) => {
        const chat = s.chatOr404(req.params.chat_id!);
        s.memberOr403(chat, req.identity);
        return { status: 200, body: s.chatView(chat, req.identity) };
      },
    },
    {
      method: 'POST',
      pattern: '/api/chats/{chat_id}/mute',
      handler: (req) => {
        const chat = s.chatOr404(req.params.chat_id!);
        const userId = str(req.body, 'user_id')!;
        if (typeof req.body.muted !== 'boolean')
          throw new HttpError(422, 'validation_error', 'body.muted: must be a boolean');
        const member = chat.members.get(userId);
        if (!member) throw new HttpError(404, 'member_not_found', `${userId} is not a member of this chat`);
        // Backend policy (the SDK decides nothing): yourself, an identity you own, or anyone in a chat you own.
        const allowed =
          userId === req.identity ||
          s.users.get(userId)?.owner_user_id === req.identity ||
          chat.owner_user_id === req.identity;
        if (!allowed) throw new HttpError(403, 'forbidden', 'User does not belong to you');
        member.muted = req.body.muted;
        return { status: 200, body: { status: 'ok', user_id: userId, muted: member.muted } };
      },
    },

    // messages
    {
      method: 'GET',
      pattern: '/api/chats/{chat_id}/messages',
      handler: (req) => {
        const chat = s.chatOr404(req.params.chat_id!);
        s.memberOr403(chat, req.identity);
        const limit = intParam(req.query, 'limit', 50, { max: 200 });
        // mycel-sdk 0.1.83 list_all pages with before = str(oldest seq).
        const before = req.query.get('before');
        let msgs = chat.messages;
        if (before) {
          const seq = Number(before);
          if (!Number.isInteger(seq) || seq < 0)
            throw new HttpError(422, 'validation_error', 'query.before: must be a message seq');
          msgs = msgs.filter((m) => m.seq < seq);
        }
        return { status: 200, body: msgs.slice(-limit).map((m) => s.messageView(m)) };
      },
    },
    {
      method: 'POST',
      pattern: '/api/chats/{chat_id}/messages',
      handler: (req) => {
        const chat = s.chatOr404(req.params.chat_id!);
        const content = str(req.body, 'content')!;
        if (!content.trim()) throw new HttpError(400, 'empty_content', 'Content cannot be empty');
        s.memberOr403(chat, req.identity);
        const mentions: unknown = req.body.mentioned_ids ?? [];
        if (!Array.isArray(mentions) || mentions.some((x) => typeof x !== 'string')) {
          throw new HttpError(422, 'validation_error', 'body.mentioned_ids: must be a list of strings');
        }
        if (req.body.enforce_caught_up === true) {
          const unread = s.unreadFor(chat, req.identity).length;
          if (unread > 0) {
            throw new HttpError(
              409,
              'chat_not_caught_up',
              `Chat not caught up: ${unread} unread message${unread === 1 ? '' : 's'}; read the chat before sending`,
            );
          }
        }
        const msg: Message = {
          id: newId('msg'),
          seq: s.lastSeq(chat) + 1,
          chat_id: chat.id,
          sender_id: req.identity,
          content,
          message_type: 'human',
          mentioned_ids: mentions as string[],
          created_at: now(),
        };
        chat.messages.push(msg);
        const sender = s.ensureUser(req.identity);
        for (const m of chat.members.values()) {
          // Mute is receiver-side quiet mode: stored, but no wake — and mentions do not override it.
          if (m.user_id === req.identity || m.muted) continue;
          s.notify(m.user_id, {
            event_type: 'chat.message',
            notification_type: 'chat',
            chat_id: chat.id,
            message_id: msg.id,
            sender_id: sender.id,
            sender_name: sender.display_name,
            mentioned: msg.mentioned_ids.includes(m.user_id),
            unread_count: s.unreadFor(chat, m.user_id).length,
          });
        }
        return { status: 200, body: s.messageView(msg) };
      },
    },
    {
      method: 'GET',
      pattern: '/api/chats/{chat_id}/messages/unread',
      handler: (req) => {
        const chat = s.chatOr404(req.params.chat_id!);
        s.memberOr403(chat, req.identity);
        return { status: 200, body: s.unreadFor(chat, req.identity).map((m) => s.messageView(m)) };
      },
    },
    {
      // mycel-sdk 0.1.83 read(): one atomic call that returns the unread messages and marks exactly those.
      method: 'POST',
      pattern: '/api/chats/{chat_id}/messages/read',
      handler: (req) => {
        const chat = s.chatOr404(req.params.chat_id!);
        const member = s.memberOr403(chat, req.identity);
        const unread = s.unreadFor(chat, req.identity);
        member.last_read_seq = Math.max(member.last_read_seq, unread.at(-1)?.seq ?? member.last_read_seq);
        return { status: 200, body: unread.map((m) => s.messageView(m)) };
      },
    },
    {
      // mycel-sdk 0.1.83 mark_read(up_to_seq): body `{up_to_seq: int}` required.
      method: 'POST',
      pattern: '/api/chats/{chat_id}/read',
      handler: (req) => {
        const chat = s.chatOr404(req.params.chat_id!);
        const member = s.memberOr403(chat, req.identity);
        const upTo = req.body.up_to_seq;
        if (!Number.isInteger(upTo) || (upTo as number) < 0)
          throw new HttpError(422, 'validation_error', 'body.up_to_seq: field required (a non-negative integer)');
        member.last_read_seq = Math.max(member.last_read_seq, Math.min(upTo as number, s.lastSeq(chat)));
        return { status: 200, body: { status: 'ok', last_read_seq: member.last_read_seq } };
      },
    },
  ];
}
