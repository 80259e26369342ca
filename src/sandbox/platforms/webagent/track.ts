/**
 * Web Agent Track simulator (seed: the Track section of web-agent-python-sdk.txt), one product area
 * of the Web Agent sim (./index.ts). Routes and wire shapes follow src/providers/webagent/routes.ts (assumptions
 * marked there).
 *
 * What the seed describes, and how the sandbox plays it:
 * - A monitor ticks on its own schedule (`interval` every `every_seconds`, `cron` on its expression;
 *   `event` only on `run_now`). Sandbox time scale: one schedule second lasts `ctx.trackSecondMs`
 *   (default `tickMs`) real milliseconds, so `every_seconds: 60` ticks every 600 ms at `tickMs` 10.
 *   Paused, clarifying and cancelled monitors do not tick.
 * - Each tick produces a snapshot row whose `data.price` moves deterministically (1049, 1019, 989, …
 *   and back after ten ticks), so a trigger like `{op: lt, field: price, value: 999}` fires on the
 *   third tick.
 * - When the trigger DSL judges the tick worth notifying, the notify channel fires: a delivery row
 *   is created and really POSTed to the `callback_url`, retried by the platform (3 attempts, 5 and 10
 *   ticks apart), then `dead`; `retry_delivery` re-sends a dead row once.
 * - Alignment HITL: an intent containing `ambiguous` starts in `pending_clarification`; one
 *   containing `clarify:N` asks after its N-th snapshot ("did you mean SKU A or SKU B?"). The
 *   question is emitted as an `alignment.input_request` event on the notify channel and answered
 *   with `intervene`; the answer (the SKU) shows in later snapshots' `data.sku`.
 * Error-path triggers without fault injection: an intent containing `safety:block` → 403; a
 * callback URL whose host or path contains `fail` answers 500 without a request (no receiver needed).
 */
import { request } from 'undici';
import { HttpError, newId, type Route, type SandboxRequest } from '../../framework.js';
import type { SandboxContext } from '../../server.js';
import { TRACK_ROUTES as T } from '../../../providers/webagent/routes.js';

type MonitorStatus = 'active' | 'paused' | 'pending_clarification' | 'cancelled';

interface Snapshot {
  id: string;
  monitor_id: string;
  created_at: string;
  notified: boolean;
  data: Record<string, unknown>;
}

/** One row of the monitor's webhook outbox. */
interface Delivery {
  id: string;
  /**
   * What the row notifies: a tick worth notifying, or an alignment question (assumption: the seed names the event, not
   * its channel).
   */
  event_type: 'track.snapshot' | 'alignment.input_request';
  snapshot_id: string | null;
  /**
   * `pending` while the platform still retries; `delivered` or `dead` after (assumption: the seed names only "dead").
   */
  status: 'pending' | 'delivered' | 'dead';
  attempts: number;
  last_error: string | null;
  /** HTTP status of the last attempt (null: no answer). */
  last_status: number | null;
  payload: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

export interface TrackMonitor {
  id: string;
  pid: string;
  status: MonitorStatus;
  intent: string;
  schedule: Record<string, unknown>;
  notify_channel: Record<string, unknown>;
  trigger_dsl?: unknown;
  pause_reason?: string | null;
  pending_request?: { id: string; prompt: string } | null;
  answeredRequests: string[];
  clarifications: unknown[];
  guidance: string[];
  /** Newest first (the seed: "snapshot history (newest first)"). */
  snapshots: Snapshot[];
  /** Newest first. */
  deliveries: Delivery[];
  /** Ticks made (scheduled and run_now); drives the price. */
  ticks: number;
  /** `clarify:N`: ask after this many snapshots (once). */
  askAfter?: number;
  asked?: boolean;
  created_at: string;
  updated_at: string;
}

/** Attempts the platform makes before a row is dead (assumption: the seed says only "dead row"). */
const MAX_ATTEMPTS = 3;
/** Ticks between the platform's own attempts: 5, then 10. */
const RETRY_TICKS = [5, 10];
/** A callback that does not answer within this is a failed attempt. */
const CALLBACK_TIMEOUT_MS = 5_000;
/** Cap on snapshots and deliveries kept per monitor (oldest dropped), so a long run stays bounded. */
const KEEP_ROWS = 1_000;
/** Cron search horizon: one year of minutes (a cron that never fires does not tick). */
const CRON_HORIZON_MIN = 366 * 24 * 60;

const now = () => new Date().toISOString();
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);

