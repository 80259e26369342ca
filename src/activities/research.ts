/**
 * DeepResearch activities (Web Agent's pidless `/v1/deep_research` API): start, answer the outline
 * gate, cancel, and collect the three artifacts into the artifact store.
 *
 * Exactly once without `Idempotency-Key` (the seed documents none): an answer or cancel that meets
 * 409 reads the task: the request answered / the task ended is what an earlier run did.
 * The start has no such guard (see {@link createResearchActivities}'s `researchStart`).
 */
import { Context } from '@temporalio/activity';
import { z } from 'zod';
import type { ArtifactOwner, ArtifactRef, ArtifactStore } from '../artifacts/store.js';
import { ConflictError, ResponseValidationError } from '../providers/errors.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { OutlineDecision } from '../providers/webagent/client.js';
import { TERMINAL_TASK_STATUSES } from '../providers/webagent/schemas.js';
import { inputAnswered } from './sessions/webagent.js';
import { mapFailures } from './failures.js';

/** citations.json: a list of sources (partial: the fields the summary uses). */
const citationsSchema = z.array(z.object({ url: z.string().min(1), title: z.string().nullish() }).passthrough());
/** confidence.json: an overall score in [0, 1]. */
const confidenceSchema = z.object({ overall: z.number().min(0).max(1) }).passthrough();

export const RESEARCH_ARTIFACTS = ['final.md', 'citations.json', 'confidence.json'] as const;

export interface ResearchSummary {
  confidence: number;
  citations: number;
  finalBytes: number;
}

/**
 * Runs `fn`; a 409 for which `done()` confirms the effect (our earlier run's, its answer lost) is
 * success. Checked on every run: these are local activities, re-run from attempt 1 after a crash.
 */
async function doneOnConflict(fn: () => Promise<unknown>, done: () => Promise<boolean>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof ConflictError && (await done())) return;
    throw err;
  }
}

/**
 * DeepResearch activities: start a run, answer its outline (`intervene`), cancel it, and collect
 * its artifacts into the store.
 */
export function createResearchActivities(deps: { providers: ProviderRegistry; artifacts: ArtifactStore }) {
  const wa = (alias: string) => deps.providers.client('webagent', alias);
  const call = (key?: string) => ({ signal: Context.current().cancellationSignal, idempotencyKey: key });
  return {
    async researchStart(args: {
      alias: string;
      topic: string;
      depth: 'light' | 'standard' | 'deep';
      requireOutlineApproval: boolean;
      key: string;
    }) {
      return mapFailures(async () => {
        // residual risk: DeepResearch `run` takes no metadata and there is no list of research
        // tasks to look one up in, so a retry after a lost answer starts a second research task;
        // the first runs on unobserved (and, with the outline gate on, waits at its gate). README "Exactly once".
        const t = await wa(args.alias).deepResearch.run(
          { topic: args.topic, depth: args.depth, requireOutlineApproval: args.requireOutlineApproval },
          call(args.key),
        );
        return { taskId: t.task_id, sessionId: t.session_id, status: t.status };
      });
    },

    /**
     * Sends the outline decision with `intervene`. The platform answers a second answer to the same
     * request with 409: when the task's log shows the request answered, that was our earlier run.
     */
    async researchAnswer(args: {
      alias: string;
      taskId: string;
      requestId: string;
      response: OutlineDecision;
      key: string;
    }) {
      return mapFailures(async () => {
        const c = wa(args.alias);
        await doneOnConflict(
          () =>
            c.deepResearch.intervene(
              args.taskId,
              { requestId: args.requestId, response: args.response },
              call(args.key),
            ),
          // DeepResearch runs on the DoAnything channel (seed): the task's log shows the answer.
          async () =>
            inputAnswered(
              c,
              (await c.deepResearch.get(args.taskId, call())).session_id,
              args.taskId,
              args.requestId,
              args.response,
              call().signal,
            ),
        );
      });
    },

    /** Cancels the task; a 409 on a task that has ended is the earlier run's cancel (or nothing left to cancel). */
    async researchCancel(args: { alias: string; taskId: string; reason: string; key: string }) {
      return mapFailures(async () => {
        const c = wa(args.alias);
        await doneOnConflict(
          () => c.deepResearch.cancel(args.taskId, { reason: args.reason }, call(args.key)),
          // An ended task has nothing left to cancel.
          async () => TERMINAL_TASK_STATUSES.has((await c.deepResearch.get(args.taskId, call())).status),
        );
      });
    },

    /** Pulls final.md, citations.json and confidence.json, validates the JSON ones, stores all three. */
    async researchCollect(args: {
      alias: string;
      taskId: string;
      owner: ArtifactOwner;
    }): Promise<{ artifacts: ArtifactRef[]; summary: ResearchSummary }> {
      return mapFailures(async () => {
        const client = wa(args.alias);
        const listed = await client.deepResearch.listArtifacts(args.taskId, call());
        const refs: ArtifactRef[] = [];
        const contents: Record<string, string> = {};
        for (const name of RESEARCH_ARTIFACTS) {
          const meta = listed.find((a) => a.name === name);
          const bad = (detail: string) =>
            new ResponseValidationError({
              platform: 'webagent',
              alias: args.alias,
              code: 'artifact_invalid',
              detail: `${name}: ${detail}`,
            });
          if (!meta) throw bad('missing from the artifact set');
          const got = await client.deepResearch.getArtifact(args.taskId, meta.id, call());
          const content = got.content;
          if (name.endsWith('.json')) {
            let parsed: unknown;
            try {
              parsed = JSON.parse(content);
            } catch {
              throw bad('not JSON');
            }
            const schema = name === 'citations.json' ? citationsSchema : confidenceSchema;
            const r = schema.safeParse(parsed);
            if (!r.success) throw bad(r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
          }
          contents[name] = content;
          refs.push(await deps.artifacts.put(args.owner, name, content));
        }
        const summary: ResearchSummary = {
          confidence: confidenceSchema.parse(JSON.parse(contents['confidence.json']!)).overall,
          citations: citationsSchema.parse(JSON.parse(contents['citations.json']!)).length,
          finalBytes: Buffer.byteLength(contents['final.md']!),
        };
        return { artifacts: refs, summary };
      });
    },
  };
}
