/**
 * Cron-scheduled monitors (issue 11, parts 2 and 3): a monitor whose schedule Switchboard owns.
 * One `scheduledMonitor` entity workflow per monitor (`monitor-<key>`, the same key space as Track
 * monitors, so a key names one monitor of either kind) and one Temporal Schedule (`monitor-<key>`)
 * whose action starts a tiny `scheduledMonitorTick` workflow that only wakes the entity.
 *
 * This module holds the spec (start input), the update arguments, the state and the pure logic the
 * workflow decides with (cron check, value extraction, conditions). Workflow-safe: zod only.
 */
import { z } from 'zod';
import { credentialAlias } from './aliases.js';
import { type AuditEntry, gateSettings, type GateOutcome, quorumFits } from './gates.js';
import { lazy } from './lazy.js';
import { monitorKey, TRIGGER_OPS } from './monitors.js';

// ---------------------------------------------------------------- cron

/** Ranges of the five cron fields: minute, hour, day of month, month, day of week. */
const CRON_FIELDS: readonly { name: string; min: number; max: number; names?: readonly string[] }[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
  },
  { name: 'day of week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];
const CRON_MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

/**
 * Why a cron expression is refused, or undefined when it is a standard five-field expression
 * (`*`, numbers, ranges `a-b`, steps `/n`, lists `,`, month and weekday names) or a macro
 * (`@daily`…). The Temporal server parses `cronExpressions` only when the Schedule is created, and
 * the TypeScript client passes them through unchecked, so a typo would surface as a failed
 * activity deep in a workflow; this check refuses it at the edge (client, CLI, workflow input).
 * Time zones go in `timezone`, not in a `CRON_TZ=` prefix; seconds go in an interval.
 */
export function cronProblem(expr: string): string | undefined {
  const e = expr.trim();
  if (e.startsWith('@'))
    return CRON_MACROS.includes(e.toLowerCase()) ? undefined : `unknown macro ${e} (use ${CRON_MACROS.join(', ')})`;
  if (/^CRON_TZ=|^TZ=/i.test(e)) return 'put the time zone in timezone (--tz), not in the expression';
  const fields = e.split(/\s+/);
  if (fields.length !== 5)
    return `a cron expression has 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}`;
  for (let i = 0; i < 5; i++) {
    const spec = CRON_FIELDS[i]!;
    const why = cronFieldProblem(fields[i]!, spec);
    if (why) return `${spec.name} field "${fields[i]}": ${why}`;
  }
  return undefined;
}

function cronFieldProblem(field: string, spec: (typeof CRON_FIELDS)[number]): string | undefined {
  const value = (s: string): number | undefined => {
    if (/^\d{1,2}$/.test(s)) return Number(s);
    const i = spec.names?.indexOf(s.toUpperCase()) ?? -1;
    return i >= 0 ? i + (spec.min === 1 ? 1 : 0) : undefined;
  };
  for (const part of field.split(',')) {
    const m = /^([^/]+)(?:\/(\d{1,2}))?$/.exec(part);
    if (!m) return 'not a cron field';
    const [, range, step] = m;
    if (step !== undefined && Number(step) < 1) return 'a step must be at least 1';
    if (range === '*' || (range === '?' && spec.min !== 0)) continue;
    const ends = range!.split('-');
    if (ends.length > 2) return 'a range is a-b';
    const nums = ends.map(value);
    if (nums.some((n) => n === undefined)) return `"${range}" is not a number or a name`;
    if (nums.some((n) => n! < spec.min || n! > spec.max)) return `values must be ${spec.min}-${spec.max}`;
    if (nums.length === 2 && nums[0]! > nums[1]!) return `range ${range} runs backwards`;
  }
  return undefined;
}

/** Whether `tz` is an IANA time zone the runtime knows (`UTC`, `Europe/Berlin`). */
export function knownTimeZone(tz: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- spec

/** Temporal Schedule overlap policies (see `ScheduleOverlapPolicy`). Ticks end at once, so SKIP rarely matters. */
export const OVERLAP_POLICIES = [
  'SKIP',
  'BUFFER_ONE',
  'BUFFER_ALL',
  'CANCEL_OTHER',
  'TERMINATE_OTHER',
  'ALLOW_ALL',
] as const;

const isoTime = () => z.string().datetime({ offset: true, message: 'must be an ISO 8601 time (2026-12-01T09:00:00Z)' });

/**
 * When ticks fire: cron expressions and/or intervals (seconds; a Schedule fires every second if
 * asked), in a time zone, with jitter, between a start and an end, with the Schedule's overlap
 * policy and catch-up window. Calendars are not offered (cron expressions cover them).
 */
export const monitorScheduleSpec = lazy(() =>
  z
    .object({
      cron: z
        .array(
          z
            .string()
            .trim()
            .max(120)
            .superRefine((e, ctx) => {
              const why = cronProblem(e);
              if (why) ctx.addIssue({ code: 'custom', message: `bad cron "${e}": ${why}` });
            }),
        )
        .max(10)
        .default([]),
      /** Seconds between ticks (at least 1). */
      everySeconds: z
        .array(
          z
            .number()
            .int()
            .min(1, 'an interval is at least 1 second')
            .max(366 * 86_400),
        )
        .max(10)
        .default([]),
      timezone: z
        .string()
        .max(64)
        .refine(knownTimeZone, 'timezone must be an IANA time zone (UTC, Europe/Berlin)')
        .default('UTC'),
      /** Up to this many seconds added to each tick at random (the Schedule's jitter). */
      jitterSeconds: z.number().int().min(0).max(86_400).default(0),
      /** No tick before this time ("start on a date"). */
      startAt: isoTime().optional(),
      /** No tick after this time. */
      endAt: isoTime().optional(),
      overlap: z.enum(OVERLAP_POLICIES).default('SKIP'),
      /** Ticks missed while the server was down are still fired within this many seconds. @default 60 */
      catchupWindowSeconds: z
        .number()
        .int()
        .min(10)
        .max(30 * 86_400)
        .default(60),
    })
    .strict()
    .superRefine((s, ctx) => {
      if (s.cron.length + s.everySeconds.length === 0)
        ctx.addIssue({ code: 'custom', message: 'a schedule needs a cron expression or an interval' });
      if (s.startAt && s.endAt && Date.parse(s.endAt) <= Date.parse(s.startAt))
        ctx.addIssue({ code: 'custom', path: ['endAt'], message: 'endAt must be after startAt' });
    }),
);
export type MonitorScheduleSpec = z.input<ReturnType<typeof monitorScheduleSpec>>;
export type MonitorScheduleSpecParsed = z.output<ReturnType<typeof monitorScheduleSpec>>;

const shortText = (max: number) => z.string().trim().min(1).max(max);

/** What each tick checks. The check's value is what conditions and alerts look at. */
export const monitorCheck = lazy(() =>
  z.discriminatedUnion('kind', [
    /** Fires one tick of a Web Agent Track monitor; the value is the new snapshot's `data`. */
    z.object({ kind: z.literal('track_run_now'), monitorId: shortText(200) }).strict(),
    /** A WebSearch; the value is `{count, urls, titles, summary}`. A 202 is polled through the retry policy. */
    z
      .object({
        kind: z.literal('web_search'),
        query: shortText(1_000),
        engines: z.array(shortText(50)).max(5).optional(),
      })
      .strict(),
    /** A light DeepResearch without the outline gate; the value is `{status, sections, title}`. */
    z.object({ kind: z.literal('deep_research'), topic: shortText(2_000) }).strict(),
    /** Invokes an ArchAstro routine with `idempotency_key` = monitor + tick time; the value is the run's result. */
    z
      .object({
        kind: z.literal('archastro_routine'),
        routineId: shortText(200),
        message: z.string().max(4_000).optional(),
      })
      .strict(),
  ]),
);
export type MonitorCheck = z.output<ReturnType<typeof monitorCheck>>;

/** The platform each check kind calls (the `SwitchboardProvider` search attribute). */
export const CHECK_PLATFORM: Record<MonitorCheck['kind'], 'webagent' | 'archastro'> = {
  track_run_now: 'webagent',
  web_search: 'webagent',
  deep_research: 'webagent',
  archastro_routine: 'archastro',
};

/**
 * The condition (the Track trigger DSL subset): `lt`/`gt` compare numbers, `eq` any scalar,
 * `contains` a substring or an array member, `changed` any change since the last value. `field` is
 * a dotted path into the check's value (`price`, `urls.0`); omitted, the whole value. Unknown
 * operators are refused.
 */
export const monitorCondition = lazy(() =>
  z
    .object({
      op: z.enum(TRIGGER_OPS, {
        errorMap: () => ({ message: `unknown condition: op must be one of ${TRIGGER_OPS.join(', ')}` }),
      }),
      field: z
        .string()
        .regex(
          /^[A-Za-z0-9_]{1,64}(\.[A-Za-z0-9_]{1,64}){0,7}$/,
          'field must be a dotted path of names (price, results.0.url)',
        )
        .optional(),
      value: z.union([z.number().finite(), z.string().max(1_000), z.boolean()]).optional(),
    })
    .strict()
    .superRefine((d, ctx) => {
      if (d.op !== 'changed' && d.value === undefined)
        ctx.addIssue({ code: 'custom', path: ['value'], message: `${d.op} needs a value` });
      if ((d.op === 'lt' || d.op === 'gt') && typeof d.value !== 'number')
        ctx.addIssue({ code: 'custom', path: ['value'], message: `${d.op} compares numbers` });
    }),
);
export type MonitorCondition = z.output<ReturnType<typeof monitorCondition>>;

/** Alert rules: what is worth a message, and how many messages. */
export const alertRules = lazy(() =>
  z
    .object({
      /** Alert once after this many consecutive failed ticks (again only after a success). */
      afterFailures: z.number().int().min(1).max(1_000).optional(),
      /** Alert when the value has not changed (or no tick succeeded) for this many seconds. */
      silenceSeconds: z
        .number()
        .int()
        .min(1)
        .max(365 * 86_400)
        .optional(),
      /** Collect condition hits and send one digest per this many seconds instead of one message each. */
      digestSeconds: z
        .number()
        .int()
        .min(1)
        .max(30 * 86_400)
        .optional(),
      /** The same alert key within this many seconds is sent once. */
      dedupeSeconds: z
        .number()
        .int()
        .min(1)
        .max(30 * 86_400)
        .optional(),
    })
    .strict(),
);
export type AlertRules = z.output<ReturnType<typeof alertRules>>;

/** The start input of `scheduledMonitor`. */
export const scheduledMonitorInput = lazy(() =>
  z
    .object({
      /** The business key (also in the workflow and Schedule ids). */
      key: monitorKey(),
      description: z.string().trim().max(500).optional(),
      check: monitorCheck(),
      schedule: monitorScheduleSpec(),
      condition: monitorCondition().optional(),
      /** Where alerts go: an endpoint alias of the webhook outbox (`SWITCHBOARD_WEBHOOK_<ALIAS>_URL`), never a URL. */
      notify: z
        .object({
          endpoint: credentialAlias('notify.endpoint must be an outbox endpoint alias (not a URL)').default('default'),
        })
        .strict()
        .default({}),
      alerts: alertRules().default({}),
      credentialAlias: credentialAlias('credentialAlias must be an alias, never a key').default('default'),
      /** Who answers a Track clarification met by a `track_run_now` check (the one gate). */
      ...gateSettings(),
    })
    .strict()
    .superRefine(quorumFits),
);
export type ScheduledMonitorInput = z.input<ReturnType<typeof scheduledMonitorInput>>;
export type ScheduledMonitorInputParsed = z.output<ReturnType<typeof scheduledMonitorInput>>;

// ---------------------------------------------------------------- ids

/** The entity's workflow id and the Schedule's id: `monitor-<key>` (one key space with Track monitors). */
export const scheduledMonitorId = (key: string) => `monitor-${key}`;
/** The tick workflow's id prefix; the Schedule appends the tick's time. */
export const tickWorkflowIdPrefix = (key: string) => `monitor-${key}.tick`;
/** The workflow types, as the client and the Schedule name them. */
export const SCHEDULED_MONITOR_TYPE = 'scheduledMonitor';
export const SCHEDULED_MONITOR_TICK_TYPE = 'scheduledMonitorTick';

// ---------------------------------------------------------------- messages

/** The tick's wake: names the tick workflow run. It is a claim the entity checks against the Schedule. */
export const wakeArgs = lazy(() =>
  z.object({ tickWorkflowId: z.string().min(1).max(300), tickRunId: z.string().min(1).max(100) }).strict(),
);
export type WakeArgs = z.input<ReturnType<typeof wakeArgs>>;
export const tickInput = lazy(() => z.object({ key: monitorKey() }).strict());
export type TickInput = z.input<ReturnType<typeof tickInput>>;

export const smonPauseArgs = lazy(() => z.object({ note: z.string().trim().min(1).max(500).optional() }).strict());
export const smonResumeArgs = smonPauseArgs;
export const smonRunNowArgs = lazy(() => z.object({}).strict());
export const smonSnoozeArgs = lazy(() =>
  z
    .object({
      /** Until when notifications are dropped (checks keep running). A time in the past ends the snooze. */
      until: isoTime(),
    })
    .strict(),
);
export const smonBackfillArgs = lazy(() =>
  z
    .object({ from: isoTime(), to: isoTime() })
    .strict()
    .refine((b) => Date.parse(b.to) > Date.parse(b.from), 'backfill: to must be after from'),
);
export const smonCancelArgs = lazy(() => z.object({ reason: z.string().trim().min(1).max(500).optional() }).strict());
export type SmonPauseArgs = z.input<ReturnType<typeof smonPauseArgs>>;
export type SmonSnoozeArgs = z.input<ReturnType<typeof smonSnoozeArgs>>;
export type SmonBackfillArgs = z.input<ReturnType<typeof smonBackfillArgs>>;
export type SmonCancelArgs = z.input<ReturnType<typeof smonCancelArgs>>;

/** What a Schedule operation asks of the activity. */
export type ScheduleOp =
  | { op: 'pause'; note: string }
  | { op: 'unpause'; note: string }
  | { op: 'trigger' }
  | { op: 'backfill'; from: string; to: string }
  | { op: 'delete' }
  | { op: 'describe' };

/** The Schedule as the activity read it. */
export interface ScheduleView {
  scheduleId: string;
  paused: boolean;
  note?: string;
  nextRunAt?: string;
  actionsTaken?: number;
}

// ---------------------------------------------------------------- state

export const SMON_STATUSES = ['starting', 'active', 'paused', 'waiting', 'cancelled'] as const;
export type SmonStatus = (typeof SMON_STATUSES)[number];

/** One change or alert kept for digests and for `show` (bounded). */
export interface MonitorEvent {
  at: string;
  kind: 'condition' | 'failure' | 'silence';
  value?: unknown;
  detail?: string;
}

/** The entity's state (the `scheduledMonitorState` query; bounded). */
export interface ScheduledMonitorState {
  status: SmonStatus;
  scheduleId: string;
  /** A readable line of the schedule (`every 60s; cron 0 9 * * *; UTC`). */
  scheduleText: string;
  pausedNote?: string;
  /** The last value a successful check produced (bounded JSON). */
  lastValue?: unknown;
  lastValueAt?: string;
  /** When the value last changed. */
  lastChangeAt?: string;
  /** The last verified tick: its scheduled time and when the check ended. */
  lastTickAt?: string;
  lastScheduledAt?: string;
  nextRunAt?: string;
  lastError?: string;
  consecutiveFailures: number;
  snoozedUntil?: string;
  /** Condition hits waiting for the next digest (newest last, at most {@link MAX_DIGEST}). */
  digest: MonitorEvent[];
  digestDropped: number;
  digestDueAt?: string;
  /** Alert keys sent, with when (for de-duplication; bounded). */
  dedupe: Record<string, string>;
  /** Since when nothing has changed (the last change, or the monitor's start): silence is measured from here. */
  quietSince: string;
  /** Silence was reported for the quiet period that began at this time (alert once per period). */
  silenceAlertedFor?: string;
  failureAlerted: boolean;
  /** Value last alerted on by the condition (edge-triggered: a hit on the same value is not repeated). */
  lastAlertedValue?: string;
  /** Verified tick run ids recently handled (a repeated wake is not a second tick). */
  recentTicks: string[];
  /** A Track clarification met by the check, waiting at the gate. */
  pendingRequest?: { id: string; prompt?: string; digest: string };
  counts: {
    /** Verified ticks whose check ran. */
    ticks: number;
    checksFailed: number;
    /** Ticks that arrived while a person decided (approval-aware overlap): no check ran. */
    skippedWhileWaiting: number;
    /** Ticks that arrived while the previous check still ran. */
    skippedOverlap: number;
    /** Wakes that were not a tick of this monitor's Schedule (forged, or repeated). */
    wakesRefused: number;
    /** Condition hits (changes worth a message). */
    hits: number;
    alertsSent: number;
    /** Dropped while snoozed. */
    alertsDropped: number;
    /** Dropped as duplicates within the dedupe window. */
    alertsDeduped: number;
    digestsSent: number;
  };
  seq: number;
  /** Recent alerts and hits (newest last, at most {@link MAX_EVENTS}). */
  events: MonitorEvent[];
}

export const MAX_DIGEST = 50;
export const MAX_EVENTS = 20;
export const MAX_DEDUPE_KEYS = 100;
export const MAX_RECENT_TICKS = 20;
/** Largest check value kept in state (bytes of JSON); larger values are cut to a digest of themselves. */
export const MAX_VALUE_BYTES = 8 * 1024;

export interface ScheduledMonitorResult extends ScheduledMonitorState {
  decisions: GateOutcome[];
  audit: AuditEntry[];
}

/** What survives continue-as-new. */
export interface CarriedScheduledMonitor {
  state: ScheduledMonitorState;
  gate: { decided: GateOutcome[]; audit: AuditEntry[] };
}

/** The carry's outline (it comes only from a run this workflow continued; see requireOwnContinuation). */
export const carriedScheduledMonitor = lazy(() =>
  z.object({
    state: z
      .object({
        status: z.enum(SMON_STATUSES),
        scheduleId: z.string().max(200),
        scheduleText: z.string().max(2_000),
        consecutiveFailures: z.number().int().min(0),
        digestDropped: z.number().int().min(0),
        failureAlerted: z.boolean(),
        seq: z.number().int().min(0),
        counts: z.record(z.number().int().min(0)),
        digest: z.array(z.unknown()).max(MAX_DIGEST),
        events: z.array(z.unknown()).max(MAX_EVENTS),
        recentTicks: z.array(z.string().max(100)).max(MAX_RECENT_TICKS),
        dedupe: z.record(z.string().max(100)).refine((d) => Object.keys(d).length <= MAX_DEDUPE_KEYS),
      })
      .passthrough(),
    gate: z.object({ decided: z.array(z.unknown()).max(50), audit: z.array(z.unknown()).max(200) }).passthrough(),
  }),
);

/** What an update of a scheduled monitor answers. */
export interface SmonUpdateOutcome {
  ok: boolean;
  status: SmonStatus;
  detail?: string;
  schedule?: ScheduleView;
}

// ---------------------------------------------------------------- pure logic (workflow-safe)

/** The value at a dotted path (`results.0.url`), or the whole value without a path. */
export function extract(value: unknown, field?: string): unknown {
  if (!field) return value;
  let v: unknown = value;
  for (const part of field.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** A stable text of a value for comparison (key order as produced; values come from one activity). */
export const valueText = (v: unknown): string => (v === undefined ? 'undefined' : JSON.stringify(v));

/**
 * Whether the condition holds on this tick's value (`previous` is the last value, for `changed`).
 * Without a condition every change of the value is a hit.
 */
export function conditionHolds(
  c: MonitorCondition | undefined,
  value: unknown,
  previous: unknown,
  hadPrevious: boolean,
): boolean {
  if (!c) return hadPrevious && valueText(value) !== valueText(previous);
  const v = extract(value, c.field);
  switch (c.op) {
    case 'lt':
      return typeof v === 'number' && v < (c.value as number);
    case 'gt':
      return typeof v === 'number' && v > (c.value as number);
    case 'eq':
      return v === c.value;
    case 'contains':
      if (typeof v === 'string') return v.includes(String(c.value));
      return Array.isArray(v) && v.some((x) => x === c.value || (typeof x === 'string' && x.includes(String(c.value))));
    case 'changed':
      return hadPrevious && valueText(v) !== valueText(extract(previous, c.field));
  }
}

/** A readable line of the schedule spec. */
export function scheduleText(s: MonitorScheduleSpecParsed): string {
  const parts = [...s.everySeconds.map((e) => `every ${e}s`), ...s.cron.map((c) => `cron "${c}"`)];
  if (s.jitterSeconds) parts.push(`jitter ${s.jitterSeconds}s`);
  if (s.startAt) parts.push(`from ${s.startAt}`);
  if (s.endAt) parts.push(`until ${s.endAt}`);
  return `${parts.join(', ')} (${s.timezone})`;
}
