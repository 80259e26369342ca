/**
 * Names of Switchboard's own metrics. They are recorded through the Temporal SDK's metric meter
 * (workflow `metricMeter`, activity `Context.metricMeter`), so they leave the worker on the same
 * Prometheus endpoint as the SDK's (SWITCHBOARD_METRICS_ADDRESS / _PORT), tagged with namespace,
 * task queue and workflow or activity type. Without an endpoint they cost nothing.
 */
export const METRICS = {
  /**
   * Histogram, ms: gate opened → decided (by a person or by the expiry policy). Tags: kind, decision, by (`person` |
   * `expiry`).
   */
  timeToDecision: 'switchboard_gate_time_to_decision',
  /** Counter: gates decided by their expiry policy. Tags: kind, policy. */
  gateExpiries: 'switchboard_gate_expiries',
  /** Counter: gates escalated to other approvers. Tags: kind. */
  gateEscalations: 'switchboard_gate_escalations',
  /** Counter: monitor polls that ran later than half an interval (and ≥ 1 s) after they were due. */
  monitorPollsLate: 'switchboard_monitor_polls_late',
  /** Counter: whole poll intervals a late monitor poll missed (a worker outage shows here). */
  monitorPollsSkipped: 'switchboard_monitor_polls_skipped',
  /** Counter: webhook delivery attempts. Tags: outcome (delivered, failed, gone, refused, disabled, unconfigured). */
  webhookDeliveries: 'switchboard_webhook_deliveries',
  /** Counter: activity attempts that failed with a platform error. Tags: platform, class (the ProviderError class). */
  platformErrors: 'switchboard_platform_errors',
} as const;
