/**
 * Workflow interceptors for OpenTelemetry, bundled only when the worker traces
 * (src/telemetry/tracing.ts): a workflow run, its signals, updates and queries become spans whose
 * parent is the client call, and every activity it schedules carries the trace in its headers.
 * Spans leave the sandbox through the `exporter` sink, which does not run during replay.
 */
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';
import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';

export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [new OpenTelemetryInboundInterceptor()],
  outbound: [new OpenTelemetryOutboundInterceptor()],
  internals: [new OpenTelemetryInternalsInterceptor()],
});
