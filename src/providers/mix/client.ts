import type { PlatformEndpoint } from '../../config.js';
import { HttpClient } from '../http.js';

/** Mix client (placeholder until its provider lands). */
export class MixClient {
  readonly http: HttpClient;
  constructor(endpoint: PlatformEndpoint) {
    this.http = new HttpClient({
      platform: 'mix',
      baseUrl: endpoint.baseUrl,
      alias: endpoint.alias,
      authHeaders: endpoint.secret ? { authorization: `Bearer ${endpoint.secret}` } : {},
      timeoutMs: endpoint.timeoutMs,
    });
  }
}
