/**
 * Web Agent DeepResearch, the pidless Standalone API under `/v1/deep_research` (seed: the one path
 * it spells out). A research run is a DoAnything task (./sessions.ts) with its own script:
 * progress, an outline gate (`task.input_request` with `kind: 'outline'`; a topic containing
 * `rounds:2` asks twice), more progress, then three artifacts (final.md / citations.json /
 * confidence.json). A topic containing `takes:600s` spends that long researching after the last
 * approval, as a real run (hours) does; without it the research finishes a few ticks after the
 * outline is approved. A topic containing `safety:block` → 403 `safety_boundary_violated`.
 */
import { type ScriptStep } from '../../agent.js';
import { HttpError, newId, type Route, type SandboxRequest } from '../../framework.js';
import { DEEP_RESEARCH_ROUTES as DR } from '../../../providers/webagent/routes.js';
import { checkSafety, now, str } from './common.js';
import type { DoAnything, WaTask } from './sessions.js';

export interface DrState {
  topic: string;
  depth: 'light' | 'standard' | 'deep';
  requireApproval: boolean;
  rounds: number;
  outline: { title: string; sections: string[] };
  edits: unknown[];
  decisions: { requestId: string; response: unknown }[];
  artifacts: { id: string; name: string; content_type: string; content: string; created_at: string }[];
}

const DEFAULT_SECTIONS = ['Background', 'Landscape', 'Comparison', 'Outlook'];

