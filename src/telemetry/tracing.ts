/**
 * OpenTelemetry tracing, off unless asked for. `setupTracing` with an OTLP/HTTP endpoint
 * (`OTEL_EXPORTER_OTLP_ENDPOINT`) registers a tracer provider; then the client, the worker's
 * activities and workflows (through `@temporalio/interceptors-opentelemetry`) and every platform
 * HTTP request ({@link withHttpSpan}) join one trace: client call → workflow → activity → HTTP.
 *
 * Off (the default), nothing here is loaded into the worker or client beyond this module's flag:
 * no interceptors, no workflow interceptor module in the bundle, no spans.
 */
import { context, propagation, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { InjectedSinks, WorkerOptions } from '@temporalio/worker';
import { createRequire } from 'node:module';
import type * as OtelInterceptors from '@temporalio/interceptors-opentelemetry';

const require = createRequire(import.meta.url);

/** A running tracer provider: what the worker needs for its sinks, and how to flush. */
export interface Tracing {
  resource: Resource;
  spanProcessor: SpanProcessor;
  /** Flushes buffered spans and stops exporting. */
  shutdown(): Promise<void>;
}

let active: Tracing | undefined;

/** Whether {@link setupTracing} turned tracing on in this process. */
export function tracingEnabled(): boolean {
  return active !== undefined;
}

/** The tracer provider of this process, when tracing is on. */
export function currentTracing(): Tracing | undefined {
  return active;
}

/**
 * Turns tracing on for this process (once; later calls return the first setup). Spans go to
 * `<endpoint>/v1/traces` as OTLP/HTTP JSON, or to `exporter` (tests). Returns undefined, and
 * changes nothing, when neither is given.
 */
export async function setupTracing(opts: {
  endpoint?: string;
  exporter?: SpanExporter;
  serviceName: string;
}): Promise<Tracing | undefined> {
  if (active) return active;
  if (!opts.endpoint && !opts.exporter) return undefined;
  // Loaded only when tracing is on: the SDK and exporter stay out of a process that does not trace.
  const [{ NodeTracerProvider }, { BatchSpanProcessor }, { Resource }, { OTLPTraceExporter }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/exporter-trace-otlp-http'),
  ]);
  const exporter = opts.exporter ?? new OTLPTraceExporter({ url: `${opts.endpoint!.replace(/\/+$/, '')}/v1/traces` });
  const resource = new Resource({ 'service.name': opts.serviceName });
  const spanProcessor = new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000 });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  // Global provider, W3C trace-context propagator and an AsyncLocalStorage context manager.
  provider.register();
  active = { resource, spanProcessor, shutdown: () => provider.shutdown() };
  return active;
}

/** Flushes and stops tracing (a CLI process calls it before exiting). No-op when off. */
export async function shutdownTracing(): Promise<void> {
  const t = active;
  active = undefined;
  await t?.shutdown();
}

/** The client's tracing interceptors, or undefined when tracing is off. */
export function clientInterceptors(): { workflow: WorkflowClientInterceptor[] } | undefined {
  if (!active) return undefined;
  const { OpenTelemetryWorkflowClientInterceptor } =
    require('@temporalio/interceptors-opentelemetry') as typeof OtelInterceptors;
  return { workflow: [new OpenTelemetryWorkflowClientInterceptor()] };
}

/** Path of the workflow interceptor module that traces workflows (bundled only when tracing is on). */
export function workflowTracingModule(): string {
  return require.resolve(
    import.meta.url.endsWith('.ts') ? '../workflows/interceptors/tracing.ts' : '../workflows/interceptors/tracing.js',
  );
}

/**
 * Where `npm run build:workflows` puts the traced twin of a pre-built bundle: `<name>-traced.js`
 * beside `<name>.js`, the same workflows with the OpenTelemetry workflow interceptors bundled in.
 */
export function tracedBundlePath(bundlePath: string): string {
  return bundlePath.endsWith('-traced.js') ? bundlePath : bundlePath.replace(/(\.js)?$/, '-traced.js');
}

/**
 * Worker options that trace activities and export workflow spans (through a sink), or undefined
 * when tracing is off. The workflow interceptors themselves are bundled ({@link workflowTracingModule}).
 */
export function workerTracing():
  | {
      activityInterceptors: NonNullable<WorkerOptions['interceptors']>['activity'];
      sinks: InjectedSinks<OtelInterceptors.OpenTelemetrySinks>;
    }
  | undefined {
  if (!active) return undefined;
  const otel = require('@temporalio/interceptors-opentelemetry') as typeof OtelInterceptors;
  return {
    activityInterceptors: [
      (ctx) => ({
        inbound: new otel.OpenTelemetryActivityInboundInterceptor(ctx),
        outbound: new otel.OpenTelemetryActivityOutboundInterceptor(ctx),
      }),
    ],
    sinks: { exporter: otel.makeWorkflowExporter(active.spanProcessor, active.resource) },
  };
}

/**
 * Runs one platform HTTP request in a CLIENT span (method, URL path, status) and passes the
 * trace on to the platform in `traceparent`. Without tracing it only calls `fn`.
 */
export async function withHttpSpan<T extends { statusCode: number }>(
  info: { platform: string; method: string; url: string; headers: Record<string, string> },
  fn: () => Promise<T>,
): Promise<T> {
  if (!active) return fn();
  const u = new URL(info.url);
  // The path only: query strings can carry cursors and filters nobody asked to export.
  return trace.getTracer('switchboard').startActiveSpan(
    `HTTP ${info.method} ${info.platform}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': info.method,
        'server.address': u.hostname,
        'url.path': u.pathname,
        'switchboard.platform': info.platform,
      },
    },
    async (span: Span) => {
      propagation.inject(context.active(), info.headers);
      try {
        const res = await fn();
        span.setAttribute('http.response.status_code', res.statusCode);
        if (res.statusCode >= 400) span.setStatus({ code: SpanStatusCode.ERROR });
        return res;
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}
