/**
 * Typed client for the sandbox control API (`/_control/*`), used by tests, benchmarks and `npm start`.
 */
import { request } from 'undici';
import type { Platform } from '../providers/errors.js';
import type { ScriptStep } from './agent.js';
import type { FaultRule, JournalEntry } from './framework.js';
import type { WebhookDelivery } from './server.js';

export interface JournalFilter {
  platform?: Platform;
  method?: string;
  route?: string;
  since?: number;
}

export class SandboxControl {
  constructor(readonly origin: string) {}

  private async call<T>(method: string, p: string, body?: unknown): Promise<T> {
    const res = await request(`${this.origin}/_control/${p}`, {
      method: method as 'GET',
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`sandbox control ${method} ${p}: ${res.statusCode} ${text}`);
    return JSON.parse(text) as T;
  }

  /** Drops all platform state, faults, journal, custom scripts and keys. */
  reset(): Promise<unknown> {
    return this.call('POST', 'reset');
  }

  fault(rule: FaultRule): Promise<FaultRule> {
    return this.call('POST', 'faults', rule);
  }

  /**
   * Turns `Idempotency-Key` replay on for every platform (`true`), for some (a list), or off
   * (`false`, each platform as the real one). {@link reset} turns it back to the sandbox's start value.
   */
  replayIdempotency(replay: boolean | Platform[]): Promise<{ replay: boolean | Platform[] }> {
    return this.call('POST', 'idempotency', { replay });
  }

  clearFaults(): Promise<unknown> {
    return this.call('DELETE', 'faults');
  }

  async journal(filter: JournalFilter = {}): Promise<JournalEntry[]> {
    const q = new URLSearchParams(
      Object.entries(filter)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, String(v)] as [string, string]),
    );
    return (await this.call<{ entries: JournalEntry[] }>('GET', `journal?${q.toString()}`)).entries;
  }

  clearJournal(): Promise<unknown> {
    return this.call('DELETE', 'journal');
  }

  script(name: string, steps: ScriptStep[]): Promise<unknown> {
    return this.call('POST', 'scripts', { name, steps });
  }

  addKey(platform: Platform, key: string, identity = 'default'): Promise<unknown> {
    return this.call('POST', 'keys', { platform, key, identity });
  }

  /**
   * Notifications received by the sandbox's webhook receiver (`${origin}/_control/webhooks`), all
   * of them or one `inbox`'s (see {@link SandboxControl.webhookUrl}).
   */
  async webhooks(inbox?: string): Promise<WebhookDelivery[]> {
    return (
      await this.call<{ deliveries: WebhookDelivery[] }>(
        'GET',
        `webhooks${inbox ? `?inbox=${encodeURIComponent(inbox)}` : ''}`,
      )
    ).deliveries;
  }

  /**
   * A receiver URL: its own `inbox`, answering `status` (with `Retry-After`), or failing only the first `failFirst`
   * POSTs.
   */
  webhookUrl(inbox: string, answer: { status?: number; retryAfter?: number; failFirst?: number } = {}): string {
    const q = new URLSearchParams({ inbox });
    if (answer.status !== undefined) q.set('status', String(answer.status));
    if (answer.retryAfter !== undefined) q.set('retry_after', String(answer.retryAfter));
    if (answer.failFirst !== undefined) q.set('fail_first', String(answer.failFirst));
    return `${this.origin}/_control/webhooks?${q.toString()}`;
  }

  /**
   * Resolves `host` to a loopback `origin` for platform callbacks (default: this sandbox, whose
   * `/_control/webhooks` receiver records them), as DNS would for a public name; without a mapping
   * the sandbox's platforms reach no host but loopback.
   */
  mapHost(host: string, origin: string = this.origin): Promise<unknown> {
    return this.call('POST', 'hosts', { host, origin });
  }

  health(): Promise<{ ok: boolean; platforms: Platform[] }> {
    return this.call('GET', 'health');
  }
}
