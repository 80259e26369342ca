import type { PlatformEndpoint } from '../../config.js';
import { HttpClient } from '../http.js';

/** ArchAstro client (placeholder until its provider lands). */
export class ArchAstroClient {
  readonly http: HttpClient;
  constructor(endpoint: PlatformEndpoint) {
    this.http = new HttpClient({
      platform: 'archastro',
      baseUrl: endpoint.baseUrl,
      alias: endpoint.alias,
      authHeaders: endpoint.secret ? { authorization: `Bearer ${endpoint.secret}` } : {},
      timeoutMs: endpoint.timeoutMs,
    });
  }
}