export interface TrackSimDeps {
  cursorPage<X extends { id: string }>(items: X[], q: URLSearchParams, toWire: (t: X) => unknown): unknown;
  checkSafety(text: string): void;
}

/** Parses one cron field into the set of values it allows, or undefined for "any". */
function cronField(f: string, min: number, max: number): Set<number> | undefined {
  if (f === '*' || f === '?') return undefined;
  const out = new Set<number>();
  for (const part of f.split(',')) {
    const m = /^(\*|\d+)(?:-(\d+))?(?:\/(\d+))?$/.exec(part);
    // Names, L, W, # are not simulated: such a field matches any value (assumption of the sandbox).
    if (!m) return undefined;
    const lo = m[1] === '*' ? min : Number(m[1]);
    const hi = m[2] !== undefined ? Number(m[2]) : m[1] === '*' || m[3] !== undefined ? max : lo;
    const step = Math.max(1, Number(m[3] ?? 1));
    for (let v = lo; v <= Math.min(hi, max); v += step) out.add(v);
  }
  return out;
}

/**
 * Minutes from `fromMin` (minutes since the epoch, UTC) to the next minute a 5- or 6-field cron
 * expression matches, or undefined. A 6-field expression's seconds field is ignored (it fires once
 * per matching minute); the time zone is UTC (both assumptions of the sandbox).
 */
export function nextCronMinute(expr: string, fromMin: number): number | undefined {
  let fields = expr.trim().split(/\s+/);
  if (fields.length === 6) fields = fields.slice(1);
  if (fields.length !== 5) return undefined;
  const [mi, ho, dom, mon, dow] = [
    cronField(fields[0]!, 0, 59),
    cronField(fields[1]!, 0, 23),
    cronField(fields[2]!, 1, 31),
    cronField(fields[3]!, 1, 12),
    cronField(fields[4]!, 0, 7),
  ];
  for (let i = 1; i <= CRON_HORIZON_MIN; i++) {
    const d = new Date((fromMin + i) * 60_000);
    const wd = d.getUTCDay();
    if (mi && !mi.has(d.getUTCMinutes())) continue;
    if (ho && !ho.has(d.getUTCHours())) continue;
    if (dom && !dom.has(d.getUTCDate())) continue;
    if (mon && !mon.has(d.getUTCMonth() + 1)) continue;
    if (dow && !dow.has(wd) && !(wd === 0 && dow.has(7))) continue;
    return i;
  }
  return undefined;
}

/** Evaluates the trigger DSL `{op: lt|gt|eq|changed|contains, field, value}`; no DSL → always notify. */
function triggers(dsl: unknown, data: Record<string, unknown>, prev: Record<string, unknown> | undefined): boolean {
  if (!dsl || typeof dsl !== 'object') return true;
  const d = dsl as { op?: string; field?: string; value?: unknown };
  const v = d.field ? data[d.field] : undefined;
  if (d.op === 'changed') return prev === undefined || JSON.stringify(prev[d.field ?? '']) !== JSON.stringify(v);
  if (d.op === 'contains') return typeof v === 'string' && typeof d.value === 'string' && v.includes(d.value);
  if (d.op === 'eq') return v === d.value;
  if (typeof v !== 'number' || typeof d.value !== 'number') return false;
  return d.op === 'lt' ? v < d.value : d.op === 'gt' ? v > d.value : true;
}

