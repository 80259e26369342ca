/**
 * Web Agent WebSearch as one activity whose waiting is Temporal's retry policy (the
 * samples-typescript `polling/infrequent` shape): no loop, no sleep inside the activity.
 *
 * Seed: `run()` blocks ≤30 s and answers the done envelope, or 202 with a pending task to poll with
 * `get(task_id)`; `refine(task_id, text)` re-runs within the same task. The first attempt runs the
 * search; when the platform answers 202 the attempt records the task id as heartbeat details and
 * fails with a retryable `WebSearchPending` whose `nextRetryDelay` is the poll interval. Every later
 * attempt polls that same task (a retry never starts a second search). A refinement is sent once
 * the first results are in, and polled the same way.
 */
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import type { ProviderRegistry } from '../providers/registry.js';
import type { WebSearchEnvelope } from '../providers/webagent/schemas.js';
import { mapFailures } from './failures.js';

/** The failure type a pending search fails its attempt with (retryable: the retry policy polls). */
export const WEB_SEARCH_PENDING = 'WebSearchPending';
/** Hits handed back to a workflow at most (bounded history). */
const MAX_HITS = 20;

export interface WebSearchArgs {
  alias: string;
  queries: string[];
  engines?: string[];
  summarize?: boolean;
  /** Re-run within the same task with this guidance once the first results are in. */
  refine?: string;
  /** Seconds between polls of a pending task. @default 2 */
  pollSeconds?: number;
}

export interface WebSearchOutcome {
  taskId: string;
  status: string;
  refined: boolean;
  /** Polls it took (attempts after the first). */
  polls: number;
  hits: { title?: string; url: string; snippet?: string }[];
  summary?: string;
}

/** What an attempt leaves for the next one (heartbeat details). */
interface Progress {
  taskId: string;
  refined: boolean;
}

export function createWebSearchActivities(deps: { providers: ProviderRegistry }) {
  return {
    /** Runs a WebSearch to completion through the retry policy (see the module comment). */
    async webSearch(args: WebSearchArgs): Promise<WebSearchOutcome> {
      const ctx = Context.current();
      const ws = deps.providers.client('webagent', args.alias).webSearch;
      const call = { signal: ctx.cancellationSignal };
      const prior = ctx.info.heartbeatDetails as Progress | undefined;
      const pending = (p: Progress, env: WebSearchEnvelope): never => {
        ctx.heartbeat(p);
        throw ApplicationFailure.create({
          type: WEB_SEARCH_PENDING,
          message: `web search ${env.task_id} is ${env.status}${p.refined ? ' (refining)' : ''}; polling again`,
          details: [p],
          nextRetryDelay: `${Math.round((args.pollSeconds ?? 2) * 1000)} ms`,
        });
      };
      const env = await mapFailures(() =>
        prior?.taskId ? ws.get(prior.taskId, call) : ws.run({ queries: args.queries, engines: args.engines, summarize: args.summarize }, call),
      );
      let progress: Progress = { taskId: env.task_id, refined: prior?.refined ?? false };
      if (env.status !== 'completed') return pending(progress, env);
      if (args.refine && !progress.refined) {
        const text = args.refine;
        const refined = await mapFailures(() => ws.refine(env.task_id, { text }, call));
        progress = { ...progress, refined: true };
        if (refined.status !== 'completed') return pending(progress, refined);
        return outcome(refined, progress, ctx.info.attempt);
      }
      return outcome(env, progress, ctx.info.attempt);
    },
  };
}

function outcome(env: WebSearchEnvelope, p: Progress, attempt: number): WebSearchOutcome {
  return {
    taskId: env.task_id,
    status: env.status,
    refined: p.refined,
    polls: attempt - 1,
    hits: (env.results?.results ?? []).slice(0, MAX_HITS).map((x) => ({
      title: x.title?.slice(0, 300) ?? undefined,
      url: x.url.slice(0, 2_000),
      snippet: x.snippet?.slice(0, 500) ?? undefined,
    })),
    summary: env.results?.summary?.slice(0, 2_000) ?? undefined,
  };
}
