/**
 * Mix sessions and messages: the seed's `/api/sessions…` routes with its create checks, a scripted
 * agent per session that writes the transcript, callbacks that actually fire, export, rewind and
 * cancel. The stream is in ./stream.ts, questions and permissions in ./notifications.ts.
 *
 * Wire truth is the published SDK (mix-python-sdk 0.8.1), not our guesses (see src/providers/mix/wire.ts):
 * - Work starts with `POST /api/sessions/{id}/messages {text, max_steps?, plan_mode?, thinking_level?}`
 *   → 202 `{sessionId, status}`; create only makes the session (a `firstUserMessage` in the create
 *   body is ignored, as the SDK's CreateSessionRequest has no such field).
 * - SessionData has no `status` field: progress is the stream's to tell.
 *
 * Script choice: a `script:<name>` token in the title or the message that starts the turn (else
 * `default`). Each scripted `emit` becomes an assistant message with one completed tool call, after
 * which the session's callbacks run: `send_message` appends its user message, `sub_agent` spawns a
 * subagent session once per callback (listed only with `includeSubagents=true`). A scripted `ask`
 * becomes a `permission` or a `notification` question (./notifications.ts).
 */
import { ScriptedRun, type RunEvent } from '../../agent.js';
import { HttpError, newId, type Route, type SandboxRequest, type SandboxResponse } from '../../framework.js';
import {
  bad,
  isNonBlank,
  type MixCore,
  type MixSessionState,
  now,
  ok,
  type SimCallback,
  type SimSession,
} from './core.js';
import type { MixAsks } from './notifications.js';

const BROWSER_MODES = ['electron-embedded-browser', 'local-browser-service', 'remote-cdp-websocket'];
const PROMPT_MODES = ['default', 'append', 'replace'];
const CALLBACK_TYPES = ['bash_script', 'sub_agent', 'send_message'];
const PROMPT_LIMITS: Record<string, number> = { append: 51_200, replace: 102_400 };
const THINKING_LEVELS = ['off', 'basic', 'medium', 'maximum'];

/** The platform's callback check (same rules the client applies; enforced here independently). */
function validateCallbacks(raw: unknown, required: boolean): SimCallback[] {
  if (raw === undefined && !required) return [];
  if (!Array.isArray(raw)) throw bad('invalid_callbacks', 'callbacks must be an array');
  return raw.map((cb: unknown, i) => {
    if (!cb || typeof cb !== 'object' || Array.isArray(cb))
      throw bad('invalid_callback', `callbacks[${i}] must be an object`);
    const c = cb as SimCallback;
    if (!isNonBlank(c.toolName)) throw bad('invalid_callback', `callbacks[${i}].toolName is required`);
    if (!CALLBACK_TYPES.includes(c.type))
      throw bad('invalid_callback', `callbacks[${i}].type must be one of ${CALLBACK_TYPES.join(', ')}`);
    if (c.type === 'send_message' && !isNonBlank(c.messageContent))
      throw bad('invalid_callback', `callbacks[${i}].messageContent is required for send_message`);
    if (c.type === 'send_message' && c.excludeFromContext === true)
      throw bad('invalid_callback', `callbacks[${i}].excludeFromContext is not allowed for send_message`);
    if (c.type === 'bash_script' && !isNonBlank(c.bashCommand))
      throw bad('invalid_callback', `callbacks[${i}].bashCommand is required for bash_script`);
    if (c.type === 'sub_agent' && !isNonBlank(c.subAgentPrompt))
      throw bad('invalid_callback', `callbacks[${i}].subAgentPrompt is required for sub_agent`);
    return { ...c };
  });
}

/** The sessions + messages area: its routes, and the session state for reset/snapshot/restore. */
export interface MixSessionArea {
  routes: Route[];
  reset: () => void;
  snapshot: () => { sessions: MixSessionState[] };
  restore: (data: unknown) => void;
}

