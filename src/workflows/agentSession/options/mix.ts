import { z } from 'zod';

const APPEND_MAX = 51_200;
const REPLACE_MAX = 102_400;

function byteLength(s: string): number {
  // TextEncoder is available in the workflow sandbox; Buffer is not.
  return new TextEncoder().encode(s).length;
}

/**
 * Mix session options, with the seed's checks enforced before anything reaches the platform:
 * `cdp_url` required for remote-cdp-websocket and ws:// or wss://; `custom_system_prompt` ≤ 50 KB in
 * append mode, ≤ 100 KB in replace mode, ignored in default mode; only `main` sessions; no
 * `subagent_type`.
 */
export const mixOptions = z
  .object({
    /** Seed: required by the platform; the Mix adapter sends `local-browser-service` when unset. */
    browserMode: z.enum(['electron-embedded-browser', 'local-browser-service', 'remote-cdp-websocket']).optional(),
    cdpUrl: z.string().optional(),
    promptMode: z.enum(['default', 'append', 'replace']).default('default'),
    customSystemPrompt: z.string().optional(),
    sessionType: z.literal('main', { errorMap: () => ({ message: "only 'main' sessions can be created through the API" }) }).default('main'),
    // The seed's own examples pass `subagent_type=""`: an empty string counts as unset.
    subagentType: z.literal('', { errorMap: () => ({ message: 'subagent_type must not be set for main sessions' }) }).optional(),
    /**
     * Tool-completion callbacks set at creation, written as on the wire (`toolName`, `type`,
     * `messageContent`, …) or as in the seed (`tool_name`, `message_content`, …).
     */
    callbacks: z.array(z.record(z.unknown())).optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.browserMode === 'remote-cdp-websocket' && !o.cdpUrl)
      ctx.addIssue({ code: 'custom', path: ['cdpUrl'], message: 'cdpUrl is required when browserMode is remote-cdp-websocket' });
    // The seed states the scheme rule without a condition, and the platform checks any cdpUrl sent.
    if (o.cdpUrl && !/^wss?:\/\//.test(o.cdpUrl))
      ctx.addIssue({ code: 'custom', path: ['cdpUrl'], message: 'cdpUrl must start with ws:// or wss://' });
    if (o.customSystemPrompt !== undefined) {
      const size = byteLength(o.customSystemPrompt);
      if (o.promptMode === 'append' && size > APPEND_MAX)
        ctx.addIssue({ code: 'custom', path: ['customSystemPrompt'], message: `customSystemPrompt is ${size} bytes; append mode allows ${APPEND_MAX}` });
      if (o.promptMode === 'replace' && size > REPLACE_MAX)
        ctx.addIssue({ code: 'custom', path: ['customSystemPrompt'], message: `customSystemPrompt is ${size} bytes; replace mode allows ${REPLACE_MAX}` });
    }
  })
  // In default mode the platform ignores the prompt; drop it so it never travels. An empty
  // subagentType is dropped for the same reason.
  .transform((o) => ({
    ...o,
    customSystemPrompt: o.promptMode === 'default' ? undefined : o.customSystemPrompt,
    subagentType: undefined,
  }));
