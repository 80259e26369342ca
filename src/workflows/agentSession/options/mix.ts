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
    browserMode: z.enum(['local-browser-service', 'remote-cdp-websocket']).optional(),
    cdpUrl: z.string().optional(),
    promptMode: z.enum(['default', 'append', 'replace']).default('default'),
    customSystemPrompt: z.string().optional(),
    sessionType: z.literal('main', { errorMap: () => ({ message: "only 'main' sessions can be created through the API" }) }).default('main'),
    subagentType: z.undefined({ errorMap: () => ({ message: 'subagent_type must not be set for main sessions' }) }).optional(),
    /** Tool-completion callbacks set at creation. */
    callbacks: z.array(z.record(z.unknown())).optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.browserMode === 'remote-cdp-websocket') {
      if (!o.cdpUrl) ctx.addIssue({ code: 'custom', path: ['cdpUrl'], message: 'cdpUrl is required when browserMode is remote-cdp-websocket' });
      else if (!/^wss?:\/\//.test(o.cdpUrl)) ctx.addIssue({ code: 'custom', path: ['cdpUrl'], message: 'cdpUrl must start with ws:// or wss://' });
    }
    if (o.customSystemPrompt !== undefined) {
      const size = byteLength(o.customSystemPrompt);
      if (o.promptMode === 'append' && size > APPEND_MAX)
        ctx.addIssue({ code: 'custom', path: ['customSystemPrompt'], message: `customSystemPrompt is ${size} bytes; append mode allows ${APPEND_MAX}` });
      if (o.promptMode === 'replace' && size > REPLACE_MAX)
        ctx.addIssue({ code: 'custom', path: ['customSystemPrompt'], message: `customSystemPrompt is ${size} bytes; replace mode allows ${REPLACE_MAX}` });
    }
  })
  // In default mode the platform ignores the prompt; drop it so it never travels.
  .transform((o) => (o.promptMode === 'default' ? { ...o, customSystemPrompt: undefined } : o));
