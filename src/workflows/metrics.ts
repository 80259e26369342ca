/**
 * Operator metrics recorded from workflow code through the SDK's `metricMeter`, which records
 * nothing while a workflow replays (so a replay or a cache eviction never counts twice) and
 * writes no history: adding or changing these calls needs no `patched()`.
 */
import { metricMeter } from '@temporalio/workflow';
import { METRICS } from '../contracts/metrics.js';

/** A gate was decided `waitedMs` after it opened. */
export function recordDecision(kind: string, decision: string, byExpiry: boolean, waitedMs: number): void {
  metricMeter
    .createHistogram(METRICS.timeToDecision, 'int', 'ms', 'time from a gate opening to its decision')
    .record(Math.max(0, Math.round(waitedMs)), { kind, decision, by: byExpiry ? 'expiry' : 'person' });
}

/** A gate's deadline passed and its expiry policy decided. */
export function countGateExpiry(kind: string, policy: string): void {
  metricMeter
    .createCounter(METRICS.gateExpiries, 'gates', 'gates decided by their expiry policy')
    .add(1, { kind, policy });
}

/** A gate's deadline passed and it went to other approvers. */
export function countGateEscalation(kind: string): void {
  metricMeter.createCounter(METRICS.gateEscalations, 'gates', 'gates escalated to other approvers').add(1, { kind });
}

/**
 * A monitor poll that was due at `dueMs` ran now: counts it late when it ran more than half an
 * interval (and at least a second) after, and the whole intervals it missed as skipped.
 */
export function recordMonitorPoll(dueMs: number, intervalMs: number): void {
  const lateMs = Date.now() - dueMs;
  if (lateMs <= Math.max(1000, intervalMs / 2)) return;
  metricMeter.createCounter(METRICS.monitorPollsLate, 'polls', 'monitor polls that ran late').add(1);
  const skipped = Math.floor(lateMs / intervalMs);
  if (skipped > 0)
    metricMeter.createCounter(METRICS.monitorPollsSkipped, 'polls', 'monitor poll intervals missed').add(skipped);
}
