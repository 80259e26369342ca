/**
 * What the ArchAstro simulator's product areas share: the records they keep, the one state object
 * they keep them in, and the small request readers every area uses. The wire shapes come from the
 * published SDKs (see src/providers/archastro/wire.ts).
 */
import type { ScriptedRun, ScriptedRunState } from '../../agent.js';
import { HttpError } from '../../framework.js';
import { HANDLER_TYPES, PRESET_SESSION_MODES, PRESET_SESSION_SCOPES } from '../../../providers/archastro/wire.js';

export type SessionStatus = 'pending' | 'running' | 'waiting' | 'completed' | 'failed' | 'cancelled';
export type RunStatus = 'pending' | 'running' | 'completed' | 'failed' | 'skipped' | 'cancelled';
export type RoutineStatus = 'draft' | 'active' | 'paused';

export const TERMINAL: ReadonlySet<SessionStatus> = new Set(['completed', 'failed', 'cancelled']);
export const TERMINAL_RUN: ReadonlySet<RunStatus> = new Set(['completed', 'failed', 'skipped', 'cancelled']);
export const SESSION_STATUSES: readonly SessionStatus[] = [
  'pending',
  'running',
  'waiting',
  'completed',
  'failed',
  'cancelled',
];
export const RUN_STATUSES: readonly RunStatus[] = ['pending', 'running', 'completed', 'failed', 'skipped', 'cancelled'];
export { HANDLER_TYPES, PRESET_SESSION_MODES, PRESET_SESSION_SCOPES };
export const INVOKED = 'agentroutine.invoked';

export interface TrajectoryEntry {
  id: string;
  type: 'message' | 'question' | 'result' | 'error' | 'cancelled';
  role: 'assistant' | 'user' | 'tool' | 'system';
  content: string;
  created_at: string;
}

export interface InboxMessage {
  id: string;
  role: string;
  content: string;
  metadata: Record<string, unknown>;
  created_at: string;
}

export interface SimSession {
  seq: number;
  id: string;
  agent: string;
  instructions: string;
  name: string | null;
  metadata: Record<string, unknown>;
  max_turns: number;
  max_tokens: number;
  max_runs_per_turn: number;
  start_idle: boolean;
  team: string | null;
  thread: string | null;
  user: string | null;
  routine_run: string | null;
  /** Created by a routine invocation rather than directly by the app (`exclude_system`). */
  system: boolean;
  status: SessionStatus;
  turns: number;
  tokens_used: number;
  inbox: InboxMessage[];
  trajectory: TrajectoryEntry[];
  result: string | null;
  error: string | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  completed_at: string | null;
  /** The session's Trajectory id, set when the agent first picks it up. */
  trajectory_id: string | null;
  run?: ScriptedRun;
  pickup?: NodeJS.Timeout;
  /** Why the sim stopped the agent itself (limits): turns the `cancelled` event into `failed`. */
  abortReason?: string;
  /** The routine run whose outcome this session's current turn decides. */
  currentRun?: string;
}

export interface SimRoutine {
  id: string;
  name: string;
  description: string | null;
  lookup_key: string | null;
  agent: string;
  status: RoutineStatus;
  event_type: string | null;
  event_config: Record<string, unknown> | null;
  handler_type: (typeof HANDLER_TYPES)[number];
  config: string | null;
  script: string | null;
  preset_name: string | null;
  preset_config: Record<string, unknown>;
  steps: unknown[];
  schedule: string | null;
  trigger_context: string | null;
  acl: unknown;
  metadata: Record<string, unknown>;
  user?: string | null;
  created_at: string;
  updated_at: string;
}

export interface SimRun {
  seq: number;
  id: string;
  routine: string;
  agent: string;
  /** The session the run's turn happens in (internal: the SDK's run has no such field). */
  agent_session: string | null;
  status: RunStatus;
  idempotency_key: string | null;
  payload: Record<string, unknown>;
  metadata: Record<string, unknown>;
  /** The run's output: an object (sdk `AgentRoutineRun.result`); null until the run ends. */
  result: Record<string, unknown> | null;
  structured_response: Record<string, unknown> | null;
  duration_ms: number | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  completed_at: string | null;
}

/** Everything the simulator keeps, shared by its areas. */
export interface AaState {
  sessions: Map<string, SimSession>;
  routines: Map<string, SimRoutine>;
  runs: Map<string, SimRun>;
  /** `${routineId} ${idempotency_key}` → newest run id for that key. */
  runsByKey: Map<string, string>;
  /** `${routineId} ${session_key}` → session id (session_mode `session`, scope `per_key`). */
  sessionsByKey: Map<string, string>;
  /** One counter orders sessions and runs (newest first lists, run cursors). */
  seq: number;
}

/** The simulator's state as JSON: sessions carry their run's state, not the run or its timers. */
export interface AaSnapshot {
  sessions: (Omit<SimSession, 'run' | 'pickup'> & { run?: ScriptedRunState })[];
  routines: SimRoutine[];
  runs: SimRun[];
  runsByKey: [string, string][];
  sessionsByKey: [string, string][];
  seq: number;
}

export const now = () => new Date().toISOString();

export function fail(status: number, code: string, message: string): never {
  throw new HttpError(status, code, message);
}

export function optInt(body: Record<string, unknown>, name: string, def: number): number {
  const v = body[name];
  if (v === undefined || v === null) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    fail(422, 'validation_error', `${name} must be a positive integer`);
  return v;
}

export function optString(body: Record<string, unknown>, name: string): string | null {
  const v = body[name];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') fail(422, 'validation_error', `${name} must be a string`);
  return v;
}

export function optObject(body: Record<string, unknown>, name: string): Record<string, unknown> | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) fail(422, 'validation_error', `${name} must be an object`);
  return v as Record<string, unknown>;
}

/**
 * A multi-value query parameter as Plug reads it: `name[]` repeated is a list; a bare `name`
 * repeated keeps only its last value (archastro-sdk runtime/http_client.py says as much); a value
 * may itself be comma-separated (the SDK's `list` docs).
 */
export function multi(q: URLSearchParams, name: string): string[] {
  const list = q.getAll(`${name}[]`);
  const bare = q.getAll(name).at(-1);
  // The SDK's docs also allow one comma-separated value.
  return (list.length > 0 ? list : bare === undefined ? [] : [bare])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

export const json = (status: number, body?: unknown) => ({ status, body });

/** Path prefixes of the two product areas (the SDKs' resources). */
export const S = '/api/v1/agent_sessions';
export const R = '/api/v1/agent_routines';
