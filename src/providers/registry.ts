/**
 * Builds provider clients from credential aliases, once per (platform, alias).
 * The worker and the tests wire activities through this the same way.
 */
import type { Credentials, PlatformEndpoint } from '../config.js';
import type { Platform } from './errors.js';
import { ArchAstroClient } from './archastro/client.js';
import { MixClient } from './mix/client.js';
import { MycelClient } from './mycel/client.js';
import { WebAgentClient } from './webagent/client.js';
import { WyseMateClient } from './wysemate/client.js';

const FACTORIES = {
  webagent: (e: PlatformEndpoint) => new WebAgentClient(e),
  archastro: (e: PlatformEndpoint) => new ArchAstroClient(e),
  wysemate: (e: PlatformEndpoint) => new WyseMateClient(e),
  mix: (e: PlatformEndpoint) => new MixClient(e),
  mycel: (e: PlatformEndpoint) => new MycelClient(e),
} as const;

export type ClientFor<P extends Platform> = ReturnType<(typeof FACTORIES)[P]>;

export class ProviderRegistry {
  private readonly cache = new Map<string, unknown>();

  constructor(readonly credentials: Credentials) {}

  /** The client for `platform` acting as credential `alias`. */
  client<P extends Platform>(platform: P, alias = 'default'): ClientFor<P> {
    const key = `${platform}/${alias}`;
    let c = this.cache.get(key);
    if (!c) {
      c = FACTORIES[platform](this.credentials.endpoint(platform, alias));
      this.cache.set(key, c);
    }
    return c as ClientFor<P>;
  }
}
