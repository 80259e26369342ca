/**
 * Outgoing webhooks: the SSRF guard and one signed POST to an address fixed before connecting.
 * Pure (no Temporal): the outbox activity (src/activities/outbox.ts) calls it once per attempt.
 * It does not go through `HttpClient` (http.ts): that client is bound to a platform, a base URL
 * and its credentials, and serializes bodies itself, while a signature must cover the exact bytes
 * sent and each request needs its own pinned connection. It shares the error module's
 * `Retry-After` rule and, like the transport, never retries (the workflow owns the schedule).
 *
 * Why the address is pinned: a host that resolves to a public address when checked and to
 * 127.0.0.1 a moment later (DNS rebinding) would otherwise pass the check and reach loopback. The
 * request connects to the address that was checked, through an undici Agent whose `lookup`
 * answers with it; TLS still verifies the host name (undici keeps it as the SNI/servername).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { Agent, request } from 'undici';
import { Webhook } from 'standardwebhooks';
import { parseRetryAfter } from './errors.js';

/**
 * Ranges no webhook may reach unless allow-listed: "this network", private, carrier-grade NAT
 * (also Alibaba's metadata 100.100.100.200), loopback, link-local (cloud metadata
 * 169.254.169.254), IETF protocol assignments, benchmarking, multicast and reserved; IPv6
 * unspecified, loopback, unique-local (AWS's fd00:ec2::254), link-local and multicast. IPv4 mapped
 * into IPv6 is checked as IPv4.
 */
const DENIED: [string, number, 'ipv4' | 'ipv6'][] = [
  ['0.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['224.0.0.0', 4, 'ipv4'],
  ['240.0.0.0', 4, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['::1', 128, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
];

function denied(): BlockList {
  const list = new BlockList();
  for (const [net, bits, type] of DENIED) list.addSubnet(net, bits, type);
  return list;
}

/** `::ffff:10.0.0.1` / `::ffff:a00:1` → `10.0.0.1`; anything else as it is. */
function unmapV4(address: string): string {
  const lower = address.toLowerCase();
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1]!;
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (!hex) return address;
  const [hi, lo] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** The SSRF guard's rules: denied ranges, minus what `SWITCHBOARD_WEBHOOK_ALLOW` lets through. */
export class TargetPolicy {
  private readonly deny = denied();
  private readonly allowNets = new BlockList();
  private readonly allowHosts = new Set<string>();

  constructor(allow: readonly string[] = []) {
    for (const entry of allow) {
      const [addr, bits] = entry.split('/') as [string, string | undefined];
      const family = isIP(addr);
      if (family === 0) this.allowHosts.add(addr.toLowerCase().replace(/\.$/, ''));
      else
        this.allowNets.addSubnet(
          addr,
          bits === undefined ? (family === 4 ? 32 : 128) : Number(bits),
          family === 4 ? 'ipv4' : 'ipv6',
        );
    }
  }

  /** Why `address` may not be reached from `host`, or undefined when it may. */
  refusal(host: string, address: string): string | undefined {
    if (this.allowHosts.has(host.toLowerCase().replace(/\.$/, ''))) return undefined;
    const a = unmapV4(address);
    const type = isIP(a) === 4 ? 'ipv4' : 'ipv6';
    if (this.allowNets.check(a, type)) return undefined;
    if (this.deny.check(a, type))
      return `${host} resolves to ${address}, a loopback, private, link-local or metadata address (allow it with SWITCHBOARD_WEBHOOK_ALLOW)`;
    return undefined;
  }
}

/** A target that must not be contacted: retrying cannot change that. */
export class TargetRefused extends Error {
  override readonly name = 'TargetRefused';
}

export type Resolver = (host: string) => Promise<LookupAddress[]>;

const systemResolver: Resolver = (host) =>
  new Promise((resolve, reject) =>
    dnsLookup(host, { all: true, verbatim: true }, (err, addrs) => (err ? reject(err) : resolve(addrs))),
  );

/**
 * Resolves the URL's host (every address) and returns the one to connect to, or throws
 * {@link TargetRefused} when any address is denied: a name with one private address among public
 * ones is refused too, since which one a connection would use is not ours to choose.
 */
export async function resolveTarget(
  target: URL,
  policy: TargetPolicy,
  resolver: Resolver = systemResolver,
): Promise<LookupAddress> {
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    throw new TargetRefused(`${target.protocol} is not http or https`);
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  const literal = isIP(host);
  const addrs = literal ? [{ address: host, family: literal }] : await resolver(host);
  if (addrs.length === 0) throw new Error(`${host} did not resolve`);
  for (const a of addrs) {
    const why = policy.refusal(host, a.address);
    if (why) throw new TargetRefused(why);
  }
  return addrs[0]!;
}

/** A `lookup` that always answers with the pinned address (whatever net.connect asks). */
function pinnedLookup(pinned: LookupAddress): LookupFunction {
  return ((_host: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) => {
    if (opts?.all) cb(null, [{ address: pinned.address, family: pinned.family }]);
    else cb(null, pinned.address, pinned.family);
  }) as unknown as LookupFunction;
}

export interface SignedPost {
  url: string;
  /** The address resolved and checked by {@link resolveTarget}. */
  address: LookupAddress;
  messageId: string;
  body: string;
  /** `whsec_…` secrets; each adds a signature to `webhook-signature`. */
  secrets: readonly string[];
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface PostAnswer {
  status: number;
  /** Seconds from `Retry-After` (delay seconds or an HTTP date), when the receiver sent one. */
  retryAfterSeconds?: number;
}

/**
 * Sends one Standard Webhooks message: `webhook-id` (the message id), `webhook-timestamp` (now)
 * and `webhook-signature` with one `v1,…` per secret, space-separated, as the spec allows for
 * rotation. Connects only to `address`; never follows redirects. Throws on transport failures.
 */
export async function postSigned(p: SignedPost): Promise<PostAnswer> {
  const at = new Date();
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'switchboard-outbox/0.1',
    'webhook-id': p.messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
  };
  if (p.secrets.length)
    headers['webhook-signature'] = p.secrets.map((s) => new Webhook(s).sign(p.messageId, at, p.body)).join(' ');
  // One agent per attempt: its connections can only ever reach the pinned address.
  const agent = new Agent({ connect: { lookup: pinnedLookup(p.address), timeout: p.timeoutMs }, keepAliveTimeout: 1 });
  const timeout = AbortSignal.timeout(p.timeoutMs);
  try {
    const res = await request(p.url, {
      method: 'POST',
      headers,
      body: p.body,
      dispatcher: agent,
      signal: p.signal ? AbortSignal.any([p.signal, timeout]) : timeout,
      headersTimeout: p.timeoutMs,
      bodyTimeout: p.timeoutMs,
    });
    // The receiver's body is not ours to keep; read a little and drop it.
    await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
    const ra = res.headers['retry-after'];
    return { status: res.statusCode, retryAfterSeconds: parseRetryAfter(Array.isArray(ra) ? ra[0] : ra) };
  } finally {
    void agent.close().catch(() => undefined);
  }
}
