/**
 * Mix's human-in-the-loop: a scripted `ask` becomes a `permission` frame (answered by `POST
 * /api/permissions/{id}/grant|deny`, SDK `permissions.py`) or a `notification` question (answered by
 * `POST /api/notifications/{id}/respond {type, value?}`, SDK `notifications.py`).
 *
 * - A script's `ask` step picks the kind with `meta`: `{mix: 'permission', toolName?, action?,
 *   path?, params?}`, or a question `{responseType?: acknowledge|text|choice, choices?, timeoutSeconds?}`
 *   (default: a `text` question with a 300 s timeout).
 * - A question expires `timeout` seconds after it is asked (assumption, wire.ts): the id is gone
 *   and the agent goes on without an answer. Permissions carry no timeout in the SDK: they wait.
 * - Each id is answered once. A second answer (or one after expiry) is a 404 — the only refusal
 *   the SDK documents besides 401 — and changes nothing.
 * - A `choice` response must be one of the offered choices (400 otherwise); `text` needs a value.
 * - A user message sent meanwhile answers nothing (assumption, see ./sessions.ts).
 */
import type { RunEvent } from '../../agent.js';
import { HttpError, newId, type SandboxRequest, type SandboxResponse, type Route } from '../../framework.js';
import { bad, type MixCore, ok, type OpenAsk, type SimSession } from './core.js';

/** A question's timeout in seconds when the script names none, as the SDK's `notification.timeout` carries it. */
const QUESTION_TIMEOUT_S = 300;
/** Closed ids remembered per session (a second answer to an older one is just "not found"). */
const CLOSED_KEPT = 50;
const RESPONSE_TYPES = ['acknowledge', 'text', 'choice'] as const;

/** The notifications and permissions area of the Mix simulator. */
export interface MixAsks {
  /** Opens a permission or a question for the run's `input_request`. */
  open(s: SimSession, e: RunEvent): void;
  /** Forgets the open ask (the run answered or stopped by other means). */
  drop(s: SimSession): void;
  /** Re-arms question timeouts after a restore. */
  rearm(s: SimSession): void;
  reset(): void;
  routes: Route[];
}

