import { z } from 'zod';
import { lazy } from '../lazy.js';

const APPEND_MAX = 51_200;
const REPLACE_MAX = 102_400;

function byteLength(s: string): number {
  // TextEncoder is available in the workflow sandbox; Buffer is not.
  return new TextEncoder().encode(s).length;
}

const SEED_KEYS: Record<string, string> = {
  tool_name: 'toolName',
  message_content: 'messageContent',
  bash_command: 'bashCommand',
  bash_timeout: 'bashTimeout',
  sub_agent_prompt: 'subAgentPrompt',
  sub_agent_type: 'subAgentType',
  exclude_from_context: 'excludeFromContext',
  include_full_history: 'includeFullHistory',
};

/**
 * One tool-completion callback, written as on the wire (`toolName`, `messageContent`, …) or as in
 * the seed (`tool_name`, `message_content`, …); output is the wire form. Per-type required fields
 * follow the public Mix SDK. Used at creation and by the `setCallbacks` update validator, so a
 * bad callback is refused before anything reaches the platform.
 */
export const mixCallback = lazy(() =>
  z.preprocess(
    (raw) =>
      raw && typeof raw === 'object' && !Array.isArray(raw)
        ? Object.fromEntries(Object.entries(raw as Record<string, unknown>).map(([k, v]) => [SEED_KEYS[k] ?? k, v]))
        : raw,
    z
      .object({
        toolName: z.string().trim().min(1, 'toolName is required').max(200),
        type: z.enum(['bash_script', 'sub_agent', 'send_message']),
        name: z.string().max(200).optional(),
        messageContent: z.string().max(50_000).optional(),
        bashCommand: z.string().max(50_000).optional(),
        bashTimeout: z.number().int().positive().optional(),
        subAgentPrompt: z.string().max(50_000).optional(),
        subAgentType: z.string().max(200).optional(),
        excludeFromContext: z.boolean().optional(),
        includeFullHistory: z.boolean().optional(),
      })
      .strict()
      .superRefine((cb, ctx) => {
        const need = (field: keyof typeof cb, why: string) =>
          !cb[field] && ctx.addIssue({ code: 'custom', path: [field], message: why });
        if (cb.type === 'send_message') need('messageContent', 'messageContent is required for send_message');
        if (cb.type === 'send_message' && cb.excludeFromContext)
          ctx.addIssue({
            code: 'custom',
            path: ['excludeFromContext'],
            message: 'excludeFromContext is not allowed for send_message',
          });
        if (cb.type === 'bash_script') need('bashCommand', 'bashCommand is required for bash_script');
        if (cb.type === 'sub_agent') need('subAgentPrompt', 'subAgentPrompt is required for sub_agent');
      }),
  ),
);

/**
 * Mix session options, with the seed's checks enforced before anything reaches the platform:
 * `cdp_url` required for remote-cdp-websocket and ws:// or wss://; `custom_system_prompt` ≤ 50 KB in
 * append mode, ≤ 100 KB in replace mode, ignored in default mode; only `main` sessions; no
 * `subagent_type`.
 */
export const mixOptions = lazy(() =>
  z
    .object({
      /** Seed: required by the platform; the Mix adapter sends `local-browser-service` when unset. */
      browserMode: z.enum(['electron-embedded-browser', 'local-browser-service', 'remote-cdp-websocket']).optional(),
      cdpUrl: z.string().max(2_000).optional(),
      promptMode: z.enum(['default', 'append', 'replace']).default('default'),
      customSystemPrompt: z.string().max(200_000).optional(),
      sessionType: z
        .literal('main', { errorMap: () => ({ message: "only 'main' sessions can be created through the API" }) })
        .default('main'),
      // The seed's own examples pass `subagent_type=""`: an empty string counts as unset.
      subagentType: z
        .literal('', { errorMap: () => ({ message: 'subagent_type must not be set for main sessions' }) })
        .optional(),
      /**
       * Tool-completion callbacks set at creation, written as on the wire (`toolName`, `type`,
       * `messageContent`, …) or as in the seed (`tool_name`, `message_content`, …).
       */
      callbacks: z.array(mixCallback()).max(50).optional(),
    })
    .strict()
    .superRefine((o, ctx) => {
      if (o.browserMode === 'remote-cdp-websocket' && !o.cdpUrl)
        ctx.addIssue({
          code: 'custom',
          path: ['cdpUrl'],
          message: 'cdpUrl is required when browserMode is remote-cdp-websocket',
        });
      // The seed states the scheme rule without a condition, and the platform checks any cdpUrl sent.
      if (o.cdpUrl && !/^wss?:\/\//.test(o.cdpUrl))
        ctx.addIssue({ code: 'custom', path: ['cdpUrl'], message: 'cdpUrl must start with ws:// or wss://' });
      if (o.customSystemPrompt !== undefined) {
        const size = byteLength(o.customSystemPrompt);
        if (o.promptMode === 'append' && size > APPEND_MAX)
          ctx.addIssue({
            code: 'custom',
            path: ['customSystemPrompt'],
            message: `customSystemPrompt is ${size} bytes; append mode allows ${APPEND_MAX}`,
          });
        if (o.promptMode === 'replace' && size > REPLACE_MAX)
          ctx.addIssue({
            code: 'custom',
            path: ['customSystemPrompt'],
            message: `customSystemPrompt is ${size} bytes; replace mode allows ${REPLACE_MAX}`,
          });
      }
    })
    // In default mode the platform ignores the prompt; drop it so it never travels. An empty
    // subagentType is dropped for the same reason.
    .transform((o) => ({
      ...o,
      customSystemPrompt: o.promptMode === 'default' ? undefined : o.customSystemPrompt,
      subagentType: undefined,
    })),
);
