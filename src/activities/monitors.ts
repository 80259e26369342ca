/**
 * Track monitor activities over the Web Agent `client.track` resource: create (exactly once),
 * poll, steer (pause / resume / refine / run now / message / cancel) and answer an alignment
 * request with `intervene`. Short calls; Temporal owns the retries.
 */
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { ArtifactOwner, ArtifactStore } from '../artifacts/store.js';
import {
  type DeliveryRow,
  type DeliverySummary,
  MAX_CHANGE_FIELDS,
  MAX_DEAD_LISTED,
  MAX_DELIVERY_ROWS,
  type MonitorPoll,
  type MonitorSync,
  type MonitorView,
  type SnapshotChange,
  type SnapshotRef,
} from '../contracts/monitors.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { TrackResource } from '../providers/webagent/client.js';
import type { Delivery, Monitor, Snapshot } from '../providers/webagent/schemas.js';
import { mapFailures } from './failures.js';

/** Pages of 50 snapshots one sync walks back at most (a monitor silent for longer loses the oldest). */
const SYNC_PAGES = 4;
const PAGE = 50;

/** One changed field: its dotted path and both values. */
export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

/**
 * The fields that differ between two snapshot data objects, by dotted path (objects compared
 * field by field, arrays and scalars as values). At most 200 rows; depth at most 5.
 */
export function diffData(prev: unknown, next: unknown, path = '', out: FieldChange[] = [], depth = 0): FieldChange[] {
  if (out.length >= 200) return out;
  const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
  if (isObj(prev) && isObj(next) && depth < 5) {
    for (const k of [...new Set([...Object.keys(prev), ...Object.keys(next)])].sort())
      diffData(prev[k], next[k], path ? `${path}.${k}` : k, out, depth + 1);
    return out;
  }
  if (JSON.stringify(prev) !== JSON.stringify(next))
    out.push({ field: path || '(data)', from: prev ?? null, to: next ?? null });
  return out;
}

const short = (v: unknown) => {
  const t = JSON.stringify(v) ?? 'null';
  return t.length > 40 ? `${t.slice(0, 37)}...` : t;
};

function changeSummary(rows: FieldChange[]): string {
  if (rows.length === 0) return 'no change';
  const text = rows.map((r) => `${r.field} ${short(r.from)} → ${short(r.to)}`).join('; ');
  return text.length > 500 ? `${text.slice(0, 497)}...` : text;
}

function deliveryRow(d: Delivery): DeliveryRow {
  return {
    id: d.id,
    status: d.status,
    attempts: d.attempts ?? 0,
    snapshotId: d.snapshot_id ?? undefined,
    eventType: d.event_type ?? undefined,
    lastError: d.last_error?.slice(0, 500) ?? undefined,
    createdAt: d.created_at ?? undefined,
  };
}

function summarise(rows: Delivery[]): DeliverySummary {
  const count = (st: string) => rows.filter((d) => d.status === st).length;
  return {
    delivered: count('delivered'),
    pending: count('pending'),
    dead: count('dead'),
    deadRows: rows
      .filter((d) => d.status === 'dead')
      .slice(0, MAX_DEAD_LISTED)
      .map((d) => ({ id: d.id, attempts: d.attempts ?? 0 })),
    checkedAt: new Date().toISOString(),
  };
}

/** Artifact names: one JSON file per snapshot, the change rows as JSON lines. */
const snapshotName = (id: string) => `snapshot-${id.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80)}.json`;
const CHANGES = 'changes.jsonl';

/**
 * The field of `notify_channel` that carries the workflow's create key. Track offers no
 * idempotency key, tag or metadata on create (seed), and the platform ignores `Idempotency-Key`
 * (DESIGN.md "Real platforms"); the channel is stored as given and read back, so a retried create
 * finds the monitor its lost first attempt made by this marker instead of making a second one.
 * Assumption: the platform keeps unknown fields of `notify_channel` (the sandbox does).
 */
export const CREATE_MARKER_FIELD = 'switchboard_key';

