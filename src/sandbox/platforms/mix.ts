/**
 * Mix simulator: the seed's `/api/sessions…` routes with its create checks, a scripted agent per
 * session that writes the transcript, callbacks that actually fire, export, rewind and cancel.
 *
 * Auth: `Authorization: Bearer <key>` (the seed shows none; see src/providers/mix/routes.ts).
 * Wire shapes follow the assumptions listed in routes.ts (camelCase, `{error:{code,type,message}}`,
 * a `status` processing field, the task in `firstUserMessage`).
 *
 * Script choice: a `script:<name>` token in the title or the first user message (else `default`).
 * Each scripted `emit` becomes an assistant message with one completed tool call, after which the
 * session's callbacks run: `send_message` appends its user message, `sub_agent` spawns a subagent
 * session once per callback (listed only with `includeSubagents=true`).
 */
import { ScriptedRun, type RunEvent, type ScriptedRunState } from '../agent.js';
import { bearer, HttpError, newId, type PlatformSim, type SandboxRequest, type SandboxResponse } from '../framework.js';
import type { SandboxContext } from '../server.js';

const BROWSER_MODES = ['electron-embedded-browser', 'local-browser-service', 'remote-cdp-websocket'];
const PROMPT_MODES = ['default', 'append', 'replace'];
const CALLBACK_TYPES = ['bash_script', 'sub_agent', 'send_message'];
const PROMPT_LIMITS: Record<string, number> = { append: 51_200, replace: 102_400 };

type Status = 'processing' | 'idle' | 'cancelled' | 'failed';

interface SimMessage {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  createdAt: string;
  updatedAt: string;
  finishReason?: string;
  toolCalls?: { id: string; name: string; input: Record<string, unknown>; result: string; finished: boolean }[];
}

interface SimCallback {
  toolName: string;
  type: string;
  name?: string;
  messageContent?: string;
  subAgentPrompt?: string;
  subAgentType?: string;
  [k: string]: unknown;
}

interface SimSession {
  id: string;
  owner: string;
  title: string;
  createdAt: string;
  updatedAt: string;
  browserMode: string;
  cdpUrl?: string;
  promptMode: string;
  customSystemPrompt?: string;
  sessionType: 'main' | 'subagent';
  parentSessionId?: string;
  callbacks: SimCallback[];
  messages: SimMessage[];
  status: Status;
  run?: ScriptedRun;
  unsubscribe?: () => void;
  /** Callback indexes whose sub-agent was already spawned (once each, so state stays bounded). */
  spawned: Set<number>;
}

/** A session as JSON: its run's state, whether the transcript still follows the run, spawned as a list. */
type MixSessionState = Omit<SimSession, 'run' | 'unsubscribe' | 'spawned'> & { run?: ScriptedRunState; subscribed: boolean; spawned: number[] };

function bad(code: string, detail: string): HttpError {
  return new HttpError(400, code, detail);
}

function isNonBlank(v: unknown): v is string {
  return typeof v === 'string' && v.trim() !== '';
}

/** The platform's callback check (same rules the client applies; enforced here independently). */
function validateCallbacks(raw: unknown, required: boolean): SimCallback[] {
  if (raw === undefined && !required) return [];
  if (!Array.isArray(raw)) throw bad('invalid_callbacks', 'callbacks must be an array');
  return raw.map((cb: unknown, i) => {
    if (!cb || typeof cb !== 'object' || Array.isArray(cb)) throw bad('invalid_callback', `callbacks[${i}] must be an object`);
    const c = cb as SimCallback;
    if (!isNonBlank(c.toolName)) throw bad('invalid_callback', `callbacks[${i}].toolName is required`);
    if (!CALLBACK_TYPES.includes(c.type)) throw bad('invalid_callback', `callbacks[${i}].type must be one of ${CALLBACK_TYPES.join(', ')}`);
    if (c.type === 'send_message' && !isNonBlank(c.messageContent))
      throw bad('invalid_callback', `callbacks[${i}].messageContent is required for send_message`);
    if (c.type === 'send_message' && c.excludeFromContext === true)
      throw bad('invalid_callback', `callbacks[${i}].excludeFromContext is not allowed for send_message`);
    if (c.type === 'bash_script' && !isNonBlank(c.bashCommand)) throw bad('invalid_callback', `callbacks[${i}].bashCommand is required for bash_script`);
    if (c.type === 'sub_agent' && !isNonBlank(c.subAgentPrompt)) throw bad('invalid_callback', `callbacks[${i}].subAgentPrompt is required for sub_agent`);
    return { ...c };
  });
}

