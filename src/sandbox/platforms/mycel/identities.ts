/**
 * Mycel identities: owner registration (send-otp → verify-otp → complete-register), login, the
 * owner's external agent identities, whoami, and runtime threads for managed agents.
 */
import { randomUUID } from 'node:crypto';
import { HttpError, newId, type Route } from '../../framework.js';
import { MYCEL_SANDBOX_OTP, type MycelStore, now, str } from './store.js';

export function identityRoutes(s: MycelStore): Route[] {
  return [
    // auth (no token needed)
    {
      method: 'POST',
      pattern: '/api/auth/send-otp',
      auth: false,
      handler: (req) => {
        const email = str(req.body, 'email')!;
        const password = str(req.body, 'password')!;
        const invite_code = str(req.body, 'invite_code')!;
        if (!email.includes('@')) throw new HttpError(400, 'invalid_email', 'Invalid email');
        if ([...s.users.values()].some((u) => u.email === email))
          throw new HttpError(400, 'email_taken', 'Email already registered');
        s.pendingOtp.set(email, { password, invite_code });
        return { status: 200, body: { ok: true } };
      },
    },
    {
      method: 'POST',
      pattern: '/api/auth/verify-otp',
      auth: false,
      handler: (req) => {
        const email = str(req.body, 'email')!;
        const token = str(req.body, 'token')!;
        if (!s.pendingOtp.has(email) || token !== MYCEL_SANDBOX_OTP)
          throw new HttpError(400, 'invalid_otp', 'Invalid or expired code');
        const temp = `tmp_${randomUUID().replace(/-/g, '')}`;
        s.tempTokens.set(temp, email);
        return { status: 200, body: { temp_token: temp } };
      },
    },
    {
      method: 'POST',
      pattern: '/api/auth/complete-register',
      auth: false,
      handler: (req) => {
        const temp = str(req.body, 'temp_token')!;
        const invite = str(req.body, 'invite_code')!;
        const email = s.tempTokens.get(temp);
        const pending = email ? s.pendingOtp.get(email) : undefined;
        if (!email || !pending) throw new HttpError(400, 'invalid_temp_token', 'Invalid or expired registration token');
        if (pending.invite_code !== invite)
          throw new HttpError(400, 'invalid_invite_code', 'Invite code does not match');
        s.tempTokens.delete(temp);
        s.pendingOtp.delete(email);
        const user = s.addUser({
          id: newId('u'),
          display_name: email.split('@')[0]!,
          type: 'human',
          email,
          password: pending.password,
        });
        return { status: 200, body: { token: s.issueToken(user.id), user: s.userView(user) } };
      },
    },
    {
      method: 'POST',
      pattern: '/api/auth/login',
      auth: false,
      handler: (req) => {
        const identifier = str(req.body, 'identifier')!;
        const password = str(req.body, 'password')!;
        const user = [...s.users.values()].find(
          (u) => (u.email === identifier || u.id === identifier) && u.password !== undefined,
        );
        if (!user || user.password !== password)
          throw new HttpError(401, 'invalid_credentials', 'Invalid email or password');
        return { status: 200, body: { token: s.issueToken(user.id), user: s.userView(user) } };
      },
    },

    // identities
    {
      method: 'POST',
      // mycel-sdk 0.1.83: create_external_user → POST /api/auth/external-users
      pattern: '/api/auth/external-users',
      handler: (req) => {
        const caller = s.ensureUser(req.identity);
        if (caller.type === 'agent') throw new HttpError(403, 'forbidden', 'Agents cannot create identities');
        const id = str(req.body, 'user_id')!;
        const display_name = str(req.body, 'display_name')!;
        if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(id))
          throw new HttpError(422, 'validation_error', 'body.user_id: invalid id');
        if (s.users.has(id)) throw new HttpError(409, 'user_exists', `User ${id} already exists`);
        const user = s.addUser({ id, display_name, type: 'external', owner_user_id: caller.id });
        return { status: 200, body: { ...s.userView(user), user_id: user.id, token: s.issueToken(user.id) } };
      },
    },
    // mycel-sdk 0.1.83: whoami → GET /api/auth/me
    {
      method: 'GET',
      pattern: '/api/auth/me',
      handler: (req) => ({ status: 200, body: s.userView(s.ensureUser(req.identity)) }),
    },

    // threads (path spelled out by the seed)
    {
      method: 'POST',
      pattern: '/api/threads',
      handler: (req) => {
        const agentId = str(req.body, 'agent_user_id')!;
        const sandbox = str(req.body, 'sandbox', { required: false }) ?? 'local';
        const agent = s.users.get(agentId);
        if (!agent) throw new HttpError(404, 'user_not_found', `Agent user ${agentId} not found`);
        if (agent.type !== 'agent')
          throw new HttpError(400, 'not_a_managed_agent', `${agentId} is not a managed agent`);
        if (agent.owner_user_id !== req.identity) throw new HttpError(403, 'forbidden', 'Agent does not belong to you');
        const thread = {
          thread_id: newId('thread'),
          agent_user_id: agentId,
          sandbox,
          status: 'idle',
          created_at: now(),
        };
        s.threads.set(thread.thread_id, thread);
        return { status: 200, body: thread };
      },
    },
  ];
}