export function createAsks(core: MixCore): MixAsks {
  const timers = new Map<string, NodeJS.Timeout>();

  function clearTimer(id: string): void {
    clearTimeout(timers.get(id));
    timers.delete(id);
  }

  function close(s: SimSession, how: 'answered' | 'expired'): OpenAsk | undefined {
    const a = s.ask;
    if (!a) return undefined;
    clearTimer(a.id);
    s.ask = undefined;
    s.closedAsks = [...(s.closedAsks ?? []), { id: a.id, how }].slice(-CLOSED_KEPT);
    return a;
  }

  function arm(s: SimSession): void {
    const a = s.ask;
    if (!a?.expiresAt) return;
    clearTimer(a.id);
    const t = setTimeout(
      () => {
        timers.delete(a.id);
        if (s.ask?.id !== a.id) return;
        close(s, 'expired');
        // Nobody answered in time: the agent goes on without the answer.
        s.run?.answer(a.requestId, null);
      },
      Math.max(0, a.expiresAt - Date.now()),
    );
    t.unref?.();
    timers.set(a.id, t);
  }

  function open(s: SimSession, e: RunEvent): void {
    const requestId = typeof e.data?.request_id === 'string' ? e.data.request_id : '';
    const meta = (e.data?.meta ?? {}) as Record<string, unknown>;
    if (meta.mix === 'permission') {
      const id = newId('perm');
      s.ask = { kind: 'permission', id, requestId };
      // SDK SSEPermissionEventData: toolName is a CoreToolName (or `{server}_{tool}` for MCP).
      core.frame(s, 'permission', {
        id,
        sessionId: s.id,
        toolName: typeof meta.toolName === 'string' ? meta.toolName : 'Bash',
        action: typeof meta.action === 'string' ? meta.action : 'execute',
        description: e.text,
        ...(typeof meta.path === 'string' ? { path: meta.path } : {}),
        ...(meta.params && typeof meta.params === 'object' ? { params: meta.params } : {}),
      });
      return;
    }
    const responseType = (RESPONSE_TYPES as readonly string[]).includes(String(meta.responseType))
      ? (meta.responseType as OpenAsk['responseType'])
      : 'text';
    const choices = Array.isArray(meta.choices) ? meta.choices.map(String) : undefined;
    const timeout =
      typeof meta.timeoutSeconds === 'number' && meta.timeoutSeconds > 0 ? meta.timeoutSeconds : QUESTION_TIMEOUT_S;
    const createdAt = Date.now();
    const id = newId('notif');
    s.ask = {
      kind: 'question',
      id,
      requestId,
      responseType,
      ...(choices ? { choices } : {}),
      expiresAt: createdAt + timeout * 1000,
    };
    core.frame(s, 'notification', {
      id,
      sessionId: s.id,
      // SDK: a Unix timestamp (integer seconds).
      createdAt: Math.floor(createdAt / 1000),
      title: 'Question',
      message: e.text,
      notificationType: 'question',
      responseType,
      ...(choices ? { choices } : {}),
      timeout,
    });
    arm(s);
  }

  /** The caller's open ask with this id and kind; a closed or unknown one is a 404. */
  function findAsk(req: SandboxRequest, kind: OpenAsk['kind']): SimSession {
    const id = req.params.id!;
    const what = kind === 'permission' ? 'permission' : 'notification';
    for (const s of core.sessions.values()) {
      if (s.owner !== req.identity) continue;
      if (s.ask?.id === id && s.ask.kind === kind && s.run) return s;
      const closed = s.closedAsks?.find((c) => c.id === id);
      if (closed) throw new HttpError(404, 'not_found', `${what} ${id} not found: it was already ${closed.how}`);
    }
    throw new HttpError(404, 'not_found', `${what} ${id} not found`);
  }

  function answer(s: SimSession, response: unknown): void {
    const a = close(s, 'answered')!;
    s.run!.answer(a.requestId, response);
  }

  const permission =
    (granted: boolean) =>
    (req: SandboxRequest): SandboxResponse => {
      const s = findAsk(req, 'permission');
      answer(s, { granted });
      // SDK GrantPermissionResponse `{granted}` / DenyPermissionResponse `{denied}`.
      return ok(granted ? { granted: true } : { denied: true });
    };

  const routes: Route[] = [
    {
      method: 'POST',
      pattern: '/api/notifications/{id}/respond',
      handler: (req) => {
        const b = req.body ?? {};
        if (!(RESPONSE_TYPES as readonly string[]).includes(String(b.type)))
          throw bad('invalid_response_type', 'type must be acknowledge, text or choice');
        if (b.value !== undefined && b.value !== null && typeof b.value !== 'string')
          throw bad('invalid_value', 'value must be a string');
        const s = findAsk(req, 'question');
        const a = s.ask!;
        // The SDK's respond body carries the type the question asked for (SSENotificationEventData.responseType).
        if (a.responseType && b.type !== a.responseType)
          throw bad('invalid_response_type', `notification ${a.id} expects a ${a.responseType} response`);
        if (b.type === 'text' && !(typeof b.value === 'string'))
          throw bad('missing_value', 'a text response needs a value');
        if (b.type === 'choice' && !(a.choices ?? []).includes(String(b.value)))
          throw bad('invalid_choice', `value must be one of ${(a.choices ?? []).join(', ')}`);
        answer(s, b.type === 'acknowledge' ? (b.value ?? 'acknowledged') : b.value);
        return { status: 204 };
      },
    },
    { method: 'POST', pattern: '/api/permissions/{id}/grant', handler: permission(true) },
    { method: 'POST', pattern: '/api/permissions/{id}/deny', handler: permission(false) },
  ];

  return {
    open,
    drop(s) {
      if (s.ask) clearTimer(s.ask.id);
      s.ask = undefined;
    },
    rearm: arm,
    reset() {
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
    },
    routes,
  };
}
