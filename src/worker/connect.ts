/**
 * Connection to Temporal from configuration: TEMPORAL_ADDRESS/NAMESPACE/API_KEY/TLS or a Temporal
 * envconfig profile when given, else the embedded dev server on 127.0.0.1.
 */
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection } from '@temporalio/worker';
import { Connection, type ConnectionOptions } from '@temporalio/client';
import { ConfigError, type Env } from '../config.js';

export interface TemporalTarget {
  address: string;
  namespace: string;
  /** Options for NativeConnection/Connection (TLS, API key), without secrets in logs. */
  connectionOptions: Parameters<typeof NativeConnection.connect>[0];
  /** Which variable chose the target: named in errors. */
  source: 'TEMPORAL_ADDRESS' | 'TEMPORAL_PROFILE' | 'SWITCHBOARD_TEMPORAL_PORT';
  embedded: boolean;
}

export function temporalTarget(env: Env): TemporalTarget {
  if (env.TEMPORAL_ADDRESS || env.TEMPORAL_PROFILE) {
    // envconfig reads TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, and the profile file.
    let cfg;
    try {
      cfg = loadClientConnectConfig({ profile: env.TEMPORAL_PROFILE });
    } catch (err) {
      throw new ConfigError(env.TEMPORAL_PROFILE ? 'TEMPORAL_PROFILE' : 'TEMPORAL_ADDRESS', (err as Error).message);
    }
    const address = cfg.connectionOptions.address ?? env.TEMPORAL_ADDRESS ?? 'localhost:7233';
    return {
      address,
      namespace: cfg.namespace ?? env.TEMPORAL_NAMESPACE,
      connectionOptions: { ...cfg.connectionOptions, address },
      source: env.TEMPORAL_ADDRESS ? 'TEMPORAL_ADDRESS' : 'TEMPORAL_PROFILE',
      embedded: false,
    };
  }
  const address = `127.0.0.1:${env.SWITCHBOARD_TEMPORAL_PORT}`;
  return {
    address,
    namespace: env.TEMPORAL_NAMESPACE,
    connectionOptions: { address },
    source: 'SWITCHBOARD_TEMPORAL_PORT',
    embedded: true,
  };
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, rej) => (t = setTimeout(() => rej(new Error(`${what} timed out after ${ms} ms`)), ms))),
    ]);
  } finally {
    clearTimeout(t);
  }
}

/** Connects a worker connection; a failure names the variable that chose the address. */
export async function connectWorker(target: TemporalTarget, timeoutMs = 15_000): Promise<NativeConnection> {
  try {
    return await withTimeout(NativeConnection.connect(target.connectionOptions), timeoutMs, 'connecting');
  } catch (err) {
    throw new ConfigError(target.source, `cannot connect to Temporal at ${target.address}: ${firstLine(err)}`);
  }
}

/** Connects a client connection (CLI, client library). */
export async function connectClient(target: TemporalTarget, timeoutMs = 15_000): Promise<Connection> {
  // The envconfig profile's options, minus what only a NativeConnection takes.
  const { address, tls, apiKey, metadata } = target.connectionOptions as Pick<ConnectionOptions, 'tls' | 'metadata'> & {
    address: string;
    apiKey?: string;
  };
  try {
    return await withTimeout(Connection.connect({ address, tls, apiKey, metadata }), timeoutMs, 'connecting');
  } catch (err) {
    throw new ConfigError(target.source, `cannot connect to Temporal at ${target.address}: ${firstLine(err)}`);
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}
