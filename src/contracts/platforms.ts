/**
 * The five platforms Switchboard orchestrates, and what an agent session's status can be.
 * Workflow-safe: shared by workflows, activities, providers and the sandbox.
 */

/** Every platform, by the name used in configuration, search attributes and the sandbox's prefixes. */
export const PLATFORMS = ['webagent', 'archastro', 'wysemate', 'mix', 'mycel'] as const;
export type Platform = (typeof PLATFORMS)[number];