export function createMixSim(ctx: SandboxContext): PlatformSim {
  const sessions = new Map<string, SimSession>();

  const now = () => new Date().toISOString();

  function find(req: SandboxRequest): SimSession {
    const s = sessions.get(req.params.id!);
    if (!s || s.owner !== req.identity) throw new HttpError(404, 'not_found', `session ${req.params.id} not found`);
    return s;
  }

  function append(s: SimSession, m: Omit<SimMessage, 'id' | 'createdAt' | 'updatedAt'>): SimMessage {
    const at = now();
    const msg: SimMessage = { id: newId('msg'), createdAt: at, updatedAt: at, ...m };
    s.messages.push(msg);
    s.updatedAt = at;
    return msg;
  }

  function stopRun(s: SimSession): void {
    s.unsubscribe?.();
    s.unsubscribe = undefined;
    s.run?.dispose();
  }

  /** Callbacks run after every completed tool call, as the seed describes. */
  function runCallbacks(s: SimSession, toolName: string): void {
    s.callbacks.forEach((cb, i) => {
      if (cb.toolName !== '*' && cb.toolName !== toolName) return;
      if (cb.type === 'send_message') append(s, { role: 'user', content: String(cb.messageContent) });
      if (cb.type === 'sub_agent' && !s.spawned.has(i)) {
        s.spawned.add(i);
        const child = newSession(s.owner, {
          title: `${cb.subAgentType ?? 'general-purpose'} sub-agent of ${s.title}`,
          browserMode: s.browserMode,
          promptMode: 'default',
          sessionType: 'subagent',
          parentSessionId: s.id,
        });
        append(child, { role: 'user', content: String(cb.subAgentPrompt) });
      }
      // bash_script: nothing observable to simulate beyond having been accepted.
    });
  }

  function onEvent(s: SimSession, e: RunEvent): void {
    switch (e.type) {
      case 'progress': {
        const toolName = 'bash';
        append(s, {
          role: 'assistant',
          content: e.text,
          finishReason: 'tool_use',
          toolCalls: [{ id: newId('call'), name: toolName, input: { step: e.seq }, result: e.text, finished: true }],
        });
        runCallbacks(s, toolName);
        return;
      }
      case 'input_request':
        // Mix has no input requests: the agent ends its turn with a question.
        append(s, { role: 'assistant', content: e.text, finishReason: 'end_turn' });
        s.status = 'idle';
        return;
      case 'completed':
        append(s, { role: 'assistant', content: e.text, finishReason: 'end_turn' });
        s.status = 'idle';
        return;
      case 'failed':
        append(s, { role: 'assistant', content: e.text, finishReason: 'error' });
        s.status = 'failed';
        return;
      case 'cancelled':
        s.status = 'cancelled';
        s.updatedAt = now();
        return;
      default:
        return;
    }
  }

  function newSession(owner: string, init: Pick<SimSession, 'title' | 'browserMode' | 'promptMode' | 'sessionType'> & Partial<SimSession>): SimSession {
    const at = now();
    const s: SimSession = {
      id: newId('sess'),
      owner,
      createdAt: at,
      updatedAt: at,
      callbacks: [],
      messages: [],
      status: 'idle',
      spawned: new Set(),
      ...init,
    };
    sessions.set(s.id, s);
    return s;
  }

  function sessionData(s: SimSession): Record<string, unknown> {
    const toolCallCount = s.messages.reduce((n, m) => n + (m.toolCalls?.length ?? 0), 0);
    return {
      id: s.id,
      title: s.title,
      createdAt: s.createdAt,
      updatedAt: s.updatedAt,
      userMessageCount: s.messages.filter((m) => m.role === 'user').length,
      assistantMessageCount: s.messages.filter((m) => m.role === 'assistant').length,
      toolCallCount,
      promptTokens: 0,
      completionTokens: 0,
      cost: 0,
      firstUserMessage: s.messages.find((m) => m.role === 'user')?.content,
      sessionType: s.sessionType,
      parentSessionId: s.parentSessionId,
      browserMode: s.browserMode,
      promptMode: s.promptMode,
      callbacks: s.callbacks,
      // assumption field (routes.ts): processing | idle | cancelled | failed
      status: s.status,
    };
  }

  const ok = (body: unknown, status = 200): SandboxResponse => ({ status, body });

  function reset(): void {
    for (const s of sessions.values()) stopRun(s);
    sessions.clear();
  }

  function create(req: SandboxRequest): SandboxResponse {
    const b = (req.body ?? {}) as Record<string, unknown>;
    // The seed's checks, in the same order as the client's.
    if (!isNonBlank(b.title)) throw bad('missing_title', 'title is required');
    if (typeof b.browserMode !== 'string' || !BROWSER_MODES.includes(b.browserMode))
      throw bad('invalid_browser_mode', `browserMode is required and must be one of ${BROWSER_MODES.join(', ')}`);
    if (b.browserMode === 'remote-cdp-websocket' && !isNonBlank(b.cdpUrl))
      throw bad('missing_cdp_url', 'cdpUrl is required when browserMode is remote-cdp-websocket');
    if (b.cdpUrl !== undefined && (typeof b.cdpUrl !== 'string' || !/^wss?:\/\//.test(b.cdpUrl)))
      throw bad('invalid_cdp_url', "cdpUrl must start with 'ws://' or 'wss://'");
    const promptMode = b.promptMode ?? 'default';
    if (typeof promptMode !== 'string' || !PROMPT_MODES.includes(promptMode))
      throw bad('invalid_prompt_mode', `promptMode must be one of ${PROMPT_MODES.join(', ')}`);
    let customSystemPrompt: string | undefined;
    if (promptMode !== 'default' && b.customSystemPrompt !== undefined) {
      if (typeof b.customSystemPrompt !== 'string') throw bad('invalid_custom_system_prompt', 'customSystemPrompt must be a string');
      const size = Buffer.byteLength(b.customSystemPrompt, 'utf8');
      const max = PROMPT_LIMITS[promptMode]!;
      if (size > max) throw bad(`prompt_size_exceeded_${promptMode}`, `customSystemPrompt is ${size} bytes; ${promptMode} mode allows ${max}`);
      customSystemPrompt = b.customSystemPrompt;
    }
    // In default mode the prompt is ignored (seed), whatever its size.
    if (b.sessionType !== undefined && b.sessionType !== 'main') throw bad('invalid_session_type', "only 'main' sessions can be created through the API");
    if (b.subagentType !== undefined && b.subagentType !== null && b.subagentType !== '')
      throw bad('subagent_type_not_allowed', 'subagentType must not be set for API-created sessions');
    const callbacks = validateCallbacks(b.callbacks, false);
    const first = typeof b.firstUserMessage === 'string' && b.firstUserMessage !== '' ? b.firstUserMessage : undefined;

    const s = newSession(req.identity, {
      title: b.title,
      browserMode: b.browserMode,
      cdpUrl: b.cdpUrl as string | undefined,
      promptMode,
      customSystemPrompt,
      sessionType: 'main',
      callbacks,
      status: 'processing',
    });
    if (first) append(s, { role: 'user', content: first });
    const run = new ScriptedRun(ctx.scripts.forText(`${b.title}\n${first ?? ''}`), { tickMs: ctx.tickMs, idPrefix: 'q' });
    s.run = run;
    s.unsubscribe = run.subscribe((e) => onEvent(s, e));
    return ok(sessionData(s), 201);
  }

  return {
    platform: 'mix',
    authenticate(headers) {
      const key = bearer(headers);
      const identity = ctx.keys.identity('mix', key);
      return identity && key ? { identity, credential: key } : undefined;
    },
    // assumption (routes.ts): ErrorResponse = {error: {code: <status>, type: <code>, message}}
    errorBody: (status, code, detail, requestId) => ({ error: { code: status, type: code, message: detail }, request_id: requestId }),
    reset,
    snapshot(): { sessions: MixSessionState[] } {
      return {
        sessions: [...sessions.values()].map(({ run, unsubscribe, spawned, ...s }) => ({
          ...s,
          run: run?.toJSON(),
          subscribed: unsubscribe !== undefined,
          spawned: [...spawned],
        })),
      };
    },
    restore(data: unknown) {
      const snap = structuredClone(data) as { sessions: MixSessionState[] };
      reset();
      for (const { run: state, subscribed, spawned, ...rest } of snap.sessions) {
        const s: SimSession = { ...rest, spawned: new Set(spawned) };
        if (state) {
          const run = ScriptedRun.restore(state.steps, state, { tickMs: ctx.tickMs, idPrefix: 'q' });
          s.run = run;
          if (subscribed) s.unsubscribe = run.subscribe((e) => onEvent(s, e));
          else run.dispose(); // it had been stopped (rewind): keep it still
        }
        sessions.set(s.id, s);
      }
    },
    routes: [
      {
        method: 'GET',
        pattern: '/api/sessions',
        handler: (req) => {
          const raw = req.query.get('includeSubagents');
          const include = raw === 'true' || raw === '1';
          const list = [...sessions.values()].filter((s) => s.owner === req.identity && (include || s.sessionType === 'main'));
          return ok(list.map(sessionData));
        },
      },
      { method: 'POST', pattern: '/api/sessions', handler: create },
      { method: 'GET', pattern: '/api/sessions/{id}', handler: (req) => ok(sessionData(find(req))) },
      {
        method: 'DELETE',
        pattern: '/api/sessions/{id}',
        handler: (req) => {
          const s = find(req);
          stopRun(s);
          sessions.delete(s.id);
          return { status: 204 };
        },
      },
      {
        method: 'PATCH',
        pattern: '/api/sessions/{id}/callbacks',
        handler: (req) => {
          const s = find(req);
          s.callbacks = validateCallbacks((req.body as Record<string, unknown>).callbacks, true);
          s.spawned.clear();
          s.updatedAt = now();
          return ok(sessionData(s));
        },
      },
      {
        method: 'GET',
        pattern: '/api/sessions/{id}/export',
        handler: (req) => {
          const s = find(req);
          const { status: _status, callbacks: _cb, ...meta } = sessionData(s);
          return ok({ ...meta, messages: s.messages.map((m) => ({ ...m, toolCalls: m.toolCalls?.map((t) => ({ ...t })) })) });
        },
      },
      {
        method: 'POST',
        pattern: '/api/sessions/{id}/rewind',
        handler: (req) => {
          const s = find(req);
          const b = req.body as Record<string, unknown>;
          if (!isNonBlank(b.messageId)) throw bad('missing_message_id', 'messageId is required');
          const idx = s.messages.findIndex((m) => m.id === b.messageId);
          if (idx < 0) throw new HttpError(404, 'not_found', `message ${String(b.messageId)} not found in session ${s.id}`);
          // Rewinding under a running agent would race it: stop processing first, silently.
          if (s.status === 'processing') {
            stopRun(s);
            s.run?.cancel();
          }
          s.messages.length = idx + 1;
          s.status = 'idle';
          s.updatedAt = now();
          return ok(sessionData(s));
        },
      },
      {
        method: 'POST',
        pattern: '/api/sessions/{id}/cancel',
        handler: (req) => {
          const s = find(req);
          // Idempotent: a second call (or one on an idle session) answers cancelled=false.
          const cancelled = s.status === 'processing' && (s.run?.cancel() ?? false);
          if (cancelled) s.status = 'cancelled';
          return ok({ cancelled });
        },
      },
    ],
  };
}
