/**
 * Wyse Mate teams and their sessions (seed: `client.user`, `client.team`, `client.agent`,
 * `client.session`): a fixed catalogue of API keys, teams and agents, enough for several pages at
 * small page sizes; sessions on a team with their messages.
 *
 * - `session/create` starts a {@link ScriptedRun} picked by the task text (`script:<name>`). The task
 *   is the first message (a `user`/`human` message); every run event appends one message.
 * - A session opens a browser at creation and a second one at its second progress event
 *   (./browsers.ts).
 * - `session/stop` stops a running session (status `stopped`); on an ended session it is a no-op.
 */
import { type RunEvent, ScriptedRun, type ScriptedRunState } from '../../agent.js';
import { HttpError, newId, type Route, type SandboxRequest } from '../../framework.js';
import type { SandboxContext } from '../../server.js';
import { ROUTES as R } from '../../../providers/wysemate/routes.js';
import type { Browsers } from './browsers.js';
import { ISO, need, ok, paged, paging } from './common.js';

export interface SimMessage {
  message_id: string;
  source: string;
  source_type: string;
  source_component: string;
  content: string;
  message: unknown;
  type: string;
  created_at: string;
  attachments: unknown[];
  session_round: number;
}

export interface SimSession {
  session_id: string;
  owner: string;
  team_id: string;
  agent_id: string;
  name: string;
  task: string;
  run: ScriptedRun;
  messages: SimMessage[];
  browsers: string[];
  createdMs: number;
  updatedMs: number;
  endedMs?: number;
}

/** A session as JSON (its run as its state). */
export type SimSessionState = Omit<SimSession, 'run'> & { run: ScriptedRunState };

const CREATED = '2025-01-01T00:00:00.000Z';

/** The fixed catalogue: 9 agents, 12 teams, 7 API keys per identity. */
function catalogue() {
  const agentTypes = ['coder', 'designer', 'wyse_browser'];
  const agents = Array.from({ length: 9 }, (_, i) => ({
    agent_id: `agent_${String(i + 1).padStart(2, '0')}`,
    user_id: 'system',
    avatar: '',
    name: `Agent ${i + 1}`,
    description: `Simulated ${agentTypes[i % 3]} agent`,
    system_message: 'You are a helpful agent.',
    component_type: 'agent',
    model: {
      system_model_id: 'model_1',
      provider: 'openai',
      model_type: 'gpt-4',
      icon_url: '',
      created_at: CREATED,
      updated_at: CREATED,
    },
    agent_type: agentTypes[i % 3]!,
    parameters: { system_prompt_role: 'assistant', system_prompt_task_skill: 'general', temperature: 0.2 },
    created_at: CREATED,
    updated_at: CREATED,
  }));
  const teams = Array.from({ length: 12 }, (_, i) => ({
    team_id: `team_${String(i + 1).padStart(2, '0')}`,
    user_id: 'default',
    avatar: '',
    name: `Team ${i + 1}`,
    description: `Simulated team ${i + 1}`,
    component_type: 'team',
    team_type: i % 3 === 2 ? 'shared' : 'personal',
    agents: [agents[i % agents.length]!, agents[(i + 1) % agents.length]!],
    termination: 'max_rounds',
    model: agents[0]!.model,
    parameters: { max_turns: 20 },
    created_at: CREATED,
    updated_at: CREATED,
    deleted_at: 0,
  }));
  return { agents, teams };
}

/** Maps the scripted run onto the platform's status words (see routes.ts `SESSION_STATUS`). */
function statusOf(s: SimSession): string {
  switch (s.run.status) {
    case 'running':
      return s.run.events.length === 0 ? 'created' : 'active';
    case 'awaiting_input':
      return 'paused';
    case 'completed':
      return 'completed';
    case 'failed':
      return 'error';
    case 'cancelled':
      return 'stopped';
  }
}

export type TeamSessions = ReturnType<typeof createTeamSessions>;

