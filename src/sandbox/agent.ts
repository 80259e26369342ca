/**
 * Scripted agents: the behaviour behind every simulated session/task in the sandbox.
 *
 * A script is a list of steps ("emit 5 events, ask for input, then finish"). Platform simulators
 * map a run's generic state and events onto their own status names and wire shapes. A task picks
 * its script with a `script:<name>` token in its instructions/task text; scripts are registered
 * through `POST /_control/scripts` or come from {@link BUILTIN_SCRIPTS}.
 */

export type ScriptStep =
  /** Emit `count` progress events (one per tick). */
  | { type: 'emit'; count?: number; text?: string }
  /**
   * Ask the human for input and pause until answered. `meta` is handed to the platform simulator
   * in the request's event data (e.g. Mix: a `permission`, or a question's response type, choices
   * and timeout); simulators that read none ignore it.
   */
  | { type: 'ask'; prompt?: string; meta?: Record<string, unknown> }
  /** Stay running, emitting nothing, for `ms`. */
  | { type: 'wait'; ms: number }
  /** Stay running until a human message arrives (lets tests send one mid-run deterministically). */
  | { type: 'await_message' }
  | { type: 'finish'; result?: string }
  | { type: 'fail'; error?: string };

export type RunStatus = 'running' | 'awaiting_input' | 'completed' | 'failed' | 'cancelled';

export interface RunEvent {
  /** 1-based, dense: the SSE id and the message cursor. */
  seq: number;
  type: 'progress' | 'input_request' | 'input_answered' | 'message_received' | 'completed' | 'failed' | 'cancelled';
  text: string;
  data?: Record<string, unknown>;
  at: number;
}

export const BUILTIN_SCRIPTS: Record<string, ScriptStep[]> = {
  default: [
    { type: 'emit', count: 3 },
    { type: 'finish', result: 'done' },
  ],
  ask: [
    { type: 'emit', count: 2 },
    { type: 'ask', prompt: 'Which option?' },
    { type: 'emit', count: 2 },
    { type: 'finish' },
  ],
  chatty: [{ type: 'emit', count: 100 }, { type: 'finish' }],
  'wait-message': [
    { type: 'emit', count: 1 },
    { type: 'await_message' },
    { type: 'emit', count: 1 },
    { type: 'finish' },
  ],
  long: [{ type: 'emit', count: 1 }, { type: 'wait', ms: 600_000 }, { type: 'finish' }],
  // Mix's own human-in-the-loop, to try from the CLI (`--task "… script:permission"`): a tool
  // permission, then a multiple-choice question with the platform's timeout.
  permission: [
    { type: 'emit', count: 1 },
    {
      type: 'ask',
      prompt: 'Clean the build directory',
      meta: { mix: 'permission', toolName: 'Bash', action: 'rm -rf build/' },
    },
    { type: 'emit', count: 1 },
    { type: 'finish', result: 'cleaned' },
  ],
  choice: [
    { type: 'emit', count: 1 },
    {
      type: 'ask',
      prompt: 'Which region should the report cover?',
      meta: { responseType: 'choice', choices: ['eu', 'us', 'apac'], timeoutSeconds: 3600 },
    },
    { type: 'emit', count: 1 },
    { type: 'finish', result: 'reported' },
  ],
  fail: [
    { type: 'emit', count: 1 },
    { type: 'fail', error: 'agent crashed' },
  ],
};

const TERMINAL: ReadonlySet<RunStatus> = new Set(['completed', 'failed', 'cancelled']);

/** A run's state as JSON (see {@link ScriptedRun.toJSON}); listeners and timers are not part of it. */
export interface ScriptedRunState {
  steps: ScriptStep[];
  status: RunStatus;
  events: RunEvent[];
  pendingInput?: { id: string; prompt: string };
  result?: string;
  error?: string;
  messages: string[];
  pc: number;
  remainingEmits: number;
  inputSeq: number;
  /** Wall-clock ms of the next scheduled tick; absent when none is (parked or terminal). */
  nextTickAt?: number;
}

/** A running scripted agent. Time advances by `tickMs` per step. */
export class ScriptedRun {
  status: RunStatus = 'running';
  readonly events: RunEvent[] = [];
  pendingInput?: { id: string; prompt: string };
  result?: string;
  error?: string;
  readonly messages: string[] = [];
  private pc = 0;
  private remainingEmits = -1;
  private timer?: NodeJS.Timeout;
  private nextTickAt?: number;
  private inputSeq = 0;
  private readonly listeners = new Set<(e: RunEvent) => void>();

  constructor(
    private readonly steps: ScriptStep[],
    private readonly opts: { tickMs: number; idPrefix?: string; onChange?: (run: ScriptedRun) => void },
  ) {
    this.schedule(opts.tickMs);
  }

  /** The run's state as plain JSON, for {@link ScriptedRun.restore}. */
  toJSON(): ScriptedRunState {
    return {
      steps: this.steps,
      status: this.status,
      events: this.events,
      pendingInput: this.pendingInput,
      result: this.result,
      error: this.error,
      messages: this.messages,
      pc: this.pc,
      remainingEmits: this.remainingEmits,
      inputSeq: this.inputSeq,
      nextTickAt: this.nextTickAt,
    };
  }

