/**
 * Imported first by the telemetry test: installs the process Runtime with a Prometheus endpoint
 * (the harness would install one without) and turns tracing on towards an OTLP/HTTP receiver on
 * 127.0.0.1 that keeps what it is sent, before the harness builds its worker and client.
 */
import { createServer } from 'node:http';
import { freePort } from '../../src/devserver/index.js';
import { setupTracing } from '../../src/telemetry/tracing.js';
import { installRuntime } from '../../src/worker/runtime.js';
import { TEST_WORKER_LOG } from './logfile.js';

/** One span as the OTLP/HTTP JSON exporter sends it (ids are hex strings). */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: { key: string; value: Record<string, unknown> }[];
}

export const received: ReceivedSpan[] = [];
/** Content types the receiver was sent (the exporter's JSON encoding). */
export const contentTypes = new Set<string>();

const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    contentTypes.add(String(req.headers['content-type']));
    if (req.url === '/v1/traces') {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: { scopeSpans: { spans: ReceivedSpan[] }[] }[];
      };
      for (const rs of body.resourceSpans) for (const ss of rs.scopeSpans) received.push(...ss.spans);
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
export const otlpEndpoint = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
export const closeReceiver = () => new Promise<void>((r) => receiver.close(() => r()));

export const metricsPort = await freePort();
installRuntime({ logLevel: 'WARN', logFile: TEST_WORKER_LOG, metricsAddress: `127.0.0.1:${metricsPort}` });
export const tracing = (await setupTracing({ endpoint: otlpEndpoint, serviceName: 'switchboard-test' }))!;