export function createTeamSessions(ctx: SandboxContext, browsers: () => Browsers) {
  const { agents, teams } = catalogue();
  const sessions = new Map<string, SimSession>();

  function sessionFor(req: SandboxRequest, id: string): SimSession {
    const s = sessions.get(id);
    // Another credential's session is indistinguishable from a missing one.
    if (!s || s.owner !== req.identity) throw new HttpError(404, 'not_found', `session ${id} not found`);
    return s;
  }

  function openBrowser(s: SimSession): void {
    s.browsers.push(browsers().open(s.owner, s.session_id));
  }

  function appendMessage(
    s: SimSession,
    m: Pick<SimMessage, 'source' | 'source_type' | 'source_component' | 'content' | 'type'> & { message?: unknown },
  ): void {
    const now = Date.now();
    s.messages.push({
      message_id: newId('msg'),
      message: m.message ?? { content: m.content },
      attachments: [],
      session_round: 1,
      created_at: ISO(now),
      ...m,
    });
    s.updatedMs = now;
  }

  /** One run event → one message. */
  function onEvent(s: SimSession, e: RunEvent): void {
    const agent = { source: 'assistant', source_type: 'llm', source_component: s.agent_id };
    switch (e.type) {
      case 'progress':
        appendMessage(s, { ...agent, type: 'text', content: e.text });
        if (e.seq === 2) openBrowser(s);
        break;
      case 'input_request':
        appendMessage(s, { ...agent, type: 'question', content: e.text, message: e.data });
        break;
      case 'input_answered':
      case 'message_received':
        appendMessage(s, {
          source: 'user',
          source_type: 'human',
          source_component: s.owner,
          type: 'text',
          content: e.text,
        });
        break;
      case 'completed':
        appendMessage(s, { ...agent, type: 'summary', content: e.text });
        s.endedMs = Date.now();
        break;
      case 'failed':
        appendMessage(s, {
          source: 'system',
          source_type: 'system',
          source_component: 'system',
          type: 'error',
          content: e.text,
        });
        s.endedMs = Date.now();
        break;
      case 'cancelled':
        appendMessage(s, {
          source: 'system',
          source_type: 'system',
          source_component: 'system',
          type: 'text',
          content: 'session stopped',
        });
        s.endedMs = Date.now();
        break;
    }
  }

  function sessionView(s: SimSession) {
    const end = s.endedMs ?? Date.now();
    return {
      session_id: s.session_id,
      status: statusOf(s),
      browser_id: s.browsers[0] ?? '',
      team_id: s.team_id,
      intent_id: '',
      name: s.name,
      task: [{ role: 'user', content: s.task, metadata: null }],
      task_result: s.run.status === 'completed' ? { result: s.run.result ?? '' } : {},
      messages: s.messages,
      duration: Math.floor((end - s.createdMs) / 1000),
      error_message: s.run.error ?? '',
      attachments: [],
      platform: 'api',
      visibility: 'private',
      created_at: ISO(s.createdMs),
      updated_at: ISO(s.updatedMs),
    };
  }

  function parseTs(q: URLSearchParams, name: string): number | undefined {
    const raw = q.get(name);
    if (!raw) return undefined;
    const t = Date.parse(raw);
    if (Number.isNaN(t)) throw new HttpError(400, 'bad_request', `${name} is not a timestamp`);
    return t;
  }

  const routes: Route[] = [
    {
      method: 'GET',
      pattern: R.apiKeyList,
      handler: (req) => {
        const { pageNum, pageSize } = paging(req, 10);
        const keys = Array.from({ length: 7 }, (_, i) => ({
          id: i + 1,
          name: `key-${i + 1}`,
          api_key: i === 0 ? `${req.credential.slice(0, 6)}…` : `mk_…${String(i).padStart(4, '0')}`,
          created_at: CREATED,
          last_used_at: CREATED,
        }));
        return ok(paged(keys, pageNum, pageSize));
      },
    },
    {
      method: 'GET',
      pattern: R.teamList,
      handler: (req) => {
        const { pageNum, pageSize } = paging(req, 10);
        const type = req.query.get('team_type') || 'all';
        return ok(paged(type === 'all' ? teams : teams.filter((t) => t.team_type === type), pageNum, pageSize));
      },
    },
    {
      method: 'GET',
      pattern: R.teamInfo,
      handler: (req) => {
        const t = teams.find((x) => x.team_id === req.params.team_id);
        if (!t) throw new HttpError(404, 'not_found', `team ${req.params.team_id} not found`);
        return ok(t);
      },
    },
    {
      method: 'GET',
      pattern: R.agentList,
      handler: (req) => {
        const { pageNum, pageSize } = paging(req, 10);
        const type = req.query.get('agent_type') || 'all';
        return ok(paged(type === 'all' ? agents : agents.filter((a) => a.agent_type === type), pageNum, pageSize));
      },
    },
    {
      method: 'GET',
      pattern: R.agentInfo,
      handler: (req) => {
        const a = agents.find((x) => x.agent_id === req.params.agent_id);
        if (!a) throw new HttpError(404, 'not_found', `agent ${req.params.agent_id} not found`);
        return ok(a);
      },
    },
    {
      method: 'POST',
      pattern: R.sessionCreate,
      handler: (req) => {
        const { team_id, task, title } = req.body as { team_id?: unknown; task?: unknown; title?: unknown };
        if (typeof team_id !== 'string' || !team_id) throw new HttpError(400, 'bad_request', 'team_id is required');
        if (task !== undefined && typeof task !== 'string')
          throw new HttpError(400, 'bad_request', 'task must be a string');
        if (title !== undefined && title !== null && typeof title !== 'string')
          throw new HttpError(400, 'bad_request', 'title must be a string');
        const team = teams.find((t) => t.team_id === team_id);
        if (!team) throw new HttpError(404, 'not_found', `team ${team_id} not found`);
        const text = task ?? '';
        const now = Date.now();
        const session_id = newId('session');
        // The run's first step fires one tick from now, after the subscription below.
        const run = new ScriptedRun(ctx.scripts.forText(text), { tickMs: ctx.tickMs, idPrefix: 'q' });
        const s: SimSession = {
          session_id,
          owner: req.identity,
          team_id,
          agent_id: team.agents[0]!.agent_id,
          name: (title as string | undefined) || text.slice(0, 50) || 'New Session',
          task: text,
          run,
          messages: [],
          browsers: [],
          createdMs: now,
          updatedMs: now,
        };
        sessions.set(session_id, s);
        appendMessage(s, {
          source: 'user',
          source_type: 'human',
          source_component: req.identity,
          type: 'text',
          content: text,
        });
        openBrowser(s);
        run.subscribe((e) => onEvent(s, e));
        return ok({ session_id });
      },
    },
    {
      method: 'GET',
      pattern: R.sessionInfo,
      handler: (req) => ok(sessionView(sessionFor(req, req.params.session_id!))),
    },
    {
      method: 'PUT',
      pattern: R.sessionInfo,
      handler: (req) => {
        const s = sessionFor(req, req.params.session_id!);
        const { title, session_id } = req.body as { title?: unknown; session_id?: unknown };
        if (session_id !== undefined && session_id !== s.session_id)
          throw new HttpError(400, 'bad_request', 'session_id does not match the path');
        if (typeof title !== 'string' || title.trim() === '')
          throw new HttpError(400, 'bad_request', 'title is required');
        s.name = title;
        s.updatedMs = Date.now();
        return ok(null);
      },
    },
    {
      method: 'POST',
      pattern: R.sessionStop,
      handler: (req) => {
        const s = sessionFor(req, req.params.session_id!);
        // Stopping an ended session changes nothing (assumption: the platform answers success).
        s.run.cancel();
        return ok(null);
      },
    },
    {
      method: 'GET',
      pattern: R.sessionMessages,
      handler: (req) => {
        const s = sessionFor(req, need(req.query, 'session_id'));
        const { pageNum, pageSize } = paging(req, 20);
        const role = req.query.get('role')?.toLowerCase();
        const content = req.query.get('content')?.toLowerCase();
        const from = parseTs(req.query, 'from_timestamp');
        const to = parseTs(req.query, 'to_timestamp');
        const items = s.messages.filter((m) => {
          const at = Date.parse(m.created_at);
          return (
            (!role || m.source.toLowerCase() === role) &&
            (!content || m.content.toLowerCase().includes(content)) &&
            (from === undefined || at >= from) &&
            (to === undefined || at <= to)
          );
        });
        return ok(paged(items, pageNum, pageSize));
      },
    },
    {
      method: 'GET',
      pattern: R.sessionMessagesBetween,
      handler: (req) => {
        const s = sessionFor(req, need(req.query, 'session_id'));
        const fromId = need(req.query, 'from_message_id');
        const toId = need(req.query, 'to_message_id');
        const a = s.messages.findIndex((m) => m.message_id === fromId);
        const b = s.messages.findIndex((m) => m.message_id === toId);
        if (a < 0) throw new HttpError(404, 'not_found', `message ${fromId} not found`);
        if (b < 0) throw new HttpError(404, 'not_found', `message ${toId} not found`);
        // Inclusive on both ends, in session order whichever id was given first.
        return ok(s.messages.slice(Math.min(a, b), Math.max(a, b) + 1));
      },
    },
  ];

  return {
    routes,
    /** The caller's session's browser ids (404 when the session is not theirs). */
    browsersOf: (req: SandboxRequest, sessionId: string): string[] => sessionFor(req, sessionId).browsers,
    snapshot: (): SimSessionState[] => [...sessions.values()].map((s) => ({ ...s, run: s.run.toJSON() })),
    /** Restores a {@link snapshot} into an empty state (after {@link reset}). */
    restore(list: SimSessionState[]): void {
      for (const ss of list) {
        const s: SimSession = {
          ...ss,
          run: ScriptedRun.restore(ss.run.steps, ss.run, { tickMs: ctx.tickMs, idPrefix: 'q' }),
        };
        s.run.subscribe((e) => onEvent(s, e));
        sessions.set(s.session_id, s);
      }
    },
    reset(): void {
      for (const s of sessions.values()) s.run.dispose();
      sessions.clear();
    },
  };
}