function view(m: Monitor): MonitorView {
  return {
    monitorId: m.id,
    status: m.status,
    pauseReason: m.pause_reason ?? undefined,
    pendingRequest: m.pending_request
      ? pending(m.pending_request.id, m.pending_request.prompt?.slice(0, 2_000) ?? undefined)
      : undefined,
  };
}

function pending(id: string, prompt: string | undefined) {
  return {
    id,
    prompt,
    digest: createHash('sha256')
      .update(JSON.stringify({ id, prompt: prompt ?? null }))
      .digest('hex'),
  };
}

/**
 * On a retry (attempt > 1): the monitor's newest snapshot when it was made after this activity's
 * first attempt was scheduled — the tick an earlier `run_now` fired, or a scheduled tick in the
 * same window, which is as fresh a reading as the caller asked for. Track offers no tag on
 * `run_now`, so this is the lookup it allows. Residual risks: a local activity re-run by a new
 * worker after a crash starts again at attempt 1 with a new schedule time, so it fires a second
 * tick (one extra snapshot, maybe one extra notification); clock skew between worker and platform
 * larger than the gap between attempts can hide the earlier tick the same way.
 */
export async function freshSnapshot(t: TrackResource, monitorId: string): Promise<Snapshot | undefined> {
  const info = Context.current().info;
  if (info.attempt <= 1) return undefined;
  const newest = (await t.listSnapshots(monitorId, { limit: 1 }, { signal: Context.current().cancellationSignal }))
    .items[0];
  const at = newest?.created_at ? Date.parse(newest.created_at) : NaN;
  return Number.isFinite(at) && at >= info.scheduledTimestampMs ? newest : undefined;
}

/**
 * Track monitor activities: create (once per run chain), read, steer and sync a platform monitor,
 * storing its snapshots and changes as artifacts.
 */