  /**
   * Resumes a run from {@link ScriptedRun.toJSON} output at the step it was on: a running run
   * ticks on (its pending tick fires when it was due, at once if overdue), a run awaiting input or
   * a message keeps waiting (same request id), a terminal run stays terminal. Events and their seq
   * are kept. Subscribe right after: the first tick fires asynchronously.
   */
  static restore(
    steps: ScriptStep[],
    state: ScriptedRunState,
    opts: { tickMs: number; idPrefix?: string; onChange?: (run: ScriptedRun) => void },
  ): ScriptedRun {
    const run = new ScriptedRun(steps, opts);
    clearTimeout(run.timer);
    run.nextTickAt = undefined;
    run.status = state.status;
    run.events.push(...state.events.map((e) => ({ ...e })));
    run.pendingInput = state.pendingInput ? { ...state.pendingInput } : undefined;
    run.result = state.result;
    run.error = state.error;
    run.messages.push(...state.messages);
    run.pc = state.pc;
    run.remainingEmits = state.remainingEmits;
    run.inputSeq = state.inputSeq;
    if (run.status === 'running' && state.nextTickAt !== undefined)
      run.schedule(Math.max(0, state.nextTickAt - Date.now()));
    return run;
  }

  get terminal(): boolean {
    return TERMINAL.has(this.status);
  }

  /** Subscribes to new events; returns an unsubscribe function. */
  subscribe(fn: (e: RunEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Answers the pending input request. Returns false when `requestId` is not the pending one. */
  answer(requestId: string, response: unknown): boolean {
    if (this.status !== 'awaiting_input' || this.pendingInput?.id !== requestId) return false;
    this.emit('input_answered', 'input answered', { request_id: requestId, response });
    this.pendingInput = undefined;
    this.status = 'running';
    this.pc += 1;
    this.schedule(this.opts.tickMs);
    return true;
  }

  /** Delivers a human message; resumes a run parked on `await_message` or `ask`. */
  message(text: string): void {
    this.messages.push(text);
    this.emit('message_received', text);
    const step = this.steps[this.pc];
    if (step?.type === 'await_message') {
      this.pc += 1;
      this.schedule(this.opts.tickMs);
    } else if (this.status === 'awaiting_input' && this.pendingInput) {
      // A message answers a pending question too (ArchAstro inbox messages resume a waiting session).
      this.answer(this.pendingInput.id, text);
    }
  }

  cancel(): boolean {
    if (this.terminal) return false;
    clearTimeout(this.timer);
    this.nextTickAt = undefined;
    this.status = 'cancelled';
    this.pendingInput = undefined;
    this.emit('cancelled', 'cancelled');
    return true;
  }

  /** Stops timers without changing state (sandbox reset). */
  dispose(): void {
    clearTimeout(this.timer);
    this.nextTickAt = undefined;
    this.listeners.clear();
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.nextTickAt = Date.now() + ms;
    this.timer = setTimeout(() => this.tick(), ms);
    this.timer.unref?.();
  }

  private emit(type: RunEvent['type'], text: string, data?: Record<string, unknown>): void {
    const e: RunEvent = { seq: this.events.length + 1, type, text, data, at: Date.now() };
    this.events.push(e);
    for (const l of this.listeners) l(e);
    this.opts.onChange?.(this);
  }

  private tick(): void {
    this.nextTickAt = undefined;
    if (this.terminal || this.status === 'awaiting_input') return;
    const step = this.steps[this.pc];
    if (!step) {
      this.status = 'completed';
      this.emit('completed', 'completed');
      return;
    }
    switch (step.type) {
      case 'emit': {
        if (this.remainingEmits < 0) this.remainingEmits = step.count ?? 1;
        if (this.remainingEmits > 0) {
          this.remainingEmits -= 1;
          const n = (step.count ?? 1) - this.remainingEmits;
          this.emit('progress', step.text ?? `step ${n} of ${step.count ?? 1}`);
        }
        if (this.remainingEmits === 0) {
          this.remainingEmits = -1;
          this.pc += 1;
        }
        this.schedule(this.opts.tickMs);
        return;
      }
      case 'ask': {
        this.inputSeq += 1;
        const id = `${this.opts.idPrefix ?? 'ir'}_${this.inputSeq}_${Math.random().toString(36).slice(2, 8)}`;
        this.pendingInput = { id, prompt: step.prompt ?? 'Input needed' };
        this.status = 'awaiting_input';
        this.emit('input_request', this.pendingInput.prompt, {
          request_id: id,
          prompt: this.pendingInput.prompt,
          ...(step.meta ? { meta: step.meta } : {}),
        });
        return;
      }
      case 'wait':
        this.pc += 1;
        this.schedule(step.ms);
        return;
      case 'await_message':
        return; // resumed by message()
      case 'finish':
        this.status = 'completed';
        this.result = step.result ?? `finished after ${this.events.length} events`;
        this.emit('completed', this.result, { result: this.result });
        return;
      case 'fail':
        this.status = 'failed';
        this.error = step.error ?? 'failed';
        this.emit('failed', this.error, { error: this.error });
        return;
    }
  }
}

/** Registry of named scripts (built-ins plus those registered by tests). */
export class ScriptBook {
  private scripts = new Map<string, ScriptStep[]>(Object.entries(BUILTIN_SCRIPTS));

  set(name: string, steps: ScriptStep[]): void {
    this.scripts.set(name, steps);
  }

  /** Scripts registered on top of (or over) the built-ins, for persistence. */
  snapshot(): [string, ScriptStep[]][] {
    return [...this.scripts].filter(([name, steps]) => BUILTIN_SCRIPTS[name] !== steps);
  }

  restore(data: [string, ScriptStep[]][]): void {
    this.reset();
    for (const [name, steps] of data) this.scripts.set(name, steps);
  }

  reset(): void {
    this.scripts = new Map(Object.entries(BUILTIN_SCRIPTS));
  }

  /** Finds the script named by a `script:<name>` token in `text`, else `default`. */
  forText(text: string | undefined): ScriptStep[] {
    const m = text ? /script:([\w-]+)/.exec(text) : null;
    return this.scripts.get(m?.[1] ?? 'default') ?? this.scripts.get('default')!;
  }
}
