/**
 * Typed keys for Switchboard's custom search attributes (registered by src/devserver and by the
 * production compose file). Workflow-safe.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SwitchboardProvider = defineSearchAttributeKey('SwitchboardProvider', SearchAttributeType.KEYWORD);
export const SwitchboardStatus = defineSearchAttributeKey('SwitchboardStatus', SearchAttributeType.KEYWORD);
export const AwaitingHuman = defineSearchAttributeKey('AwaitingHuman', SearchAttributeType.BOOL);
export const GateKind = defineSearchAttributeKey('GateKind', SearchAttributeType.KEYWORD);
export const GateDeadline = defineSearchAttributeKey('GateDeadline', SearchAttributeType.DATETIME);
/** A Track monitor's newest stored snapshot (its platform time). */
export const MonitorLastSnapshotAt = defineSearchAttributeKey('MonitorLastSnapshotAt', SearchAttributeType.DATETIME);
/** When a Track monitor's snapshot data last changed from the one before. */
export const MonitorLastChangeAt = defineSearchAttributeKey('MonitorLastChangeAt', SearchAttributeType.DATETIME);