export function createSessionArea(core: MixCore, asks: MixAsks): MixSessionArea {
  const { ctx, sessions, frame, find, append } = core;

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
        // `Bash` is one of the SDK's CoreToolName values.
        const toolName = 'Bash';
        const call = {
          id: newId('call'),
          name: toolName,
          type: 'tool_use',
          input: JSON.stringify({ step: e.seq }),
          result: e.text,
          finished: true,
        };
        const msg = append(s, { role: 'assistant', content: e.text, finishReason: 'tool_use', toolCalls: [call] });
        frame(s, 'content', { assistantMessageId: msg.id, content: e.text });
        frame(s, 'tool_use_start', { id: call.id, name: toolName, assistantMessageId: msg.id });
        frame(s, 'tool_execution_start', { toolCallId: call.id, toolName, progress: 'running' });
        frame(s, 'tool_execution_complete', { toolCallId: call.id, toolName, progress: e.text, success: true });
        runCallbacks(s, toolName);
        return;
      }
      case 'input_request':
        // Mix asks through a `permission` or a `notification` question; the run waits for the answer.
        asks.open(s, e);
        return;
      case 'input_answered':
        asks.drop(s);
        return;
      case 'completed': {
        const msg = append(s, { role: 'assistant', content: e.text, finishReason: 'end_turn' });
        s.status = 'idle';
        frame(s, 'content', { assistantMessageId: msg.id, content: e.text });
        frame(s, 'complete', { done: true, content: e.text, messageId: msg.id });
        return;
      }
      case 'failed': {
        append(s, { role: 'assistant', content: e.text, finishReason: 'error' });
        s.status = 'failed';
        // The platform retried the turn and gave up: the last attempt is the final one.
        frame(s, 'error', { error: e.text, attempt: 3, maxAttempts: 3, type: 'internal_error' });
        return;
      }
      case 'cancelled':
        s.status = 'cancelled';
        asks.drop(s);
        s.updatedAt = now();
        // assumption: a cancelled turn ends with an `error` frame whose (free-string) type is `cancelled`.
        frame(s, 'error', { error: 'processing cancelled', type: 'cancelled' });
        return;
      default:
        return;
    }
  }

  /** Starts a turn: a new scripted run reading the session's title and the message that starts it. */
  function startTurn(s: SimSession, text: string): void {
    stopRun(s);
    s.status = 'processing';
    const run = new ScriptedRun(ctx.scripts.forText(`${s.title}\n${text}`), { tickMs: ctx.tickMs, idPrefix: 'q' });
    // (The stream's `error` frame for a failed turn carries attempt = maxAttempts: Mix gave up.)
    s.run = run;
    s.unsubscribe = run.subscribe((e) => onEvent(s, e));
  }

  function newSession(
    owner: string,
    init: Pick<SimSession, 'title' | 'browserMode' | 'promptMode' | 'sessionType'> & Partial<SimSession>,
  ): SimSession {
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
      frames: [],
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
      // No `status`: the SDK's SessionData has none; progress is the stream's to tell.
    };
  }

  function reset(): void {
    for (const close of [...core.openStreams]) close();
    for (const s of sessions.values()) {
      stopRun(s);
      asks.drop(s);
    }
    asks.reset();
    sessions.clear();
  }

  /** `POST /api/sessions/{id}/messages`: the one way work starts or continues (202). */
  function sendMessage(req: SandboxRequest): SandboxResponse {
    const s = find(req);
    const b = req.body ?? {};
    if (!isNonBlank(b.text)) throw bad('missing_text', 'text is required');
    if (
      b.max_steps !== undefined &&
      b.max_steps !== null &&
      (!Number.isInteger(b.max_steps) || (b.max_steps as number) < 1)
    )
      throw bad('invalid_max_steps', 'max_steps must be a positive integer');
    if (b.plan_mode !== undefined && typeof b.plan_mode !== 'boolean')
      throw bad('invalid_plan_mode', 'plan_mode must be a boolean');
    if (
      b.thinking_level !== undefined &&
      b.thinking_level !== null &&
      !(typeof b.thinking_level === 'string' && THINKING_LEVELS.includes(b.thinking_level))
    )
      throw bad('invalid_thinking_level', `thinking_level must be one of ${THINKING_LEVELS.join(', ')}`);
    append(s, { role: 'user', content: b.text });
    // A message during a turn reaches the running agent; otherwise it starts the next turn.
    // assumption: an open permission or question is answered only through grant/deny/respond (the
    // SDK's operations for them); a message meanwhile stays in the transcript and answers nothing.
    if (s.status === 'processing' && s.run && !s.run.terminal) {
      if (!s.ask) s.run.message(b.text);
    } else startTurn(s, b.text);
    return ok({ sessionId: s.id, status: 'processing' }, 202);
  }

  function create(req: SandboxRequest): SandboxResponse {
    const b = req.body ?? {};
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
      if (typeof b.customSystemPrompt !== 'string')
        throw bad('invalid_custom_system_prompt', 'customSystemPrompt must be a string');
      const size = Buffer.byteLength(b.customSystemPrompt, 'utf8');
      const max = PROMPT_LIMITS[promptMode]!;
      if (size > max)
        throw bad(
          `prompt_size_exceeded_${promptMode}`,
          `customSystemPrompt is ${size} bytes; ${promptMode} mode allows ${max}`,
        );
      customSystemPrompt = b.customSystemPrompt;
    }
    // In default mode the prompt is ignored (seed), whatever its size.
    if (b.sessionType !== undefined && b.sessionType !== 'main')
      throw bad('invalid_session_type', "only 'main' sessions can be created through the API");
    if (b.subagentType !== undefined && b.subagentType !== null && b.subagentType !== '')
      throw bad('subagent_type_not_allowed', 'subagentType must not be set for API-created sessions');
    const callbacks = validateCallbacks(b.callbacks, false);

    const s = newSession(req.identity, {
      title: b.title,
      browserMode: b.browserMode,
      cdpUrl: b.cdpUrl,
      promptMode,
      customSystemPrompt,
      sessionType: 'main',
      callbacks,
    });
    frame(s, 'session_created', { sessionId: s.id, title: s.title, createdAt: Date.parse(s.createdAt) });
    return ok(sessionData(s), 201);
  }

  return {
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
        asks.rearm(s);
      }
    },
    routes: [
      {
        method: 'GET',
        pattern: '/api/sessions',
        handler: (req) => {
          const raw = req.query.get('includeSubagents');
          const include = raw === 'true' || raw === '1';
          const list = [...sessions.values()].filter(
            (s) => s.owner === req.identity && (include || s.sessionType === 'main'),
          );
          return ok(list.map(sessionData));
        },
      },
      { method: 'POST', pattern: '/api/sessions', handler: create },
      { method: 'POST', pattern: '/api/sessions/{id}/messages', handler: sendMessage },
      {
        method: 'GET',
        pattern: '/api/sessions/{id}/messages',
        handler: (req) => {
          const s = find(req);
          // SDK BackendMessage: one row per message; a user row carries `userInput`, an assistant row
          // `assistantResponse`.
          return ok(
            s.messages.map((m) => ({
              id: m.id,
              role: m.role,
              sessionId: s.id,
              userInput: m.role === 'user' ? m.content : '',
              ...(m.role === 'assistant' ? { assistantResponse: m.content } : {}),
              ...(m.toolCalls ? { toolCalls: m.toolCalls } : {}),
            })),
          );
        },
      },
      { method: 'GET', pattern: '/api/sessions/{id}', handler: (req) => ok(sessionData(find(req))) },
      {
        method: 'DELETE',
        pattern: '/api/sessions/{id}',
        handler: (req) => {
          const s = find(req);
          stopRun(s);
          asks.drop(s);
          frame(s, 'session_deleted', { sessionId: s.id });
          sessions.delete(s.id);
          core.listeners.delete(s.id);
          return { status: 204 };
        },
      },
      {
        method: 'PATCH',
        pattern: '/api/sessions/{id}/callbacks',
        handler: (req) => {
          const s = find(req);
          s.callbacks = validateCallbacks(req.body.callbacks, true);
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
          return ok({
            ...meta,
            messages: s.messages.map((m) => ({ ...m, toolCalls: m.toolCalls?.map((t) => ({ ...t })) })),
          });
        },
      },
      {
        method: 'POST',
        pattern: '/api/sessions/{id}/rewind',
        handler: (req) => {
          const s = find(req);
          const b = req.body;
          if (!isNonBlank(b.messageId)) throw bad('missing_message_id', 'messageId is required');
          const idx = s.messages.findIndex((m) => m.id === b.messageId);
          if (idx < 0)
            throw new HttpError(404, 'not_found', `message ${String(b.messageId)} not found in session ${s.id}`);
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
