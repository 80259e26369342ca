/**
 * Track monitor activities over the Web Agent `client.track` resource: create (exactly once),
 * poll, steer (pause / resume / refine / run now / message / cancel) and answer an alignment
 * request with `intervene`. Short calls; Temporal owns the retries.
 */
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { MonitorPoll, MonitorView } from '../contracts/monitors.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { Monitor } from '../providers/webagent/schemas.js';
import { mapFailures } from './failures.js';

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
    pendingRequest: m.pending_request ? pending(m.pending_request.id, m.pending_request.prompt?.slice(0, 2_000) ?? undefined) : undefined,
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

export function createMonitorActivities(deps: { providers: ProviderRegistry }) {
  const track = (alias: string) => deps.providers.client('webagent', alias).track;
  const call = (key?: string) => ({ signal: Context.current().cancellationSignal, idempotencyKey: key });
  return {
    /**
     * Creates the platform monitor once per `key`. A retry (the first attempt's answer lost to a
     * crash or timeout) first looks for a monitor carrying the key and returns it.
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

    /** One steering call; each answers the monitor as the platform now has it. */
    async monitorSteer(args: {
      alias: string;
      monitorId: string;
      key: string;
      op: { op: 'pause'; reason?: string } | { op: 'resume' } | { op: 'refine'; triggerDsl: unknown } | { op: 'cancel' } | { op: 'message'; content: string };
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
            await t.message(args.monitorId, { content: o.content }, call(args.key));
            return view(await t.get(args.monitorId, call()));
        }
      });
    },

    /** Fires one tick now; answers the snapshot it produced. */
    async monitorRunNow(args: { alias: string; monitorId: string; key: string }): Promise<{ snapshotId?: string; snapshotAt?: string; notified: boolean }> {
      return mapFailures(async () => {
        const out = await track(args.alias).runNow(args.monitorId, call(args.key));
        return { snapshotId: out.snapshot?.id, snapshotAt: out.snapshot?.created_at ?? undefined, notified: out.notified ?? false };
      });
    },

    /**
     * Answers an alignment request. A retry whose first attempt reached the platform finds the
     * request answered (409): that is the answer having been given, not a failure.
     */
    async monitorIntervene(args: { alias: string; monitorId: string; requestId: string; response: unknown; key: string }): Promise<MonitorView> {
      return mapFailures(async () => {
        const t = track(args.alias);
        try {
          return view(await t.intervene(args.monitorId, { requestId: args.requestId, response: args.response }, call(args.key)));
        } catch (err) {
          if (Context.current().info.attempt > 1 && (err as { status?: number }).status === 409) return view(await t.get(args.monitorId, call()));
          throw err;
        }
      });
    },
  };
}
