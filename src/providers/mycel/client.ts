import type { PlatformEndpoint } from '../../config.js';
import { HttpClient } from '../http.js';

/** Mycel client (placeholder until its provider lands). */
export class MycelClient {
  readonly http: HttpClient;
  constructor(endpoint: PlatformEndpoint) {
    this.http = new HttpClient({
      platform: 'mycel',
      baseUrl: endpoint.baseUrl,
      alias: endpoint.alias,
      authHeaders: endpoint.secret ? { authorization: `Bearer ${endpoint.secret}` } : {},
      timeoutMs: endpoint.timeoutMs,
    });
  }
}
