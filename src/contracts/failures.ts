/**
 * `ApplicationFailure` types Switchboard itself raises (provider failures are typed by their error
 * class, see src/providers/errors.ts and src/activities/failures.ts). Workflow-safe; clients match
 * on these names.
 */
export const FailureType = {
  /** A start argument, carry or message that fails its schema or cannot be decoded. Non-retryable. */
  InvalidInput: 'InvalidInput',
  /** A decision the gate accepted for checking but refused (unproven decider, or the gate moved meanwhile). */
  DecisionRefused: 'DecisionRefused',
  /** The worker's configuration cannot serve the call (e.g. an unknown credential alias). Non-retryable. */
  ConfigError: 'ConfigError',
} as const;
export type FailureTypeName = (typeof FailureType)[keyof typeof FailureType];
