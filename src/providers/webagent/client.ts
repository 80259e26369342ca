import type { PlatformEndpoint } from '../../config.js';
import { HttpClient } from '../http.js';

/** WebAgent client (placeholder until its provider lands). */
export class WebAgentClient {
  readonly http: HttpClient;
  constructor(endpoint: PlatformEndpoint) {
    this.http = new HttpClient({
      platform: 'webagent',
      baseUrl: endpoint.baseUrl,
      alias: endpoint.alias,
      authHeaders: endpoint.secret ? { authorization: `Bearer ${endpoint.secret}` } : {},
      timeoutMs: endpoint.timeoutMs,
    });
  }
}