export function createMonitorActivities(deps: { providers: ProviderRegistry; artifacts: ArtifactStore }) {
  const track = (alias: string) => deps.providers.client('webagent', alias).track;
  const call = (key?: string) => ({ signal: Context.current().cancellationSignal, idempotencyKey: key });
  return {
    /**
     * Creates the platform monitor once per `key`, without `Idempotency-Key` (Track ignores it): a
     * retry (the first attempt's answer lost to a crash or timeout) first looks for a monitor
     * carrying the key in its notify channel and returns it.
     */
    async monitorCreate(args: {
      alias: string;
      key: string;
      intent: string;
      schedule: Record<string, unknown>;
      notifyChannel: Record<string, unknown>;
      triggerDsl?: unknown;
    }): Promise<MonitorView> {
      return mapFailures(async () => {
        const t = track(args.alias);
        if (Context.current().info.attempt > 1) {
          const found = (await t.listAll({}, call())).find((m) => m.notify_channel?.[CREATE_MARKER_FIELD] === args.key);
          if (found) return view(found);
        }
        const m = await t.create(
          {
            intent: args.intent,
            schedule: args.schedule,
            notifyChannel: { ...args.notifyChannel, [CREATE_MARKER_FIELD]: args.key },
            triggerDsl: args.triggerDsl,
          },
          call(args.key),
        );
        return view(m);
      });
    },

    /** The monitor's state and its newest snapshot (ids only: the platform keeps the history). */
    async monitorPoll(args: { alias: string; monitorId: string }): Promise<MonitorPoll> {
      return mapFailures(async () => {
        const t = track(args.alias);
        const m = await t.get(args.monitorId, call());
        const snaps = await t.listSnapshots(args.monitorId, { limit: 1 }, call());
        const newest = snaps.items[0];
        return { ...view(m), latestSnapshotId: newest?.id, latestSnapshotAt: newest?.created_at ?? undefined };
      });
    },

    /**
     * One sync: the monitor, every snapshot newer than `since` stored in the artifact store (one
     * JSON file each) with the change from its predecessor (`changes.jsonl`), and the newest page of
     * the platform's outbox counted. Only references, field names and counts go back to the
     * workflow. Rewriting a snapshot or a change row on a retry is harmless (same content; readers
     * dedupe change rows by id).
     */
    async monitorSync(args: {
      alias: string;
      monitorId: string;
      owner: ArtifactOwner;
      since?: SnapshotRef;
    }): Promise<MonitorSync> {
      return mapFailures(async () => {
        const t = track(args.alias);
        const m = await t.get(args.monitorId, call());
        // Newest first: walk back until the last stored snapshot (bounded).
        const fresh: Snapshot[] = [];
        let cursor: string | undefined;
        let reached = false;
        for (let page = 0; page < SYNC_PAGES && !reached; page++) {
          const list = await t.listSnapshots(args.monitorId, { limit: PAGE, cursor }, call());
          for (const snap of list.items) {
            if (snap.id === args.since?.id) {
              reached = true;
              break;
            }
            fresh.push(snap);
          }
          cursor = list.next_cursor ?? undefined;
          if (!cursor) break;
        }
        let prev: { id?: string; data: unknown } | undefined;
        if (args.since && fresh.length > 0) {
          const stored = args.since.ref ? await deps.artifacts.read(args.since.ref).catch(() => undefined) : undefined;
          prev = stored
            ? { id: args.since.id, data: (JSON.parse(stored) as Snapshot).data }
            : await t.getSnapshot(args.monitorId, args.since.id, call()).then(
                (x) => ({ id: x.id, data: x.data }),
                () => undefined,
              );
        }
        let latest: SnapshotRef | undefined;
        let change: SnapshotChange | undefined;
        const changeRows: unknown[] = [];
        for (const snap of fresh.reverse()) {
          const ref = await deps.artifacts.put(args.owner, snapshotName(snap.id), JSON.stringify(snap, null, 2));
          latest = { id: snap.id, at: snap.created_at ?? undefined, ref: ref.uri, sha256: ref.sha256 };
          // The first snapshot is compared with nothing: every field is new.
          const rows = diffData(prev?.data ?? {}, snap.data ?? {});
          changeRows.push({
            id: snap.id,
            from: prev?.id ?? null,
            to: snap.id,
            at: snap.created_at ?? null,
            changes: rows,
          });
          change = {
            fromSnapshotId: prev?.id,
            toSnapshotId: snap.id,
            at: snap.created_at ?? undefined,
            fields: rows.slice(0, MAX_CHANGE_FIELDS).map((r) => r.field.slice(0, 200)),
            summary: changeSummary(rows),
          };
          prev = { id: snap.id, data: snap.data };
        }
        if (change) change.ref = (await deps.artifacts.appendLines(args.owner, CHANGES, changeRows)).uri;
        const outbox = await t.listDeliveries(args.monitorId, { limit: PAGE }, call());
        return { ...view(m), newSnapshots: fresh.length, latest, change, deliveries: summarise(outbox.items) };
      });
    },

    /** The platform's outbox rows for this monitor, newest first (one page, no payloads). */
    async monitorDeliveries(args: {
      alias: string;
      monitorId: string;
      status?: string;
      limit?: number;
    }): Promise<{ rows: DeliveryRow[]; summary: DeliverySummary }> {
      return mapFailures(async () => {
        const t = track(args.alias);
        const page = await t.listDeliveries(
          args.monitorId,
          { status: args.status, limit: Math.min(args.limit ?? MAX_DELIVERY_ROWS, MAX_DELIVERY_ROWS) },
          call(),
        );
        // The summary counts the unfiltered newest page, so a filtered listing does not skew it.
        const all = args.status ? (await t.listDeliveries(args.monitorId, { limit: PAGE }, call())).items : page.items;
        return { rows: page.items.map(deliveryRow), summary: summarise(all) };
      });
    },

    /**
     * Retries one dead delivery (`retry_delivery`). A retry of this activity whose first attempt
     * reached the platform finds the row no longer dead (409): it answers the row as it now is.
     */
    async monitorRetryDelivery(args: {
      alias: string;
      monitorId: string;
      deliveryId: string;
      key: string;
    }): Promise<DeliveryRow> {
      return mapFailures(async () => {
        const t = track(args.alias);
        try {
          return deliveryRow(await t.retryDelivery(args.monitorId, args.deliveryId, call(args.key)));
        } catch (err) {
          // The platform refuses a second retry (409), so the delivery is never re-sent twice. Only
          // a retry of this activity reads that 409 as its own earlier success: a person retrying a
          // row that is no longer dead must hear "refused". Residual risk: a local activity re-run
          // by a new worker after a crash starts again at attempt 1 and reports the refusal,
          // although its first run did re-send the delivery (the row's status shows it).
          if (Context.current().info.attempt > 1 && (err as { status?: number }).status === 409) {
            const rows = (await t.listDeliveries(args.monitorId, { limit: PAGE }, call())).items;
            const row = rows.find((d) => d.id === args.deliveryId);
            if (row && row.status !== 'dead') return deliveryRow(row);
          }
          throw err;
        }
      });
    },

    /** One steering call; each answers the monitor as the platform now has it. */
    async monitorSteer(args: {
      alias: string;
      monitorId: string;
      key: string;
      op:
        | { op: 'pause'; reason?: string }
        | { op: 'resume' }
        | { op: 'refine'; triggerDsl: unknown }
        | { op: 'cancel' }
        | { op: 'message'; content: string };
    }): Promise<MonitorView> {
      return mapFailures(async () => {
        const t = track(args.alias);
        const o = args.op;
        switch (o.op) {
          case 'pause':
            return view(await t.pause(args.monitorId, { reason: o.reason }, call(args.key)));
          case 'resume':
            return view(await t.resume(args.monitorId, call(args.key)));
          case 'refine':
            return view(await t.refine(args.monitorId, { triggerDsl: o.triggerDsl }, call(args.key)));
          case 'cancel':
            return view(await t.cancel(args.monitorId, call(args.key)));
          case 'message':
            // residual risk: the alignment queue cannot be listed, so a retry after a lost answer
            // pushes the guidance twice (README "Exactly once"). pause/resume/refine set state and
            // cancel answers a cancelled monitor as it is: repeating them changes nothing.
            await t.message(args.monitorId, { content: o.content }, call(args.key));
            return view(await t.get(args.monitorId, call()));
        }
      });
    },

    /**
     * Fires one tick now; answers the snapshot it produced. A retry first looks for a snapshot made
     * since the first attempt was scheduled ({@link freshSnapshot}) and answers that one.
     */
    async monitorRunNow(args: {
      alias: string;
      monitorId: string;
      key: string;
    }): Promise<{ snapshotId?: string; snapshotAt?: string; notified: boolean }> {
      return mapFailures(async () => {
        const t = track(args.alias);
        const earlier = await freshSnapshot(t, args.monitorId);
        if (earlier)
          return {
            snapshotId: earlier.id,
            snapshotAt: earlier.created_at ?? undefined,
            notified: earlier.notified ?? false,
          };
        const out = await t.runNow(args.monitorId, call(args.key));
        return {
          snapshotId: out.snapshot?.id,
          snapshotAt: out.snapshot?.created_at ?? undefined,
          notified: out.notified ?? false,
        };
      });
    },

    /**
     * Answers an alignment request. A run after one whose call reached the platform (answer lost)
     * meets 409 with the request no longer pending: that is the answer having been given.
     */
    async monitorIntervene(args: {
      alias: string;
      monitorId: string;
      requestId: string;
      response: unknown;
      key: string;
    }): Promise<MonitorView> {
      return mapFailures(async () => {
        const t = track(args.alias);
        try {
          return view(
            await t.intervene(args.monitorId, { requestId: args.requestId, response: args.response }, call(args.key)),
          );
        } catch (err) {
          // Not `attempt > 1` only: steering is a local activity, re-run from attempt 1 after a crash.
          if ((err as { status?: number }).status === 409) {
            const m = await t.get(args.monitorId, call());
            if (m.pending_request?.id !== args.requestId) return view(m);
          }
          throw err;
        }
      });
    },
  };
}
