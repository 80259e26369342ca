/**
 * A platform's own human-in-the-loop as an approval gate (issue 9): Mix's `permission` requests
 * (grant/deny) and `notification` questions (acknowledge/text/choice, with the platform's timeout).
 *
 * The session's follow activity hands the request over as the pending input's `data` (what a
 * person is shown, in {@link platformGateShown}'s shape); the `agentSession` workflow opens an
 * approval gate on it when the start input has `platformGates`, and turns the decision into exactly
 * one {@link PlatformGateAnswer}. Without `platformGates` the request is an ordinary input request,
 * answered with `answerInput` (checked by {@link answerFromResponse}). Workflow-safe: zod only.
 */
import { z } from 'zod';
import type { DecisionValue, ExpiryPolicy, GateOutcome } from './gates.js';
import { gateSettings, quorumFits } from './gates.js';
import { lazy } from './lazy.js';

/** Mix `SSENotificationEventData.responseType` / `RespondToNotificationRequestBody.type`. */
export const MIX_RESPONSE_TYPES = ['acknowledge', 'text', 'choice'] as const;

/** What a person is shown for a platform's request; `id` is the platform's own (the pending input's requestId). */
export const platformGateShown = lazy(() =>
  z.discriminatedUnion('gate', [
    z
      .object({
        gate: z.literal('permission'),
        platform: z.literal('mix'),
        id: z.string().min(1).max(200),
        /** The tool asking to run (`Bash`, `Write`, an MCP `{server}_{tool}`). */
        toolName: z.string().max(200),
        action: z.string().max(2_000).optional(),
        description: z.string().max(4_000).optional(),
        path: z.string().max(2_000).optional(),
        params: z.record(z.unknown()).optional(),
      })
      .strict(),
    z
      .object({
        gate: z.literal('question'),
        platform: z.literal('mix'),
        id: z.string().min(1).max(200),
        title: z.string().max(500).optional(),
        message: z.string().max(4_000),
        responseType: z.enum(MIX_RESPONSE_TYPES),
        choices: z.array(z.string().max(500)).max(100).optional(),
        /** Seconds the platform waits for the answer, from `askedAt`. */
        timeoutSeconds: z.number().int().positive().optional(),
        /** When the platform asked (Unix seconds, the platform's `createdAt`). */
        askedAt: z.number().optional(),
      })
      .strict(),
  ]),
);
export type PlatformGateShown = z.output<ReturnType<typeof platformGateShown>>;

/** What reaches the platform: a grant/deny, or a question's response. */
export type PlatformGateAnswer =
  | { gate: 'permission'; grant: boolean }
  | { gate: 'question'; type: (typeof MIX_RESPONSE_TYPES)[number]; value?: string };

/**
 * Start-input settings for platform gates (`agentSession` on Mix): who decides, by when, and what
 * the expiry does. A question's deadline is never later than the platform's own timeout.
 */
export const platformGatesInput = lazy(() =>
  z
    .object({ ...gateSettings(), deadlineSeconds: gateSettings().deadlineSeconds.default(3_600) })
    .strict()
    .superRefine(quorumFits),
);
export type PlatformGatesInput = z.output<ReturnType<typeof platformGatesInput>>;

/** The pending input's data as a platform gate, or undefined for an ordinary input request. */
export function platformGateOf(pending: { data?: unknown } | undefined): PlatformGateShown | undefined {
  const r = platformGateShown().safeParse(pending?.data);
  return r.success ? r.data : undefined;
}

/** Which decisions a gate on this request allows: a text or choice answer is the edit. */
export function allowedDecisions(shown: PlatformGateShown): DecisionValue[] {
  if (shown.gate === 'question' && shown.responseType !== 'acknowledge') return ['approve_with_edits', 'reject'];
  return ['approve', 'reject'];
}

