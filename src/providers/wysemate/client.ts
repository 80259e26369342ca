import type { PlatformEndpoint } from '../../config.js';
import { HttpClient } from '../http.js';

/** WyseMate client (placeholder until its provider lands). */
export class WyseMateClient {
  readonly http: HttpClient;
  constructor(endpoint: PlatformEndpoint) {
    this.http = new HttpClient({
      platform: 'wysemate',
      baseUrl: endpoint.baseUrl,
      alias: endpoint.alias,
      authHeaders: endpoint.secret ? { authorization: `Bearer ${endpoint.secret}` } : {},
      timeoutMs: endpoint.timeoutMs,
    });
  }
}