/** DeepResearch's routes, and its part of a task's life for the DoAnything core. */
export function createDeepResearch(core: DoAnything) {
  const { tasks, pushEvent, taskStatus, answerInput } = core;

  function parseDecision(
    response: unknown,
  ): { kind: 'approve' } | { kind: 'edits'; edits: unknown[] } | { kind: 'reject'; reason?: string } {
    if (response === 'approve') return { kind: 'approve' };
    if (response && typeof response === 'object') {
      const r = response as Record<string, unknown>;
      if (r.action === 'approve') return { kind: 'approve' };
      if (r.action === 'approve_with_edits') {
        if (!Array.isArray(r.edits) || r.edits.length === 0)
          throw new HttpError(422, 'validation_error', 'approve_with_edits needs a non-empty edits list');
        return { kind: 'edits', edits: r.edits };
      }
      if (r.action === 'reject') return { kind: 'reject', reason: str(r.reason) };
    }
    throw new HttpError(
      422,
      'validation_error',
      `response must be "approve", {action:"approve_with_edits", edits:[…]} or {action:"reject", reason}`,
    );
  }

  /** Applies reviewer edits to the outline: strings add a section; `{op:add|remove|rename}` objects edit one. */
  function applyEdits(dr: DrState, edits: unknown[]): void {
    for (const e of edits) {
      dr.edits.push(e);
      if (typeof e === 'string') dr.outline.sections.push(e);
      else if (e && typeof e === 'object') {
        const o = e as Record<string, unknown>;
        const title = str(o.title) ?? str(o.section);
        if ((o.op === 'add' || o.op === undefined) && title) dr.outline.sections.push(title);
        else if (o.op === 'remove' && title) dr.outline.sections = dr.outline.sections.filter((x) => x !== title);
        else if (o.op === 'rename' && str(o.from) && str(o.to))
          dr.outline.sections = dr.outline.sections.map((x) => (x === o.from ? String(o.to) : x));
      }
    }
  }

  function decideOutline(t: WaTask, requestId: string, response: unknown): void {
    const dr = t.dr!;
    const d = parseDecision(response);
    t.issued.set(requestId, 'answered');
    dr.decisions.push({ requestId, response });
    if (d.kind === 'reject') {
      // The run itself knows no "reject": record the answer, then cancel the task.
      pushEvent(t, 'task.input_answered', { request_id: requestId, response });
      t.cancelReason = d.reason ? `outline_rejected: ${d.reason}` : 'outline_rejected';
      t.run.cancel();
      return;
    }
    if (d.kind === 'edits') applyEdits(dr, d.edits);
    t.run.answer(requestId, response);
  }

  function buildArtifacts(t: WaTask): void {
    const dr = t.dr!;
    const at = now();
    const sections = dr.outline.sections;
    const final = [
      `# ${dr.outline.title}`,
      '',
      `Depth: ${dr.depth}. Outline rounds: ${dr.decisions.length}.`,
      '',
      ...sections.flatMap((s, i) => [
        `## ${i + 1}. ${s}`,
        '',
        `Findings on ${s.toLowerCase()} for "${dr.topic}" [${i + 1}].`,
        '',
      ]),
      ...(dr.edits.length
        ? ['## Reviewer edits', '', ...dr.edits.map((e) => `- ${typeof e === 'string' ? e : JSON.stringify(e)}`), '']
        : []),
    ].join('\n');
    const citations = sections.map((s, i) => ({
      id: i + 1,
      title: `Source on ${s}`,
      url: `https://example.org/sources/${i + 1}`,
    }));
    const confidence = {
      overall: dr.depth === 'deep' ? 0.86 : dr.depth === 'standard' ? 0.78 : 0.65,
      sections: Object.fromEntries(sections.map((s) => [s, 0.8])),
    };
    dr.artifacts = [
      { id: newId('art'), name: 'final.md', content_type: 'text/markdown', content: final, created_at: at },
      {
        id: newId('art'),
        name: 'citations.json',
        content_type: 'application/json',
        content: JSON.stringify(citations, null, 2),
        created_at: at,
      },
      {
        id: newId('art'),
        name: 'confidence.json',
        content_type: 'application/json',
        content: JSON.stringify(confidence, null, 2),
        created_at: at,
      },
    ];
  }

  function drTask(req: SandboxRequest): WaTask {
    const t = tasks.get(req.params.task_id!);
    if (!t?.dr) throw new HttpError(404, 'task_not_found', `deep research task ${req.params.task_id} not found`);
    return t;
  }

  function drWire(t: WaTask) {
    return {
      task_id: t.id,
      session_id: t.sessionId,
      status: taskStatus(t),
      topic: t.dr!.topic,
      depth: t.dr!.depth,
      created_at: t.createdAt,
    };
  }

  core.setDeepResearch({
    outlineData: (t) => {
      const dr = t.dr!;
      return {
        kind: 'outline',
        round: dr.decisions.length + 1,
        rounds: dr.rounds,
        outline: { title: dr.outline.title, sections: [...dr.outline.sections] },
      };
    },
    completed: buildArtifacts,
    answer: decideOutline,
  });

  const routes: Route[] = [
    // DeepResearch (pidless)
    {
      method: 'POST',
      pattern: DR.run,
      handler: (req) => {
        const topic = str(req.body.topic);
        if (!topic) throw new HttpError(422, 'validation_error', 'topic is required');
        const depth = req.body.depth ?? 'standard';
        if (depth !== 'light' && depth !== 'standard' && depth !== 'deep')
          throw new HttpError(422, 'validation_error', 'depth must be light, standard or deep');
        checkSafety(topic);
        const requireApproval = req.body.require_outline_approval !== false;
        const rounds = Math.min(5, Math.max(1, Number(/rounds:(\d+)/.exec(topic)?.[1] ?? 1)));
        const takesMs = Number(/takes:(\d+)s/.exec(topic)?.[1] ?? 0) * 1000;
        const title = topic.replace(/\s*(rounds|takes):\d+s?\s*/g, ' ').trim() || topic;
        const sections =
          depth === 'deep'
            ? [...DEFAULT_SECTIONS, 'Methodology']
            : depth === 'light'
              ? DEFAULT_SECTIONS.slice(0, 2)
              : [...DEFAULT_SECTIONS];
        const dr: DrState = {
          topic,
          depth,
          requireApproval,
          rounds,
          outline: { title, sections },
          edits: [],
          decisions: [],
          artifacts: [],
        };
        const steps: ScriptStep[] = [{ type: 'emit', count: 1, text: 'collecting sources' }];
        if (requireApproval) {
          for (let r = 1; r <= rounds; r++) {
            steps.push({ type: 'ask', prompt: `Approve the research outline (round ${r} of ${rounds})` });
            steps.push({ type: 'emit', count: 1, text: `outline round ${r} accepted` });
          }
        }
        if (takesMs > 0) steps.push({ type: 'wait', ms: takesMs });
        steps.push({ type: 'emit', count: { light: 1, standard: 2, deep: 3 }[depth], text: 'researching' });
        steps.push({ type: 'finish', result: `report ready: ${title}` });
        const s = core.newSession(undefined, { product: 'deep_research' });
        const t = core.startTask(s, `Deep research: ${topic}`, steps, dr);
        return { status: 201, body: drWire(t) };
      },
    },
    { method: 'GET', pattern: DR.task, handler: (req) => ({ status: 200, body: drWire(drTask(req)) }) },
    {
      method: 'POST',
      pattern: DR.intervene,
      handler: (req) => {
        const t = drTask(req);
        const id = str(req.body.request_id);
        if (!id) throw new HttpError(422, 'validation_error', 'request_id is required');
        if (req.body.response === undefined) throw new HttpError(422, 'validation_error', 'response is required');
        answerInput(t, id, req.body.response);
        return { status: 200, body: { task_id: t.id, input_request_id: id, status: taskStatus(t), accepted: true } };
      },
    },
    {
      method: 'POST',
      pattern: DR.cancel,
      handler: (req) => {
        const t = drTask(req);
        if (t.run.terminal) throw new HttpError(409, 'conflict', `task ${t.id} is already ${taskStatus(t)}`);
        t.cancelReason = str(req.body.reason) ?? 'user_cancelled';
        t.run.cancel();
        return { status: 200, body: drWire(t) };
      },
    },
    {
      method: 'GET',
      pattern: DR.artifacts,
      handler: (req) => ({
        status: 200,
        body: {
          items: drTask(req).dr!.artifacts.map(({ content, ...a }) => ({
            ...a,
            size_bytes: Buffer.byteLength(content),
          })),
        },
      }),
    },
    {
      method: 'GET',
      pattern: DR.artifact,
      handler: (req) => {
        const a = drTask(req).dr!.artifacts.find((x) => x.id === req.params.artifact_id);
        if (!a) throw new HttpError(404, 'artifact_not_found', `artifact ${req.params.artifact_id} not found`);
        return { status: 200, body: { ...a, size_bytes: Buffer.byteLength(a.content) } };
      },
    },
  ];
  return { routes };
}