/** The Track product area: its routes and its state (for reset and persistence). */
export function createTrackSim(ctx: SandboxContext, deps: TrackSimDeps) {
  const monitors = new Map<string, TrackMonitor>();
  /** One schedule timer per monitor; retry timers per delivery. */
  const timers = new Map<string, NodeJS.Timeout>();
  const secondMs = () => ctx.trackSecondMs ?? ctx.tickMs;

  const setTimer = (key: string, ms: number, fn: () => void) => {
    clearTimeout(timers.get(key));
    const t = setTimeout(() => {
      timers.delete(key);
      fn();
    }, ms);
    t.unref?.();
    timers.set(key, t);
  };

  /** Real milliseconds to this monitor's next scheduled tick, or undefined when it has none. */
  function nextDelayMs(m: TrackMonitor): number | undefined {
    const s = m.schedule;
    if (s.kind === 'interval') {
      const every = Number(s.every_seconds);
      return Number.isFinite(every) && every > 0 ? every * secondMs() : undefined;
    }
    if (s.kind === 'cron') {
      const expr = str(s.expression) ?? str(s.expr);
      if (!expr) return undefined;
      // Schedule time runs `1000 / secondMs` times faster than real time from the monitor's creation.
      const created = Date.parse(m.created_at);
      const virtualNowMs = created + ((Date.now() - created) * 1000) / secondMs();
      const fromMin = Math.floor(virtualNowMs / 60_000);
      const mins = nextCronMinute(expr, fromMin);
      if (mins === undefined) return undefined;
      const virtualDue = (fromMin + mins) * 60_000;
      return Math.max(1, ((virtualDue - virtualNowMs) * secondMs()) / 1000);
    }
    return undefined; // `event`: ticks only on run_now (assumption: the sandbox has no event source)
  }

  function schedule(m: TrackMonitor): void {
    if (m.status === 'cancelled') return clearTimeout(timers.get(m.id));
    const ms = nextDelayMs(m);
    if (ms === undefined) return;
    setTimer(m.id, ms, () => {
      if (monitors.get(m.id) !== m || m.status === 'cancelled') return;
      // Paused and clarifying monitors skip their tick and wait for the next one.
      if (m.status === 'active') tick(m);
      schedule(m);
    });
  }

  function monWire(m: TrackMonitor) {
    return {
      id: m.id,
      status: m.status,
      intent: m.intent,
      schedule: m.schedule,
      notify_channel: m.notify_channel,
      trigger_dsl: m.trigger_dsl ?? null,
      pause_reason: m.pause_reason ?? null,
      pending_request: m.pending_request ?? null,
      created_at: m.created_at,
      updated_at: m.updated_at,
    };
  }

  function getMonitor(req: SandboxRequest): TrackMonitor {
    const m = monitors.get(req.params.monitor_id!);
    if (!m || m.pid !== req.params.project_id)
      throw new HttpError(404, 'monitor_not_found', `monitor ${req.params.monitor_id} not found`);
    return m;
  }

  function notCancelled(m: TrackMonitor): void {
    if (m.status === 'cancelled') throw new HttpError(409, 'conflict', `monitor ${m.id} is cancelled`);
  }

  function validateMonitorFields(b: Record<string, unknown>, partial: boolean): void {
    if (!partial || b.intent !== undefined)
      if (!str(b.intent)) throw new HttpError(422, 'validation_error', 'intent is required');
    if (!partial || b.schedule !== undefined) {
      const s = b.schedule as Record<string, unknown> | undefined;
      if (!s || typeof s !== 'object' || !['cron', 'interval', 'event'].includes(String(s.kind)))
        throw new HttpError(422, 'validation_error', 'schedule.kind must be cron, interval or event');
    }
    if (!partial || b.notify_channel !== undefined) {
      const c = b.notify_channel as Record<string, unknown> | undefined;
      if (
        !c ||
        typeof c !== 'object' ||
        !str(c.kind) ||
        (c.kind === 'callback_url' && !/^https?:\/\//.test(str(c.url) ?? ''))
      ) {
        throw new HttpError(422, 'validation_error', 'notify_channel needs a kind (callback_url needs an http(s) url)');
      }
    }
  }

  const keep = <X>(rows: X[]) => {
    if (rows.length > KEEP_ROWS) rows.length = KEEP_ROWS;
  };

  /**
   * Where a callback URL really goes: loopback as written, a host mapped with `/_control/hosts`
   * to its loopback origin, anything else nowhere (the sandbox never leaves the machine).
   */
  function target(url: string): string | undefined {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return undefined;
    }
    if (/^(127\.0\.0\.1|localhost|\[::1\])$/.test(u.hostname)) return u.toString();
    const origin = ctx.callbackHosts.get(u.hostname.toLowerCase());
    return origin ? `${origin}${u.pathname}${u.search}` : undefined;
  }

  /** One delivery attempt: a real POST to the monitor's callback URL. */
  async function attempt(m: TrackMonitor, d: Delivery): Promise<void> {
    const url = str(m.notify_channel.url) ?? '';
    d.attempts += 1;
    const body = JSON.stringify({ ...d.payload, delivery_id: d.id, attempt: d.attempts });
    let status: number | null = null;
    let error: string | null = null;
    // The `fail` marker is looked for in the host and path only (a receiver's `?fail_first=` is a real answer).
    const failing = /fail/.test(url.split('?')[0]!);
    const to = failing ? undefined : target(url);
    if (failing) {
      status = 500;
      error = 'callback answered 500';
    } else if (!to) {
      error = `could not connect: ${url} is not reachable from the sandbox (map its host with /_control/hosts)`;
    } else {
      try {
        const res = await request(to, {
          method: 'POST',
          body,
          headers: {
            'content-type': 'application/json',
            'user-agent': 'webagent-track-sandbox',
            // Assumption: the seed documents no delivery headers or signature for Track callbacks.
            'x-track-delivery-id': d.id,
            'x-track-event': d.event_type,
            'x-track-attempt': String(d.attempts),
          },
          signal: AbortSignal.timeout(CALLBACK_TIMEOUT_MS),
        });
        await res.body.dump();
        status = res.statusCode;
        if (status >= 300) error = `callback answered ${status}`;
      } catch (err) {
        error = `could not deliver: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    d.last_status = status;
    d.last_error = error;
    d.updated_at = now();
    if (!error) d.status = 'delivered';
    else if (d.attempts >= MAX_ATTEMPTS || d.status === 'dead') d.status = 'dead';
    else {
      d.status = 'pending';
      const wait = RETRY_TICKS[Math.min(d.attempts - 1, RETRY_TICKS.length - 1)]! * ctx.tickMs;
      setTimer(d.id, wait, () => {
        if (monitors.get(m.id) === m && d.status === 'pending') void attempt(m, d);
      });
    }
  }

  /** Fires the notify channel for one event: a new outbox row, sent at once, retried by the platform. */
  function notify(
    m: TrackMonitor,
    eventType: Delivery['event_type'],
    snapshotId: string | null,
    data: Record<string, unknown>,
  ): Delivery {
    const at = now();
    const d: Delivery = {
      id: newId('dlv'),
      event_type: eventType,
      snapshot_id: snapshotId,
      status: 'pending',
      attempts: 0,
      last_error: null,
      last_status: null,
      payload: { type: eventType, monitor_id: m.id, snapshot_id: snapshotId, data, created_at: at },
      created_at: at,
      updated_at: at,
    };
    m.deliveries.unshift(d);
    keep(m.deliveries);
    void attempt(m, d);
    return d;
  }

  /** The supervisor asks for a clarification: the monitor waits, and the channel carries the question. */
  function ask(m: TrackMonitor): void {
    m.asked = true;
    m.status = 'pending_clarification';
    m.pending_request = { id: newId('req_align'), prompt: 'Did you mean SKU A or SKU B?' };
    m.updated_at = now();
    notify(m, 'alignment.input_request', null, {
      request_id: m.pending_request.id,
      prompt: m.pending_request.prompt,
      options: ['SKU A', 'SKU B'],
    });
  }

  /** One tick: a snapshot, the trigger judged against the previous one, maybe a delivery. */
  function tick(m: TrackMonitor) {
    if (m.askAfter !== undefined && !m.asked && m.snapshots.length >= m.askAfter) {
      ask(m);
      return {
        monitor_id: m.id,
        snapshot: null,
        notified: false,
        delivery_id: null,
        pending_request: m.pending_request,
      };
    }
    const n = m.ticks++;
    const sku = m.clarifications.length ? m.clarifications[m.clarifications.length - 1] : null;
    const data: Record<string, unknown> = { price: 1049 - (n % 10) * 30, currency: 'USD', sku, in_stock: n % 4 !== 3 };
    const prev = m.snapshots[0]?.data;
    const notified = triggers(m.trigger_dsl, data, prev);
    const snap: Snapshot = { id: newId('snap'), monitor_id: m.id, created_at: now(), notified, data };
    m.snapshots.unshift(snap);
    keep(m.snapshots);
    const d = notified ? notify(m, 'track.snapshot', snap.id, data) : undefined;
    m.updated_at = now();
    return { monitor_id: m.id, snapshot: snap, notified, delivery_id: d?.id ?? null };
  }

  function deliveryWire(d: Delivery, withPayload: boolean) {
    const { payload, ...rest } = d;
    return withPayload ? { ...rest, payload } : rest;
  }

  const routes: Route[] = [
    {
      method: 'POST',
      pattern: T.monitors,
      handler: (req) => {
        validateMonitorFields(req.body, false);
        deps.checkSafety(String(req.body.intent));
        const intent = String(req.body.intent);
        const ambiguous = /ambiguous/.test(intent);
        const askAfter = /clarify:(\d+)/.exec(intent)?.[1];
        const m: TrackMonitor = {
          id: newId('mon'),
          pid: req.params.project_id!,
          status: ambiguous ? 'pending_clarification' : 'active',
          intent,
          // validateMonitorFields checked both are objects.
          schedule: req.body.schedule as Record<string, unknown>,
          notify_channel: req.body.notify_channel as Record<string, unknown>,
          trigger_dsl: req.body.trigger_dsl,
          pending_request: ambiguous ? { id: newId('req_align'), prompt: 'Did you mean SKU A or SKU B?' } : null,
          answeredRequests: [],
          clarifications: [],
          guidance: [],
          snapshots: [],
          deliveries: [],
          ticks: 0,
          askAfter: askAfter === undefined ? undefined : Math.min(1_000, Number(askAfter)),
          asked: ambiguous,
          created_at: now(),
          updated_at: now(),
        };
        monitors.set(m.id, m);
        schedule(m);
        return { status: 201, body: monWire(m) };
      },
    },
    {
      method: 'GET',
      pattern: T.monitors,
      handler: (req) => {
        const status = req.query.get('status');
        const mine = [...monitors.values()].filter(
          (m) => m.pid === req.params.project_id && (!status || m.status === status),
        );
        return { status: 200, body: deps.cursorPage(mine, req.query, monWire) };
      },
    },
    { method: 'GET', pattern: T.monitor, handler: (req) => ({ status: 200, body: monWire(getMonitor(req)) }) },
    {
      method: 'PATCH',
      pattern: T.monitor,
      handler: (req) => {
        const m = getMonitor(req);
        notCancelled(m);
        const b = req.body;
        validateMonitorFields(b, true);
        if (b.status === 'paused') {
          if (m.status === 'pending_clarification')
            throw new HttpError(409, 'conflict', 'answer the pending clarification first');
          m.status = 'paused';
          m.pause_reason = str(b.pause_reason) ?? null;
        } else if (b.status === 'active') {
          if (m.status === 'pending_clarification')
            throw new HttpError(409, 'conflict', 'answer the pending clarification first');
          m.status = 'active';
          m.pause_reason = null;
        } else if (b.status !== undefined)
          throw new HttpError(422, 'validation_error', 'status may only be set to paused or active');
        if (b.intent !== undefined) m.intent = str(b.intent) ?? '';
        if (b.notify_channel !== undefined) m.notify_channel = b.notify_channel as Record<string, unknown>;
        if (b.trigger_dsl !== undefined) m.trigger_dsl = b.trigger_dsl;
        if (b.schedule !== undefined) {
          m.schedule = b.schedule as Record<string, unknown>;
          schedule(m);
        }
        m.updated_at = now();
        return { status: 200, body: monWire(m) };
      },
    },
    ...(['POST', 'DELETE'] as const).map((method) => ({
      method,
      pattern: method === 'POST' ? T.cancel : T.monitor,
      handler: (req: SandboxRequest) => {
        const m = getMonitor(req);
        // Cancel is terminal and idempotent: cancelling a cancelled monitor returns it as it is.
        if (m.status !== 'cancelled') {
          m.status = 'cancelled';
          m.pending_request = null;
          m.updated_at = now();
          clearTimeout(timers.get(m.id));
        }
        return { status: 200, body: monWire(m) };
      },
    })),
    {
      method: 'POST',
      pattern: T.runNow,
      handler: (req) => {
        const m = getMonitor(req);
        notCancelled(m);
        if (m.status === 'pending_clarification')
          throw new HttpError(409, 'conflict', 'the monitor is waiting for a clarification');
        // Assumption: a paused monitor still runs a manual tick (the seed: run_now "bypasses schedule").
        return { status: 200, body: tick(m) };
      },
    },
    {
      method: 'GET',
      pattern: T.snapshots,
      handler: (req) => ({ status: 200, body: deps.cursorPage(getMonitor(req).snapshots, req.query, (x) => x) }),
    },
    {
      method: 'GET',
      pattern: T.snapshot,
      handler: (req) => {
        const snap = getMonitor(req).snapshots.find((x) => x.id === req.params.snapshot_id);
        if (!snap) throw new HttpError(404, 'snapshot_not_found', `snapshot ${req.params.snapshot_id} not found`);
        return { status: 200, body: snap };
      },
    },
    {
      method: 'GET',
      pattern: T.deliveries,
      handler: (req) => {
        const withPayload = req.query.get('include_payload') === 'true';
        // Assumption: `status` filters the outbox like the monitor listing does.
        const status = req.query.get('status');
        const rows = getMonitor(req).deliveries.filter((d) => !status || d.status === status);
        return { status: 200, body: deps.cursorPage(rows, req.query, (d) => deliveryWire(d, withPayload)) };
      },
    },
    {
      method: 'POST',
      pattern: T.retryDelivery,
      handler: async (req) => {
        const m = getMonitor(req);
        const d = m.deliveries.find((x) => x.id === req.params.delivery_id);
        if (!d) throw new HttpError(404, 'delivery_not_found', `delivery ${req.params.delivery_id} not found`);
        if (d.status !== 'dead')
          throw new HttpError(409, 'conflict', `delivery ${d.id} is ${d.status}; only dead rows are retried`);
        // A retried row gets one more attempt, made before the answer (assumption: the seed shows
        // only `retry_delivery`); it stays dead when that attempt fails too.
        await attempt(m, d);
        return { status: 200, body: deliveryWire(d, false) };
      },
    },
    {
      method: 'POST',
      pattern: T.intervene,
      handler: (req) => {
        const m = getMonitor(req);
        const id = str(req.body.request_id);
        if (!id) throw new HttpError(422, 'validation_error', 'request_id is required');
        if (req.body.response === undefined) throw new HttpError(422, 'validation_error', 'response is required');
        if (m.pending_request?.id !== id) {
          if (m.answeredRequests.includes(id))
            throw new HttpError(409, 'conflict', `request ${id} was already answered`);
          throw new HttpError(404, 'input_request_not_found', `request ${id} not found on monitor ${m.id}`);
        }
        m.answeredRequests.push(id);
        m.clarifications.push(req.body.response);
        m.pending_request = null;
        m.status = 'active';
        m.updated_at = now();
        return { status: 200, body: monWire(m) };
      },
    },
    {
      method: 'POST',
      pattern: T.messages,
      handler: (req) => {
        const m = getMonitor(req);
        notCancelled(m);
        const content = str(req.body.content);
        if (!content) throw new HttpError(422, 'validation_error', 'content is required');
        m.guidance.push(content);
        return { status: 201, body: { id: newId('msg'), status: 'queued', accepted: true } };
      },
    },
  ];

  function reset(): void {
    for (const t of timers.values()) clearTimeout(t);
    timers.clear();
    monitors.clear();
  }

  return {
    routes,
    reset,
    snapshot: (): TrackMonitor[] => [...monitors.values()].map((m) => structuredClone(m)),
    /** Takes monitors back from a snapshot; schedules and unfinished deliveries start again. */
    restore(list: TrackMonitor[] | undefined): void {
      for (const raw of list ?? []) {
        // State files written before Track had its own file lack the newer fields.
        const m: TrackMonitor = {
          ...raw,
          ticks: raw.ticks ?? raw.snapshots?.length ?? 0,
          answeredRequests: [...(raw.answeredRequests ?? [])],
          deliveries: (raw.deliveries ?? []).map((d) => ({
            ...d,
            event_type: d.event_type ?? 'track.snapshot',
            last_status: d.last_status ?? null,
            updated_at: d.updated_at ?? d.created_at,
          })),
        };
        monitors.set(m.id, m);
        schedule(m);
        for (const d of m.deliveries) if (d.status === 'pending') setTimer(d.id, ctx.tickMs, () => void attempt(m, d));
      }
    },
  };
}