/** One line for the inbox: the tool and its action, or the question and its options. */
export function platformGateSubject(title: string, shown: PlatformGateShown): string {
  if (shown.gate === 'permission') {
    const what = [shown.action, shown.path].filter(Boolean).join(' ');
    return `${title}: ${shown.platform} asks permission for ${shown.toolName}${what ? ` (${what})` : ''}${shown.description ? `: ${shown.description}` : ''}`.slice(
      0,
      500,
    );
  }
  const options =
    shown.responseType === 'choice'
      ? ` [choose one: ${(shown.choices ?? []).join(' | ')}]`
      : shown.responseType === 'text'
        ? ' [answer as text]'
        : ' [acknowledge]';
  return `${title}: ${shown.platform} asks: ${shown.message}${options}`.slice(0, 500);
}

/**
 * The answer a gate's outcome sends, or undefined when nothing is sent: a rejected question is
 * left unanswered (the SDK has no "decline"), so the platform's own timeout applies.
 */
export function answerFromDecision(
  shown: PlatformGateShown,
  outcome: Pick<GateOutcome, 'decision' | 'edits'>,
): PlatformGateAnswer | undefined {
  if (shown.gate === 'permission') return { gate: 'permission', grant: outcome.decision !== 'reject' };
  if (outcome.decision === 'reject') return undefined;
  if (shown.responseType === 'acknowledge') return { gate: 'question', type: 'acknowledge' };
  const edit = outcome.edits?.[0];
  return { gate: 'question', type: shown.responseType, value: typeof edit === 'string' ? edit : JSON.stringify(edit) };
}

/**
 * An `answerInput` response as the platform's answer; throws with what is wrong (the update's
 * validator calls it, so a bad answer is refused before history). A permission takes `grant`,
 * `deny`, `true` or `false`; a choice one of the offered choices.
 */
export function answerFromResponse(shown: PlatformGateShown, response: unknown): PlatformGateAnswer {
  if (shown.gate === 'permission') {
    if (response === true || response === 'grant') return { gate: 'permission', grant: true };
    if (response === false || response === 'deny') return { gate: 'permission', grant: false };
    throw new Error(`permission ${shown.id} takes "grant" or "deny" (or true/false)`);
  }
  if (shown.responseType === 'acknowledge') return { gate: 'question', type: 'acknowledge' };
  if (typeof response !== 'string' || response.trim() === '')
    throw new Error(`question ${shown.id} needs a ${shown.responseType} answer as a string`);
  if (shown.responseType === 'choice' && !(shown.choices ?? []).includes(response))
    throw new Error(
      `"${response.slice(0, 100)}" is not one of the offered choices: ${(shown.choices ?? []).join(', ')}`,
    );
  return { gate: 'question', type: shown.responseType, value: response };
}

/**
 * Seconds the gate may stay open: the configured deadline, but for a question never past the
 * platform's timeout (less a second, so the answer lands before the platform gives up).
 */
export function platformGateDeadline(shown: PlatformGateShown, configured: number, nowMs: number): number {
  if (shown.gate !== 'question' || shown.timeoutSeconds === undefined) return configured;
  const askedMs = shown.askedAt !== undefined ? shown.askedAt * 1000 : nowMs;
  const left = Math.floor((askedMs + shown.timeoutSeconds * 1000 - nowMs) / 1000) - 1;
  return Math.max(1, Math.min(configured, left));
}

/**
 * The expiry policy as it can apply before the platform's timeout: for a timed question, `wait`
 * (reminders past the platform's own expiry) becomes `reject`, and an escalation gets only the
 * time that is left (none left: `reject`).
 */
export function platformGateExpiry(
  shown: PlatformGateShown,
  policy: ExpiryPolicy,
  deadlineSeconds: number,
  nowMs: number,
): ExpiryPolicy {
  if (shown.gate !== 'question' || shown.timeoutSeconds === undefined) return policy;
  if (policy.policy === 'wait') return { policy: 'reject' };
  if (policy.policy !== 'escalate') return policy;
  const room = platformGateDeadline(shown, Number.MAX_SAFE_INTEGER, nowMs) - deadlineSeconds;
  return room >= 1 ? { ...policy, extendSeconds: Math.min(policy.extendSeconds, room) } : { policy: 'reject' };
}
