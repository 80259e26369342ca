/**
 * Mycel relationships: request (`pending`), the recipient approves (`visit`) or rejects. A request
 * notifies the recipient; a decision notifies the requester. Approving an approved relationship
 * returns it again (200); any other decided state is 409 `invalid_transition`; deciding your own
 * request is 409 `own_request`.
 */
import { HttpError, newId, type Route, type SandboxRequest } from '../../framework.js';
import { type MycelStore, now, type Relationship, str } from './store.js';

export function relationshipRoutes(s: MycelStore): Route[] {
  function view(r: Relationship, viewer: string) {
    return {
      id: r.id,
      other_user_id: viewer === r.user_low ? r.user_high : r.user_low,
      state: r.state,
      is_requester: r.state === 'pending' && viewer === r.initiator_user_id,
      created_at: r.created_at,
      updated_at: r.updated_at,
    };
  }

  function relOr404(id: string, viewer: string): Relationship {
    const r = s.relationships.get(id);
    if (!r) throw new HttpError(404, 'relationship_not_found', 'Relationship not found');
    if (viewer !== r.user_low && viewer !== r.user_high)
      throw new HttpError(403, 'not_a_party', 'Not a party of this relationship');
    return r;
  }

  function decide(req: SandboxRequest, decision: 'visit' | 'rejected') {
    const r = relOr404(req.params.relationship_id!, req.identity);
    if (r.state === decision) return { status: 200, body: view(r, req.identity) };
    if (r.state !== 'pending')
      throw new HttpError(409, 'invalid_transition', `Relationship is ${r.state}, not pending`);
    if (r.initiator_user_id === req.identity) {
      throw new HttpError(409, 'own_request', `Cannot ${decision === 'visit' ? 'approve' : 'reject'} your own request`);
    }
    r.state = decision;
    r.updated_at = now();
    s.notify(r.initiator_user_id, {
      event_type: decision === 'visit' ? 'relationship.approved' : 'relationship.rejected',
      notification_type: 'relationship',
      relationship_id: r.id,
      sender_id: req.identity,
    });
    return { status: 200, body: view(r, req.identity) };
  }

  return [
    {
      method: 'GET',
      pattern: '/api/relationships',
      handler: (req) => ({
        status: 200,
        body: [...s.relationships.values()]
          .filter((r) => r.user_low === req.identity || r.user_high === req.identity)
          .map((r) => view(r, req.identity)),
      }),
    },
    {
      method: 'POST',
      pattern: '/api/relationships/request',
      handler: (req) => {
        const target = str(req.body, 'target_user_id')!;
        if (target === req.identity)
          throw new HttpError(400, 'invalid_target', 'Cannot request relationship with yourself');
        if (!s.users.has(target)) throw new HttpError(404, 'user_not_found', `User ${target} not found`);
        let r = s.relationshipBetween(req.identity, target);
        if (r?.state === 'pending' && r.initiator_user_id === req.identity)
          return { status: 200, body: view(r, req.identity) };
        if (r?.state === 'pending')
          throw new HttpError(409, 'invalid_transition', 'The other user already asked you: approve their request');
        if (r?.state === 'visit') throw new HttpError(409, 'invalid_transition', 'Relationship already active');
        const [low, high] = s.pairKey(req.identity, target);
        if (r) {
          r.state = 'pending';
          r.initiator_user_id = req.identity;
          r.updated_at = now();
        } else {
          r = {
            id: newId('rel'),
            user_low: low,
            user_high: high,
            initiator_user_id: req.identity,
            state: 'pending',
            created_at: now(),
            updated_at: now(),
          };
          s.relationships.set(r.id, r);
        }
        s.notify(target, {
          event_type: 'relationship.request',
          notification_type: 'relationship',
          relationship_id: r.id,
          sender_id: req.identity,
          sender_name: s.ensureUser(req.identity).display_name,
        });
        return { status: 200, body: view(r, req.identity) };
      },
    },
    { method: 'POST', pattern: '/api/relationships/{relationship_id}/approve', handler: (req) => decide(req, 'visit') },
    {
      method: 'POST',
      pattern: '/api/relationships/{relationship_id}/reject',
      handler: (req) => decide(req, 'rejected'),
    },
  ];
}
