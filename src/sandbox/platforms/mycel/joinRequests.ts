/**
 * Mycel join requests: what a non-member sees of a group (join-target), asking to join, the
 * owner's list, approve and reject.
 *
 * Decisions the seed leaves open (callers rely on them):
 * - Asking twice while pending returns the pending request; a member asking is 409.
 * - Approving an approved request (or rejecting a rejected one) returns it again (200);
 *   approving a rejected one, or rejecting an approved one, is 409 `join_request_already_decided`.
 * - A new member starts caught up (no unread history). Joining writes no message into the chat.
 * - A request notifies the chat owner; a decision notifies the requester.
 */
import { HttpError, newId, type Route, type SandboxRequest } from '../../framework.js';
import { type Chat, type JoinRequest, type MycelStore, now, str } from './store.js';

export function joinRequestRoutes(s: MycelStore): Route[] {
  function groupOr400(chat: Chat): void {
    if (chat.type !== 'group') throw new HttpError(400, 'not_a_group_chat', 'Join requests exist only for group chats');
  }

  function ownerOr403(chat: Chat, userId: string): void {
    if (chat.owner_user_id !== userId)
      throw new HttpError(403, 'not_chat_owner', 'Only the chat owner can manage join requests');
  }

  function decide(req: SandboxRequest, decision: 'approved' | 'rejected') {
    const chat = s.chatOr404(req.params.chat_id!);
    ownerOr403(chat, req.identity);
    const jr = s.joinRequests.get(req.params.request_id!);
    if (!jr || jr.chat_id !== chat.id) throw new HttpError(404, 'join_request_not_found', 'Join request not found');
    if (jr.state === decision) return { status: 200, body: jr };
    if (jr.state !== 'pending') {
      throw new HttpError(409, 'join_request_already_decided', `Join request was already ${jr.state}`);
    }
    jr.state = decision;
    jr.decided_by = req.identity;
    jr.decided_at = now();
    if (decision === 'approved' && !chat.members.has(jr.requester_user_id)) s.addMember(chat, jr.requester_user_id);
    s.notify(jr.requester_user_id, {
      event_type: decision === 'approved' ? 'chat.join_approved' : 'chat.join_rejected',
      notification_type: 'chat_join_request',
      chat_id: chat.id,
      request_id: jr.id,
      sender_id: req.identity,
    });
    return { status: 200, body: jr };
  }

  const pendingOf = (chatId: string, userId: string) =>
    [...s.joinRequests.values()].find(
      (j) => j.chat_id === chatId && j.requester_user_id === userId && j.state === 'pending',
    );

  return [
    {
      method: 'GET',
      pattern: '/api/chats/{chat_id}/join-target',
      handler: (req) => {
        const chat = s.chatOr404(req.params.chat_id!);
        groupOr400(chat);
        return {
          status: 200,
          body: {
            chat_id: chat.id,
            title: chat.title,
            owner_user_id: chat.owner_user_id,
            member_count: chat.members.size,
            is_member: chat.members.has(req.identity),
            pending_request_id: pendingOf(chat.id, req.identity)?.id ?? null,
          },
        };
      },
    },
    {
      method: 'POST',
      pattern: '/api/chats/{chat_id}/join-requests',
      handler: (req) => {
        const chat = s.chatOr404(req.params.chat_id!);
        groupOr400(chat);
        if (chat.members.has(req.identity)) throw new HttpError(409, 'already_member', 'Already a member of this chat');
        const existing = pendingOf(chat.id, req.identity);
        if (existing) return { status: 200, body: existing };
        const jr: JoinRequest = {
          id: newId('jr'),
          chat_id: chat.id,
          requester_user_id: req.identity,
          message: str(req.body, 'message', { required: false }) ?? null,
          state: 'pending',
          decided_by: null,
          created_at: now(),
          decided_at: null,
        };
        s.joinRequests.set(jr.id, jr);
        if (chat.owner_user_id) {
          s.notify(chat.owner_user_id, {
            event_type: 'chat.join_request',
            notification_type: 'chat_join_request',
            chat_id: chat.id,
            request_id: jr.id,
            sender_id: req.identity,
            sender_name: s.ensureUser(req.identity).display_name,
          });
        }
        return { status: 200, body: jr };
      },
    },
    {
      method: 'GET',
      pattern: '/api/chats/{chat_id}/join-requests',
      handler: (req) => {
        const chat = s.chatOr404(req.params.chat_id!);
        groupOr400(chat);
        ownerOr403(chat, req.identity);
        const state = req.query.get('state');
        const rows = [...s.joinRequests.values()].filter((j) => j.chat_id === chat.id && (!state || j.state === state));
        return { status: 200, body: rows };
      },
    },
    {
      method: 'POST',
      pattern: '/api/chats/{chat_id}/join-requests/{request_id}/approve',
      handler: (req) => decide(req, 'approved'),
    },
    {
      method: 'POST',
      pattern: '/api/chats/{chat_id}/join-requests/{request_id}/reject',
      handler: (req) => decide(req, 'rejected'),
    },
  ];
}
